package job

// Job names, as recorded in the audit log's job field (and, for the
// scheduled jobs, as the scheduler names them).
const (
	NameIngest            = "ingest"
	NameWeeklyReview      = "weekly-review"
	NameIntegrityCheck    = "integrity-check"
	NameBaselineCalculate = "baseline-calculate"
	NameBaselinePropose   = "baseline-propose"
	NameBaselineApprove   = "baseline-approve"
	NameSLAReport         = "sla-report"
	NameEvidenceExport    = "evidence-export"
	NameLedgerAcknowledge = "ledger-acknowledge"
	NameKeysRotate        = "keys-rotate"
	NameNotify            = "notify"
)

// Job states recorded in job_end and job_fail events (docs/RULES.md, "Jobs").
const (
	StateCompleted        = "completed"
	StateFailed           = "failed"
	StateBlocked          = "blocked"
	StateAwaitingApproval = "awaiting_approval"
	// StateInterrupted: a signal cancelled the job; it abandoned its
	// current step and published nothing more.
	StateInterrupted = "interrupted"
)

// Step names of the checkpointed report jobs, in order. Each one saves its
// output under the job run's checkpoint directory, so a re-executed job
// resumes at the first unfinished step.
const (
	StepAnalyse    = "analyse"
	StepRenderJSON = "render_json"
	StepRenderXLSX = "render_xlsx"
	StepSign       = "sign"
	StepPublish    = "publish"
)
