//go:build linux && cgo

package hugepages

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// vmFlagsAt returns the VmFlags of the mapping of this process that holds
// addr (proc(5), /proc/self/smaps).
func vmFlagsAt(t *testing.T, addr uintptr) []string {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	inside := false
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) > 0 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			lo, hi, _ := strings.Cut(fields[0], "-")
			l, err1 := strconv.ParseUint(lo, 16, 64)
			h, err2 := strconv.ParseUint(hi, 16, 64)
			inside = err1 == nil && err2 == nil && uint64(addr) >= l && uint64(addr) < h
			continue
		}
		if inside && strings.HasPrefix(line, "VmFlags:") {
			return fields[1:]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Fatalf("no mapping holds %#x", addr)
	return nil
}

// requireMadviseMode skips the test unless the kernel's transparent huge
// page mode is "madvise", the only one the wrapper advises in.
func requireMadviseMode(t *testing.T) {
	t.Helper()
	if m := KernelMode(); m != "madvise" {
		t.Skipf("transparent huge page mode %q: the wrapper advises only under madvise", m)
	}
}

// bigHeapObject allocates 64 MiB on the Go heap: larger than any arena the
// runtime mapped at start, so its memory is mapped while the test runs.
func bigHeapObject() []byte { return make([]byte, 64<<20) }

// The Go runtime maps its heap through the C library's mmap in a cgo
// binary, so the heap is the wrapper's first customer: under
// LEDGERLENS_HUGEPAGES=on, the mapping that holds a fresh large object
// must carry the huge page advice ("hg").
func TestGoHeapMappingIsAdvised(t *testing.T) {
	requireMadviseMode(t)
	if !isChild() {
		out := runChild(t, "TestGoHeapMappingIsAdvised", EnvVar+"=on")
		if !strings.Contains(out, "--- PASS: TestGoHeapMappingIsAdvised") && !strings.Contains(out, "--- SKIP: TestGoHeapMappingIsAdvised") {
			t.Fatalf("child with %s=on printed:\n%s\nwant its pass", EnvVar, out)
		}
		return
	}
	if !On() {
		t.Fatalf("On() = false under the madvise mode with %s=%q", EnvVar, os.Getenv(EnvVar))
	}
	b := bigHeapObject()
	if Advised() == 0 && Refused() > 0 {
		t.Skipf("the kernel refused MADV_HUGEPAGE %d times and accepted it never", Refused())
	}
	flags := vmFlagsAt(t, uintptr(unsafe.Pointer(&b[0])))
	if !contains(flags, "hg") {
		t.Fatalf("VmFlags of the heap mapping = %v, want hg (MADV_HUGEPAGE) among them", flags)
	}
	if Advised() < 64<<20 {
		t.Fatalf("Advised() = %d, want the heap's mappings counted", Advised())
	}
}

// runChild runs the named test alone in a child test process with extra
// environment, and returns what it printed: On, Withdraw and the setting
// are process-wide, so the tests that change them run apart.
func runChild(t *testing.T, name string, env ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^"+name+"$", "-test.count", "1", "-test.v")
	// The setting the child gets is env's alone, not this process's.
	inherited := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, EnvVar+"=") })
	cmd.Env = append(inherited, append(env, "LEDGERLENS_HUGEPAGES_CHILD=1")...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child %s: %v\n%s", name, err, out)
	}
	return string(out)
}

func isChild() bool { return os.Getenv("LEDGERLENS_HUGEPAGES_CHILD") == "1" }

// Without LEDGERLENS_HUGEPAGES=on, set before the process starts, no
// mapping gets the advice: the setting unset, empty, off, or anything but
// exactly "on" (which the binaries refuse, Check, but the wrapper reads
// before main runs).
func TestAdviceIsOffUnlessAskedFor(t *testing.T) {
	requireMadviseMode(t)
	if isChild() {
		b := bigHeapObject()
		flags := vmFlagsAt(t, uintptr(unsafe.Pointer(&b[0])))
		fmt.Printf("on=%v advised=%d hg=%v\n", On(), Advised(), contains(flags, "hg"))
		return
	}
	for _, env := range [][]string{nil, {EnvVar + "="}, {EnvVar + "=off"}, {EnvVar + "=ON"}, {EnvVar + "=1"}, {EnvVar + "=onx"}, {EnvVar + "=on "}} {
		out := runChild(t, "TestAdviceIsOffUnlessAskedFor", env...)
		if !strings.Contains(out, "on=false advised=0 hg=false") {
			t.Fatalf("child with %q printed:\n%s\nwant on=false advised=0 hg=false", env, out)
		}
	}
}

// Withdraw takes the advice back from the mappings advised so far (a
// long-lived process must not have khugepaged refill what it freed) and
// advises no new one.
func TestWithdrawTakesTheAdviceBack(t *testing.T) {
	requireMadviseMode(t)
	if isChild() {
		b := bigHeapObject()
		before := vmFlagsAt(t, uintptr(unsafe.Pointer(&b[0])))
		Withdraw()
		after := vmFlagsAt(t, uintptr(unsafe.Pointer(&b[0])))
		advised := Advised()
		c := make([]byte, 256<<20) // beyond the arenas mapped so far
		later := vmFlagsAt(t, uintptr(unsafe.Pointer(&c[0])))
		fmt.Printf("before=%v after=%v on=%v later=%v grew=%v\n", contains(before, "hg"), contains(after, "hg"),
			On(), contains(later, "hg"), Advised() != advised)
		return
	}
	out := runChild(t, "TestWithdrawTakesTheAdviceBack", EnvVar+"=on")
	if !strings.Contains(out, "before=true after=false on=false later=false grew=false") {
		t.Fatalf("child printed:\n%s\nwant before=true after=false on=false later=false grew=false", out)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
