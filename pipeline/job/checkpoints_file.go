package job

import (
	"fmt"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
)

// The fields of job_start that record the checkpoints file as the job
// found it: how many complete lines, and the SHA-256 of them. Each line's
// note is signed, but a line deleted or repeated between others, or its
// time and job (for people, unsigned) rewritten, changed nothing a
// signature covers and was found by no verifier (an outside review).
// Recorded in the signed log, every line but those written since the
// newest job_start is held to its bytes (CheckpointsFileProblem).
const (
	fieldCheckpointsLines  = "checkpoints_lines"
	fieldCheckpointsSHA256 = "checkpoints_sha256"
)

// checkpointsFileRecord is what job_start records of the checkpoints
// file's bytes data (nil: no file).
func checkpointsFileRecord(data []byte) map[string]any {
	n := audit.CompleteLines(data)
	digest, _ := audit.LinesDigest(data, n)
	return map[string]any{fieldCheckpointsLines: n, fieldCheckpointsSHA256: digest}
}

// CheckpointsFileProblem is the problem of the checkpoints file name,
// bytes data, against the newest record of it in entries, a verified log
// ("" for none, or no record): its first lines must be, byte for byte,
// those the job that recorded it found. Jobs only append to the file,
// and cut only a torn last line, which is no complete line.
func CheckpointsFileProblem(name string, entries []audit.Entry, data []byte) string {
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.Event != audit.EventJobStart {
			continue
		}
		want, ok := e.Fields[fieldCheckpointsSHA256].(string)
		if !ok {
			continue // written before jobs recorded it
		}
		n := fieldInt(e.Fields, fieldCheckpointsLines)
		got, ok := audit.LinesDigest(data, n)
		switch {
		case !ok:
			return fmt.Sprintf("%s: %d complete lines, fewer than the %d the job that started at audit seq %d found: lines were deleted, or the file cut or removed",
				name, audit.CompleteLines(data), n, e.Seq)
		case got != want:
			return fmt.Sprintf("%s: its first %d lines hash to sha256 %s, not to the %s the job that started at audit seq %d found: lines were deleted, repeated, reordered or edited",
				name, n, got, want, e.Seq)
		}
		return ""
	}
	return ""
}
