package atomicfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// leftovers returns the temporary files left in dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestWriteFile(t *testing.T) {
	tests := []struct {
		name string
		old  []byte // nil: no previous file
		data []byte
		perm os.FileMode
	}{
		{"new file", nil, []byte("hello\n"), 0o644},
		{"replace", []byte("old content that is longer"), []byte("new"), 0o644},
		{"empty", []byte("x"), []byte{}, 0o600},
		{"private", nil, []byte("secret"), 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.json")
			if tt.old != nil {
				if err := os.WriteFile(path, tt.old, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := WriteFile(path, tt.data, tt.perm); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.data) {
				t.Errorf("content = %q, want %q", got, tt.data)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != tt.perm {
				t.Errorf("mode = %v, want %v", st.Mode().Perm(), tt.perm)
			}
			if l := leftovers(t, dir); len(l) != 0 {
				t.Errorf("temporary files left: %v", l)
			}
		})
	}
}

func TestWriteFileFailureKeepsOldState(t *testing.T) {
	t.Run("rename onto a directory", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "target")
		if err := os.Mkdir(target, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(target, "keep"), []byte("k"), 0o644); err != nil {
			t.Fatal(err)
		}
		err := WriteFile(target, []byte("data"), 0o644)
		if err == nil {
			t.Fatal("WriteFile over a non-empty directory succeeded")
		}
		if !strings.Contains(err.Error(), target) {
			t.Errorf("error %q does not name %s", err, target)
		}
		if st, err := os.Stat(target); err != nil || !st.IsDir() {
			t.Errorf("target changed: %v %v", st, err)
		}
		if l := leftovers(t, dir); len(l) != 0 {
			t.Errorf("temporary files left: %v", l)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		dir := t.TempDir()
		err := WriteFile(filepath.Join(dir, "nope", "f"), []byte("x"), 0o644)
		if err == nil {
			t.Fatal("WriteFile into a missing directory succeeded")
		}
		if l := leftovers(t, dir); len(l) != 0 {
			t.Errorf("temporary files left: %v", l)
		}
	})
	t.Run("abort keeps old content", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "f.xlsx")
		if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := Create(path, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte("partial new content")); err != nil {
			t.Fatal(err)
		}
		if l := leftovers(t, dir); len(l) != 1 || !strings.HasPrefix(l[0], ".f.xlsx.") {
			t.Errorf("while writing, temporary files = %v, want one named .f.xlsx.*.tmp", l)
		}
		if err := f.Abort(); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(path)
		if string(got) != "old" {
			t.Errorf("content after abort = %q, want old", got)
		}
		if l := leftovers(t, dir); len(l) != 0 {
			t.Errorf("temporary files left: %v", l)
		}
		if err := f.Commit(); err == nil {
			t.Error("Commit after Abort succeeded")
		}
		if _, err := f.Write([]byte("x")); err == nil {
			t.Error("Write after Abort succeeded")
		}
	})
}

func TestStreamingCommit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big.bin")
	f, err := Create(path, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	var want bytes.Buffer
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	for i := 0; i < 16; i++ {
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
		want.Write(chunk)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("destination visible before Commit: %v", err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := f.Abort(); err != nil {
		t.Errorf("Abort after Commit = %v, want nil", err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("streamed content differs: %d bytes, want %d", len(got), want.Len())
	}
	if f.Name() != path {
		t.Errorf("Name() = %q, want %q", f.Name(), path)
	}
	if l := leftovers(t, dir); len(l) != 0 {
		t.Errorf("temporary files left: %v", l)
	}
}

// TestWriteNew: a new file is written whole; a file, or a link, already
// at the path is never replaced or followed, and nothing is left behind.
func TestWriteNew(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "witness.checkpoint")
	if err := WriteNew(path, []byte("note\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != "note\n" {
		t.Fatalf("content %q, %v", got, err)
	}
	if err := WriteNew(path, []byte("other\n"), 0o644); !errors.Is(err, fs.ErrExist) {
		t.Errorf("over an existing file: %v, want fs.ErrExist", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "note\n" {
		t.Errorf("the existing file was changed: %q", got)
	}
	target := filepath.Join(dir, "target")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteNew(link, []byte("x"), 0o644); !errors.Is(err, fs.ErrExist) {
		t.Errorf("over a dangling link: %v, want fs.ErrExist", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the link was followed: %v", err)
	}
	if l := leftovers(t, dir); len(l) != 0 {
		t.Errorf("temporary files left: %v", l)
	}
}

// TestIsTemp: the names a write's temporary file takes, and only those,
// are passed over by a checker of a directory (reconcile.Dirs).
func TestIsTemp(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(filepath.Join(dir, "weekly_2026-02-23.json"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 || !IsTemp(entries[0].Name()) {
		t.Fatalf("the temporary file %v (%v) is not named as one", entries, err)
	}
	for name, want := range map[string]bool{
		".weekly_2026-02-23.json.123456.tmp": true,
		".x.1.tmp":                           true,
		"weekly_2026-02-23.json.123.tmp":     false, // not hidden
		".weekly_2026-02-23.json":            false,
		".weekly_2026-02-23.json.tmp":        false, // no number
		".weekly_2026-02-23.json.12a.tmp":    false,
		"..1.tmp":                            false, // no destination name
		".tmp":                               false,
	} {
		if got := IsTemp(name); got != want {
			t.Errorf("IsTemp(%q) = %t, want %t", name, got, want)
		}
	}
}
