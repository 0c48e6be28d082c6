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
