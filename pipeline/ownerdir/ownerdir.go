package ownerdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// ErrUnsafe is matched (errors.Is) by every error Open and Check return
// for a directory that is not its owner's alone, or not the owner the
// command may trust: nothing should be read from it.
var ErrUnsafe = errors.New("the directory cannot be trusted")

// Unsafe is the error of a directory that cannot be trusted. It matches
// ErrUnsafe and the caller's own sentinel (Kind.Err).
type Unsafe struct {
	Msg string
	err error // Kind.Err, or nil
}

func (e *Unsafe) Error() string { return e.Msg }

// Is matches ErrUnsafe and the Kind's own sentinel.
func (e *Unsafe) Is(target error) bool {
	return target == ErrUnsafe || (e.err != nil && target == e.err)
}

// Kind says what a directory holds, for its messages and errors.
type Kind struct {
	What   string // "store directory": how messages name the directory
	Remedy string // what to do when it cannot be trusted, ending its messages
	Err    error  // matched by its Unsafe errors too (nil: ErrUnsafe alone)
	// LostFound allows the lost+found directory a file system keeps at
	// its root (root's, writable by root alone) among the entries: the
	// directory may be a mount of its own.
	LostFound bool
}

// Unsafef is an Unsafe error of kind k.
func (k Kind) Unsafef(format string, args ...any) error {
	return &Unsafe{Msg: fmt.Sprintf(format, args...), err: k.Err}
}

// Dir is a directory opened once, checked, and held open for as long as a
// command reads it. Dir must not be used after Close.
type Dir struct {
	kind  Kind
	name  string // the directory as a person names it, for messages
	f     *os.File
	fd    int
	uid   uint32 // the directory's owner
	write bool
}

// Open opens the directory at path, without following a symbolic link in
// its place (a link would lead the command wherever its maker chose), and
// checks it (Check). write is for a command that changes what the
// directory holds: it must be the directory's owner. Any other command
// accepts its own directory or one the owner of the directory above it
// owns (the jobs' account, which made the state directory), so that an
// analyst or an auditor under an account of their own can read it. A
// missing directory is an error wrapping fs.ErrNotExist.
func Open(path string, kind Kind, write bool) (*Dir, error) {
	return OpenWith(path, kind, write, nil)
}

// OpenWith is Open with prepare, when not nil, run on the opened
// directory before it is checked: the store claims a directory it has
// just created so (its ACL and group are the creator's to set).
func OpenWith(path string, kind Kind, write bool, prepare func(*Dir) error) (*Dir, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.ENOTDIR) {
		return nil, kind.Unsafef("%s %s is not a directory but a link or a file: %s", kind.What, path, kind.Remedy)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kind.What, err)
	}
	d := &Dir{kind: kind, name: path, f: f, fd: int(f.Fd()), write: write}
	if prepare != nil {
		err = prepare(d)
	}
	if err == nil {
		err = d.Check()
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return d, nil
}

