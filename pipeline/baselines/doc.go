// Package baselines holds the maker-checker records of baseline changes
// (docs/COMPLIANCE.md, "Maker-checker baseline updates", the credit-monitoring runbook's Baseline Update Procedure): the
// signed proposal and approval records kept in runs/BASELINE_UPDATES/, the
// update_<date>.md note in the runbook's format, the healthy-run median a
// proposal is calculated from, and the SEV0/SEV1 check an approval must
// pass.
//
// It defines the records, reads them back and runs the store queries the
// checks need. It must not take the job lock, write the audit log, publish
// files or rewrite config/credit-baselines.json: package pipeline's baseline
// jobs do that, in the order that keeps a crash recoverable. Nothing here
// reads the clock; every time arrives as a parameter.
package baselines
