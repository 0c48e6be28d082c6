package inputs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInputsOnlyFromRegularFiles: an input that is a FIFO or a directory
// is refused at once with an error naming it; a symlink to a regular file
// loads; a missing optional input is still "absent".
func TestInputsOnlyFromRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "cases.jsonl")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, _, err := LoadCases(fifo); done <- err }()
	select {
	case err := <-done:
		var nr *NotRegularError
		if !errors.As(err, &nr) || !strings.Contains(err.Error(), fifo) || !strings.Contains(err.Error(), "FIFO") {
			t.Fatalf("FIFO cases: err = %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("loading a FIFO hangs")
	}
	if _, _, err := LoadIncidents(dir); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Fatalf("directory incidents: err = %v", err)
	}

	target := filepath.Join(dir, "target.jsonl")
	os.WriteFile(target, []byte(`{"Case_ID":"A"}`+"\n"), 0o644)
	link := filepath.Join(dir, "link.jsonl")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	set, info, err := LoadCases(link)
	if err != nil || len(set.Cases) != 1 || !info.Present() {
		t.Fatalf("symlinked cases: %+v %+v %v", set, info, err)
	}
	if _, info, err := LoadCases(filepath.Join(dir, "absent.jsonl")); err != nil || info.Present() {
		t.Fatalf("absent cases: %+v %v", info, err)
	}
	if err := CheckRegular(filepath.Join(dir, "absent.jsonl")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("CheckRegular(absent) = %v", err)
	}
	if err := CheckRegular(fifo); err == nil {
		t.Fatal("CheckRegular(fifo) = nil")
	}
}

// TestGone: a recorded file is gone when it, or its directory, is missing,
// and when its directory has become a regular file; a FIFO in its place
// is there (and refused as not regular).
func TestGone(t *testing.T) {
	dir := t.TempDir()
	asFile := filepath.Join(dir, "was-a-dir")
	if err := os.WriteFile(asFile, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	loop := filepath.Join(dir, "loop")
	if err := os.Symlink("loop", loop); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		path string
		gone bool
	}{
		{"missing file", filepath.Join(dir, "absent.json"), true},
		{"missing directory", filepath.Join(dir, "absent", "weekly.json"), true},
		{"directory replaced by a file", filepath.Join(asFile, "weekly.json"), true},
		{"directory replaced by a link that loops", filepath.Join(loop, "weekly.json"), true},
		{"a FIFO", fifo, false},
		{"a regular file", asFile, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := OpenRegular(tc.path)
			if err == nil {
				f.Close()
			}
			if got := Gone(err); got != tc.gone {
				t.Errorf("Gone(%v) = %v, want %v", err, got, tc.gone)
			}
		})
	}
	// Listing an output directory that has become a file.
	if _, err := os.ReadDir(asFile); !Gone(err) {
		t.Errorf("Gone(ReadDir of a regular file) = false: %v", err)
	}
}
