package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/ledgerlens/ledgerlens/pipeline/hugepages"
)

// advisedMappings counts the mappings of process pid that carry the huge
// page advice ("hg" in their VmFlags, proc(5)).
func advisedMappings(t *testing.T, pid int) int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		t.Skipf("no smaps: %v", err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "VmFlags:") && strings.Contains(line+" ", " hg ") {
			n++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestJobsAdviseOnlyWhenAskedAndTheDaemonNever: a weekly job, paused
// after its analysis, holds no memory advised for huge pages without
// LEDGERLENS_HUGEPAGES=on, and some with it; the scheduler daemon, which
// outlives its jobs, holds none once it has started even under on (the
// kernel would refill what its jobs free with whole huge pages).
func TestJobsAdviseOnlyWhenAskedAndTheDaemonNever(t *testing.T) {
	if m := hugepages.KernelMode(); m != "madvise" {
		t.Skipf("transparent huge page mode %q: nothing is advised", m)
	}
	paused := func(root string) int {
		job := startPaused(t, root)
		t.Cleanup(func() { job.Process.Kill(); job.Wait() })
		n := advisedMappings(t, job.Process.Pid)
		job.Process.Signal(syscall.SIGKILL)
		job.Wait()
		return n
	}
	t.Setenv(hugepages.EnvVar, "") // restored at the end
	os.Unsetenv(hugepages.EnvVar)
	if n := paused(copyFixture(t)); n != 0 {
		t.Fatalf("a paused weekly job without %s holds %d mappings advised for huge pages, want 0", hugepages.EnvVar, n)
	}

	t.Setenv(hugepages.EnvVar, "on") // the processes started below inherit it
	root := copyFixture(t)
	advised := paused(root)
	if advised == 0 {
		t.Fatalf("a paused weekly job with %s=on holds no mapping advised for huge pages", hugepages.EnvVar)
	}

	daemon := startScheduler(t, root)
	if n := advisedMappings(t, daemon.Process.Pid); n != 0 {
		t.Fatalf("the scheduler daemon holds %d mappings advised for huge pages, want 0 (the paused job held %d)", n, advised)
	}
}
