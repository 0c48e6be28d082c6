package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/reports"
)

func TestWeeks(t *testing.T) {
	asuncion, err := time.LoadLocation("America/Asuncion")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string, loc *time.Location) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name       string
		start, end time.Time
		want       []string // Mondays; each week begins at the first instant of its Monday
	}{
		{"one whole week", at("2026-11-16 00:00", time.UTC), at("2026-11-23 00:00", time.UTC), []string{"2026-11-16T00:00:00Z"}},
		{"a month", at("2026-11-01 00:00", time.UTC), at("2026-12-01 00:00", time.UTC),
			[]string{"2026-10-26T00:00:00Z", "2026-11-02T00:00:00Z", "2026-11-09T00:00:00Z", "2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z"}},
		// 2023-10-01 has no 00:00 in Asuncion (the clocks went to 01:00):
		// the window's first day began an hour into time.Date's idea of it,
		// and the week of Monday the 2nd overlaps the window.
		{"from a day without a 00:00", at("2023-10-01 01:00", asuncion), at("2023-10-02 12:00", asuncion),
			[]string{"2023-09-25T00:00:00-04:00", "2023-10-02T00:00:00-03:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, w := range weeks(tt.start, tt.end) {
				got = append(got, w.Format(time.RFC3339))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("weeks(%s, %s) = %v, want %v", tt.start, tt.end, got, tt.want)
			}
		})
	}
}

