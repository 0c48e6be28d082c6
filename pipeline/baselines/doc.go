// Package baselines holds the maker-checker records of baseline changes
// (docs/COMPLIANCE.md "Maker-checker baseline updates", the
// credit-monitoring runbook's Baseline Update Procedure): the proposal and
// approval records kept in runs/BASELINE_UPDATES/, the update_<date>.md
// note in the runbook's format (every value from a record escaped), the
// healthy-run median a proposal is calculated from, and the checks an
// approval must pass (SEV0/SEV1 runs, and runs in the window at all).
//
// It also owns who the people are: config/approvers, an OpenSSH
// allowed_signers file, and the SSHSIG signatures (namespace
// ledgerlens-baseline) by which a person signs a record — made here with
// a key file or an ssh-agent, or checked when made by `ssh-keygen -Y sign`.
// A name is always the principal the approvers file lists for the key that
// signed, never one typed on the command line.
//
// It defines the records, reads them back and runs the store queries the
// checks need. It must not take the job lock, write the audit log, publish
// files or rewrite config/credit-baselines.json: package pipeline's baseline
// jobs do that, in the order that keeps a crash recoverable. Nothing here
// reads the clock or the environment; every time and socket arrives as a
// parameter.
package baselines
