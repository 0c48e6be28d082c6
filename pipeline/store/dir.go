package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/ledgerlens/ledgerlens/pipeline/lock"
	"github.com/ledgerlens/ledgerlens/pipeline/ownerdir"
)

// FileName is the store file's name in its directory; the engine keeps
// its write-ahead log (FileName + ".wal") and what it spills
// (FileName + ".tmp") beside it.
const FileName = "ledger.duckdb"

// ErrUnsafeDir is matched (errors.Is) by OpenDir's error when the store's
// directory, or a file in it, is not what only its owner could have
// written, or is another account's when a job would write it: nothing is
// read from such a store (docs/COMPLIANCE.md, "The store's directory").
var ErrUnsafeDir = errors.New("the store's directory cannot be trusted")

// dirKind is the store's directory to package ownerdir: its messages and
// remedy, and ErrUnsafeDir.
var dirKind = ownerdir.Kind{What: "store directory", Remedy: moveAway, Err: ErrUnsafeDir}

// IsLockConflict reports whether err, an open's, is the engine's refusal
// to open the store file because another process holds a lock on it: a
// busy store, not a damaged one.
func IsLockConflict(err error) bool {
	var lc *LockConflictError
	return errors.As(err, &lc)
}

// moveAway is the remedy for a store directory that cannot be trusted: a
// new one, and the store rebuilt in new files (a file someone else could
// write may still be open in their hands).
const moveAway = "move the store's directory away (the next job creates it anew and rebuilds the store from the ledger, checked against the audit log), then run 'ledgerlens verify all'"

// Dir is the directory that holds the store, opened once, checked, and
// held open for as long as a command uses the store: a directory only its
// owner can write (package ownerdir), whose every path (Path) goes
// through this process's own handle on it, so that whoever cannot write
// it cannot change a byte the engine reads or the store's seal hashes, at
// any moment.
//
// The state directory around it may be writable by others (the audit log
// lives there). The store's directory is not: OpenDir refuses one that
// its group or others can write, that carries a default ACL (files the
// engine creates in it would take the ACL's permissions, not the
// umask's), or holding a file they can write or that its owner does not
// own; a writable open also refuses one that another account owns. Dir
// must not be used after Close, and the store must be closed first.
type Dir struct {
	*ownerdir.Dir
}

// OpenDir opens the store's directory at path. write is for a job, which
// may create and change the store: a missing directory is created (its
// parent must exist), and one another account owns is refused, as no
// file in it could be trusted to be this account's doing. A read-only
// open (verify, query) of a missing directory returns an error wrapping
// fs.ErrNotExist.
func OpenDir(path string, write bool) (*Dir, error) {
	created := false
	if write {
		if err := rootOverAnotherAccount(filepath.Dir(path)); err != nil {
			return nil, err
		}
		err := os.Mkdir(path, 0o750)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("create the store's directory: %w", err)
		}
		created = err == nil
	}
	var claim func(*ownerdir.Dir) error
	if created {
		// Made just now, it took the state directory's default ACL and,
		// in a setgid state directory, its group: both given up, so that
		// the umask decides the modes inside and the account's own group
		// the readers.
		claim = claimDir
	}
	d, err := ownerdir.OpenWith(path, dirKind, write, claim)
	if err != nil {
		return nil, err
	}
	return &Dir{d}, nil
}

