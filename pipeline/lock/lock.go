package lock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// pollInterval is how often Acquire retries while another job holds the lock.
const pollInterval = 100 * time.Millisecond

// Holder says who holds (or held) a lock.
type Holder struct {
	PID       int       `json:"pid"`
	StartedAt time.Time `json:"started_at"`
	Command   string    `json:"command"`
	Hostname  string    `json:"hostname"`
	// Until, when set, is when the holder has promised to have released
	// the lock (a query's time limit): Acquire waits for such a holder
	// beyond its own timeout, up to Until and a grace period, so a job
	// started during a query runs after it rather than failing.
	Until time.Time `json:"until,omitzero"`
	// Reader is set by AcquireToRead: a holder that changes nothing,
	// whose end without a release leaves nothing to recover.
	Reader bool `json:"reader,omitzero"`
	// Unrecovered, in a reader's record, is the holder before it that
	// ended without releasing the lock and that no job has recovered
	// yet: carried for the next job to record, not erased by a query
	// run in between (a review of this stop's fixes).
	Unrecovered *Holder `json:"unrecovered,omitempty"`
}

// unrecovered is the holder that ended without releasing the lock that
// prev, the record found, stands for: prev itself when it was not a
// reader's, the one a reader's record carries, or nil.
func unrecovered(prev Holder) *Holder {
	switch {
	case prev.PID == 0:
		return nil
	case !prev.Reader:
		return &prev
	}
	return prev.Unrecovered
}

// BoundedGrace is how long after a holder's Until Acquire still waits: the
// holder's own cleanup after its deadline. A holder must be gone by then
// (a query ends its process before it, even with its output blocked).
const BoundedGrace = 30 * time.Second

// MaxBoundedWait caps how far ahead a holder's Until is honoured: a holder
// promising more is waited for only this long from when the wait began.
const MaxBoundedWait = time.Hour

// CurrentHolder describes this process running command since startedAt
// (injected, so that the record is reproducible in tests).
func CurrentHolder(command string, startedAt time.Time) Holder {
	host, _ := os.Hostname()
	return Holder{PID: os.Getpid(), StartedAt: startedAt.UTC(), Command: command, Hostname: host}
}

// String describes the holder as in error messages:
// "pid 1234 (report weekly) since 2026-11-16T10:00:01Z".
func (h Holder) String() string {
	if h.PID == 0 {
		return "a process that left no record of itself (a reader under another account, such as an analyst's query, or one just starting)"
	}
	s := fmt.Sprintf("pid %d", h.PID)
	if h.Command != "" {
		s += " (" + h.Command + ")"
	}
	if !h.StartedAt.IsZero() {
		s += " since " + h.StartedAt.UTC().Format(time.RFC3339)
	}
	return s
}

// OverdueError is returned by Acquire when a holder that promised to
// release the lock by a time (Holder.Until) still holds it after that time
// and a grace period: it is stuck or stopped (SIGSTOP), or its record was
// edited. Unlike a HeldError it is not a busy lock to retry later, and the
// command reports it as a failure.
type OverdueError struct {
	Path   string
	Holder Holder
}

func (e *OverdueError) Error() string {
	return fmt.Sprintf("%s still holds the lock %s past the time it promised to release it by (%s): it is stuck or stopped; end it (kill %d) for the jobs to run",
		e.Holder, e.Path, e.Holder.Until.UTC().Format(time.RFC3339), e.Holder.PID)
}

// HeldError is returned by Acquire when another process holds the lock
// until the timeout. The command maps it to exit status 75 (EX_TEMPFAIL).
type HeldError struct {
	Path   string
	Holder Holder // zero if the holder's record could not be read
	// FileReplaced is set when the directory's lock is held but not the
	// lock file's: the file was removed (or replaced) while a job held it,
	// taking the holder's record with it.
	FileReplaced bool
	// Lockers are the processes the kernel lists as holding the lock,
	// described (lockers), for a holder that left no record.
	Lockers []string
}

func (e *HeldError) Error() string {
	msg := "another ledgerlens process holds the lock: " + e.Holder.String()
	if e.Holder.PID == 0 && len(e.Lockers) > 0 {
		msg = "another process holds the lock " + e.Path + ": " + strings.Join(e.Lockers, "; ") +
			" (it left no record of itself: a reader under another account, such as an analyst's query, or another program; end it for the jobs to run)"
	}
	if e.FileReplaced {
		msg += fmt.Sprintf(" (its directory is locked but the lock file %s is free: the file was removed while a job held it, so who holds it is not known — never remove it — or another program locks %s itself)", e.Path, filepath.Dir(e.Path))
	}
	// The host matters only when the state directory is shared.
	if host, _ := os.Hostname(); e.Holder.Hostname != "" && e.Holder.Hostname != host {
		msg += " on host " + e.Holder.Hostname
	}
	return msg
}

