package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/lock"
)

// TestIngestAfterStaleLock is the ingest job taking over a lock whose
// holder died without releasing it: like every job, it records
// lock_recovered naming the previous holder, then job_start, the ingest and
// job_end.
func TestIngestAfterStaleLock(t *testing.T) {
	root := copyRoot(t)
	env := testEnv(root)
	l := env.Layout
	if err := os.MkdirAll(l.StateDir, 0o750); err != nil {
		t.Fatal(err)
	}
	// A holder record with nobody holding the flock: a killed job's lock.
	dead := lock.Holder{PID: 999999, Command: "report weekly", Hostname: "gone", StartedAt: time.Date(2026, 11, 16, 10, 0, 0, 0, time.UTC)}
	rec, _ := json.Marshal(dead)
	if err := os.WriteFile(l.LockFile, append(rec, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}

	res, err := RunIngest(context.Background(), env, "")
	wantPlanted(t, err)
	if res.Loaded == 0 {
		t.Fatalf("ingest loaded nothing: %+v", res)
	}
	var events []string
	for _, e := range auditEvents(t, env) {
		events = append(events, e.Event)
		switch e.Event {
		case audit.EventLockRecovered:
			if got := e.Fields["previous_holder"]; got != dead.String() {
				t.Errorf("lock_recovered names %v, want %q", got, dead.String())
			}
		case audit.EventJobStart, audit.EventJobEnd:
			if e.Fields["job"] != job.NameIngest {
				t.Errorf("%s: job %v, want %s", e.Event, e.Fields["job"], job.NameIngest)
			}
		}
	}
	// inputs_read: the ingest is held to the inputs as every job is, and
	// this is the root's first job.
	want := []string{audit.EventLockRecovered, audit.EventJobStart, audit.EventInputsRead, audit.EventIngest, audit.EventStoreSealed, audit.EventJobEnd}
	if len(events) != len(want) {
		t.Fatalf("events %v, want %v", events, want)
	}
	for i := range want {
		if events[i] != want[i] {
			t.Fatalf("events %v, want %v", events, want)
		}
	}
	// The lock was released cleanly: the next job recovers nothing.
	_, err = RunIngest(context.Background(), env, "")
	wantPlanted(t, err)
	for _, e := range auditEvents(t, env)[len(want):] {
		if e.Event == audit.EventLockRecovered {
			t.Error("a clean release was recovered as stale")
		}
	}
}

// TestIngestLockHeld: while another process holds the lock, ingest
// returns a *job.LockHeldError naming it and writes nothing.
func TestIngestLockHeld(t *testing.T) {
	root := copyRoot(t)
	env := testEnv(root)
	lk, err := lock.Acquire(context.Background(), env.Layout.LockFile, 0, lock.CurrentHolder("report weekly", time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Release()
	_, err = RunIngest(context.Background(), env, "")
	var held *job.LockHeldError
	if !errors.As(err, &held) || held.Holder.Command != "report weekly" {
		t.Fatalf("err %v, want a LockHeldError naming the holder", err)
	}
	if _, err := os.Stat(env.Layout.AuditLog); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a job that did not get the lock wrote the audit log (%v)", err)
	}
}

// TestIngestOfALedgerCutShortWhileRead: a ledger truncated while the
// ingest job read it was loaded from stale buffer bytes, exit 0. The job
// now fails as an integrity problem (exit 4), committing nothing.
func TestIngestOfALedgerCutShortWhileRead(t *testing.T) {
	root := copyRoot(t)
	env := testEnv(root)
	ledger := env.Layout.Ledger
	cut := false
	env.Progress = func(done, total int64) {
		if !cut {
			cut = true
			if err := os.Truncate(ledger, done+1000); err != nil {
				t.Error(err)
			}
		}
	}
	res, err := RunIngest(context.Background(), env, "")
	if !errors.Is(err, job.ErrIntegrity) || !strings.Contains(err.Error(), "truncated since") {
		t.Fatalf("ingest of a ledger cut short while read: %v (%+v)", err, res)
	}
	var last audit.Entry
	for _, e := range auditEvents(t, env) {
		last = e
		if e.Event == audit.EventIngest {
			t.Errorf("an ingest was recorded: %v", e.Fields)
		}
	}
	if last.Event != audit.EventJobFail {
		t.Errorf("the log ends with %s, want %s", last.Event, audit.EventJobFail)
	}
}
