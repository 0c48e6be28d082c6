package job

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/lock"
	"github.com/ledgerlens/ledgerlens/reports"
)

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

// ErrIntegrity is what every integrity problem matches with errors.Is: the
// ledger modified or truncated, or a conflicting duplicate, without an
// acknowledgment; a broken audit chain. The command maps it to exit status 4 (docs/RULES.md, "Exit
// status"), which outranks 3 (findings).
var ErrIntegrity = errors.New("integrity problem")

// NotAsRecorded turns err, when it wraps reports.ErrNotAsRecorded (a file
// the record of publication names is missing or holds other bytes), into
// an integrity problem saying that nothing was done ("published",
// "proposed", "exported"). Any other error is returned as it is.
func NotAsRecorded(err error, done string) error {
	if !errors.Is(err, reports.ErrNotAsRecorded) {
		return err
	}
	return &IntegrityError{Problems: []string{fmt.Sprintf(
		"%v; nothing was %s: restore it, then run 'ledgerlens verify all'", err, done)}}
}

// ErrStoreDamaged is wrapped by Env.ProbeStore's error when opening the
// store ended the probing process: the file is damaged or was edited.
var ErrStoreDamaged = errors.New("the store is damaged")

// IntegrityError is a job that completed — its evidence published — but
// found integrity problems. Run returns it after recording job_end with
// the problems, so cron sees a failure although the report exists.
type IntegrityError struct {
	Problems []string // one line each
	// Published is set by Run for a job that published before it ended
	// with the problems: the one line cron mails says so, for under
	// --quiet only standard output, which cron discards, said it (an
	// outside review).
	Published bool
}

func (e *IntegrityError) Error() string {
	if e.Published {
		return "integrity problem (published all the same, the problems recorded with it): " + strings.Join(e.Problems, "; ")
	}
	return "integrity problem: " + strings.Join(e.Problems, "; ")
}

// Is makes errors.Is(err, ErrIntegrity) true.
func (e *IntegrityError) Is(target error) bool { return target == ErrIntegrity }

// WithProblems is a job's failure err together with the integrity
// problems it found before it, so that the failure does not hide them
// (exit 4). When err is itself an integrity problem they join its own,
// each said once: a record found changed by two checks was said twice in
// the one line cron mails (an outside review).
func WithProblems(err error, problems []string) error {
	if len(problems) == 0 {
		return err
	}
	var ie *IntegrityError
	if !errors.As(err, &ie) {
		return errors.Join(err, &IntegrityError{Problems: problems})
	}
	for _, p := range problems {
		if !slices.Contains(ie.Problems, p) {
			ie.Problems = append(ie.Problems, p)
		}
	}
	return err
}

// PeriodNotEndedError is a report asked for a period that has not ended
// (as of --as-of or now): its figures would still change, so it is not
// published under the final, write-once name. The command maps it to exit
// status 2, like a bad command line: --preliminary publishes it marked as
// such.
type PeriodNotEndedError struct {
	Period string    // its label
	End    time.Time // when it ends
	Now    time.Time
	// Preliminary is the file --preliminary would publish instead; "" for
	// a report that has no preliminary form.
	Preliminary string
}

func (e *PeriodNotEndedError) Error() string {
	advice := "wait until it has ended"
	if e.Preliminary != "" {
		advice = "pass --preliminary to publish " + e.Preliminary + ", or wait"
	}
	return fmt.Sprintf("period %s has not ended (it ends %s, now is %s): a final report of it would be wrong; %s",
		e.Period, e.End.UTC().Format(time.RFC3339), e.Now.UTC().Format(time.RFC3339), advice)
}

// RangeNotEndedError is an export asked for a range that has not ended
// (a year mistyped, as a rule): evidence of days to come does not exist
// yet, and a bundle "covering" them would pass a verifier's range check
// for any later period. The command maps it to exit status 2, like a bad
// command line.
type RangeNotEndedError struct {
	From, To string    // the range asked for
	End      time.Time // when its last day ends
	Now      time.Time
}

func (e *RangeNotEndedError) Error() string {
	return fmt.Sprintf("range %s to %s has not ended (its last day ends %s, now is %s): there is no evidence of the days to come; end the range on a day that is over",
		e.From, e.To, e.End.UTC().Format(time.RFC3339), e.Now.UTC().Format(time.RFC3339))
}

// PublishedThenFailedError is a job that published, its files recorded
// in the audit log, and then failed (a checkpoint on a full disk, a
// signal): the one line cron mails must not read as nothing published.
type PublishedThenFailedError struct{ Err error }

func (e *PublishedThenFailedError) Error() string {
	return "published, and recorded in the audit log, then failed: " + e.Err.Error()
}

func (e *PublishedThenFailedError) Unwrap() error { return e.Err }
