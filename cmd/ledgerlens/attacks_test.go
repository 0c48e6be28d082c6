package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding"
	bin "encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"lukechampine.com/blake3"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

// The attacks of docs/COMPLIANCE.md's threat model, each by someone who can
// write the output directory and the state directory but does not hold the
// signing key, run against the real binary on a real root. Before the
// record of publication and the signed checkpoints every one of them passed
// every verifier with exit 0; each test asserts the named command now
// exits non-zero and names the problem.

var (
	publishedOnce sync.Once
	publishedDir  string
	publishedErr  error
)

// prevWeek is the Monday before focusWeek.
func prevWeek(t *testing.T) string { return weekBefore(t, focusWeek) }

// nextWeek is the Monday after focusWeek.
func nextWeek(t *testing.T) string {
	t.Helper()
	return mustParseDay(t, focusWeek).AddDate(0, 0, 7).Format(time.DateOnly)
}

// publishedRoot returns a copy of a root with a key pair, the weekly reports
// of prevWeek and focusWeek, and revision 2 of focusWeek (published after
// a baseline change with --supersede).
func publishedRoot(t *testing.T) string {
	t.Helper()
	publishedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ledgerlens-published-")
		if err != nil {
			publishedErr = err
			return
		}
		publishedDir = dir
		if out, err := exec.Command("cp", "-a", fixtureDir+"/.", dir).CombinedOutput(); err != nil {
			publishedErr = fmt.Errorf("copy fixture: %v %s", err, out)
			return
		}
		run := func(args ...string) {
			if publishedErr != nil {
				return
			}
			out, err := exec.Command(binary, append([]string{"--root", dir}, args...)...).CombinedOutput()
			if err != nil {
				publishedErr = fmt.Errorf("ledgerlens %v: %v\n%s", args, err, out)
			}
		}
		run("keys", "generate")
		run("report", "weekly", "--week", prevWeek(t))
		run("report", "weekly", "--week", focusWeek)
		if publishedErr == nil {
			publishedErr = changeFirstBaseline(filepath.Join(dir, "config", "credit-baselines.json"))
		}
		run("report", "weekly", "--week", focusWeek, "--supersede")
	})
	if publishedErr != nil {
		t.Fatal(publishedErr)
	}
	return copyRoot(t, publishedDir)
}

// changeFirstBaseline raises the first scenario's baseline, so the week's
// result differs and --supersede publishes revision 2.
func changeFirstBaseline(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	first := doc["baselines"].([]any)[0].(map[string]any)
	first["median_credits"] = first["median_credits"].(float64) * 3
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}

func weeklyPath(root, week string, rev int, ext string) string {
	name := "weekly_" + week
	if rev > 1 {
		name += fmt.Sprintf(".r%d", rev)
	}
	return filepath.Join(reviews(root), name+ext)
}

// resign writes a fresh sidecar for path, as anyone can.
func residecar(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	line := hex.EncodeToString(sum[:]) + "  " + filepath.Base(path) + "\n"
	if err := os.WriteFile(path+".sha256", []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
}

// otherKeyRoot returns an empty root with a key pair of its own: another
// key, as someone without the root's would have.
func otherKeyRoot(t *testing.T) string {
	t.Helper()
	other := t.TempDir()
	if err := os.MkdirAll(filepath.Join(other, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "config", "ledgerlens.json"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--root", other, "keys", "generate")
	return other
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// mustFail runs ledgerlens and requires exit code want and every phrase in
// its output.
func mustFail(t *testing.T, want int, phrases []string, args ...string) result {
	t.Helper()
	r := ledgerlens(t, nil, args...)
	out := r.stdout + r.stderr
	if r.code != want {
		t.Errorf("ledgerlens %v: exit %d, want %d\n%s", args, r.code, want, out)
	}
	for _, p := range phrases {
		if !strings.Contains(out, p) {
			t.Errorf("ledgerlens %v: output does not name %q\n%s", args, p, out)
		}
	}
	return r
}

// Attack 1: delete a published report, or a revision.
func TestAttackDeleteReport(t *testing.T) {
	t.Run("report", func(t *testing.T) {
		root := publishedRoot(t)
		matches, _ := filepath.Glob(weeklyPath(root, prevWeek(t), 1, ".*"))
		for _, m := range matches {
			os.Remove(m)
		}
		mustFail(t, 4, []string{"weekly_" + prevWeek(t) + ".json: recorded as published", "the file is missing"},
			"--root", root, "verify", "all")
	})
	t.Run("revision", func(t *testing.T) {
		root := publishedRoot(t)
		matches, _ := filepath.Glob(weeklyPath(root, focusWeek, 2, ".*"))
		if len(matches) == 0 {
			t.Fatal("no revision 2 to delete")
		}
		for _, m := range matches {
			os.Remove(m)
		}
		mustFail(t, 4, []string{"weekly_" + focusWeek + ".r2.json: recorded as published", "the file is missing"},
			"--root", root, "verify", "all")
	})
}

// Attack 2: swap one week's report (with its valid signature) over
// another's and regenerate the sidecar; replay r1 as r2.
func TestAttackSwapAndReplay(t *testing.T) {
	t.Run("swap", func(t *testing.T) {
		root := publishedRoot(t)
		victim := weeklyPath(root, focusWeek, 1, ".json")
		copyFile(t, weeklyPath(root, prevWeek(t), 1, ".json"), victim)
		copyFile(t, weeklyPath(root, prevWeek(t), 1, ".json.sig"), victim+".sig")
		residecar(t, victim)
		mustFail(t, 4, []string{"report_id \"CREDIT_REVIEW_" + prevWeek(t) + "\" inside does not match the file name",
			"FAILED  runs/CREDIT_REVIEWS/weekly_" + focusWeek + ".json: ", "is not the recorded"}, "--root", root, "verify", "all")
		mustFail(t, 4, []string{"not the recorded artifact for this name"}, "--root", root, "verify", victim)
	})
	t.Run("replay r1 as r2", func(t *testing.T) {
		root := publishedRoot(t)
		r2 := weeklyPath(root, focusWeek, 2, ".json")
		copyFile(t, weeklyPath(root, focusWeek, 1, ".json"), r2)
		copyFile(t, weeklyPath(root, focusWeek, 1, ".json.sig"), r2+".sig")
		residecar(t, r2)
		mustFail(t, 4, []string{"revision 1 inside, but the file name says revision 2", "is not the recorded"},
			"--root", root, "verify", "all")
		mustFail(t, 4, []string{"not the recorded artifact for this name"}, "--root", root, "verify", r2)
	})
	// Outside a root there is no record: an auditor's copy is checked by
	// name. A JSON report carries its identity; a workbook copied under
	// another week's name, or as another revision, with its signature and
	// a fresh sidecar, verified.
	t.Run("workbooks swapped in an auditor's copy", func(t *testing.T) {
		root := publishedRoot(t)
		dir := t.TempDir()
		pub := filepath.Join(root, ".ledgerlens", "keys", "signing.pub")
		for _, tc := range []struct {
			from, to string
			want     string
		}{
			{weeklyPath(root, prevWeek(t), 1, ".xlsx"), filepath.Join(dir, "weekly_"+focusWeek+".xlsx"),
				`report id "CREDIT_REVIEW_` + prevWeek(t) + `" in its document properties does not match the file name`},
			{weeklyPath(root, focusWeek, 1, ".xlsx"), filepath.Join(dir, "weekly_"+focusWeek+".r2.xlsx"),
				`revision "1" in its document properties, but the file name says revision 2`},
		} {
			copyFile(t, tc.from, tc.to)
			copyFile(t, tc.from+".sig", tc.to+".sig")
			residecar(t, tc.to)
			mustFail(t, 4, []string{tc.want}, "--root", t.TempDir(), "verify", "--pubkey", pub, tc.to)
			copyFile(t, tc.from, filepath.Join(dir, filepath.Base(tc.from)))
			copyFile(t, tc.from+".sig", filepath.Join(dir, filepath.Base(tc.from)+".sig"))
			residecar(t, filepath.Join(dir, filepath.Base(tc.from)))
			mustRun(t, "--root", t.TempDir(), "verify", "--pubkey", pub, filepath.Join(dir, filepath.Base(tc.from)))
		}
	})
}

// Attack 3: edit a report and delete its sidecar, so a check by sidecar
// presence skips it.
func TestAttackEditAndStripSidecar(t *testing.T) {
	root := publishedRoot(t)
	p := weeklyPath(root, prevWeek(t), 1, ".json")
	data, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Replace(data, []byte(`"total_runs":`), []byte(`"total_runs":1`), 1), 0o644)
	os.Remove(p + ".sha256")
	mustFail(t, 4, []string{"FAILED  runs/CREDIT_REVIEWS/weekly_" + prevWeek(t) + ".json: ", "is not the recorded",
		"weekly_" + prevWeek(t) + ".json.sha256: recorded as published", "missing sidecar"},
		"--root", root, "verify", "all")
}

// Attack 4: truncate the audit log to any length below the newest
// checkpoint, empty it, delete it.
func TestAttackTruncateAuditLog(t *testing.T) {
	root := publishedRoot(t)
	logPath := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	orig, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(orig, []byte("\n"))
	lines = lines[:len(lines)-1] // after the final newline
	for k := 0; k < len(lines); k++ {
		os.WriteFile(logPath, bytes.Join(lines[:k], nil), 0o644)
		r := ledgerlens(t, nil, "--root", root, "audit", "verify")
		if r.code != 4 || !strings.Contains(r.stdout, fmt.Sprintf("the log has %d entries, fewer than the %d the checkpoint covers", k, len(lines))) {
			t.Fatalf("truncated to %d of %d entries: exit %d\n%s%s", k, len(lines), r.code, r.stdout, r.stderr)
		}
	}
	for _, tc := range []struct {
		name   string
		mod    func()
		phrase string
	}{
		{"emptied", func() { os.WriteFile(logPath, nil, 0o644) }, "the log has 0 entries"},
		{"deleted", func() { os.Remove(logPath) }, "the log file does not exist"},
		{"cut after the last report's job start", func() { os.WriteFile(logPath, bytes.Join(lines[:len(lines)-3], nil), 0o644) }, "fewer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.mod()
			defer os.WriteFile(logPath, orig, 0o644)
			mustFail(t, 4, []string{tc.phrase, "audit.checkpoints line"}, "--root", root, "audit", "verify")
			mustFail(t, 4, []string{tc.phrase}, "--root", root, "verify", "all")
			// Jobs refuse to extend it (exit 4), and so does an export.
			mustFail(t, 4, []string{tc.phrase, "refusing to extend"}, "--root", root, "report", "weekly", "--week", focusWeek)
			mustFail(t, 4, []string{tc.phrase}, "--root", root, "evidence", "export", "--from", "2026-01-01", "--to", "2026-06-30",
				"--out", filepath.Join(t.TempDir(), "q.zip"))
		})
	}
	t.Run("checkpoints file deleted too: the reports' checkpoints still tell", func(t *testing.T) {
		os.WriteFile(logPath, nil, 0o644)
		defer os.WriteFile(logPath, orig, 0o644)
		cps := filepath.Join(root, ".ledgerlens", "audit.checkpoints")
		saved, _ := os.ReadFile(cps)
		os.Remove(cps)
		defer os.WriteFile(cps, saved, 0o644)
		mustFail(t, 4, []string{"from report runs/CREDIT_REVIEWS/weekly_" + focusWeek + ".json"}, "--root", root, "audit", "verify")
		mustFail(t, 4, []string{"from report runs/CREDIT_REVIEWS/weekly_", "refusing to extend"}, "--root", root, "report", "weekly", "--week", focusWeek)
		// An auditor's kept copy of the newest checkpoint closes the rest.
		kept := filepath.Join(t.TempDir(), "kept.checkpoints")
		os.WriteFile(kept, saved, 0o644)
		mustFail(t, 4, []string{"kept checkpoint " + kept, fmt.Sprintf("fewer than the %d", len(lines))},
			"--root", root, "audit", "verify", "--checkpoint", kept)
	})
	t.Run("log, checkpoints and reports all gone: the witness copy tells", func(t *testing.T) {
		if _, err := exec.LookPath("jq"); err != nil {
			t.Skip("jq not installed")
		}
		// The witness recipe of docs/COMPLIANCE.md, run before the attack.
		cps := filepath.Join(root, ".ledgerlens", "audit.checkpoints")
		witness := filepath.Join(t.TempDir(), "witness.checkpoint")
		out, err := exec.Command("bash", "-c", fmt.Sprintf("tail -n1 %q | jq -r .note > %q", cps, witness)).CombinedOutput()
		if err != nil {
			t.Fatalf("%v %s", err, out)
		}
		mustRun(t, "--root", root, "audit", "verify", "--checkpoint", witness)

		saved, _ := os.ReadFile(cps)
		os.WriteFile(logPath, bytes.Join(lines[:5], nil), 0o644)
		// The checkpoints file cut back to what the log left records
		// of it (its first job_start found one line): deleted, it is
		// found missing.
		os.WriteFile(cps, bytes.SplitAfter(saved, []byte("\n"))[0], 0o644)
		reportsDir := filepath.Join(t.TempDir(), "reports")
		if err := os.Rename(reviews(root), reportsDir); err != nil {
			t.Fatal(err)
		}
		defer func() {
			os.WriteFile(logPath, orig, 0o644)
			os.WriteFile(cps, saved, 0o644)
			os.Rename(reportsDir, reviews(root))
		}()
		mustRun(t, "--root", root, "audit", "verify") // nothing on the host tells any more
		mustFail(t, 4, []string{"kept checkpoint " + witness, fmt.Sprintf("the log has 5 entries, fewer than the %d", len(lines))},
			"--root", root, "audit", "verify", "--checkpoint", witness)
	})
	t.Run("an edited entry, re-chained, blocks the next job", func(t *testing.T) {
		edited := bytes.Replace(orig, []byte(`"job":"weekly-review"`), []byte(`"job":"weekly-reviex"`), 1)
		os.WriteFile(logPath, edited, 0o644)
		defer os.WriteFile(logPath, orig, 0o644)
		mustFail(t, 4, []string{"audit chain broken", "refusing to extend"}, "--root", root, "report", "weekly", "--week", focusWeek)
	})
}

// Attack 5: edit a step's checkpoint between a kill and the re-run.
func TestAttackEditCheckpointBeforeResume(t *testing.T) {
	clean := copyFixture(t)
	mustRun(t, "--root", clean, "keys", "generate")
	root := copyRoot(t, clean)
	mustRun(t, "--root", clean, "report", "weekly", "--week", focusWeek)
	want, _ := os.ReadFile(weeklyPath(clean, focusWeek, 1, ".json"))

	killWeeklyAfter(t, root, "analyse")
	models, _ := filepath.Glob(filepath.Join(root, ".ledgerlens", "checkpoints", "*", "report.model.json"))
	if len(models) != 1 {
		t.Fatalf("checkpointed model: %v", models)
	}
	data, _ := os.ReadFile(models[0])
	edited := bytes.Replace(data, []byte(`"total_runs":`), []byte(`"total_runs":1`), 1)
	if bytes.Equal(edited, data) {
		t.Fatal("no total_runs in the checkpoint")
	}
	os.WriteFile(models[0], edited, 0o640)

	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek)
	got, _ := os.ReadFile(weeklyPath(root, focusWeek, 1, ".json"))
	if !bytes.Equal(got, want) {
		t.Fatal("the re-run published from the edited checkpoint: its JSON differs from an uninterrupted run's")
	}
	log, _ := os.ReadFile(filepath.Join(root, ".ledgerlens", "audit.jsonl"))
	if !bytes.Contains(log, []byte(`"event":"checkpoint_mismatch"`)) || !bytes.Contains(log, []byte(`"step":"analyse"`)) {
		t.Errorf("no checkpoint_mismatch event for the analyse step in the audit log")
	}
	mustRun(t, "--root", root, "verify", "all")
}

// Attack 5b: plant another run's checkpoint under the re-run's id. A run
// killed after its analysis leaves the model of the ledger it saw; the
// ledger then grows, and the next run's checkpoint gets that old model and
// state. Saved outputs are checked against the audit log's records of
// the run the state names, so the old model would pass: the re-run must
// see that the state is not its own and compute afresh.
func TestAttackCheckpointOfAnotherRun(t *testing.T) {
	root := copyFixture(t)
	checkpoints := filepath.Join(root, ".ledgerlens", "checkpoints")
	killWeeklyAfter(t, root, "analyse", "--unsigned")
	oldDir := onlyCheckpoint(t, checkpoints)
	oldModel, err1 := os.ReadFile(filepath.Join(oldDir, "report.model.json"))
	oldState, err2 := os.ReadFile(filepath.Join(oldDir, "state.json"))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	late := make([]string, 5)
	for i := range late {
		late[i] = fmt.Sprintf(`{"Run_ID":"RUN-LATE-%d","Timestamp":"%sT10:00:00Z","Scenario_ID":"S-LATE","Credits_Total":5}`, i, focusWeek)
	}
	appendLedgerLines(t, root, late...)
	killWeeklyAfter(t, root, "analyse", "--unsigned")
	var newDir string
	entries, _ := os.ReadDir(checkpoints)
	for _, e := range entries {
		if e.Name() != filepath.Base(oldDir) {
			newDir = filepath.Join(checkpoints, e.Name())
		}
	}
	if newDir == "" {
		t.Fatal("the second run left no checkpoint of its own")
	}
	os.WriteFile(filepath.Join(newDir, "report.model.json"), oldModel, 0o640)
	os.WriteFile(filepath.Join(newDir, "state.json"), oldState, 0o640)

	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek, "--unsigned")
	w := readWeekly(t, filepath.Join(reviews(root), "weekly_"+focusWeek+".json"))
	if !strings.Contains(fmt.Sprint(w["top_scenarios_by_total"])+fmt.Sprint(w["drift"]), "S-LATE") {
		t.Error("the published report does not know the runs appended after the first kill: it is the planted analysis")
	}
	log, _ := os.ReadFile(filepath.Join(root, ".ledgerlens", "audit.jsonl"))
	if !bytes.Contains(log, []byte(`"event":"checkpoint_mismatch"`)) || !bytes.Contains(log, []byte(`"checkpoint_state":`)) {
		t.Error("no checkpoint_mismatch event naming the planted state in the audit log")
	}
	mustRun(t, "--root", root, "audit", "verify")
}

// Attack 5d: replace a killed run's checkpoint state with something that
// is not a file: a FIFO (the re-run would wait on it for ever, holding the
// root's lock, and cron would never hear back) or a link to /dev/zero (it
// would read until memory ran out). The re-run must refuse at once, with
// a non-zero exit naming the state file.
func TestAttackCheckpointStateNotAFile(t *testing.T) {
	for _, tc := range []struct {
		name  string
		plant func(path string) error
	}{
		{"a FIFO", func(path string) error { return syscall.Mkfifo(path, 0o640) }},
		{"a link to /dev/zero", func(path string) error { return os.Symlink("/dev/zero", path) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := copyFixture(t)
			killWeeklyAfter(t, root, "analyse", "--unsigned")
			state := filepath.Join(onlyCheckpoint(t, filepath.Join(root, ".ledgerlens", "checkpoints")), "state.json")
			if err := os.Remove(state); err != nil {
				t.Fatal(err)
			}
			if err := tc.plant(state); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, binary, "--root", root, "report", "weekly", "--week", focusWeek, "--unsigned").CombinedOutput()
			if ctx.Err() != nil {
				t.Fatal("the re-run had not finished after 30 s")
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || !strings.Contains(string(out), "state.json") {
				t.Fatalf("want a non-zero exit naming state.json; got %v:\n%s", err, out)
			}
		})
	}
}

// Attack 5c: a checkpoint outliving a change of the ledger's record. A run
// is killed; the ledger is edited, another job records the modification
// (tamper_detected), and the ledger is restored from a backup: the same
// bytes, so the same prefix, but the record now holds a modification the
// killed run's analysis never saw. The re-run must report it, not resume
// the analysis made before.
func TestAttackResumeAfterTheLedgerRecordChanged(t *testing.T) {
	root := copyFixture(t)
	killWeeklyAfter(t, root, "render_xlsx", "--unsigned")
	ledger := ledgerPath(root)
	backup, err := os.ReadFile(ledger)
	if err != nil {
		t.Fatal(err)
	}
	editLine(t, ledger, 10)
	mustFail(t, 4, []string{"were modified"}, "--root", root, "ingest")
	if err := os.WriteFile(ledger, backup, 0o644); err != nil {
		t.Fatal(err)
	}
	r := ledgerlens(t, nil, "--root", root, "report", "weekly", "--week", focusWeek, "--unsigned")
	if r.code != 0 && r.code != 4 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	w := readWeekly(t, filepath.Join(reviews(root), "weekly_"+focusWeek+".json"))
	if len(violationsOf(w, "ledger_modified")) == 0 {
		t.Error("the published report has no ledger_modified finding: it resumed an analysis made before the modification was recorded")
	}
}

