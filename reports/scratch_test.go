package reports

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestScratchFile: a scratch file leaves no entry in its directory, from
// the moment it is returned, and holds what is written to it. On Linux the
// file never had a name there (a kill between making and unlinking a
// named one left it behind): its descriptor's link names no file made
// after the pattern.
func TestScratchFile(t *testing.T) {
	for _, tc := range []struct {
		name    string
		make    func(dir, pattern string) (*os.File, error)
		unnamed bool
	}{
		{"scratchFile", scratchFile, runtime.GOOS == "linux"},
		{"scratchFileNamed", scratchFileNamed, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			f, err := tc.make(dir, "ledgerlens-test-*.parts")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
				t.Fatalf("the directory holds %v (%v), want nothing", entries, err)
			}
			if tc.unnamed {
				link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(f.Fd())))
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(link, "ledgerlens-test-") {
					t.Errorf("the file was made with a name: %s", link)
				}
			}
			want := strings.Repeat("parts ", 1000)
			if _, err := f.WriteString(want); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(io.NewSectionReader(f, 0, int64(len(want))))
			if err != nil || string(got) != want {
				t.Fatalf("read back %d bytes (%v), want %d", len(got), err, len(want))
			}
		})
	}
}

// TestScratchFileNamesTMPDIR: a temporary directory that cannot hold a
// scratch file — under /proc, which has neither unnamed nor named files,
// or missing — fails with an error that names TMPDIR, which set it.
func TestScratchFileNamesTMPDIR(t *testing.T) {
	for _, dir := range []string{"/proc", filepath.Join(t.TempDir(), "missing")} {
		t.Run(dir, func(t *testing.T) {
			t.Setenv("TMPDIR", dir)
			f, err := scratchFile("", "ledgerlens-test-*.parts")
			if err == nil {
				f.Close()
				t.Fatalf("a scratch file was made in %s", dir)
			}
			if !strings.Contains(err.Error(), "TMPDIR") || !strings.Contains(err.Error(), dir) {
				t.Errorf("the error does not name TMPDIR and %s: %v", dir, err)
			}
		})
	}
}
