package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
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
	dir := openRoot(t)
	if err := os.Chmod(filepath.Join(dir, ".ledgerlens"), 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// stoppedJob is a ledgerlens process standing stopped after a step
// (startStopped).
type stoppedJob struct {
	cmd    *exec.Cmd
	done   chan struct{} // closed once its stderr is read to the end
	stderr bytes.Buffer  // what it printed after it stopped
}

// Continue continues the job (SIGCONT) and waits for it to end. It
// returns what the job printed after it stopped, read to the end before
// the process is waited for (Wait closes the pipe: the end of a message
// went missing), and how the job ended.
func (j *stoppedJob) Continue(t *testing.T) (string, error) {
	t.Helper()
	if err := j.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	<-j.done
	err := j.cmd.Wait()
	return j.stderr.String(), err
}

// startStopped starts ledgerlens with args and returns once the process
// stands stopped after step (LEDGERLENS_FAULT=stop-after:STEP).
func startStopped(t *testing.T, step string, args ...string) *stoppedJob {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "LEDGERLENS_FAULT=stop-after:"+step)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	j := &stoppedJob{cmd: cmd, done: make(chan struct{})}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "stopping after step "+step) {
			go func() {
				for sc.Scan() {
					j.stderr.WriteString(sc.Text() + "\n")
				}
				close(j.done)
			}()
			t.Cleanup(func() {
				// A test that failed with the job stopped must not wait
				// for it forever.
				cmd.Process.Kill()
				<-j.done
			})
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "stat"))
				// The state follows the command name in parentheses.
				if i := bytes.LastIndexByte(stat, ')'); err == nil && i > 0 && len(stat) > i+2 && stat[i+2] == 'T' {
					return j
				}
			}
			cmd.Process.Kill()
			t.Fatal("the job said it was stopping but never stopped")
		}
	}
	cmd.Wait()
	t.Fatal("the job never reached step " + step)
	return nil
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
	forged := forgedStore(t, root)

	job := startStopped(t, "analyse", "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
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
	if rest, err := job.Continue(t); err != nil {
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
// umask). Every command then refuses the store rather than trust files
// anyone in the group may have changed, or may still hold open to write:
// the job exits 4 and publishes nothing, verify all lists the problem, a
// query fails. Following the message — the directory moved away — the
// next job rebuilds the store in a new directory and publishes as
// before.
func TestStoreDirectoryOthersCanWrite(t *testing.T) {
	root := publishedRoot(t)
	dir := filepath.Dir(storeFile(root))
	if err := os.Chmod(dir, 0o770); err != nil {
		t.Fatal(err)
	}
	want := "can be written by its group or by others (mode 0770)"
	mustFail(t, 4, []string{want, "move the store's directory away"}, "--root", root, "report", "weekly", "--week", nextWeek(t))
	if _, err := os.Stat(weeklyPath(root, nextWeek(t), 1, ".json")); err == nil {
		t.Error("the job published from a store others can write")
	}
	mustFail(t, 4, []string{want}, "--root", root, "verify", "all")
	mustFail(t, 1, []string{want}, "--root", root, "query", "SELECT count(*) FROM runs")
	if err := os.Rename(dir, filepath.Join(t.TempDir(), "store")); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--root", root, "report", "weekly", "--week", nextWeek(t))
	mustRun(t, "--root", root, "verify", "all")
}

// TestStoreMovedFromTheEarlierLayout: a root whose store lies where an
// earlier ledgerlens kept it (.ledgerlens/ledger.duckdb, with its
// write-ahead log, group-writable as cron's umask left it). Commands that
// only read the store say that the next job moves it; the next job
// copies it into its directory, bytes unchanged, and reads its rows back
// once rather than trust a seal of files others could write; the job
// after trusts its seal again, and every command works.
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
	readBack := func() int64 {
		seals := storeSeals(t, root)
		n, _ := seals[len(seals)-1].Fields["read_back_chunks"].(json.Number).Int64()
		return n
	}
	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
	if n := readBack(); n == 0 {
		t.Error("the job that moved the store trusted the seal made where others could write it")
	}
	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
	if n := readBack(); n != 0 {
		t.Errorf("the job after read back %d chunks: its seal did not hold", n)
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

// TestCronWithAnOddUmask: cron runs the jobs with umask 002, or with
// 0777. Under 002 the engine's write-ahead log and every file ledgerlens
// creates would be group-writable, and the next job would refuse its own
// store; under 0777 every directory it creates had mode 000, and the
// account that runs the jobs could not enter its own store's directory
// (an outside review). No file ledgerlens creates is writable by the
// group or others, and none is closed to its owner, so the jobs go on.
func TestCronWithAnOddUmask(t *testing.T) {
	tests := []struct {
		umask string
		as    int // the account that runs the jobs: 0 this test's own, or nobody (root enters a directory of mode 000)
	}{
		{"002", 0},
		{"0777", nobody},
	}
	for _, tt := range tests {
		t.Run(tt.umask, func(t *testing.T) {
			if tt.as != 0 && os.Geteuid() != 0 {
				t.Skip("running as another account needs root")
			}
			root := openCopy(t, fixtureDir)
			if tt.as != 0 {
				if out, err := exec.Command("chown", "-R", fmt.Sprintf("%d:%d", tt.as, tt.as), root).CombinedOutput(); err != nil {
					t.Fatalf("chown: %v %s", err, out)
				}
			}
			began := time.Now().Add(-time.Second)
			run := func(args ...string) result {
				cmd := exec.Command("sh", append([]string{"-c", "umask " + tt.umask + `; exec "$@"`, "sh", binaryForAll(t), "--root", root, "--quiet"}, args...)...)
				cmd.Env = append(os.Environ(), "HOME="+root, "TMPDIR="+sharedTemp(t))
				if tt.as != 0 {
					cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(tt.as), Gid: uint32(tt.as)}}
				}
				return runCommand(t, cmd)
			}
			wantExit(t, run("keys", "generate"), 0, "keys generate")
			wantExit(t, run("report", "weekly", "--week", prevWeek(t)), 0, "first weekly job")
			wantExit(t, run("report", "weekly", "--week", focusWeek), 0, "second weekly job")
			wantExit(t, run("verify", "all"), 0, "verify all")
			err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				fi, err := d.Info()
				if err != nil {
					return err
				}
				perm := fi.Mode().Perm()
				if fi.ModTime().Before(began) || d.Type()&fs.ModeSymlink != 0 {
					return nil
				}
				if perm&0o022 != 0 {
					t.Errorf("%s: mode %v, writable by the group or others", path, perm)
				}
				if perm&0o600 != 0o600 {
					t.Errorf("%s: mode %v, closed to its owner", path, perm)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// openRoot is a copy of the published root in a directory every user can
// enter.
func openRoot(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("acting as another user needs root")
	}
	return openCopy(t, publishedRoot(t))
}

// openCopy is a copy of the tree under src in a directory every user can
// enter.
func openCopy(t *testing.T, src string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ledgerlens-open-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	copyInto(t, src, dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

var (
	forAllOnce sync.Once
	forAllPath string
	forAllErr  error
)

// binaryForAll is a copy of the binary under test that every user can
// run, in a directory of its own (the binary's own directory is left as
// it is: it may be any directory, given LEDGERLENS_TEST_BINARY).
func binaryForAll(t *testing.T) string {
	t.Helper()
	forAllOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ledgerlens-for-all-")
		if err == nil {
			err = os.Chmod(dir, 0o755)
		}
		if err == nil {
			forAllPath = filepath.Join(dir, "ledgerlens")
			if out, cerr := exec.Command("cp", binary, forAllPath).CombinedOutput(); cerr != nil {
				err = fmt.Errorf("%v %s", cerr, out)
			}
		}
		if err == nil {
			err = os.Chmod(forAllPath, 0o755)
		}
		forAllErr = err
	})
	if forAllErr != nil {
		t.Fatal(forAllErr)
	}
	return forAllPath
}

// sharedTemp is a temporary directory every user can reach and write,
// sticky as /tmp is: another account's TMPDIR, or where a file they read
// is put. (os.Chmod takes the sticky bit as os.ModeSticky: 0o1777 left it
// 0777, where anyone may rename another's files.)
func sharedTemp(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ledgerlens-tmp-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// ledgerlensAs runs ledgerlens as uid with gid and the groups given, with
// env added to the environment.
func ledgerlensAs(t *testing.T, uid uint32, groups []uint32, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binaryForAll(t), args...)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid, Groups: groups}}
	return runCommand(t, cmd)
}

// toLegacyLayout puts root's store back where an earlier ledgerlens kept
// it, with mode.
func toLegacyLayout(t *testing.T, root string, mode os.FileMode) {
	t.Helper()
	state := filepath.Join(root, ".ledgerlens")
	for _, name := range []string{"ledger.duckdb", "ledger.duckdb.wal"} {
		if err := os.Rename(filepath.Join(state, "store", name), filepath.Join(state, name)); errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(state, name), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(filepath.Join(state, "store")); err != nil {
		t.Fatal(err)
	}
}

// forgedStore is root's store with one run of focusWeek given 1000 more
// credits, in a directory every user can read.
func forgedStore(t *testing.T, root string) string {
	t.Helper()
	scratch := copyRoot(t, root)
	editStoreRow(t, scratch, focusWeek)
	forged := filepath.Join(sharedTemp(t), "forged.duckdb")
	copyFile(t, storeFile(scratch), forged)
	if err := os.Chmod(forged, 0o644); err != nil {
		t.Fatal(err)
	}
	return forged
}

// TestAttackHeldDescriptorAcrossTheUpgrade: the store of the earlier
// layout lay in the state directory, writable by others (an umask of
// 000). Someone opened it for writing then and kept the descriptor. The
// first job after the upgrade moved the file (the same file) into the
// store's directory; during the next job the attacker wrote a forged
// store through the old descriptor, the job sealed it, and the job after
// published the forged figures, signed, exit 0 (an outside review). The
// store is now copied into new files, so the old descriptor reaches only
// the old file, and the first job after the move reads the rows back
// instead of trusting a seal made where others could write.
func TestAttackHeldDescriptorAcrossTheUpgrade(t *testing.T) {
	root := copyRoot(t, publishedRoot(t))
	forged := readFile(t, forgedStore(t, root))
	toLegacyLayout(t, root, 0o666)
	// Opened while anyone could, kept: the store and its write-ahead log.
	held, err := os.OpenFile(filepath.Join(root, ".ledgerlens", "ledger.duckdb"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	heldWAL, err := os.OpenFile(filepath.Join(root, ".ledgerlens", "ledger.duckdb.wal"), os.O_RDWR, 0)
	if err == nil {
		defer heldWAL.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}

	mustRun(t, "--root", root, "ingest") // the upgrade's first job
	job := startStopped(t, "analyse", "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
	if _, err := held.WriteAt(forged, 0); err != nil {
		t.Fatal(err)
	}
	if err := held.Truncate(int64(len(forged))); err != nil {
		t.Fatal(err)
	}
	if heldWAL != nil {
		if err := heldWAL.Truncate(0); err != nil { // the forged store holds every commit
			t.Fatal(err)
		}
	}
	if rest, err := job.Continue(t); err != nil {
		t.Fatalf("the job the attacker raced: %v\n%s", err, rest)
	}

	r := ledgerlens(t, nil, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
	if _, err := os.Stat(weeklyPath(root, focusWeek, 3, ".json")); err == nil {
		t.Fatalf("a revision was published from the forged store (exit %d)\n%s", r.code, r.stderr)
	}
	if r.code != 0 {
		t.Errorf("the next job: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	mustRun(t, "--root", root, "verify", "all")
}

// TestAttackStoreThroughAStateDirectoryACL: the state directory is shared
// with a group through a default ACL. The store's directory, made in it,
// inherited the ACL, and the engine created the store group-writable
// whatever the umask: a member of the group overwrote it while a job ran,
// the job sealed it, the next job refused the store's mode, and after
// the chmod that message advised, the one after published the forged
// figures, signed, exit 0 (an outside review). Every job after the first
// failed on its own write-ahead log the same way. The store's directory
// now drops the ACL it inherits: the group cannot even enter it, and the
// jobs go on.
func TestAttackStoreThroughAStateDirectoryACL(t *testing.T) {
	root := openRoot(t)
	forged := forgedStore(t, root)
	state := filepath.Join(root, ".ledgerlens")
	if err := os.RemoveAll(filepath.Join(state, "store")); err != nil {
		t.Fatal(err)
	}
	acl := aclGivingGroup(nobody)
	for _, attr := range []string{"system.posix_acl_access", "system.posix_acl_default"} {
		if err := syscall.Setxattr(state, attr, acl, 0); err != nil {
			t.Skipf("no ACLs here: %v", err)
		}
	}

	job := startStopped(t, "analyse", "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
	out, ok := asNobody(t, root, "cat "+forged+" > .ledgerlens/store/ledger.duckdb")
	t.Logf("the group's member, as uid %d: %v %s", nobody, ok, out)
	if rest, err := job.Continue(t); err != nil {
		t.Fatalf("the job the attacker raced: %v\n%s", err, rest)
	}
	for i := range 2 {
		r := ledgerlens(t, nil, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
		if _, err := os.Stat(weeklyPath(root, focusWeek, 3, ".json")); err == nil {
			t.Fatalf("a revision was published from the forged store (exit %d)\n%s", r.code, r.stderr)
		}
		if r.code != 0 {
			t.Fatalf("job %d after the attack: exit %d\n%s%s", i+1, r.code, r.stdout, r.stderr)
		}
	}
	mustRun(t, "--root", root, "verify", "all")
}

// TestStoreDirectoryInASetgidStateDirectory: the state directory is
// setgid and belongs to a group the job's account shares with others (so
// that they can append to the audit log). The store's directory, made in
// it, took that group, and every member of it could read the store,
// ledger rows and all, though the store's directory is the account's
// alone (an outside review). The directory a job creates now takes the
// account's own group, so that group's members (its analysts) read it,
// and the state directory's group does not.
func TestStoreDirectoryInASetgidStateDirectory(t *testing.T) {
	root := openRoot(t)
	state := filepath.Join(root, ".ledgerlens")
	if err := os.RemoveAll(filepath.Join(state, "store")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(state, 0, nobody); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(state, 0o770|os.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--root", root, "ingest")
	for _, name := range []string{"store", "store/ledger.duckdb"} {
		fi, err := os.Stat(filepath.Join(state, name))
		if err != nil {
			t.Fatal(err)
		}
		if gid := fi.Sys().(*syscall.Stat_t).Gid; gid != uint32(os.Getegid()) {
			t.Errorf("%s belongs to group %d, want the job's own %d", name, gid, os.Getegid())
		}
	}
	if out, ok := asNobody(t, root, "head -c 16 .ledgerlens/store/ledger.duckdb >/dev/null"); ok {
		t.Errorf("a member of the state directory's group read the store\n%s", out)
	}
	mustRun(t, "--root", root, "verify", "all")
}

// aclGivingGroup is a POSIX ACL in the kernel's extended-attribute form:
// the owner rwx, the owning group r-x, group gid rwx, others r-x.
func aclGivingGroup(gid uint32) []byte {
	b := []byte{2, 0, 0, 0} // version 2, little-endian
	for _, e := range []struct {
		tag, perm uint16
		id        uint32
	}{{0x01, 7, ^uint32(0)}, {0x04, 5, ^uint32(0)}, {0x08, 7, gid}, {0x10, 7, ^uint32(0)}, {0x20, 5, ^uint32(0)}} {
		b = append(b, byte(e.tag), byte(e.tag>>8), byte(e.perm), byte(e.perm>>8), byte(e.id), byte(e.id>>8), byte(e.id>>16), byte(e.id>>24))
	}
	return b
}

// TestJobAsRootOverAnotherAccountsRoot: an operator runs one job as root
// (sudo) over a root another account runs, right after the upgrade. It
// moved that account's store into a new directory of root's, leaving the
// write-ahead log behind, and the account's next job could not open the
// store (an outside review). A job run as root in a state directory
// another account owns is now refused before anything is created or
// moved, saying to run it as that account, which then works.
func TestJobAsRootOverAnotherAccountsRoot(t *testing.T) {
	root := openRoot(t)
	toLegacyLayout(t, root, 0o644)
	if out, err := exec.Command("chown", "-R", fmt.Sprintf("%d:%d", nobody, nobody), root).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v %s", err, out)
	}
	mustFail(t, 1, []string{"belongs to uid 65534, and this job runs as root", "run ledgerlens as the account that runs the jobs"},
		"--root", root, "ingest")
	if _, err := os.Stat(filepath.Join(root, ".ledgerlens", "store")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("root's refused job made the store's directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, ".ledgerlens", "ledger.duckdb")); err != nil {
		t.Errorf("root's refused job moved the store: %v", err)
	}
	env := []string{"TMPDIR=" + sharedTemp(t)}
	if r := ledgerlensAs(t, nobody, nil, env, "--root", root, "ingest"); r.code != 0 {
		t.Fatalf("ingest as the account: exit %d\n%s", r.code, r.stderr)
	}
	if r := ledgerlensAs(t, nobody, nil, env, "--root", root, "verify", "store"); r.code != 0 {
		t.Fatalf("verify store as the account: exit %d\n%s", r.code, r.stderr)
	}
	// Root may read it; what root spills goes elsewhere, never into the
	// account's directory (left there by a kill, every job refused it).
	tmp := sharedTemp(t)
	r := ledgerlens(t, []string{"TMPDIR=" + tmp}, "--root", root, "query", "--format", "csv", "SELECT current_setting('temp_directory') AS spill")
	if spill := strings.TrimPrefix(strings.TrimSpace(r.stdout), "spill\n"); r.code != 0 || !strings.HasPrefix(spill, filepath.Join(tmp, "ledgerlens-spill-")) {
		t.Errorf("root's query over the account's store spills to %q (exit %d)\n%s", spill, r.code, r.stderr)
	}
}

// TestQueryUnderAnotherAccount: an analyst queries under their own
// account, in the group of the store's directory (mode 0750). The query
// failed on the lock file, which only the account that runs the jobs may
// write (an outside review); it now takes the lock read-only. A query
// that spills wrote beside the store, where the analyst may not write:
// it now spills into a directory of its own under TMPDIR, removed after.
// verify store works the same way. Outside the group, the directory
// stays closed.
func TestQueryUnderAnotherAccount(t *testing.T) {
	root := openRoot(t)
	if err := os.Chmod(filepath.Join(root, ".ledgerlens"), 0o750); err != nil {
		t.Fatal(err)
	}
	tmp := sharedTemp(t)
	env := []string{"TMPDIR=" + tmp}
	inGroup := []uint32{0} // the group of the root's files here
	r := ledgerlensAs(t, nobody, inGroup, env, "--root", root, "query", "--format", "csv", "SELECT count(*) AS n FROM runs")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "n\n") {
		t.Fatalf("query as an analyst in the group: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = ledgerlensAs(t, nobody, inGroup, env, "--root", root, "query", "--format", "csv", "SELECT current_setting('temp_directory') AS spill")
	if spill := strings.TrimPrefix(strings.TrimSpace(r.stdout), "spill\n"); r.code != 0 || !strings.HasPrefix(spill, filepath.Join(tmp, "ledgerlens-spill-")) {
		t.Errorf("an analyst's query spills to %q (exit %d), not to a directory of its own under TMPDIR\n%s", spill, r.code, r.stderr)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("the query left %v in TMPDIR", entries)
	}
	if r := ledgerlensAs(t, nobody, inGroup, env, "--root", root, "verify", "store"); r.code != 0 {
		t.Fatalf("verify store as an analyst in the group: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := ledgerlensAs(t, nobody, nil, env, "--root", root, "query", "SELECT count(*) FROM runs"); r.code == 0 {
		t.Errorf("a query outside the group read the store:\n%s", r.stdout)
	}
	mustRun(t, "--root", root, "report", "weekly", "--week", nextWeek(t)) // the lock is free again
}

// TestAttackReadersShownAnotherAccountsStore: someone who can write the
// state directory puts a store directory of their own, holding a forged
// store, in the store's place. Jobs refused it (another account's), but
// query and verify read it: an analyst saw the forged figures, and with
// an unforged copy verify all passed, leaving the attacker a store to
// edit at will (an outside review). Readers now require the directory of
// the state directory's owner, the account that runs the jobs (or their
// own), and refuse this one.
func TestAttackReadersShownAnotherAccountsStore(t *testing.T) {
	root := sharedRoot(t)
	forged := forgedStore(t, root)
	out, ok := asNobody(t, root, `mkdir .ledgerlens/own && cp `+forged+` .ledgerlens/own/ledger.duckdb &&
mv .ledgerlens/store .ledgerlens/store.real && mv .ledgerlens/own .ledgerlens/store`)
	if !ok {
		t.Fatalf("the attacker could not put a directory in the store's place: %s", out)
	}
	want := "not by the state directory's owner (uid 0)"
	mustFail(t, 1, []string{"owned by uid 65534", want}, "--root", root, "query", "SELECT sum(credits_total) FROM runs")
	for _, args := range [][]string{{"verify", "store"}, {"verify", "all"}} {
		mustFail(t, 4, []string{"owned by uid 65534", want}, append([]string{"--root", root}, args...)...)
	}
	mustFail(t, 4, []string{"owned by uid 65534"}, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
}

// posixLockEnv makes the test binary a program that holds a POSIX lock on
// the file it names (holdPOSIXLock): a read lock, as an analyst's own
// program reading the store file would, or, for a value "write:PATH", a
// write lock, as a DuckDB client that opened it for writing holds.
const posixLockEnv = "LEDGERLENS_TEST_HOLD_POSIX_LOCK"

// holdPOSIXLock takes a lock on the whole file at path, says "locked" and
// waits to be killed.
func holdPOSIXLock(path string) int {
	kind, flag := int16(syscall.F_RDLCK), os.O_RDONLY
	if p, ok := strings.CutPrefix(path, "write:"); ok {
		path, kind, flag = p, syscall.F_WRLCK, os.O_RDWR
	}
	f, err := os.OpenFile(path, flag, 0)
	if err == nil {
		err = syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &syscall.Flock_t{Type: kind})
	}
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("locked")
	time.Sleep(time.Minute)
	runtime.KeepAlive(f)
	return 2
}

// startLockHolder starts the test binary holding a POSIX lock on path
// (posixLockEnv's value) and waits until it holds it.
func startLockHolder(t *testing.T, value string) *exec.Cmd {
	t.Helper()
	holder := exec.Command(os.Args[0])
	holder.Env = append(os.Environ(), posixLockEnv+"="+value)
	out, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = holder.Process.Kill()
		_ = holder.Wait()
	})
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("the holder did not lock the store: %q %v", line, err)
	}
	return holder
}

// TestStoreFileLockedByAnotherProgram: another program holding a lock on
// the store file (an analyst reading it with their own tools). Jobs
// exited 1 advising to move the store away, the wrong remedy for a store
// that is only busy (an outside review). They exit 75, as for a held job
// lock, naming the program.
func TestStoreFileLockedByAnotherProgram(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	mustRun(t, "--root", root, "ingest")
	holder := startLockHolder(t, storeFile(root))
	r := ledgerlens(t, nil, "--root", root, "ingest")
	if r.code != 75 || strings.Contains(r.stderr, "move it away") || !strings.Contains(r.stderr, fmt.Sprintf("pid %d (", holder.Process.Pid)) {
		t.Errorf("ingest while another program locks the store file: exit %d, want 75 naming pid %d\n%s", r.code, holder.Process.Pid, r.stderr)
	}
}

// TestStoreFileWriteLockedByAnotherProgram: a DuckDB client of the
// analyst's own that opened the store file for writing holds a write lock
// on it. The verifiers called the busy store damaged ("cannot be opened",
// "DAMAGED", exit 4), so the daily check's false alarm went to the
// webhooks, and query exited 1 (an outside review). Busy is exit 75, as
// for the jobs, naming the program.
func TestStoreFileWriteLockedByAnotherProgram(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek)
	holder := startLockHolder(t, "write:"+storeFile(root))
	for _, args := range [][]string{{"ingest"}, {"verify", "store"}, {"verify", "ledger"}, {"verify", "all"}, {"query", "SELECT 1"}} {
		r := ledgerlens(t, nil, append([]string{"--root", root}, args...)...)
		if r.code != 75 || strings.Contains(r.stderr+r.stdout, "move it away") || strings.Contains(r.stdout, "DAMAGED") ||
			!strings.Contains(r.stderr, fmt.Sprintf("pid %d (", holder.Process.Pid)) {
			t.Errorf("%v while another program write-locks the store file: exit %d, want 75 naming pid %d\n%s%s", args, r.code, holder.Process.Pid, r.stdout, r.stderr)
		}
	}
	// The lock hides nothing else: verify all still checks the rest and
	// names a tampered report, exit 4 (it returned 75 and listed nothing:
	// a second outside review).
	report := weeklyPath(root, focusWeek, 1, ".json")
	flipByte(t, report)
	r := ledgerlens(t, nil, "--root", root, "verify", "all")
	if r.code != exitIntegrity || !strings.Contains(r.stdout, "FAILED  "+filepath.Join("runs", "CREDIT_REVIEWS", filepath.Base(report))) ||
		!strings.Contains(r.stdout, "which another process holds locked") {
		t.Errorf("verify all of a tampered report while the store is locked: exit %d, want %d naming it\n%s%s", r.code, exitIntegrity, r.stdout, r.stderr)
	}
}

// TestStoreFilesTheJobsCannotWrite: a store file or directory the jobs'
// account may not write stopped the job with the engine's "Cannot open
// file /proc/self/fd/9/ledger.duckdb.wal: Permission denied" and the
// advice to move a damaged store away: a path no operator can look at,
// and a rebuild for a store that was not damaged (an outside review).
// The message names the store's own path and says what to fix.
func TestStoreFilesTheJobsCannotWrite(t *testing.T) {
	for _, tc := range []struct {
		name string
		path string
		mode os.FileMode
	}{
		{"the store file read-only", filepath.Join(".ledgerlens", "store", "ledger.duckdb"), 0o444},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := openRoot(t)
			if out, err := exec.Command("chown", "-R", strconv.Itoa(nobody)+":"+strconv.Itoa(nobody), root).CombinedOutput(); err != nil {
				t.Fatalf("chown: %v %s", err, out)
			}
			if err := os.Chmod(filepath.Join(root, tc.path), tc.mode); err != nil {
				t.Fatal(err)
			}
			r := ledgerlensAs(t, nobody, nil, nil, "--root", root, "report", "weekly", "--week", nextWeek(t))
			if r.code != 1 || strings.Contains(r.stderr, "/proc/self/fd") || strings.Contains(r.stderr, "move it away") ||
				!strings.Contains(r.stderr, filepath.Join(root, ".ledgerlens", "store")) || !strings.Contains(r.stderr, "the store is not damaged") {
				t.Errorf("exit %d, want 1 naming the store's path and saying it is not damaged:\n%s", r.code, r.stderr)
			}
			// And the same account's daily check says so, as it does of
			// a key it cannot read (it said OK: a review of this stop's
			// fixes).
			r = ledgerlensAs(t, nobody, nil, nil, "--root", root, "verify", "all")
			if r.code != 4 || !strings.Contains(r.stdout, "cannot be written by the account that owns the store's directory") {
				t.Errorf("verify all: exit %d, want 4 naming the store\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}
