package store

import (
	"context"
	"fmt"
	"os"
	"time"
)

// LedgerFile is a ledger opened before an ingest (Store.IngestLedger), so
// that the append-only check's hashing of the prefix the store covers can
// begin before the store is open (Prehash). The ingest reads the file the
// path names when it begins, as Ingest does: if the path names another
// file by then, it is opened anew and the early digests are dropped.
type LedgerFile struct {
	path string
	f    *os.File
	pre  *chunkDigester // Prehash's, until the ingest takes it
	// preState is the file's state when Prehash began: the digests stand
	// only while the file is still in it (unchanged).
	preState os.FileInfo
}

// OpenLedgerFile opens the ledger at path for an ingest. A missing ledger
// is an error (errors.Is fs.ErrNotExist), never an empty one, and the
// ledger must be a regular file or a symbolic link to one: the error
// Ingest gives, without touching any store.
func OpenLedgerFile(path string) (*LedgerFile, error) {
	f, err := openLedger(path)
	if err != nil {
		return nil, fmt.Errorf("ingest %s: %w", path, err)
	}
	return &LedgerFile{path: path, f: f}, nil
}

// settled is how long ago a file's last change must be for Prehash to
// trust its change time to move at the next write: the kernel may stamp
// a change with a clock that advances a tick at a time (at most 10 ms, at
// the slowest tick rate Linux offers) and lags the real time by up to a
// tick, so a write in the tick of the one before could leave the time as
// it was. Two ticks after a change, the next one is stamped later.
const settled = 20 * time.Millisecond

// Prehash starts digesting the ledger's first covered bytes in the
// background, on one thread that yields to the process's others: covered
// is what the caller expects the store to cover (a job's audit log records
// it), so that the append-only check has begun on the core the store's
// opening leaves idle. It does nothing for a covered outside (0, the
// file's size], on a second call, for a file changed in the last moments
// (settled), or where a file's change time cannot be read (changeTime).
// The check uses these digests only when the store covers exactly covered
// bytes and the file has not changed since Prehash began (its size,
// modification and change times); otherwise, and when the digesting met
// an error, it drops them and hashes as it would have. They are compared
// with the store's record as any check's digests are.
func (l *LedgerFile) Prehash(ctx context.Context, covered int64) {
	if l.pre != nil {
		return
	}
	fi, err := l.f.Stat()
	if err != nil || covered <= 0 || covered > fi.Size() {
		return
	}
	if changed, ok := changeTime(fi); !ok || time.Since(changed) < settled {
		return
	}
	l.preState = fi
	l.pre = startBackgroundDigester(ctx, l.f, covered)
}

// current makes l the file its path names now, as Ingest would open it:
// when the path names another file (replaced by a rename, say), that one
// is opened instead and the early digests are dropped.
func (l *LedgerFile) current() error {
	now, err := os.Stat(l.path)
	if err == nil {
		if fi, err := l.f.Stat(); err == nil && os.SameFile(now, fi) {
			return nil
		}
	}
	f, err := openLedger(l.path)
	if err != nil {
		return err
	}
	l.dropPrehash()
	l.f.Close()
	l.f = f
	return nil
}

// takePrehash returns Prehash's digester when it digests [0, n) of the
// ledger and the file is as it was when Prehash began, and nil otherwise
// (stopping it). Either way the ledger no longer holds it: the caller
// waits for it or stops it.
func (l *LedgerFile) takePrehash(n int64) *chunkDigester {
	d := l.pre
	l.pre = nil
	if d == nil {
		return nil
	}
	if d.size != n || !l.unchanged() {
		d.stop()
		return nil
	}
	return d
}

// unchanged reports whether the file is in the state Prehash saw: the
// same size and modification and change times. Every write changes the
// change time, which no one can set back without setting the clock.
func (l *LedgerFile) unchanged() bool {
	fi, err := l.f.Stat()
	if err != nil {
		return false
	}
	was, ok1 := changeTime(l.preState)
	now, ok2 := changeTime(fi)
	return ok1 && ok2 && was.Equal(now) && fi.Size() == l.preState.Size() && fi.ModTime().Equal(l.preState.ModTime())
}

// dropPrehash stops Prehash's digesting, if any.
func (l *LedgerFile) dropPrehash() {
	if l.pre != nil {
		l.pre.stop()
		l.pre = nil
	}
}

// Close stops any digesting still under way and closes the file.
func (l *LedgerFile) Close() error {
	l.dropPrehash()
	return l.f.Close()
}
