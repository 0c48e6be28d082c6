package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// FileName is the store file's name in its directory; the engine keeps
// its write-ahead log (FileName + ".wal") and what it spills
// (FileName + ".tmp") beside it.
const FileName = "ledger.duckdb"

// ErrUnsafeDir is wrapped by OpenDir's error when the store's directory,
// or a file in it, can be written by someone other than its owner, or is
// not the account's own when a job would write it: nothing is read from
// such a store (docs/COMPLIANCE.md, "The store's directory").
var ErrUnsafeDir = errors.New("the store's directory is not its owner's alone")

// Dir is the directory that holds the store, opened once, checked, and
// held open for as long as a command uses the store.
//
// The state directory around it may be writable by others (the audit log
// lives there). The store's directory is not: OpenDir refuses one that
// its group or others can write, or holding a file they can write or
// that its owner does not own, and for a writable open one that another
// account owns. Every path Dir hands out (Path) goes through this
// process's own handle on the directory (/proc/self/fd/N/NAME), so a
// directory renamed away, or another put in its place, after the check
// changes nothing the engine reads or the store's seal hashes: whoever
// cannot write the directory cannot change a byte the command reads, at
// any moment. Dir must not be used after Close.
type Dir struct {
	name string // the directory as a person names it, for messages
	f    *os.File
	fd   int
	uid  uint32 // the directory's owner
}

// OpenDir opens the store's directory at path. write is for a job, which
// may create and change the store: a missing directory is created (its
// parent must exist), and one another account owns is refused, as no
// file in it could be trusted to be this account's doing. A read-only
// open (verify, query) of a missing directory returns an error wrapping
// fs.ErrNotExist.
func OpenDir(path string, write bool) (*Dir, error) {
	if write {
		if err := os.Mkdir(path, 0o750); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("create the store's directory: %w", err)
		}
	}
	// O_NOFOLLOW: a symbolic link put in the directory's place would
	// lead the engine wherever its maker chose.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.ENOTDIR) {
		return nil, fmt.Errorf("store directory %s: not a directory but a link or a file: %w", path, ErrUnsafeDir)
	}
	if err != nil {
		return nil, fmt.Errorf("store directory: %w", err)
	}
	d := &Dir{name: path, f: f, fd: int(f.Fd())}
	if err := d.check(write); err != nil {
		f.Close()
		return nil, err
	}
	return d, nil
}

// check applies OpenDir's rules to the directory as opened and to every
// entry in it.
func (d *Dir) check(write bool) error {
	var st syscall.Stat_t
	if err := syscall.Fstat(d.fd, &st); err != nil {
		return fmt.Errorf("store directory %s: %w", d.name, err)
	}
	d.uid = st.Uid
	if write && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("store directory %s is owned by uid %d, not by the account running ledgerlens (uid %d): its files cannot be this account's doing, so nothing was read from them; if it is not yours, move it away (the next job rebuilds the store from the ledger, checked against the audit log) and run 'ledgerlens verify all': %w",
			d.name, st.Uid, os.Geteuid(), ErrUnsafeDir)
	}
	if err := unsafeMode(d.name, uint32(st.Mode)); err != nil {
		return err
	}
	entries, err := os.ReadDir(d.Path("."))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store directory %s: it cannot be reached through this process's handle on it (%w): ledgerlens needs /proc mounted, as on any Linux host", d.name, err)
	}
	if err != nil {
		return fmt.Errorf("store directory %s: %w", d.name, err)
	}
	for _, e := range entries {
		var est syscall.Stat_t
		if err := syscall.Lstat(d.Path(e.Name()), &est); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // the engine's spill, removed since
			}
			return fmt.Errorf("store directory %s: %w", d.name, err)
		}
		name := filepath.Join(d.name, e.Name())
		switch est.Mode & syscall.S_IFMT {
		case syscall.S_IFREG, syscall.S_IFDIR:
		default:
			return fmt.Errorf("%s is neither a file nor a directory (mode %o): %w", name, est.Mode, ErrUnsafeDir)
		}
		if est.Uid != st.Uid {
			return fmt.Errorf("%s is owned by uid %d, not by the store directory's owner (uid %d): %w", name, est.Uid, st.Uid, ErrUnsafeDir)
		}
		if err := unsafeMode(name, uint32(est.Mode)); err != nil {
			return err
		}
	}
	return nil
}

