package audit

// Event names written by ledgerlens (docs/COMPLIANCE.md, "Integrity"). The log accepts any non-empty
// name; these constants keep writers and readers (evidence export, the
// integrity check) spelling them alike.
const (
	EventJobStart         = "job_start"
	EventJobEnd           = "job_end"
	EventJobFail          = "job_fail"
	EventJobStep          = "job_step"
	EventIngest           = "ingest"
	EventArtifactWritten  = "artifact_written"
	EventPublish          = "publish"
	EventPublishNoop      = "publish_noop"
	EventBaselineProposed = "baseline_proposed"
	EventBaselineApproved = "baseline_approved"
	EventBaselineApplied  = "baseline_applied"
	EventTamperDetected   = "tamper_detected"
	EventKeyGenerated     = "key_generated"
	// EventKeyRotated: ledgerlens keys rotate replaced the signing key;
	// from_key_id and to_key_id name both, and the checkpoint the new key
	// signs at the end of that job vouches for every entry before it.
	EventKeyRotated = "key_rotated"
	// EventKeyRotationUndone: a keys rotate killed before key_rotated was
	// recorded was undone by the next job; key_id is the key put back.
	EventKeyRotationUndone = "key_rotation_undone"
	EventLockRecovered     = "lock_recovered"
	// EventLedgerAcknowledged records an operator's signed acknowledgment
	// of ledger modifications (ledgerlens ledger acknowledge).
	EventLedgerAcknowledged = "ledger_acknowledged"
	// EventAuditTailRepaired: a torn last line (crash mid-append) was
	// completed or cut off; torn_bytes and torn_sha256 record what it was.
	EventAuditTailRepaired = "audit_tail_repaired"
	// EventCheckpointMismatch: a job's saved step output does not match
	// the digest the log recorded for it; the step is redone.
	EventCheckpointMismatch = "checkpoint_mismatch"
	// EventStoreSealed: a job closed the store; store_fingerprint and
	// wal_fingerprint (store.FileFingerprint) identify its files' bytes
	// (seals written before them carry store_sha256 and wal_sha256),
	// store_dir says the files were sealed in the store's own directory
	// (store.Dir; a seal without it is never trusted), and
	// verified_chunks names the
	// chunks whose rows that job loaded or checked (job/store_seal.go).
	EventStoreSealed = "store_sealed"
	// EventStoreReloaded: the store covered more of the ledger than the
	// newest ingest the log records (a job stopped between the store's
	// commit and its record); its derived tables were dropped and the
	// ledger loaded again. store_covered and recorded_covered say by how
	// much.
	EventStoreReloaded = "store_reloaded"
	// EventInputsRead: the input files (config, policy, baselines, cases,
	// incidents) a job read, by role with their SHA-256 (files), when they
	// differ from the ones the newest such entry names: a file read once
	// must not silently go missing (job.Job.LoadInputs).
	EventInputsRead = "inputs_read"
)
