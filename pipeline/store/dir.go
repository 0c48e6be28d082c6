package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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

// unsafeDirError is an ErrUnsafeDir with its own message.
type unsafeDirError struct{ msg string }

func (e *unsafeDirError) Error() string        { return e.msg }
func (e *unsafeDirError) Is(target error) bool { return target == ErrUnsafeDir }

func unsafeDir(format string, args ...any) error {
	return &unsafeDirError{msg: fmt.Sprintf(format, args...)}
}

// IsLockConflict reports whether err, an open's, says that another
// process holds the engine's lock on the store file: a busy store, not a
// damaged one.
func IsLockConflict(err error) bool {
	return err != nil && strings.Contains(err.Error(), "Could not set lock on file")
}

// moveAway is the remedy for a store directory that cannot be trusted: a
// new one, and the store rebuilt in new files (a file someone else could
// write may still be open in their hands).
const moveAway = "move the store's directory away (the next job creates it anew and rebuilds the store from the ledger, checked against the audit log), then run 'ledgerlens verify all'"

// The extended attributes holding a POSIX ACL.
const (
	aclAccess  = "system.posix_acl_access"
	aclDefault = "system.posix_acl_default"
)

// Dir is the directory that holds the store, opened once, checked, and
// held open for as long as a command uses the store.
//
// The state directory around it may be writable by others (the audit log
// lives there). The store's directory is not: OpenDir refuses one that
// its group or others can write, that carries a default ACL (files the
// engine creates in it would take the ACL's permissions, not the
// umask's), or holding a file they can write or that its owner does not
// own; a writable open also refuses one that another account owns. Every
// path Dir hands out (Path) goes through this process's own handle on
// the directory (/proc/self/fd/N/NAME), so a directory renamed away, or
// another put in its place, after the check changes nothing the engine
// reads or the store's seal hashes: whoever cannot write the directory
// cannot change a byte the command reads, at any moment. Dir must not be
// used after Close.
type Dir struct {
	name  string // the directory as a person names it, for messages
	f     *os.File
	fd    int
	uid   uint32 // the directory's owner
	write bool
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
	// O_NOFOLLOW: a symbolic link put in the directory's place would
	// lead the engine wherever its maker chose.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.ENOTDIR) {
		return nil, unsafeDir("store directory %s is not a directory but a link or a file: %s", path, moveAway)
	}
	if err != nil {
		return nil, fmt.Errorf("store directory: %w", err)
	}
	d := &Dir{name: path, f: f, fd: int(f.Fd()), write: write}
	if created {
		// Made just now, it took the state directory's default ACL and,
		// in a setgid state directory, its group: both given up, so that
		// the umask decides the modes inside and the account's own group
		// the readers.
		err = d.claim()
	}
	if err == nil {
		err = d.check()
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return d, nil
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

// claim makes a directory OpenDir has just created the account's: no
// ACLs, mode 0750 (which also clears a setgid bit it inherited), and the
// process's own group rather than one it inherited from a setgid state
// directory, whose members (those who append to the audit log, say) must
// not read the store.
func (d *Dir) claim() error {
	for _, attr := range []string{aclDefault, aclAccess} {
		err := syscall.Removexattr(d.Path("."), attr)
		if err != nil && !errors.Is(err, syscall.ENODATA) && !errors.Is(err, syscall.ENOTSUP) && !errors.Is(err, syscall.EOPNOTSUPP) {
			return fmt.Errorf("store directory %s: remove the ACL it inherited: %w", d.name, err)
		}
	}
	if err := d.f.Chown(-1, os.Getegid()); err != nil {
		return fmt.Errorf("store directory %s: give it this account's group: %w", d.name, err)
	}
	if err := d.f.Chmod(0o750); err != nil {
		return fmt.Errorf("store directory %s: %w", d.name, err)
	}
	return nil
}

// Recheck applies OpenDir's rules again: a job calls it before it seals
// the store, so that no seal vouches for a file that someone else could
// have written while the job ran.
func (d *Dir) Recheck() error { return d.check() }

// check applies OpenDir's rules to the directory as opened and to every
// entry in it.
func (d *Dir) check() error {
	var st syscall.Stat_t
	if err := syscall.Fstat(d.fd, &st); err != nil {
		return fmt.Errorf("store directory %s: %w", d.name, err)
	}
	d.uid = st.Uid
	if euid := os.Geteuid(); d.write && int(st.Uid) != euid {
		return unsafeDir("store directory %s is owned by uid %d, not by the account running ledgerlens (uid %d), so nothing was read from it: if uid %d runs the jobs, run ledgerlens as that account; if not, someone else put it there: move it away (the next job rebuilds the store from the ledger, checked against the audit log), then run 'ledgerlens verify all'",
			d.name, st.Uid, euid, st.Uid)
	}
	if !d.write && int(st.Uid) != os.Geteuid() {
		// A reader under another account (an analyst) cannot tell the
		// jobs' directory by its owner being itself; the state directory
		// the jobs created is theirs. A directory someone who may write
		// the state directory put in the store's place is theirs.
		var parent syscall.Stat_t
		if err := syscall.Stat(d.Path(".."), &parent); err != nil {
			return fmt.Errorf("store directory %s: its parent: %w", d.name, err)
		}
		if parent.Uid != st.Uid {
			return unsafeDir("store directory %s is owned by uid %d, not by the state directory's owner (uid %d), the account that runs the jobs: someone else put it there, so nothing was read from it: %s",
				d.name, st.Uid, parent.Uid, moveAway)
		}
	}
	if err := unsafeMode(d.name, uint32(st.Mode)); err != nil {
		return err
	}
	if size, err := syscall.Getxattr(d.Path("."), aclDefault, nil); err == nil && size > 0 {
		return unsafeDir("store directory %s carries a default ACL: the files the engine creates in it take the ACL's permissions, not this account's alone, so nothing was read from it: %s", d.name, moveAway)
	}
	entries, err := os.ReadDir(d.Path("."))
	if errors.Is(err, fs.ErrNotExist) {
		// Not fs.ErrNotExist: the directory is there.
		return fmt.Errorf("store directory %s cannot be reached through this process's handle on it (%v): ledgerlens needs /proc mounted, as on any Linux host", d.name, err)
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
			return unsafeDir("%s is neither a file nor a directory (mode %o), which ledgerlens never puts in the store's directory: %s", name, est.Mode, moveAway)
		}
		if est.Uid != st.Uid {
			return unsafeDir("%s is owned by uid %d, not by the store directory's owner (uid %d): %s", name, est.Uid, st.Uid, moveAway)
		}
		if err := unsafeMode(name, uint32(est.Mode)); err != nil {
			return err
		}
	}
	return nil
}

