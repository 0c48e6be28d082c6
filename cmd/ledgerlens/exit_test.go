package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/lock"
	"github.com/ledgerlens/ledgerlens/reports"
)

// runInProcess runs the command line in this process, as main does.
func runInProcess(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return result{code, out.String(), errb.String()}
}

// mustRunIn runs the command line in process and fails the test unless it
// exits 0.
func mustRunIn(t *testing.T, args ...string) result {
	t.Helper()
	r := runInProcess(t, args...)
	if r.code != 0 {
		t.Fatalf("ledgerlens %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
	}
	return r
}

// emptyLedgerRoot returns a new root that looks like one: an empty ledger.
func emptyLedgerRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "runs", "CREDIT_MONITORING"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "runs", "CREDIT_MONITORING", "ledger.jsonl"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestUsageErrorsExit2: every bad command line exits 2 with a message
// naming what is wrong, and nothing runs.
func TestUsageErrorsExit2(t *testing.T) {
	// The --root check comes before the command's own flag checks.
	root := emptyLedgerRoot(t)
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"weekly: bad --week (not a Monday)", []string{"report", "weekly", "--week", "2026-11-17"}, "not a Monday"},
		{"weekly: bad --week (not a date)", []string{"report", "weekly", "--week", "last"}, "--week"},
		{"weekly: bad ISO --week", []string{"report", "weekly", "--week", "2026-W60"}, "--week"},
		{"weekly: bad --fail-on", []string{"report", "weekly", "--fail-on", "SEV9"}, "--fail-on"},
		{"weekly: bad --as-of", []string{"report", "weekly", "--as-of", "yesterday"}, "--as-of"},
		{"weekly: unknown flag", []string{"report", "weekly", "--no-such-flag"}, "unknown flag"},
		{"weekly: argument", []string{"report", "weekly", "extra"}, "unknown command"},
		{"sla: bad --month", []string{"report", "sla", "--month", "2026-13"}, "--month"},
		{"sla: bad --fail-on", []string{"report", "sla", "--fail-on", "P1"}, "--fail-on"},
		{"sla: unknown flag", []string{"report", "sla", "--week", "2026-11-16"}, "unknown flag"},
		{"evidence: bad --from", []string{"evidence", "export", "--from", "2026-02-30", "--to", "2026-03-31", "--out", "q.zip"}, `--from "2026-02-30": want a date`},
		{"evidence: bad --to", []string{"evidence", "export", "--from", "2026-01-01", "--to", "03/31/2026", "--out", "q.zip"}, `--to "03/31/2026": want a date`},
		{"fixtures: negative --runs", []string{"fixtures", "generate", "--runs", "-5", "--out", "never-written"}, "runs must not be negative"},
		{"fixtures: too few --weeks", []string{"fixtures", "generate", "--weeks", "2", "--out", "never-written"}, "weeks must be at least"},
		{"evidence: --from after --to", []string{"evidence", "export", "--from", "2026-12-01", "--to", "2026-11-01", "--out", "q.zip"}, "is after --to"},
		{"evidence: missing --out", []string{"evidence", "export", "--from", "2026-01-01", "--to", "2026-03-31"}, "required"},
		{"evidence: --out not a zip", []string{"evidence", "export", "--from", "2026-01-01", "--to", "2026-03-31", "--out", "q.tar"}, ".zip"},
		{"ingest: unknown flag", []string{"ingest", "--fast"}, "unknown flag"},
		{"ingest: flag without value", []string{"ingest", "--lock-timeout"}, "needs an argument"},
		{"ingest: bad duration", []string{"ingest", "--lock-timeout", "soon"}, "invalid argument"},
		{"query: --timeout beyond what jobs wait for", []string{"query", "--timeout", "1000h", "SELECT 1"}, "at most 1h0m0s"},
		{"baseline approve: no proposal", []string{"baseline", "approve", "--by", "bob"}, "accepts 1 arg"},
		{"baseline propose: neither", []string{"baseline", "propose", "--by", "alice"}, "exactly one"},
		{"baseline calculate: no scenario", []string{"baseline", "calculate"}, "--scenario"},
		{"verify: no file", []string{"verify"}, "requires at least 1 arg"},
		{"unknown command", []string{"reprot", "weekly"}, "unknown command"},
		{"bad --log-format", []string{"--log-format", "xml", "ingest"}, "--log-format"},
		{"fixtures: not a Monday", []string{"fixtures", "generate", "--start", "2026-01-06", "--out", "x"}, "Monday"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runInProcess(t, append([]string{"--root", root}, tt.args...)...)
			if r.code != exitUsage {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, exitUsage, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, "--help") {
				t.Errorf("stderr %q does not name %q and point at --help", r.stderr, tt.want)
			}
		})
	}
}

