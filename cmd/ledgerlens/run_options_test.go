package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunFunctionsRefuseBadOptions calls the run functions of demo,
// fixtures generate and ledger acknowledge without a command line: each
// refuses options it cannot run with as a usage error (exit 2), before it
// writes anything.
func TestRunFunctionsRefuseBadOptions(t *testing.T) {
	ctx := context.Background()
	var out, errb strings.Builder
	a := newApp(&out, &errb)
	a.root = t.TempDir()
	dir := filepath.Join(t.TempDir(), "new")
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"fixtures generate, a Tuesday", func() error {
			return runFixturesGenerate(ctx, a, FixturesGenerateOptions{Start: "2026-01-06", Out: dir})
		}, "--start"},
		{"fixtures generate, no --out", func() error {
			return runFixturesGenerate(ctx, a, FixturesGenerateOptions{Start: "2026-01-05"})
		}, "--out is required"},
		{"demo, no --out", func() error {
			return runDemo(ctx, a, DemoOptions{Runs: 1000})
		}, "--out is required"},
		{"ledger acknowledge, a backward range", func() error {
			return runLedgerAcknowledge(ctx, a, LedgerAcknowledgeOptions{Range: "5-3", By: "alice", Reason: "reviewed"})
		}, "--range"},
		{"ledger acknowledge, no --by", func() error {
			return runLedgerAcknowledge(ctx, a, LedgerAcknowledgeOptions{Range: "5", Reason: "reviewed"})
		}, "--by NAME and --reason TEXT are required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			var usage usageError
			if !errors.As(err, &usage) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want a usage error naming %q", err, tc.want)
			}
		})
	}
	if out.Len() > 0 {
		t.Errorf("printed on stdout: %q", out.String())
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("%s was created", dir)
	}
}

// TestVerifiersStopWhenCancelled: verify and audit verify took the
// command's context and passed it to none of their checks, so a verifier
// a signal had cancelled went on to the end and printed OK lines for what
// it checked after the signal (a code reading). Each now stops at the
// next file, bundle member or checkpoint, printing no OK line, and returns
// the context's error (exit 128+signal in main: "nothing was checked to
// the end").
func TestVerifiersStopWhenCancelled(t *testing.T) {
	root, bundle := exportedBundle(t)
	pub := filepath.Join(root, ".ledgerlens", "keys", "signing.pub")
	tests := []struct {
		name string
		run  func(ctx context.Context, a *app) error
	}{
		{"verify of published files", func(ctx context.Context, a *app) error {
			return runVerify(ctx, a, VerifyOptions{PubKey: pub, Files: []string{weeklyPath(root, focusWeek, 1, ".json"), weeklyPath(root, focusWeek, 1, ".xlsx")}})
		}},
		{"verify of a bundle", func(ctx context.Context, a *app) error {
			return runVerify(ctx, a, VerifyOptions{PubKey: pub, Files: []string{bundle}})
		}},
		{"audit verify", func(ctx context.Context, a *app) error {
			return runAuditVerify(ctx, a, AuditVerifyOptions{PubKey: pub})
		}},
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb strings.Builder
			a := newApp(&out, &errb)
			a.root = root
			if err := tc.run(cancelled, a); !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled: got %v, want the context's error", err)
			}
			if strings.Contains(out.String(), "OK ") {
				t.Errorf("printed an OK line after the cancellation:\n%s", out.String())
			}
			// Not cancelled, the same call passes: what stops it is the
			// context.
			out.Reset()
			if err := tc.run(context.Background(), a); err != nil || !strings.Contains(out.String(), "OK ") {
				t.Errorf("not cancelled: %v\n%s%s", err, out.String(), errb.String())
			}
		})
	}
}
