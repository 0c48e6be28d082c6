package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/xuri/excelize/v2"

	"github.com/ledgerlens/ledgerlens/fixtures"
	"github.com/ledgerlens/ledgerlens/reports"
)

// These tests run the real binary as a subprocess on a generated working
// root: signals, exit codes, files on disk and the audit log are what a
// cron host sees.

var (
	binary     string // the ledgerlens binary built for the tests
	fixtureDir string // a generated working root; tests copy it
	focusWeek  string
)

// run is runWith without a store probe, as the tests run commands in
// process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runWith(ctx, args, stdout, stderr, nil)
}

func TestMain(m *testing.M) {
	if path := os.Getenv(peakFileEnv); path != "" {
		os.Exit(measureChild(path, os.Args[1:]))
	}
	if path := os.Getenv(posixLockEnv); path != "" {
		os.Exit(holdPOSIXLock(path))
	}
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "ledgerlens-cli-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	defer func() {
		if forAllPath != "" {
			os.RemoveAll(filepath.Dir(forAllPath)) // binaryForAll's
		}
		if publishedDir != "" {
			os.RemoveAll(publishedDir) // publishedRoot's, left behind by every run before
		}
	}()
	binary = filepath.Join(dir, "ledgerlens")
	if b := os.Getenv("LEDGERLENS_TEST_BINARY"); b != "" {
		// Run the tests against another build, e.g. an older commit's, to
		// see which attacks it lets pass (docs/COMPLIANCE.md).
		binary = b
	} else if out, err := exec.Command("go", "build", "-tags", "ledgerlens_faults", "-o", binary, ".").CombinedOutput(); err != nil {
		return 0, fmt.Errorf("build: %v\n%s", err, out)
	}
	fixtureDir = filepath.Join(dir, "fixture")
	exp, err := fixtures.Generate(context.Background(), fixtures.Options{
		Runs: 20000, Weeks: 8, Start: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), Seed: 1, Out: fixtureDir,
		// Jobs on this root end 0: the conflicting duplicate the fixtures
		// plant is an integrity problem (exit 4), which
		// TestConflictingDuplicateFailsUntilAcknowledged covers.
		NoConflictingDuplicate: true,
	})
	if err != nil {
		return 0, err
	}
	focusWeek = exp.FocusWeek
	return m.Run(), nil
}

func copyFixture(t *testing.T) string {
	t.Helper()
	return copyRoot(t, fixtureDir)
}

// copyRoot is a copy of the tree under src in a new temporary directory.
func copyRoot(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	copyInto(t, src, dst)
	return dst
}

// copyInto copies the tree under src into dst, keeping modes, times and
// links (cp -a).
func copyInto(t *testing.T, src, dst string) {
	t.Helper()
	if out, err := exec.Command("cp", "-a", src+"/.", dst).CombinedOutput(); err != nil {
		t.Fatalf("copy %s: %v %s", src, err, out)
	}
}

// series is how the metrics file names metric's series for job on root
// (a temporary directory, so its own real path).
func series(metric, job, root string) string {
	return fmt.Sprintf("%s{job=%q,root=%q}", metric, job, root)
}

type result struct {
	code           int
	stdout, stderr string
}

func ledgerlens(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return ledgerlensIn(t, "", env, args...)
}

// ledgerlensIn is ledgerlens run in the directory dir ("": the test's).
func ledgerlensIn(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	return runCommand(t, cmd)
}

