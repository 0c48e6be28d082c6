package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/schedules"
)

func flipByte(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x20
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestIntegrityNamesEveryTamperedArtifact tampers with two published
// artifacts: `verify all` names both and exits non-zero, and the daily
// integrity job names both and sets the integrity_problem metric.
func TestIntegrityNamesEveryTamperedArtifact(t *testing.T) {
	root := copyFixture(t)
	for _, args := range [][]string{{"keys", "generate"}, {"report", "weekly", "--week", focusWeek}} {
		if r := runInProcess(t, append([]string{"--root", root}, args...)...); r.code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
	// Checked from cron, the run reaches the metrics the alert rules
	// read, as the scheduler's check does: a root checked by a verify all
	// line wrote no integrity-check series, and "integrity check not
	// succeeded for 2 days" had nothing to fire on (an outside review).
	cronMetrics := filepath.Join(t.TempDir(), "ledgerlens.prom")
	if r := runInProcess(t, "--root", root, "verify", "all", "--metrics-file", cronMetrics); r.code != 0 || !strings.HasSuffix(r.stdout, "OK\n") {
		t.Fatalf("untampered: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{series("ledgerlens_integrity_problems", "integrity-check", root) + " 0", series("ledgerlens_job_last_status", "integrity-check", root) + " 1"} {
		if data := readFile(t, cronMetrics); !strings.Contains(string(data), want) {
			t.Errorf("verify all --metrics-file: the file lacks %s:\n%s", want, data)
		}
	}
	tampered := []string{
		filepath.Join(reviews(root), "weekly_"+focusWeek+".json"),
		filepath.Join(reviews(root), "weekly_"+focusWeek+".xlsx"),
	}
	for _, p := range tampered {
		flipByte(t, p)
	}

	r := runInProcess(t, "--root", root, "verify", "all", "--metrics-file", cronMetrics)
	for _, want := range []string{series("ledgerlens_integrity_problems", "integrity-check", root) + " 2", series("ledgerlens_job_last_status", "integrity-check", root) + " 0"} {
		if data := readFile(t, cronMetrics); !strings.Contains(string(data), want) {
			t.Errorf("verify all --metrics-file of a tampered root: the file lacks %s:\n%s", want, data)
		}
	}
	// A --metrics-file it refuses (inside the root) does not stop the
	// check: exit 4, not 2 (a second outside review).
	if r := runInProcess(t, "--root", root, "verify", "all", "--metrics-file", filepath.Join(root, "x.prom")); r.code != exitIntegrity || !strings.Contains(r.stderr, "--metrics-file") {
		t.Errorf("verify all of a tampered root with a refused --metrics-file: exit %d, want %d\n%s%s", r.code, exitIntegrity, r.stdout, r.stderr)
	}
	if r.code != exitIntegrity {
		t.Fatalf("verify all: exit %d, want %d\n%s%s", r.code, exitIntegrity, r.stdout, r.stderr)
	}
	for _, p := range tampered {
		rel := filepath.Join("runs", "CREDIT_REVIEWS", filepath.Base(p))
		if !strings.Contains(r.stdout, "FAILED  "+rel+": ") {
			t.Errorf("verify all does not name %s:\n%s", rel, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "2 problems") {
		t.Errorf("stderr does not count 2 problems:\n%s", r.stderr)
	}

	// The daily job, as the scheduler runs it and records its metrics.
	a := newApp(&strings.Builder{}, &strings.Builder{})
	a.root = root
	started := time.Now()
	// Problems fail the job (the scheduler reports it as not OK), and the
	// count reaches the metrics file either way.
	stats, jobErr := a.integrityJob(0)(context.Background(), started)
	if jobErr == nil || !strings.Contains(jobErr.Error(), "2 problems") {
		t.Fatalf("integrity job: err %v, want one naming 2 problems", jobErr)
	}
	if got := stats.Findings["integrity_problem"]; got != 2 {
		t.Fatalf("integrity_problem %d, want 2", got)
	}
	metrics := filepath.Join(t.TempDir(), "ledgerlens.prom")
	if err := schedules.RecordRun(metrics, metricsRoot(a.layout()), schedules.JobIntegrityCheck, schedules.RunResult{Started: started, Finished: time.Now(), Err: jobErr, Stats: stats}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(metrics)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{series("ledgerlens_integrity_problems", "integrity-check", root) + " 2", series("ledgerlens_job_last_status", "integrity-check", root) + " 0"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("metrics file lacks %s:\n%s", want, data)
		}
	}
	audit, _ := os.ReadFile(filepath.Join(root, ".ledgerlens", "audit.jsonl"))
	for _, p := range tampered {
		if !strings.Contains(string(audit), filepath.Base(p)+": sha256 mismatch") {
			t.Errorf("the integrity job's job_end does not name %s", filepath.Base(p))
		}
	}
}

// TestScheduledIntegrityCheckCountsARefusal: a broken audit log makes the
// integrity-check job refuse to start, and the scheduler recorded the
// refusal with the last count kept: ledgerlens_integrity_problems stayed 0
// and no webhook was called, while verify all failed. The refusal is now
// counted as the problem it is. The same for a weekly run published with
// exit 4 (an edited ledger): its --metrics-file said 0.
func TestScheduledIntegrityCheckCountsARefusal(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	metrics := filepath.Join(t.TempDir(), "ledgerlens.prom")
	mustRun(t, "--root", root, "report", "weekly", "--week", prevWeek(t), "--metrics-file", metrics)

	// A weekly run that publishes but finds the ledger edited (exit 4).
	editLine(t, ledgerPath(root), 100)
	r := ledgerlens(t, nil, "--root", root, "report", "weekly", "--week", focusWeek, "--metrics-file", metrics)
	if r.code != 4 {
		t.Fatalf("weekly run over an edited ledger: exit %d\n%s", r.code, r.stderr)
	}
	if data := readFile(t, metrics); !regexp.MustCompile(regexp.QuoteMeta(series("ledgerlens_integrity_problems", "weekly-review", root)) + ` [1-9]`).Match(data) {
		t.Errorf("metrics after a weekly run that exited 4:\n%s", data)
	}

	// The daily check, as the scheduler runs it, on a log whose chain is
	// broken: the job refuses to start.
	logPath := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	log := readFile(t, logPath)
	if i := bytes.Index(log, []byte(`"event":"job_start"`)); i < 0 {
		t.Fatal("no job_start in the log")
	} else {
		copy(log[i:], `"event":"job_stArt"`)
	}
	if err := os.WriteFile(logPath, log, 0o644); err != nil {
		t.Fatal(err)
	}
	a := newApp(&strings.Builder{}, &strings.Builder{})
	a.root = root
	started := time.Now()
	stats, jobErr := a.integrityJob(0)(context.Background(), started)
	if jobErr == nil || stats.IntegrityProblems == nil || *stats.IntegrityProblems < 1 {
		t.Fatalf("integrity job on a broken log: err %v, problems %v", jobErr, stats.IntegrityProblems)
	}
	if err := schedules.RecordRun(metrics, metricsRoot(a.layout()), schedules.JobIntegrityCheck, schedules.RunResult{Started: started, Finished: time.Now(), Err: jobErr, Stats: stats}); err != nil {
		t.Fatal(err)
	}
	if data := readFile(t, metrics); !regexp.MustCompile(regexp.QuoteMeta(series("ledgerlens_integrity_problems", "integrity-check", root)) + ` [1-9]`).Match(data) {
		t.Errorf("metrics after an integrity check refused on a broken log:\n%s", data)
	}
}

// TestAuditVerifyAnExportedLogOffline: the compliance page's offline check
// of an exported log against a kept checkpoint failed outside a working
// root ("not a ledgerlens root"), so a compliance team without the host's
// tree could not run it. Given a FILE it needs no root; a copy cut short
// fails against the checkpoint, and one checked with no checkpoint at all
// says that nothing vouches for it.
func TestAuditVerifyAnExportedLogOffline(t *testing.T) {
	root := publishedRoot(t)
	team := t.TempDir() // no root: what the compliance team has
	logCopy := filepath.Join(team, "audit.jsonl")
	copyFile(t, filepath.Join(root, ".ledgerlens", "audit.jsonl"), logCopy)
	pub := filepath.Join(team, "signing.pub")
	copyFile(t, filepath.Join(root, ".ledgerlens", "keys", "signing.pub"), pub)
	lines := strings.Split(strings.TrimSpace(string(readFile(t, filepath.Join(root, ".ledgerlens", "audit.checkpoints")))), "\n")
	var kept struct {
		Note string `json:"note"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &kept); err != nil || kept.Note == "" {
		t.Fatalf("the newest checkpoint line: %v %q", err, lines[len(lines)-1])
	}
	witness := filepath.Join(team, "kept.checkpoint")
	if err := os.WriteFile(witness, []byte(kept.Note), 0o644); err != nil {
		t.Fatal(err)
	}

	run := func(args ...string) result { return ledgerlensIn(t, team, nil, args...) }
	if r := run("audit", "verify", "audit.jsonl", "--checkpoint", "kept.checkpoint", "--pubkey", "signing.pub"); r.code != 0 || !strings.HasPrefix(r.stdout, "OK") || !strings.Contains(r.stdout, "consistent with 1 signed checkpoints") {
		t.Fatalf("offline check of the exported log: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run("audit", "verify", "audit.jsonl"); r.code != 0 || !strings.Contains(r.stderr, "no signed checkpoint vouches for it") {
		t.Errorf("the exported log with no checkpoint: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	log := readFile(t, logCopy)
	cut := log[:bytes.LastIndexByte(log[:len(log)-1], '\n')+1]
	if err := os.WriteFile(logCopy, cut, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run("audit", "verify", "audit.jsonl", "--checkpoint", "kept.checkpoint", "--pubkey", "signing.pub"); r.code != 4 {
		t.Errorf("a copy cut short, against the kept checkpoint: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestAttackWitnessFedAnOlderCheckpoint: the witness recipe copied the
// checkpoints file's last line. Someone who may write the state
// directory appended an older genuine line right after a job, the
// witness copied it, and the line was taken out again: the witness held a
// checkpoint from before the week it was meant to vouch for, and a later
// rollback of the log, the checkpoints and that week's report passed the
// offline check against it, exit 0 (an outside review). The witness copy
// is now made by `audit verify --keep-head`, which writes nothing unless
// the log verifies, and the appended line fails it.
func TestAttackWitnessFedAnOlderCheckpoint(t *testing.T) {
	root := copyRoot(t, publishedRoot(t))
	witness := t.TempDir()
	checkpoints := filepath.Join(root, ".ledgerlens", "audit.checkpoints")
	genuine := readFile(t, checkpoints)
	lines := strings.SplitAfter(strings.TrimSpace(string(genuine)), "\n")
	if err := os.WriteFile(checkpoints, append(genuine, lines[0]+"\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	day1 := filepath.Join(witness, "day1.checkpoint")
	r := ledgerlens(t, nil, "--root", root, "audit", "verify", "--keep-head", day1)
	if r.code != 4 || !strings.Contains(r.stdout, "fewer than") {
		t.Errorf("the witness copy with an older line appended: exit %d, want 4\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(day1); err == nil {
		t.Error("a witness copy was written from a checkpoints file that failed the check")
	}

	if err := os.WriteFile(checkpoints, genuine, 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--root", root, "audit", "verify", "--keep-head", day1)
	var newest struct {
		Note string `json:"note"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &newest); err != nil {
		t.Fatal(err)
	}
	if got := string(readFile(t, day1)); got != newest.Note {
		t.Errorf("the witness copy is not the newest checkpoint:\n%s\nwant\n%s", got, newest.Note)
	}
	// The next copy must extend the one before.
	day2 := filepath.Join(witness, "day2.checkpoint")
	mustRun(t, "--root", root, "audit", "verify", "--checkpoint", day1, "--keep-head", day2)
	for _, tt := range []struct{ name, path, want string }{
		{"an existing file", day2, "exists"},
		{"inside the root", filepath.Join(root, "witness.checkpoint"), "inside the working root"},
	} {
		if r := ledgerlens(t, nil, "--root", root, "audit", "verify", "--keep-head", tt.path); r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("--keep-head %s: exit %d, want 2 saying %q\n%s", tt.name, r.code, tt.want, r.stderr)
		}
	}
}

// TestWitnessCopyFromTheJob: `audit verify --keep-head` copies what the
// host's files say when it runs. Someone who may write the state
// directory put the log and checkpoints file from before a job back for
// that moment, and it kept the older checkpoint as today's, exit 0 (an
// outside review). A job given --keep-head writes the checkpoint it has
// just signed, from memory: it covers the whole log the job left, and
// nothing the checkpoints file says changes it.
func TestWitnessCopyFromTheJob(t *testing.T) {
	root := copyRoot(t, publishedRoot(t))
	witness := filepath.Join(t.TempDir(), "monday.checkpoint")
	mustRun(t, "--root", root, "report", "weekly", "--week", nextWeek(t), "--keep-head", witness)
	lines := strings.Split(strings.TrimSpace(string(readFile(t, filepath.Join(root, ".ledgerlens", "audit.checkpoints")))), "\n")
	var newest struct {
		Note string `json:"note"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &newest); err != nil {
		t.Fatal(err)
	}
	kept := string(readFile(t, witness))
	if kept != newest.Note {
		t.Fatalf("the job's witness copy is not its closing checkpoint:\n%s\nwant\n%s", kept, newest.Note)
	}
	entries := strings.Count(string(readFile(t, filepath.Join(root, ".ledgerlens", "audit.jsonl"))), "\n")
	if size := strings.Split(kept, "\n")[1]; size != strconv.Itoa(entries) {
		t.Errorf("the witness copy covers %s entries, the log holds %d", size, entries)
	}
	mustRun(t, "--root", root, "audit", "verify", "--checkpoint", witness)
	// An existing file is refused before the job runs: nothing published.
	r := ledgerlens(t, nil, "--root", root, "report", "sla", "--month", "2026-02", "--keep-head", witness)
	if r.code != 2 || !strings.Contains(r.stderr, "exists") {
		t.Errorf("--keep-head over an existing file: exit %d, want 2\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(reviews(root), "sla_2026-02.json")); err == nil {
		t.Error("the SLA report was published though --keep-head was refused")
	}
}

// emptyStore puts an empty DuckDB database (no tables) where the store
// is: what a first ingest interrupted before its commit leaves.
func emptyStore(t *testing.T, root string) {
	t.Helper()
	path := storeFile(root)
	os.Remove(path)
	os.Remove(path + ".wal")
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyAllAfterAnInterruptedFirstIngest: a first ingest interrupted
// before its commit leaves a store without tables. verify all failed on an
// internal error ("Table with name duplicates does not exist"); it now
// finds nothing to check (no ingest was ever recorded), and the next job
// builds the store. The same empty store in place of one the log records
// ingests into is still a problem, named as such.
func TestVerifyAllAfterAnInterruptedFirstIngest(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	emptyStore(t, root)
	if r := mustRun(t, "--root", root, "verify", "all"); !strings.Contains(r.stdout, "ledger: no store") {
		t.Errorf("verify all:\n%s", r.stdout)
	}
	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek)
	mustRun(t, "--root", root, "verify", "all")

	emptyStore(t, root)
	r := mustFail(t, 4, []string{"cannot be checked against the ledger"}, "--root", root, "verify", "all")
	if strings.Contains(r.stdout+r.stderr, "Catalog Error") {
		t.Errorf("verify all reports an internal error:\n%s%s", r.stdout, r.stderr)
	}
}

// TestDamagedStore: 64 bytes of the store file overwritten (a disk error,
// or someone with write access to the state directory). The engine
// aborted the whole process on it ("stack smashing detected"): every
// command, the daily verify all included, exited 2, the status of a bad
// command line, with a page of stack dump. The store is now read in a
// child process first: verify all and verify store fail and a job
// refuses, all with exit 4, each naming the damaged store and what to do;
// moved away, the next job rebuilds it from the ledger.
func TestDamagedStore(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	mustRun(t, "--root", root, "report", "weekly", "--week", prevWeek(t))
	path := storeFile(root)
	data := readFile(t, path)
	for i := 20000; i < 20064; i++ {
		data[i] ^= 0xff
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"verify", "all"}, 4},
		{[]string{"verify", "store"}, 4},
		{[]string{"verify", "ledger"}, 4},
		{[]string{"ingest"}, 4},
		{[]string{"report", "weekly", "--week", focusWeek}, 4},
	} {
		r := cron(t, root, tc.args...)
		wantExit(t, r, tc.code, strings.Join(tc.args, " "))
		if !strings.Contains(r.stderr, "the store is damaged") || !strings.Contains(r.stderr, "move it away") || len(stderrLines(r)) != 1 {
			t.Errorf("%v: want one stderr line naming the damaged store, got:\n%s", tc.args, r.stderr)
		}
	}

	// Damage the engine reports instead of aborting on (here: a store
	// file cut to nothing, or random bytes): verify all said only the
	// engine's error and skipped its other checks, so a published file
	// deleted beside it went unreported; a job gave no advice.
	for _, damage := range []struct {
		name string
		data []byte
	}{{"empty", nil}, {"random bytes", bytes.Repeat([]byte("not a database "), 1<<14)}} {
		t.Run(damage.name, func(t *testing.T) {
			r := copyRoot(t, root)
			if err := os.WriteFile(storeFile(r), damage.data, 0o644); err != nil {
				t.Fatal(err)
			}
			xlsx := filepath.Join(reviews(r), "weekly_"+prevWeek(t)+".xlsx")
			if err := os.Remove(xlsx); err != nil {
				t.Fatal(err)
			}
			// And a loaded ledger line edited: the ledger is held to the
			// log without the store.
			editLine(t, ledgerPath(r), 5000)
			v := mustFail(t, 4, []string{"move it away", "weekly_" + prevWeek(t) + ".xlsx", "differ from what the audit log records as ingested"}, "--root", r, "verify", "all")
			if !strings.Contains(v.stdout, "DAMAGED") {
				t.Errorf("verify all's summary does not say the store is damaged:\n%s", v.stdout)
			}
			res := cron(t, r, "ingest")
			if res.code == 0 || res.code == 2 || !strings.Contains(res.stderr, "move it away") {
				t.Errorf("ingest on a damaged store: exit %d\n%s", res.code, res.stderr)
			}
		})
	}

	if err := os.Rename(path, path+".damaged"); err != nil {
		t.Fatal(err)
	}
	os.Remove(path + ".wal")
	wantExit(t, cron(t, root, "report", "weekly", "--week", focusWeek), 0, "the weekly job with the store moved away")
	mustRun(t, "--root", root, "verify", "all")
}

// TestStoreFailingItsChecksum: a byte overwritten inside a block of the
// store that holds rows. The engine opens the file and fails only when a
// read reaches the block ("Corrupt database file"): the weekly job and
// verify store exited 1 with the engine's message, verify all 1 without
// its other checks, and verify ledger passed. The probe, which reads
// every value of every table, now takes such a block for damage: jobs
// and verifiers exit 4 naming the store, the table and what to do; moved
// away, the store is rebuilt by the next job. A byte of the write-ahead
// log overwritten ("Corrupt WAL file", on opening) had the verifiers exit
// 4 and the jobs 1 (an outside review); they exit 4 too.
func TestStoreFailingItsChecksum(t *testing.T) {
	flip := func(t *testing.T, path string, at int64) {
		t.Helper()
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		buf := make([]byte, 1)
		if _, err := f.ReadAt(buf, at); err != nil {
			t.Fatal(err)
		}
		buf[0] ^= 0xff
		if _, err := f.WriteAt(buf, at); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
		want   []string
	}{
		{"a block of rows", func(t *testing.T, path string) {
			db, err := sql.Open("duckdb", path+"?access_mode=read_only")
			if err != nil {
				t.Fatal(err)
			}
			// The engine's file is three 4 KiB headers, then blocks of
			// 256 KiB, each led by its checksum.
			var block int64
			err = db.QueryRow(`SELECT min(block_id) FROM pragma_storage_info('ledger_rows') WHERE persistent AND block_id >= 0`).Scan(&block)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			// One byte's bits flipped. (The engine's checksum XORs a hash
			// of each 8-byte word: 64 bytes of zeros flipped to eight equal
			// words left it unchanged, and only the row digests saw the
			// edit, exit 4.)
			flip(t, path, 3*4096+block*256*1024+1000)
		}, []string{"ledger_rows", "a block of the store file fails its checksum"}},
		{"the write-ahead log", func(t *testing.T, path string) {
			fi, err := os.Stat(path + ".wal")
			if err != nil {
				t.Fatalf("the published root's store has no write-ahead log: %v", err)
			}
			flip(t, path+".wal", fi.Size()/2)
		}, []string{"the store's write-ahead log fails its checksum"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := copyRoot(t, publishedRoot(t))
			path := storeFile(root)
			tc.damage(t, path)
			for _, args := range [][]string{
				{"verify", "store"},
				{"verify", "ledger"},
				{"verify", "all"},
				{"report", "weekly", "--week", focusWeek, "--supersede"},
				{"report", "sla", "--month", "2026-02"},
			} {
				r := cron(t, root, args...)
				wantExit(t, r, 4, strings.Join(args, " "))
				for _, want := range append([]string{"the store is damaged", "move it away"}, tc.want...) {
					if !strings.Contains(r.stderr, want) || len(stderrLines(r)) != 1 {
						t.Errorf("%v: want one stderr line naming %q, got:\n%s", args, want, r.stderr)
					}
				}
			}
			if err := os.Rename(path, path+".damaged"); err != nil {
				t.Fatal(err)
			}
			os.Remove(path + ".wal")
			mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
			mustRun(t, "--root", root, "verify", "all")
		})
	}
}

// probeChild waits up to a few seconds for the store probe child of the
// process pid (selfProbe) and returns its pid, 0 if none appeared.
func probeChild(t *testing.T, pid int) int {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		stats, _ := filepath.Glob("/proc/[0-9]*/stat")
		for _, f := range stats {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			// pid (comm) state ppid ...: the command name may hold spaces.
			fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
			if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
				cmdline, _ := os.ReadFile(filepath.Join(filepath.Dir(f), "cmdline"))
				if bytes.Contains(cmdline, []byte(probeStoreCommand)) {
					child, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
					return child
				}
			}
		}
		time.Sleep(time.Millisecond)
	}
	return 0
}

// TestStoreProbeEndedFromOutside: the store probe's child killed by
// something other than the store (the kernel's out-of-memory killer, a
// CPU limit, an operator) was reported as a damaged store: exit 4 from a
// job, recorded in the signed log, and the advice to move a sound store
// away (an outside review). The command now goes on to open the store
// itself. A probe child stopped while its job is SIGKILLed outlived it,
// holding the engine's lock on the store, and the next job failed on that
// lock: it now dies with its job.
func TestStoreProbeEndedFromOutside(t *testing.T) {
	root := queryRoot(t)
	t.Run("killed", func(t *testing.T) {
		for attempt := 0; ; attempt++ {
			cmd := exec.Command(binary, "--root", root, "verify", "all")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			child := probeChild(t, cmd.Process.Pid)
			killed := child != 0 && syscall.Kill(child, syscall.SIGKILL) == nil
			_ = cmd.Wait()
			if !killed {
				if attempt == 5 {
					t.Skip("the probe child ended before it could be killed, five times")
				}
				continue
			}
			if code := cmd.ProcessState.ExitCode(); code != 0 || strings.Contains(out.String(), "damaged") {
				t.Fatalf("verify all with its store probe killed from outside: exit %d\n%s", code, out.String())
			}
			return
		}
	})
	t.Run("outlives its job", func(t *testing.T) {
		cmd := exec.Command(binary, "--root", root, "verify", "all")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		child := probeChild(t, cmd.Process.Pid)
		if child == 0 || syscall.Kill(child, syscall.SIGSTOP) != nil {
			_ = cmd.Wait()
			t.Skip("the probe child ended before it could be stopped")
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		for deadline := time.Now().Add(5 * time.Second); ; {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", child)); errors.Is(err, os.ErrNotExist) {
				break
			}
			if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child)); bytes.Contains(b, []byte(") Z ")) {
				break // dead, a zombie until init reaps it
			}
			if time.Now().After(deadline) {
				syscall.Kill(child, syscall.SIGKILL)
				t.Fatalf("the store probe child %d outlived its SIGKILLed job by 5 s", child)
			}
			time.Sleep(10 * time.Millisecond)
		}
		mustRun(t, "--root", root, "--quiet", "ingest")
	})
}

// TestVerifyAReadOnlySnapshot: an auditor mounts the root read-only (a
// snapshot, or a read-only view of the live root) and checks it. Every
// command failed on the lock file it could not create ("read-only file
// system"; an outside review). verify all, verify store and query now
// read it, taking the lock read-only, so that a job writing through
// another path still waits for them.
func TestVerifyAReadOnlySnapshot(t *testing.T) {
	root := publishedRoot(t)
	snapshot := t.TempDir()
	if out, err := exec.Command("mount", "--bind", root, snapshot).CombinedOutput(); err != nil {
		t.Skipf("cannot mount here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", snapshot).Run() })
	if out, err := exec.Command("mount", "-o", "remount,bind,ro", snapshot).CombinedOutput(); err != nil {
		t.Skipf("cannot mount read-only here: %v %s", err, out)
	}
	mustRun(t, "--root", snapshot, "verify", "all")
	mustRun(t, "--root", snapshot, "verify", "store")
	if r := mustRun(t, "--root", snapshot, "query", "--format", "csv", "SELECT count(*) AS n FROM runs"); !strings.HasPrefix(r.stdout, "n\n") {
		t.Errorf("query on the snapshot: %q", r.stdout)
	}
	// A change the snapshot holds is still found.
	if err := os.Remove(weeklyPath(root, prevWeek(t), 1, ".json.sig")); err != nil {
		t.Fatal(err)
	}
	mustFail(t, 4, nil, "--root", snapshot, "verify", "all")

	// A read-only view of a live root: a reader through it takes the
	// lock (read-only), so a job on the writable path waits for it or
	// says the lock is held, rather than fail on the engine's own lock
	// (it did, exit 1, while the reader took no lock: an outside review).
	q := exec.Command(binary, "--root", snapshot, "query", "SELECT sum(hash(x)) FROM range(4000000000) t(x)")
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { q.Process.Kill(); q.Wait() }()
	time.Sleep(time.Second) // the query holds the lock by now
	r := ledgerlens(t, nil, "--root", root, "ingest")
	if r.code != 75 || !strings.Contains(r.stderr, "holds the lock") {
		t.Errorf("a job beside a reader on a read-only view: exit %d, want 75 (the lock held)\n%s", r.code, r.stderr)
	}
}

// TestVerifyExitStatus: every check that ran and found the evidence
// changed, missing or made up exits 4, as a job does for an integrity
// problem; a check that could not run (nothing to read, no key) exits 1.
// The checks exited 1 for both, so a compliance script could not tell a
// tampered root from a wrong path (docs/RULES.md, "Exit status").
func TestVerifyExitStatus(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, root string) // nil: the root as published
		args   func(root string) []string
		code   int
	}{
		{"verify all, untouched", nil, func(string) []string { return []string{"verify", "all"} }, 0},
		{"verify all, a report edited", func(t *testing.T, r string) { flipByte(t, weeklyPath(r, focusWeek, 1, ".json")) },
			func(string) []string { return []string{"verify", "all"} }, 4},
		{"verify FILE, edited", func(t *testing.T, r string) { flipByte(t, weeklyPath(r, focusWeek, 1, ".json")) },
			func(r string) []string { return []string{"verify", weeklyPath(r, focusWeek, 1, ".json")} }, 4},
		{"verify FILE, no such file", nil,
			func(r string) []string { return []string{"verify", weeklyPath(r, focusWeek, 9, ".json")} }, 1},
		// It stopped at the missing file, exit 1, and the edited one was
		// never named (an outside review).
		{"verify FILE, no such file before an edited one", func(t *testing.T, r string) { flipByte(t, weeklyPath(r, focusWeek, 1, ".json")) },
			func(r string) []string {
				return []string{"verify", weeklyPath(r, focusWeek, 9, ".json"), weeklyPath(r, focusWeek, 1, ".json")}
			}, 4},
		{"verify FILE, no such key", nil,
			func(r string) []string {
				return []string{"verify", "--pubkey", filepath.Join(r, "nope.pub"), weeklyPath(r, focusWeek, 1, ".json")}
			}, 1},
		{"verify BUNDLE, no such file", nil,
			func(r string) []string { return []string{"verify", filepath.Join(r, "nope.zip")} }, 1},
		{"verify ledger, a loaded line edited", func(t *testing.T, r string) { editLine(t, ledgerPath(r), 5000) },
			func(string) []string { return []string{"verify", "ledger"} }, 4},
		{"verify ledger, no ledger", func(t *testing.T, r string) { mustRemove(t, ledgerPath(r)) },
			func(string) []string { return []string{"verify", "ledger"} }, 1},
		{"verify store, the store deleted", func(t *testing.T, r string) { mustRemove(t, filepath.Dir(storeFile(r))) },
			func(string) []string { return []string{"verify", "store"} }, 4},
		// It exited 1, where verify store and verify all exit 4 (an
		// outside review).
		{"verify ledger, the store deleted", func(t *testing.T, r string) { mustRemove(t, filepath.Dir(storeFile(r))) },
			func(string) []string { return []string{"verify", "ledger"} }, 4},
		{"audit verify, an entry deleted", func(t *testing.T, r string) { dropLine(t, filepath.Join(r, ".ledgerlens", "audit.jsonl"), 4) },
			func(string) []string { return []string{"audit", "verify"} }, 4},
		// A mistyped path verified as an empty log, exit 0 (an outside
		// review).
		{"audit verify FILE, no such file", nil,
			func(r string) []string { return []string{"audit", "verify", filepath.Join(r, "nope.jsonl")} }, 1},
		{"audit verify, no key", func(t *testing.T, r string) { mustRemove(t, filepath.Join(r, ".ledgerlens", "keys")) },
			func(string) []string { return []string{"audit", "verify"} }, 1},
		{"verify all, not a root", nil, func(r string) []string { return []string{"--root", filepath.Dir(r), "verify", "all"} }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := publishedRoot(t)
			if tc.damage != nil {
				tc.damage(t, root)
			}
			r := ledgerlens(t, nil, append([]string{"--root", root}, tc.args(root)...)...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", r.code, tc.code, r.stdout, r.stderr)
			}
		})
	}
}

// TestVerifyOnAFreshRoot: on a root where no job has run, verify store
// said OK and verify ledger exited 1 naming the missing store file. Both
// say nothing was loaded, exit 0, while the ledger is there, and both
// exit 1 when it is not: missing is not empty.
func TestVerifyOnAFreshRoot(t *testing.T) {
	root := copyFixture(t)
	for _, c := range []string{"ledger", "store"} {
		if r := mustRun(t, "--root", root, "verify", c); !strings.Contains(r.stdout, "OK      no store and no ingest recorded") {
			t.Errorf("verify %s on a fresh root: %s", c, r.stdout)
		}
	}
	mustRemove(t, ledgerPath(root))
	for _, c := range []string{"ledger", "store"} {
		if r := ledgerlens(t, nil, "--root", root, "verify", c); r.code != 1 || !strings.Contains(r.stderr, "no ledger to read") {
			t.Errorf("verify %s on a fresh root without its ledger: exit %d, want 1\n%s%s", c, r.code, r.stdout, r.stderr)
		}
	}
}

func mustRemove(t *testing.T, path string) {
	t.Helper()
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
}

// dropLine removes line n (1-based) of the file at path.
func dropLine(t *testing.T, path string, n int) {
	t.Helper()
	lines := bytes.SplitAfter(readFile(t, path), []byte("\n"))
	if err := os.WriteFile(path, bytes.Join(append(lines[:n-1:n-1], lines[n:]...), nil), 0o644); err != nil {
		t.Fatal(err)
	}
}
