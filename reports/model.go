package reports

// Schema is the value of Weekly.Schema: consumers can switch on it.
const Schema = "ledgerlens.weekly/v1"

// Weekly is the weekly credit review (docs/RULES.md; docs/COMPLIANCE.md, "Integrity"). It is the single source
// of truth for every rendering: the JSON file is this struct marshalled, and
// the workbook reads its figures from here, never recomputing them.
//
// Field order is the JSON key order. Slices are always non-nil once built so
// empty sections render as [] rather than null. Optional numbers are pointers
// so "unknown" renders as null, not 0.
type Weekly struct {
	Schema      string `json:"schema"`
	ReportID    string `json:"report_id"`
	PeriodStart string `json:"period_start"`
	PeriodEnd   string `json:"period_end"`
	TimeZone    string `json:"time_zone"`
	// Preliminary marks a report of a period that had not ended (published
	// as weekly_<date>.preliminary.json, never under the final name).
	Preliminary bool `json:"preliminary,omitempty"`
	// ActionRequired lists, most severe first, what needs a person this
	// week (docs/RULES.md, "Action required"). It leads the JSON and the
	// Summary sheet; every entry points at the report entry holding the
	// detail.
	ActionRequired []ActionRequiredItem `json:"action_required"`
	Provenance
	SummaryStats        SummaryStats        `json:"summary_stats"`
	TopScenariosByTotal []Scenario          `json:"top_scenarios_by_total"`
	TopSpikeRuns        []SpikeRun          `json:"top_spike_runs"`
	PolicyViolations    []PolicyViolation   `json:"policy_violations"`
	BaselineCandidates  []BaselineCandidate `json:"baseline_candidates"`
	Scenarios           []Scenario          `json:"scenarios"`
	SpikeRuns           []SpikeRun          `json:"spike_runs"`
	Drift               []Drift             `json:"drift"`
	DriftMix            Drift               `json:"drift_mix"`
	Reliability         Reliability         `json:"reliability"`
	CreditsPerDay       []CreditsPerDay     `json:"credits_per_day"`
	DataQuality         DataQuality         `json:"data_quality"`
	Policy              PolicyThresholds    `json:"policy"`
	Notes               []string            `json:"notes"`
}

// Provenance says where a published report came from: its revision and
// what it supersedes, the program and key that made it, the audit head at
// job start and the inputs it was computed from. Weekly and SLA reports
// embed it, so these are top-level keys of both.
type Provenance struct {
	Revision         int       `json:"revision"`
	Supersedes       *string   `json:"supersedes"`
	Generator        Generator `json:"generator"`
	SigningKeyID     *string   `json:"signing_key_id"`
	AuditHeadAtStart string    `json:"audit_head_at_start"`
	// AuditCheckpoint is the signed checkpoint of the audit log (C2SP
	// tlog-checkpoint note) the job anchored to: the newest one when the
	// job first started; AuditHeadAtStart is the chain head at its size.
	// null on a root that has no checkpoint yet.
	AuditCheckpoint *string `json:"audit_checkpoint"`
	Inputs          Inputs  `json:"inputs"`
}

// SetHowMade sets on p, a published report's provenance, the fields of r,
// a new run's, that say only how a run was made, not what it found: the
// audit log's head and checkpoint, the generator (a re-run after an
// upgrade), and which key signed it when both are signed (a re-run after
// `keys rotate`; signed or not is compared). A re-run that finds the
// same is then a no-op, not a "differs" that only --supersede gets past.
func (p *Provenance) SetHowMade(r Provenance) {
	p.AuditHeadAtStart = r.AuditHeadAtStart
	p.AuditCheckpoint = r.AuditCheckpoint
	p.Generator = r.Generator
	if p.SigningKeyID != nil && r.SigningKeyID != nil {
		p.SigningKeyID = r.SigningKeyID
	}
}

// SummaryStats is section 1: headline figures for the period and the
// previous week. The recorded severity counts keep the runbook's names.
type SummaryStats struct {
	TotalCredits             float64        `json:"total_credits"`
	TotalRuns                int64          `json:"total_runs"`
	AvgCreditsPerRun         float64        `json:"avg_credits_per_run"`
	FailedRuns               int64          `json:"failed_runs"`
	Sev0Count                int64          `json:"sev0_count"`
	Sev1Count                int64          `json:"sev1_count"`
	Sev2Count                int64          `json:"sev2_count"`
	Sev3Count                int64          `json:"sev3_count"`
	Sev4Count                int64          `json:"sev4_count"`
	RecomputedSeverityCounts SeverityCounts `json:"recomputed_severity_counts"`
	PreviousWeek             PeriodTotals   `json:"previous_week"`
	TotalCreditsChangePct    *float64       `json:"total_credits_change_pct"`
	TotalRunsChangePct       *float64       `json:"total_runs_change_pct"`
	AvgCreditsChangePct      *float64       `json:"avg_credits_per_run_change_pct"`
	FailedRunsChangePct      *float64       `json:"failed_runs_change_pct"`
}