// runCommand runs cmd and returns its exit status and output.
func runCommand(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

func mustRun(t *testing.T, args ...string) result {
	t.Helper()
	r := ledgerlens(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("ledgerlens %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
	}
	return r
}

func reviews(root string) string { return filepath.Join(root, "runs", "CREDIT_REVIEWS") }

func TestTamperDetection(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek)
	jsonPath := filepath.Join(reviews(root), "weekly_"+focusWeek+".json")
	xlsxPath := filepath.Join(reviews(root), "weekly_"+focusWeek+".xlsx")
	mustRun(t, "--root", root, "verify", jsonPath, xlsxPath)

	t.Run("openssl verifies the signature as the README shows", func(t *testing.T) {
		if _, err := exec.LookPath("openssl"); err != nil {
			t.Skip("openssl not installed")
		}
		script := fmt.Sprintf(`set -e; cd %q; base64 -d weekly_%s.json.sig > s.bin; openssl pkeyutl -verify -pubin -inkey ../../.ledgerlens/keys/signing.pub -rawin -in weekly_%s.json -sigfile s.bin; rm s.bin; sha256sum -c weekly_%s.json.sha256`,
			reviews(root), focusWeek, focusWeek, focusWeek)
		if out, err := exec.Command("bash", "-c", script).CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	})

	t.Run("openssl verifies the signatures as the workbook's About sheet shows", func(t *testing.T) {
		if _, err := exec.LookPath("openssl"); err != nil {
			t.Skip("openssl not installed")
		}
		f, err := excelize.OpenFile(xlsxPath)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows("About")
		if err != nil {
			t.Fatal(err)
		}
		var recipes int
		for _, row := range rows {
			for _, cell := range row {
				if !strings.Contains(cell, "openssl pkeyutl") {
					continue
				}
				recipes++
				// As the sheet says: in runs/CREDIT_REVIEWS/, leaving
				// nothing there.
				before, _ := os.ReadDir(reviews(root))
				recipe := exec.Command("bash", "-c", "set -e; cd "+reviews(root)+"; "+cell)
				recipe.Env = append(os.Environ(), "TMPDIR="+t.TempDir()) // its mktemp file
				if out, err := recipe.CombinedOutput(); err != nil {
					t.Errorf("%s: %v\n%s", cell, err, out)
				}
				if after, _ := os.ReadDir(reviews(root)); len(after) != len(before) {
					t.Errorf("%s left %d files in the reports directory", cell, len(after)-len(before))
				}
			}
		}
		if recipes != 2 {
			t.Errorf("%d OpenSSL recipes on the About sheet, want 2 (report and workbook)", recipes)
		}
	})

	t.Run("one byte changed in a report", func(t *testing.T) {
		data, _ := os.ReadFile(jsonPath)
		tampered := bytes.Replace(data, []byte(`"total_runs": `), []byte(`"total_runs":  `), 1)
		os.WriteFile(jsonPath, tampered, 0o644)
		defer os.WriteFile(jsonPath, data, 0o644)
		r := ledgerlens(t, nil, "--root", root, "verify", jsonPath)
		if r.code != 4 || !strings.Contains(r.stdout, "sha256 mismatch") || !strings.Contains(r.stdout, "signature") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})

	auditPath := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	original, _ := os.ReadFile(auditPath)
	lines := strings.SplitAfter(string(original), "\n")
	for _, tt := range []struct {
		name   string
		mutate func([]string) []string
		want   string
	}{
		{"edited audit line", func(l []string) []string {
			l = append([]string{}, l...)
			l[3] = strings.Replace(l[3], `"event":"`, `"event":"x`, 1)
			return l
		}, "line 4"},
		{"deleted audit line", func(l []string) []string {
			return append(append([]string{}, l[:3]...), l[4:]...)
		}, "line 4"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			os.WriteFile(auditPath, []byte(strings.Join(tt.mutate(lines), "")), 0o644)
			defer os.WriteFile(auditPath, original, 0o644)
			r := ledgerlens(t, nil, "--root", root, "audit", "verify")
			if r.code != 4 || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("exit %d, want 4 naming %q\n%s%s", r.code, tt.want, r.stdout, r.stderr)
			}
		})
	}

	t.Run("key readable by others is refused", func(t *testing.T) {
		key := filepath.Join(root, ".ledgerlens", "keys", "signing.key")
		os.Chmod(key, 0o644)
		defer os.Chmod(key, 0o600)
		r := ledgerlens(t, nil, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
		if r.code != 1 || !strings.Contains(r.stderr, "chmod 600") {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
	})
}

// TestKilledJobResumes SIGKILLs the weekly job right after a step and checks
// that the re-run resumes (the audit log shows the finished steps skipped),
// leaves no temp files and publishes the same bytes as an uninterrupted run:
// the same JSON, and the same workbook, which an uninterrupted run starts
// rendering before the analyse step ends and a run resumed after it renders
// from the saved model.
func TestKilledJobResumes(t *testing.T) {
	clean := copyFixture(t)
	mustRun(t, "--root", clean, "report", "weekly", "--week", focusWeek, "--unsigned")
	want, err := os.ReadFile(filepath.Join(reviews(clean), "weekly_"+focusWeek+".json"))
	if err != nil {
		t.Fatal(err)
	}
	wantXLSX, err := os.ReadFile(filepath.Join(reviews(clean), "weekly_"+focusWeek+".xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"analyse", "render_json", "render_xlsx", "sign"} {
		t.Run(step, func(t *testing.T) {
			root := copyFixture(t)
			killWeeklyAfter(t, root, step, "--unsigned")
			mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek, "--unsigned")
			got, err := os.ReadFile(filepath.Join(reviews(root), "weekly_"+focusWeek+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatal("resumed run's JSON differs from an uninterrupted run's")
			}
			gotXLSX, err := os.ReadFile(filepath.Join(reviews(root), "weekly_"+focusWeek+".xlsx"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(gotXLSX, wantXLSX) {
				t.Fatal("resumed run's workbook differs from an uninterrupted run's")
			}
			entries, _ := os.ReadDir(reviews(root))
			for _, e := range entries {
				if strings.HasSuffix(e.Name(), ".tmp") || strings.HasPrefix(e.Name(), ".") {
					t.Errorf("temp file left in the output directory: %s", e.Name())
				}
			}
			audit, _ := os.ReadFile(filepath.Join(root, ".ledgerlens", "audit.jsonl"))
			if !strings.Contains(string(audit), `"step":"`+step+`","status":"skipped (already done)"`) &&
				!strings.Contains(string(audit), `"status":"skipped (already done)","step":"`+step+`"`) {
				t.Errorf("audit log does not show step %s skipped on resume", step)
			}
			mustRun(t, "--root", root, "audit", "verify")
		})
	}
}

// TestAbandonedCheckpointIsRemoved: a run killed after its renderings
// leaves its checkpoint behind (the analysis and the prepared report and
// workbook). While the ledger is unchanged a later run may resume it, so a
// completed run of another week keeps it; once the ledger has grown no run
// can, and the next completed run removes it.
func TestAbandonedCheckpointIsRemoved(t *testing.T) {
	root := copyFixture(t)
	checkpoints := filepath.Join(root, ".ledgerlens", "checkpoints")
	killWeeklyAfter(t, root, "render_xlsx", "--unsigned")
	abandoned := onlyCheckpoint(t, checkpoints)

	mustRun(t, "--root", root, "report", "weekly", "--week", weekBefore(t, focusWeek), "--unsigned")
	if _, err := os.Stat(abandoned); err != nil {
		t.Fatalf("a run on the same ledger removed a checkpoint that can still resume: %v", err)
	}

	appendLedgerLines(t, root, `{"Run_ID":"R-AFTER-KILL","Timestamp":"`+focusWeek+`T09:00:00Z","Scenario_ID":"S","Credits_Total":1}`)
	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek, "--unsigned")
	left, err := os.ReadDir(checkpoints)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("checkpoint %s left after a completed run on a longer ledger", e.Name())
	}
	mustRun(t, "--root", root, "audit", "verify")
}

// TestLinkedCheckpointsAreNotPruned: a checkpoints directory that is a
// symbolic link (shared by two roots, or swapped in by someone who can
// write the state directory) is not pruned, and that refusal does not
// fail the completed run: it is housekeeping, reported as a warning.
func TestLinkedCheckpointsAreNotPruned(t *testing.T) {
	root := copyFixture(t)
	shared := t.TempDir()
	checkpoints := filepath.Join(root, ".ledgerlens", "checkpoints")
	if err := os.MkdirAll(filepath.Dir(checkpoints), 0o750); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(checkpoints)
	if err := os.Symlink(shared, checkpoints); err != nil {
		t.Fatal(err)
	}
	killWeeklyAfter(t, root, "analyse", "--unsigned")
	left := onlyCheckpoint(t, shared)
	appendLedgerLines(t, root, `{"Run_ID":"R-AFTER-KILL","Timestamp":"`+focusWeek+`T09:00:00Z","Scenario_ID":"S","Credits_Total":1}`)
	r := mustRun(t, "--root", root, "--log-level", "warn", "report", "weekly", "--week", focusWeek, "--unsigned")
	if !strings.Contains(r.stderr, "abandoned checkpoints not removed") {
		t.Errorf("no warning about the checkpoints left:\n%s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(left, "state.json")); err != nil {
		t.Errorf("a checkpoint behind a symbolic link was removed: %v", err)
	}
}

// TestSignStepSignsWhatIsPublished: the signatures the sign step records
// (before anything is published) are each published file's own: the
// report's for the report, the workbook's for the workbook (Ed25519 is
// deterministic, so the publication's .sig files hold the same bytes).
func TestSignStepSignsWhatIsPublished(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	killWeeklyAfter(t, root, "sign")
	saved, err := filepath.Glob(filepath.Join(root, ".ledgerlens", "checkpoints", "*", "signatures.json"))
	if err != nil || len(saved) != 1 {
		t.Fatalf("the sign step's checkpoint: %v %v", saved, err)
	}
	data, err := os.ReadFile(saved[0])
	if err != nil {
		t.Fatal(err)
	}
	var sigs map[string]string
	if err := json.Unmarshal(data, &sigs); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek)
	for _, ext := range []string{"json", "xlsx"} {
		published, err := os.ReadFile(filepath.Join(reviews(root), "weekly_"+focusWeek+"."+ext+".sig"))
		if err != nil {
			t.Fatal(err)
		}
		if sigs[ext] == "" || sigs[ext] != strings.TrimSpace(string(published)) {
			t.Errorf("the sign step recorded %q for the %s, the publication signed it %q", sigs[ext], ext, strings.TrimSpace(string(published)))
		}
	}
}

// TestSignStepOfAnotherKeyIsSignedAgain: a run killed after its sign step
// and resumed after `keys rotate` finds the old key's signatures in its
// checkpoint; the publication signs with the current key instead of
// writing them, so what it publishes verifies.
func TestSignStepOfAnotherKeyIsSignedAgain(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	killWeeklyAfter(t, root, "sign")
	mustRun(t, "--root", root, "keys", "rotate")
	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek)
	audit, _ := os.ReadFile(filepath.Join(root, ".ledgerlens", "audit.jsonl"))
	if !strings.Contains(string(audit), `"step":"sign","status":"skipped (already done)"`) &&
		!strings.Contains(string(audit), `"status":"skipped (already done)","step":"sign"`) {
		t.Fatal("the resumed run did not take the sign step from its checkpoint")
	}
	mustRun(t, "--root", root, "verify", "all")
	// verify accepts the retired key's signatures too: the published ones
	// must be the current key's.
	pub, err := reports.LoadPublicKey(filepath.Join(root, ".ledgerlens", "keys", "signing.pub"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"json", "xlsx"} {
		path := filepath.Join(reviews(root), "weekly_"+focusWeek+"."+ext)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sigText, err := os.ReadFile(path + reports.SignatureExt)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := reports.ParseSignature(sigText)
		if err != nil || !ed25519.Verify(pub, data, sig) {
			t.Errorf("the published %s is not signed by the current key (%v)", ext, err)
		}
	}
}

// killWeeklyAfter runs the focus week's weekly job on root with extra
// arguments and SIGKILLs it right after step's checkpoint is saved.
func killWeeklyAfter(t *testing.T, root, step string, extra ...string) {
	t.Helper()
	args := append([]string{"--root", root, "report", "weekly", "--week", focusWeek}, extra...)
	if r := ledgerlens(t, []string{"LEDGERLENS_FAULT=kill-after:" + step}, args...); r.code != -1 {
		t.Fatalf("the job was not killed: exit %d\n%s", r.code, r.stderr)
	}
}

// TestCheckpointsMountedIntoTwoRoots: one checkpoints directory
// bind-mounted into two roots holds both roots' checkpoints; a run
// completed in one must not remove the other's, which still resumes.
func TestCheckpointsMountedIntoTwoRoots(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("bind mounts need root")
	}
	shared := t.TempDir()
	a, b := copyFixture(t), copyFixture(t)
	for _, root := range []string{a, b} {
		dir := filepath.Join(root, ".ledgerlens", "checkpoints")
		if err := os.MkdirAll(dir, 0o750); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("mount", "--bind", shared, dir).CombinedOutput(); err != nil {
			t.Skipf("cannot bind-mount here (%v: %s)", err, strings.TrimSpace(string(out)))
		}
		t.Cleanup(func() { exec.Command("umount", dir).Run() })
	}
	appendLedgerLines(t, b, `{"Run_ID":"R-ONLY-IN-B","Timestamp":"`+focusWeek+`T09:00:00Z","Scenario_ID":"S","Credits_Total":1}`)
	killWeeklyAfter(t, b, "analyse", "--unsigned")
	bs := onlyCheckpoint(t, shared)

	mustRun(t, "--root", a, "report", "weekly", "--week", focusWeek, "--unsigned")
	if _, err := os.Stat(filepath.Join(bs, "state.json")); err != nil {
		t.Fatalf("a run of another root removed this root's checkpoint: %v", err)
	}
	mustRun(t, "--root", b, "report", "weekly", "--week", focusWeek, "--unsigned")
	audit, _ := os.ReadFile(filepath.Join(b, ".ledgerlens", "audit.jsonl"))
	if !strings.Contains(string(audit), "skipped (already done)") {
		t.Error("the root's run did not resume its checkpoint")
	}
}

// onlyCheckpoint returns the path of the one checkpoint in the
// checkpoints directory dir: a killed run's.
func onlyCheckpoint(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("the killed run's checkpoint in %s: %v %v", dir, entries, err)
	}
	return filepath.Join(dir, entries[0].Name())
}

