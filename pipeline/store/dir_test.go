package store

import (
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ledgerlens/ledgerlens/pipeline/ownerdir"
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
		{"another account's, to read, in its state directory", false, func(t *testing.T, dir string) {
			chown(t, dir, 65534)
			chown(t, filepath.Dir(dir), 65534)
		}, ""},
		{"another account's, to read, in the jobs' state directory", false, func(t *testing.T, dir string) { chown(t, dir, 65534) }, "not by the state directory's owner"},
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
	before, err := FileFingerprint(context.Background(), legacy)
	if err != nil {
		t.Fatal(err)
	}
	held, err := os.OpenFile(legacy, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
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
	if after, _ := FileFingerprint(context.Background(), filepath.Join(state, "store", FileName)); after != before {
		t.Error("the moved store's bytes changed")
	}
	// New files: a descriptor someone kept on the old one reaches the
	// old one only.
	if _, err := held.WriteAt([]byte("forged"), 0); err != nil {
		t.Fatal(err)
	}
	if after, _ := FileFingerprint(context.Background(), filepath.Join(state, "store", FileName)); after != before {
		t.Error("a descriptor kept on the old file changed the adopted store")
	}
	// An old copy beside an adopted store (an adoption killed before it
	// removed it) is removed; the store is kept.
	writeMode(t, legacy, 0o644)
	if moved, err := d.Adopt(legacy); err != nil || moved {
		t.Errorf("Adopt over a directory that has a store = %v, %v; want it kept", moved, err)
	}
	if _, err := os.Stat(legacy); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the old copy beside the adopted store is still there: %v", err)
	}
	if after, _ := FileFingerprint(context.Background(), filepath.Join(state, "store", FileName)); after != before {
		t.Error("the adopted store changed")
	}
	writeMode(t, legacy, 0o644)
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
	if _, err := os.Stat(legacy); err != nil {
		t.Errorf("the refused file was moved: %v", err)
	}
	if entries, _ := os.ReadDir(d2.Path(".")); len(entries) != 0 {
		t.Errorf("the refused adoption left %v", entries)
	}
}

// TestStoreDirectoryACL: a default ACL on the state directory (a
// directory shared with a group through an ACL) is inherited by a
// directory made in it, whose files the engine then creates as the ACL
// says (0664: the group could write the store), whatever the umask. A
// store directory OpenDir makes drops it; one that has one is refused.
func TestStoreDirectoryACL(t *testing.T) {
	aclDefault := ownerdir.ACLAttributes()[0]
	state := t.TempDir()
	if err := syscall.Setxattr(state, aclDefault, groupACL(65534), 0); err != nil {
		t.Skipf("no ACLs here: %v", err)
	}
	d, err := OpenDir(filepath.Join(state, "store"), true)
	if err != nil {
		t.Fatal(err)
	}
	st, err := d.Open(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := d.Recheck(); err != nil {
		t.Errorf("the directory it made, after the engine wrote in it: %v", err)
	}
	d.Close()

	shared := filepath.Join(t.TempDir(), "store")
	if err := os.Mkdir(shared, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setxattr(shared, aclDefault, groupACL(65534), 0); err != nil {
		t.Fatal(err)
	}
	for _, write := range []bool{true, false} {
		if d, err := OpenDir(shared, write); !errors.Is(err, ErrUnsafeDir) || !strings.Contains(err.Error(), "carries a default ACL") {
			if err == nil {
				d.Close()
			}
			t.Errorf("OpenDir(write %v) of a directory with a default ACL: %v", write, err)
		}
	}
}

// groupACL is a POSIX ACL in the kernel's extended-attribute form giving
// the owner rwx, the group r-x, group gid rwx and others r-x.
func groupACL(gid uint32) []byte {
	const version = 2
	entries := []struct {
		tag, perm uint16
		id        uint32
	}{{0x01, 7, ^uint32(0)}, {0x04, 5, ^uint32(0)}, {0x08, 7, gid}, {0x10, 7, ^uint32(0)}, {0x20, 5, ^uint32(0)}}
	b := binary.LittleEndian.AppendUint32(nil, version)
	for _, e := range entries {
		b = binary.LittleEndian.AppendUint16(b, e.tag)
		b = binary.LittleEndian.AppendUint16(b, e.perm)
		b = binary.LittleEndian.AppendUint32(b, e.id)
	}
	return b
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
