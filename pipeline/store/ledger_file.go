package store

import (
	"context"
	"fmt"
	"os"
)

// LedgerFile is a ledger opened once for an ingest (Store.IngestLedger):
// the ingest reads this open file, whatever its path names by then, and
// the append-only check's hashing of the prefix the store covers can
// begin before the store is open (Prehash).
type LedgerFile struct {
	path string
	f    *os.File
	pre  *chunkDigester // Prehash's, until the ingest takes it
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

// Prehash starts digesting the ledger's first covered bytes in the
// background, on one thread that yields to the process's others: covered
// is what the caller expects the store to cover (a job's audit log records
// it), so that the append-only check has begun on the core the store's
// opening leaves idle. The check uses these digests only when the
// store covers exactly covered bytes of a ledger at least that long,
// adding the other cores to finish them; otherwise it discards them and
// hashes as it would have. The digests are compared with the store's as
// any check's are: nothing is trusted for having been hashed early. A
// second call, or covered ≤ 0, does nothing.
func (l *LedgerFile) Prehash(ctx context.Context, covered int64) {
	if l.pre != nil || covered <= 0 {
		return
	}
	l.pre = startBackgroundDigester(ctx, l.f, covered)
}

// takePrehash returns Prehash's digester when it digests [0, n) of the
// ledger, and nil otherwise, stopping it. Either way the ledger no longer
// holds it: the caller waits for it or stops it.
func (l *LedgerFile) takePrehash(n int64) *chunkDigester {
	d := l.pre
	l.pre = nil
	if d != nil && d.size != n {
		d.stop()
		return nil
	}
	return d
}

// Close stops any digesting still under way and closes the file.
func (l *LedgerFile) Close() error {
	if l.pre != nil {
		l.pre.stop()
		l.pre = nil
	}
	return l.f.Close()
}