// unsafeMode refuses a mode that lets the group or others write.
func unsafeMode(name string, mode uint32) error {
	if mode&0o022 == 0 {
		return nil
	}
	return fmt.Errorf("%s can be written by its group or by others (mode %04o): whoever can write it could change the store between the job's checks and its seal; make it its owner's alone (chmod -R go-w %s): %w",
		name, mode&0o7777, name, ErrUnsafeDir)
}

// Path is name in the directory, as this process reaches it through its
// own handle: the path to give the engine and to hash.
func (d *Dir) Path(name string) string {
	return "/proc/self/fd/" + strconv.Itoa(d.fd) + "/" + name
}

// Name is name in the directory as a person names it, for messages.
func (d *Dir) Name(name string) string { return filepath.Join(d.name, name) }

// File is the open directory, to hand to a child process (which then
// reaches it as /proc/self/fd/N with N its own descriptor number).
func (d *Dir) File() *os.File { return d.f }

// Owner is the directory's owner.
func (d *Dir) Owner() uint32 { return d.uid }

// Open opens the store in the directory (see Open).
func (d *Dir) Open(ctx context.Context, opts Options) (*Store, error) {
	return open(ctx, d.Path(FileName), d.Name(FileName), opts)
}

// OpenOwned is Open for a command that has no use for the directory
// beyond the store: the store closes the directory when it is closed,
// and OpenOwned closes it when the open fails.
func (d *Dir) OpenOwned(ctx context.Context, opts Options) (*Store, error) {
	st, err := d.Open(ctx, opts)
	if err != nil {
		d.Close()
		return nil, err
	}
	st.dir = d
	return st, nil
}

// OpenDirToRead opens the store's directory at path for a command that
// only reads the store (OpenDir). Where there is none but a store lies at
// legacy, where an earlier ledgerlens kept it, the error says that the
// next job moves it; otherwise a missing directory is an error wrapping
// fs.ErrNotExist.
func OpenDirToRead(path, legacy string) (*Dir, error) {
	d, err := OpenDir(path, false)
	if errors.Is(err, fs.ErrNotExist) {
		if _, lerr := os.Lstat(legacy); lerr == nil {
			return nil, fmt.Errorf("the store is at %s, where an earlier ledgerlens kept it: the next job moves it into %s (run 'ledgerlens ingest'), and this command reads it there", legacy, path)
		}
	}
	return d, err
}

// Exists reports whether the directory holds a store file.
func (d *Dir) Exists() (bool, error) {
	_, err := os.Lstat(d.Path(FileName))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Adopt moves a store file kept at legacy (where ledgerlens kept it
// before the store had a directory of its own), with its write-ahead
// log, into the directory, unless the directory already holds one. The
// files keep their bytes, so the store seal still recognises them; they
// lose any write permission of their group and others. A file another
// account owns is not moved: it is refused as it would be in the
// directory. Adopt reports whether it moved a store.
func (d *Dir) Adopt(legacy string) (bool, error) {
	if ok, err := d.Exists(); err != nil || ok {
		return false, err
	}
	if _, err := os.Lstat(legacy); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("store %s: %w", legacy, err)
	}
	for _, suffix := range []string{"", ".wal"} {
		from, to := legacy+suffix, d.Path(FileName+suffix)
		if err := os.Rename(from, to); errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return false, fmt.Errorf("move the store %s into %s: %w", from, d.name, err)
		}
		// Checked where it now is: the old place is not the account's
		// alone, and what lay there at the rename is what was moved.
		var st syscall.Stat_t
		if err := syscall.Lstat(to, &st); err != nil {
			return false, fmt.Errorf("store %s: %w", d.Name(FileName+suffix), err)
		}
		if st.Mode&syscall.S_IFMT != syscall.S_IFREG || st.Uid != d.uid {
			return false, fmt.Errorf("the store %s moved from %s (where an earlier ledgerlens kept it) is not a file owned by uid %d, the store directory's owner: %w",
				d.Name(FileName+suffix), from, d.uid, ErrUnsafeDir)
		}
		if err := os.Chmod(to, os.FileMode(st.Mode&0o755)); err != nil {
			return false, fmt.Errorf("store %s: %w", d.Name(FileName+suffix), err)
		}
	}
	return true, nil
}

// Close closes the directory. The store must be closed first.
func (d *Dir) Close() error { return d.f.Close() }