// SeverityCounts counts runs per severity; Unknown holds runs whose severity
// could not be computed (no baseline) or was recorded with a value outside
// SEV0..SEV4.
type SeverityCounts struct {
	SEV0    int64 `json:"SEV0"`
	SEV1    int64 `json:"SEV1"`
	SEV2    int64 `json:"SEV2"`
	SEV3    int64 `json:"SEV3"`
	SEV4    int64 `json:"SEV4"`
	Unknown int64 `json:"unknown"`
}

// PeriodTotals are the figures of the week before the period.
type PeriodTotals struct {
	PeriodStart              string         `json:"period_start"`
	TotalCredits             float64        `json:"total_credits"`
	TotalRuns                int64          `json:"total_runs"`
	AvgCreditsPerRun         float64        `json:"avg_credits_per_run"`
	FailedRuns               int64          `json:"failed_runs"`
	RecordedSeverityCounts   SeverityCounts `json:"recorded_severity_counts"`
	RecomputedSeverityCounts SeverityCounts `json:"recomputed_severity_counts"`
}

// Scenario is one row of scenarios and of top_scenarios_by_total: one
// scenario's figures for the period beside the previous week's.
type Scenario struct {
	ScenarioID         string   `json:"scenario_id"`
	ScenarioName       string   `json:"scenario_name"`
	TotalCredits       float64  `json:"total_credits"`
	RunCount           int64    `json:"run_count"`
	AvgCredits         float64  `json:"avg_credits"`
	MedianCredits      float64  `json:"median_credits"`
	P95Credits         float64  `json:"p95_credits"`
	MaxCredits         float64  `json:"max_credits"`
	CV                 float64  `json:"cv"`
	Baseline           *float64 `json:"baseline"`
	VarianceMultiplier *float64 `json:"variance_multiplier"`
	FailedRuns         int64    `json:"failed_runs"`
	PrevTotalCredits   float64  `json:"previous_total_credits"`
	PrevRunCount       int64    `json:"previous_run_count"`
	TotalChangePct     *float64 `json:"total_change_pct"`
	RunCountChangePct  *float64 `json:"run_count_change_pct"`
}

// SpikeRun is one row of top_spike_runs and spike_runs.
type SpikeRun struct {
	RunID                      string   `json:"run_id"`
	Timestamp                  string   `json:"timestamp"`
	ScenarioID                 string   `json:"scenario_id"`
	CreditsTotal               float64  `json:"credits_total"`
	Baseline                   *float64 `json:"baseline"`
	VarianceMultiplier         *float64 `json:"variance_multiplier"`
	RecordedVarianceMultiplier *float64 `json:"recorded_variance_multiplier"`
	Severity                   *string  `json:"severity"`
	RecordedSeverity           *string  `json:"recorded_severity"`
	MisconfigLikelihood        string   `json:"misconfig_likelihood"`
	MisconfigScore             float64  `json:"misconfig_score"`
	RecordedMisconfig          *string  `json:"recorded_misconfig_likelihood"`
	RiskFlags                  []string `json:"risk_flags"`
	Status                     string   `json:"status"`
	CaseID                     *string  `json:"case_id"`
	ArtifactsLink              *string  `json:"artifacts_link"`
	LineNo                     int64    `json:"line_no"`
}

// PolicyViolation is one row of policy_violations: one policy finding.
// Exactly the identifying fields that apply are set; the others are null.
type PolicyViolation struct {
	Type       string  `json:"type"`
	Severity   string  `json:"severity"`
	RunID      *string `json:"run_id"`
	CaseID     *string `json:"case_id"`
	ScenarioID *string `json:"scenario_id"`
	Detail     string  `json:"detail"`
	// Clock names the SLA clock of an sla_breach finding, with its start
	// and deadline; it is absent from every other finding.
	Clock *FindingClock `json:"clock,omitempty"`
}

// BaselineCandidate is one row of baseline_candidates (section 5).
type BaselineCandidate struct {
	ScenarioID         string   `json:"scenario_id"`
	RunCount           int64    `json:"run_count"`
	CV                 float64  `json:"cv"`
	AvgCredits         float64  `json:"avg_credits"`
	CurrentBaseline    *float64 `json:"current_baseline"`
	VarianceMultiplier *float64 `json:"variance_multiplier"`
	ProposedBaseline   *float64 `json:"proposed_baseline"`
	SampleSize         int64    `json:"sample_size"`
	ChangePct          *float64 `json:"change_pct"`
	Review             string   `json:"review"`
}

