// Package reconcile checks ledgerlens's evidence against its records
// (docs/COMPLIANCE.md): the audit log against every signed checkpoint of it
// that can be found (the checkpoints file, the checkpoint each published
// report carries, checkpoints an auditor kept), and the output directories
// against the record of publication — the artifact_written entries of the
// audit log — both ways: every recorded file exists with its recorded
// SHA-256, every artifact-shaped file is recorded, signed and named for
// what it holds, every revision chain is complete. File names are read
// with reports.ParseName: a file named like a report but not as one is
// named (weekly_D.r01.json) is no publication, and is reported as such. A rejects file, which
// names no week or revision inside, is held to the weekly report of its
// name beside it (RejectsAgainstReport).
//
// It reads only, and lists every problem it finds rather than stopping at
// the first. It must not write to the log or the output directories, and
// it does not decide what a job records: package job writes the records
// and checkpoints this package checks.
package reconcile
