package job

import "github.com/ledgerlens/ledgerlens/pipeline/lock"

// BlockedError is an input the job refuses to run on (job state blocked):
// the fix is to correct the input, not to retry.
type BlockedError struct{ Err error }

func (e *BlockedError) Error() string { return e.Err.Error() }
func (e *BlockedError) Unwrap() error { return e.Err }

// Blocked wraps err as a *BlockedError; nil stays nil.
func Blocked(err error) error {
	if err == nil {
		return nil
	}
	return &BlockedError{err}
}

// RefusedError is an action a rule refuses (for example the maker-checker
// rules refusing an approval). Jobs return it wrapped in a BlockedError:
// the job is recorded as blocked and nothing was changed.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return "approval refused: " + e.Reason }

// LockHeldError is returned by Run when another process holds the state
// directory's lock for longer than Env.LockTimeout. It names the holder.
type LockHeldError = lock.HeldError
