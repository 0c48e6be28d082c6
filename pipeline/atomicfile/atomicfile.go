package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unsafe"
)

// File is a destination being written. Bytes written go to a temporary file
// next to the destination; Commit makes them the destination's content in
// one rename, Abort discards them. Exactly one of the two must be called;
// after Commit, a deferred Abort is a harmless no-op, which makes
//
//	f, err := atomicfile.Create(path, 0o644)
//	if err != nil { return err }
//	defer f.Abort()
//	... write ...
//	return f.Commit()
//
// the idiomatic use. A File is not safe for concurrent use.
type File struct {
	tmp  *os.File
	path string
	perm os.FileMode
	done bool
	err  error // first write error; Commit refuses to publish after one
	// written counts the bytes written, for the alignment of direct
	// writes; buffered is set once the file system refused one.
	written  int64
	buffered bool
}

// A write of at least directMin bytes goes to the disk directly (O_DIRECT)
// rather than through the page cache, when the buffer and the offset are
// aligned to directAlign (a large Go allocation is): Commit makes the file
// durable anyway, and copying tens of megabytes into fresh page-cache pages
// cost the weekly job more CPU than the disk write itself (bench/HISTORY.md).
// The unaligned tail of such a write goes through the page cache.
const (
	directMin   = 1 << 20
	directAlign = 4096
)

// Create starts writing path. The temporary file is created in path's
// directory, which must exist. perm is applied exactly (it is not filtered by
// the umask) so that, for example, a 0600 key file is never briefly wider.
func Create(path string, perm os.FileMode) (*File, error) {
	return CreateIn("", path, perm)
}

// CreateIn is Create with the temporary file in dir rather than beside
// path ("" = beside it): a scratch directory of the writer's, so that a
// writer killed before it commits leaves nothing in path's directory. dir
// must be on path's file system, or Commit fails.
func CreateIn(dir, path string, perm os.FileMode) (*File, error) {
	pdir, base := filepath.Split(path)
	if base == "" {
		return nil, fmt.Errorf("atomic write %q: path names a directory", path)
	}
	if dir == "" {
		dir = pdir
	}
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*"+tempSuffix)
	if err != nil {
		return nil, fmt.Errorf("atomic write %s: create temporary file: %w", path, err)
	}
	return &File{tmp: tmp, path: path, perm: perm}, nil
}

// tempSuffix ends the name of a write's temporary file: "." + the
// destination's name + "." + a random number + tempSuffix.
const tempSuffix = ".tmp"

