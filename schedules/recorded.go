package schedules

import (
	"slices"
	"time"
)

// Record is what the audit log says of one job's scheduled runs: the
// newest fire time whose run completed, and the fire times whose last run
// failed (or was cut off) and did not complete since, oldest first.
// cmd/ledgerlens reads it from the runs' job_start (their fire time) and
// job_end or job_fail entries.
type Record struct {
	LastCompleted time.Time
	Failed        []time.Time
}

// rewindToRecord holds st to Options.Recorded, the audit log's record of
// the runs: the state file may make the scheduler run more than that
// record says, never less. For each job the log records runs of:
//   - a state with no entry for it starts from its last recorded run,
//     not from now;
//   - a state through a later time, with fire times between that it
//     neither ran nor lists as failed (due yet or not), is rewound to the
//     last completed run;
//   - a state behind the last completed run by more than one fire time
//     is moved up to it: catch-up runs oldest first, so every fire time
//     before that one was run, or failed and is listed (a restored older
//     state; one behind is a run cut off before the state was saved);
//   - a failed run the state no longer lists is listed again (the newest
//     maxRetainedFailures; a LatestOnly job's newest after its last
//     completed run).
//
// Each is logged at error level, and the fire times are then caught up as
// after an outage (due). An edited schedule-state.json dropped the runs it
// skipped over, or the failed runs it removed, without a word. It reports
// whether it changed st.
func (s *Scheduler) rewindToRecord(st *state) bool {
	changed := false
	for _, j := range s.jobs {
		name := j.job.Name
		rec, ok := s.opts.Recorded[name]
		if !ok || rec.LastCompleted.IsZero() && len(rec.Failed) == 0 {
			continue
		}
		failed := rec.failedToRetry(j.job.LatestOnly)
		js := st.Jobs[name]
		if js == nil {
			js = &jobState{ScheduledThrough: rec.LastCompleted.UTC(), Failed: []failedFire{}}
			if n := len(failed); n > 0 && failed[n-1].After(js.ScheduledThrough) {
				js.ScheduledThrough = failed[n-1].UTC()
			}
			st.Jobs[name] = js
			s.log.Error("the job has no schedule state, but the audit log records its runs: the fire times since its last recorded run are caught up",
				"job", name, "recorded_fire", js.ScheduledThrough.Format(time.RFC3339))
			changed = true
		}
		if s.holdThrough(js, j, rec, failed) {
			changed = true
		}
		if s.relistFailed(js, j, failed) {
			changed = true
		}
	}
	return changed
}

// holdThrough holds js.ScheduledThrough to rec, from its last completed
// run (base; just before its first recorded run when none completed):
// moved back to base when fire times after it up to ScheduledThrough are
// neither recorded as run nor listed as failed, in js or in failed; moved
// up to base when a fire time before it is still to run by the state
// (behind it: a restored older state, or one emptied to the zero time).
// A state one fire behind is a run cut off before the state was saved,
// and is left alone. It reports whether it moved.
func (s *Scheduler) holdThrough(js *jobState, j scheduledJob, rec Record, failed []time.Time) bool {
	name := j.job.Name
	base := rec.LastCompleted.UTC()
	floor := base // the newest fire time known to have been run or tried
	if base.IsZero() {
		if len(rec.Failed) == 0 {
			return false
		}
		floor = rec.Failed[0].UTC()
		base = floor.Add(-time.Nanosecond) // so that floor itself runs
	}
	if next := j.sched.next(js.ScheduledThrough); !next.IsZero() && next.Before(floor) {
		s.log.Error("the schedule state is behind the audit log's record of the runs: scheduling from the last recorded run",
			"job", name, "scheduled_through", js.ScheduledThrough.Format(time.RFC3339), "recorded_fire", floor.Format(time.RFC3339))
		js.ScheduledThrough = base
		return true
	}
	listed := js.failedFires()
	for _, f := range failed {
		listed[f.UTC()] = true
	}
	var unrecorded []time.Time
	// Not only those up to now: a state set to a fire time still to come
	// skips it as surely. Counted up to what a catch-up runs.
	for t := j.sched.next(base); !t.IsZero() && !t.After(js.ScheduledThrough) && len(unrecorded) <= maxCatchUp; t = j.sched.next(t) {
		if !listed[t.UTC()] {
			unrecorded = append(unrecorded, t)
		}
	}
	if len(unrecorded) == 0 {
		return false
	}
	s.log.Error("the schedule state says the job ran through a later fire time than the audit log records a run for: the state was edited, or written by runs the log does not hold; the fire times since the last recorded run are caught up",
		"job", name, "scheduled_through", js.ScheduledThrough.Format(time.RFC3339), "recorded_fire", floor.Format(time.RFC3339),
		"unrecorded", len(unrecorded), "from", unrecorded[0].UTC().Format(time.RFC3339), "to", unrecorded[len(unrecorded)-1].UTC().Format(time.RFC3339))
	js.ScheduledThrough = base
	return true
}

