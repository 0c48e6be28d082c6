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
// reports the missing store. An account that may read the store but not
// write the lock file (an analyst or an auditor under their own account)
// takes the lock read-only (lock.AcquireToRead). A root on a read-only filesystem (a snapshot
// mounted for an auditor) has no lock file to take and nothing any
// process could write there: it is read without the lock. Release the
// returned lock when done.
func (a *app) readLock(ctx context.Context, command string, timeout time.Duration) (*lock.Lock, error) {
	return a.boundedLock(ctx, command, timeout, 0)
}

// boundedLock is readLock for a command that promises to release the lock
// within limit of taking it (0: no promise): the holder record says until
// when (counting the wait for the lock too, so the record is right from
// its first write), and jobs wait for it (lock.Holder.Until) instead of
// exiting 75.
func (a *app) boundedLock(ctx context.Context, command string, timeout, limit time.Duration) (*lock.Lock, error) {
	l := a.layout()
	if _, err := os.Stat(l.StateDir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	h := lock.CurrentHolder(command, time.Now())
	if limit > 0 {
		h.Until = h.StartedAt.Add(timeout + limit)
	}
	return lock.AcquireToRead(ctx, l.LockFile, timeout, h)
}
