package lock

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary act as a lock-holding job (see
// TestHelperHoldLock) instead of running tests.
const helperEnv = "LEDGERLENS_LOCK_TEST_HOLD"

var t0 = time.Date(2026, 11, 16, 10, 0, 1, 0, time.UTC)

// TestHelperHoldLock is not a test: re-executed with helperEnv set to a lock
// path, it takes the lock, prints "locked", and waits to be killed.
func TestHelperHoldLock(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process only")
	}
	l, err := Acquire(context.Background(), path, 0, CurrentHolder("report weekly", t0))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	time.Sleep(time.Minute)
	runtime.KeepAlive(l) // an unreachable lock's file may be closed by the GC
	os.Exit(2)           // never reached in the test: the parent kills us
}

// startHolder starts a subprocess that holds the lock at path.
func startHolder(t *testing.T, path string) *exec.Cmd {
	t.Helper()
	return startHelper(t, "TestHelperHoldLock", helperEnv, path)
}

// startHelper starts the helper test named name, with env set to path,
// and waits until it says it holds the lock.
func startHelper(t *testing.T, name, env, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$")
	cmd.Env = append(os.Environ(), env+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("helper did not take the lock: %q %v", line, err)
	}
	return cmd
}

func TestCrossProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "lock")
	child := startHolder(t, path)
	pid := child.Process.Pid
	ctx := context.Background()
	me := CurrentHolder("report weekly", t0.Add(time.Hour))

	// Held: try once, and with a short timeout.
	for _, timeout := range []time.Duration{0, 250 * time.Millisecond} {
		start := time.Now()
		l, err := Acquire(ctx, path, timeout, me)
		waited := time.Since(start)
		var held *HeldError
		if !errors.As(err, &held) {
			l.Release()
			t.Fatalf("timeout %v: Acquire = %v, want *HeldError", timeout, err)
		}
		if held.Holder.PID != pid || held.Holder.Command != "report weekly" || !held.Holder.StartedAt.Equal(t0) {
			t.Errorf("holder = %+v, want pid %d", held.Holder, pid)
		}
		want := fmt.Sprintf("another ledgerlens process holds the lock: pid %d (report weekly) since 2026-11-16T10:00:01Z", pid)
		if err.Error() != want {
			t.Errorf("message = %q\nwant      %q", err, want)
		}
		if waited < timeout {
			t.Errorf("gave up after %v, before the %v timeout", waited, timeout)
		}
	}

	// Cancelled while waiting.
	cctx, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
	_, err := Acquire(cctx, path, time.Minute, me)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), fmt.Sprint(pid)) {
		t.Errorf("cancelled Acquire = %v", err)
	}

	// SIGKILL: the kernel releases the flock; the record stays behind.
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait() // reap, so the pid is gone rather than a zombie
	l, err := Acquire(ctx, path, time.Second, me)
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	if l.Recovered == nil || l.Recovered.PID != pid || l.Recovered.Command != "report weekly" {
		t.Errorf("Recovered = %+v, want pid %d", l.Recovered, pid)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("recovered pid %d is still alive: %v", pid, err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}

	// After a clean release nothing is recovered.
	l, err = Acquire(ctx, path, 0, me)
	if err != nil {
		t.Fatal(err)
	}
	if l.Recovered != nil {
		t.Errorf("Recovered after clean release = %+v", l.Recovered)
	}
	l.Release()

	// Nor after a reader that ended without releasing: it changed
	// nothing.
	r, err := AcquireToRead(ctx, path, 0, CurrentHolder("query", t0))
	if err != nil {
		t.Fatal(err)
	}
	r.f.Close() // its end, without the release that empties the record
	closeDir(r.dir)
	l, err = Acquire(ctx, path, 0, me)
	if err != nil {
		t.Fatal(err)
	}
	if l.Recovered != nil {
		t.Errorf("Recovered after a reader's end = %+v", l.Recovered)
	}
	l.Release()
}

func TestInProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	ctx := context.Background()
	a, err := Acquire(ctx, path, 0, CurrentHolder("schedule run", t0))
	if err != nil {
		t.Fatal(err)
	}
	if a.Recovered != nil {
		t.Errorf("fresh lock Recovered = %+v", a.Recovered)
	}
	data, _ := os.ReadFile(path)
	for _, want := range []string{`"pid":`, `"started_at":"2026-11-16T10:00:01Z"`, `"command":"schedule run"`, `"hostname":`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("lock file %s lacks %s", data, want)
		}
	}
	// flock locks belong to open file descriptions: a second open in the
	// same process conflicts too, as a second job in one process must.
	_, err = Acquire(ctx, path, 0, CurrentHolder("report weekly", t0))
	var held *HeldError
	if !errors.As(err, &held) || held.Holder.PID != os.Getpid() || held.Holder.Command != "schedule run" {
		t.Fatalf("second Acquire = %v", err)
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	if err := a.Release(); err != nil {
		t.Errorf("second Release = %v", err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() != 0 {
		t.Errorf("after release the lock file should exist and be empty: %v %v", st, err)
	}
	b, err := Acquire(ctx, path, 0, CurrentHolder("report weekly", t0))
	if err != nil {
		t.Fatal(err)
	}
	b.Release()
}

func TestHolderUnknown(t *testing.T) {
	h := Holder{}
	if got := (&HeldError{Holder: h}).Error(); got != "another ledgerlens process holds the lock: a process that left no record of itself (a reader under another account, such as an analyst's query, or one just starting)" {
		t.Errorf("message = %q", got)
	}
	remote := Holder{PID: 7, Command: "ingest", Hostname: "elsewhere.invalid", StartedAt: t0}
	if got := (&HeldError{Holder: remote}).Error(); !strings.HasSuffix(got, "since 2026-11-16T10:00:01Z on host elsewhere.invalid") {
		t.Errorf("remote holder message = %q", got)
	}
}

// TestAcquireRefusesNonRegular: a lock file that is a symbolic link (to
// any file a root job could damage), a FIFO or a directory is refused at
// once, and a symlink's target is left byte for byte as it was.
func TestAcquireRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "precious.txt")
	const content = "do not truncate me\n"
	if err := os.WriteFile(target, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link", "lock")
	os.MkdirAll(filepath.Dir(link), 0o755)
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling", "lock")
	os.MkdirAll(filepath.Dir(dangling), 0o755)
	if err := os.Symlink(filepath.Join(dir, "created-by-nobody"), dangling); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo", "lock")
	os.MkdirAll(filepath.Dir(fifo), 0o755)
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	asDir := filepath.Join(dir, "dir", "lock")
	if err := os.MkdirAll(asDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, path, want string }{
		{"symlink to a file", link, "symbolic link"},
		{"dangling symlink", dangling, "symbolic link"},
		{"fifo", fifo, "not a regular file"},
		{"directory", asDir, "lock " + asDir},
	} {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				l, err := Acquire(context.Background(), tt.path, 0, CurrentHolder("report weekly", t0))
				if err == nil {
					l.Release()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Acquire(%s) = %v, want an error containing %q", tt.path, err, tt.want)
				}
			case <-time.After(2 * time.Second):
				t.Fatalf("Acquire(%s) hangs", tt.path)
			}
		})
	}
	if got, _ := os.ReadFile(target); string(got) != content {
		t.Fatalf("symlink target changed to %q", got)
	}
	if _, err := os.Lstat(filepath.Join(dir, "created-by-nobody")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("dangling symlink's target was created: %v", err)
	}
}

// TestBoundedHolderIsWaitedFor: a holder that records when it will have
// released the lock (Until) is waited for beyond the caller's timeout; one
// without a promise, or whose promise (with its grace) has passed, is not.
func TestBoundedHolderIsWaitedFor(t *testing.T) {
	for _, tc := range []struct {
		name     string
		until    time.Duration // from now; 0: no promise
		wantWait bool
	}{
		{"bounded, releases on time", time.Minute, true},
		{"no promise", 0, false},
		{"promise long past: overdue, not merely busy", -time.Hour, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "lock")
			h := Holder{Command: "query"}
			if tc.until != 0 {
				h.Until = time.Now().Add(tc.until)
			}
			first, err := Acquire(context.Background(), path, 0, h)
			if err != nil {
				t.Fatal(err)
			}
			go func() {
				time.Sleep(300 * time.Millisecond)
				first.Release()
			}()
			second, err := Acquire(context.Background(), path, 0, Holder{Command: "report weekly"})
			var held *HeldError
			var overdue *OverdueError
			switch {
			case tc.wantWait && err != nil:
				t.Fatalf("did not wait for a bounded holder: %v", err)
			case !tc.wantWait && tc.until == 0 && !errors.As(err, &held):
				t.Fatalf("got %v, want a HeldError at once", err)
			case !tc.wantWait && tc.until != 0 && !errors.As(err, &overdue):
				t.Fatalf("got %v, want an OverdueError at once", err)
			}
			second.Release()
		})
	}
}

// TestRemovedFileStillLocks: the lock file removed while another process
// holds it. Acquire created a new file and locked it, so two jobs ran at
// once; the directory's lock keeps the second out, and the error says the
// file was removed.
func TestRemovedFileStillLocks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "lock")
	child := startHolder(t, path)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	me := CurrentHolder("ingest", t0.Add(time.Hour))
	l, err := Acquire(context.Background(), path, 0, me)
	var held *HeldError
	if !errors.As(err, &held) {
		l.Release()
		t.Fatalf("Acquire with the holder's file removed = %v, want *HeldError", err)
	}
	if !held.FileReplaced || !strings.Contains(err.Error(), "the file was removed while a job held it") {
		t.Errorf("error = %q (FileReplaced %v), want it to say the file was removed", err, held.FileReplaced)
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	l, err = Acquire(context.Background(), path, time.Second, me)
	if err != nil {
		t.Fatalf("Acquire once the holder is gone: %v", err)
	}
	l.Release()
}

