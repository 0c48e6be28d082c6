// Package evidence builds and verifies the compliance evidence bundle of
// docs/COMPLIANCE.md, "The evidence bundle" (`ledgerlens evidence export`, `ledgerlens verify F.zip`): a
// deterministic zip of every weekly and SLA report in a date range with
// their sidecars and signatures, the public key, the audit-log segment
// holding the records of publication of every bundled file (selected by
// sequence number) with the hash it chains from and its verification
// result, a signed checkpoint of the log with inclusion and consistency
// proofs, the log's newest signed checkpoint at export (its head) with a
// consistency proof to it from every stored checkpoint, so a reader's
// kept checkpoint tells an older export (Result.CheckKept), every weekly period of the range as present or missing, the
// signed acknowledgment records its weekly reports cite, the baseline
// proposals, approvals and notes, and index.json + INDEX.md
// mapping each file to the control it evidences.
//
// Build is a pure function of the files it is given: fixed member order,
// fixed timestamps taken from the range, no host names, absolute paths or
// clock readings, so the same range over the same inputs gives the same
// bytes. Verify re-performs every check offline and names the failing file
// or audit entry. The package must not take the lock, write the audit log
// or publish the bundle: package pipeline's evidence job does that.
package evidence
