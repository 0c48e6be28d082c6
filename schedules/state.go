package schedules

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/atomicfile"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// stateVersion is the layout of the state file. A file with another version
// is refused rather than misread.
const stateVersion = 1

// maxRetainedFailures bounds the failed fire times kept per job for retry.
// Every retained failure is retried at each of the job's fires, so without a
// bound a job that fails every day would retry an ever longer list.
const maxRetainedFailures = 32

// maxCatchUp bounds the missed fire times one job runs in a single round
// after an outage; older ones are skipped (and logged). It only matters for
// sub-daily schedules after a long outage: a weekly job would need ten years.
const maxCatchUp = 500

// state is the daemon's persistent record, one entry per job name. It is
// JSON so an operator can read it; maps marshal with sorted keys, so equal
// states give equal bytes.
type state struct {
	Version int                  `json:"version"`
	Jobs    map[string]*jobState `json:"jobs"`
}

// jobState is what the daemon remembers about one job between starts.
type jobState struct {
	// ScheduledThrough: every fire time at or before it has been run (or
	// predates the job's first start). Fire times after it are due once the
	// clock passes them; that is what makes a restart catch up.
	ScheduledThrough time.Time `json:"scheduled_through"`
	// LastCompletedFire is the latest fire time whose run completed
	// successfully; nil until one has.
	LastCompletedFire *time.Time `json:"last_completed_fire"`
	// Failed lists fire times at or before ScheduledThrough whose last run
	// failed, oldest first; each is retried at the next start and at each
	// of the job's later fires until it succeeds.
	Failed []failedFire `json:"failed"`
	// LastRun and LastSuccess describe the most recent run and the most
	// recent successful run; they seed the metrics file when it is missing.
	LastRun     *runRecord `json:"last_run"`
	LastSuccess *runRecord `json:"last_success"`
}

// failedFire is a fire time awaiting retry.
type failedFire struct {
	Fire        time.Time `json:"fire"`
	Attempts    int       `json:"attempts"`
	LastError   string    `json:"last_error"`
	LastAttempt time.Time `json:"last_attempt"`
}

// runRecord describes one finished run.
type runRecord struct {
	Fire     time.Time        `json:"fire"`
	Started  time.Time        `json:"started"`
	Finished time.Time        `json:"finished"`
	Status   string           `json:"status"` // "ok" or "failed"
	Error    string           `json:"error,omitempty"`
	Rows     int64            `json:"rows"`
	Rejects  int64            `json:"rejects"`
	Findings map[string]int64 `json:"findings,omitempty"`
}

// loadState reads the state file; a missing file is an empty state (first
// start). A corrupt file is an error: silently starting afresh would skip
// the catch-up the file exists for.
func loadState(path string) (*state, error) {
	data, err := inputs.ReadRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		// A link to nothing is a state someone meant to be there,
		// which read as none caught up from nothing (an outside review).
		if err := inputs.LinkToNothing(path); err != nil {
			return nil, fmt.Errorf("read schedule state: %w", err)
		}
		return &state{Version: stateVersion, Jobs: map[string]*jobState{}}, nil
	}
	if err != nil {
		// A FIFO in its place held the scheduler at its start for good,
		// holding the scheduler's lock, with nothing said (an outside
		// review): anything but a regular file is refused at once.
		return nil, fmt.Errorf("read schedule state: %w", err)
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		where := path
		if line, _, ok := inputs.JSONErrorPosition(data, err); ok {
			where = fmt.Sprintf("%s:%d", path, line)
		}
		return nil, fmt.Errorf("schedule state %s: %w (fix it, or remove it: each job then resumes from the last scheduled run the audit log records for it, and a job with none recorded from now)", where, err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("schedule state %s: version %d, want %d", path, st.Version, stateVersion)
	}
	if st.Jobs == nil {
		st.Jobs = map[string]*jobState{}
	}
	for name, js := range st.Jobs {
		if js == nil {
			return nil, fmt.Errorf("schedule state %s: job %q: entry is null", path, name)
		}
		slices.SortFunc(js.Failed, func(a, b failedFire) int { return a.Fire.Compare(b.Fire) })
	}
	return &st, nil
}

// save writes the state atomically, so a crash leaves the previous state or
// this one.
func (st *state) save(path string) error {
	for _, js := range st.Jobs {
		if js.Failed == nil {
			js.Failed = []failedFire{} // render [] rather than null
		}
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode schedule state: %w", err)
	}
	data = append(data, '\n')
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write schedule state: %w", err)
	}
	return nil
}

// recordFailure adds or updates fire in the failed list, keeping it sorted
// and bounded; it returns the fire times dropped by the bound.
func (js *jobState) recordFailure(fire, at time.Time, msg string) []time.Time {
	for i := range js.Failed {
		if js.Failed[i].Fire.Equal(fire) {
			js.Failed[i].Attempts++
			js.Failed[i].LastError = msg
			js.Failed[i].LastAttempt = at
			return nil
		}
	}
	js.Failed = append(js.Failed, failedFire{Fire: fire, Attempts: 1, LastError: msg, LastAttempt: at})
	slices.SortFunc(js.Failed, func(a, b failedFire) int { return a.Fire.Compare(b.Fire) })
	var dropped []time.Time
	for len(js.Failed) > maxRetainedFailures {
		dropped = append(dropped, js.Failed[0].Fire)
		js.Failed = js.Failed[1:]
	}
	return dropped
}

// clearFailuresBefore removes the failed fire times before fire.
func (js *jobState) clearFailuresBefore(fire time.Time) {
	js.Failed = slices.DeleteFunc(js.Failed, func(f failedFire) bool { return f.Fire.Before(fire) })
}

// clearFailure removes fire from the failed list, if present.
func (js *jobState) clearFailure(fire time.Time) {
	js.Failed = slices.DeleteFunc(js.Failed, func(f failedFire) bool { return f.Fire.Equal(fire) })
}