// Lock is a held lock. Release it when the job ends; if the process dies
// first, the kernel releases it. Keep the *Lock reachable until Release: the
// runtime closes an unreachable file, which would release the lock early.
type Lock struct {
	// Recovered is the previous holder when it ended without releasing the
	// lock (killed, crashed, or exited early): its record was still in the
	// lock file although nobody held the lock. nil after a clean release,
	// and after a reader's end (a query cut by SIGPIPE under `| head`
	// made the next job sign a lock_recovered entry that stood for
	// nothing: an outside review).
	Recovered *Holder

	path     string
	f        *os.File
	dir      *os.File // the lock file's directory, locked too (tryLock)
	readOnly bool     // AcquireToRead's fallback: no holder record to clear
	keep     *Holder  // a reader's: the unrecovered holder Release puts back
}

// Path returns the lock file's path.
func (l *Lock) Path() string { return l.path }

// Acquire takes the exclusive lock on path (created, with its directory, if
// missing) and records holder in it. While another process holds it,
// Acquire polls until timeout has passed (0 = try once) or ctx is done, then
// returns a *HeldError naming that process. Zero PID and Hostname in holder
// are filled in from this process.
func Acquire(ctx context.Context, path string, timeout time.Duration, holder Holder) (*Lock, error) {
	return acquire(ctx, path, timeout, holder, true, false)
}

// AcquireToRead is Acquire for a command that only reads the state
// (query, verify). When this account may not write the lock file (an
// analyst or an auditor under their own account, allowed to read the
// store but not to change anything), or the filesystem is mounted
// read-only (a snapshot, or a read-only view of a live root that jobs
// write through another mount), it takes the same lock through a
// read-only descriptor and records no holder: a job that finds the lock
// held then names no holder, and does not wait for a bounded one. On a
// read-only filesystem without a lock file it returns a nil *Lock:
// there is nothing to lock, and no job has ever run there.
func AcquireToRead(ctx context.Context, path string, timeout time.Duration, holder Holder) (*Lock, error) {
	holder.Reader = true
	l, err := acquire(ctx, path, timeout, holder, true, false)
	readOnlyFS := errors.Is(err, syscall.EROFS)
	if !errors.Is(err, fs.ErrPermission) && !readOnlyFS {
		return l, err
	}
	l, err = acquire(ctx, path, timeout, holder, true, true)
	if readOnlyFS && errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return l, err
}

// AcquireFile is Acquire on the lock file alone, not on its directory: a
// lock held for a whole process's life beside the jobs' (one scheduler
// per state directory), which must not keep the jobs out.
func AcquireFile(ctx context.Context, path string, timeout time.Duration, holder Holder) (*Lock, error) {
	return acquire(ctx, path, timeout, holder, false, false)
}

// acquire takes the lock; readOnly opens the file read-only, without
// creating it, and writes no holder record.
func acquire(ctx context.Context, path string, timeout time.Duration, holder Holder, withDir, readOnly bool) (*Lock, error) {
	if holder.PID == 0 {
		holder.PID = os.Getpid()
	}
	if holder.Hostname == "" {
		holder.Hostname, _ = os.Hostname()
	}

	if !readOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
	}
	var dir *os.File
	var err error
	if withDir {
		dir, err = os.Open(filepath.Dir(path))
		if errors.Is(err, fs.ErrPermission) {
			// A directory this account may enter but not list (mode
			// 0711): the file's lock alone, as before the directory's
			// was added.
			dir = nil
		} else if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
	}
	f, err := openRegular(path, readOnly)
	if err != nil {
		closeDir(dir)
		return nil, err
	}
	fail := func(err error) (*Lock, error) {
		f.Close()
		closeDir(dir)
		return nil, err
	}
	began := time.Now()
	deadline := began.Add(timeout)
	for {
		dirHeld, err := tryLock(dir, f)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			return fail(fmt.Errorf("lock %s: flock: %w", path, err))
		}
		wait := min(pollInterval, time.Until(deadline))
		if wait <= 0 {
			h := readHolder(f)
			if h.gone() {
				// A record its process left when it died (a query cut by
				// SIGPIPE, its watchdog, SIGKILL): not who holds the
				// lock now. Read as one, it named a dead pid to kill
				// and exited 1 while an analyst's query held the lock
				// (an outside review); the kernel names the holder.
				h = Holder{}
			}
			if !h.Until.IsZero() {
				until := h.Until
				if limit := began.Add(MaxBoundedWait); until.After(limit) {
					until = limit
				}
				if end := until.Add(BoundedGrace); time.Now().Before(end) {
					deadline = end // a bounded holder: wait it out
					continue
				}
				return fail(&OverdueError{Path: path, Holder: h})
			}
			he := &HeldError{Path: path, Holder: h, FileReplaced: dirHeld && fileReplaced(f)}
			if h.PID == 0 {
				he.Lockers = lockers(f, dir)
			}
			return fail(he)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fail(fmt.Errorf("waiting for the lock held by %s: %w", readHolder(f), ctx.Err()))
		case <-t.C:
		}
	}

	l := &Lock{path: path, f: f, dir: dir, readOnly: readOnly}
	if readOnly {
		return l, nil
	}
	prev := unrecovered(readHolder(f))
	if holder.Reader {
		// Not ours to recover: kept in our record, and put back on
		// release, for the next job.
		holder.Unrecovered, l.keep = prev, prev
	} else {
		l.Recovered = prev
	}
	record, err := json.Marshal(holder)
	if err != nil {
		l.Release()
		return nil, fmt.Errorf("lock %s: encode holder: %w", path, err)
	}
	if err := writeRecord(f, record); err != nil {
		l.Release()
		return nil, fmt.Errorf("lock %s: record holder: %w", path, err)
	}
	return l, nil
}