// Check applies Open's rules to the directory as opened and to every
// entry in it: the directory and each entry writable by their owner
// alone (with an ACL, the group bits are its mask: what any named user or
// group may), no default ACL on the directory (files created in it would
// take the ACL's permissions, not the umask's), every entry a regular
// file or a directory of the directory's owner. A command calls it again
// before it vouches for what it read (the store's seal).
func (d *Dir) Check() error {
	k := d.kind
	var st syscall.Stat_t
	if err := syscall.Fstat(d.fd, &st); err != nil {
		return fmt.Errorf("%s %s: %w", k.What, d.name, err)
	}
	d.uid = st.Uid
	if euid := os.Geteuid(); d.write && int(st.Uid) != euid {
		return k.Unsafef("%s %s is owned by uid %d, not by the account running ledgerlens (uid %d), so nothing was read from it: if uid %d runs the jobs, run ledgerlens as that account; if not, someone else put it there: %s",
			k.What, d.name, st.Uid, euid, st.Uid, k.Remedy)
	}
	if !d.write && int(st.Uid) != os.Geteuid() {
		// A reader under another account (an analyst) cannot tell the
		// jobs' directory by its owner being itself; the state directory
		// the jobs created is theirs. A directory someone who may write
		// the state directory put in its place is theirs.
		var parent syscall.Stat_t
		if err := syscall.Stat(d.Path(".."), &parent); err != nil {
			return fmt.Errorf("%s %s: its parent: %w", k.What, d.name, err)
		}
		if parent.Uid != st.Uid {
			return k.Unsafef("%s %s is owned by uid %d, not by the state directory's owner (uid %d), the account that runs the jobs: someone else put it there, so nothing was read from it: %s",
				k.What, d.name, st.Uid, parent.Uid, k.Remedy)
		}
	}
	if err := k.unsafeMode(d.name, uint32(st.Mode)); err != nil {
		return err
	}
	if size, err := syscall.Getxattr(d.Path("."), aclDefault, nil); err == nil && size > 0 {
		return k.Unsafef("%s %s carries a default ACL: the files created in it take the ACL's permissions, not this account's alone, so nothing was read from it: %s", k.What, d.name, k.Remedy)
	}
	entries, err := os.ReadDir(d.Path("."))
	if errors.Is(err, fs.ErrNotExist) {
		// Not fs.ErrNotExist: the directory is there.
		return fmt.Errorf("%s %s cannot be reached through this process's handle on it (%v): ledgerlens needs /proc mounted, as on any Linux host", k.What, d.name, err)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", k.What, d.name, err)
	}
	for _, e := range entries {
		var est syscall.Stat_t
		if err := syscall.Lstat(d.Path(e.Name()), &est); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed since (the engine's spill)
			}
			return fmt.Errorf("%s %s: %w", k.What, d.name, err)
		}
		name := filepath.Join(d.name, e.Name())
		if k.LostFound && e.Name() == "lost+found" && est.Mode&syscall.S_IFMT == syscall.S_IFDIR && est.Uid == 0 && est.Mode&0o022 == 0 {
			continue // root is trusted, and writes nothing there but a repair's finds
		}
		switch est.Mode & syscall.S_IFMT {
		case syscall.S_IFREG, syscall.S_IFDIR:
		default:
			return k.Unsafef("%s is neither a file nor a directory (mode %o), which ledgerlens never puts in the %s: %s", name, est.Mode, k.What, k.Remedy)
		}
		if est.Uid != st.Uid {
			return k.Unsafef("%s is owned by uid %d, not by the %s's owner (uid %d): %s", name, est.Uid, k.What, st.Uid, k.Remedy)
		}
		if err := k.unsafeMode(name, uint32(est.Mode)); err != nil {
			return err
		}
	}
	return nil
}

// The extended attributes holding a POSIX ACL.
const (
	aclAccess  = "system.posix_acl_access"
	aclDefault = "system.posix_acl_default"
)

// AccessACLAttribute is the extended attribute holding a file's POSIX
// access ACL: who may read and write it beside its mode.
const AccessACLAttribute = aclAccess

// ACLAttributes are the extended attributes that hold a POSIX ACL: the
// default one first.
func ACLAttributes() []string { return []string{aclDefault, aclAccess} }

// unsafeMode refuses a mode that lets the group or others write (with an
// ACL, the group bits are its mask: what any named user or group may).
func (k Kind) unsafeMode(name string, mode uint32) error {
	if mode&0o022 == 0 {
		return nil
	}
	return k.Unsafef("%s can be written by its group or by others (mode %04o): whoever could write it may have changed what it holds unseen, or may still hold it open to write, so nothing was read from it: %s",
		name, mode&0o7777, k.Remedy)
}

// Claim makes a directory its caller has just created the account's
// (pass it to OpenWith): no ACLs, the process's own group rather than one
// it inherited from a setgid parent, and mode (which also clears an
// inherited setgid bit). Made in a directory shared through a default
// ACL, it took that ACL, and the files created in it took the ACL's
// permissions, whatever the umask.
func (d *Dir) Claim(mode os.FileMode) error {
	for _, attr := range ACLAttributes() {
		err := syscall.Removexattr(d.Path("."), attr)
		if err != nil && !errors.Is(err, syscall.ENODATA) && !errors.Is(err, syscall.ENOTSUP) && !errors.Is(err, syscall.EOPNOTSUPP) {
			return fmt.Errorf("%s %s: remove the ACL it inherited: %w", d.kind.What, d.name, err)
		}
	}
	if err := d.f.Chown(-1, os.Getegid()); err != nil {
		return fmt.Errorf("%s %s: give it this account's group: %w", d.kind.What, d.name, err)
	}
	if err := d.f.Chmod(mode); err != nil {
		return fmt.Errorf("%s %s: %w", d.kind.What, d.name, err)
	}
	return nil
}

// Path is name in the directory, as this process reaches it through its
// own handle: the path to open, hand to another library, or hash.
func (d *Dir) Path(name string) string {
	return "/proc/self/fd/" + strconv.Itoa(d.fd) + "/" + name
}

// Name is name in the directory as a person names it, for messages.
func (d *Dir) Name(name string) string { return filepath.Join(d.name, name) }

// File is the open directory, to sync, chown or chmod, or to hand to a
// child process (which then reaches it as /proc/self/fd/N with N its own
// descriptor number).
func (d *Dir) File() *os.File { return d.f }

// UID is the directory's owner, as Check last found it.
func (d *Dir) UID() uint32 { return d.uid }

// Close closes the directory.
func (d *Dir) Close() error { return d.f.Close() }