// Attack 6: delete the store, or edit a row of it.
func TestAttackDeleteOrEditStore(t *testing.T) {
	t.Run("deleted", func(t *testing.T) {
		root := publishedRoot(t)
		os.Remove(storeFile(root))
		os.Remove(storeFile(root) + ".wal")
		r := mustFail(t, 4, []string{"store .ledgerlens/store/ledger.duckdb is missing, but the audit log records"},
			"--root", root, "verify", "all")
		if strings.Contains(r.stdout, "\nOK") {
			t.Errorf("verify all still says OK:\n%s", r.stdout)
		}
		mustFail(t, 4, []string{"is missing, but the audit log records ingests"}, "--root", root, "verify", "store")
	})
	t.Run("row edited", func(t *testing.T) {
		root := publishedRoot(t)
		st, err := store.Open(context.Background(), storeFile(root), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var line int64
		if err := st.Conn().QueryRowContext(context.Background(),
			`SELECT line_no FROM ledger_rows ORDER BY credits_total DESC LIMIT 1`).Scan(&line); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Conn().ExecContext(context.Background(),
			`UPDATE ledger_rows SET credits_total = 1 WHERE line_no = ?`, line); err != nil {
			t.Fatal(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		phrase := "1 rows differ from the rows re-derived from the ledger's first"
		mustFail(t, 4, []string{phrase, fmt.Sprintf("ledger lines [%d]", line)}, "--root", root, "verify", "store")
		mustFail(t, 4, []string{phrase}, "--root", root, "verify", "all")
	})
	t.Run("row of the reported week edited: the weekly job refuses to publish", func(t *testing.T) {
		root := publishedRoot(t)
		st, err := store.Open(context.Background(), storeFile(root), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		// The week's biggest run: editing it drops the top spike.
		res, err := st.Conn().ExecContext(context.Background(), `UPDATE ledger_rows SET credits_total = 1 WHERE line_no =
			(SELECT line_no FROM ledger_rows WHERE "timestamp" >= ?::TIMESTAMPTZ AND "timestamp" < ?::TIMESTAMPTZ
			 ORDER BY credits_total DESC LIMIT 1)`, focusWeek, nextWeek(t))
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("%d rows edited", n)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		mustFail(t, 4, []string{"differ from what the ingest at audit seq", "refusing to publish"},
			"--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
		if _, err := os.Stat(weeklyPath(root, focusWeek, 3, ".json")); err == nil {
			t.Error("a revision was published from the edited store")
		}
	})
	t.Run("row of an earlier week the review reads edited: the weekly job refuses to publish", func(t *testing.T) {
		// Three weeks before the reported one: outside the two weeks the
		// job read back, inside the baseline and drift windows the review
		// reads. The job published and signed the edited figures, exit 0
		// (an outside review: a proposed baseline moved from ok to review).
		root := copyFixture(t)
		mustRun(t, "--root", root, "keys", "generate")
		mustRun(t, "--root", root, "ingest")
		editStoreRow(t, root, weekBefore(t, weekBefore(t, prevWeek(t))))
		mustFail(t, 4, []string{"differ from what the ingest at audit seq", "refusing to publish"},
			"--root", root, "report", "weekly", "--week", focusWeek)
		if _, err := os.Stat(weeklyPath(root, focusWeek, 1, ".json")); err == nil {
			t.Error("the week was published from the edited store")
		}
	})
	t.Run("row edited, then lines appended into its chunk: the edit is not folded into the new digest", func(t *testing.T) {
		root := publishedRoot(t)
		st, err := store.Open(context.Background(), storeFile(root), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		// The last loaded row: its chunk is the one the next ingest extends.
		var line int64
		var runID string
		if err := st.Conn().QueryRowContext(context.Background(),
			`SELECT line_no, run_id FROM ledger_rows ORDER BY line_no DESC LIMIT 1`).Scan(&line, &runID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Conn().ExecContext(context.Background(),
			`UPDATE ledger_rows SET credits_total = credits_total + 1000 WHERE line_no = ?`, line); err != nil {
			t.Fatal(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		appendLastLineAgain(t, root, runID)
		mustFail(t, 4, []string{"differ from what the ingest at audit seq", "the rows appended to that chunk are not recorded"},
			"--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
		mustFail(t, 4, []string{"differ from what"}, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
	})
	t.Run("saved fold of the tail chunk edited: it is not trusted, the rows are read back", func(t *testing.T) {
		root := publishedRoot(t)
		st, err := store.Open(context.Background(), storeFile(root), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		// The ingest extending the tail chunk resumes its row digest from
		// ledger_state.tail_fold (the chunk, then a SHA-256 state). Plant
		// the fold of no rows at all: a job that resumed it would report
		// the chunk's stored rows as changed.
		var covered int64
		var runID string
		if err := st.Conn().QueryRowContext(context.Background(),
			`SELECT covered_bytes, (SELECT run_id FROM ledger_rows ORDER BY line_no DESC LIMIT 1) FROM ledger_state`).Scan(&covered, &runID); err != nil {
			t.Fatal(err)
		}
		empty, err := sha256.New().(encoding.BinaryMarshaler).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		planted := append(bin.BigEndian.AppendUint64(nil, uint64(covered/store.ChunkBytes)), empty...)
		if _, err := st.Conn().ExecContext(context.Background(), "UPDATE ledger_state SET tail_fold = ?", planted); err != nil {
			t.Fatal(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		appendLastLineAgain(t, root, runID)
		// The store's files no longer match their seal: the job reads the
		// rows back, finds them as loaded and publishes.
		mustFail(t, 0, []string{"published"}, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
		mustFail(t, 0, []string{"OK"}, "--root", root, "verify", "all")
	})
}

// TestAttackStoreCoversMoreThanRecorded: the store's covered_bytes raised
// by hand made verify all stop at its first store error ("stored digest
// list has 288 bytes"), naming no other problem — a deleted workbook
// included — and the next job reloaded the store in silence, taking it for
// one a kill left ahead of the log. verify all now lists it as one problem
// and checks the rest; a job reloads only what an interrupted ingest can
// leave (one ingest past the recorded one, within the ledger) and refuses
// anything else.
func TestAttackStoreCoversMoreThanRecorded(t *testing.T) {
	root := publishedRoot(t)
	st, err := store.Open(context.Background(), storeFile(root), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Conn().ExecContext(context.Background(), "UPDATE ledger_state SET covered_bytes = covered_bytes + 100000000"); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(weeklyPath(root, focusWeek, 1, ".xlsx")); err != nil {
		t.Fatal(err)
	}
	mustFail(t, 4, []string{"cannot be checked against the ledger", "weekly_" + focusWeek + ".xlsx"}, "--root", root, "verify", "all")
	mustFail(t, 4, []string{"no interrupted job leaves that"}, "--root", root, "report", "weekly", "--week", prevWeek(t), "--supersede")
}

// TestAttackEditDerivedTables: the runs view leaves out every run the
// duplicates table lists, and the reports read the conflicting duplicates,
// the rejects and the field counts from the store. An edit of those tables
// (the rows untouched) hid a SEV0 run and a conflicting duplicate from a
// signed revision while verify store, verify all and the weekly job all
// exited 0. Now verify re-derives them, and the job compares them with the
// digest the last ingest recorded before it ingests.
func TestAttackEditDerivedTables(t *testing.T) {
	tests := []struct{ name, edit string }{
		{"a run of the week hidden by a planted duplicate", `INSERT INTO duplicates
			SELECT line_no, byte_offset, ingest_seq, run_id, line_no, 'duplicate_identical' FROM ledger_rows
			WHERE line_no = (SELECT line_no FROM ledger_rows WHERE "timestamp" >= ?::TIMESTAMPTZ AND "timestamp" < ?::TIMESTAMPTZ
			                 ORDER BY credits_total DESC LIMIT 1)`},
		{"the rejects deleted", `DELETE FROM rejects WHERE ? <> ?`},
		{"a field count changed", `UPDATE field_values SET n = n + 7 WHERE ? <> ? AND field = (SELECT min(field) FROM field_values)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := publishedRoot(t)
			st, err := store.Open(context.Background(), storeFile(root), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := st.Conn().ExecContext(context.Background(), tc.edit, focusWeek, nextWeek(t))
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				t.Fatal("the edit changed nothing")
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			phrase := "differ from those re-derived from the ledger's first"
			mustFail(t, 4, []string{phrase}, "--root", root, "verify", "store")
			mustFail(t, 4, []string{phrase}, "--root", root, "verify", "all")
			mustFail(t, 4, []string{"its duplicates, rejects or field counts differ from what the ingest at audit seq", "refusing to publish"},
				"--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
			if _, err := os.Stat(weeklyPath(root, focusWeek, 3, ".json")); err == nil {
				t.Error("a revision was published from the edited store")
			}
		})
	}
}

// appendLastLineAgain appends a copy of the ledger's last complete line
// with runID, the run id it holds, made unique, replacing the unfinished
// tail (which no ingest covered).
func appendLastLineAgain(t *testing.T, root, runID string) {
	t.Helper()
	path := filepath.Join(root, "runs", "CREDIT_MONITORING", "ledger.jsonl")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = data[:bytes.LastIndexByte(data, '\n')+1]
	lines := bytes.Split(bytes.TrimSuffix(data, []byte{'\n'}), []byte{'\n'})
	last := lines[len(lines)-1]
	data = append(data, bytes.Replace(last, []byte(runID), []byte(runID+"-APPENDED"), 1)...)
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Attack 7: a private key that does not match signing.pub.
func TestAttackMismatchedKeyPair(t *testing.T) {
	root := publishedRoot(t)
	other := otherKeyRoot(t)
	copyFile(t, filepath.Join(other, ".ledgerlens", "keys", "signing.key"), filepath.Join(root, ".ledgerlens", "keys", "signing.key"))
	os.Chmod(filepath.Join(root, ".ledgerlens", "keys", "signing.key"), 0o600)
	pubID := keyIDOf(t, root)
	privID := keyIDOf(t, other)
	mustFail(t, 4, []string{"refusing to sign", "is key " + privID, "is key " + pubID},
		"--root", root, "report", "weekly", "--week", prevWeek(t), "--supersede")
	if _, err := os.Stat(weeklyPath(root, prevWeek(t), 2, ".json")); err == nil {
		t.Error("a report was published with the mismatched key")
	}
}

// keyIDOf reads the key id the root's audit log recorded at key generation.
func keyIDOf(t *testing.T, root string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, ".ledgerlens", "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		var e struct {
			Event string `json:"event"`
			KeyID string `json:"key_id"`
		}
		if json.Unmarshal(line, &e) == nil && e.Event == "key_generated" {
			return e.KeyID
		}
	}
	t.Fatal("no key_generated event")
	return ""
}

// TestSIGKILLAnywhereIsByteIdentical kills a cold `report weekly` (ingest
// included) at 10 points spread over an uninterrupted run's duration, re-runs
// it, and requires the JSON of an uninterrupted run: the report's audit
// anchor is the newest signed checkpoint, which only a finished job moves.
func TestSIGKILLAnywhereIsByteIdentical(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the weekly job 21 times")
	}
	base := copyFixture(t)
	mustRun(t, "--root", base, "keys", "generate")
	clean := copyRoot(t, base)
	started := time.Now()
	mustRun(t, "--root", clean, "report", "weekly", "--week", focusWeek)
	took := time.Since(started)
	want, err := os.ReadFile(weeklyPath(clean, focusWeek, 1, ".json"))
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	for i := range 10 {
		// Points spread evenly with a deterministic jitter, from the first
		// milliseconds (lock, ingest) to the end (publish, checkpoint).
		at := took * time.Duration(2*i+1) / 20
		t.Run(fmt.Sprintf("kill at %v", at.Round(time.Millisecond)), func(t *testing.T) {
			root := copyRoot(t, base)
			cmd := exec.Command(binary, "--root", root, "report", "weekly", "--week", focusWeek)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(at)
			if cmd.Process.Signal(syscall.SIGKILL) == nil {
				if err := cmd.Wait(); err != nil {
					killed++
				}
			}
			mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek)
			got, err := os.ReadFile(weeklyPath(root, focusWeek, 1, ".json"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("the re-run after a SIGKILL at %v publishes different JSON", at)
			}
			mustRun(t, "--root", root, "verify", "all")
		})
	}
	t.Logf("%d of 10 runs were killed before they finished (run took %v)", killed, took)
}

// storeSeals returns the store_sealed events of root's audit log, oldest
// first.
func storeSeals(t *testing.T, root string) []audit.Entry {
	t.Helper()
	st, err := audit.Load(filepath.Join(root, ".ledgerlens", "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Entry
	for _, e := range st.Entries {
		if e.Event == audit.EventStoreSealed {
			out = append(out, e)
		}
	}
	return out
}

// TestAttackRowPlantedOutsideTheLedger: a run planted in the store with a
// byte offset outside the ledger bytes it covers, before the first or
// past the last. verify store read the rows from offset 0 on and passed
// the first; the weekly job compares the chunks the ingests recorded, and
// no ingest records a chunk outside the ledger: it published a signed
// revision with the planted run, exit 0 (found while bounding verify's
// memory). verify store now reads every row, whatever its offset, and
// names the planted line; a job refuses rows outside the covered bytes.
//
// An outside review then found more edits the jobs' check of the
// recorded chunk digests passed, each published with exit 0: a NOT NULL
// dropped and a row with no offset (verify passed it too), a row whose
// line number puts it ahead of its chunk's other rows, every row of a
// chunk deleted, an extra row in the coded columns' lookup table (verify
// passed it too), a row at the largest offset (verify passed it). Each
// is now refused by the job and named by verify store.
func TestAttackRowPlantedOutsideTheLedger(t *testing.T) {
	const plant = `INSERT INTO ledger_rows
		SELECT * REPLACE (%s AS line_no, %s AS byte_offset, 'PLANTED-1' AS run_id, credits_total + 5000 AS credits_total)
		FROM ledger_rows WHERE line_no = (SELECT min(line_no) FROM ledger_rows
			WHERE "timestamp" >= '%s'::TIMESTAMPTZ AND "timestamp" < '%s'::TIMESTAMPTZ)`
	week := func(offset, line string) string { return fmt.Sprintf(plant, line, offset, focusWeek, nextWeek(t)) }
	sql := func(q ...string) func(*testing.T, string) []string {
		return func(*testing.T, string) []string { return q }
	}
	for _, tc := range []struct {
		name   string
		edit   func(t *testing.T, root string) []string // the statements, after any change to the root
		job    string                                   // what the refusing job says
		verify string                                   // what verify store says
	}{
		{"before the first byte", sql(week("-2000000", "-5")), "lie outside the ledger bytes", "ledger lines [-5]"},
		{"past the last byte", sql(week("1099511627776", "99999999")), "lie outside the ledger bytes", "ledger lines [99999999]"},
		{"at the largest offset", sql(week("9223372036854775807", "99999998")), "lie outside the ledger bytes", "ledger lines [99999998]"},
		{"with no offset, NOT NULL dropped", sql("ALTER TABLE ledger_rows ALTER COLUMN byte_offset DROP NOT NULL", week("NULL", "99999997")),
			"column main.ledger_rows.byte_offset BIGINT", "column main.ledger_rows.byte_offset BIGINT"},
		{"ahead of its chunk's lines", sql(week("3*1048576 + 5", "0")), "differ from what the ingest at audit seq", "ledger lines [0]"},
		{"every row of a chunk deleted", sql("DELETE FROM ledger_rows WHERE byte_offset // 1048576 = 3"), "differ from what the ingest at audit seq", "rows differ"},
		{"an extra lookup row", sql(`INSERT INTO text_codes SELECT 'scenario_id', max(code), (SELECT value FROM text_codes WHERE field = 'scenario_id' AND code = 0) FROM text_codes WHERE field = 'scenario_id'`),
			"the lookup table was edited", "text_codes differ"},
		// A chunk a rejected line of a MiB or more spans holds no row, and
		// no ingest records a digest for it: a run planted there passed
		// the job (an outside review).
		{"in a chunk a rejected line spans", func(t *testing.T, root string) []string {
			start := appendRejectedSpan(t, root)
			mustRun(t, "--root", root, "ingest")
			chunk := (start + 1<<20 - 1) >> 20 // the first chunk wholly inside the rejected line
			return []string{week(fmt.Sprint(chunk<<20+100), "99999996")}
		}, "hold rows, though the ingests that loaded those bytes recorded none there", "ledger lines [99999996]"},
		// A line no run can be read from appended where a chunk begins:
		// its ingest loaded no row and recorded no digest, so nothing said
		// it had read those bytes, and a run planted there passed the job
		// (stop 49's note).
		{"in a chunk only a rejected line's ingest read", func(t *testing.T, root string) []string {
			size := cutUnfinishedLine(t, root)
			appendJunkLine(t, root, (size>>20+2)<<20-size) // ends on a chunk boundary
			mustRun(t, "--root", root, "ingest")
			start := appendJunkLine(t, root, 3<<20)
			mustRun(t, "--root", root, "ingest")
			return []string{week(fmt.Sprint(start+1<<20+100), "99999995")}
		}, "hold rows, though the ingests that loaded those bytes recorded none there", "ledger lines [99999995]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := publishedRoot(t)
			execInStore(t, root, tc.edit(t, root)...)
			mustFail(t, 4, []string{tc.verify}, "--root", root, "verify", "store")
			mustFail(t, 4, []string{tc.job}, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
			if _, err := os.Stat(weeklyPath(root, focusWeek, 3, ".json")); err == nil {
				t.Fatal("a revision was published from the edited store")
			}
		})
	}
}

// TestAttackCodeBookEditedThenAnIngestSeals: an extra row in the coded
// columns' lookup table, then the cron ingest, which found nothing new.
// The lookup table was checked only by the report jobs: the ingest job
// sealed the store, and the next weekly job trusted the seal and
// published the baseline match the row made up, exit 0 (a fourth outside
// review). Every job that opens a store no seal vouches for checks it.
func TestAttackCodeBookEditedThenAnIngestSeals(t *testing.T) {
	root := publishedRoot(t)
	cutUnfinishedLine(t, root) // the ledger ends on a complete line
	mustRun(t, "--root", root, "ingest")
	execInStore(t, root, `INSERT INTO text_codes SELECT 'scenario_id', max(code), (SELECT value FROM text_codes WHERE field = 'scenario_id' AND code = 0) FROM text_codes WHERE field = 'scenario_id'`)
	const edited = "the lookup table was edited"
	mustFail(t, 4, []string{edited}, "--root", root, "ingest")
	mustFail(t, 4, []string{edited}, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
	if _, err := os.Stat(weeklyPath(root, focusWeek, 3, ".json")); err == nil {
		t.Fatal("a revision was published from the edited store")
	}
}

// TestAttackBaselineFromAnEditedStore: a scenario's credits tripled in
// the store. The report jobs refused the store, but baseline calculate
// read the rows unchecked and signed the tripled median in its record,
// exit 0 (a fourth outside review); propose and approve read the same
// rows. The baseline jobs hold the rows to the log's record first.
func TestAttackBaselineFromAnEditedStore(t *testing.T) {
	root := publishedRoot(t)
	scenario := fixtureCandidate(t)
	execInStore(t, root, fmt.Sprintf(`UPDATE ledger_rows SET credits_total = credits_total * 3
		WHERE scenario_id = (SELECT code FROM text_codes WHERE field = 'scenario_id' AND value = '%s')
		AND byte_offset // 1048576 < (SELECT max(byte_offset) // 1048576 FROM ledger_rows)`, scenario)) // not the chunk the next append extends
	mustFail(t, 4, []string{"the store was edited"}, "--root", root, "baseline", "calculate", "--scenario", scenario, "--as-of", "2026-03-02T00:00:00Z")
}

// TestAttackRowPlantedPastTheCoveredEnd: a run planted in the store at a
// ledger offset past the bytes it covers, where the producer has not
// written yet. Rows outside the covered bytes were counted after the
// job's ingest; once the ledger had grown, the ingest covered the planted
// row's offset, digested that chunk from its own batches and never read
// it back: the job published the run, signed, exit 0, and sealed the
// store over it (an outside review). They are now counted before the
// ingest, by every job that opens the store.
func TestAttackRowPlantedPastTheCoveredEnd(t *testing.T) {
	for _, job := range [][]string{{"ingest"}, {"report", "weekly", "--week", focusWeek}, {"report", "sla", "--month", focusWeek[:7]}} {
		t.Run(job[0]+" "+job[len(job)-1], func(t *testing.T) {
			root, full, end := rootBeforeTheLedgerGrows(t)
			plantRun(t, root, 99999993, end+10)
			if err := os.WriteFile(ledgerPath(root), full, 0o644); err != nil {
				t.Fatal(err)
			}
			mustFail(t, 4, []string{"lie outside the ledger bytes it covers"}, append([]string{"--root", root}, job...)...)
			mustFail(t, 4, []string{"lie outside the ledger bytes it covers"}, "--root", root, "report", "weekly", "--week", focusWeek)
			if _, err := os.Stat(weeklyPath(root, focusWeek, 1, ".json")); err == nil {
				t.Fatal("the week was published from the edited store")
			}
		})
	}
}

// TestAttackStoreBookkeepingEdited: the store's record of its ingests
// (ingest_log) and of what it covers (ledger_state) feed the report's
// data-quality section, and no digest vouched for them: the lines read
// cut by a thousand, or a ledger modification made up, passed verify
// store, verify ledger, verify all and audit verify, and the weekly job
// published them, signed, exit 0 (an outside review). Every ingest now
// records their digest; verify store names the edit and jobs refuse it.
func TestAttackStoreBookkeepingEdited(t *testing.T) {
	for _, tc := range []struct{ name, sql string }{
		{"the lines read", "UPDATE ledger_state SET covered_lines = covered_lines - 1000"},
		{"a ledger modification made up", `INSERT INTO ingest_log
			SELECT 0, ledger_path, 'ledger_modified', 0, 0, 0, 0, 0, 0, 0, prefix_sha256, 100, 200, 1, 2 FROM ingest_log WHERE seq = 1`},
		{"the unfinished tail", "UPDATE ingest_log SET partial_tail_bytes = partial_tail_bytes + 1 WHERE seq = (SELECT max(seq) FROM ingest_log)"},
		// Numbered as the next ingest: a job stopped before its record
		// leaves such a row (one that found nothing new is loaded again),
		// but the ledger is as the log recorded it.
		{"a ledger modification made up, numbered as the next ingest", `INSERT INTO ingest_log
			SELECT seq + 1, ledger_path, 'ledger_modified', offset_to, offset_to, 0, 0, 0, 0, 0, prefix_sha256, 100, 200, 1, 2
			FROM ingest_log WHERE seq = (SELECT max(seq) FROM ingest_log)`},
		// Beside a row such as a stopped job leaves, which had the next
		// job load the store again, keeping its record of ingests, and
		// record a digest of the made-up row (a second outside review).
		{"a ledger modification made up, beside an ingest a stopped job leaves", `INSERT INTO ingest_log
			SELECT 0, ledger_path, 'ledger_modified', 0, 0, 0, 0, 0, 0, 0, prefix_sha256, 100, 200, 1, 2 FROM ingest_log WHERE seq = 1;
			INSERT INTO ingest_log
			SELECT seq + 1, ledger_path, 'no_change', offset_to, offset_to, 0, 0, 0, 0, partial_tail_bytes, prefix_sha256, NULL, NULL, NULL, NULL
			FROM ingest_log WHERE seq = (SELECT max(seq) FROM ingest_log)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := publishedRoot(t)
			execInStore(t, root, tc.sql)
			const edited = "its record of ingests (ingest_log)"
			mustFail(t, 4, []string{edited}, "--root", root, "verify", "store")
			mustFail(t, 4, []string{edited}, "--root", root, "verify", "all")
			mustFail(t, 4, []string{edited}, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
			if _, err := os.Stat(weeklyPath(root, focusWeek, 3, ".json")); err == nil {
				t.Fatal("a revision was published from the edited store")
			}
		})
	}
}

// TestAttackStoreRunningDigestEdited: the store's running SHA-256 of the
// ledger it covers (ledger_state.sha256_state), which each ingest extends,
// edited. The next job extended it and recorded a false digest of the
// ledger in the signed log, exit 0; verify ledger then blamed the ledger,
// which had only been appended to (a second outside review). Jobs and
// verifiers now find that it does not give the prefix digest the store
// records, and refuse the store.
func TestAttackStoreRunningDigestEdited(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(state []byte) []byte
	}{
		{"a word of it changed", func(st []byte) []byte { st[10] ^= 1; return st }}, // after the format's magic
		// The next ingest started a new digest at the covered end and
		// recorded the appended bytes' as the ledger's, signed, exit 0
		// (a third outside review).
		{"emptied", func([]byte) []byte { return []byte{} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := publishedRoot(t)
			editStateColumn(t, root, "sha256_state", tc.edit)
			const edited = "does not hold together: the store was edited"
			mustFail(t, 4, []string{edited}, "--root", root, "verify", "ledger")
			mustFail(t, 4, []string{edited}, "--root", root, "verify", "store")
			mustFail(t, 4, []string{edited}, "--root", root, "verify", "all")
			// With lines appended, as the producer goes on writing.
			appendLedgerLines(t, root, `{"not":"a run"}`)
			mustFail(t, 4, []string{edited}, "--root", root, "ingest")
			mustFail(t, 4, []string{edited}, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
		})
	}
}

// TestAttackStoreChunkDigestsEdited: the store's digests of the ledger's
// chunks (ledger_state.chunk_digests) edited. The job took the mismatch for
// an edit of the ledger: it reloaded the store, signed a tamper_detected
// entry blaming the ledger, which was byte-identical, and published a
// revision showing a "ledger modification"; a digest list cut short ended
// every job with exit 1 (an outside review). The ledger's covered bytes
// still hash to the digest the store and the log record of them, so the
// store is what changed: every job and verifier exits 4 naming it, and the
// signed log names no ledger modification.
func TestAttackStoreChunkDigestsEdited(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(digests []byte) []byte
	}{
		{"a chunk's digest changed", func(d []byte) []byte { d[5] ^= 1; return d }},
		{"the list cut short", func(d []byte) []byte { return d[:len(d)-1] }},
		// With lines appended, the next ingest panicked: exit 2 (a third
		// outside review).
		{"the list a chunk short", func(d []byte) []byte { return d[:len(d)-32] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := publishedRoot(t)
			ledgerBefore := readFile(t, ledgerPath(root))
			logBefore := readFile(t, filepath.Join(root, ".ledgerlens", "audit.jsonl"))
			editStateColumn(t, root, "chunk_digests", tc.edit)
			const edited = "the store was edited"
			mustFail(t, 4, []string{edited, "chunk_digests"}, "--root", root, "verify", "ledger")
			mustFail(t, 4, []string{edited, "chunk_digests"}, "--root", root, "verify", "store")
			r := mustFail(t, 4, []string{edited}, "--root", root, "verify", "all")
			if strings.Contains(r.stdout, "ledger: MODIFIED") {
				t.Errorf("verify all calls the byte-identical ledger modified:\n%s", r.stdout)
			}
			r = mustFail(t, 4, []string{edited, "chunk_digests"}, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
			if strings.Contains(r.stderr, "were modified") {
				t.Errorf("the job blamed the byte-identical ledger:\n%s", r.stderr)
			}
			if _, err := os.Stat(weeklyPath(root, focusWeek, 3, ".json")); err == nil {
				t.Error("the job published a revision from the edited store")
			}
			if !bytes.Equal(readFile(t, ledgerPath(root)), ledgerBefore) {
				t.Fatal("the ledger changed")
			}
			added := bytes.TrimPrefix(readFile(t, filepath.Join(root, ".ledgerlens", "audit.jsonl")), logBefore)
			for _, line := range bytes.Split(added, []byte("\n")) {
				if bytes.Contains(line, []byte(`"tamper_detected"`)) || bytes.Contains(line, []byte(`"ledger_modified"`)) {
					t.Errorf("the log blames a byte-identical ledger:\n%s", line)
				}
			}
			// With lines appended, as the producer goes on writing.
			appendLedgerLines(t, root, `{"not":"a run"}`)
			mustFail(t, 4, []string{edited, "chunk_digests"}, "--root", root, "ingest")
		})
	}
}

// TestAttackLedgerEditedWithTheStoresDigest: a loaded line edited, and
// the store's digest of the covered ledger (prefix_sha256, with the
// running SHA-256 that must give it) rewritten to the edited bytes', the
// chunk digests left: the store's own record then vouches for the edit,
// and a chunk mismatch is taken for an edit of the store
// (TestAttackStoreChunkDigestsEdited). The audit log's record is what
// tells: the job records the ledger modification, signed, and every
// verifier names the ledger, not only the store.
func TestAttackLedgerEditedWithTheStoresDigest(t *testing.T) {
	root := publishedRoot(t)
	h := sha256.New()
	h.Write(editedCoveredLedger(t, root))
	state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	editStateColumn(t, root, "sha256_state", func([]byte) []byte { return state })
	execInStore(t, root, fmt.Sprintf("UPDATE ledger_state SET prefix_sha256 = '%x'", h.Sum(nil)))
	const differs = "differ from what the audit log records as ingested"
	mustFail(t, 4, []string{"chunk_digests", differs}, "--root", root, "verify", "ledger")
	mustFail(t, 4, []string{differs}, "--root", root, "verify", "all")
	mustSignModification(t, root, "report", "weekly", "--week", focusWeek, "--supersede")
}

// TestAttackLedgerEditedWithTheChunkDigests: a loaded line edited, and
// the store's digests of the ledger's chunks (chunk_digests) rewritten to
// the edited bytes', the store's SHA-256 of them left as the log records
// it. The store's append-only check then passed, and every job signed
// "append-only", exit 0 (a third outside review). A store no seal vouches
// for has its covered bytes held to the log's digest of them: the job
// loads the ledger again and records the modification, signed, exit 4.
func TestAttackLedgerEditedWithTheChunkDigests(t *testing.T) {
	root := publishedRoot(t)
	ledger := editedCoveredLedger(t, root)
	var digests []byte
	for off := 0; off < len(ledger); off += store.ChunkBytes {
		sum := blake3.Sum256(ledger[off:min(off+store.ChunkBytes, len(ledger))])
		digests = append(digests, sum[:]...)
	}
	editStateColumn(t, root, "chunk_digests", func([]byte) []byte { return digests })
	appendLedgerLines(t, root, `{"not":"a run"}`) // the producer goes on writing
	mustSignModification(t, root, "report", "weekly", "--week", focusWeek, "--supersede")
	for _, args := range [][]string{{"ingest"}, {"report", "sla", "--month", focusWeek[:7]}} {
		mustFail(t, 4, []string{"ledger acknowledge"}, append([]string{"--root", root}, args...)...)
	}
	mustFail(t, 4, nil, "--root", root, "verify", "ledger")
	mustFail(t, 4, nil, "--root", root, "verify", "all")
}

// TestAttackRowRenumberedAsTheNextIngests: a row of the store's tables
// given the number of the ingest still to come (ingest_seq, which no
// digest covers: a reload numbers the rows anew). An append tells its own
// rows, and the earlier rows its new ones repeat, by that number: an old
// run renumbered so hid the conflicting repeat the producer appended, and
// the job published it as a run, signed, exit 0; a duplicate renumbered
// so made the ingest record one run fewer than it loaded (a third outside
// review). A row naming an ingest the store's history does not hold is an
// edit: the verifiers and the job exit 4.
func TestAttackRowRenumberedAsTheNextIngests(t *testing.T) {
	for _, table := range []string{"ledger_rows", "duplicates"} {
		t.Run(table, func(t *testing.T) {
			root := publishedRoot(t)
			execInStore(t, root, "UPDATE "+table+" SET ingest_seq = (SELECT max(seq) + 1 FROM ingest_log) WHERE line_no = (SELECT min(line_no) FROM "+table+" WHERE line_no >= 100)")
			const edited = "rows of its tables name ingest"
			mustFail(t, 4, []string{edited}, "--root", root, "verify", "all")
			// The producer repeats line 100's run, with other credits.
			lines := bytes.Split(readFile(t, ledgerPath(root)), []byte("\n"))
			repeat := bytes.Replace(lines[99], []byte(`"credits_total":`), []byte(`"credits_total":1`), 1)
			appendLedgerLines(t, root, string(repeat))
			mustFail(t, 4, []string{edited}, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
			mustFail(t, 4, []string{edited}, "--root", root, "verify", "store")
		})
	}
}

// TestAttackLoggedOffsetBeyondTheLedger: on a root without keys, whose
// audit log is only chained, an ingest entry appended to the log claims
// the store covers 2^63-1 bytes of the ledger, or 2^50. A job took the
// number for the length of the prefix to start hashing before anything
// compared it with the ledger or the store: it crashed (a panic, or out of
// memory), exit 2, recording nothing, and so did every job after it (an
// outside review). It is an ingest the log records that the store and the
// ledger do not match: an integrity problem, exit 4, as before the job
// hashed early.
func TestAttackLoggedOffsetBeyondTheLedger(t *testing.T) {
	for _, offset := range []int64{math.MaxInt64, 1 << 50} {
		t.Run(fmt.Sprint(offset), func(t *testing.T) {
			root := copyFixture(t)
			mustRun(t, "--root", root, "ingest")
			forger, err := audit.Open(filepath.Join(root, ".ledgerlens", "audit.jsonl"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := forger.Append(context.Background(), audit.EventIngest, map[string]any{
				"ledger": "runs/CREDIT_MONITORING/ledger.jsonl", "ingest_event": "append",
				"offset_from": 0, "offset_to": offset, "prefix_sha256": strings.Repeat("ab", 32),
			}); err != nil {
				t.Fatal(err)
			}
			mustFail(t, 4, []string{"ledger"}, "--root", root, "ingest")
			// A crash recorded nothing, and every job after it crashed the
			// same way: the next one reports the change.
			mustFail(t, 4, []string{"were modified"}, "--root", root, "report", "weekly", "--week", focusWeek, "--unsigned")
		})
	}
}

// TestAttackLedgerEditedWhileTheStoreOpens: while a job opens its store,
// a loaded byte of the ledger is edited in place, or the ledger replaced
// by an edited copy. The job hashes the loaded prefix from its start,
// beside the opening, and used those digests: the ingest exited 0 over
// the edited ledger, as a weekly job would have published a clean report
// of it, where hashing when the ingest began found the edit (an outside
// review). The job drops digests of a file that changed since they were
// taken, and ingests the file the path names when the ingest begins.
func TestAttackLedgerEditedWhileTheStoreOpens(t *testing.T) {
	for _, how := range []string{"in place", "by a rename"} {
		t.Run(how, func(t *testing.T) {
			root := copyFixture(t)
			mustRun(t, "--root", root, "ingest")
			// A ledger changed moments ago is not hashed early.
			time.Sleep(100 * time.Millisecond)
			stopped := startStopped(t, job.StepStoreOpened, "--root", root, "ingest")
			path := ledgerPath(root)
			b := readFile(t, path)
			key := []byte(`"credits_total":`)
			i := bytes.Index(b, key) + len(key)
			if i < len(key) || b[i] < '0' || b[i] > '9' {
				t.Fatalf("no credits_total digit in the ledger's first line")
			}
			b[i] = '0' + (b[i]-'0'+1)%10
			if how == "in place" {
				f, err := os.OpenFile(path, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.WriteAt(b[i:i+1], int64(i)); err != nil {
					t.Fatal(err)
				}
				f.Close()
			} else {
				if err := os.WriteFile(path+".new", b, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(path+".new", path); err != nil {
					t.Fatal(err)
				}
			}
			rest, err := stopped.Continue(t)
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 4 || !strings.Contains(rest, "were modified") {
				t.Fatalf("the ingest after the edit: %v, want exit 4 naming the modification\n%s", err, rest)
			}
		})
	}
}

// appendForgedIngest appends to the audit log at logPath, without the
// key, an ingest entry marked initial, chained onto the newest: what
// erased the row digests later checks compare the store with, if a job
// vouched for it.
func appendForgedIngest(t *testing.T, logPath string) audit.Entry {
	t.Helper()
	forger, err := audit.Open(logPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := forger.Append(context.Background(), audit.EventIngest, map[string]any{"ingest_event": "initial", "note": "forged"})
	if err != nil {
		t.Fatal(err)
	}
	return forged
}

// TestAttackEntryAppendedWhileAJobRuns: while a job runs, an entry is
// appended to the audit log without the key, chained onto the newest.
// The job chained its own entries onto it and signed its closing
// checkpoint over it, and from then on every verifier and job trusted the
// forged entry (a fourth outside review: a forged ingest record erased
// the chunk digests every later check compares the store with). A job's
// log now chains only onto entries its key signed: the job stops, exit 4,
// signs no checkpoint over the entry, and publishes nothing. The job
// may stand stopped in the middle of an append (its step records are
// written in the background): its line then lands after the forged one,
// and the job named no entry, only bad JSON, about once in 60 runs; it
// names the forged entry there too (TestLogNamesAnEntryWrittenAsItAppends).
func TestAttackEntryAppendedWhileAJobRuns(t *testing.T) {
	root := publishedRoot(t)
	logPath := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	job := startStopped(t, "analyse", "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
	forged := appendForgedIngest(t, logPath)
	rest, err := job.Continue(t)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 4 {
		t.Fatalf("the job: %v, want exit 4\n%s", err, rest)
	}
	if !strings.Contains(rest, "not signed by the root's key") {
		t.Errorf("the job does not name the unsigned entry:\n%s", rest)
	}
	if _, err := os.Stat(weeklyPath(root, focusWeek, 3, ".json")); err == nil {
		t.Error("the job published a revision")
	}
	mustFail(t, 4, []string{fmt.Sprint(forged.Seq)}, "--root", root, "audit", "verify")
	mustFail(t, 4, nil, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
}

// TestAttackUnsignedEntryUnderASignedCheckpoint: an entry appended
// without the key, then a checkpoint signed over it, as a job tricked
// into vouching for it would sign (each way found so far is closed: the
// three rows of the audit log in docs/COMPLIANCE.md). The verifiers took
// a signed checkpoint's word for every entry it covers: audit verify and
// verify all exited 0, the forged entry trusted for good. On a root
// whose log is signed, every entry after the first the key signed must
// carry its own signature, whatever checkpoint covers it: a tricked job
// is found by the daily check, exit 4, naming the entry.
func TestAttackUnsignedEntryUnderASignedCheckpoint(t *testing.T) {
	root := publishedRoot(t)
	logPath := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	forged := appendForgedIngest(t, logPath)
	appendSignedCheckpoint(t, filepath.Join(root, ".ledgerlens", "keys", "signing.key"), logPath,
		filepath.Join(root, ".ledgerlens", "audit.checkpoints"), "weekly-review")
	seq := fmt.Sprintf("seq %d", forged.Seq)
	mustFail(t, 4, []string{seq, "carry no valid signature"}, "--root", root, "audit", "verify")
	mustFail(t, 4, []string{seq, "carry no valid signature"}, "--root", root, "verify", "all")
}

// TestLedgerEditedThenAJobStoppedBeforeItsRecord: a loaded line edited,
// then an ingest that found the edit and reloaded the store, stopped
// between the store's commit and its record in the audit log (the store
// of a scratch copy's ingest put in place). The store is one ingest past
// the log, its rows differ from the log's record, and the job refused it
// as edited: the signed job_fail blamed the store, and no modification
// of the ledger was recorded (a fourth outside review). The ledger is
// read against the log before the store is blamed: the store is loaded
// again, and the job records the modification, signed, exit 4.
func TestLedgerEditedThenAJobStoppedBeforeItsRecord(t *testing.T) {
	root := publishedRoot(t)
	editLine(t, ledgerPath(root), 50)
	appendLedgerLines(t, root, `{"not":"a run"}`) // and the producer goes on writing
	scratch := copyRoot(t, root)
	mustFail(t, 4, []string{"ledger acknowledge"}, "--root", scratch, "ingest")
	for _, name := range []string{"ledger.duckdb", "ledger.duckdb.wal"} {
		os.Remove(filepath.Join(storeFile(root), "..", name))
		if data, err := os.ReadFile(filepath.Join(storeFile(scratch), "..", name)); err == nil {
			if err := os.WriteFile(filepath.Join(storeFile(root), "..", name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	if r := mustSignModification(t, root, "ingest"); strings.Contains(r.stderr, "the store was edited") {
		t.Errorf("the job blamed the store:\n%s", r.stderr)
	}
}

// TestAttackStoreZoneEdited: the zone the store's local times were
// computed in (store_meta.time_zone) edited to one that does not exist,
// its bytes not even text. The verifiers refused the store (exit 4), but
// every job ended with exit 1, "unknown time zone", the raw bytes in the
// message (an outside review). ledgerlens writes only a zone it has
// loaded there: any other is an edited store, and every job and verifier
// exits 4 naming it, quoting the bytes.
func TestAttackStoreZoneEdited(t *testing.T) {
	root := publishedRoot(t)
	execInStore(t, root, "UPDATE store_meta SET time_zone = 'Nowhere/' || chr(27) || '[31m'")
	for _, args := range [][]string{
		{"report", "weekly", "--week", focusWeek, "--supersede"},
		{"ingest"},
		{"report", "sla", "--month", focusWeek[:7]},
		{"verify", "store"},
		{"verify", "all"},
	} {
		r := mustFail(t, 4, []string{"the store was edited"}, append([]string{"--root", root}, args...)...)
		if strings.Contains(r.stdout+r.stderr, "\x1b") {
			t.Errorf("ledgerlens %v: the zone's raw bytes reach the terminal:\n%q", args, r.stdout+r.stderr)
		}
	}
}

// TestAttackRowPlantedWhereTheLedgerGrows: the ledger ends, when a job
// ingests it, just after a line that crosses a MiB boundary, so the
// ingest covers bytes of the next chunk without loading a row there, and
// records no digest for it. A run planted in those bytes was refused by
// a job at once (exit 4), but once the ledger grew into the chunk, the
// next ingest folded the planted row into the digest it recorded, and
// the weekly job published it, signed, exit 0; every later job trusted
// it (an outside review). An ingest that extends a chunk no ingest
// recorded, whose earlier bytes recording ingests read in full, now finds
// the chunk's earlier rows must be none, and refuses them.
func TestAttackRowPlantedWhereTheLedgerGrows(t *testing.T) {
	root, full, _ := rootBeforeTheLedgerGrows(t)
	plantRun(t, root, 99999994, 8<<20+10)
	const refused = "hold rows, though the ingests that loaded those bytes recorded none there"
	mustFail(t, 4, []string{refused}, "--root", root, "report", "weekly", "--week", focusWeek)
	// The producer writes the rest of the ledger.
	if err := os.WriteFile(ledgerPath(root), full, 0o644); err != nil {
		t.Fatal(err)
	}
	mustFail(t, 4, []string{refused}, "--root", root, "ingest")
	mustFail(t, 4, []string{refused}, "--root", root, "report", "weekly", "--week", focusWeek)
	if _, err := os.Stat(weeklyPath(root, focusWeek, 1, ".json")); err == nil {
		t.Fatal("the week was published from the edited store")
	}
	mustFail(t, 4, []string{"ledger lines [99999994]"}, "--root", root, "verify", "store")
	// Moved away, as the message says, the store is rebuilt from the
	// ledger, and the week is published without the planted run.
	if err := os.Rename(storeFile(root), storeFile(root)+".edited"); err != nil {
		t.Fatal(err)
	}
	os.Remove(storeFile(root) + ".wal")
	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek)
	if bytes.Contains(readFile(t, weeklyPath(root, focusWeek, 1, ".json")), []byte("PLANTED-1")) {
		t.Fatal("the rebuilt store's report holds the planted run")
	}
	mustRun(t, "--root", root, "verify", "all")
}

// rootBeforeTheLedgerGrows is a fixture root whose ledger ends, when its
// first job (the week before the focus week's) ingests it, just after the
// line that crosses its 8 MiB boundary: that ingest covers bytes of the
// chunk after the boundary without loading a row there. It returns the
// root, the whole ledger, which the producer writes later, and the end
// of the covered bytes.
func rootBeforeTheLedgerGrows(t *testing.T) (root string, full []byte, end int64) {
	t.Helper()
	root = copyFixture(t)
	full = readFile(t, ledgerPath(root))
	end = int64(bytes.IndexByte(full[8<<20:], '\n') + 8<<20 + 1)
	if err := os.WriteFile(ledgerPath(root), full[:end], 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--root", root, "keys", "generate")
	mustRun(t, "--root", root, "report", "weekly", "--week", prevWeek(t))
	return root, full, end
}

// plantRun inserts into root's store, as anyone who may write the state
// directory can, a copy of the focus week's first run as run PLANTED-1,
// 50,000 credits dearer, at ledger line line and byte offset offset.
func plantRun(t *testing.T, root string, line, offset int64) {
	t.Helper()
	execInStore(t, root, fmt.Sprintf(`INSERT INTO ledger_rows
		SELECT * REPLACE (%d AS line_no, %d AS byte_offset, 'PLANTED-1' AS run_id, credits_total + 50000 AS credits_total)
		FROM ledger_rows WHERE line_no = (SELECT min(line_no) FROM ledger_rows
			WHERE "timestamp" >= '%s'::TIMESTAMPTZ AND "timestamp" < '%s'::TIMESTAMPTZ)`, line, offset, focusWeek, nextWeek(t)))
}

// editedCoveredLedger edits a loaded line of root's ledger (editLine)
// and returns the bytes of the edited ledger that the store covers.
func editedCoveredLedger(t *testing.T, root string) []byte {
	t.Helper()
	editLine(t, ledgerPath(root), 50)
	st, err := store.Open(context.Background(), storeFile(root), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	covered, err := st.CoveredBytes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return readFile(t, ledgerPath(root))[:covered]
}

// mustSignModification runs the job args on root, which must exit 4
// saying how to acknowledge a ledger modification, and sign one
// (tamper_detected) in the entries it adds to the audit log.
func mustSignModification(t *testing.T, root string, args ...string) result {
	t.Helper()
	logPath := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	before := readFile(t, logPath)
	r := mustFail(t, 4, []string{"ledger acknowledge"}, append([]string{"--root", root}, args...)...)
	if added := bytes.TrimPrefix(readFile(t, logPath), before); !bytes.Contains(added, []byte(`"tamper_detected"`)) {
		t.Errorf("ledgerlens %v signed no ledger modification:\n%s", args, added)
	}
	return r
}

// editStateColumn rewrites the BLOB column of the store's ledger_state
// row with edit applied to its value, as anyone who can write the store
// can.
func editStateColumn(t *testing.T, root, column string, edit func([]byte) []byte) {
	t.Helper()
	st, err := store.Open(context.Background(), storeFile(root), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var value []byte
	if err := st.Conn().QueryRowContext(context.Background(), "SELECT "+column+" FROM ledger_state").Scan(&value); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Conn().ExecContext(context.Background(), "UPDATE ledger_state SET "+column+" = $1", edit(value)); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

// execInStore runs each statement on root's store, opened as any DuckDB
// client would open it while no job runs: what anyone who may write the
// state directory can do.
func execInStore(t *testing.T, root string, statements ...string) {
	t.Helper()
	st, err := store.Open(context.Background(), storeFile(root), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range statements {
		if _, err := st.Conn().ExecContext(context.Background(), q); err != nil {
			st.Close()
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

// appendJunkLine appends to root's ledger, which must end in a newline,
// a line of size bytes that no run can be read from, and returns the
// offset it starts at.
func appendJunkLine(t *testing.T, root string, size int64) int64 {
	t.Helper()
	data := readFile(t, ledgerPath(root))
	if !bytes.HasSuffix(data, []byte("\n")) || size < 20 {
		t.Fatalf("appendJunkLine: a ledger ending %q, a line of %d bytes", data[max(0, len(data)-20):], size)
	}
	start := int64(len(data))
	data = append(data, `{"junk":"`...)
	data = append(data, bytes.Repeat([]byte("x"), int(size)-len(`{"junk":""}`)-1)...)
	data = append(data, "\"}\n"...)
	if err := os.WriteFile(ledgerPath(root), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return start
}

// cutUnfinishedLine cuts root's ledger after its last newline, where
// no ingest has loaded anything, and returns its new size.
func cutUnfinishedLine(t *testing.T, root string) int64 {
	t.Helper()
	data := readFile(t, ledgerPath(root))
	data = data[:bytes.LastIndexByte(data, '\n')+1]
	if err := os.WriteFile(ledgerPath(root), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return int64(len(data))
}

// appendRejectedSpan cuts the ledger's unfinished last line, appends a
// line of 3 MiB that no run can be read from and, after it, the last 20
// lines again under other run ids, and returns the offset the long line
// starts at.
func appendRejectedSpan(t *testing.T, root string) int64 {
	t.Helper()
	cutUnfinishedLine(t, root)
	lines := bytes.SplitAfter(readFile(t, ledgerPath(root)), []byte("\n"))
	tail := bytes.Join(lines[len(lines)-21:], nil)
	start := appendJunkLine(t, root, 3<<20)
	data := append(readFile(t, ledgerPath(root)), bytes.ReplaceAll(tail, []byte(`"RUN-`), []byte(`"RUNX-`))...)
	if err := os.WriteFile(ledgerPath(root), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return start
}

// editStoreRow adds 1000 credits to the first stored run of the week
// beginning at week and returns its line.
func editStoreRow(t *testing.T, root, week string) int64 {
	t.Helper()
	st, err := store.Open(context.Background(), storeFile(root), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, _ := time.Parse(time.DateOnly, week)
	var line int64
	if err := st.Conn().QueryRowContext(context.Background(), `SELECT min(line_no) FROM ledger_rows
		WHERE "timestamp" >= ?::TIMESTAMPTZ AND "timestamp" < ?::TIMESTAMPTZ`, d, d.AddDate(0, 0, 7)).Scan(&line); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Conn().ExecContext(context.Background(),
		`UPDATE ledger_rows SET credits_total = credits_total + 1000 WHERE line_no = ?`, line); err != nil {
		t.Fatal(err)
	}
	return line
}

// TestAttackMacrosInTheStore: whoever can write the state directory
// plants, with any DuckDB client, macros named like built-in functions in
// the store (max computing a minimum, stddev_pop a zero). The weekly job
// published and signed wrong figures (maxima, every CV 0, 298 baseline
// candidates instead of 5), and verify all, audit verify, evidence export
// and the offline check of the bundle all exited 0 (an outside review).
// Every command now refuses the store, naming the macros: the weekly job
// exits 4 and publishes nothing, verify all and query fail. Moving the
// store away, as the message says, lets the next job rebuild it, and it
// publishes what an untouched root publishes.
func TestAttackMacrosInTheStore(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	mustRun(t, "--root", root, "ingest")
	clean := copyRoot(t, root)
	db, err := sql.Open("duckdb", storeFile(root))
	if err != nil {
		t.Fatal(err)
	}
	// current_database too: the check's first version looked its own
	// functions up through the file, and a planted one hid the rest.
	for _, q := range []string{"CREATE MACRO max(x) AS min(x)", "CREATE MACRO stddev_pop(x) AS stddev_samp(x) * 0", "CREATE MACRO current_database() AS 'nope'"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	week := prevWeek(t)
	r := ledgerlens(t, nil, "--root", root, "--quiet", "report", "weekly", "--week", week)
	if r.code != 4 || !strings.Contains(r.stderr, "macro main.max") || !strings.Contains(r.stderr, "macro main.stddev_pop") || !strings.Contains(r.stderr, "macro main.current_database") {
		t.Fatalf("weekly job over planted macros: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(weeklyPath(root, week, 1, ".json")); err == nil {
		t.Fatal("the weekly job published over planted macros")
	}
	mustFail(t, 4, []string{"macro main.max"}, "--root", root, "verify", "all")
	if q := ledgerlens(t, nil, "--root", root, "query", "SELECT max(credits_total) FROM runs"); q.code == 0 || !strings.Contains(q.stderr, "macro main.max") {
		t.Fatalf("query over planted macros: exit %d\n%s%s", q.code, q.stdout, q.stderr)
	}

	for _, f := range []string{"ledger.duckdb", "ledger.duckdb.wal"} {
		if err := os.Rename(filepath.Join(root, ".ledgerlens", "store", f), filepath.Join(t.TempDir(), f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	mustRun(t, "--root", root, "report", "weekly", "--week", week)
	mustRun(t, "--root", clean, "report", "weekly", "--week", week)
	got, want := readWeekly(t, weeklyPath(root, week, 1, ".json")), readWeekly(t, weeklyPath(clean, week, 1, ".json"))
	for _, k := range []string{"top_scenarios_by_total", "baseline_candidates", "summary_stats"} {
		if !reflect.DeepEqual(got[k], want[k]) || got[k] == nil {
			t.Errorf("%s after the store was rebuilt differs from an untouched root's", k)
		}
	}
	mustRun(t, "--root", root, "verify", "all")
}

// TestAttackRerunOverAChangedPublication: a re-run of a published week or
// month compares its result with the published report only, and said
// "already published, identical (no-op)" with exit 0 while the workbook,
// a signature, a sidecar or the rejects file beside it had been edited or
// deleted (an outside review): cron was told all was well, and no re-run
// could publish the missing file. The re-run now exits 4 naming the file,
// and publishes nothing.
func TestAttackRerunOverAChangedPublication(t *testing.T) {
	month := focusWeek[:7]
	for _, tc := range []struct {
		name   string
		args   []string
		file   string // under the reviews directory
		delete bool
	}{
		{"workbook edited", []string{"report", "weekly", "--week", focusWeek}, "weekly_" + focusWeek + ".r2.xlsx", false},
		{"workbook deleted", []string{"report", "weekly", "--week", focusWeek}, "weekly_" + focusWeek + ".r2.xlsx", true},
		{"an earlier revision's signature deleted", []string{"report", "weekly", "--week", focusWeek}, "weekly_" + focusWeek + ".json.sig", true},
		{"rejects file deleted", []string{"report", "weekly", "--week", focusWeek}, "rejects_cumulative_" + focusWeek + ".r2.jsonl", true},
		{"sidecar edited", []string{"report", "weekly", "--week", focusWeek}, "weekly_" + focusWeek + ".r2.json.sha256", false},
		{"SLA workbook edited", []string{"report", "sla", "--month", month}, "sla_" + month + ".xlsx", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := publishedRoot(t)
			if tc.args[1] == "sla" {
				mustRun(t, append([]string{"--root", root}, tc.args...)...)
			}
			path := filepath.Join(reviews(root), tc.file)
			if tc.delete {
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
			} else {
				f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.WriteString("x")
				f.Close()
			}
			r := ledgerlens(t, nil, append([]string{"--root", root, "--quiet"}, tc.args...)...)
			if r.code != 4 || !strings.Contains(r.stderr, tc.file) || !strings.Contains(r.stderr, "the re-run published nothing") {
				t.Fatalf("%v over %s: exit %d\n%s", tc.args, tc.name, r.code, r.stderr)
			}
		})
	}
}

// Attack 8: the store seal (pipeline/job/store_seal.go) lets a job skip
// reading back rows an earlier job vouched for. It must not vouch for an
// edited store, for rows no job read since they were edited, or on the
// word of an unsigned audit entry.
func TestAttackStoreSeal(t *testing.T) {
	t.Run("untouched store: the next job reads nothing back, a query in between changes nothing", func(t *testing.T) {
		root := publishedRoot(t)
		mustRun(t, "--root", root, "query", "SELECT count(*) FROM runs")
		mustRun(t, "--root", root, "report", "weekly", "--week", prevWeek(t), "--supersede")
		seals := storeSeals(t, root)
		last := seals[len(seals)-1]
		if n, _ := last.Fields["read_back_chunks"].(json.Number).Int64(); n != 0 {
			t.Fatalf("the job read back %d chunks of an untouched, sealed store", n)
		}
	})
	t.Run("edited between jobs: the seal no longer holds", func(t *testing.T) {
		root := publishedRoot(t)
		editStoreRow(t, root, focusWeek)
		mustFail(t, 4, []string{"differ from what the ingest at audit seq", "refusing to publish"},
			"--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
	})
	t.Run("edited rows the next job does not read stay unvouched for", func(t *testing.T) {
		root := publishedRoot(t)
		weeks := func(n int) string {
			d, _ := time.Parse(time.DateOnly, focusWeek)
			return d.AddDate(0, 0, 7*n).Format(time.DateOnly)
		}
		// An edit five weeks back, then a job that reads none of those
		// rows (an ingest with nothing new): its seal must not carry the
		// edited chunk, so the next job that reads it still finds the
		// edit. (The weekly job read only the last two weeks once; it
		// reads them all now.)
		editStoreRow(t, root, weeks(-5))
		mustRun(t, "--root", root, "ingest")
		mustFail(t, 4, []string{"differ from what the ingest at audit seq"},
			"--root", root, "report", "weekly", "--week", weeks(-4))
	})
	t.Run("a forged seal appended after the signed checkpoint is not trusted", func(t *testing.T) {
		root := publishedRoot(t)
		editStoreRow(t, root, focusWeek)
		seals := storeSeals(t, root)
		forged := maps.Clone(seals[len(seals)-1].Fields)
		for k, path := range map[string]string{"store_fingerprint": "ledger.duckdb", "wal_fingerprint": "ledger.duckdb.wal"} {
			fp, err := store.FileFingerprint(context.Background(), filepath.Join(root, ".ledgerlens", "store", path))
			forged[k] = ""
			if err == nil {
				forged[k] = fp
			}
		}
		log, err := audit.Open(filepath.Join(root, ".ledgerlens", "audit.jsonl"), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := log.Append(context.Background(), audit.EventStoreSealed, forged); err != nil {
			t.Fatal(err)
		}
		// The forged seal carries no signature of the key, so the job
		// refuses the log before it could weigh the seal.
		mustFail(t, 4, []string{"carry no valid signature of key", "refusing to extend the log"},
			"--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
		if _, err := os.Stat(weeklyPath(root, focusWeek, 3, ".json")); err == nil {
			t.Error("a revision was published from the edited store")
		}
	})
}

// forgeEntry appends an entry that chains onto the log's last one, made
// with nothing but the documented hash rule: what anyone who can write the
// log can do without the signing key.
func forgeEntry(t *testing.T, logPath, event string, fields map[string]any) {
	t.Helper()
	st, err := audit.Load(logPath)
	if err != nil {
		t.Fatal(err)
	}
	last := st.Entries[len(st.Entries)-1]
	raw, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var norm map[string]any
	if err := dec.Decode(&norm); err != nil {
		t.Fatal(err)
	}
	e := audit.Entry{Seq: last.Seq + 1, Time: time.Now().UTC().Format(time.RFC3339Nano), Event: event, Fields: norm, Prev: last.Hash}
	if e.Hash, err = e.ComputeHash(); err != nil {
		t.Fatal(err)
	}
	line, err := e.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		t.Fatal(err)
	}
}

// TestAttackForgedAuditEntries: the log's hash chain needs no key, so
// anyone who can write it can append entries that chain. Swap the focus
// week's workbook for the week before's (with its own valid signature and
// a fresh sidecar) and append artifact_written entries recording the
// swapped files, as a job would: before entries were signed, every
// verifier accepted the tail, the next job signed a checkpoint over it,
// and an evidence bundle carrying the swapped workbook verified offline.
// Now entries after the newest signed checkpoint must carry the key's
// signature: every command refuses and nothing is checkpointed.
func TestAttackForgedAuditEntries(t *testing.T) {
	root := publishedRoot(t)
	logPath := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	cps := filepath.Join(root, ".ledgerlens", "audit.checkpoints")
	from, to := weeklyPath(root, prevWeek(t), 1, ".xlsx"), weeklyPath(root, focusWeek, 1, ".xlsx")
	copyFile(t, from, to)
	copyFile(t, from+".sig", to+".sig")
	residecar(t, to)
	for _, f := range []struct{ path, role string }{{to, "artifact"}, {to + ".sig", "signature"}, {to + ".sha256", "sidecar"}} {
		data, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		rel, _ := filepath.Rel(root, f.path)
		forgeEntry(t, logPath, audit.EventArtifactWritten, map[string]any{
			"bytes": len(data), "path": rel, "publication": "weekly_" + focusWeek, "revision": 1,
			"role": f.role, "sha256": hex.EncodeToString(sum[:])})
	}
	before, err := os.ReadFile(cps)
	if err != nil {
		t.Fatal(err)
	}
	const phrase = "carry no valid signature of key"
	mustFail(t, 4, []string{phrase}, "--root", root, "verify", "all")
	mustFail(t, 4, []string{phrase}, "--root", root, "audit", "verify")
	// Cron runs the check with --quiet and mails only stderr: it names
	// the problem there, not only how many there are.
	mustFail(t, 4, []string{phrase}, "--root", root, "--quiet", "verify", "all")
	if r := mustFail(t, 4, []string{phrase, "refusing to extend the log"}, "--root", root, "ingest"); r.stdout != "" {
		// Nothing was loaded: no result line of zeros on stdout.
		t.Errorf("a refused ingest printed %q", r.stdout)
	}
	mustFail(t, 4, []string{phrase}, "--root", root, "evidence", "export", "--from", prevWeek(t), "--to", focusWeek,
		"--out", filepath.Join(t.TempDir(), "q.zip"))
	after, err := os.ReadFile(cps)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("a checkpoint was signed over the forged entries")
	}
}

// TestAttackMoveOutputDir: pointing output_dir somewhere else and deleting
// every published file must not pass as "nothing published": verify all
// reconciles every directory the record of publication names. An
// output_dir that leaves the root is refused outright.
func TestAttackMoveOutputDir(t *testing.T) {
	root := publishedRoot(t)
	cfg := filepath.Join(root, "config", "ledgerlens.json")
	if err := os.WriteFile(cfg, []byte(`{"output_dir": "runs/ELSEWHERE"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(reviews(root)); err != nil {
		t.Fatal(err)
	}
	r := mustFail(t, 4, []string{"runs/CREDIT_REVIEWS/weekly_" + focusWeek + ".json"}, "--root", root, "verify", "all")
	if strings.Contains(r.stdout, "\nOK") {
		t.Errorf("verify all still says OK:\n%s", r.stdout)
	}
	if err := os.WriteFile(cfg, []byte(`{"output_dir": "../../../../etc"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	mustFail(t, 1, []string{"output_dir", "leaves the root"}, "--root", root, "report", "weekly", "--week", focusWeek)
	// A configuration the jobs refuse is a problem for the check too, not
	// read as the defaults.
	mustFail(t, 4, []string{"output_dir", "leaves the root"}, "--root", root, "verify", "all")
}

// TestAttackEditLedgerAndRebuildStore: an edit of already-ingested ledger
// bytes, with the store replaced by one built from the edited ledger in a
// scratch root (no key needed), left the store's own append-only check
// and its re-derivation nothing to find: verify ledger, verify store and
// verify all printed OK, and the monthly SLA job signed a report without
// the edited run. The audit log records what each ingest covered and
// loaded; the verifiers and the SLA job now hold the ledger and the store
// to it.
func TestAttackEditLedgerAndRebuildStore(t *testing.T) {
	root := publishedRoot(t)
	ledger := filepath.Join(root, "runs", "CREDIT_MONITORING", "ledger.jsonl")
	editLine(t, ledger, 1000)
	scratch := t.TempDir()
	if out, err := exec.Command("cp", "-a", filepath.Join(root, "config"), scratch).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if err := os.MkdirAll(filepath.Join(scratch, "runs", "CREDIT_MONITORING"), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, ledger, filepath.Join(scratch, "runs", "CREDIT_MONITORING", "ledger.jsonl"))
	mustRun(t, "--root", scratch, "ingest")
	for _, f := range []string{"ledger.duckdb", "ledger.duckdb.wal"} {
		os.Remove(filepath.Join(root, ".ledgerlens", "store", f))
	}
	copyFile(t, storeFile(scratch), storeFile(root))
	if _, err := os.Stat(storeFile(scratch) + ".wal"); err == nil {
		copyFile(t, storeFile(scratch)+".wal", storeFile(root)+".wal")
	}

	ledgerPhrase := "differ from what the audit log records as ingested"
	storePhrase := "loaded and recorded: the store was edited or rebuilt from an edited ledger"
	mustFail(t, 4, []string{ledgerPhrase}, "--root", root, "verify", "ledger")
	mustFail(t, 4, []string{storePhrase}, "--root", root, "verify", "store")
	r := mustFail(t, 4, []string{ledgerPhrase, storePhrase}, "--root", root, "verify", "all")
	if strings.Contains(r.stdout, "\nOK") {
		t.Errorf("verify all still says OK:\n%s", r.stdout)
	}
	month := focusWeek[:7]
	mustFail(t, 4, []string{"differ from what the ingest at audit seq", "refusing to publish"},
		"--root", root, "report", "sla", "--month", month)
	if matches, _ := filepath.Glob(filepath.Join(reviews(root), "sla_"+month+"*")); len(matches) > 0 {
		t.Errorf("the SLA report was published from the rebuilt store: %v", matches)
	}
}

// TestPublishedFilesMissing: a report whose files were deleted, or whose
// output directory's mount is missing, was taken for "never published":
// the next run published a different result again as revision 1 (or into
// the bare mount point), exited 0, and the next verify all found nothing
// missing. The job now refuses while the audit log records what is gone.
func TestPublishedFilesMissing(t *testing.T) {
	t.Run("a report's revisions deleted", func(t *testing.T) {
		root := publishedRoot(t)
		matches, err := filepath.Glob(filepath.Join(reviews(root), "weekly_"+focusWeek+"*"))
		if err != nil || len(matches) == 0 {
			t.Fatalf("no published files of %s (%v)", focusWeek, err)
		}
		for _, m := range matches {
			if err := os.Remove(m); err != nil {
				t.Fatal(err)
			}
		}
		mustFail(t, 1, []string{"the audit log records revision 2 as published", "published files are missing", "nothing was written"},
			"--root", root, "report", "weekly", "--week", focusWeek)
		if _, err := os.Stat(weeklyPath(root, focusWeek, 1, ".json")); err == nil {
			t.Error("a revision 1 was published again")
		}
		mustFail(t, 4, []string{"weekly_" + focusWeek}, "--root", root, "verify", "all")
	})
	t.Run("a revision renamed to a higher one", func(t *testing.T) {
		root := publishedRoot(t)
		matches, err := filepath.Glob(filepath.Join(reviews(root), "weekly_"+prevWeek(t)+".*"))
		if err != nil || len(matches) == 0 {
			t.Fatalf("no published files of %s (%v)", prevWeek(t), err)
		}
		for _, m := range matches {
			renamed := strings.Replace(m, "weekly_"+prevWeek(t)+".", "weekly_"+prevWeek(t)+".r2.", 1)
			if err := os.Rename(m, renamed); err != nil {
				t.Fatal(err)
			}
		}
		// Revision 1, recorded, is gone: an integrity problem (exit 4)
		// since the earlier weeks' reports are read only as recorded; it
		// was exit 1, "revision 2 … is not recorded", before.
		for _, args := range [][]string{{"--week", prevWeek(t)}, {"--week", prevWeek(t), "--supersede"}} {
			mustFail(t, 4, []string{"weekly_" + prevWeek(t) + ".json: recorded as published", "but missing", "nothing was published"},
				append([]string{"--root", root, "report", "weekly"}, args...)...)
		}
		if _, err := os.Stat(weeklyPath(root, prevWeek(t), 3, ".json")); err == nil {
			t.Error("a revision 3 was published over the renamed files")
		}
	})
	t.Run("the output directory emptied (a mount point left behind)", func(t *testing.T) {
		root := publishedRoot(t)
		if err := os.RemoveAll(reviews(root)); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(reviews(root), 0o755); err != nil {
			t.Fatal(err)
		}
		mustFail(t, 1, []string{"holds none of the", "a missing mount"}, "--root", root, "report", "weekly", "--week", prevWeek(t))
		if entries, _ := os.ReadDir(reviews(root)); len(entries) > 0 {
			t.Errorf("published into the emptied directory: %d files", len(entries))
		}
	})
	t.Run("the output directory missing", func(t *testing.T) {
		root := publishedRoot(t)
		if err := os.RemoveAll(reviews(root)); err != nil {
			t.Fatal(err)
		}
		mustFail(t, 1, []string{"output directory runs/CREDIT_REVIEWS is missing, but the audit log records", "a missing mount"},
			"--root", root, "report", "weekly", "--week", prevWeek(t))
		if _, err := os.Stat(reviews(root)); err == nil {
			t.Error("the missing output directory was created")
		}
	})
}

// TestAttackEditLedgerAndDeleteStore: the store's append-only check has
// nothing to compare with once the store is gone, so an edit of the
// ingested ledger plus a deleted store (or an emptied ledger on a missing
// mount) used to rebuild silently as a first load. The audit log records
// what each ingest covered (offset_to, prefix_sha256): the rebuilding
// ingest compares the ledger with it and records the change.
func TestAttackEditLedgerAndDeleteStore(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, ledger string)
	}{
		{"a line edited", func(t *testing.T, ledger string) { editLine(t, ledger, 1000) }},
		{"emptied", func(t *testing.T, ledger string) {
			if err := os.WriteFile(ledger, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"new lines ingested, the store's WAL deleted, one of them edited", func(t *testing.T, ledger string) {
			root := filepath.Dir(filepath.Dir(filepath.Dir(ledger)))
			data, err := os.ReadFile(ledger)
			if err != nil {
				t.Fatal(err)
			}
			// Fifty new runs (the first fifty with other run ids), after
			// the fixture's unfinished last line.
			lines := bytes.SplitN(data, []byte("\n"), 51)[:50]
			var add []byte
			for _, l := range lines {
				add = append(add, bytes.Replace(l, []byte(`"RUN-`), []byte(`"RUN-9`), 1)...)
				add = append(add, '\n')
			}
			f, err := os.OpenFile(ledger, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(append([]byte("\n"), add...))
			f.Close()
			mustRun(t, "--root", root, "ingest")
			os.Remove(storeFile(root) + ".wal")
			n := bytes.Count(data, []byte("\n")) + 1 + 25
			editLine(t, ledger, n)
			// Noticed before any job runs, too.
			mustFail(t, 4, []string{"differ from what the audit log records as ingested"}, "--root", root, "verify", "all")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := publishedRoot(t)
			tc.tamper(t, ledgerPath(root))
			if !strings.Contains(tc.name, "WAL") {
				os.Remove(storeFile(root))
				os.Remove(storeFile(root) + ".wal")
			}
			mustFail(t, 4, []string{"were modified", "ledger acknowledge"}, "--root", root, "ingest")
			mustFail(t, 4, []string{"were modified"}, "--root", root, "verify", "all")
			// Reported by every later job until acknowledged, not once.
			mustFail(t, 4, []string{"were modified"}, "--root", root, "ingest")
		})
	}
}

// TestRerunAfterKeysRotate: after `keys rotate`, re-running a week or a
// month already published — the documented way to retry a receiver that
// was not reached — exited 1, "differs": the report names the key that
// signed it (an outside review). Which key signed a result is how the run
// was made, not what it found: the re-run is a no-op, and the published
// files still verify with the retired key.
func TestRerunAfterKeysRotate(t *testing.T) {
	root := copyRoot(t, publishedRoot(t))
	mustRun(t, "--root", root, "report", "sla", "--month", "2026-02")
	mustRun(t, "--root", root, "keys", "rotate")
	for _, args := range [][]string{{"report", "weekly", "--week", focusWeek}, {"report", "sla", "--month", "2026-02"}} {
		r := ledgerlens(t, nil, append([]string{"--root", root}, args...)...)
		if r.code != 0 || !strings.Contains(r.stdout, "already published, identical") {
			t.Errorf("%v after keys rotate: exit %d, want a no-op\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
	mustRun(t, "--root", root, "verify", "all")
}

// TestKeysRotate: after `keys rotate` the jobs run on, and verify all
// still accepts what the old key signed (the key_rotated entry carries the
// old public key, vouched for by the new key's checkpoint), while a key
// pair swapped by hand is refused.
func TestKeysRotate(t *testing.T) {
	root := publishedRoot(t)
	mustRun(t, "--root", root, "keys", "rotate")
	mustRun(t, "--root", root, "verify", "all")
	mustRun(t, "--root", root, "report", "weekly", "--week", weekBefore(t, prevWeek(t)))
	mustRun(t, "--root", root, "verify", "all")
	mustRun(t, "--root", root, "audit", "verify")

	// The evidence of the weeks before the rotation, exported after it,
	// verifies offline with the current key alone.
	bundle := filepath.Join(t.TempDir(), "before.zip")
	mustRun(t, "--root", root, "evidence", "export", "--from", prevWeek(t), "--to", focusWeek, "--out", bundle)
	pub := filepath.Join(root, ".ledgerlens", "keys", "signing.pub")
	if r := mustRun(t, "--root", t.TempDir(), "verify", "--pubkey", pub, bundle); !strings.HasPrefix(r.stdout, "OK") {
		t.Errorf("bundle exported after the rotation:\n%s", r.stdout)
	}

	// The retired key kept for checking by hand is the one the log
	// records: replaced, deleted or joined by another, verify all says so.
	t.Run("retired key file", func(t *testing.T) {
		retired := filepath.Join(root, ".ledgerlens", "keys", "retired")
		entries, err := os.ReadDir(retired)
		if err != nil || len(entries) != 1 {
			t.Fatalf("retired keys: %v %v", entries, err)
		}
		kept := filepath.Join(retired, entries[0].Name())
		original := readFile(t, kept)
		otherPub := filepath.Join(otherKeyRoot(t), ".ledgerlens", "keys", "signing.pub")
		for _, tc := range []struct {
			name   string
			tamper func()
			want   string
		}{
			{"replaced", func() { copyFile(t, otherPub, kept) }, "not the key"},
			{"deleted", func() { os.Remove(kept) }, "missing, but the audit log records key"},
			{"planted beside it", func() { copyFile(t, otherPub, filepath.Join(retired, "0123456789abcdef.pub")) }, "no rotation the audit log records retired this key"},
		} {
			tc.tamper()
			mustFail(t, 4, []string{tc.want}, "--root", root, "verify", "all")
			os.Remove(filepath.Join(retired, "0123456789abcdef.pub"))
			if err := os.WriteFile(kept, original, 0o644); err != nil {
				t.Fatal(err)
			}
			mustRun(t, "--root", root, "verify", "all")
		}
	})

	t.Run("swapped by hand", func(t *testing.T) {
		other := otherKeyRoot(t)
		for _, f := range []string{"signing.key", "signing.pub"} {
			copyFile(t, filepath.Join(other, ".ledgerlens", "keys", f), filepath.Join(root, ".ledgerlens", "keys", f))
		}
		os.Chmod(filepath.Join(root, ".ledgerlens", "keys", "signing.key"), 0o600)
		mustFail(t, 4, []string{"which no rotation signed by that key retired"}, "--root", root, "ingest")
		mustFail(t, 4, []string{"which no rotation signed by that key retired"}, "--root", root, "verify", "all")
	})
}

// TestRerunAfterAKillAndAKeyRotation: a weekly job killed after it wrote
// its files but before it recorded them, then `keys rotate`, then the
// re-run. The re-run finds its files already written and records them;
// their signatures, by the key retired since, would be recorded after
// that key's retirement, which verify all rightly refuses for good. The
// re-run signs them again with the current key instead.
func TestRerunAfterAKillAndAKeyRotation(t *testing.T) {
	killed := copyFixture(t)
	mustRun(t, "--root", killed, "keys", "generate")
	killWeeklyAfter(t, killed, job.StepSign)
	// What the killed run had written when it died: the files the same
	// run, resumed to its end in a copy, publishes.
	finished := copyRoot(t, killed)
	mustRun(t, "--root", finished, "report", "weekly", "--week", focusWeek)
	entries, err := os.ReadDir(reviews(finished))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		copyFile(t, filepath.Join(reviews(finished), e.Name()), filepath.Join(reviews(killed), e.Name()))
	}
	if _, err := os.Stat(filepath.Join(reviews(killed), "rejects_cumulative_"+focusWeek+".jsonl.sig")); err != nil {
		t.Fatalf("the fixture's week publishes no signed rejects file: %v", err)
	}

	mustRun(t, "--root", killed, "keys", "rotate")
	mustRun(t, "--root", killed, "report", "weekly", "--week", focusWeek)
	mustRun(t, "--root", killed, "verify", "all")
	pub, err := reports.LoadPublicKey(filepath.Join(killed, ".ledgerlens", "keys", "signing.pub"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"weekly_" + focusWeek + ".json", "weekly_" + focusWeek + ".xlsx", "rejects_cumulative_" + focusWeek + ".jsonl"} {
		if c, err := reports.VerifyFile(filepath.Join(reviews(killed), name), pub); err != nil {
			t.Errorf("%s after the re-run: %v (%+v)", name, err, c)
		}
	}
}

// TestAttackPlantedSubdirectory: verify all skipped directories in an
// output directory, so a forged report in archive/ stood beside the
// real ones unchecked. A directory that holds no published file is
// reported now, hidden or not, a lost+found no mount made too; a mount
// point's lost+found, an empty
// directory, and a directory a bundle was exported into are not.
func TestAttackPlantedSubdirectory(t *testing.T) {
	root := copyRoot(t, publishedRoot(t))
	for _, d := range []string{"lost+found", "empty"} {
		if err := os.Mkdir(filepath.Join(reviews(root), d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	bundle := filepath.Join(reviews(root), "bundles", "b.zip")
	mustRun(t, "--root", root, "evidence", "export", "--from", prevWeek(t), "--to", mustParseDay(t, focusWeek).AddDate(0, 0, 6).Format(time.DateOnly), "--out", bundle)
	mustRun(t, "--root", root, "verify", "all")
	for _, name := range []string{"archive", ".archive"} {
		archive := filepath.Join(reviews(root), name)
		if err := os.Mkdir(archive, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(archive, "weekly_"+nextWeek(t)+".json"), []byte(`{"forged":1}`), 0o644); err != nil {
			t.Fatal(err)
		}
		mustFail(t, 4, []string{"runs/CREDIT_REVIEWS/" + name + "/", "holds no published file"}, "--root", root, "verify", "all")
		os.RemoveAll(archive)
	}
	// A lost+found that is no mount's (the output directory is not a
	// mount point here) is a directory like another: a forged report in
	// it passed unchecked (a review of this stop's fixes).
	forged := filepath.Join(reviews(root), "lost+found", "weekly_"+nextWeek(t)+".json")
	if err := os.WriteFile(forged, []byte(`{"forged":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	mustFail(t, 4, []string{"runs/CREDIT_REVIEWS/lost+found/", "holds no published file"}, "--root", root, "verify", "all")
}

// TestAttackPlantedReportHidesLateArrivals: runs land in a week after its
// report was published. A file put in the output directory under a weekly
// report's name, claiming that week's report covered the whole ledger, hid
// them from the next week's review (no late_arrivals, no action item),
// and was removed again before anyone ran verify all; an edit of the real
// report, undone after the job, did the same. Only files the record of
// publication names, with their recorded bytes, are publications now: a
// planted file is not read, and a recorded one that changed stops the job.
func TestAttackPlantedReportHidesLateArrivals(t *testing.T) {
	base := publishedRoot(t)
	appendLedgerLines(t, base, `{"Run_ID":"RUN-LATE-1","Timestamp":"`+focusWeek+`T10:00:00Z","Scenario_ID":"S-LATE","Credits_Total":142.86}`)
	claim := fmt.Sprintf(`{"period_start":"%sT00:00:00Z","revision":99,"inputs":{"ledger":{"bytes_covered":999999999}}}`, focusWeek)
	lateArrivals := func(t *testing.T, root string) string {
		t.Helper()
		w := readWeekly(t, weeklyPath(root, nextWeek(t), 1, ".json"))
		return fmt.Sprint(w["data_quality"].(map[string]any)["late_arrivals"])
	}
	clean := copyRoot(t, base)
	mustRun(t, "--root", clean, "report", "weekly", "--week", nextWeek(t))
	want := lateArrivals(t, clean)
	if !strings.Contains(want, focusWeek) {
		t.Fatalf("without an attack, the late run is not a late arrival of %s: %s", focusWeek, want)
	}

	t.Run("a planted report", func(t *testing.T) {
		root := copyRoot(t, base)
		planted := filepath.Join(reviews(root), "weekly_x.json")
		if err := os.WriteFile(planted, []byte(claim), 0o644); err != nil {
			t.Fatal(err)
		}
		mustRun(t, "--root", root, "report", "weekly", "--week", nextWeek(t))
		if got := lateArrivals(t, root); got != want {
			t.Errorf("late arrivals with a planted report: %s, want %s", got, want)
		}
		os.Remove(planted)
		mustRun(t, "--root", root, "verify", "all")
	})
	t.Run("the published report edited", func(t *testing.T) {
		root := copyRoot(t, base)
		path := weeklyPath(root, focusWeek, 2, ".json")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		edited := regexp.MustCompile(`"bytes_covered": [0-9]+`).ReplaceAll(data, []byte(`"bytes_covered": 999999999`))
		if bytes.Equal(edited, data) {
			t.Fatal("no bytes_covered in the published report")
		}
		if err := os.WriteFile(path, edited, 0o644); err != nil {
			t.Fatal(err)
		}
		mustFail(t, 4, []string{filepath.Base(path), "not the recorded"}, "--root", root, "report", "weekly", "--week", nextWeek(t))
		if _, err := os.Stat(weeklyPath(root, nextWeek(t), 1, ".json")); err == nil {
			t.Error("the job published over an edited report")
		}
	})
}

// TestAttackRetiredKeyCheckpointAfterRotation: a key is rotated because
// it leaked. Whoever holds the old key appends entries to the log (no key
// needed for the chain) and signs a checkpoint over them with the old
// key. Checkpoints of a retired key were accepted whatever they covered,
// so the forged entries counted as vouched for: audit verify and verify
// all passed, and the next job countersigned them with the new key. A
// retired key's checkpoint now covers nothing from its retirement on.
func TestAttackRetiredKeyCheckpointAfterRotation(t *testing.T) {
	root := publishedRoot(t)
	keys := filepath.Join(root, ".ledgerlens", "keys")
	leaked := filepath.Join(t.TempDir(), "leaked.key")
	copyFile(t, filepath.Join(keys, "signing.key"), leaked)
	if err := os.Chmod(leaked, 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--root", root, "keys", "rotate")
	mustRun(t, "--root", root, "report", "weekly", "--week", weekBefore(t, prevWeek(t)))

	logPath := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	forgeEntry(t, logPath, audit.EventLedgerAcknowledged, map[string]any{"by": "mallory", "reason": "forged", "line_from": 1, "line_to": 1})
	appendSignedCheckpoint(t, leaked, logPath, filepath.Join(root, ".ledgerlens", "audit.checkpoints"), "forged")

	phrase := "a retired key vouches for nothing from its retirement on"
	mustFail(t, 4, []string{phrase}, "--root", root, "audit", "verify")
	mustFail(t, 4, []string{phrase}, "--root", root, "verify", "all")
	mustFail(t, 4, []string{phrase}, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
}

// TestAttackBundleRenamedOrCheckedWithTheRootKey: a bundle renamed to
// .ZIP was taken for a plain file and only its outer signature checked,
// and a genuine bundle of another range renamed to the expected name said
// OK without naming its range. Without --pubkey, the key was the working
// root's signing.pub, which anyone who can write the root can swap, with
// no word of it. A bundle is now known by its bytes, the OK line names its
// range and missing weeks, and the root's key comes with a warning.
func TestAttackBundleRenamedOrCheckedWithTheRootKey(t *testing.T) {
	root := publishedRoot(t)
	dir := t.TempDir()
	bundle := filepath.Join(dir, "feb.zip")
	mustRun(t, "--root", root, "evidence", "export", "--from", prevWeek(t), "--to", focusWeek, "--out", bundle)
	renamed := filepath.Join(dir, "week.ZIP")
	for _, ext := range []string{"", reports.SidecarExt, reports.SignatureExt} {
		copyFile(t, bundle+ext, renamed+ext)
	}
	residecar(t, renamed)
	pub := filepath.Join(root, ".ledgerlens", "keys", "signing.pub")
	r := mustRun(t, "--root", t.TempDir(), "verify", "--pubkey", pub, renamed)
	if !strings.HasPrefix(r.stdout, "OK") || !strings.Contains(r.stdout, "range "+prevWeek(t)+" to "+focusWeek+", 2 weeks (0 missing)") {
		t.Errorf("a bundle renamed .ZIP: %s", r.stdout)
	}
	r = ledgerlens(t, nil, "--root", root, "verify", renamed)
	if r.code != 0 || !strings.Contains(r.stderr, "WARNING") || !strings.Contains(r.stderr, "the working root's key") {
		t.Errorf("a bundle checked with the root's key: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestAttackBundleThatExpandsOrBlocks: whoever hands an auditor a bundle
// can hand over one the key never signed. The offline verifier read it
// whole and expanded every member into memory before it checked the
// bundle's own signature: a 1 MB zip of 1 GiB of zeros took 2.7 GB, a
// FIFO named b.zip hung it past SIGTERM, a link to /dev/zero filled memory
// until the runtime died. A bundle is now opened only as a regular file,
// and expanded only once its own sidecar and signature verify.
func TestAttackBundleThatExpandsOrBlocks(t *testing.T) {
	root := publishedRoot(t)
	pub := filepath.Join(root, ".ledgerlens", "keys", "signing.pub")
	dir := t.TempDir()
	genuine := filepath.Join(dir, "genuine.zip")
	mustRun(t, "--root", root, "evidence", "export", "--from", prevWeek(t), "--to", focusWeek, "--out", genuine)

	// A genuine bundle with a 256 MiB member of zeros added (256 KiB
	// deflated), its sidecar and signature beside it.
	bomb := filepath.Join(dir, "bomb.zip")
	zr, err := zip.OpenReader(genuine)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(bomb)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(out)
	for _, f := range zr.File {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	zr.Close()
	w, err := zw.Create("padding.bin")
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for range 256 {
		if _, err := w.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	out.Close()
	for _, ext := range []string{reports.SidecarExt, reports.SignatureExt} {
		copyFile(t, genuine+ext, bomb+ext)
	}
	fifo := filepath.Join(dir, "fifo.zip")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.zip")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, path, phrase string
		code               int // 4: the evidence is not as signed; 1: nothing to check
	}{
		{"a zip bomb under the genuine signature", bomb, "its contents were not read", 4},
		{"a FIFO", fifo, "not a regular file", 1},
		{"a link to /dev/zero", zero, "not a regular file", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, "--root", t.TempDir(), "verify", "--pubkey", pub, tc.path)
			peak := measuredPeak(t, cmd)
			output, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("verify did not return within 30 s:\n%s", output)
			}
			if code := cmd.ProcessState.ExitCode(); code != tc.code || !strings.Contains(string(output), tc.phrase) {
				t.Errorf("exit %d (%v), want %d saying %q:\n%s", code, err, tc.code, tc.phrase, output)
			}
			if rss := peak(); rss > 200<<20 {
				t.Errorf("verify peaked at %d MiB", rss>>20)
			}
		})
	}
	mustRun(t, "--root", t.TempDir(), "verify", "--pubkey", pub, genuine)
}

// TestAttackPreliminaryAsFinal: a preliminary review of a week (published
// mid-week, before a SEV0 later in the week) copied, signatures and all,
// under the week's final names for an auditor. The signatures are the
// key's, the sidecars anyone can write, and the offline `verify --pubkey`
// said OK to both: the report's name was held to its report_id, period and
// revision, not to its preliminary flag. The report's flag, and the
// workbook's document properties, must now agree with the name.
func TestAttackPreliminaryAsFinal(t *testing.T) {
	root := publishedRoot(t)
	week := nextWeek(t)
	midweek := mustParseDay(t, week).AddDate(0, 0, 3).Add(12 * time.Hour).Format(time.RFC3339)
	mustRun(t, "--root", root, "report", "weekly", "--week", week, "--preliminary", "--as-of", midweek)
	pub := filepath.Join(root, ".ledgerlens", "keys", "signing.pub")
	off := t.TempDir()
	var renamed, genuine []string
	for _, ext := range []string{".json", ".xlsx"} {
		from := "weekly_" + week + ".preliminary" + ext
		src := filepath.Join(reviews(root), from)
		odd := "WEEKLY_" + week + ".final" + strings.ToUpper(ext)
		for _, name := range []string{from, "weekly_" + week + ext, odd} {
			copyFile(t, src, filepath.Join(off, name))
			copyFile(t, src+".sig", filepath.Join(off, name+".sig"))
			sum := sha256.Sum256(readFile(t, src))
			if err := os.WriteFile(filepath.Join(off, name+".sha256"), []byte(hex.EncodeToString(sum[:])+"  "+name+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		genuine = append(genuine, filepath.Join(off, from))
		renamed = append(renamed, filepath.Join(off, "weekly_"+week+ext), filepath.Join(off, odd))
	}
	mustRun(t, append([]string{"--root", t.TempDir(), "verify", "--pubkey", pub}, genuine...)...)
	// Under a name unlike any publication's, no name check applied.
	r := mustFail(t, 4, []string{"preliminary true inside, but the file name says final", "its document properties say Preliminary, but the file name says final",
		"a preliminary report (CREDIT_REVIEW_" + week + ") under a name that does not say so", "a preliminary workbook (CREDIT_REVIEW_" + week + ") under a name that does not say so"},
		append([]string{"--root", t.TempDir(), "verify", "--pubkey", pub}, renamed...)...)
	if strings.Contains(r.stdout, "OK ") {
		t.Errorf("a renamed preliminary file was said OK:\n%s", r.stdout)
	}
}

// TestAttackBundleOfAnotherRange: asked for the evidence of a range, the
// host handed over a genuine bundle of a shorter one (the week with the
// finding left out), or one whose range has a week with no report, under
// the requested name. `verify --pubkey K q.zip` exits 0 on either: only
// the OK line tells the range, which a script reading the exit status
// never sees. With --from/--to, a bundle that does not cover the range
// fails (exit 1); with --complete, so does one with a week missing.
func TestAttackBundleOfAnotherRange(t *testing.T) {
	root := publishedRoot(t)
	dir := t.TempDir()
	pub := filepath.Join(root, ".ledgerlens", "keys", "signing.pub")
	last := mustParseDay(t, focusWeek).AddDate(0, 0, 6).Format(time.DateOnly)
	nextLast := mustParseDay(t, focusWeek).AddDate(0, 0, 13).Format(time.DateOnly)
	short := filepath.Join(dir, "q.zip")
	mustRun(t, "--root", root, "evidence", "export", "--from", focusWeek, "--to", last, "--out", short)
	gappy := filepath.Join(dir, "gappy.zip")
	mustRun(t, "--root", root, "evidence", "export", "--from", prevWeek(t), "--to", nextLast, "--out", gappy)
	whole := filepath.Join(dir, "whole.zip")
	mustRun(t, "--root", root, "evidence", "export", "--from", prevWeek(t), "--to", last, "--out", whole)

	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		output []string
	}{
		{"a shorter range", []string{"--from", prevWeek(t), "--to", last, short}, 4,
			[]string{"FAILED", "covers " + focusWeek + " to " + last + ", not the required " + prevWeek(t) + " to " + last}},
		{"only --to, past the bundle's end", []string{"--to", nextWeek(t), whole}, 4,
			[]string{"FAILED", "not the required"}},
		// With the other end taken from the bundle, the range was empty,
		// and an empty range passed: exit 0, --complete included.
		{"only --from, after the bundle's end", []string{"--from", nextWeek(t), "--complete", whole}, 4,
			[]string{"FAILED", "none of the range --from " + nextWeek(t) + " requires"}},
		{"only --to, before the bundle's start", []string{"--to", weekBefore(t, prevWeek(t)), "--complete", whole}, 4,
			[]string{"FAILED", "none of the range --to " + weekBefore(t, prevWeek(t)) + " requires"}},
		{"a week missing", []string{"--from", prevWeek(t), "--to", nextLast, "--complete", gappy}, 4,
			[]string{"FAILED", "1 of the 3 weeks required has no report: " + nextWeek(t)}},
		{"--complete without a range: the bundle's weeks", []string{"--complete", gappy}, 4,
			[]string{"FAILED", "1 of the 3 weeks required has no report"}},
		{"the missing week outside the range required", []string{"--from", prevWeek(t), "--to", last, "--complete", gappy}, 0,
			[]string{"OK", "(1 missing)"}},
		{"the range it covers", []string{"--from", prevWeek(t), "--to", last, "--complete", whole}, 0,
			[]string{"OK", "range " + prevWeek(t) + " to " + last}},
		{"a wider bundle covers a part of it", []string{"--from", focusWeek, "--to", focusWeek, gappy}, 0,
			[]string{"OK"}},
		{"--from after --to", []string{"--from", focusWeek, "--to", prevWeek(t), whole}, 2,
			[]string{"after --to"}},
		{"not a date", []string{"--from", "last week", whole}, 2,
			[]string{"YYYY-MM-DD"}},
		{"a range for a plain file", []string{"--from", focusWeek, weeklyPath(root, focusWeek, 2, ".json")}, 2,
			[]string{"evidence bundles"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--root", t.TempDir(), "verify", "--pubkey", pub}, tc.args...)
			r := ledgerlens(t, nil, args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, want := range tc.output {
				if !strings.Contains(r.stdout+r.stderr, want) {
					t.Errorf("output lacks %q:\n%s%s", want, r.stdout, r.stderr)
				}
			}
		})
	}
}

// TestAttackExportAfterTheNewestRevisionIsDeleted: someone who can write
// the output directory deleted a week's newest revision (r2). The export
// then bundled r1 as the week's report, "present", nothing superseded,
// and exited 0, and `verify --complete` passed the bundle; a week deleted
// whole was listed as missing, also with exit 0. The export now refuses
// (exit 4, nothing written) while the output directories differ from the
// record of publication, naming the file.
func TestAttackExportAfterTheNewestRevisionIsDeleted(t *testing.T) {
	for _, tc := range []struct {
		name string
		gone func(root string) string // deletes files, returns the pattern
		// other is a week the deletion leaves whole: its export goes on.
		other string
	}{
		{"the newest revision", func(root string) string { return weeklyPath(root, focusWeek, 2, ".*") }, prevWeek(t)},
		{"a whole week", func(root string) string { return filepath.Join(reviews(root), "weekly_"+prevWeek(t)+"*") }, focusWeek},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := publishedRoot(t)
			pattern := tc.gone(root)
			matches, _ := filepath.Glob(pattern)
			if len(matches) == 0 {
				t.Fatalf("nothing matches %s", pattern)
			}
			for _, m := range matches {
				if err := os.Remove(m); err != nil {
					t.Fatal(err)
				}
			}
			bundle := filepath.Join(t.TempDir(), "feb.zip")
			r := ledgerlens(t, nil, "--root", root, "evidence", "export", "--from", prevWeek(t), "--to", focusWeek, "--out", bundle)
			if r.code != 4 || !strings.Contains(r.stderr, "record of publication") || !strings.Contains(r.stderr, "but the file is missing") {
				t.Errorf("export after %s was deleted: exit %d\n%s%s", tc.name, r.code, r.stdout, r.stderr)
			}
			if _, err := os.Stat(bundle); err == nil {
				t.Errorf("%s was written", bundle)
			}
			// A problem outside the range is verify all's to report; it
			// does not block the evidence of another week.
			last := mustParseDay(t, tc.other).AddDate(0, 0, 6).Format(time.DateOnly)
			mustRun(t, "--root", root, "evidence", "export", "--from", tc.other, "--to", last, "--out", filepath.Join(t.TempDir(), "other.zip"))
		})
	}
}

// TestAttackNoopRerunOverAReplacedCompanion: with an exported bundle's
// signature replaced (no key needed), exporting the same range again
// found the bundle identical ("no-op"), read the replaced file back and
// signed its digest into the record of publication, exit 0: the log then
// vouched for bytes no job wrote. Such a re-run now exits 4 and records
// nothing.
func TestAttackNoopRerunOverAReplacedCompanion(t *testing.T) {
	root := publishedRoot(t)
	bundle := filepath.Join(t.TempDir(), "b.zip")
	args := []string{"--root", root, "evidence", "export", "--from", prevWeek(t), "--to", focusWeek, "--out", bundle}
	mustRun(t, args...)
	junk := []byte("AAAA\n")
	if err := os.WriteFile(bundle+reports.SignatureExt, junk, 0o644); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	before := readFile(t, logPath)
	r := ledgerlens(t, nil, args...)
	if r.code != 4 || !strings.Contains(r.stderr, "b.zip.sig") || !strings.Contains(r.stderr, "changed since it was published") {
		t.Errorf("a no-op re-export over a replaced signature: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if after := readFile(t, logPath); bytes.Contains(after[len(before):], []byte(`"sha256":"`+reports.SHA256Hex(junk))) {
		t.Errorf("the log recorded the replaced signature")
	}

	// The bundle itself replaced by another (another root's may be put
	// there: bundles are moved away): exit 1, saying so, where it blamed
	// "the range's evidence has changed since it was exported".
	other := filepath.Join(t.TempDir(), "other.zip")
	mustRun(t, "--root", root, "evidence", "export", "--from", focusWeek, "--to", focusWeek, "--out", other)
	copyFile(t, other, bundle)
	r = ledgerlens(t, nil, args...)
	if r.code != 1 || !strings.Contains(r.stderr, "not the bundle this root exported there") {
		t.Errorf("a re-export over a replaced bundle: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestKeysGenerateOverHistory: with the key pair moved away (or lost),
// `keys generate` made a new one, exit 0, and signed a checkpoint of the
// whole log with it — a forged entry at its end included — while every
// later job refused the old key's checkpoints (exit 4). A first key for a
// root whose log records one is now refused, and nothing is signed.
func TestKeysGenerateOverHistory(t *testing.T) {
	root := publishedRoot(t)
	logPath := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	forgeEntry(t, logPath, audit.EventLedgerAcknowledged, map[string]any{"by": "mallory", "reason": "forged"})
	cps := filepath.Join(root, ".ledgerlens", "audit.checkpoints")
	before := readFile(t, cps)
	if err := os.Rename(filepath.Join(root, ".ledgerlens", "keys"), filepath.Join(t.TempDir(), "keys")); err != nil {
		t.Fatal(err)
	}
	mustFail(t, 1, []string{"already records signing key", "restore that key pair"}, "--root", root, "keys", "generate")
	if !bytes.Equal(readFile(t, cps), before) {
		t.Error("keys generate signed a checkpoint")
	}
	if _, err := os.Stat(filepath.Join(root, ".ledgerlens", "keys", "signing.key")); err == nil {
		t.Error("keys generate made a key pair")
	}

	// A garbage first line hid the earlier key_generated entry from the
	// check; with the checkpoints removed too, a new pair was made and
	// recorded before anything refused.
	log := readFile(t, logPath)
	if err := os.WriteFile(logPath, append([]byte("garbage\n"), log...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(cps); err != nil {
		t.Fatal(err)
	}
	mustFail(t, 1, []string{"does not verify"}, "--root", root, "keys", "generate")
	if _, err := os.Stat(filepath.Join(root, ".ledgerlens", "keys", "signing.key")); err == nil {
		t.Error("keys generate made a key pair over a log that does not verify")
	}
}

// TestPublicationCutShort: the audit log's disk filled while the weekly
// job recorded its files. The job exited 1 and withdrew what it had not
// recorded, but the files recorded before the disk filled (the rejects
// file, the report's signature) stayed, and `verify all` passed them as a
// publication: the report and the workbook were gone, and nothing said so
// again (an outside review, with a real full disk). Each record of a set
// now names the whole set, and verify all names every file of it that was
// never recorded, until the job is run again and publishes the rest.
//
// The state is the one the job leaves: its log cut after the first record
// of the report's set, the rest of the set withdrawn, and the checkpoint
// its end signs over what it wrote.
func TestPublicationCutShort(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek)
	base := "weekly_" + focusWeek
	attack := copyRoot(t, root)
	// Cut after the rejects file's signature: the first record of the set.
	cutPublicationShort(t, root, "rejects_cumulative_"+focusWeek)
	mustRun(t, "--root", root, "audit", "verify")

	r := mustFail(t, 4, []string{"never recorded itself", "publication is incomplete"}, "--root", root, "verify", "all")
	for _, ext := range []string{".json", ".json.sig", ".json.sha256", ".xlsx", ".xlsx.sig", ".xlsx.sha256"} {
		if name := base + ext; !strings.Contains(r.stdout, name+": published with") {
			t.Errorf("verify all does not name %s:\n%s", name, r.stdout)
		}
	}
	// Run again, the job publishes the rest: what it had recorded is
	// what it writes again.
	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek)
	mustRun(t, "--root", root, "verify", "all")

	// The same state made on purpose by whoever may write the log, the
	// output directory and the ledger (the log and checkpoints cut back to
	// the middle of the set, a genuine earlier state), with the recorded
	// part deleted and a late run of the week appended: the run again,
	// which verify all's message asks for, published another revision 1
	// without --supersede, and nothing was left to show the first (an
	// outside review). A re-run now completes only what was begun with
	// the same content.
	kept := cutPublicationShort(t, attack, base)
	appendLedgerLines(t, attack, `{"Run_ID":"RUN-LATE-CUT","Timestamp":"`+focusWeek+`T10:00:00Z","Scenario_ID":"S-LATE","Credits_Total":99999}`)
	for _, tc := range []struct{ name, want string }{
		{"the recorded part kept", "recorded as published with other bytes"},
		{"the recorded part deleted", "recorded as published but missing"},
	} {
		if tc.name == "the recorded part deleted" {
			if err := os.Remove(filepath.Join(attack, filepath.FromSlash(kept))); err != nil {
				t.Fatal(err)
			}
		}
		r = cron(t, attack, "report", "weekly", "--week", focusWeek)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: the week published again over a set cut short, with other content: exit %d\n%s", tc.name, r.code, r.stderr)
		}
		mustFail(t, 4, []string{"never recorded itself"}, "--root", attack, "verify", "all")
	}
	// Nor does --supersede write over it: an outside review found it
	// replacing the set under its revision 1 name when it did.
	if r := cron(t, attack, "report", "weekly", "--week", focusWeek, "--supersede"); r.code == 0 {
		t.Errorf("report weekly --supersede over a set cut short: exit 0")
	}
	mustFail(t, 4, []string{"never recorded itself"}, "--root", attack, "verify", "all")
}

// cutPublicationShort leaves root as a job whose audit log's disk filled
// while it recorded a set leaves it: the log cut after the first record
// of publication base, the files of the set recorded after it withdrawn, and the checkpoint the
// job's end signs over what it wrote (made here with the root's key, as
// the job would). It returns the path of the one file of the set kept, as
// recorded.
func cutPublicationShort(t *testing.T, root, base string) string {
	t.Helper()
	logPath := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	cpPath := filepath.Join(root, ".ledgerlens", "audit.checkpoints")
	lines := bytes.SplitAfter(readFile(t, logPath), []byte("\n"))
	cut := slices.IndexFunc(lines, func(l []byte) bool {
		return bytes.Contains(l, []byte(`"event":"artifact_written"`)) && bytes.Contains(l, []byte(`"publication":"`+base+`"`))
	}) + 1
	if cut == 0 {
		t.Fatal("no record of the report's set")
	}
	var kept struct{ Path string }
	if err := json.Unmarshal(lines[cut-1], &kept); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logPath, bytes.Join(lines[:cut], nil), 0o644); err != nil {
		t.Fatal(err)
	}
	recorded := map[string]bool{}
	for _, l := range lines[:cut] {
		var e struct{ Event, Path string }
		if json.Unmarshal(l, &e) == nil && e.Event == "artifact_written" {
			recorded[filepath.ToSlash(filepath.Join(root, filepath.FromSlash(e.Path)))] = true
		}
	}
	week := strings.TrimPrefix(strings.TrimPrefix(base, "weekly_"), "rejects_cumulative_")
	for _, pattern := range []string{"weekly_" + week + ".*", "rejects_cumulative_" + week + ".*"} {
		set, _ := filepath.Glob(filepath.Join(reviews(root), pattern))
		for _, f := range set {
			if !recorded[filepath.ToSlash(f)] {
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	var cps [][]byte
	for _, l := range bytes.SplitAfter(readFile(t, cpPath), []byte("\n")) {
		var cp struct{ Note string }
		if json.Unmarshal(l, &cp) == nil {
			if size, err := strconv.Atoi(strings.Split(cp.Note, "\n")[1]); err == nil && size <= cut {
				cps = append(cps, l)
			}
		}
	}
	if err := os.WriteFile(cpPath, bytes.Join(cps, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	appendSignedCheckpoint(t, filepath.Join(root, ".ledgerlens", "keys", "signing.key"), logPath, cpPath, "weekly-review")
	return kept.Path
}

// appendSignedCheckpoint signs a checkpoint of the whole audit log at
// logPath with the private key at keyPath and appends it to the
// checkpoints file cpPath, as made by job.
func appendSignedCheckpoint(t *testing.T, keyPath, logPath, cpPath, job string) {
	t.Helper()
	key, err := reports.LoadSigner(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := audit.NewCheckpointSigner(key.KeyID(), key.Public(), key.Sign)
	if err != nil {
		t.Fatal(err)
	}
	st, err := audit.Load(logPath)
	if err != nil {
		t.Fatal(err)
	}
	head, err := st.Tree.Root(st.Size())
	if err != nil {
		t.Fatal(err)
	}
	msg, err := audit.SignCheckpoint(signer, st.Size(), head)
	if err != nil {
		t.Fatal(err)
	}
	if err := audit.AppendCheckpoint(cpPath, msg, job, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// TestIngestOverALostStateDirectory: the state directory's mount did not
// come up, and cron's first line of the day is `ingest`. It exited 0,
// starting a new store and a new, unsigned audit log in the empty mount
// point; after it the weekly job no longer saw a lost state directory and
// published unsigned files beside the signed ones (`--unsigned`, exit
// 0). Every job now refuses (exit 4), before it writes a log, a root
// without an audit log whose output directories hold published files.
func TestIngestOverALostStateDirectory(t *testing.T) {
	root := publishedRoot(t)
	if err := os.RemoveAll(filepath.Join(root, ".ledgerlens")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, ".ledgerlens"), 0o755); err != nil { // the empty mount point
		t.Fatal(err)
	}
	for _, args := range [][]string{{"ingest"}, {"ledger", "acknowledge", "--range", "1-2", "--by", "alice", "--reason", "x"},
		{"report", "weekly", "--week", nextWeek(t), "--unsigned"}} {
		r := cron(t, root, args...)
		wantExit(t, r, 4, fmt.Sprintf("%v on a lost state directory", args))
		if !strings.Contains(r.stderr, "was lost, moved or not mounted") {
			t.Errorf("%v: stderr does not say the state directory is lost:\n%s", args, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(root, ".ledgerlens", "audit.jsonl")); err == nil {
			t.Fatalf("%v wrote an audit log", args)
		}
		if _, err := os.Stat(storeFile(root)); err == nil {
			t.Fatalf("%v made a store", args)
		}
	}
}

// TestKeysGenerateOverALostStateDirectory: with the whole state directory
// gone (a mount that did not come up, a restore that missed it), `keys
// generate` made a new pair and the next weekly job published on a new
// audit chain, exit 0, beside reports signed by a key nothing recorded any
// more; only the next morning's verify all said so. A first key is now
// refused while the output directories hold signed files.
func TestKeysGenerateOverALostStateDirectory(t *testing.T) {
	root := publishedRoot(t)
	if err := os.RemoveAll(filepath.Join(root, ".ledgerlens")); err != nil {
		t.Fatal(err)
	}
	mustFail(t, 1, []string{"signed files", "restore it"}, "--root", root, "keys", "generate")
	if _, err := os.Stat(filepath.Join(root, ".ledgerlens", "keys", "signing.key")); err == nil {
		t.Error("keys generate made a key pair")
	}
	r := ledgerlens(t, nil, "--root", root, "report", "weekly", "--week", nextWeek(t))
	if r.code == 0 {
		t.Errorf("a weekly job on the lost state directory: exit 0\n%s", r.stdout)
	}
	// Nor when output_dir now names another directory: the signed files
	// in the default one still say a key existed.
	cfg := filepath.Join(root, "config", "ledgerlens.json")
	if err := os.WriteFile(cfg, []byte(`{"output_dir": "`+t.TempDir()+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	mustFail(t, 1, []string{"signed files"}, "--root", root, "keys", "generate")
}

// underFileSizeLimit runs ledgerlens args with RLIMIT_FSIZE at limit
// bytes: a write past it fails ("file too large"), as one on a full disk
// does.
func underFileSizeLimit(t *testing.T, limit int64, args ...string) result {
	t.Helper()
	return underLimit(t, fmt.Sprintf("--fsize=%d", limit), args...)
}

// underLimit runs ledgerlens args under one resource limit, given as
// prlimit's option (e.g. --nofile=10); skipped without prlimit.
func underLimit(t *testing.T, limit string, args ...string) result {
	t.Helper()
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Skip("prlimit not installed: the limit needs it")
	}
	return runCommand(t, exec.Command("prlimit", append([]string{limit, binary}, args...)...))
}

// TestKeysRotateOutOfDisk: `keys rotate` on a full disk, the audit log
// refusing key_rotated and every write after it (a file size limit plays
// the full disk). The job failed, but its
// end still signed a checkpoint with the new key in place; the next job
// put the old pair back (the rotation was not recorded), and from then on
// every job refused the log for a checkpoint of a key no rotation named,
// for good (an outside review). The rotation is now undone by the failed
// job itself, before its checkpoint: the next job runs, and rotating
// again works.
func TestKeysRotateOutOfDisk(t *testing.T) {
	root := publishedRoot(t)
	keys := filepath.Join(root, ".ledgerlens", "keys")
	oldPub := readFile(t, filepath.Join(keys, "signing.pub"))
	// Room for the job's start in the audit log, not for key_rotated.
	logInfo, err := os.Stat(filepath.Join(root, ".ledgerlens", "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	r := underFileSizeLimit(t, logInfo.Size()+520, "--root", root, "keys", "rotate")
	if r.code != 1 || !strings.Contains(r.stderr, "append key_rotated") {
		t.Fatalf("keys rotate on a full disk: exit %d\n%s", r.code, r.stderr)
	}
	if bytes.Contains(readFile(t, filepath.Join(root, ".ledgerlens", "audit.jsonl")), []byte(`"event":"key_rotated"`)) {
		t.Fatal("key_rotated was recorded: the fault missed it")
	}
	if !bytes.Equal(readFile(t, filepath.Join(keys, "signing.pub")), oldPub) {
		t.Error("the unrecorded rotation's key pair is still in place")
	}
	wantExit(t, cron(t, root, "ingest"), 0, "ingest after the failed rotation")
	mustRun(t, "--root", root, "verify", "all")
	mustRun(t, "--root", root, "keys", "rotate")
	mustRun(t, "--root", root, "verify", "all")
}

// cutAfterKeyRotated leaves root's audit log ending at its key_rotated
// entry, and its checkpoints file without the checkpoints over anything
// after it: what a `keys rotate` killed right after recording the
// rotation leaves.
func cutAfterKeyRotated(t *testing.T, root string) {
	t.Helper()
	logPath := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	cpPath := filepath.Join(root, ".ledgerlens", "audit.checkpoints")
	lines := bytes.SplitAfter(readFile(t, logPath), []byte("\n"))
	n := slices.IndexFunc(lines, func(l []byte) bool { return bytes.Contains(l, []byte(`"event":"key_rotated"`)) }) + 1
	if n == 0 {
		t.Fatal("no key_rotated entry")
	}
	if err := os.WriteFile(logPath, bytes.Join(lines[:n], nil), 0o644); err != nil {
		t.Fatal(err)
	}
	var kept [][]byte
	for _, l := range bytes.SplitAfter(readFile(t, cpPath), []byte("\n")) {
		var cp struct{ Note string }
		if len(l) == 0 || json.Unmarshal(l, &cp) != nil {
			continue
		}
		if size, err := strconv.Atoi(strings.Split(cp.Note, "\n")[1]); err == nil && size < n {
			kept = append(kept, l)
		}
	}
	if err := os.WriteFile(cpPath, bytes.Join(kept, nil), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestKeysRotateInterrupted: a `keys rotate` killed part-way used to
// leave a key pair every job refused, with the old private key gone, so
// no rotation could ever be recorded (the old key signs it). The old key
// now waits in the rotation's staging directory until key_rotated is in
// the log, and the next job settles what a kill left: it undoes a
// rotation the log does not record (the old pair back in place, an error
// line, which cron sees, saying to rotate again) and finishes one it
// records. The layouts are
// the ones a kill leaves between the rotation's steps.
func TestKeysRotateInterrupted(t *testing.T) {
	for _, tc := range []struct {
		name     string
		recorded bool
		// kill lays out what the kill left, given the keys directory, the
		// staging directory and a new pair made elsewhere.
		kill func(t *testing.T, keys, staging, newPair string)
		// endless: the log ends at key_rotated, without the job's end and
		// the checkpoint it signs with the new key.
		endless bool
	}{
		{"between the two renames", false, func(t *testing.T, keys, staging, newPair string) {
			copyFile(t, filepath.Join(newPair, "signing.pub"), filepath.Join(staging, "signing.pub"))
			copyFile(t, filepath.Join(newPair, "signing.key"), filepath.Join(keys, "signing.key"))
		}, false},
		{"after the renames, before key_rotated", false, func(t *testing.T, keys, staging, newPair string) {
			copyFile(t, filepath.Join(newPair, "signing.pub"), filepath.Join(keys, "signing.pub"))
			copyFile(t, filepath.Join(newPair, "signing.key"), filepath.Join(keys, "signing.key"))
		}, false},
		{"after key_rotated, before the old key was removed", true, nil, false},
		// Killed (or out of disk) right after key_rotated, before the job's
		// end and the new key's checkpoint: the entries from the job's
		// start to key_rotated are signed by the old key, beyond every
		// checkpoint. Every later job refused them as appended without
		// the key, for good (an outside review, with a real kill).
		{"after key_rotated, before the job's end and its checkpoint", true, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := publishedRoot(t)
			keys := filepath.Join(root, ".ledgerlens", "keys")
			oldPub, _ := os.ReadFile(filepath.Join(keys, "signing.pub"))
			oldKey, _ := os.ReadFile(filepath.Join(keys, "signing.key"))
			pub, err := reports.LoadPublicKey(filepath.Join(keys, "signing.pub"))
			if err != nil {
				t.Fatal(err)
			}
			staging := filepath.Join(keys, ".rotate-"+reports.KeyID(pub))
			if tc.recorded {
				mustRun(t, "--root", root, "keys", "rotate")
				if tc.endless {
					cutAfterKeyRotated(t, root)
				}
			} else {
				other := otherKeyRoot(t)
				if err := os.MkdirAll(staging, 0o700); err != nil {
					t.Fatal(err)
				}
				// keys rotate keeps the old public key first; the undo
				// takes it away again, or verify all would call it a key
				// no rotation retired.
				if err := os.MkdirAll(filepath.Join(keys, "retired"), 0o700); err != nil {
					t.Fatal(err)
				}
				copyFile(t, filepath.Join(keys, "signing.pub"), filepath.Join(keys, "retired", reports.KeyID(pub)+".pub"))
				tc.kill(t, keys, staging, filepath.Join(other, ".ledgerlens", "keys"))
			}
			if err := os.MkdirAll(staging, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(staging, "retiring.key"), oldKey, 0o600); err != nil {
				t.Fatal(err)
			}
			os.Chmod(filepath.Join(keys, "signing.key"), 0o600)

			// The daily check before any job settles it: its failures are
			// introduced as the interrupted rotation's, not read as an
			// attack.
			if v := ledgerlens(t, nil, "--root", root, "verify", "all"); v.code != 0 || tc.recorded {
				if !strings.Contains(v.stdout, "a key rotation was interrupted") {
					t.Errorf("verify all before the next job: exit %d, not naming the interrupted rotation:\n%s%s", v.code, v.stdout, v.stderr)
				}
			}
			// As cron runs it: only errors reach stderr. A rotation the
			// operator wanted (after a leak, say) that did not happen is one.
			r := cron(t, root, "ingest")
			wantExit(t, r, 0, "ingest after the kill")
			if got := strings.Contains(r.stderr, "key rotation was interrupted"); got == tc.recorded {
				t.Errorf("warning about an undone rotation: %v, want %v\n%s", got, !tc.recorded, r.stderr)
			}
			logData, _ := os.ReadFile(filepath.Join(root, ".ledgerlens", "audit.jsonl"))
			if got := bytes.Contains(logData, []byte(`"event":"key_rotation_undone","hash"`)); got == tc.recorded {
				t.Errorf("key_rotation_undone recorded: %v, want %v", got, !tc.recorded)
			}
			if _, err := os.Stat(staging); !os.IsNotExist(err) {
				t.Errorf("the staging directory is still there (%v)", err)
			}
			nowPub, _ := os.ReadFile(filepath.Join(keys, "signing.pub"))
			nowKey, _ := os.ReadFile(filepath.Join(keys, "signing.key"))
			if undone := bytes.Equal(nowPub, oldPub) && bytes.Equal(nowKey, oldKey); undone == tc.recorded {
				t.Errorf("old pair in place: %v, want %v", undone, !tc.recorded)
			}
			mustRun(t, "--root", root, "verify", "all")
			mustRun(t, "--root", root, "keys", "rotate")
			mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
			mustRun(t, "--root", root, "verify", "all")
		})
	}

	// Someone without the key plants a "retiring" key, to have the next
	// job put it in place or overwrite the real one with it: refused
	// (exit 4), the real pair untouched. An outside attack found both: a
	// planted key with a checkpoint signed by it appended to the
	// checkpoints file (the first check asked only that), and a symbolic
	// link to the signing key itself, which the job followed and renamed
	// over it.
	for _, tc := range []struct {
		name, why string
		plant     func(t *testing.T, root, staging string)
	}{
		{"a planted key that signed the newest checkpoint", "not the signing key the audit log names", func(t *testing.T, root, staging string) {
			other := otherKeyRoot(t)
			keyFile := filepath.Join(other, ".ledgerlens", "keys", "signing.key")
			copyFile(t, keyFile, filepath.Join(staging, "retiring.key"))
			os.Chmod(filepath.Join(staging, "retiring.key"), 0o600)
			s, err := reports.LoadSigner(keyFile)
			if err != nil {
				t.Fatal(err)
			}
			st, err := audit.Load(filepath.Join(root, ".ledgerlens", "audit.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			cs, err := audit.NewCheckpointSigner(s.KeyID(), s.Public(), s.Sign)
			if err != nil {
				t.Fatal(err)
			}
			size := st.Tree.Size()
			rootHash, err := st.Tree.Root(size)
			if err != nil {
				t.Fatal(err)
			}
			note, err := audit.SignCheckpoint(cs, size, rootHash)
			if err != nil {
				t.Fatal(err)
			}
			if err := audit.AppendCheckpoint(filepath.Join(root, ".ledgerlens", "audit.checkpoints"), note, "forged", time.Now()); err != nil {
				t.Fatal(err)
			}
		}},
		{"a link to the signing key", "not a regular file", func(t *testing.T, root, staging string) {
			if err := os.Symlink("../signing.key", filepath.Join(staging, "retiring.key")); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := publishedRoot(t)
			keys := filepath.Join(root, ".ledgerlens", "keys")
			realKey, _ := os.ReadFile(filepath.Join(keys, "signing.key"))
			realPub, _ := os.ReadFile(filepath.Join(keys, "signing.pub"))
			staging := filepath.Join(keys, ".rotate-0000000000000000")
			os.MkdirAll(staging, 0o700)
			tc.plant(t, root, staging)
			mustFail(t, 4, []string{tc.why}, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
			nowKey, _ := os.ReadFile(filepath.Join(keys, "signing.key"))
			nowPub, _ := os.ReadFile(filepath.Join(keys, "signing.pub"))
			if !bytes.Equal(nowKey, realKey) || !bytes.Equal(nowPub, realPub) {
				t.Error("the planted key touched the signing key pair")
			}
		})
	}
}

// TestAttackGarbledCheckpoints: a line of the checkpoints file that is
// not a checkpoint is tampered evidence (exit 4), not a read failure.
func TestAttackGarbledCheckpoints(t *testing.T) {
	root := publishedRoot(t)
	f, err := os.OpenFile(filepath.Join(root, ".ledgerlens", "audit.checkpoints"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("garbage{\n")
	f.Close()
	mustFail(t, 4, []string{"not a checkpoint record"}, "--root", root, "ingest")
}

// TestAttackPublicKeyMovedAside: without signing.pub a job could check
// neither the checkpoints nor the entries' signatures, yet it held the
// private key and signed a checkpoint over forged entries. It refuses.
func TestAttackPublicKeyMovedAside(t *testing.T) {
	root := publishedRoot(t)
	logPath := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	cps := filepath.Join(root, ".ledgerlens", "audit.checkpoints")
	forgeEntry(t, logPath, "note", map[string]any{"text": "forged"})
	pub := filepath.Join(root, ".ledgerlens", "keys", "signing.pub")
	if err := os.Rename(pub, pub+".aside"); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(cps)
	mustFail(t, 4, []string{"is missing beside the private key"}, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
	if after, _ := os.ReadFile(cps); !bytes.Equal(before, after) {
		t.Error("a checkpoint was signed without the public key")
	}
	if err := os.Rename(pub+".aside", pub); err != nil {
		t.Fatal(err)
	}
	mustFail(t, 4, []string{"carry no valid signature of key"}, "--root", root, "verify", "all")
}

// A careless operator (or a copied crontab line) passes an --as-of later
// than the real clock: the week or month it names has not ended, but by
// --as-of it has. A final, signed, write-once report of a period still
// under way would be published, and the real one refused later. --as-of
// fixes "now" to choose and reproduce reports; a later instant is a usage
// error (exit 2) and nothing is published.
func TestAttackFutureAsOfEndsNoPeriod(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	now := time.Now().UTC()
	monday := now.AddDate(0, 0, -((int(now.Weekday()) + 6) % 7)).Truncate(24 * time.Hour)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	if err := os.MkdirAll(reviews(root), 0o755); err != nil {
		t.Fatal(err)
	}
	before := treeDigest(t, reviews(root))
	const future, before1970 = "is later than now", "before 1970"
	for _, tc := range []struct {
		name, why string
		args      []string
	}{
		{"weekly", future, []string{"report", "weekly", "--week", monday.Format(time.DateOnly),
			"--as-of", monday.AddDate(0, 0, 8).Format(time.RFC3339)}},
		{"weekly, default week", future, []string{"report", "weekly", "--as-of", monday.AddDate(0, 0, 8).Format(time.RFC3339)}},
		{"sla", future, []string{"report", "sla", "--month", month.Format("2006-01"),
			"--as-of", month.AddDate(0, 1, 1).Format(time.RFC3339)}},
		{"baseline calculate", future, []string{"baseline", "calculate", "--scenario", "X", "--as-of", now.Add(time.Hour).Format(time.RFC3339)}},
		// A mistyped year the other way: a final report of an empty
		// period nobody meant (--as-of refuses instants before 1970 too).
		{"weekly before 1970", before1970, []string{"report", "weekly", "--week", "1969-12-29"}},
		{"weekly in year 1", before1970, []string{"report", "weekly", "--week", "0001-01-01"}},
		{"sla before 1970", before1970, []string{"report", "sla", "--month", "1969-12"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ledgerlens(t, nil, append([]string{"--root", root}, tc.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.why) {
				t.Fatalf("exit %d, want 2 saying %q\n%s%s", r.code, tc.why, r.stdout, r.stderr)
			}
			if after := treeDigest(t, reviews(root)); !maps.Equal(before, after) {
				t.Errorf("the output directory changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
	// A past --as-of still reproduces a past report.
	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek,
		"--as-of", mustParseDay(t, focusWeek).AddDate(0, 0, 8).Format(time.RFC3339))
}

// TestAttackAuditLogEditedDuringJob: a job verifies the whole audit log
// when it starts and, before it signs the closing checkpoint, checks that
// the lines it verified are byte for byte still there (it then verifies
// only what was appended since). An entry edited while the job runs must
// still end it with exit 4 and no checkpoint over the edited log.
func TestAttackAuditLogEditedDuringJob(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	logPath := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	cpPath := filepath.Join(root, ".ledgerlens", "audit.checkpoints")
	before, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	checkpointsBefore, _ := os.ReadFile(cpPath)
	// The byte to change: a digit of the first entry's time.
	at := bytes.Index(before, []byte(`"time":"20`)) + len(`"time":"20`)
	if at < len(`"time":"20`) {
		t.Fatal("no time in the first entry")
	}

	var stderr bytes.Buffer
	cmd := exec.Command(binary, "--root", root, "report", "weekly", "--week", focusWeek)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Once the job has verified the log and recorded its start, change one
	// byte in place (no truncation: the job appends to the same file).
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, err := os.ReadFile(logPath)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data[len(before):], []byte(`"event":"job_start"`)) {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the job ended (%v) before it recorded its start\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("no job_start after 30 s")
		}
		time.Sleep(time.Millisecond)
	}
	f, err := os.OpenFile(logPath, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	digit := before[at] ^ 1 // another decimal digit
	if _, err := f.WriteAt([]byte{digit}, int64(at)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the job did not end")
	}
	if code := cmd.ProcessState.ExitCode(); code != 4 {
		t.Fatalf("exit %d after the log was edited during the job, want 4\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "no checkpoint signed") {
		t.Errorf("stderr does not say the checkpoint was refused:\n%s", stderr.String())
	}
	checkpointsAfter, _ := os.ReadFile(cpPath)
	if !bytes.Equal(checkpointsAfter, checkpointsBefore) {
		t.Errorf("a checkpoint was signed over the edited log:\n%s", checkpointsAfter[len(checkpointsBefore):])
	}
}

// TestAttackWipeStoreKeepingPlantedDuplicates: a store whose ledger state
// and rows were deleted, with a planted duplicate left in its derived
// tables, was loaded as a first load that kept the planted row: the next
// weekly job signed a report without the hidden run and exited 0, and once
// the row was removed again nothing showed. A first load now starts from
// empty tables.
func TestAttackWipeStoreKeepingPlantedDuplicates(t *testing.T) {
	root := publishedRoot(t)
	st, err := store.Open(context.Background(), storeFile(root), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var hidden string
	if err := st.Conn().QueryRowContext(ctx, `SELECT run_id FROM ledger_rows WHERE "timestamp" >= ?::TIMESTAMPTZ AND "timestamp" < ?::TIMESTAMPTZ
		ORDER BY credits_total DESC LIMIT 1`, focusWeek, nextWeek(t)).Scan(&hidden); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TEMP TABLE hide AS SELECT line_no, byte_offset, run_id FROM ledger_rows WHERE run_id = '` + hidden + `'`,
		"DELETE FROM ledger_rows", "DELETE FROM text_codes", "DELETE FROM field_values", "DELETE FROM ledger_state",
		"DELETE FROM rejects", "DELETE FROM duplicates",
		"INSERT INTO duplicates SELECT line_no, byte_offset, 1, run_id, 1, 'duplicate_identical' FROM hide",
	} {
		if _, err := st.Conn().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
	mustRun(t, "--root", root, "verify", "all")
	r := mustRun(t, "--root", root, "query", "--format", "csv", "SELECT count(*) FROM runs WHERE run_id = '"+hidden+"'")
	if !strings.Contains(r.stdout, "\n1\n") {
		t.Errorf("the planted duplicate survived the reload: the run %s is hidden from the runs view:\n%s", hidden, r.stdout)
	}
}

// TestAttackRespelledAuditLine: a line of the audit log rewritten in
// another spelling of the same entry (an escape in the event's name) kept
// its hash and its Merkle leaf, so every verifier passed while a grep for
// the event, or any check of the line's bytes, saw something else.
func TestAttackRespelledAuditLine(t *testing.T) {
	root := publishedRoot(t)
	logPath := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	const from, to = `"event":"publish"`, `"event":"publi\u0073h"`
	if !bytes.Contains(data, []byte(from)) {
		t.Fatal("the log records no publish event")
	}
	if err := os.WriteFile(logPath, bytes.Replace(data, []byte(from), []byte(to), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	mustFail(t, 4, []string{"not_canonical"}, "--root", root, "audit", "verify")
	mustFail(t, 4, []string{"not_canonical"}, "--root", root, "verify", "all")
	mustFail(t, 4, []string{"not_canonical"}, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
}

// TestAttackVerifyFileThroughALink: a report swapped for another week's
// (bytes, signature and a fresh sidecar) fails `verify FILE` by its real
// path; reached through a link to the root, or with the root named
// through one, it was taken for a copy outside the root and only its
// name was checked.
func TestAttackVerifyFileThroughALink(t *testing.T) {
	root := publishedRoot(t)
	target := weeklyPath(root, prevWeek(t), 1, ".json")
	for _, ext := range []string{"", ".sig"} {
		copyFile(t, weeklyPath(root, focusWeek, 1, ".json")+ext, target+ext)
	}
	residecar(t, target)
	link := filepath.Join(t.TempDir(), "root-link")
	if err := os.Symlink(root, link); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(root, target)
	if err != nil {
		t.Fatal(err)
	}
	const phrase = "not the recorded artifact for this name"
	mustFail(t, 4, []string{phrase}, "--root", root, "verify", target)
	mustFail(t, 4, []string{phrase}, "--root", root, "verify", filepath.Join(link, rel))
	mustFail(t, 4, []string{phrase}, "--root", link, "verify", target)
}

// TestCarelessPolicyKeyGivenTwice: a policy giving sev1's multiplier twice
// applied the last one silently; the jobs refuse it, naming the file and
// the field.
func TestCarelessPolicyKeyGivenTwice(t *testing.T) {
	root := publishedRoot(t)
	path := filepath.Join(root, "config", "sintraprime-policy.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const from = `"sev1": {"multiplier": 5,`
	if !bytes.Contains(data, []byte(from)) {
		t.Fatalf("the fixture policy has no %s", from)
	}
	if err := os.WriteFile(path, bytes.Replace(data, []byte(from), []byte(`"sev1": {"multiplier": 5, "multiplier": 9,`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	mustFail(t, 1, []string{"sintraprime-policy.json", "severity_policy.sev1.multiplier", "appears twice"},
		"--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
}

// TestCarelessPolicyKeyInAnotherCase: an operator raising the SEV1
// threshold writes "SEV1" beside the policy's "sev1". Keys are
// case-sensitive and unknown ones are passed over, so the job ran on the
// old threshold, exit 0, as if the change had applied. A key that differs
// from one the job reads only in case is now refused, naming the file and
// both spellings; so is one that stands alone (sev4 may be absent).
func TestCarelessPolicyKeyInAnotherCase(t *testing.T) {
	for _, tc := range []struct{ name, from, to, field string }{
		{"beside the right spelling", `"sev1": {"multiplier": 5,`, `"SEV1": {"multiplier": 7}, "sev1": {"multiplier": 5,`, "severity_policy.SEV1"},
		{"alone, where the key may be absent", `"sev4": {"multiplier": 0,`, `"SEV4": {"multiplier": 0.5,`, "severity_policy.SEV4"},
		{"inside a level", `"sev1": {"multiplier": 5,`, `"sev1": {"multiplier": 5, "Action": "page",`, "severity_policy.sev1.Action"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := publishedRoot(t)
			path := filepath.Join(root, "config", "sintraprime-policy.json")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(data, []byte(tc.from)) {
				t.Fatalf("the fixture policy has no %s", tc.from)
			}
			if err := os.WriteFile(path, bytes.Replace(data, []byte(tc.from), []byte(tc.to), 1), 0o644); err != nil {
				t.Fatal(err)
			}
			mustFail(t, 1, []string{"sintraprime-policy.json", tc.field, "case-sensitive"},
				"--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
		})
	}
}

// TestResumeWithAStepOutputGone: a run's checkpoint whose state names a
// finished step whose saved output is gone — left by a kill part-way
// through an older run's removal of its checkpoint, which removed files in
// directory order — made every re-run fail ("checkpoint of step
// render_xlsx: … no such file or directory"), so the weekly report was
// never published. The step is now redone, and the report is the same.
func TestResumeWithAStepOutputGone(t *testing.T) {
	base := copyFixture(t)
	mustRun(t, "--root", base, "keys", "generate")
	clean := copyRoot(t, base)
	mustRun(t, "--root", clean, "report", "weekly", "--week", focusWeek)
	want, err := os.ReadFile(weeklyPath(clean, focusWeek, 1, ".json"))
	if err != nil {
		t.Fatal(err)
	}

	// A run whose publication fails (its output directory made immutable,
	// which binds root too) keeps its checkpoint with every step before
	// publishing finished.
	root := base
	if err := os.MkdirAll(reviews(root), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("chattr", "+i", reviews(root)).CombinedOutput(); err != nil {
		t.Skipf("cannot make a directory immutable here (%v: %s)", err, strings.TrimSpace(string(out)))
	}
	r := ledgerlens(t, nil, "--root", root, "report", "weekly", "--week", focusWeek)
	if out, err := exec.Command("chattr", "-i", reviews(root)).CombinedOutput(); err != nil {
		t.Fatalf("chattr -i: %v %s", err, out)
	}
	if r.code != 1 {
		t.Fatalf("a publication into an immutable directory: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	gone, err := filepath.Glob(filepath.Join(root, ".ledgerlens", "checkpoints", "*", "report.xlsx"))
	if err != nil || len(gone) != 1 {
		t.Fatalf("the failed run's checkpoint holds %v (%v), want one report.xlsx", gone, err)
	}
	if err := os.Remove(gone[0]); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek)
	got, err := os.ReadFile(weeklyPath(root, focusWeek, 1, ".json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("the resumed run published a different report")
	}
	mustRun(t, "--root", root, "verify", "all")
}

// TestAttackRollBackTheLogOverADetection: line 5000 of the ledger is
// edited; the next ingest detects it (exit 4) and reloads the store from
// the edited ledger. Whoever may write the audit log then puts the log and
// its checkpoints back as they were before that ingest, a genuine earlier
// state, erasing the detection. The next ingest and weekly job exited 0:
// they compared the ledger with the store, which held the edited bytes,
// and not with the log's newest ingest; their signed ingest entries then
// vouched for the edit, and `verify ledger` passed. A job now compares the
// store's covered prefix with the one the log's newest ingest recorded:
// the edit is detected again (exit 4) and recorded.
func TestAttackRollBackTheLogOverADetection(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	wantExit(t, cron(t, root, "report", "weekly", "--week", weekBefore(t, focusWeek)), 0, "first weekly run")
	logPath := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	cpPath := filepath.Join(root, ".ledgerlens", "audit.checkpoints")
	log, cps := readFile(t, logPath), readFile(t, cpPath)
	editLine(t, ledgerPath(root), 5000)
	wantExit(t, cron(t, root, "ingest"), 4, "the ingest that detects the edit")
	for path, data := range map[string][]byte{logPath: log, cpPath: cps} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"ingest"}, {"report", "weekly", "--week", focusWeek}} {
		r := cron(t, root, args...)
		wantExit(t, r, 4, fmt.Sprintf("%v after the rollback", args))
		if !strings.Contains(r.stderr, "ledger") || !strings.Contains(r.stderr, "ledger acknowledge") {
			t.Errorf("%v after the rollback: stderr does not name the ledger's change and its fix:\n%s", args, r.stderr)
		}
	}
	mustFail(t, 4, []string{"FAILED"}, "--root", root, "verify", "ledger")
	mustFail(t, 4, []string{"FAILED"}, "--root", root, "verify", "all")
}

// rootWithAReportedEdit is a root with a key, a weekly review published,
// and ledger line 5000 edited since, which an ingest has reported (exit
// 4); it returns the root and the range the report names for
// `ledger acknowledge`.
func rootWithAReportedEdit(t *testing.T) (root, rng string) {
	t.Helper()
	root = copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	wantExit(t, cron(t, root, "report", "weekly", "--week", weekBefore(t, focusWeek)), 0, "first weekly run")
	editLine(t, ledgerPath(root), 5000)
	r := cron(t, root, "ingest")
	wantExit(t, r, 4, "the ingest that reports the edit")
	m := regexp.MustCompile(`--range (\d+-\d+)`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("stderr names no range: %s", r.stderr)
	}
	return root, m[1]
}

// TestAttackAcknowledgeCoversAnUnreportedEdit: line 5000 is edited (E1),
// the ingest reports it (exit 4) and the operator reviews E1. Before the
// operator acknowledges the range the report named, line 5000 is edited
// again (E2). The acknowledgment's own ingest detected E2 and covered it
// too, exit 0, though nobody had been shown it. Now an acknowledgment
// covers only what a job before it reported: when its own ingest finds a
// new change, it acknowledges nothing and exits 4 naming it; acknowledged
// again, once reviewed, it passes.
func TestAttackAcknowledgeCoversAnUnreportedEdit(t *testing.T) {
	root, rng := rootWithAReportedEdit(t)
	editLine(t, ledgerPath(root), 5000) // E2, never reported
	ack := []string{"ledger", "acknowledge", "--range", rng, "--by", "alice", "--reason", "reviewed E1"}
	r := cron(t, root, ack...)
	wantExit(t, r, 4, "an acknowledgment whose own ingest finds E2")
	if !strings.Contains(r.stderr, "nothing was acknowledged") {
		t.Errorf("stderr does not say nothing was acknowledged:\n%s", r.stderr)
	}
	if recs, _ := filepath.Glob(filepath.Join(reviews(root), "ledger_ack_*.json")); len(recs) != 0 {
		t.Errorf("acknowledgment records published: %v", recs)
	}
	mustFail(t, 4, []string{"FAILED"}, "--root", root, "verify", "all")
	// Reviewed and acknowledged again: both changes are covered.
	wantExit(t, cron(t, root, ack...), 0, "the acknowledgment after E2 was reported")
	mustRun(t, "--root", root, "verify", "all")

	// An edit that only the daily `verify all` showed (it records
	// nothing): the acknowledgment's own ingest records it, and covers it
	// at the first try, nothing else awaiting in the range. (A first
	// version of the check refused it once; an outside review.)
	shown := copyFixture(t)
	mustRun(t, "--root", shown, "keys", "generate")
	wantExit(t, cron(t, shown, "report", "weekly", "--week", weekBefore(t, focusWeek)), 0, "first weekly run")
	editLine(t, ledgerPath(shown), 5000)
	mustFail(t, 4, []string{"FAILED"}, "--root", shown, "verify", "all")
	wantExit(t, cron(t, shown, "ledger", "acknowledge", "--range", "1-1000000", "--by", "alice", "--reason", "shown by verify all"), 0,
		"an acknowledgment of an edit verify all showed")
	mustRun(t, "--root", shown, "verify", "all")

	// A reported conflicting duplicate, acknowledged with a range running
	// past the ledger's end. Before that, another conflicting duplicate
	// is appended in the range, and a line outside it edited, so that the
	// acknowledgment's own ingest reloads the ledger instead of appending
	// (an outside review found the reload passed over the new duplicate).
	dup := copyFixture(t)
	mustRun(t, "--root", dup, "keys", "generate")
	wantExit(t, cron(t, dup, "report", "weekly", "--week", weekBefore(t, focusWeek)), 0, "first weekly run")
	first := appendConflictingDuplicate(t, ledgerPath(dup), 10)
	wantExit(t, cron(t, dup, "ingest"), 4, "the ingest that reports the duplicate")
	appendConflictingDuplicate(t, ledgerPath(dup), 20)
	editLine(t, ledgerPath(dup), 100)
	r = cron(t, dup, "ledger", "acknowledge", "--range", fmt.Sprintf("%d-99999999", first), "--by", "alice", "--reason", "reviewed the duplicate")
	wantExit(t, r, 4, "an acknowledgment whose own reload finds a new duplicate in the range")
	if !strings.Contains(r.stderr, "a conflicting duplicate on line") || !strings.Contains(r.stderr, "nothing was acknowledged") {
		t.Errorf("stderr does not name the new duplicate:\n%s", r.stderr)
	}
}

// appendConflictingDuplicate appends to the ledger at path a copy of its
// line n with other credits (a conflicting duplicate of that line's run
// id), in place of the ledger's partial last line, and returns its line
// number.
func appendConflictingDuplicate(t *testing.T, path string, n int) int {
	t.Helper()
	data := readFile(t, path)
	data = data[:bytes.LastIndexByte(data, '\n')+1]
	lines := bytes.Split(data, []byte{'\n'})
	var rec map[string]any
	if err := json.Unmarshal(lines[n-1], &rec); err != nil {
		t.Fatalf("line %d: %v", n, err)
	}
	changed := false
	for k, v := range rec {
		if credits, ok := v.(float64); ok && strings.EqualFold(k, "credits_total") {
			rec[k], changed = credits+1000, true
		}
	}
	if !changed {
		t.Fatalf("line %d has no credits: %s", n, lines[n-1])
	}
	forged, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(append(data, forged...), '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	return bytes.Count(data, []byte{'\n'}) + 1
}

// TestAttackCheckpointsFileLinesEdited: a line of the checkpoints file
// deleted, one repeated next to itself, and one's time rewritten (each
// line's time and job are for people, unsigned). Nothing a signature
// covers changed, and audit verify, verify all and every job exited 0
// (an outside review). Each job's job_start now records the file's
// lines as it found them, in the signed log: every line but the newest
// is held to its bytes, exit 4. And a copy of an older genuine line
// appended, the log left whole: every job refused the file, but the
// verifiers found each line's signature good and the log consistent
// with all of them, and exited 0, the daily check green while every
// job was blocked (the same review); they hold the file to the jobs'
// rule.
func TestAttackCheckpointsFileLinesEdited(t *testing.T) {
	const recorded = "the job that started at audit seq"
	for _, tc := range []struct {
		name   string
		edit   func(lines [][]byte) [][]byte
		phrase func(lines int) string
	}{
		{"a middle line deleted", func(lines [][]byte) [][]byte { return append(lines[:1:1], lines[2:]...) },
			func(int) string { return recorded }},
		{"a line repeated next to itself", func(lines [][]byte) [][]byte {
			return append([][]byte{lines[0], lines[0]}, lines[1:]...)
		}, func(int) string { return recorded }},
		{"a line's time rewritten", func(lines [][]byte) [][]byte {
			lines[0] = regexp.MustCompile(`"time":"[^"]*"`).ReplaceAll(lines[0], []byte(`"time":"2026-01-01T00:00:00Z"`))
			return lines
		}, func(int) string { return recorded }},
		{"an older line appended", func(lines [][]byte) [][]byte { return append(lines, lines[0]) },
			func(n int) string { return fmt.Sprintf("audit.checkpoints line %d: covers", n+1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := publishedRoot(t)
			cpPath := filepath.Join(root, ".ledgerlens", "audit.checkpoints")
			lines := bytes.SplitAfter(readFile(t, cpPath), []byte("\n"))
			lines = lines[:len(lines)-1]
			if len(lines) < 3 {
				t.Fatalf("want at least three checkpoints, have %d", len(lines))
			}
			phrase := tc.phrase(len(lines))
			if err := os.WriteFile(cpPath, bytes.Join(tc.edit(lines), nil), 0o644); err != nil {
				t.Fatal(err)
			}
			mustFail(t, 4, []string{phrase}, "--root", root, "audit", "verify")
			mustFail(t, 4, []string{phrase}, "--root", root, "verify", "all")
			mustFail(t, 4, []string{phrase}, "--root", root, "ingest")
		})
	}
}

// TestAttackOlderCheckpointAppended: the log truncated to an older
// checkpoint's size, and a copy of that genuine checkpoint appended to the
// checkpoints file as its last line. `audit verify` failed on the newer
// checkpoint, but the jobs compared the log with the file's last line
// only, exited 0 and extended the truncated log. Checkpoints are only ever
// appended, each covering at least as many entries as the one before: a
// file out of that order is refused by the jobs too (exit 4).
func TestAttackOlderCheckpointAppended(t *testing.T) {
	root := publishedRoot(t)
	logPath := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	cpPath := filepath.Join(root, ".ledgerlens", "audit.checkpoints")
	cps := bytes.SplitAfter(readFile(t, cpPath), []byte("\n"))
	cps = cps[:len(cps)-1]
	if len(cps) < 2 {
		t.Fatalf("want at least two checkpoints, have %d", len(cps))
	}
	older := cps[len(cps)-2]
	var line struct{ Note string }
	if err := json.Unmarshal(older, &line); err != nil {
		t.Fatal(err)
	}
	size, err := strconv.Atoi(strings.Split(line.Note, "\n")[1])
	if err != nil {
		t.Fatalf("checkpoint line %q: %v", older, err)
	}
	entries := bytes.SplitAfter(readFile(t, logPath), []byte("\n"))
	if err := os.WriteFile(logPath, bytes.Join(entries[:size], nil), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cpPath, append(bytes.Join(cps, nil), older...), 0o644); err != nil {
		t.Fatal(err)
	}
	mustFail(t, 4, []string{"FAILED"}, "--root", root, "audit", "verify")
	for _, args := range [][]string{{"ingest"}, {"report", "weekly", "--week", focusWeek, "--supersede"}} {
		r := cron(t, root, args...)
		wantExit(t, r, 4, fmt.Sprintf("%v over a checkpoints file out of order", args))
		if !strings.Contains(r.stderr, "audit.checkpoints") {
			t.Errorf("%v: stderr does not name the checkpoints file:\n%s", args, r.stderr)
		}
	}
}
