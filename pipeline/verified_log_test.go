package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/evidence"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
)

// forgedAckInPlace rewrites, in place and at the same length, the
// longest line of the audit log at path as a ledger_acknowledged entry
// naming the fixtures' planted conflicting duplicates: what someone who
// may write the log but lacks the key puts there after a job's check of
// it. It keeps the line's seq, time, prev, hash and sig, so only a check
// of the hash tells. It returns a function that puts the line back.
func forgedAckInPlace(t *testing.T, path string) (restore func()) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var longest []byte
	at := 0
	for pos := 0; pos < len(data); {
		n := bytes.IndexByte(data[pos:], '\n') + 1
		if n > len(longest) {
			longest, at = data[pos:pos+n], pos
		}
		pos += n
	}
	original := bytes.Clone(longest)
	e, err := audit.ParseEntry(longest)
	if err != nil {
		t.Fatal(err)
	}
	exp := expected(t)
	var dups []any
	for i, line := range exp.Ledger.DuplicateConflicting {
		dups = append(dups, map[string]any{"line_no": line, "run_id": exp.Ledger.DuplicateConflictingRunIDs[i]})
	}
	e.Event = audit.EventLedgerAcknowledged
	e.Fields = map[string]any{"by": "alice", "reason": "", "line_from": 1, "line_to": 1, "duplicates": dups}
	line, err := e.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	pad := len(original) - 1 - len(line)
	if pad < 0 {
		t.Fatalf("no line of the log is long enough for the forged entry (%d bytes)", len(line))
	}
	e.Fields["reason"] = strings.Repeat("x", pad)
	if line, err = e.MarshalJSON(); err != nil || len(line) != len(original)-1 {
		t.Fatalf("forged line: %d bytes, %v; want %d", len(line), err, len(original)-1)
	}
	writeAt := func(b []byte) {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteAt(b, int64(at)); err != nil {
			t.Fatal(err)
		}
	}
	writeAt(append(line, '\n'))
	return func() { writeAt(original) }
}

