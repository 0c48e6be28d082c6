package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenDirRefuses: the rules OpenDir applies to the store's directory
// and the files in it, each broken once on real files.
func TestOpenDirRefuses(t *testing.T) {
	tests := []struct {
		name  string
		write bool
		setup func(t *testing.T, dir string)
		want  string // "" when the open must succeed
	}{
		{"its owner's alone", true, func(*testing.T, string) {}, ""},
		{"group-writable", true, func(t *testing.T, dir string) { chmod(t, dir, 0o770) }, "can be written by its group or by others (mode 0770)"},
		{"writable by all, read-only open", false, func(t *testing.T, dir string) { chmod(t, dir, 0o777) }, "(mode 0777)"},
		{"a file in it group-writable", true, func(t *testing.T, dir string) {
			writeMode(t, filepath.Join(dir, FileName+".wal"), 0o664)
		}, FileName + ".wal can be written by its group or by others (mode 0664)"},
		{"a symbolic link in it", false, func(t *testing.T, dir string) {
			if err := os.Symlink("/etc/passwd", filepath.Join(dir, FileName)); err != nil {
				t.Fatal(err)
			}
		}, "is neither a file nor a directory"},
		{"a symbolic link in its place", true, func(t *testing.T, dir string) {
			elsewhere := t.TempDir()
			if err := os.Remove(dir); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(elsewhere, dir); err != nil {
				t.Fatal(err)
			}
		}, "not a directory but a link or a file"},
		{"another account's, to write", true, func(t *testing.T, dir string) { chown(t, dir, 65534) }, "is owned by uid 65534, not by the account running ledgerlens"},
		{"another account's, to read", false, func(t *testing.T, dir string) { chown(t, dir, 65534) }, ""},
		{"a file of another account in it", false, func(t *testing.T, dir string) {
			writeMode(t, filepath.Join(dir, FileName), 0o644)
			chown(t, filepath.Join(dir, FileName), 65534)
		}, "is owned by uid 65534, not by the store directory's owner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "store")
			if err := os.Mkdir(dir, 0o750); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, dir)
			d, err := OpenDir(dir, tt.write)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				d.Close()
				return
			}
			if err == nil {
				d.Close()
				t.Fatalf("opened; want a refusal naming %q", tt.want)
			}
			if !errors.Is(err, ErrUnsafeDir) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q, want ErrUnsafeDir naming %q", err, tt.want)
			}
		})
	}
}

// TestDirPinsTheDirectory: once opened, the directory's store is the one
// the engine opens and the paths reach, whatever is put at its path
// afterwards.
func TestDirPinsTheDirectory(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	path := filepath.Join(parent, "store")
	d, err := OpenDir(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// Someone renames the directory away and puts another in its place.
	if err := os.Rename(path, filepath.Join(parent, "moved")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o777); err != nil {
		t.Fatal(err)
	}
	st, err := d.Open(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(parent, "moved", FileName)); err != nil {
		t.Errorf("the store was not created in the directory opened: %v", err)
	}
	if entries, _ := os.ReadDir(path); len(entries) != 0 {
		t.Errorf("the directory put in its place holds %v", entries)
	}
	if got, want := d.Name(FileName), filepath.Join(path, FileName); got != want {
		t.Errorf("Name = %q, want %q", got, want)
	}
}

// TestAdoptMovesALegacyStore: a store where an earlier ledgerlens kept it
// is moved into the directory, bytes unchanged, its group's and others'
// write permission dropped; a directory that has a store keeps it.
func TestAdoptMovesALegacyStore(t *testing.T) {
	state := t.TempDir()
	legacy := filepath.Join(state, FileName)
	writeMode(t, legacy, 0o664)
	writeMode(t, legacy+".wal", 0o664)
	before, err := FileFingerprint(legacy)
	if err != nil {
		t.Fatal(err)
	}
	d, err := OpenDir(filepath.Join(state, "store"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	moved, err := d.Adopt(legacy)
	if err != nil || !moved {
		t.Fatalf("Adopt = %v, %v", moved, err)
	}
	for _, name := range []string{FileName, FileName + ".wal"} {
		fi, err := os.Stat(filepath.Join(state, "store", name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want 0644", name, fi.Mode().Perm())
		}
		if _, err := os.Stat(filepath.Join(state, name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is still at the old place: %v", name, err)
		}
	}
	if after, _ := FileFingerprint(filepath.Join(state, "store", FileName)); after != before {
		t.Error("the moved store's bytes changed")
	}
	writeMode(t, legacy, 0o644)
	if moved, err := d.Adopt(legacy); err != nil || moved {
		t.Errorf("Adopt over a directory that has a store = %v, %v; want it kept", moved, err)
	}
	// Another account's file at the old place is refused where it lands.
	d2, err := OpenDir(filepath.Join(t.TempDir(), "store"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	chown(t, legacy, 65534)
	if _, err := d2.Adopt(legacy); !errors.Is(err, ErrUnsafeDir) {
		t.Errorf("Adopt of another account's file: %v, want ErrUnsafeDir", err)
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func chown(t *testing.T, path string, uid int) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("giving a file to another account needs root")
	}
	if err := os.Lchown(path, uid, uid); err != nil {
		t.Fatal(err)
	}
}

// writeMode writes a small file with exactly mode (whatever the umask).
func writeMode(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte("bytes"), mode); err != nil {
		t.Fatal(err)
	}
	chmod(t, path, mode)
}
