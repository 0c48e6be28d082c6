package job

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
)

// TestJobSignsNoCheckpointOverAForgedEntry: someone who can write the
// audit log but holds no key writes a chained, unsigned entry at the two
// moments a job reads the log's head (outside reviews): after the job
// verified the log and before it opened it for appending, where a second
// read of the file took the entry for the head; and between its last
// entry and its closing checkpoint, rewriting that entry in place at the
// same length, which no size tells. Each time the job signed its
// checkpoint over the forged entry and succeeded. Now it fails with an
// integrity problem, and no checkpoint covers the entry.
func TestJobSignsNoCheckpointOverAForgedEntry(t *testing.T) {
	for _, tc := range []struct {
		step  string
		forge func(t *testing.T, path string)
		want  string
	}{
		{StepAuditLoaded, func(t *testing.T, path string) { forgeEntry(t, path, nil, "") }, "not signed by the root's key"},
		{StepAuditClosed, func(t *testing.T, path string) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			last := bytes.LastIndexByte(data[:len(data)-1], '\n') + 1
			n := forgeEntry(t, path, data[:last], "")
			if n > len(data)-last || forgeEntry(t, path, data[:last], strings.Repeat("x", len(data)-last-n)) != len(data)-last {
				t.Fatalf("cannot forge an entry of the job's last one's length (%d bytes; %d at the least)", len(data)-last, n)
			}
		}, "the log was rewritten while the job ran"},
	} {
		t.Run(tc.step, func(t *testing.T) {
			env := signedEnv(t)
			runOK(t, env)
			cps := AuditCheckpointsFile(env.Layout)
			before, err := os.ReadFile(cps)
			if err != nil {
				t.Fatal(err)
			}
			env.AfterStep = func(_ context.Context, step string) {
				if step == tc.step {
					tc.forge(t, env.Layout.AuditLog)
				}
			}
			err = Run(context.Background(), env, "test", nil, func(context.Context, *Job) (Outcome, error) { return Outcome{}, nil })
			if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("the job: %v; want an integrity problem naming %q", err, tc.want)
			}
			if after, err := os.ReadFile(cps); err != nil || !bytes.Equal(after, before) {
				t.Errorf("a checkpoint was signed (%v):\n%s", err, after[len(before):])
			}
		})
	}
}

// forgeEntry writes the log at path as prefix (nil: as it is) followed by
// one unsigned ingest entry chained onto it, its note field note, stamped
// at a fixed time, and returns the entry line's length.
func forgeEntry(t *testing.T, path string, prefix []byte, note string) int {
	t.Helper()
	if prefix != nil {
		if err := os.WriteFile(path, prefix, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	forger, err := audit.Open(path, func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := forger.Append(context.Background(), audit.EventIngest, map[string]any{"ingest_event": "initial", "note": note}); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return int(after.Size() - fi.Size())
}