// IsTemp reports whether name is named as a write's temporary file, which
// a write under way, or one a kill cut short, leaves in a directory: a
// checker of a directory's files passes over those and nothing else.
func IsTemp(name string) bool {
	rest, ok := strings.CutPrefix(name, ".")
	if !ok {
		return false
	}
	if rest, ok = strings.CutSuffix(rest, tempSuffix); !ok {
		return false
	}
	i := strings.LastIndexByte(rest, '.')
	if i <= 0 || i == len(rest)-1 {
		return false
	}
	for _, c := range rest[i+1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Name returns the destination path (not the temporary file's).
func (f *File) Name() string { return f.path }

// Write appends p to the pending content.
func (f *File) Write(p []byte) (int, error) {
	if f.done {
		return 0, fmt.Errorf("atomic write %s: write after commit or abort", f.path)
	}
	if f.err != nil {
		return 0, f.err
	}
	n, err := f.writeDirect(p)
	if err == nil {
		var m int
		m, err = f.tmp.Write(p[n:])
		n += m
	}
	f.written += int64(n)
	if err != nil {
		f.err = fmt.Errorf("atomic write %s: %w", f.path, err)
		return n, f.err
	}
	return n, nil
}

// writeDirect writes the longest aligned head of p with O_DIRECT, when p
// is large and aligned and the file system takes it (see directMin), and
// returns how much it wrote; the caller writes the rest.
func (f *File) writeDirect(p []byte) (int, error) {
	k := len(p) &^ (directAlign - 1)
	if f.buffered || len(p) < directMin || f.written%directAlign != 0 ||
		uintptr(unsafe.Pointer(unsafe.SliceData(p)))%directAlign != 0 {
		return 0, nil
	}
	if err := setDirect(f.tmp, true); err != nil {
		f.buffered = true
		return 0, nil
	}
	n, err := f.tmp.Write(p[:k])
	if err != nil && n == 0 && directRefused(err) {
		f.buffered, err = true, nil
	}
	if derr := setDirect(f.tmp, false); derr != nil && err == nil {
		err = fmt.Errorf("turn direct writes off: %w", derr)
	}
	return n, err
}

// Sync makes the bytes written so far durable in the temporary file
// (fsync), without making them the destination's content. Commit syncs
// anyway; a writer that has time before it commits (Publisher.Prepare)
// calls Sync then, so that Commit has little left to wait for.
func (f *File) Sync() error {
	if f.done {
		return fmt.Errorf("atomic write %s: sync after commit or abort", f.path)
	}
	if f.err != nil {
		return f.err
	}
	if err := f.tmp.Sync(); err != nil {
		f.err = fmt.Errorf("atomic write %s: fsync: %w", f.path, err)
		return f.err
	}
	return nil
}

// Commit makes the written bytes the content of the destination: fsync,
// close, chmod, rename, fsync of the directory. On error the temporary file
// is removed and the destination keeps its previous content (unless the
// failure was the final directory fsync, after which the rename may or may
// not survive a crash; the error says so).
func (f *File) Commit() error { return f.commit(false) }

// commit is Commit; noReplace links the file into place instead of
// renaming it there, which fails (fs.ErrExist) rather than replace a file
// already at the destination.
func (f *File) commit(noReplace bool) error {
	if f.done {
		return fmt.Errorf("atomic write %s: commit after commit or abort", f.path)
	}
	f.done = true
	tmpName := f.tmp.Name()
	fail := func(err error) error {
		_ = f.tmp.Close()
		_ = os.Remove(tmpName)
		return err
	}
	if f.err != nil {
		return fail(f.err)
	}
	if err := f.tmp.Chmod(f.perm); err != nil {
		return fail(fmt.Errorf("atomic write %s: chmod: %w", f.path, err))
	}
	if err := f.tmp.Sync(); err != nil {
		return fail(fmt.Errorf("atomic write %s: fsync: %w", f.path, err))
	}
	if err := f.tmp.Close(); err != nil {
		_ = os.Remove(tmpName)
		return fmt.Errorf("atomic write %s: close: %w", f.path, err)
	}
	if noReplace {
		err := os.Link(tmpName, f.path)
		_ = os.Remove(tmpName)
		if err != nil {
			return fmt.Errorf("atomic write %s: %w", f.path, err)
		}
	} else if err := os.Rename(tmpName, f.path); err != nil {
		_ = os.Remove(tmpName)
		return fmt.Errorf("atomic write %s: rename: %w", f.path, err)
	}
	if err := SyncDir(filepath.Dir(f.path)); err != nil {
		return fmt.Errorf("atomic write %s: renamed but not yet durable: %w", f.path, err)
	}
	return nil
}

// Abort discards the pending content and removes the temporary file. It is a
// no-op after Commit or a previous Abort, so it can always be deferred.
func (f *File) Abort() error {
	if f.done {
		return nil
	}
	f.done = true
	cerr := f.tmp.Close()
	rerr := os.Remove(f.tmp.Name())
	if rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		return fmt.Errorf("atomic write %s: remove temporary file: %w", f.path, rerr)
	}
	if cerr != nil && !errors.Is(cerr, os.ErrClosed) {
		return fmt.Errorf("atomic write %s: close temporary file: %w", f.path, cerr)
	}
	return nil
}

// WriteFile atomically replaces path with data, like os.WriteFile but with
// the guarantees of the package doc. perm is applied exactly.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, false)
}

// WriteNew writes data to path, which must not exist yet, with the
// guarantees of the package doc: the file appears whole or not at all,
// and a file already at path is never replaced (an error matching
// fs.ErrExist). perm is applied exactly.
func WriteNew(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, true)
}

// write is WriteFile, or WriteNew with noReplace.
func write(path string, data []byte, perm os.FileMode, noReplace bool) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.commit(noReplace)
}

// SyncDir fsyncs a directory so that entries created, renamed or removed in
// it survive a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	serr := d.Sync()
	cerr := d.Close()
	if serr != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, serr)
	}
	if cerr != nil {
		return fmt.Errorf("close directory %s: %w", dir, cerr)
	}
	return nil
}
