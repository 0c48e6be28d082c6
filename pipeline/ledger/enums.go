package ledger

// Enumerations returns, per normalised field name, the values docs/RULES.md, "Inputs"
// allows. A value outside its list is kept as written and counted in the
// report's data quality section; it never rejects the line.
func Enumerations() map[string][]string {
	return map[string][]string{
		"job_type":             {"BINDER_EXPORT", "RECONCILE_BACKFILL", "ANALYSIS", "EMAIL_SEND", "FILING", "OTHER"},
		"status":               {"Success", "Failed", "Quarantined", "Escalated"},
		"severity":             {"SEV0", "SEV1", "SEV2", "SEV3", "SEV4"},
		"misconfig_likelihood": {"High", "Medium", "Low"},
	}
}

// Risk flag names ledgerlens knows (docs/RULES.md, "Runs" and "Policy").
const (
	FlagRetryLoop             = "retry_loop"
	FlagUnboundedIterator     = "unbounded_iterator"
	FlagMissingIdempotency    = "missing_idempotency"
	FlagSuddenPromptGrowth    = "sudden_prompt_growth"
	FlagDeploymentCorrelation = "deployment_correlation"
	FlagBatchJob              = "batch_job"
	FlagBackfillMode          = "backfill_mode"
	FlagLinearScaling         = "linear_scaling"
	FlagPIIExposure           = "pii_exposure"
	FlagRegulatoryData        = "regulatory_data"
)

// FlagNames returns the risk flag names of docs/RULES.md, "Inputs", sorted.
// The policy loader holds its risk_flags keys against them to catch a
// misspelt flag; a ledger may carry other flags.
func FlagNames() []string {
	return []string{FlagBackfillMode, FlagBatchJob, FlagDeploymentCorrelation, FlagLinearScaling, FlagMissingIdempotency,
		FlagPIIExposure, FlagRegulatoryData, FlagRetryLoop, FlagSuddenPromptGrowth, FlagUnboundedIterator}
}