// Release clears the holder record and releases the lock. A cleared record
// is what tells the next holder that this one ended cleanly. Release is
// idempotent.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	var terr error
	if !l.readOnly {
		// Empty after a clean release, unless a reader holds a crash
		// no job has recovered yet: that record goes back.
		var keep []byte
		if l.keep != nil {
			keep, terr = json.Marshal(l.keep)
		}
		if terr == nil {
			terr = writeRecord(f, keep) // writes nothing for none
		}
	}
	// Closing the last descriptor releases the flock.
	cerr := f.Close()
	if err := closeDir(l.dir); cerr == nil {
		cerr = err
	}
	if terr != nil {
		return fmt.Errorf("release lock %s: clear holder record: %w", l.path, terr)
	}
	if cerr != nil {
		return fmt.Errorf("release lock %s: %w", l.path, cerr)
	}
	return nil
}

// tryLock takes, without waiting, the lock on the lock file's directory
// and then on the file. The file alone could be removed while a job held
// it (a careless "stale lock" clean-up): the next job would create a new
// file, lock it and run beside the first, both appending to one audit log.
// The directory holds the state, so it is not removed lightly; renamed or
// replaced whole while a job runs, the state itself changes under the job,
// which the audit log's checks then report. The file's lock is kept for
// the holder's record and for older binaries that lock only the file.
// dirHeld reports that the directory's lock is what another process holds.
// A nil dir (not listable by this account) is not locked.
func tryLock(dir, f *os.File) (dirHeld bool, err error) {
	if dir == nil {
		return false, syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	}
	if err := syscall.Flock(int(dir.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return true, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		syscall.Flock(int(dir.Fd()), syscall.LOCK_UN)
		return false, err
	}
	return false, nil
}

// fileReplaced reports, once another process is found holding the
// directory's lock, whether the lock on f stays free: then the file was
// removed (or replaced) under its holder. A holder takes the file's lock a
// moment after the directory's, so the first look waits past that moment;
// each look takes the file's lock for an instant.
func fileReplaced(f *os.File) bool {
	for range 3 {
		time.Sleep(20 * time.Millisecond)
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			return false
		}
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	}
	return true
}

func closeDir(dir *os.File) error {
	if dir == nil {
		return nil
	}
	return dir.Close()
}

// openRegular opens (creating if missing) the lock file without following
// a symbolic link and refuses anything but a regular file. A job often runs
// as root: following a planted .ledgerlens/lock symlink would truncate
// whatever it points to, and a FIFO or device would hang or misbehave.
// O_NONBLOCK keeps the open itself from blocking on a FIFO; it has no
// effect on a regular file.
func openRegular(path string, readOnly bool) (*os.File, error) {
	flags := os.O_RDWR | os.O_CREATE
	if readOnly {
		flags = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flags|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o644)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("lock %s is a symbolic link; refusing to follow it (remove it, ledgerlens creates the lock file itself)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("lock %s is not a regular file (%s); refusing to use it", path, fi.Mode().Type())
	}
	return f, nil
}

// readHolder reads the holder record; a missing, partial or garbled record
// gives the zero Holder (the holder may be between open and write).
// gone reports whether h names a process of this host that no longer
// exists.
func (h Holder) gone() bool {
	if h.PID <= 0 {
		return false
	}
	if host, err := os.Hostname(); err != nil || host != h.Hostname {
		return false
	}
	return errors.Is(syscall.Kill(h.PID, 0), syscall.ESRCH)
}

func readHolder(f *os.File) Holder {
	data, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<16))
	if err != nil {
		return Holder{}
	}
	data = bytes.TrimSpace(data)
	var h Holder
	if len(data) == 0 || json.Unmarshal(data, &h) != nil {
		return Holder{}
	}
	return h
}

// writeRecord replaces the lock file's content with record, a JSON
// holder, and a line end (nothing at all for an empty record).
func writeRecord(f *os.File, record []byte) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if len(record) > 0 {
		if _, err := f.WriteAt(append(record, '\n'), 0); err != nil {
			return err
		}
	}
	return f.Sync()
}