const flockEnv = "LEDGERLENS_LOCK_TEST_FLOCK"

// TestHelperFlockOnly is not a test: re-executed with flockEnv set to a
// lock path, it takes a shared flock on the file as another program (or a
// reader under another account) would — leaving no record — prints
// "locked", and waits to be killed.
func TestHelperFlockOnly(t *testing.T) {
	path := os.Getenv(flockEnv)
	if path == "" {
		t.Skip("helper process only")
	}
	f, err := os.Open(path)
	if err == nil {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH)
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	time.Sleep(time.Minute)
	runtime.KeepAlive(f)
	os.Exit(2)
}

// TestHolderNamedByTheKernel: a process that holds the lock without a
// record of itself (flock(1), a reader under another account), stopped
// with SIGSTOP. Every job exited 75 saying only "a process that left no
// record of itself" (an outside review). The waiter names it from the
// kernel's table: its pid, account, command line, and that it is
// stopped.
func TestHolderNamedByTheKernel(t *testing.T) {
	if _, err := os.Stat(procLocks); err != nil {
		t.Skipf("no %s here", procLocks)
	}
	path := filepath.Join(t.TempDir(), "lock")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := startHelper(t, "TestHelperFlockOnly", flockEnv, path)
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Signal(syscall.SIGCONT)
	var held *HeldError
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, err = Acquire(context.Background(), path, 0, CurrentHolder("report weekly", t0))
		if !errors.As(err, &held) {
			t.Fatalf("Acquire = %v, want *HeldError", err)
		}
		if strings.Contains(err.Error(), "stopped") || time.Now().After(deadline) {
			break
		}
	}
	msg := err.Error()
	for _, want := range []string{fmt.Sprintf("pid %d (", cmd.Process.Pid), "account ", "stopped", "TestHelperFlockOnly", path} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}

// TestRecordOfADeadHolder: a query killed without releasing the lock
// (SIGPIPE under `| head`, its watchdog) leaves its record, its promised
// end long past; then a reader under another account, which writes no
// record, holds the lock. A job read the dead query's record: it exited
// 1 at once, telling the operator to kill a pid that no longer existed
// (an outside review). The record of a process that is gone is nobody's:
// the job reports the lock held (exit 75) by the process the kernel
// names.
func TestRecordOfADeadHolder(t *testing.T) {
	if _, err := os.Stat(procLocks); err != nil {
		t.Skipf("no %s here", procLocks)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "lock")
	h := CurrentHolder("query", time.Now().Add(-2*time.Hour))
	h.PID = dead.Process.Pid
	h.Until = time.Now().Add(-time.Hour)
	record, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, record, 0o644); err != nil {
		t.Fatal(err)
	}
	reader := startHelper(t, "TestHelperFlockOnly", flockEnv, path)
	_, err = Acquire(context.Background(), path, 0, CurrentHolder("report weekly", t0))
	var held *HeldError
	var overdue *OverdueError
	if errors.As(err, &overdue) || !errors.As(err, &held) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d (", reader.Process.Pid)) {
		t.Fatalf("Acquire = %v, want a *HeldError naming the reader, pid %d", err, reader.Process.Pid)
	}
	if strings.Contains(err.Error(), fmt.Sprintf("pid %d ", dead.Process.Pid)) {
		t.Errorf("the error names the dead holder: %v", err)
	}
}

// TestReaderKeepsAnUnrecoveredCrash: a job killed without releasing the
// lock leaves its record for the next job to record as recovered. A
// query run in between by the jobs' account overwrote the record and
// emptied it on release: the crash left no trace (a review of this
// stop's fixes). A reader's record carries the crash, and its release,
// clean or not, leaves it for the next job.
func TestReaderKeepsAnUnrecoveredCrash(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		clean bool // the reader releases the lock
	}{{"the reader releases", true}, {"the reader is killed", false}} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "lock")
			crashed := CurrentHolder("report weekly", t0)
			crashed.PID = dead.Process.Pid
			record, err := json.Marshal(crashed)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, record, 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := AcquireToRead(context.Background(), path, 0, CurrentHolder("query", t0))
			if err != nil {
				t.Fatal(err)
			}
			if r.Recovered != nil {
				t.Errorf("the reader recovered %v", r.Recovered)
			}
			if tc.clean {
				r.Release()
			} else {
				r.f.Close()
				closeDir(r.dir)
			}
			l, err := Acquire(context.Background(), path, 0, CurrentHolder("ingest", t0))
			if err != nil {
				t.Fatal(err)
			}
			defer l.Release()
			if l.Recovered == nil || l.Recovered.PID != dead.Process.Pid || l.Recovered.Command != "report weekly" {
				t.Errorf("Recovered = %v, want the crashed job, pid %d", l.Recovered, dead.Process.Pid)
			}
		})
	}
}
