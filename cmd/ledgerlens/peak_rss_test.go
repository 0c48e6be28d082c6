package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// peakFileEnv, set, makes the test binary a measuring parent instead of a
// test run (TestMain): it runs its arguments as a command and writes the
// command's peak RSS to the file it names (measuredPeak).
const peakFileEnv = "LEDGERLENS_TEST_PEAK_FILE"

// measureChild runs args with this process's standard files, writes its
// peak RSS in bytes to path, and returns its exit status. It dies with
// its parent, and so does the command.
func measureChild(path string, args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, err)
		return 127
	}
	peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
	if err := os.WriteFile(path, []byte(strconv.FormatInt(peak, 10)), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 127
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return cmd.ProcessState.ExitCode()
}

// measuredPeak makes cmd, not yet started, run under a fresh copy of the
// test binary (measureChild), and returns what gives the peak RSS of cmd
// alone once it has ended. A command the test process starts itself
// shares the test process's memory until it execs, and the kernel counts
// the test process's peak as the command's (ru_maxrss): a check of a
// small command's peak failed once this package's tests had grown to more
// than its limit.
func measuredPeak(t *testing.T, cmd *exec.Cmd) (peak func() int64) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "peak")
	cmd.Args = append([]string{self, cmd.Path}, cmd.Args[1:]...)
	cmd.Path = self
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, peakFileEnv+"="+file)
	return func() int64 {
		t.Helper()
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("no peak RSS measured: %v", err)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
}

// TestMeasuredPeak: a command's measured peak is its own, however much the
// test process holds. The test process holds 300 MiB while a small
// command runs; the command's ru_maxrss, read directly, counted them.
func TestMeasuredPeak(t *testing.T) {
	held := make([]byte, 300<<20)
	for i := range held {
		held[i] = 1
	}
	for _, measured := range []bool{false, true} {
		cmd := exec.Command(binary, "--version")
		var peak func() int64
		if measured {
			peak = measuredPeak(t, cmd)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
		if measured {
			rss = peak()
		}
		switch {
		case measured && rss > 200<<20:
			t.Errorf("measured peak %d MiB, want the command's own (well under 200)", rss>>20)
		case !measured && rss < 300<<20:
			t.Logf("read directly, ru_maxrss says %d MiB: this kernel does not count the parent's memory", rss>>20)
		}
	}
	held[len(held)-1] = 2 // kept until both ran
}