// TestWhyMissing: what a bundle's index says of a week without a final
// report. A week with only a preliminary report was said to have been
// "published … but no longer in the reports directory", in signed
// evidence, with the preliminary files still there.
func TestWhyMissing(t *testing.T) {
	written := func(seq int64, path string) audit.Entry {
		return audit.Entry{Seq: seq, Event: audit.EventArtifactWritten, Fields: map[string]any{"path": path}}
	}
	for _, tc := range []struct {
		name    string
		entries []audit.Entry
		want    string
	}{
		{"only a preliminary report", []audit.Entry{written(7, "runs/CREDIT_REVIEWS/weekly_2026-03-02.preliminary.xlsx")},
			"only a preliminary report was published (audit seq 7, runs/CREDIT_REVIEWS/weekly_2026-03-02.preliminary.xlsx); no final report of the week"},
		{"a final report gone", []audit.Entry{written(7, "runs/CREDIT_REVIEWS/weekly_2026-03-02.preliminary.json"), written(9, "runs/CREDIT_REVIEWS/weekly_2026-03-02.json")},
			"published (audit seq 9, runs/CREDIT_REVIEWS/weekly_2026-03-02.json) but no longer in the reports directory"},
		{"nothing", nil, "the audit log records no weekly review of this week"},
		{"its job failed", []audit.Entry{{Seq: 4, Event: audit.EventJobFail, Fields: map[string]any{"period": "2026-03-02", "error": "the ledger is missing"}}},
			"the weekly job for this week failed (audit seq 4): the ledger is missing"},
		{"its job failed, and later one that named no week", []audit.Entry{
			{Seq: 4, Time: "2026-03-03T06:00:00Z", Event: audit.EventJobFail, Fields: map[string]any{"job": "weekly-review", "period": "2026-03-02", "error": "period 2026-03-02 has not ended"}},
			{Seq: 6, Time: "2026-03-09T06:00:00Z", Event: audit.EventJobFail, Fields: map[string]any{"job": "weekly-review", "error": "policy: not valid JSON"}},
			{Seq: 8, Time: "2026-03-09T07:00:00Z", Event: audit.EventJobFail, Fields: map[string]any{"job": "sla-report", "error": "other job"}}},
			"the weekly job for this week failed (audit seq 4): period 2026-03-02 has not ended; 1 weekly job(s) after the week ended failed before naming the week they were for, the newest at audit seq 6: policy: not valid JSON"},
		{"one that named no week failed before the one that did", []audit.Entry{
			{Seq: 5, Time: "2026-03-10T06:00:00Z", Event: audit.EventJobFail, Fields: map[string]any{"job": "weekly-review", "error": "policy: not valid JSON"}},
			{Seq: 7, Time: "2026-03-11T06:00:00Z", Event: audit.EventJobFail, Fields: map[string]any{"job": "weekly-review", "period": "2026-03-02", "error": "the ledger is missing"}}},
			"the weekly job for this week failed (audit seq 7): the ledger is missing; 1 weekly job(s) after the week ended failed before naming the week they were for, the newest at audit seq 5: policy: not valid JSON"},
		{"only jobs that named no week failed", []audit.Entry{
			{Seq: 5, Time: "2026-03-08T06:00:00Z", Event: audit.EventJobFail, Fields: map[string]any{"job": "weekly-review", "error": "before the week ended"}},
			{Seq: 6, Time: "2026-03-10T06:00:00Z", Event: audit.EventJobFail, Fields: map[string]any{"job": "weekly-review", "error": "policy: not valid JSON"}}},
			"the audit log records no weekly review of this week; 1 weekly job(s) after the week ended failed before naming the week they were for, the newest at audit seq 6: policy: not valid JSON"},
		{"only a preliminary report's job failed", []audit.Entry{{Seq: 4, Event: audit.EventJobFail, Fields: map[string]any{"period": "2026-03-02", "preliminary": true, "error": "the ledger is missing"}}},
			"the audit log records no weekly review of this week"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := whyMissing(tc.entries, "2026-03-02", time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC), "weekly-review"); got != tc.want {
				t.Errorf("whyMissing = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestBundleAgainstKeptCheckpoints: a bundle states the log's head when it
// was exported, with proofs to it from every stored checkpoint, so a
// reader who kept a checkpoint tells a current export from an older one
// and from one of a log rolled back and rewritten. A bundle's own
// checkpoint, the first that covers its entries, is shared by every later
// export of the range: an older export put in place of a new one
// verified as current (an outside review).
func TestBundleAgainstKeptCheckpoints(t *testing.T) {
	w := newWorld(t)
	// The bundle's checkpoint covers the log the world wrote; jobs went
	// on after it, to the head.
	stored := len(bytes.SplitAfter(w.log, []byte("\n"))) - 1
	log := bytes.Clone(w.log)
	for i := range 20 {
		log = append(log, appendedEntry(t, log, fmt.Sprint("later job ", i))...)
	}
	lines := bytes.SplitAfter(log, []byte("\n"))
	prefix := func(n int) []byte { return bytes.Join(lines[:n], nil) }
	src := w.source()
	src.AuditLog = log
	src.Checkpoints = []string{w.checkpoint(t, w.log), w.checkpoint(t, log)}
	data, idx := build(t, src)
	if idx.Audit.CheckpointSize != int64(stored) || idx.Audit.HeadSize != int64(stored+20) {
		t.Fatalf("checkpoint size %d, head size %d; want %d and %d", idx.Audit.CheckpointSize, idx.Audit.HeadSize, stored, stored+20)
	}
	forked := append(prefix(stored-1), appendedEntry(t, prefix(stored-1), "rewritten")...)
	other, err := reports.GenerateKey(t.TempDir(), bytes.NewReader(bytes.Repeat([]byte{9}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	otherSigner, err := reports.LoadSigner(other.PrivatePath)
	if err != nil {
		t.Fatal(err)
	}
	byOther := &world{signer: otherSigner}
	for _, tc := range []struct {
		name, kept, want string // want: "" verifies
	}{
		{"the head itself", w.checkpoint(t, log), ""},
		{"an older stored checkpoint", w.checkpoint(t, w.log), ""},
		{"a checkpoint signed after the export", w.checkpoint(t, append(bytes.Clone(log), appendedEntry(t, log, "later")...)), "before your checkpoint"},
		{"a log rolled back and rewritten", w.checkpoint(t, forked), "does not extend"},
		{"a size the exporting log never checkpointed", w.checkpoint(t, prefix(stored+1)), "held no checkpoint of"},
		{"another key's checkpoint", byOther.checkpoint(t, log), "neither the bundle's key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := verify(t, data)
			if !res.OK() || res.Head == nil {
				t.Fatalf("the bundle does not verify: %v", res.Err())
			}
			res.CheckKept("kept", tc.kept)
			switch {
			case tc.want == "" && (!res.OK() || res.Kept != 1):
				t.Errorf("kept checkpoint: %v, %d kept; want it extended", res.Err(), res.Kept)
			case tc.want != "" && (res.OK() || !strings.Contains(res.Err().Error(), tc.want)):
				t.Errorf("kept checkpoint: %v; want a problem saying %q", res.Err(), tc.want)
			}
		})
	}
}

// appendedEntry is one entry chained onto log, its note field note: the
// line an append to log would write.
func appendedEntry(t *testing.T, log []byte, note string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	if err := os.WriteFile(path, log, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := audit.Open(path, func() time.Time { return time.Date(2026, 8, 10, 0, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(context.Background(), audit.EventJobStep, map[string]any{"note": note}); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return after[len(log):]
}

// TestKeptCheckpointAcrossARotation: a checkpoint kept before `keys
// rotate`, against a bundle exported after it. The retired key was
// bundled only when it had signed a bundled file, so the kept checkpoint
// failed as "signed by neither key" (a false alarm); and a bundle checked
// with the key it ships vouched for the retired keys its own index lists,
// so a forger listing the real key passed a real witness (an outside
// review).
func TestKeptCheckpointAcrossARotation(t *testing.T) {
	w := newWorld(t)
	old := w.signer
	beforeRotation := w.checkpoint(t, w.log)
	next, nextPEM := w.rotate(t)
	log := append(bytes.Clone(w.log), appendedEntry(t, w.log, "after the rotation")...)
	src := w.source()
	src.AuditLog, src.PublicKeyPEM, src.RetiredKeys = log, nextPEM, []ed25519.PublicKey{old.Public()}
	// A range holding no file the old key signed.
	src.From, src.To = "2026-09-01", "2026-09-30"
	src.Checkpoints = []string{beforeRotation, w.checkpoint(t, log)}
	data, idx := build(t, src)
	if !slices.ContainsFunc(idx.RetiredKeys, func(k RetiredKey) bool { return k.KeyID == old.KeyID() }) {
		t.Fatalf("retired keys %+v lack %s, which signed a stored checkpoint", idx.RetiredKeys, old.KeyID())
	}
	for _, tc := range []struct {
		name string
		pub  ed25519.PublicKey // nil: the key the bundle ships
		want string            // "" verifies
	}{
		{"checked with the current key", next.Public(), ""},
		{"checked with the key the bundle ships", nil, "vouches for nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Verify(context.Background(), bytes.NewReader(data), int64(len(data)), tc.pub)
			if err != nil || !res.OK() {
				t.Fatalf("the bundle does not verify: %v %v", err, res.Err())
			}
			res.CheckKept("kept", beforeRotation)
			switch {
			case tc.want == "" && (!res.OK() || res.Kept != 1):
				t.Errorf("a checkpoint kept before the rotation: %v; want it extended", res.Err())
			case tc.want != "" && (res.OK() || !strings.Contains(res.Err().Error(), tc.want)):
				t.Errorf("a checkpoint kept before the rotation: %v; want a problem saying %q", res.Err(), tc.want)
			}
		})
	}
}
