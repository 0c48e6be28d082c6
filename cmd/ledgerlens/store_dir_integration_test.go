package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nobody is the account the attacks of this file run as: someone who can
// write the state directory (it is made writable by all) but is not the
// account that runs the jobs and holds the key.
const nobody = 65534

// asNobody runs the shell script in dir as the user nobody and returns
// its combined output and whether it succeeded.
func asNobody(t *testing.T, dir, script string) (string, bool) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// sharedRoot is a copy of the published root in a directory every user
// can enter, with the state directory writable by every user: the state
// directory of a careless installation, or one shared with a group.
func sharedRoot(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("acting as another user needs root")
	}
	dir, err := os.MkdirTemp("", "ledgerlens-shared-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	copyInto(t, publishedRoot(t), dir)
	for _, p := range []string{dir, filepath.Join(dir, ".ledgerlens")} {
		if err := os.Chmod(p, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// startStopped starts ledgerlens with args and returns once the process
// stands stopped after step (LEDGERLENS_FAULT=stop-after:STEP).
func startStopped(t *testing.T, step string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "LEDGERLENS_FAULT=stop-after:"+step)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var rest bytes.Buffer
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "stopping after step "+step) {
			done := make(chan struct{})
			go func() {
				for sc.Scan() {
					rest.WriteString(sc.Text() + "\n")
				}
				close(done)
			}()
			t.Cleanup(func() { <-done })
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "stat"))
				// The state follows the command name in parentheses.
				if i := bytes.LastIndexByte(stat, ')'); err == nil && i > 0 && len(stat) > i+2 && stat[i+2] == 'T' {
					return cmd, &rest
				}
			}
			cmd.Process.Kill()
			t.Fatal("the job said it was stopping but never stopped")
		}
	}
	cmd.Wait()
	t.Fatal("the job never reached step " + step)
	return nil, nil
}

// storeFile is the store file of root.
func storeFile(root string) string {
	return filepath.Join(root, ".ledgerlens", "store", "ledger.duckdb")
}

