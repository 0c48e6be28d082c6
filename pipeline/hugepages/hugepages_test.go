//go:build linux && cgo

package hugepages

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
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

func requireTHP(t *testing.T) {
	t.Helper()
	if KernelMode() == "" {
		t.Skip("this kernel has no transparent huge pages")
	}
}

// bigHeapObject allocates 64 MiB on the Go heap: larger than any arena the
// runtime mapped at start, so its memory is mapped while the test runs.
func bigHeapObject() []byte { return make([]byte, 64<<20) }

// The Go runtime maps its heap through the C library's mmap in a cgo
// binary, so the heap is the wrapper's first customer: the mapping that
// holds a fresh large object must carry the huge page advice ("hg").
func TestGoHeapMappingIsAdvised(t *testing.T) {
	requireTHP(t)
	if !On() {
		t.Skipf("%s=off in this environment", EnvVar)
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

// With LEDGERLENS_HUGEPAGES=off, set before the process starts, no
// mapping gets the advice. The check runs in a child test process.
func TestOffLeavesMappingsAlone(t *testing.T) {
	requireTHP(t)
	if os.Getenv("LEDGERLENS_HUGEPAGES_CHILD") == "1" {
		b := bigHeapObject()
		flags := vmFlagsAt(t, uintptr(unsafe.Pointer(&b[0])))
		fmt.Printf("on=%v advised=%d hg=%v\n", On(), Advised(), contains(flags, "hg"))
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestOffLeavesMappingsAlone$", "-test.count", "1")
	cmd.Env = append(os.Environ(), "LEDGERLENS_HUGEPAGES_CHILD=1", EnvVar+"=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "on=false advised=0 hg=false") {
		t.Fatalf("child with %s=off printed:\n%s\nwant on=false advised=0 hg=false", EnvVar, out)
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		value string
		ok    bool
	}{
		{"", true}, {"on", true}, {"off", true},
		{"0", false}, {"false", false}, {"OFF", false}, {"never", false},
	} {
		t.Run(fmt.Sprintf("%q", tc.value), func(t *testing.T) {
			t.Setenv(EnvVar, tc.value)
			err := Check()
			if (err == nil) != tc.ok {
				t.Fatalf("Check() with %s=%q = %v, want ok=%v", EnvVar, tc.value, err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), EnvVar) {
				t.Fatalf("error %q does not name %s", err, EnvVar)
			}
		})
	}
}

func TestSelectedMode(t *testing.T) {
	for list, want := range map[string]string{
		"always [madvise] never\n": "madvise",
		"[always] madvise never":   "always",
		"always madvise [never]":   "never",
		"always madvise never":     "",
		"[] madvise":               "",
		"":                         "",
	} {
		if got := selectedMode(list); got != want {
			t.Errorf("selectedMode(%q) = %q, want %q", list, got, want)
		}
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
