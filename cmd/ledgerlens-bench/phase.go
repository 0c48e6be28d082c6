package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// phase is one measured subprocess.
type phase struct {
	Name    string
	Args    []string
	Started time.Time
	Seconds float64 // wall clock from start to exit
	// MaxRSS is the peak resident set of the process (and of any children
	// it waited for), from wait4's rusage, in bytes.
	MaxRSS int64
	UserS  float64 // CPU seconds in user mode
	SysS   float64 // CPU seconds in the kernel
	// MinorFaults are the page faults served without I/O (wait4's
	// ru_minflt): mostly first touches of new memory, which a host that
	// backs memory on demand charges for (BENCHMARKS.md).
	MinorFaults int64
	// CompactStalls and HugePageFallbacks are the host's direct
	// compactions and the huge page faults it served with small pages
	// while the phase ran (/proc/vmstat's compact_stall and
	// thp_fault_fallback; -1 where there is none): a fault in advised
	// memory compacts memory first when no 2 MiB block is free, which
	// the phase then waits for (bench/HISTORY.md, stop 31's round). The counters are the
	// host's, not the process's: only what ran beside the phase adds to
	// them.
	CompactStalls, HugePageFallbacks int64
	ExitCode                         int
	Stdout                           []byte
	// Stderr is kept, so that a failed phase can say why.
	Stderr []byte
}

// measure runs cmd to completion and records its wall time and rusage. A
// non-zero exit is not an error here (the caller decides); failing to
// start, or being stopped by ctx, is.
func measure(ctx context.Context, name string, cmd *exec.Cmd) (phase, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	p := phase{Name: name, Args: cmd.Args}
	before := readVMStat()
	p.Started = time.Now()
	if err := cmd.Start(); err != nil {
		return p, fmt.Errorf("%s: start %s: %w", name, cmd.Path, err)
	}
	err := cmd.Wait()
	p.Seconds = time.Since(p.Started).Seconds()
	after := readVMStat()
	p.CompactStalls = after.delta(before, "compact_stall")
	p.HugePageFallbacks = after.delta(before, "thp_fault_fallback")
	p.Stdout, p.Stderr = stdout.Bytes(), stderr.Bytes()
	if cmd.ProcessState != nil {
		p.ExitCode = cmd.ProcessState.ExitCode()
		p.UserS = cmd.ProcessState.UserTime().Seconds()
		p.SysS = cmd.ProcessState.SystemTime().Seconds()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			p.MaxRSS = maxRSSBytes(ru)
			p.MinorFaults = int64(ru.Minflt)
		}
	}
	if ctx.Err() != nil {
		return p, fmt.Errorf("%s: %w", name, ctx.Err())
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return p, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// vmStat is the kernel's /proc/vmstat counters by name; nil where there
// is none.
type vmStat map[string]int64

func readVMStat() vmStat {
	data, err := os.ReadFile("/proc/vmstat")
	if err != nil {
		return nil
	}
	v := vmStat{}
	for line := range strings.Lines(string(data)) {
		name, value, ok := strings.Cut(strings.TrimSpace(line), " ")
		if n, err := strconv.ParseInt(value, 10, 64); ok && err == nil {
			v[name] = n
		}
	}
	return v
}

// delta is counter name's growth since before, or -1 if either snapshot
// lacks it.
func (v vmStat) delta(before vmStat, name string) int64 {
	a, okA := v[name]
	b, okB := before[name]
	if !okA || !okB {
		return -1
	}
	return a - b
}

// maxRSSBytes converts ru_maxrss to bytes: Linux and the BSDs report
// kibibytes, macOS bytes.
func maxRSSBytes(ru *syscall.Rusage) int64 {
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss)
	}
	return int64(ru.Maxrss) * 1024
}

// command builds a measured subprocess: stopped with SIGTERM when ctx is
// cancelled (ledgerlens then abandons its step cleanly), killed if it has
// not exited 30 s later.
func command(ctx context.Context, env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// failed describes a phase that exited non-zero, with the end of its
// stderr.
func (p phase) failed() error {
	msg := bytes.TrimSpace(p.Stderr)
	if len(msg) > 2000 {
		msg = append([]byte("…"), msg[len(msg)-2000:]...)
	}
	return fmt.Errorf("%s: %v exited with status %d:\n%s", p.Name, p.Args, p.ExitCode, msg)
}