// signedIngestedRoot is a copy of the fixtures with a signing key, the
// ledger ingested: its planted conflicting duplicates await
// acknowledgment, an integrity problem until an operator gives one.
func signedIngestedRoot(t *testing.T) job.Env {
	t.Helper()
	env := testEnv(copyRoot(t))
	if _, err := GenerateKey(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	_, err := RunIngest(context.Background(), env, "")
	wantPlanted(t, err)
	return env
}

// TestAttackAcknowledgmentForgedWhileAWeeklyRuns: once the weekly job
// had verified the audit log, an entry was rewritten in place as an
// acknowledgment of the planted duplicates, and put back before the
// job's closing checkpoint. The job read the log's record of the ledger
// from the file again, unchecked: it published a report stating the
// acknowledgment, signed, exit 0 (an outside review, which won the race
// against the release binary). The job reads the record from the log it
// verified: the duplicates stay unacknowledged, exit 4.
func TestAttackAcknowledgmentForgedWhileAWeeklyRuns(t *testing.T) {
	env := signedIngestedRoot(t)
	var restore func()
	env.AfterStep = func(_ context.Context, step string) {
		switch step {
		case job.StepAuditLoaded:
			restore = forgedAckInPlace(t, env.Layout.AuditLog)
		case job.StepPublish:
			restore()
		}
	}
	_, err := RunWeekly(context.Background(), env, WeeklyOptions{Week: expected(t).FocusWeek})
	wantPlanted(t, err)
	if restore == nil {
		t.Fatal("the job never verified the log")
	}
}

// TestAttackAcknowledgmentForgedWhileVerifyAllReads: the same rewrite
// between verify all's check of the audit log and its read of the
// ledger's record: that second read, unchecked, hid the unacknowledged
// duplicates, and verify all exited 0 (an outside review). The record is
// read from the log the check verified.
func TestAttackAcknowledgmentForgedWhileVerifyAllReads(t *testing.T) {
	env := signedIngestedRoot(t)
	pub, err := job.RootPublicKey(env.Layout)
	if err != nil {
		t.Fatal(err)
	}
	forged := false
	env.AfterStep = func(_ context.Context, step string) {
		if step == job.StepAuditLoaded {
			forgedAckInPlace(t, env.Layout.AuditLog)
			forged = true
		}
	}
	rep, err := CheckIntegrity(context.Background(), env, pub)
	if err != nil {
		t.Fatal(err)
	}
	if !forged {
		t.Fatal("verify all never verified the log")
	}
	if want := len(expected(t).Ledger.DuplicateConflicting); len(rep.UnacknowledgedDuplicates) != want || rep.OK() {
		t.Errorf("verify all: %d unacknowledged duplicates, OK %v; want the %d planted, not OK", len(rep.UnacknowledgedDuplicates), rep.OK(), want)
	}
}

// TestAttackEntryForgedWhileAnExportBuilds: once the evidence export had
// verified the audit log, an unsigned job_fail entry for a week of the
// range was appended, with an unsigned checkpoints line claiming to
// cover it, and both were cut back once the bundle was built. The
// export read the log and the checkpoints again to build the bundle:
// the signed bundle's index gave the forged entry's text as the reason
// the week has no report, and every check of the bundle and the root
// passed (an outside review). The bundle is built from the log and the
// checkpoints the job verified.
func TestAttackEntryForgedWhileAnExportBuilds(t *testing.T) {
	env, _, _ := approvedRoot(t)
	now := time.Date(2026, 4, 2, 8, 0, 0, 0, time.UTC)
	env.Now = func() time.Time { return now }
	const week, forged = "2026-03-09", "FORGED: the week was skipped on purpose"
	var logBefore, cpsBefore []byte
	env.AfterStep = func(ctx context.Context, step string) {
		switch step {
		case job.StepBundleBuilding:
			logBefore, cpsBefore = readOrFatal(t, env.Layout.AuditLog), readOrFatal(t, job.AuditCheckpointsFile(env.Layout))
			forger, err := audit.Open(env.Layout.AuditLog, env.Now)
			if err != nil {
				t.Fatal(err)
			}
			e, err := forger.Append(ctx, audit.EventJobFail, map[string]any{"job": job.NameWeeklyReview, "period": week, "error": forged})
			if err != nil {
				t.Fatal(err)
			}
			stored, err := audit.ReadCheckpoints(job.AuditCheckpointsFile(env.Layout))
			if err != nil || len(stored) == 0 {
				t.Fatalf("checkpoints %v, %v", stored, err)
			}
			lines := strings.SplitN(stored[len(stored)-1].Note, "\n", 3)
			lines[1] = strconv.FormatInt(e.Seq, 10)
			if err := audit.AppendCheckpoint(job.AuditCheckpointsFile(env.Layout), []byte(strings.Join(lines, "\n")), job.NameWeeklyReview, now); err != nil {
				t.Fatal(err)
			}
		case job.StepBundleBuilt:
			writeOrFatal(t, env.Layout.AuditLog, logBefore)
			writeOrFatal(t, job.AuditCheckpointsFile(env.Layout), cpsBefore)
		}
	}
	out := filepath.Join(t.TempDir(), "march.zip")
	res, err := ExportEvidence(context.Background(), env, EvidenceOptions{From: "2026-03-01", To: "2026-03-31", Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if logBefore == nil {
		t.Fatal("the export never built its bundle")
	}
	found := false
	for _, p := range res.Index.Periods {
		if p.Week == week {
			found = true
			if strings.Contains(p.Why, "FORGED") {
				t.Errorf("the bundle's index gives the forged entry as the reason week %s is missing: %s", week, p.Why)
			}
		}
	}
	if !found {
		t.Fatalf("week %s not in the bundle's index %+v", week, res.Index.Periods)
	}
	if _, members := zipMembers(t, readOrFatal(t, out)); bytes.Contains(members[evidence.AuditSegment], []byte("FORGED")) {
		t.Error("the bundle's audit segment carries the forged entry")
	}
}

func readOrFatal(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeOrFatal(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
