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

// TestOneShotJobsAdviseAndTheDaemonDoesNot: under LEDGERLENS_HUGEPAGES=on
// a weekly job, paused after its analysis, holds memory advised for huge
// pages; the scheduler daemon, which outlives its jobs, holds none once it
// has started even so (the kernel would refill what its jobs free with
// whole huge pages). Without the setting the job advises nothing.
func TestOneShotJobsAdviseAndTheDaemonDoesNot(t *testing.T) {
	if m := hugepages.KernelMode(); m != "madvise" {
		t.Skipf("transparent huge page mode %q: nothing is advised", m)
	}
	t.Setenv(hugepages.EnvVar, "") // restored at the end
	os.Unsetenv(hugepages.EnvVar)
	unset := startPaused(t, copyFixture(t))
	unasked := advisedMappings(t, unset.Process.Pid)
	unset.Process.Signal(syscall.SIGKILL)
	unset.Wait()
	if unasked != 0 {
		t.Fatalf("a paused weekly job without %s holds %d mappings advised for huge pages, want 0", hugepages.EnvVar, unasked)
	}

	t.Setenv(hugepages.EnvVar, "on") // the processes started below inherit it
	root := copyFixture(t)

	job := startPaused(t, root)
	advised := advisedMappings(t, job.Process.Pid)
	job.Process.Signal(syscall.SIGKILL)
	job.Wait()
	if advised == 0 {
		t.Fatal("a paused weekly job holds no mapping advised for huge pages")
	}

	daemon := startScheduler(t, root)
	if n := advisedMappings(t, daemon.Process.Pid); n != 0 {
		t.Fatalf("the scheduler daemon holds %d mappings advised for huge pages, want 0 (the paused job held %d)", n, advised)
	}
}
