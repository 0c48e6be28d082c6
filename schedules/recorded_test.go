package schedules

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStateHeldToTheRecordedRuns: the audit log's record of the runs
// (Options.Recorded) against a schedule state that says otherwise. An
// edited state (scheduled_through moved on, the job's entry removed, a
// failed run taken off its list, the time emptied) dropped the runs it
// skipped over, or ran years of them, without a word; each is now held to
// the record, with an error naming the difference. A state that agrees
// with the record is left as it is.
func TestStateHeldToTheRecordedRuns(t *testing.T) {
	const (
		recorded = "2026-11-09T09:00:00Z" // the last run the log holds as completed
		restart  = "2026-11-30T12:00:00Z" // after three more Mondays
	)
	caughtUp := []call{{JobWeeklyReview, "2026-11-16T09:00:00Z"}, {JobWeeklyReview, "2026-11-23T09:00:00Z"}, {JobWeeklyReview, "2026-11-30T09:00:00Z"}}
	done := Record{LastCompleted: mustTime(t, recorded)}
	for _, tc := range []struct {
		name     string
		state    func(js *jobState) // the state as found at the restart; nil: no entry
		recorded *Record            // nil: no record
		want     []call
		errorLog string
	}{
		{"moved on to the restart", func(js *jobState) { js.ScheduledThrough = mustTime(t, restart) }, &done, caughtUp, "later fire time than the audit log records"},
		{"moved on past the clock", func(js *jobState) { js.ScheduledThrough = mustTime(t, "2027-06-01T00:00:00Z") }, &done, caughtUp, "later fire time than the audit log records"},
		{"entry removed", nil, &done, caughtUp, "no schedule state, but the audit log records its runs"},
		{"a failed fire among them runs once", func(js *jobState) {
			js.ScheduledThrough = mustTime(t, restart)
			js.Failed = []failedFire{{Fire: mustTime(t, "2026-11-23T09:00:00Z"), Attempts: 1}}
		}, &done, caughtUp, "later fire time"},
		{"a failed run taken off the list", func(js *jobState) { js.ScheduledThrough = mustTime(t, "2026-11-16T09:00:00Z") },
			&Record{LastCompleted: mustTime(t, recorded), Failed: []time.Time{mustTime(t, "2026-11-16T09:00:00Z")}}, caughtUp, "runs the audit log records as failed"},
		{"a failed run off the list, a later one completed", func(js *jobState) { js.ScheduledThrough = mustTime(t, "2026-11-23T09:00:00Z") },
			&Record{LastCompleted: mustTime(t, "2026-11-23T09:00:00Z"), Failed: []time.Time{mustTime(t, "2026-11-16T09:00:00Z")}},
			[]call{{JobWeeklyReview, "2026-11-16T09:00:00Z"}, {JobWeeklyReview, "2026-11-30T09:00:00Z"}}, "runs the audit log records as failed"},
		{"emptied to the zero time", func(js *jobState) { js.ScheduledThrough = time.Time{} }, &done, caughtUp, "taken as no state"},
		{"emptied to the zero time, no run recorded", func(js *jobState) { js.ScheduledThrough = time.Time{} }, nil, nil, "taken as no state"},
		{"a failed run listed three times", func(js *jobState) {
			js.ScheduledThrough = mustTime(t, "2026-11-16T09:00:00Z")
			f := mustTime(t, "2026-11-16T09:00:00Z")
			js.Failed = []failedFire{{Fire: f, Attempts: 1}, {Fire: f, Attempts: 1}, {Fire: f.In(time.FixedZone("", 3600)), Attempts: 1}}
		}, &done, caughtUp, "listed twice"},
		{"one fire behind (a run cut off before the state was saved)", func(js *jobState) { js.ScheduledThrough = mustTime(t, "2026-11-02T09:00:00Z") },
			&done, append([]call{{JobWeeklyReview, recorded}}, caughtUp...), ""},
		{"an older state restored", func(js *jobState) { js.ScheduledThrough = mustTime(t, "2026-10-19T09:00:00Z") }, &done, caughtUp, "behind the audit log's record"},
		{"emptied, only failed runs recorded", func(js *jobState) { js.ScheduledThrough = time.Time{} },
			&Record{Failed: []time.Time{mustTime(t, "2026-11-16T09:00:00Z")}}, caughtUp, "taken as no state"},
		{"far behind, only failed runs recorded", func(js *jobState) { js.ScheduledThrough = mustTime(t, "2026-10-05T09:00:00Z") },
			&Record{Failed: []time.Time{mustTime(t, "2026-11-16T09:00:00Z")}}, caughtUp, "behind the audit log's record"},
		{"a failed run still to come", func(js *jobState) {
			js.Failed = []failedFire{{Fire: mustTime(t, "2026-12-14T09:00:00Z"), Attempts: 1}}
		}, &done, caughtUp, "they are dropped"},
		{"more failed runs than the scheduler keeps", func(js *jobState) {
			js.ScheduledThrough = mustTime(t, "2026-11-09T09:00:00Z")
			for i := range 40 {
				js.Failed = append(js.Failed, failedFire{Fire: mustTime(t, "2026-01-05T09:00:00Z").AddDate(0, 0, 7*i), Attempts: 1})
			}
		}, nil, nil, "they are dropped"},
		{"the state agrees with the record", func(js *jobState) {}, &done, caughtUp, ""},
		{"no record (runs before the log held fire times)", func(js *jobState) { js.ScheduledThrough = mustTime(t, restart) }, nil, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var logged bytes.Buffer
			opts := Options{StateFile: filepath.Join(dir, "state.json"), Logger: slog.New(slog.NewTextHandler(&logged, nil))}
			clock := &simClock{}
			rec := &recorder{}
			jobs := []Job{{JobSpec: JobSpec{Name: JobWeeklyReview, Spec: "0 10 * * 1", TimeZone: "Europe/Berlin", Enabled: true}}}
			jobs[0].Run = rec.jobFunc(JobWeeklyReview, clock, nil)

			// The daemon ran the 9 November fire, then stopped.
			simulate(t, jobs, opts, clock, "2026-11-02T12:00:00Z", "2026-11-02T13:00:00Z")
			simulate(t, jobs, opts, clock, "2026-11-09T08:00:00Z", "2026-11-09T12:00:00Z")
			assertCalls(t, rec.take(), call{JobWeeklyReview, recorded})

			st := readState(t, opts.StateFile)
			if tc.state == nil {
				delete(st.Jobs, JobWeeklyReview)
			} else {
				tc.state(st.Jobs[JobWeeklyReview])
			}
			if err := st.save(opts.StateFile); err != nil {
				t.Fatal(err)
			}
			if tc.recorded != nil {
				opts.Recorded = map[string]Record{JobWeeklyReview: *tc.recorded}
			}
			logged.Reset()
			simulate(t, jobs, opts, clock, restart, "2026-11-30T18:00:00Z")
			got := rec.take()
			if tc.name == "more failed runs than the scheduler keeps" {
				// The newest 32 of the 40 are retried, then the Mondays since.
				if len(got) != maxRetainedFailures+3 || got[0].fire != "2026-03-02T09:00:00Z" {
					t.Fatalf("%d runs, the first %v; want %d, from 2026-03-02", len(got), got[0], maxRetainedFailures+3)
				}
				got = nil
			} else {
				assertCalls(t, got, tc.want...)
			}
			if tc.errorLog == "" && strings.Contains(logged.String(), "level=ERROR") || tc.errorLog != "" && !strings.Contains(logged.String(), tc.errorLog) {
				t.Errorf("want an error line %q, got:\n%s", tc.errorLog, logged.String())
			}
			// The next start, its state written and the runs recorded,
			// runs nothing again.
			if len(got) > 0 && opts.Recorded != nil {
				opts.Recorded[JobWeeklyReview] = Record{LastCompleted: mustTime(t, got[len(got)-1].fire)}
			}
			logged.Reset()
			simulate(t, jobs, opts, clock, "2026-11-30T18:30:00Z", "2026-12-01T18:00:00Z")
			assertCalls(t, rec.take())
			if strings.Contains(logged.String(), "level=ERROR") {
				t.Errorf("the restart after the catch-up logged an error:\n%s", logged.String())
			}
		})
	}
}

