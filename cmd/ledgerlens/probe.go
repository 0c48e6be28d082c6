package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
)

// probeStoreCommand is the hidden command selfProbe runs in a child.
const probeStoreCommand = "probe-store"

// newProbeStoreCmd is the child side of selfProbe: it opens the store
// read-only (store.Probe) and exits 0; 4 with the error when a block fails
// its checksum (store.CorruptError, also on stdout for selfProbe), or 1 with any other. It is not for
// people; it is hidden from the help.
func newProbeStoreCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:         probeStoreCommand + " STORE",
		Hidden:      true,
		Args:        cobra.ExactArgs(1),
		Annotations: map[string]string{"ledgerlens/no-root": ""},
		RunE: func(cmd *cobra.Command, args []string) error {
			err := store.Probe(cmd.Context(), args[0])
			if ce := (*store.CorruptError)(nil); errors.As(err, &ce) {
				fmt.Fprintln(a.stdout, ce) // selfProbe's account of it
				return &job.IntegrityError{Problems: []string{err.Error()}}
			}
			return err
		},
	}
}

// selfProbe opens the store in dir in a child process of this binary
// (newProbeStoreCmd) before the job opens it: DuckDB aborts the process on
// some damaged files, and a child's abort is a finding (job.ErrStoreDamaged),
// where the job's own would be exit 2 and a page of stack dump, and so is
// a block that fails its checksum. A child that ends otherwise (an
// ordinary error, such as a write-ahead log a read-only open cannot
// replay) is not one: the job's own open decides then.
func selfProbe(ctx context.Context, dir *store.Dir) error {
	if ok, err := dir.Exists(); err != nil || !ok {
		return nil // nothing to probe; the job's own open decides
	}
	path := dir.Name(store.FileName)
	exe, err := os.Executable()
	if err != nil {
		return nil // cannot probe; the job's own open decides
	}
	// The child reads the directory this process checked and holds, as
	// its descriptor 3 (store.Dir).
	cmd := exec.CommandContext(ctx, exe, "--log-level", "error", probeStoreCommand, "/proc/self/fd/3/"+store.FileName)
	cmd.ExtraFiles = []*os.File{dir.File()}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// The child dies with this process: one that outlived a SIGKILLed job
	// held the engine's lock on the store, and the next job failed on it
	// (an outside review). The death signal follows the thread that
	// started the child, so that thread is kept until the child ends.
	cmd.SysProcAttr = dieWithParent()
	runtime.LockOSThread()
	err = cmd.Run()
	runtime.UnlockOSThread()
	var ee *exec.ExitError
	if err == nil || !errors.As(err, &ee) || ctx.Err() != nil {
		return nil
	}
	// A block that fails its checksum (exit 4, store.ErrCorrupt) is a
	// finding too: the engine says so as an ordinary error, which the
	// job's own open passed, and a job then failed with the engine's
	// message (exit 1) at its first read of the block, verify store too,
	// and verify ledger passed.
	if ee.ExitCode() == exitIntegrity {
		return fmt.Errorf("%w: reading %s in a probe process: %s", job.ErrStoreDamaged, path, firstLine(stdout.String()))
	}
	// Besides that, only the engine's crash is a finding: the process
	// ended by a fault signal, or the Go runtime's report of one in the
	// engine's code, for a reason other than the host's resources.
	// Anything else leaves it to the job's open: an ordinary error (exit
	// 1); a binary replaced by one without this command (exit 2, a usage
	// message); a child killed from outside, by the kernel's out-of-memory
	// killer or at a CPU limit (SIGKILL, SIGXCPU); a thread or an
	// allocation refused. Those were reported as a damaged store, exit 4
	// recorded in the signed log, with the advice to move a sound store
	// away (an outside review).
	ws, ok := ee.Sys().(syscall.WaitStatus)
	faulted := ok && ws.Signaled() && faultSignal(ws.Signal())
	if !faulted && !crashReport(stderr.String()) || resourceFailure(stderr.String()) {
		return nil
	}
	return fmt.Errorf("%w: reading %s aborted the engine in a probe process (%s: %s)",
		job.ErrStoreDamaged, path, ee.ProcessState, firstLine(stderr.String()))
}

// crashReport reports whether a child's stderr is the Go runtime's report
// of a fatal signal (it exits 2 then, as a usage error also does).
func crashReport(stderr string) bool {
	return strings.Contains(stderr, "signal arrived during cgo execution") ||
		strings.Contains(stderr, "\nSIGABRT:") || strings.Contains(stderr, "\nSIGSEGV:") || strings.Contains(stderr, "\nSIGBUS:") ||
		strings.HasPrefix(stderr, "SIGABRT:") || strings.HasPrefix(stderr, "SIGSEGV:") || strings.HasPrefix(stderr, "SIGBUS:")
}

// faultSignal reports whether sig is one a fault in the process's own
// code raises (an abort, an invalid memory access), not one sent to it.
func faultSignal(sig syscall.Signal) bool {
	switch sig {
	case syscall.SIGABRT, syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGILL, syscall.SIGFPE:
		return true
	}
	return false
}

// resourceFailure reports whether a child's stderr says the host refused
// it a resource (a thread, memory), which aborts the engine as damage
// does.
func resourceFailure(stderr string) bool {
	for _, s := range []string{"pthread_create failed", "out of memory", "std::bad_alloc", "Resource temporarily unavailable", "cannot allocate memory"} {
		if strings.Contains(stderr, s) {
			return true
		}
	}
	return false
}

// firstLine is the first non-empty line of s, for a message.
func firstLine(s string) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			return line
		}
	}
	return "no message"
}
