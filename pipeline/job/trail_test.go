package job

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/reports"
)

func signedEnv(t *testing.T) Env {
	t.Helper()
	env := testEnv(t)
	if _, err := reports.GenerateKey(env.Layout.KeysDir, rand.Reader); err != nil {
		t.Fatal(err)
	}
	return env
}

func runOK(t *testing.T, env Env) {
	t.Helper()
	if err := Run(context.Background(), env, "test", nil, func(context.Context, *Job) (Outcome, error) { return Outcome{}, nil }); err != nil {
		t.Fatal(err)
	}
}

// TestEveryJobEndsWithASignedCheckpoint: completed and failed jobs both
// leave a checkpoint that covers their last entry and verifies.
func TestEveryJobEndsWithASignedCheckpoint(t *testing.T) {
	env := signedEnv(t)
	runOK(t, env)
	_ = Run(context.Background(), env, "test", nil, func(context.Context, *Job) (Outcome, error) { return Outcome{}, errors.New("boom") })
	pub, err := RootPublicKey(env.Layout)
	if err != nil {
		t.Fatal(err)
	}
	cps, problems, err := StoredCheckpoints(env.Layout, pub, nil)
	if err != nil || len(problems) > 0 || len(cps) != 2 {
		t.Fatalf("checkpoints %v problems %v err %v", cps, problems, err)
	}
	if n := int64(len(events(t, env))); cps[1].Checkpoint.Size != n || cps[0].Checkpoint.Size != 2 {
		t.Errorf("checkpoint sizes %d, %d; log has %d entries", cps[0].Checkpoint.Size, cps[1].Checkpoint.Size, n)
	}
}

// TestRunRefusesALogThatFailsItsCheckpoint: truncated, emptied or edited
// logs are not extended.
func TestRunRefusesALogThatFailsItsCheckpoint(t *testing.T) {
	env := signedEnv(t)
	runOK(t, env)
	runOK(t, env)
	orig, _ := os.ReadFile(env.Layout.AuditLog)
	lines := bytes.SplitAfter(orig, []byte("\n"))
	for name, content := range map[string][]byte{
		"truncated": bytes.Join(lines[:3], nil),
		"emptied":   {},
		"edited":    bytes.Replace(orig, []byte(`"job":"test"`), []byte(`"job":"tesT"`), 1),
	} {
		t.Run(name, func(t *testing.T) {
			os.WriteFile(env.Layout.AuditLog, content, 0o644)
			defer os.WriteFile(env.Layout.AuditLog, orig, 0o644)
			err := Run(context.Background(), env, "test", nil, func(context.Context, *Job) (Outcome, error) {
				t.Fatal("work ran on a bad log")
				return Outcome{}, nil
			})
			if !errors.Is(err, ErrIntegrity) {
				t.Fatalf("got %v, want ErrIntegrity", err)
			}
			after, _ := os.ReadFile(env.Layout.AuditLog)
			if !bytes.Equal(after, content) {
				t.Error("the refused log was changed")
			}
		})
	}
}

// TestTornTailIsRepairedAndRecorded: a crash mid-append does not block the
// next job.
func TestTornTailIsRepairedAndRecorded(t *testing.T) {
	env := signedEnv(t)
	runOK(t, env)
	f, _ := os.OpenFile(env.Layout.AuditLog, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"event":"job_st`)
	f.Close()
	runOK(t, env)
	var repaired bool
	for _, e := range events(t, env) {
		repaired = repaired || e.Event == audit.EventAuditTailRepaired
	}
	if !repaired {
		t.Error("no audit_tail_repaired event")
	}
}

// TestMismatchedKeyPairIsRefused names both key ids.
func TestMismatchedKeyPairIsRefused(t *testing.T) {
	env := signedEnv(t)
	other := t.TempDir()
	info, err := reports.GenerateKey(other, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(info.PrivatePath)
	os.WriteFile(filepath.Join(env.Layout.KeysDir, reports.PrivateKeyFile), data, 0o600)
	pub, _ := RootPublicKey(env.Layout)
	err = Run(context.Background(), env, "test", nil, func(_ context.Context, j *Job) (Outcome, error) {
		_, err := j.Signer("")
		return Outcome{}, err
	})
	if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), info.KeyID) || !strings.Contains(err.Error(), reports.KeyID(pub)) {
		t.Fatalf("got %v, want a refusal naming %s and %s", err, info.KeyID, reports.KeyID(pub))
	}
}

// TestResumedStepMustMatchTheLog: a saved step output edited between
// attempts is discarded and redone, with a checkpoint_mismatch event.
func TestResumedStepMustMatchTheLog(t *testing.T) {
	env := testEnv(t)
	stop := errors.New("killed")
	key := RunKey{Job: NameWeeklyReview, Period: "2026-11-16", LedgerSHA: "abc"}
	work := func(runs *int, failAfter bool) Work {
		return func(ctx context.Context, j *Job) (Outcome, error) {
			s, err := j.StartSteps(ctx, key)
			if err != nil {
				return Outcome{}, err
			}
			var got []byte
			if err := s.Step(ctx, "analyse", "out.json", func() ([]byte, error) { *runs++; return []byte("true figure"), nil },
				func(b []byte) error { got = b; return nil }); err != nil {
				return Outcome{}, err
			}
			if failAfter {
				return Outcome{}, stop
			}
			if string(got) != "true figure" {
				t.Errorf("the step's output is %q", got)
			}
			return Outcome{}, s.Complete()
		}
	}
	runs := 0
	if err := Run(context.Background(), env, "test", nil, work(&runs, true)); !errors.Is(err, stop) {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(env.Layout.CheckpointsDir, RunID(key), "out.json"), []byte("edited"), 0o640)
	if err := Run(context.Background(), env, "test", nil, work(&runs, false)); err != nil {
		t.Fatal(err)
	}
	if runs != 2 {
		t.Errorf("the step ran %d times, want 2 (redone after the edit)", runs)
	}
	var mismatch bool
	for _, e := range events(t, env) {
		mismatch = mismatch || (e.Event == audit.EventCheckpointMismatch && e.Fields["step"] == "analyse")
	}
	if !mismatch {
		t.Error("no checkpoint_mismatch event")
	}
}

// TestKeySwappedByHandBlocksJobs: a key pair replaced by hand, not by
// `keys rotate`, leaves entries that no checkpoint of the new key covers
// and that it did not sign, so the next job refuses to vouch for them
// (exit 4). pipeline.TestRotateKeyKeepsJobsRunning plays the rotation.
func TestKeySwappedByHandBlocksJobs(t *testing.T) {
	env := signedEnv(t)
	runOK(t, env)
	old := t.TempDir()
	for _, f := range []string{reports.PrivateKeyFile, reports.PublicKeyFile} {
		if err := os.Rename(filepath.Join(env.Layout.KeysDir, f), filepath.Join(old, f)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := reports.GenerateKey(env.Layout.KeysDir, rand.Reader); err != nil {
		t.Fatal(err)
	}
	err := Run(context.Background(), env, "test", nil, func(context.Context, *Job) (Outcome, error) { return Outcome{}, nil })
	if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), "which no rotation signed by that key retired") {
		t.Fatalf("job after a hand-swapped key: %v, want an integrity error naming the replaced key", err)
	}
	pub, _ := RootPublicKey(env.Layout)
	if cps, _, _ := StoredCheckpoints(env.Layout, pub, nil); len(cps) != 0 {
		t.Fatalf("the refused job signed %d checkpoints with the new key", len(cps))
	}
}