// startPaused starts a weekly job that pauses after the analyse step,
// holding the lock, and returns once it says so.
func startPaused(t *testing.T, root string) *exec.Cmd {
	t.Helper()
	args := []string{"--root", root, "report", "weekly", "--week", focusWeek}
	if _, err := os.Stat(filepath.Join(root, ".ledgerlens", "keys", "signing.key")); err != nil {
		args = append(args, "--unsigned") // a root with a key publishes signed
	}
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "LEDGERLENS_FAULT=pause-after:analyse")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "paused after step analyse") {
			go func() {
				for sc.Scan() {
				}
			}()
			return cmd
		}
	}
	t.Fatal("the job never paused")
	return nil
}

// TestSIGTERMStopsCleanly: SIGTERM during a one-shot job abandons it
// cleanly (no partial files, job_fail interrupted in the audit log) with
// exit 143, and the next run completes. SIGHUP (the terminal closed) ended
// the job at once with exit 129, no word on stderr and no job_fail entry;
// it now stops it as SIGTERM does.
func TestSIGTERMStopsCleanly(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(signalName(sig), func(t *testing.T) {
			if signal.Ignored(sig) {
				t.Skipf("%v is ignored here (nohup), and so in the job", sig)
			}
			root := copyFixture(t)
			cmd := startPaused(t, root)
			start := time.Now()
			cmd.Process.Signal(sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				// Interrupted: the job did not do its work, and says so.
				if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 128+int(sig) {
					t.Fatalf("%v: want exit %d, got %v", sig, 128+int(sig), err)
				}
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("the job did not stop within 10 s of %v", sig)
			}
			t.Logf("stopped %v after %v", time.Since(start), sig)
			if entries, _ := os.ReadDir(reviews(root)); len(entries) != 0 {
				t.Fatalf("a stopped job left %d files in the output directory", len(entries))
			}
			audit, _ := os.ReadFile(filepath.Join(root, ".ledgerlens", "audit.jsonl"))
			if !strings.Contains(string(audit), `"event":"job_fail"`) || !strings.Contains(string(audit), `"state":"interrupted"`) {
				t.Error("audit log lacks job_fail with state interrupted")
			}
			mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek, "--unsigned")
			if _, err := os.Stat(filepath.Join(reviews(root), "weekly_"+focusWeek+".json")); err != nil {
				t.Fatal("the next run did not complete:", err)
			}
		})
	}
}

