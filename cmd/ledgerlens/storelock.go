package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/lock"
)

// defaultReadLockTimeout is how long a command that only reads the store
// (query, verify) waits for a running job before exiting 75.
const defaultReadLockTimeout = 10 * time.Second

// readLock takes the state directory's lock for a command that opens the
// store without a job (query, verify ledger, verify all): DuckDB refuses
// to open a database another process is writing, so without the lock a
// reader would fail with a raw engine error, or make a job starting now
// fail. It waits up to timeout, then returns the *lock.HeldError naming
// the holder (exit 75). A root without a state directory has no store to
// protect: nothing is locked (and nothing created); the caller's open
// reports the missing store. Release the returned lock when done.
func (a *app) readLock(ctx context.Context, command string, timeout time.Duration) (*lock.Lock, error) {
	l := a.layout()
	if _, err := os.Stat(l.StateDir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return lock.Acquire(ctx, l.LockFile, timeout, lock.CurrentHolder(command, time.Now()))
}