// Drift is the PSI of one scenario's credit distribution (or of the scenario
// mix, with ScenarioID "scenario_mix").
type Drift struct {
	ScenarioID    string   `json:"scenario_id"`
	PSI           *float64 `json:"psi"`
	Status        string   `json:"status"`
	ReferenceRuns int64    `json:"reference_runs"`
	CurrentRuns   int64    `json:"current_runs"`
}

// Reliability is section 7.
type Reliability struct {
	Services  []ServiceReliability  `json:"services"`
	Scenarios []ScenarioReliability `json:"scenarios"`
	Incidents []IncidentRow         `json:"incidents"`
}

// ServiceReliability is uptime, error budget and recovery figures of one
// service from the incidents file.
type ServiceReliability struct {
	Service            string   `json:"service"`
	UptimePct          float64  `json:"uptime_pct"`
	UptimeMTDPct       float64  `json:"uptime_mtd_pct"`
	SLOTargetPct       float64  `json:"slo_target_pct"`
	DowntimeMinutes    float64  `json:"downtime_minutes"`
	DowntimeMTDMinutes float64  `json:"downtime_mtd_minutes"`
	ErrorBudgetMinutes float64  `json:"error_budget_minutes"`
	BudgetConsumedPct  float64  `json:"budget_consumed_pct"`
	Freeze             bool     `json:"freeze"`
	Incidents          int64    `json:"incidents"`
	MTTDMinutes        *float64 `json:"mttd_minutes"`
	MTTAMinutes        *float64 `json:"mtta_minutes"`
	MTTRMinutes        *float64 `json:"mttr_minutes"`
	RTOTargetMinutes   float64  `json:"rto_target_minutes"`
	RTOP50Minutes      *float64 `json:"rto_p50_minutes"`
	RTOP95Minutes      *float64 `json:"rto_p95_minutes"`
	RTOMaxMinutes      *float64 `json:"rto_max_minutes"`
	RTOBreaches        []string `json:"rto_breaches"`
	RPOSeconds         *float64 `json:"rpo_seconds"`
}

// ScenarioReliability is failure-streak recovery for one scenario, from the
// ledger alone.
type ScenarioReliability struct {
	ScenarioID         string   `json:"scenario_id"`
	FailureStreaks     int64    `json:"failure_streaks"`
	RecoveryP50Minutes *float64 `json:"recovery_p50_minutes"`
	RecoveryP95Minutes *float64 `json:"recovery_p95_minutes"`
	RecoveryMaxMinutes *float64 `json:"recovery_max_minutes"`
	AvailabilityPct    float64  `json:"availability_pct"`
}

// IncidentRow is an incident overlapping the period, as listed in the
// workbook's Incidents sheet.
type IncidentRow struct {
	IncidentID      string   `json:"incident_id"`
	Service         string   `json:"service"`
	Severity        string   `json:"severity"`
	Impact          string   `json:"impact"`
	StartedAt       string   `json:"started_at"`
	DetectedAt      *string  `json:"detected_at"`
	AcknowledgedAt  *string  `json:"acknowledged_at"`
	ResolvedAt      *string  `json:"resolved_at"`
	DurationMinutes *float64 `json:"duration_minutes"`
	DataLossSeconds *float64 `json:"data_loss_seconds"`
}

// CreditsPerDay is one row of credits_per_day: the credits spent on one
// calendar day of the period, for the workbook's line chart.
type CreditsPerDay struct {
	Date    string  `json:"date"`
	Credits float64 `json:"credits"`
	Runs    int64   `json:"runs"`
}

// DataQuality is section 8.
type DataQuality struct {
	LinesRead         int64            `json:"lines_read"`
	Loaded            int64            `json:"loaded"`
	Rejected          int64            `json:"rejected"`
	RejectsSample     []Reject         `json:"rejects_sample"`
	Duplicates        int64            `json:"duplicates"`
	DuplicatesByKind  map[string]int64 `json:"duplicates_by_kind"`
	UnknownEnumValues []UnknownEnum    `json:"unknown_enum_values"`
	PartialTailBytes  int64            `json:"partial_tail_bytes"`
	AppendOnly        AppendOnly       `json:"append_only"`
	// ConflictingDuplicates lists every ledger line that repeats an
	// earlier run id with different content, in the whole ledger, with
	// the acknowledgment that names it, if any.
	ConflictingDuplicates []ConflictingDuplicate `json:"conflicting_duplicates"`
	LateArrivals          []LateArrival          `json:"late_arrivals"`
	// UnpublishedWeeks are the weeks (their Mondays, YYYY-MM-DD) after the
	// first published weekly review and before this one that have none:
	// a job that failed, or never ran, and nobody published the week since.
	UnpublishedWeeks []string `json:"unpublished_weeks"`
	// UnterminatedInputLines lists the cases or incidents file whose last
	// line had no newline: loaded when it was a complete JSON object,
	// otherwise counted as a write in progress. Absent when there is none.
	UnterminatedInputLines []UnterminatedLine `json:"unterminated_input_lines,omitempty"`
}