func TestConcurrentRunsAndStaleLock(t *testing.T) {
	root := copyFixture(t)
	holder := startPaused(t, root)
	r := ledgerlens(t, nil, "--root", root, "report", "weekly", "--week", focusWeek, "--unsigned")
	if r.code != 75 || !strings.Contains(r.stderr, fmt.Sprintf("pid %d", holder.Process.Pid)) {
		t.Fatalf("second run: exit %d, want 75 naming pid %d\n%s", r.code, holder.Process.Pid, r.stderr)
	}
	holder.Process.Signal(syscall.SIGKILL)
	holder.Wait()
	// A query in between, by the same account, took the lock and emptied
	// the killed job's record: the crash left no trace (a review of stop
	// 59's fixes). It carries the record on to the next job.
	mustRun(t, "--root", root, "query", "SELECT count(*) FROM runs")
	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek, "--unsigned")
	audit, _ := os.ReadFile(filepath.Join(root, ".ledgerlens", "audit.jsonl"))
	if !strings.Contains(string(audit), `"event":"lock_recovered"`) || !strings.Contains(string(audit), fmt.Sprintf("pid %d (report weekly)", holder.Process.Pid)) {
		t.Errorf("audit log lacks the lock_recovered event naming the killed job, pid %d", holder.Process.Pid)
	}
}

