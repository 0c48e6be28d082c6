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