// TestMistypedHugePagesSettingExits2: LEDGERLENS_HUGEPAGES takes on or
// off; anything else is a usage error before the command touches the
// root, not a setting silently read as off (the real binary: the wrapper
// reads the variable before main runs, and reads "0" as off).
func TestMistypedHugePagesSettingExits2(t *testing.T) {
	root := emptyLedgerRoot(t)
	r := ledgerlens(t, []string{"LEDGERLENS_HUGEPAGES=0"}, "--root", root, "ingest")
	if r.code != exitUsage || !strings.Contains(r.stderr, `LEDGERLENS_HUGEPAGES="0"`) {
		t.Fatalf("exit %d, want %d naming the setting\n%s", r.code, exitUsage, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(root, ".ledgerlens")); !os.IsNotExist(err) {
		t.Fatalf("the rejected command created the state directory (stat: %v)", err)
	}
	for _, v := range []string{"off", "on"} {
		if r := ledgerlens(t, []string{"LEDGERLENS_HUGEPAGES=" + v}, "--root", root, "ingest"); r.code != exitOK {
			t.Fatalf("with the setting %s: exit %d\n%s", v, r.code, r.stderr)
		}
	}
}

// TestExitStatusMapping: the one mapping in main.go turns each typed error
// into its status, wherever it is wrapped.
func TestExitStatusMapping(t *testing.T) {
	held := &job.LockHeldError{Path: "x.lock", Holder: lock.Holder{PID: 7, Command: "report weekly"}}
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"usage", usagef("--week %q: bad", "x"), exitUsage},
		{"wrapped usage", fmt.Errorf("report: %w", usagef("bad")), exitUsage},
		{"findings", &findingsError{what: "policy violations", count: 2, failOn: "SEV1"}, exitFindings},
		{"lock held", held, exitLocked},
		{"lock held, wrapped", fmt.Errorf("demo: %w", held), exitLocked},
		{"blocked", job.Blocked(fmt.Errorf("policy.json:3: bad")), exitFailed},
		{"refused", job.Blocked(&job.RefusedError{Reason: "two-person rule"}), exitFailed},
		{"other", fmt.Errorf("disk full"), exitFailed},
		{"evidence integrity", &job.IntegrityError{Problems: []string{"audit log truncated"}}, exitIntegrity},
		{"evidence integrity, wrapped", fmt.Errorf("weekly: %w", job.ErrIntegrity), exitIntegrity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if got := exitStatus(context.Background(), newApp(&bytes.Buffer{}, &stderr), tt.err); got != tt.want {
				t.Fatalf("exit %d, want %d", got, tt.want)
			}
		})
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(interrupted{syscall.SIGINT})
	var stderr bytes.Buffer
	if got := exitStatus(ctx, newApp(&bytes.Buffer{}, &stderr), fmt.Errorf("analyse: %w", context.Canceled)); got != 128+int(syscall.SIGINT) {
		t.Errorf("interrupted by a signal: exit %d, want %d", got, 128+int(syscall.SIGINT))
	}
	if !strings.Contains(stderr.String(), "interrupted: nothing published") {
		t.Errorf("stderr %q does not say nothing was published", stderr.String())
	}
	// Integrity problems outrank findings, however wrapped.
	for _, err := range []error{&job.IntegrityError{Problems: []string{"ledger modified"}},
		fmt.Errorf("report: %w", &job.IntegrityError{Problems: []string{"x"}})} {
		if got := exitStatus(context.Background(), newApp(&bytes.Buffer{}, &bytes.Buffer{}), err); got != exitIntegrity {
			t.Errorf("%v: exit %d, want %d", err, got, exitIntegrity)
		}
	}
}