// TestLockFileDeletedWhileHeld: a careless operator removes
// .ledgerlens/lock ("a stale lock") while a job holds it. Every later job
// created a new lock file, took it, and ran beside the first: the weekly
// job of another week published, appending 19 entries to the audit log
// the first job was still writing, and each exited 0. The lock is now
// also taken on the state directory itself, which deleting the file
// cannot release: they exit 75 and write nothing.
func TestLockFileDeletedWhileHeld(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	holder := startPaused(t, root)
	lockFile := filepath.Join(root, ".ledgerlens", "lock")
	if err := os.Remove(lockFile); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	before := readFile(t, logPath)
	for _, args := range [][]string{{"report", "weekly", "--week", prevWeek(t)}, {"ingest"}, {"verify", "all", "--lock-timeout", "0"}} {
		r := cron(t, root, args...)
		if r.code != 75 || !strings.Contains(r.stderr, "holds the lock") {
			t.Errorf("%v with the lock file deleted under a running job: exit %d, want 75\n%s", args, r.code, r.stderr)
		}
	}
	if after := readFile(t, logPath); !bytes.Equal(before, after) {
		t.Errorf("a second job wrote %d lines to the audit log beside the first", bytes.Count(after[len(before):], []byte("\n")))
	}
	holder.Process.Signal(syscall.SIGTERM)
	holder.Wait()
	wantExit(t, cron(t, root, "report", "weekly", "--week", focusWeek), 0, "the weekly job once the first has ended")
	mustRun(t, "--root", root, "verify", "all")
}

