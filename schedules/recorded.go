package schedules

import "time"

// rewindToRecord holds st to Options.Recorded, the audit log's record of
// the runs the scheduler did: the state file may make the scheduler run
// more than that record says, never less. A job the state has no entry
// for, though the log records its runs, starts from its last recorded
// fire time instead of from now; a job whose state is through a later
// time, with fire times up to now between that it neither ran nor lists
// as failed, is rewound to that fire time. Either way the fire times
// since then are caught up as after an outage (due), and the reason is
// logged at error level. An edited schedule-state.json (its
// scheduled_through moved on, or its jobs emptied) dropped the fires it
// skipped over without a word. It reports whether it changed st.
func (s *Scheduler) rewindToRecord(st *state, now time.Time) bool {
	changed := false
	for _, j := range s.jobs {
		name := j.job.Name
		rec, ok := s.opts.Recorded[name]
		if !ok {
			continue
		}
		rec = rec.UTC()
		js := st.Jobs[name]
		if js == nil {
			st.Jobs[name] = &jobState{ScheduledThrough: rec, Failed: []failedFire{}}
			s.log.Error("the job has no schedule state, but the audit log records its runs: the fire times since its last recorded run are caught up",
				"job", name, "recorded_fire", rec.Format(time.RFC3339))
			changed = true
			continue
		}
		if !js.ScheduledThrough.After(rec) {
			continue
		}
		failed := js.failedFires()
		var unrecorded []time.Time
		for t := j.sched.next(rec); !t.IsZero() && !t.After(js.ScheduledThrough) && !t.After(now); t = j.sched.next(t) {
			if !failed[t.UTC()] {
				unrecorded = append(unrecorded, t)
			}
		}
		if len(unrecorded) == 0 {
			continue
		}
		s.log.Error("the schedule state says the job ran through a later fire time than the audit log records a run for: the state was edited, or written by runs the log does not hold; the fire times since the last recorded run are caught up",
			"job", name, "scheduled_through", js.ScheduledThrough.Format(time.RFC3339), "recorded_fire", rec.Format(time.RFC3339),
			"unrecorded", len(unrecorded), "from", unrecorded[0].UTC().Format(time.RFC3339), "to", unrecorded[len(unrecorded)-1].UTC().Format(time.RFC3339))
		js.ScheduledThrough = rec
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