// unsafeMode refuses a mode that lets the group or others write (with an
// ACL, the group bits are its mask: what any named user or group may).
func unsafeMode(name string, mode uint32) error {
	if mode&0o022 == 0 {
		return nil
	}
	return unsafeDir("%s can be written by its group or by others (mode %04o): whoever could write it may have changed the store unseen, or may still hold it open to write, so nothing was read from it: %s",
		name, mode&0o7777, moveAway)
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

// Open opens the store in the directory (see Open). A process that is
// not the directory's owner (an analyst, or root reading another
// account's store) spills into a directory of its own under TMPDIR,
// never beside the store: what it left there, killed, would be a file
// of another account in the store's directory, which every job refuses.
func (d *Dir) Open(ctx context.Context, opts Options) (*Store, error) {
	opts.spillElsewhere = int(d.uid) != os.Geteuid()
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
			return false, fmt.Errorf("store directory %s: %w", d.name, err)
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
		if st.Mode&syscall.S_IFMT != syscall.S_IFREG || st.Uid != d.uid {
			return false, unsafeDir("the store %s (where an earlier ledgerlens kept it) is not a file owned by uid %d, the store directory's owner, so it was not moved: if it is not yours, move it away (the next job rebuilds the store from the ledger, checked against the audit log), then run 'ledgerlens verify all'",
				legacy+suffix, d.uid)
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
	if err := d.f.Sync(); err != nil {
		return false, fmt.Errorf("store directory %s: %w", d.name, err)
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
		return fmt.Errorf("copy the store into %s: %w", d.name, err)
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

// Close closes the directory. The store must be closed first.
func (d *Dir) Close() error { return d.f.Close() }