func TestExitCodes(t *testing.T) {
	root := copyFixture(t)
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"findings at or above --fail-on", []string{"report", "weekly", "--week", focusWeek, "--unsigned", "--fail-on", "SEV1"}, 3},
		{"no finding at SEV0 is not enough… but the fixture has one", []string{"report", "weekly", "--week", focusWeek, "--unsigned", "--fail-on", "SEV0"}, 3},
		{"unknown flag", []string{"report", "weekly", "--no-such-flag"}, 2},
		{"bad week", []string{"report", "weekly", "--week", "2026-11-17", "--unsigned"}, 2},
		{"bad --fail-on", []string{"report", "weekly", "--fail-on", "SEV9"}, 2},
		{"sla: a month that has not ended", []string{"report", "sla", "--month", "2031-05", "--unsigned"}, 2},
		{"sla: a month that has not ended, by --as-of", []string{"report", "sla", "--month", "2026-03", "--as-of", "2026-03-31T12:00:00Z", "--unsigned"}, 2},
		{"unsigned without a key is fine", []string{"report", "weekly", "--week", focusWeek, "--unsigned"}, 0},
		{"signed without a key says how to make one", []string{"report", "weekly", "--week", focusWeek, "--supersede"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ledgerlens(t, nil, append([]string{"--root", root}, tt.args...)...)
			if r.code != tt.want {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tt.want, r.stdout, r.stderr)
			}
		})
	}
	// Cron mails only what a job prints: exit 3 says why on stderr, even
	// with --quiet.
	r := ledgerlens(t, nil, "--root", root, "--quiet", "report", "weekly", "--week", focusWeek, "--unsigned", "--fail-on", "SEV1")
	if r.code != 3 || !strings.Contains(r.stderr, "at or above SEV1 (--fail-on SEV1)") {
		t.Errorf("--fail-on with --quiet: exit %d, stderr %q", r.code, r.stderr)
	}
	r = ledgerlens(t, nil, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
	if !strings.Contains(r.stderr, "keys generate") {
		t.Errorf("missing key message does not say how to create one:\n%s", r.stderr)
	}
}

func TestQueryFormats(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "ingest")
	r := mustRun(t, "--root", root, "query", "--format", "json", "SELECT severity, count(*) AS runs FROM runs GROUP BY 1 ORDER BY 1 NULLS FIRST")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) == 0 {
		t.Fatalf("query json: %v\n%s", err, r.stdout)
	}
	r = mustRun(t, "--root", root, "query", "--format", "csv", "SELECT run_id FROM runs WHERE list_contains(risk_flags, 'retry_loop') ORDER BY 1")
	if !strings.HasPrefix(r.stdout, "run_id\n") {
		t.Fatalf("csv: %s", r.stdout)
	}
	if r := ledgerlens(t, nil, "--root", root, "query", "DELETE FROM ledger_rows"); r.code != 1 {
		t.Fatalf("a write through query must fail: exit %d", r.code)
	}
}

// TestEveryCommandHasAnExample keeps --help useful: each runnable command
// shows how it is used.
func TestEveryCommandHasAnExample(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Runnable() && !c.Hidden && c.Example == "" && c.Name() != "help" && !strings.HasPrefix(c.CommandPath(), "ledgerlens completion") {
			t.Errorf("%q has no example in --help", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(newApp(&bytes.Buffer{}, &bytes.Buffer{})))
}