// relistFailed puts back on js's failed list each of failed, the runs the
// log records as failed and not completed since, that lies at or before
// js.ScheduledThrough (a later one is due anyway) and is not listed; it
// reports whether it listed any.
func (s *Scheduler) relistFailed(js *jobState, j scheduledJob, failed []time.Time) bool {
	listed := js.failedFires()
	var back []time.Time
	for _, f := range failed {
		if !listed[f.UTC()] && !f.After(js.ScheduledThrough) {
			js.Failed = append(js.Failed, failedFire{Fire: f.UTC()})
			back = append(back, f)
		}
	}
	if len(back) == 0 {
		return false
	}
	slices.SortFunc(js.Failed, func(a, b failedFire) int { return a.Fire.Compare(b.Fire) })
	s.log.Error("the schedule state does not list runs the audit log records as failed: they are retried",
		"job", j.job.Name, "failed", len(back), "from", back[0].UTC().Format(time.RFC3339), "to", back[len(back)-1].UTC().Format(time.RFC3339))
	return true
}

// failedToRetry is what of r.Failed the scheduler would still retry: the
// newest maxRetainedFailures (recordFailure drops older ones, saying so);
// for a LatestOnly job, whose newer run does the older ones' work, the
// newest alone, when it is after the last completed run.
func (r Record) failedToRetry(latestOnly bool) []time.Time {
	f := r.Failed
	if latestOnly {
		if n := len(f); n > 0 && f[n-1].After(r.LastCompleted) {
			return f[n-1:]
		}
		return nil
	}
	if len(f) > maxRetainedFailures {
		f = f[len(f)-maxRetainedFailures:]
	}
	return f
}

// forgetZeroStates removes each job's state whose scheduled_through is
// the zero time (null in the file), which the scheduler never writes:
// read as it stands, it caught up from year 1, about 500 signed reviews
// of weeks from 2017 on (an outside review). Without its entry the job
// starts as without a state: from the audit log's record of its runs
// (rewindToRecord), else from now. It reports whether it removed any.
func (s *Scheduler) forgetZeroStates(st *state) bool {
	changed := false
	for _, j := range s.jobs {
		if js := st.Jobs[j.job.Name]; js != nil && js.ScheduledThrough.IsZero() {
			s.log.Error("the schedule state holds no time the job ran through (null or the zero time, which the scheduler never writes): it is taken as no state",
				"job", j.job.Name)
			delete(st.Jobs, j.job.Name)
			changed = true
		}
	}
	return changed
}

// dropImpossibleFailures removes from each job's failed list what the
// scheduler never writes there, logging each at error level: fire times
// after the clock or after ScheduledThrough (retried, a scheduled run
// published a final review of a week that had not ended, which the
// command refuses), the same fire time listed again (in any offset), and
// more than maxRetainedFailures (the oldest go,
// as recordFailure drops them). It reports whether it removed any.
func (s *Scheduler) dropImpossibleFailures(st *state, now time.Time) bool {
	changed := false
	for _, j := range s.jobs {
		js := st.Jobs[j.job.Name]
		var dropped []time.Time
		kept := js.Failed[:0]
		seen := map[time.Time]bool{}
		for _, f := range js.Failed {
			f.Fire = f.Fire.UTC()
			if f.Fire.After(now) || f.Fire.After(js.ScheduledThrough) || seen[f.Fire] {
				dropped = append(dropped, f.Fire)
				continue
			}
			seen[f.Fire] = true
			kept = append(kept, f)
		}
		js.Failed = kept
		for len(js.Failed) > maxRetainedFailures {
			dropped = append(dropped, js.Failed[0].Fire)
			js.Failed = js.Failed[1:]
		}
		if len(dropped) == 0 {
			continue
		}
		slices.SortFunc(dropped, time.Time.Compare)
		s.log.Error("the schedule state lists failed runs the scheduler never lists (fire times still to come, after the ones it ran, listed twice, or more than it keeps): they are dropped",
			"job", j.job.Name, "dropped", len(dropped), "from", dropped[0].Format(time.RFC3339Nano), "to", dropped[len(dropped)-1].Format(time.RFC3339Nano))
		changed = true
	}
	return changed
}

// failedFires is the set of js's failed fire times, in UTC.
func (js *jobState) failedFires() map[time.Time]bool {
	set := make(map[time.Time]bool, len(js.Failed))
	for _, f := range js.Failed {
		set[f.Fire.UTC()] = true
	}
	return set
}