// TestStateSetToAFireStillToCome: a state set to the next fire time, a
// minute before it, is within the clock's slack: it skipped that fire
// without a word until the next restart. It is held to the record at
// once.
func TestStateSetToAFireStillToCome(t *testing.T) {
	dir := t.TempDir()
	var logged bytes.Buffer
	opts := Options{StateFile: filepath.Join(dir, "state.json"), Logger: slog.New(slog.NewTextHandler(&logged, nil))}
	clock := &simClock{}
	rec := &recorder{}
	jobs := []Job{{JobSpec: JobSpec{Name: JobWeeklyReview, Spec: "0 10 * * 1", Enabled: true}}}
	jobs[0].Run = rec.jobFunc(JobWeeklyReview, clock, nil)
	simulate(t, jobs, opts, clock, "2026-11-23T12:00:00Z", "2026-11-23T13:00:00Z")
	st := readState(t, opts.StateFile)
	st.Jobs[JobWeeklyReview].ScheduledThrough = mustTime(t, "2026-11-30T10:00:00Z")
	if err := st.save(opts.StateFile); err != nil {
		t.Fatal(err)
	}
	opts.Recorded = map[string]Record{JobWeeklyReview: {LastCompleted: mustTime(t, "2026-11-23T10:00:00Z")}}
	simulate(t, jobs, opts, clock, "2026-11-30T09:59:30Z", "2026-11-30T10:30:00Z")
	assertCalls(t, rec.take(), call{JobWeeklyReview, "2026-11-30T10:00:00Z"})
	if !strings.Contains(logged.String(), "later fire time than the audit log records") {
		t.Errorf("no error said so:\n%s", logged.String())
	}
}