// rootOverAnotherAccount refuses a job run as root in a state directory
// another account owns: a store directory root creates there would be
// root's, and the account that runs the jobs could no longer open it.
func rootOverAnotherAccount(state string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	fi, err := os.Stat(state)
	if err != nil {
		return nil // the open reports it
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 {
		return fmt.Errorf("the state directory %s belongs to uid %d, and this job runs as root: run ledgerlens as the account that runs the jobs (files root creates there would lock it out)", state, st.Uid)
	}
	return nil
}

// claimDir makes a directory OpenDir has just created the account's
// (ownerdir.Dir.Claim), mode 0750: its group, the process's own, not one
// inherited from a setgid state directory, whose members (those who
// append to the audit log, say) must not read the store.
func claimDir(d *ownerdir.Dir) error { return d.Claim(0o750) }

// Recheck applies OpenDir's rules again: a job calls it before it seals
// the store, so that no seal vouches for a file that someone else could
// have written while the job ran.
func (d *Dir) Recheck() error { return d.Check() }

// Open opens the store in the directory (see Open). A process that is
// not the directory's owner (an analyst, or root reading another
// account's store) spills into a directory of its own under TMPDIR,
// never beside the store: what it left there, killed, would be a file
// of another account in the store's directory, which every job refuses.
//
// An open another process's lock on the store file refuses is a
// *LockConflictError naming the holders, read while the directory is
// still open (OpenOwned closes it on failure).
func (d *Dir) Open(ctx context.Context, opts Options) (*Store, error) {
	opts.spillElsewhere = int(d.UID()) != os.Geteuid()
	st, err := open(ctx, d.Path(FileName), d.Name(FileName), opts)
	var lc *LockConflictError
	if errors.As(err, &lc) {
		lc.Holders = lock.HoldersOf(d.Path(FileName))
	}
	return st, err
}

// LockConflictError is the engine's open of the store file refused
// because another process holds a lock on it (IsLockConflict): a busy
// store, not a damaged one. Only that open makes one, not a later error
// that quotes the phrase from text the file holds (an outside review).
// Holders describes the processes the kernel's lock table shows holding
// it (lock.HoldersOf; filled by Dir.Open), none when it shows none.
type LockConflictError struct {
	Err     error
	Holders []string
}

func (e *LockConflictError) Error() string { return e.Err.Error() }
func (e *LockConflictError) Unwrap() error { return e.Err }

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
	missing := errors.Is(err, fs.ErrNotExist)
	if err == nil {
		// A directory without a store: an adoption cut short.
		ok, eerr := d.Exists()
		missing = eerr == nil && !ok
	}
	if missing {
		if _, lerr := os.Lstat(legacy); lerr == nil {
			if d != nil {
				d.Close()
			}
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

// adopting is the suffix of a file Adopt is copying into the directory.
const adopting = ".adopting"

// Adopt copies a store kept at legacy (where ledgerlens kept it before
// the store had a directory of its own), with its write-ahead log, into
// new files in the directory, and then removes the old ones, unless the
// directory already holds a store. New files: whoever could write the
// old ones (they lay where others may write) and kept a descriptor on
// them must not reach the store through it. The caller must not trust a
// store seal for the adopted files: they were sealed where they could be
// changed unseen. A file that is not a regular file of this directory's
// owner is refused before anything is copied. Adopt reports whether it
// adopted a store.
func (d *Dir) Adopt(legacy string) (bool, error) {
	if ok, err := d.Exists(); err != nil {
		return false, err
	} else if ok {
		// The store file arrives last: an old copy beside it is what an
		// adoption cut short before its removal left.
		return false, removeLegacy(legacy)
	}
	// Left by an adoption cut short.
	for _, suffix := range []string{".wal", ""} {
		if err := os.Remove(d.Path(FileName + suffix + adopting)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("store directory %s: %w", d.Name(""), err)
		}
	}
	var sources []*os.File
	defer func() {
		for _, f := range sources {
			f.Close()
		}
	}()
	for _, suffix := range []string{"", ".wal"} {
		f, err := os.OpenFile(legacy+suffix, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
		if errors.Is(err, fs.ErrNotExist) {
			if suffix == "" {
				return false, nil
			}
			continue
		}
		if err != nil {
			return false, fmt.Errorf("store %s (where an earlier ledgerlens kept it): %w", legacy+suffix, err)
		}
		sources = append(sources, f)
		var st syscall.Stat_t
		if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
			return false, fmt.Errorf("store %s: %w", legacy+suffix, err)
		}
		if st.Mode&syscall.S_IFMT != syscall.S_IFREG || st.Uid != d.UID() {
			return false, dirKind.Unsafef("the store %s (where an earlier ledgerlens kept it) is not a file owned by uid %d, the store directory's owner, so it was not moved: if it is not yours, move it away (the next job rebuilds the store from the ledger, checked against the audit log), then run 'ledgerlens verify all'",
				legacy+suffix, d.UID())
		}
	}
	// The log first: the store file's arrival says the adoption is done.
	for i := len(sources) - 1; i >= 0; i-- {
		name := FileName
		if i == 1 {
			name += ".wal"
		}
		if err := d.copyIn(sources[i], name); err != nil {
			return false, err
		}
	}
	if err := d.File().Sync(); err != nil {
		return false, fmt.Errorf("store directory %s: %w", d.Name(""), err)
	}
	return true, removeLegacy(legacy)
}

// removeLegacy removes the store's old copy, log first.
func removeLegacy(legacy string) error {
	for _, old := range []string{legacy + ".wal", legacy} {
		if err := os.Remove(old); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove the store's old copy %s: %w", old, err)
		}
	}
	return nil
}

// copyIn copies src to a new file name in the directory, durably.
func (d *Dir) copyIn(src *os.File, name string) error {
	tmp := d.Path(name + adopting)
	dst, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return fmt.Errorf("copy the store into %s: %w", d.Name(""), err)
	}
	_, err = io.Copy(dst, src)
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, d.Path(name))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("copy the store into %s: %w", d.Name(name), err)
	}
	return nil
}