// UnterminatedLine is the last line of an input file that had no final
// newline.
type UnterminatedLine struct {
	File   string `json:"file"`
	LineNo int    `json:"line_no"`
	Bytes  int64  `json:"bytes"`
	Loaded bool   `json:"loaded"`
}

// Reject is one ledger line that could not be loaded.
type Reject struct {
	LineNo     int64  `json:"line_no"`
	ByteOffset int64  `json:"byte_offset"`
	Reason     string `json:"reason"`
	LineSHA256 string `json:"line_sha256"`
}

// UnknownEnum counts a value outside an enumeration (kept, not rejected).
type UnknownEnum struct {
	Field string `json:"field"`
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// AppendOnly is the result of the ledger's append-only check.
type AppendOnly struct {
	Status        string               `json:"status"` // "ok" or "modified"
	Modifications []LedgerModification `json:"modifications"`
}

// LedgerAck is who acknowledged a ledger modification, when and why
// (ledgerlens ledger acknowledge), and the signed record of it.
type LedgerAck struct {
	By     string `json:"by"`
	Reason string `json:"reason"`
	At     string `json:"at"`
	Record string `json:"record"`
}

// LedgerModification names a changed range of the already-loaded prefix.
type LedgerModification struct {
	// AuditSeq is the audit log's tamper_detected entry of this
	// detection; absent for one only the store recorded.
	AuditSeq         int64 `json:"audit_seq,omitempty"`
	DetectedAtIngest int64 `json:"detected_at_ingest"`
	ByteFrom         int64 `json:"byte_from"`
	ByteTo           int64 `json:"byte_to"`
	LineFrom         int64 `json:"line_from"`
	LineTo           int64 `json:"line_to"`
	// Acknowledgment is the operator's signed acknowledgment covering
	// this modification; absent while none exists.
	Acknowledgment *LedgerAck `json:"acknowledgment,omitempty"`
}

// ConflictingDuplicate is a ledger line that repeats an earlier line's run
// id with different content; the earlier line counts.
type ConflictingDuplicate struct {
	LineNo      int64  `json:"line_no"`
	FirstLineNo int64  `json:"first_line_no"`
	RunID       string `json:"run_id"`
	// Acknowledgment is the operator's signed acknowledgment naming this
	// duplicate; absent while none exists (an integrity problem: jobs
	// exit 4).
	Acknowledgment *LedgerAck `json:"acknowledgment,omitempty"`
}

// LateArrival counts runs that landed after a week's report was published.
type LateArrival struct {
	Week          string  `json:"week"`
	PublishedFile string  `json:"published_file"`
	Count         int64   `json:"count"`
	Credits       float64 `json:"credits"`
}

// Inputs records every input file the report was computed from.
type Inputs struct {
	Ledger    LedgerInput `json:"ledger"`
	Files     []InputFile `json:"files"`
	Baselines string      `json:"baselines_source"`
	Policy    string      `json:"policy_source"`
}

// LedgerInput is the ledger as covered by the store at report time.
type LedgerInput struct {
	Path         string `json:"path"`
	SHA256       string `json:"sha256"`
	BytesCovered int64  `json:"bytes_covered"`
	LinesCovered int64  `json:"lines_covered"`
}

// InputFile is one non-ledger input actually used.
type InputFile struct {
	Role   string `json:"role"`
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Generator names the program that wrote the report.
type Generator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// PolicyThresholds echoes the thresholds in force, so the report can be
// re-performed without the policy file.
type PolicyThresholds struct {
	Sev0Multiplier     float64  `json:"sev0_multiplier"`
	Sev1Multiplier     float64  `json:"sev1_multiplier"`
	Sev2Multiplier     float64  `json:"sev2_multiplier"`
	Sev3Multiplier     float64  `json:"sev3_multiplier"`
	HealthyRunStatuses []string `json:"healthy_run_statuses"`
	BaselineWindowDays int      `json:"baseline_window_days"`
}