// TestAttackSwapStoreDuringJob: someone who can write the state directory
// but lacks the key waits until a job has checked the store and opened
// it, and swaps in a store of their own (the same store, one run's credits
// raised). The job sealed the files it then found by their path: the
// swapped ones. The next job trusted them without reading a row back and
// published their figures as a new revision, signed, exit 0 (an outside
// review). The store now lives in a directory only the job's account can
// write, which the job opens once and reads through: the attacker cannot
// touch a file in it, and a directory put in its place is refused with
// exit 4, nothing published.
func TestAttackSwapStoreDuringJob(t *testing.T) {
	root := sharedRoot(t)
	scratch := copyRoot(t, root)
	editStoreRow(t, scratch, focusWeek)
	drop, err := os.MkdirTemp("", "ledgerlens-forged-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(drop) })
	forged := filepath.Join(drop, "forged.duckdb")
	copyFile(t, storeFile(scratch), forged)
	for _, p := range []string{drop, forged} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	job, rest := startStopped(t, "analyse", "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
	out, ok := asNobody(t, root, strings.ReplaceAll(`s=.ledgerlens
if [ -d $s/store ]; then
  if cp FORGED $s/store/ledger.duckdb.new && mv -f $s/store/ledger.duckdb.new $s/store/ledger.duckdb && rm -f $s/store/ledger.duckdb.wal; then
    echo "swapped the store file in its directory"; exit 0
  fi
  mv $s/store $s/store.moved && mkdir $s/store && cp FORGED $s/store/ledger.duckdb && echo "swapped the store's directory"
  exit
fi
cp FORGED $s/ledger.duckdb.new && mv -f $s/ledger.duckdb.new $s/ledger.duckdb && rm -f $s/ledger.duckdb.wal && echo "swapped the store file"
`, "FORGED", forged))
	t.Logf("the attacker, as uid %d: %s", nobody, out)
	if !ok {
		t.Fatal("the attacker could do none of the swaps")
	}
	if err := job.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatalf("the job the attacker raced: %v\n%s", err, rest)
	}

	r := ledgerlens(t, nil, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
	if r.code != 4 || !strings.Contains(r.stderr, "owned by uid 65534") {
		t.Errorf("the next job: exit %d, want 4 naming the directory's owner\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(weeklyPath(root, focusWeek, 3, ".json")); err == nil {
		t.Error("a revision was published from the swapped store")
	}
}

// TestStoreDirectoryOthersCanWrite: an operator makes the store's
// directory writable by a group (chmod g+w, or a copy with the wrong
// umask). Every command then refuses the store, saying how to make it
// the account's alone, rather than trust files anyone in the group may
// have changed: the job exits 4 and publishes nothing, verify all lists
// the problem, a query fails. Once the directory is the account's alone
// again, the job publishes as before.
func TestStoreDirectoryOthersCanWrite(t *testing.T) {
	root := publishedRoot(t)
	dir := filepath.Dir(storeFile(root))
	if err := os.Chmod(dir, 0o770); err != nil {
		t.Fatal(err)
	}
	want := "can be written by its group or by others (mode 0770)"
	mustFail(t, 4, []string{want, "chmod -R go-w"}, "--root", root, "report", "weekly", "--week", nextWeek(t))
	if _, err := os.Stat(weeklyPath(root, nextWeek(t), 1, ".json")); err == nil {
		t.Error("the job published from a store others can write")
	}
	mustFail(t, 1, []string{want}, "--root", root, "verify", "all")
	mustFail(t, 1, []string{want}, "--root", root, "query", "SELECT count(*) FROM runs")
	if err := os.Chmod(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--root", root, "report", "weekly", "--week", nextWeek(t))
	mustRun(t, "--root", root, "verify", "all")
}

// TestStoreMovedFromTheEarlierLayout: a root whose store lies where an
// earlier ledgerlens kept it (.ledgerlens/ledger.duckdb, with its
// write-ahead log, group-writable as cron's umask left it). Commands that
// only read the store say that the next job moves it; the next job moves
// it into its directory, bytes unchanged, so the store seal still holds
// and nothing is read back; every command then works.
func TestStoreMovedFromTheEarlierLayout(t *testing.T) {
	root := publishedRoot(t)
	state := filepath.Join(root, ".ledgerlens")
	for _, name := range []string{"ledger.duckdb", "ledger.duckdb.wal"} {
		if err := os.Rename(filepath.Join(state, "store", name), filepath.Join(state, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(state, name), 0o664)
	}
	if err := os.Remove(filepath.Join(state, "store")); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"query", "SELECT count(*) FROM runs"}, {"verify", "store"}} {
		mustFail(t, 1, []string{"where an earlier ledgerlens kept it", "run 'ledgerlens ingest'"}, append([]string{"--root", root}, args...)...)
	}
	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
	seals := storeSeals(t, root)
	if n, _ := seals[len(seals)-1].Fields["read_back_chunks"].(json.Number).Int64(); n != 0 {
		t.Errorf("the job read back %d chunks of the store it moved: the seal no longer held", n)
	}
	if _, err := os.Stat(filepath.Join(state, "ledger.duckdb")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the store is still at the old place: %v", err)
	}
	if fi, err := os.Stat(storeFile(root)); err != nil || fi.Mode().Perm()&0o022 != 0 {
		t.Errorf("the moved store: %v, %v", fi, err)
	}
	mustRun(t, "--root", root, "query", "SELECT count(*) FROM runs")
	mustRun(t, "--root", root, "verify", "all")
}

// TestCronWithAGroupWritableUmask: cron runs the jobs with umask 002.
// The engine's write-ahead log and every file ledgerlens creates would be
// group-writable, and the next job would refuse its own store; no file
// it creates is writable by the group or others, so the jobs go on.
func TestCronWithAGroupWritableUmask(t *testing.T) {
	root := copyFixture(t)
	run := func(args ...string) result {
		cmd := exec.Command("sh", append([]string{"-c", `umask 002; exec "$@"`, "sh", binary, "--root", root, "--quiet"}, args...)...)
		return runCommand(t, cmd)
	}
	wantExit(t, run("keys", "generate"), 0, "keys generate")
	wantExit(t, run("report", "weekly", "--week", prevWeek(t)), 0, "first weekly job")
	wantExit(t, run("report", "weekly", "--week", focusWeek), 0, "second weekly job")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.ModTime().After(time.Now().Add(-time.Minute)) && fi.Mode().Perm()&0o022 != 0 && d.Type()&fs.ModeSymlink == 0 {
			t.Errorf("%s: mode %v, writable by the group or others", path, fi.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
