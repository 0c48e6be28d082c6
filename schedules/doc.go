// Package schedules runs ledgerlens jobs on their schedules (docs/ARCHITECTURE.md, "Scheduling"): the
// `ledgerlens schedule run` daemon, the fire times `schedule list` prints,
// the `schedule crontab` export and its systemd equivalent, and the
// Prometheus textfile metrics every job run leaves behind.
//
// # Schedules
//
// A JobSpec is a standard five-field cron expression and an IANA time zone
// (empty means UTC). robfig/cron evaluates it; that one evaluation feeds the
// daemon, NextFires and both exports, so they cannot disagree. (The monthly
// SLA report reads the weekly review's schedule for its operator-review
// clock with robfig/cron's standard parser itself, pipeline/slareport;
// for every spec the daemon accepts, the two give the same fire times.) Around
// daylight-saving changes robfig/cron does what cronie does: a wall-clock
// time the change skips does not fire that day, and one it repeats fires
// twice (two distinct instants, each run once). The default schedules sit
// at 06:00, 07:00 and 10:00, clear of both.
//
// # The daemon
//
// Scheduler runs every enabled job, one run at a time on a single
// goroutine, so a job never overlaps with itself; exclusion against CLI runs
// and other processes is the job function's business (it takes the file
// lock). The state file records per job how far its schedule has been run,
// the last fire time that completed successfully and the fire times that
// failed. At start, every fire time between the last one handled and now is
// run once, oldest first, before normal scheduling — a host that was down on
// Monday produces that week's report when it comes back. Three exceptions
// bound that work: of more than maxCatchUp missed fire times only the
// newest run (the others are logged as skipped); a LatestOnly job (the
// integrity check, which looks at the root as it is now) runs only its
// newest due fire time; and of a job's failed fire times only the newest
// maxRetainedFailures are kept for retrying (a dropped one is logged). On the very first
// start a job has no state; its most recent past fire time is NOT
// back-filled: the start time is recorded as the baseline and only fire
// times after it run. The state file is not trusted further than the
// audit log's record of the runs (Options.Recorded: per job, the newest
// fire time whose run completed and the failed ones): a state that says
// more was run, or none at all where the log records runs, is caught up
// from the last completed run, and a failed run it no longer lists is
// listed again, with an error saying why (rewindToRecord). A failed run is recorded (error and time) and retried
// at the next start and at the job's next fire time; it never blocks other
// jobs. Cancelling the context stops the daemon: no new run starts, the
// running job observes the cancellation and returns, and a run cut short
// that way is not recorded as completed, so it runs again at the next
// start.
//
// # Metrics
//
// WriteMetrics, RecordRun and ReadMetrics keep one node_exporter textfile
// per host: last success and last run times, duration, status, run counts,
// ledger rows, rejects, findings by type and by type and severity,
// integrity problems, the ledger's newest run and the last published period
// per job. The file is written and read through prometheus/common/expfmt
// (dto.MetricFamily values, the TextParser node_exporter uses). Writers
// merge: a one-shot CLI run updates its job's series and keeps everyone
// else's; a file the parser rejects is left as it is and the write fails
// (a wrong path may name a ledger or a key; the alert rules see the
// metrics go stale). deploy/prometheus/ledgerlens-rules.yml
// alerts on these series.
//
// This package must not know how a job does its work (it receives JobFuncs
// and maps job names to CLI commands, nothing more), must not read the
// configuration file or parse flags (the CLI does), and must not consult the
// wall clock except through the injected Now.
package schedules