// TestHelpListsEveryExitStatus: `ledgerlens --help`, which an operator
// writing a cron entry reads, names every exit status main maps errors
// to, integrity problems included.
func TestHelpListsEveryExitStatus(t *testing.T) {
	for _, cmd := range [][]string{{"--help"}, {"report", "weekly", "--help"}, {"ingest", "--help"}, {"verify", "all", "--help"}} {
		r := mustRunIn(t, cmd...)
		if strings.Count(r.stdout, "Exit status:") != 1 {
			t.Errorf("ledgerlens %v: the exit statuses appear %d times, want once:\n%s", cmd, strings.Count(r.stdout, "Exit status:"), r.stdout)
		}
	}
	r := mustRunIn(t, "--help")
	_, list, ok := strings.Cut(r.stdout, "Exit status:")
	if !ok {
		t.Fatalf("help has no exit statuses:\n%s", r.stdout)
	}
	list, _, _ = strings.Cut(list, "\n\n")
	list = strings.Join(strings.Fields(list), " ")
	for _, tc := range []struct {
		code int
		what string
	}{
		{exitOK, "success"}, {exitFailed, "error"}, {exitUsage, "usage"}, {exitFindings, "findings"},
		{exitIntegrity, "integrity problem"}, {exitLocked, "another job holds the lock"},
	} {
		if want := fmt.Sprintf("%d %s", tc.code, tc.what); !strings.Contains(list, want) {
			t.Errorf("help's exit statuses lack %q: %s", want, list)
		}
	}
	if !strings.Contains(list, "128+n interrupted by signal n") {
		t.Errorf("help's exit statuses lack the signal's: %s", list)
	}
}

// TestOutputThatGoesNowhereExits1: a command whose standard output cannot
// be written (here /dev/full, as a full disk under `> file`) exits 1 and
// says so, instead of 0 with an empty file: `schedule crontab >
// /etc/cron.d/ledgerlens` must not leave an empty crontab behind silently.
func TestOutputThatGoesNowhereExits1(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full to write to: %v", err)
	}
	defer full.Close()
	root := copyFixture(t)
	for _, args := range [][]string{
		{"--help"},
		{"--root", root, "schedule", "crontab"},
	} {
		var errb bytes.Buffer
		code := run(context.Background(), args, full, &errb)
		if code != exitFailed || !strings.Contains(errb.String(), "write standard output") {
			t.Errorf("ledgerlens %v > /dev/full: exit %d, want %d\n%s", args, code, exitFailed, errb.String())
		}
	}
}

// TestActionRequiredEscapesControlCharacters: the action-required lines
// quote ledger values, and a run id holding ESC or BEL must not recolour
// or ring the operator's terminal.
func TestActionRequiredEscapesControlCharacters(t *testing.T) {
	var b bytes.Buffer
	printActionRequired(&b, []reports.ActionRequiredItem{{Severity: "SEV1", Text: "Open a case: R-\x00x\x1b[31mRED\x07"}})
	if strings.ContainsFunc(strings.TrimRight(b.String(), "\n"), func(r rune) bool { return r < 0x20 && r != '\n' }) {
		t.Errorf("control characters reached the output: %q", b.String())
	}
	if !strings.Contains(b.String(), `R-\x00x\x1b[31mRED\a`) {
		t.Errorf("the run id is not shown escaped: %q", b.String())
	}
}

// TestScheduleOfNoKnownJobIsRefused: a schedule naming no job was listed
// as enabled, with fire times, by schedule list, while schedule run and
// schedule crontab refused the same configuration.
func TestScheduleOfNoKnownJobIsRefused(t *testing.T) {
	root := copyFixture(t)
	cfg := filepath.Join(root, "config", "ledgerlens.json")
	if err := os.WriteFile(cfg, []byte(`{"schedules":[{"name":"bogus","spec":"0 10 * * 1"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"schedule", "list"}, {"schedule", "crontab"}} {
		r := runInProcess(t, append([]string{"--root", root}, args...)...)
		if r.code != exitFailed || !strings.Contains(r.stderr, "bogus") || !strings.Contains(r.stderr, "names no known job") {
			t.Errorf("ledgerlens %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
}

func TestProblemCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 problems", 1: "1 problem", 2: "2 problems"} {
		if got := problemCount(n); got != want {
			t.Errorf("problemCount(%d) = %q, want %q", n, got, want)
		}
	}
}
