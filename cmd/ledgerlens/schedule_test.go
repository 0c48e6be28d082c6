package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline"
	"github.com/ledgerlens/ledgerlens/schedules"
)

// TestScheduledSLAInAZoneAheadOfTheConfigured: with sla-report scheduled
// @monthly in Europe/Berlin and the configured zone UTC, the job fired at
// 23:00 UTC on the month's last day, picked the month in Berlin (ended
// there) and was refused in UTC ("has not ended"), at every retry of that
// fire, for ever, while the crontab line published the month before. The
// month is now the last complete one in the configured zone.
func TestScheduledSLAInAZoneAheadOfTheConfigured(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	fire := time.Date(2026, 3, 1, 0, 0, 0, 0, berlin) // 2026-02-28T23:00:00Z
	a := newApp(&strings.Builder{}, &strings.Builder{})
	a.root = root
	if _, err := a.slaJob(0)(context.Background(), fire); err != nil {
		t.Fatalf("scheduled SLA job fired at %s: %v", fire, err)
	}
	if _, err := os.Stat(filepath.Join(reviews(root), "sla_2026-01.json")); err != nil {
		t.Fatalf("the last month complete in UTC at the fire was not published: %v", err)
	}
}

// TestScheduledIntegrityCheckWithTheKeysGone: an edited ledger, and the
// keys directory moved away (as a key mount that did not come up would
// leave it). `verify all` from cron listed both and posted them; the
// scheduled integrity check, a job that must sign its audit entries,
// was refused on the key and checked nothing: its integrity-problems
// metric kept the last clean run's 0 and no webhook was sent, so the
// edit hid behind what looked like a mount problem. The refused check now
// runs read-only, as verify all does, and counts and sends all of it.
func TestScheduledIntegrityCheckWithTheKeysGone(t *testing.T) {
	root, received := editedRootTellingAWebhook(t)
	if err := os.Rename(filepath.Join(root, ".ledgerlens", "keys"), filepath.Join(t.TempDir(), "keys")); err != nil {
		t.Fatal(err)
	}

	a := newApp(&strings.Builder{}, &strings.Builder{})
	a.root = root
	st, err := a.integrityJob(0)(context.Background(), time.Now())
	if err == nil || !strings.Contains(err.Error(), "no signing key") {
		t.Fatalf("the scheduled check: %v, want it refused on the key", err)
	}
	if st.IntegrityProblems == nil || *st.IntegrityProblems < 2 {
		t.Errorf("integrity problems counted: %v, want the key and the edited ledger", st.IntegrityProblems)
	}
	all := strings.Join(received(), "\n")
	if !strings.Contains(all, "no signing key") || !strings.Contains(all, "ledger.jsonl: already-loaded bytes") {
		t.Errorf("the webhook was not told of both problems:\n%s", all)
	}
}

// TestScheduledWeeklyPublishedWithAnIntegrityProblem: an edited ledger;
// the scheduled weekly review published the week (with the modification
// in its data quality section) and sent only the integrity problem: the
// publication itself, which the command line announces, was never
// announced, so a receiver keeping a record of publications missed it.
func TestScheduledWeeklyPublishedWithAnIntegrityProblem(t *testing.T) {
	root, received := editedRootTellingAWebhook(t)

	a := newApp(&strings.Builder{}, &strings.Builder{})
	a.root = root
	fire := mustParseDay(t, focusWeek).AddDate(0, 0, 7).Add(10 * time.Hour)
	if _, err := a.weeklyJob(0)(context.Background(), fire); err == nil {
		t.Fatal("the scheduled weekly review of an edited ledger succeeded")
	}
	if _, err := os.Stat(weeklyPath(root, focusWeek, 1, ".json")); err != nil {
		t.Fatalf("the week was not published: %v", err)
	}
	all := strings.Join(received(), "\n")
	if !strings.Contains(all, `"event":"weekly_published"`) || !strings.Contains(all, `"event":"integrity_problem"`) {
		t.Errorf("the webhook was not told of the publication and the problem:\n%s", all)
	}
}

// TestOneSchedulerPerRoot: a second `schedule run` on the same root (a
// unit started twice, a forgotten terminal) ran every job twice, and the
// last to write the schedule state dropped the other's failed fire times
// from its retries. It now exits 75 naming the running scheduler, which
// does not keep the jobs out between its runs.
func TestOneSchedulerPerRoot(t *testing.T) {
	root := copyFixture(t)
	daemon := startScheduler(t, root)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	second := exec.CommandContext(ctx, binary, "--root", root, "schedule", "run")
	out, _ := second.CombinedOutput()
	if code := second.ProcessState.ExitCode(); code != 75 || !strings.Contains(string(out), fmt.Sprintf("pid %d (schedule run)", daemon.Process.Pid)) {
		t.Errorf("a second scheduler: exit %d, want 75 naming pid %d\n%s", code, daemon.Process.Pid, out)
	}
	// The jobs are not kept out while the scheduler waits.
	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek, "--unsigned")
}

// editedRootTellingAWebhook is a root with a signing key, one week
// published, one ledger line edited since, and a JSON webhook (its URL in
// LL_TEST_HOOK for this test) whose posts the second result returns.
func editedRootTellingAWebhook(t *testing.T) (root string, received func() []string) {
	t.Helper()
	root = copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	wantExit(t, cron(t, root, "report", "weekly", "--week", prevWeek(t)), 0, "first weekly run")
	url, received := jsonWebhook(t, root, 0)
	t.Setenv("LL_TEST_HOOK", url+"/hook")
	editLine(t, ledgerPath(root), 100)
	return root, received
}

// startScheduler starts `schedule run` on root and returns once it has
// logged its start; it is stopped (SIGTERM) when the test ends.
func startScheduler(t *testing.T, root string) *exec.Cmd {
	t.Helper()
	daemon := exec.Command(binary, "--root", root, "--log-level", "info", "schedule", "run")
	stderr, err := daemon.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		daemon.Process.Signal(syscall.SIGTERM)
		daemon.Wait()
	})
	sc := bufio.NewScanner(stderr)
	started := false
	for !started && sc.Scan() {
		started = strings.Contains(sc.Text(), "scheduler started")
	}
	if !started {
		t.Fatal("the scheduler never logged its start")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	return daemon
}

// TestScheduledSLAReportIsAnnounced: the scheduler published the monthly
// SLA report and posted nothing to the webhooks, while `report sla` on the
// same root posted it (an outside review). The scheduled job now
// announces it as the command does.
func TestScheduledSLAReportIsAnnounced(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	url, received := jsonWebhook(t, root, 0)
	t.Setenv("LL_TEST_HOOK", url+"/hook")

	a := newApp(&strings.Builder{}, &strings.Builder{})
	a.root = root
	fire := time.Date(2026, 3, 1, 7, 0, 0, 0, time.UTC)
	if _, err := a.slaJob(0)(context.Background(), fire); err != nil {
		t.Fatalf("the scheduled SLA report: %v", err)
	}
	if all := strings.Join(received(), "\n"); !strings.Contains(all, `"event":"sla_published"`) || !strings.Contains(all, "sla_2026-02") {
		t.Errorf("the webhook was not told of the scheduled SLA report:\n%s", all)
	}
}

// TestScheduledWeekThatNeedsAPerson: the week of a ledger feed dead for
// months (a stale ledger, no runs, SEV1). The crontab's weekly line exits
// 3 on it and says so on stderr (TestCronLineOfADeadLedgerFeed); the
// scheduler, which the README offers instead of cron, published it as a
// success with nothing on stderr (an outside review). It now logs the
// week as an error, with the same rule (schedules.WeeklyFailOn).
func TestScheduledWeekThatNeedsAPerson(t *testing.T) {
	root := filepath.Join(t.TempDir(), "root")
	mustRun(t, "fixtures", "generate", "--runs", "3000", "--no-conflicting-duplicate", "--out", root)
	mustRun(t, "--root", root, "keys", "generate")

	var stderr strings.Builder
	a := newApp(&strings.Builder{}, &stderr)
	a.root = root
	if _, err := a.weeklyJob(0)(context.Background(), time.Now()); err != nil {
		t.Fatalf("the scheduled weekly review: %v", err)
	}
	if got := stderr.String(); !strings.Contains(got, "needs a person") || !strings.Contains(got, "at or above SEV1") || !strings.Contains(got, "level=ERROR") {
		t.Errorf("the scheduler's log of a week that needs a person:\n%s", got)
	}
}

// TestScheduledMonthThatNeedsAPerson: the month of an error-budget
// freeze and an RTO breach (SEV2), which the crontab's monthly line exits
// 3 on (TestCronLinesOfPeriodsThatNeedAPerson). The scheduler logs it as
// an error, with the same rule (schedules.SLAFailOn).
func TestScheduledMonthThatNeedsAPerson(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")

	var stderr strings.Builder
	a := newApp(&strings.Builder{}, &stderr)
	a.root = root
	fire := time.Date(2026, 4, 1, 7, 0, 0, 0, time.UTC)
	if _, err := a.slaJob(0)(context.Background(), fire); err != nil {
		t.Fatalf("the scheduled SLA report: %v", err)
	}
	if got := stderr.String(); !strings.Contains(got, "SLA report 2026-03 needs a person: 2 SLA breaches at or above SEV2") || !strings.Contains(got, "level=ERROR") {
		t.Errorf("the scheduler's log of a month that needs a person:\n%s", got)
	}
}

// TestSchedulerWithItsStateGone: the scheduler started silently on a
// state directory that did not come up (an empty mount point), writing
// its lock and state there, and on a root whose schedule state was
// deleted it forgot which runs were missed, with nothing said (an outside
// review). The first is refused as every job refuses it (exit 4, nothing
// written); the second starts with an error naming what to do.
func TestSchedulerWithItsStateGone(t *testing.T) {
	run := func(t *testing.T, root string) (stderr string, code int) {
		t.Helper()
		return runScheduler(t, root, nil, "scheduler started")
	}

	t.Run("state directory not mounted", func(t *testing.T) {
		root := copyRoot(t, publishedRoot(t))
		if err := os.Rename(filepath.Join(root, ".ledgerlens"), filepath.Join(t.TempDir(), "state")); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(filepath.Join(root, ".ledgerlens"), 0o750); err != nil {
			t.Fatal(err)
		}
		stderr, code := run(t, root)
		if code != 4 || strings.Contains(stderr, "scheduler started") || !strings.Contains(stderr, "no audit log") {
			t.Errorf("the scheduler on an empty state directory: exit %d, want 4 before it starts\n%s", code, stderr)
		}
		if entries, _ := os.ReadDir(filepath.Join(root, ".ledgerlens")); len(entries) > 0 {
			t.Errorf("it wrote %d files into the empty state directory", len(entries))
		}
	})
	t.Run("schedule state deleted, its runs recorded without their fire times", func(t *testing.T) {
		root := copyFixture(t)
		mustRun(t, "--root", root, "keys", "generate")
		a := newApp(&strings.Builder{}, &strings.Builder{})
		a.root = root
		// As an earlier ledgerlens recorded a scheduled run: its command,
		// no fire time (TestSchedulerStateHeldToTheAuditLog has the rest).
		fire := mustParseDay(t, focusWeek).AddDate(0, 0, 7).Add(10 * time.Hour)
		if _, err := pipeline.RunWeekly(context.Background(), a.env(scheduledCommand(schedules.JobWeeklyReview), 0), pipeline.WeeklyOptions{AsOf: fire, KeepPublished: true}); err != nil {
			t.Fatal(err)
		}
		stderr, code := run(t, root)
		if code != 0 || !strings.Contains(stderr, "level=ERROR") || !strings.Contains(stderr, "schedule state is missing") {
			t.Errorf("the scheduler without its state on a root it ran on: exit %d, want an error at its start\n%s", code, stderr)
		}
		// Its state written, the next start says nothing of it.
		if stderr, _ := run(t, root); strings.Contains(stderr, "schedule state is missing") {
			t.Errorf("the scheduler with its state:\n%s", stderr)
		}
	})
}

// TestSchedulerStateHeldToTheAuditLog: a schedule state that says more
// was run than the audit log records. Its weekly-review entry moved on
// three weeks, removed, or the whole file deleted, the scheduler started
// from what the state said (or from now), and the weeks it skipped over
// were never reviewed, with nothing said, or with an error asking for
// them to be published by hand (an outside review). A scheduled run's
// job_start now records its fire time, and the scheduler catches up from
// the last fire time the log records, saying why at error level.
func TestSchedulerStateHeldToTheAuditLog(t *testing.T) {
	recorded := mustParseDay(t, focusWeek).AddDate(0, 0, 7).Add(10 * time.Hour)
	next := recorded.AddDate(0, 0, 7)
	movedOn := weeklyState(recorded.AddDate(0, 0, 21))
	for _, tc := range []struct {
		name  string
		state string // the schedule state's content; "" deletes it
		want  string
	}{
		{"scheduled_through moved on", movedOn, "later fire time than the audit log records"},
		{"its entry removed", `{"version":1,"jobs":{}}`, "no schedule state, but the audit log records its runs"},
		{"the file deleted", "", "no schedule state, but the audit log records its runs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, _ := rootWithAScheduledRun(t, recorded, tc.state)
			stderr, _ := runScheduler(t, root, nil, "job started")
			if !strings.Contains(stderr, "level=ERROR") || !strings.Contains(stderr, tc.want) {
				t.Errorf("want an error saying %q, got:\n%s", tc.want, stderr)
			}
			wantFirstWeeklyRun(t, stderr, next, false)
		})
	}

	// The jobs' lock held when the daemon starts: it gave up reading the
	// log after --lock-timeout and held the state to nothing (an outside
	// review). It waits, saying so, and holds the state once it can read.
	t.Run("the jobs' lock held at the start", func(t *testing.T) {
		root, _ := rootWithAScheduledRun(t, recorded, movedOn)
		holder := startPaused(t, root)
		stderr, _ := watchScheduler(t, root, nil, []string{"--lock-timeout", "1s"}, func(line string) bool {
			if strings.Contains(line, "still waiting for the jobs' lock") && holder != nil {
				holder.Process.Kill()
				holder.Wait()
				holder = nil
			}
			return strings.Contains(line, "job started")
		})
		if holder != nil {
			holder.Process.Kill()
			t.Fatalf("the daemon never said it waited for the lock:\n%s", stderr)
		}
		if !strings.Contains(stderr, "later fire time than the audit log records") {
			t.Errorf("the state was not held to the log once the lock was free:\n%s", stderr)
		}
		wantFirstWeeklyRun(t, stderr, next, false)
	})

	// A run that failed, taken off the state's list of runs to retry
	// (an outside review): the log records its job_fail, so it is
	// retried all the same.
	t.Run("a failed run taken off the list", func(t *testing.T) {
		root, a := rootWithAScheduledRun(t, recorded, "")
		ledger := ledgerPath(root)
		good, err := os.ReadFile(ledger)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(ledger, append(bytes.Clone(good), "{}\r{}"...), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := a.weeklyJob(0)(context.Background(), next); err == nil {
			t.Fatal("the run on a ledger of CR line ends did not fail")
		}
		if err := os.WriteFile(ledger, good, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, ".ledgerlens", "schedule-state.json"), []byte(weeklyState(next)), 0o644); err != nil {
			t.Fatal(err)
		}
		stderr, _ := runScheduler(t, root, nil, "job started")
		if !strings.Contains(stderr, "runs the audit log records as failed") {
			t.Errorf("no error names the failed run:\n%s", stderr)
		}
		wantFirstWeeklyRun(t, stderr, next, true)
	})
}

// rootWithAScheduledRun is a copy of the fixture with a key, on which the
// scheduler's weekly job ran for fire (recorded in the audit log as the
// daemon would record it), then the schedule state was replaced by state
// ("": none). It returns the root and an app on it.
func rootWithAScheduledRun(t *testing.T, fire time.Time, state string) (string, *app) {
	t.Helper()
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	a := newApp(&strings.Builder{}, &strings.Builder{})
	a.root = root
	if _, err := a.weeklyJob(0)(context.Background(), fire); err != nil {
		t.Fatal(err)
	}
	if state != "" {
		if err := os.WriteFile(filepath.Join(root, ".ledgerlens", "schedule-state.json"), []byte(state), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root, a
}

// weeklyState is a schedule state whose weekly-review job ran through
// through, and lists no failed run.
func weeklyState(through time.Time) string {
	return `{"version":1,"jobs":{"weekly-review":{"scheduled_through":"` + through.Format(time.RFC3339) +
		`","last_completed_fire":null,"failed":[],"last_run":null,"last_success":null}}}`
}

// wantFirstWeeklyRun fails t unless the first weekly run the daemon's
// stderr logs is for fire, a retry or not.
func wantFirstWeeklyRun(t *testing.T, stderr string, fire time.Time, retry bool) {
	t.Helper()
	started := regexp.MustCompile(`msg="job started" job=weekly-review fire=(\S+) retry=(\S+)`).FindStringSubmatch(stderr)
	if started == nil || started[1] != fire.Format(time.RFC3339) || started[2] != strconv.FormatBool(retry) {
		t.Fatalf("the first weekly run is %v, want one for %s (retry %v):\n%s", started, fire.Format(time.RFC3339), retry, stderr)
	}
}

// runScheduler runs `schedule run` on root, with env added to its
// environment, sends it SIGTERM once a line of its stderr contains
// signalAt, and returns its stderr and exit status.
func runScheduler(t *testing.T, root string, env []string, signalAt string) (stderr string, code int) {
	t.Helper()
	return watchScheduler(t, root, env, nil, func(line string) bool { return strings.Contains(line, signalAt) })
}

// watchScheduler runs `schedule run` on root with args added, and env
// added to its environment, hands each line of its stderr to onLine,
// sends it SIGTERM when onLine says so, and returns its stderr and exit
// status.
func watchScheduler(t *testing.T, root string, env, args []string, onLine func(line string) (stop bool)) (stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	daemon := exec.CommandContext(ctx, binary, append([]string{"--root", root, "--log-level", "info", "schedule", "run"}, args...)...)
	daemon.Env = append(os.Environ(), env...)
	out, err := daemon.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if onLine(sc.Text()) {
			daemon.Process.Signal(syscall.SIGTERM)
		}
	}
	daemon.Wait()
	return strings.Join(lines, "\n"), daemon.ProcessState.ExitCode()
}

// TestSchedulerStoppedDuringARun: `schedule run` stopped (SIGTERM, as
// systemctl stop sends) while it published a week exited 0 with nothing
// on stderr, as it does between runs: the run it abandoned was named
// only in a log line at warning level (an outside review). Stopped during
// a run, it now exits 143 naming the run that did not happen; that run
// is still not recorded, so the next start does it.
func TestSchedulerStoppedDuringARun(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	stateFile := filepath.Join(root, ".ledgerlens", "schedule-state.json")
	// The weekly review last ran eight days ago: one Monday's fire is
	// due at the start.
	through := time.Now().UTC().AddDate(0, 0, -8).Truncate(time.Second)
	state := fmt.Sprintf(`{"version":1,"jobs":{"weekly-review":{"scheduled_through":%q,"last_completed_fire":null,"failed":[],"last_run":null,"last_success":null}}}`,
		through.Format(time.RFC3339))
	if err := os.WriteFile(stateFile, []byte(state), 0o644); err != nil {
		t.Fatal(err)
	}

	stderr, code := runScheduler(t, root, []string{"LEDGERLENS_FAULT=pause-after:analyse"}, "paused after step analyse")
	if code != 143 || !strings.Contains(stderr, "during the weekly-review run for") ||
		!strings.Contains(stderr, "did not finish") {
		t.Errorf("the scheduler stopped during a run: exit %d, want 143 naming the run\n%s", code, stderr)
	}
	data, err := os.ReadFile(stateFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), through.Format(time.RFC3339)) || strings.Contains(string(data), `"last_run": {`) {
		t.Errorf("the abandoned run was recorded; the next start would not do it:\n%s", data)
	}
	if entries, _ := os.ReadDir(reviews(root)); len(entries) != 0 {
		t.Errorf("the abandoned run left %d files in the output directory", len(entries))
	}
}

// TestScheduledPublicationNobodyHeardOf: the receiver answered 500 to the
// scheduled weekly review's announcement. The run was recorded a success:
// its metrics said all was well, nothing retried the announcement, and
// the one error line, in the daemon's journal, told the operator to use
// --require-notify, which schedule run does not have (an outside review).
// The run now fails, naming what was published and who was not told, so
// the failure alerts fire and the scheduler retries it. The ledger grows
// before the retry, as it always does between two fires, which changes
// the result: the retry failed "already published … rerun with
// --supersede" at every fire and never told anyone (a second review). It
// now keeps the published report and tells the receiver, for the weekly
// review and the monthly SLA report alike.
func TestScheduledPublicationNobodyHeardOf(t *testing.T) {
	for _, tc := range []struct {
		name, event string
		run         func(a *app) schedules.JobFunc
		fire        func(t *testing.T) time.Time
		published   func(root string) string
		what        string
	}{
		{"weekly review", `"event":"weekly_published"`, func(a *app) schedules.JobFunc { return a.weeklyJob(0) },
			func(t *testing.T) time.Time { return mustParseDay(t, focusWeek).AddDate(0, 0, 7).Add(10 * time.Hour) },
			func(root string) string { return weeklyPath(root, focusWeek, 1, ".json") }, "weekly review " + focusWeek},
		{"SLA report", `"event":"sla_published"`, func(a *app) schedules.JobFunc { return a.slaJob(0) },
			func(t *testing.T) time.Time { return time.Date(2026, 3, 1, 7, 0, 0, 0, time.UTC) },
			func(root string) string { return filepath.Join(reviews(root), "sla_2026-02.json") }, "SLA report 2026-02"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := copyFixture(t)
			mustRun(t, "--root", root, "keys", "generate")
			setDown, received := downWebhook(t, root)

			var stderr strings.Builder
			a := newApp(&strings.Builder{}, &stderr)
			a.root = root
			fire := tc.fire(t)
			_, err := tc.run(a)(context.Background(), fire)
			if err == nil || !strings.Contains(err.Error(), tc.what+" published") || !strings.Contains(err.Error(), "webhook ops") ||
				!strings.Contains(err.Error(), "retried") {
				t.Fatalf("a scheduled publication no receiver heard of: %v, want the run failed naming %s and the receiver", err, tc.what)
			}
			if strings.Contains(stderr.String(), "--require-notify") {
				t.Errorf("the scheduler's log points at a flag it does not have:\n%s", stderr.String())
			}
			published, err := os.ReadFile(tc.published(root))
			if err != nil {
				t.Fatalf("nothing was published: %v", err)
			}

			// The ledger grows, and the receiver comes back.
			appendLedgerLines(t, root, fmt.Sprintf(`{"run_id":"LATER-1","timestamp":%q,"scenario_id":"S","credits_total":1}`,
				fire.Add(-time.Hour).Format(time.RFC3339)))
			setDown(false)
			if _, err := tc.run(a)(context.Background(), fire); err != nil {
				t.Fatalf("the retry after the ledger grew: %v", err)
			}
			if again, _ := os.ReadFile(tc.published(root)); !bytes.Equal(published, again) {
				t.Error("the retry changed the published report")
			}
			// Kept, and said: a command would have refused the run.
			if !strings.Contains(stderr.String(), "kept as published") {
				t.Errorf("the retry kept a differing result without a word:\n%s", stderr.String())
			}
			if entries, _ := filepath.Glob(filepath.Join(reviews(root), "*.r2.*")); len(entries) > 0 {
				t.Errorf("the retry published a revision: %v", entries)
			}
			if bodies := received(); len(bodies) != 1 || !strings.Contains(bodies[0], tc.event) {
				t.Errorf("the receiver was told %d times, want once, of the publication:\n%s", len(bodies), strings.Join(bodies, "\n"))
			}
		})
	}
}

// TestIntegrityProblemThatComesBack: a ledger line edited, found and
// posted by the daily check; the line restored, and the next check found
// nothing; the same edit made again. The check found it and posted
// nothing: a receiver told of a problem once was never told of it again,
// however long it had been gone (an outside review). A problem that
// returns after a clean check is posted again.
func TestIntegrityProblemThatComesBack(t *testing.T) {
	root, restore, run := integrityRoot(t)
	url, received := jsonWebhook(t, root, 0)
	t.Setenv("LL_TEST_HOOK", url+"/hook")
	check := func(want bool) {
		t.Helper()
		if err := run(); (err != nil) != want {
			t.Fatalf("the integrity check: %v, want a problem: %v", err, want)
		}
	}
	posted := func() int {
		return strings.Count(strings.Join(received(), "\n"), `"event":"integrity_problem"`)
	}

	editLine(t, ledgerPath(root), 100)
	check(true)
	if n := posted(); n != 1 {
		t.Fatalf("the edit was posted %d times, want once", n)
	}
	check(true)
	if n := posted(); n != 1 {
		t.Fatalf("the same lasting problem was posted %d times, want once", n)
	}
	restore()
	check(false)
	editLine(t, ledgerPath(root), 100)
	check(true)
	if n := posted(); n != 2 {
		t.Errorf("the edit made again after a clean check: posted %d times in all, want twice", n)
	}
}

// TestMetricsOfAWeekPublishedWithAProblem: an edited ledger; the weekly
// review published the week and exited 4. Its --metrics-file kept the
// week before as the newest published period and that week's findings:
// the findings' alerts looked at a week that was not the newest
// published (an outside review). A run that published gives its figures,
// whatever its status.
func TestMetricsOfAWeekPublishedWithAProblem(t *testing.T) {
	root := copyFixture(t)
	prom := filepath.Join(t.TempDir(), "ledgerlens.prom")
	wantExit(t, cron(t, root, "report", "weekly", "--week", prevWeek(t), "--unsigned", "--metrics-file", prom), 0, "first weekly run")
	editLine(t, ledgerPath(root), 100)
	wantExit(t, cron(t, root, "report", "weekly", "--week", focusWeek, "--unsigned", "--metrics-file", prom), 4, "weekly run on an edited ledger")
	if _, err := os.Stat(weeklyPath(root, focusWeek, 1, ".json")); err != nil {
		t.Fatalf("the week was not published: %v", err)
	}
	metrics := string(readFile(t, prom))
	week := strconv.FormatFloat(float64(mustParseDay(t, focusWeek).Unix()), 'g', -1, 64) // as the textfile writes it
	for _, want := range []string{
		series("ledgerlens_last_published_period_start_timestamp_seconds", "weekly-review", root) + " " + week,
		series("ledgerlens_job_last_status", "weekly-review", root) + " 0",
		series("ledgerlens_integrity_problems", "weekly-review", root) + " 1",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics of a week published with an integrity problem lack %s:\n%s", want, metrics)
		}
	}
}

// TestIntegrityAlarmWhosePostFailed: an edited ledger line, found by the
// daily check while the webhook answered 500; the edit reverted before
// the next check, which found nothing and settled the failed fire.
// Nobody was ever told the ledger had been edited (an outside review).
// The next check tells the receiver what was found then, and once.
func TestIntegrityAlarmWhosePostFailed(t *testing.T) {
	root, restore, check := integrityRoot(t)
	setDown, received := downWebhook(t, root)

	editLine(t, ledgerPath(root), 100)
	if err := check(); err == nil || !strings.Contains(err.Error(), "HTTP 500") {
		t.Fatalf("the check of an edited ledger, webhook down: %v", err)
	}
	restore()
	setDown(false)
	if err := check(); err != nil {
		t.Fatalf("the next check, the edit reverted: %v", err)
	}
	if err := check(); err != nil {
		t.Fatalf("the check after: %v", err)
	}
	if bodies := received(); len(bodies) != 1 || !strings.Contains(bodies[0], `"event":"integrity_problem"`) || !strings.Contains(bodies[0], `"found_at":`) ||
		!strings.Contains(bodies[0], "already-loaded bytes") {
		t.Errorf("the receiver was told %d times, want once, of the edit found before:\n%s", len(bodies), strings.Join(bodies, "\n"))
	}
}

// downWebhook configures root with one JSON receiver (its URL in
// LL_TEST_HOOK for this test) that answers 500 while down (at first), and
// returns the bodies it took while up.
func downWebhook(t *testing.T, root string) (setDown func(bool), received func() []string) {
	t.Helper()
	var (
		mu     sync.Mutex
		down   = true
		bodies []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if down {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		bodies = append(bodies, string(b))
	}))
	t.Cleanup(srv.Close)
	cfg := `{"webhooks": [{"name": "ops", "format": "json", "url_env": "LL_TEST_HOOK", "timeout_seconds": 2, "retries": 0}]}`
	if err := os.WriteFile(filepath.Join(root, "config", "ledgerlens.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LL_TEST_HOOK", srv.URL+"/hook")
	return func(d bool) {
			mu.Lock()
			defer mu.Unlock()
			down = d
		}, func() []string {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(bodies)
		}
}

// TestIntegrityAlarmThatCameBackWhosePostFailed: a receiver told of an
// edit; the edit reverted, a clean check; the same edit made again while
// the webhook was down, and reverted before the next check. The receiver,
// told of those problems once before, counted as told for good, and never
// heard that they came back (a second review). It is told, once.
func TestIntegrityAlarmThatCameBackWhosePostFailed(t *testing.T) {
	root, restore, run := integrityRoot(t)
	setDown, received := downWebhook(t, root)
	check := func(wantProblem bool) {
		t.Helper()
		if err := run(); (err != nil) != wantProblem {
			t.Fatalf("the check: %v, want a failure: %v", err, wantProblem)
		}
	}

	setDown(false)
	editLine(t, ledgerPath(root), 100)
	check(true) // told
	restore()
	check(false)
	setDown(true)
	editLine(t, ledgerPath(root), 100)
	check(true) // the post fails
	restore()
	setDown(false)
	check(false) // told late
	check(false)
	bodies := received()
	if len(bodies) != 2 || strings.Contains(bodies[0], `"found_at"`) || !strings.Contains(bodies[1], `"found_at"`) {
		t.Errorf("the receiver was told %d times, want twice (the second late):\n%s", len(bodies), strings.Join(bodies, "\n"))
	}
}

// integrityRoot is a root with a key and one week published; restore puts
// its ledger back as it is now, and check runs the scheduler's integrity
// check on it in process, returning the run's error.
func integrityRoot(t *testing.T) (root string, restore func(), check func() error) {
	t.Helper()
	root = copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	wantExit(t, cron(t, root, "report", "weekly", "--week", prevWeek(t)), 0, "first weekly run")
	original := readFile(t, ledgerPath(root))
	a := newApp(&strings.Builder{}, &strings.Builder{})
	a.root = root
	return root, func() {
			if err := os.WriteFile(ledgerPath(root), original, 0o644); err != nil {
				t.Fatal(err)
			}
		}, func() error {
			_, err := a.integrityJob(0)(context.Background(), time.Now())
			return err
		}
}

// TestSchedulerNamesItsJobs: the daemon's start said "jobs=3" whether it
// ran all three or none (every job disabled in the configuration), and
// then ran nothing with nothing said. It now names the jobs it runs and
// those it does not, and warns when it runs none.
func TestSchedulerNamesItsJobs(t *testing.T) {
	tests := []struct {
		name, config      string
		enabled, disabled string
		warns             bool
	}{
		{"defaults", `{}`, "jobs=weekly-review,integrity-check,sla-report ", "disabled=none ", false},
		{"one disabled", `{"schedules": [{"name": "sla-report", "enabled": false}]}`,
			"jobs=weekly-review,integrity-check ", "disabled=sla-report ", false},
		{"all disabled", `{"schedules": [{"name": "weekly-review", "enabled": false}, {"name": "integrity-check", "enabled": false}, {"name": "sla-report", "enabled": false}]}`,
			"jobs=none ", "disabled=weekly-review,integrity-check,sla-report ", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := copyFixture(t)
			mustRun(t, "--root", root, "keys", "generate")
			if err := os.WriteFile(filepath.Join(root, "config", "ledgerlens.json"), []byte(tc.config), 0o644); err != nil {
				t.Fatal(err)
			}
			stderr, _ := runScheduler(t, root, nil, "scheduler started")
			var started string
			for _, line := range strings.Split(stderr, "\n") {
				if strings.Contains(line, "scheduler started") {
					started = line
				}
			}
			if !strings.Contains(started, tc.enabled) || !strings.Contains(started, tc.disabled) {
				t.Errorf("start line %q, want %s and %s", started, tc.enabled, tc.disabled)
			}
			if warned := strings.Contains(stderr, `level=ERROR msg="every scheduled job is disabled`); warned != tc.warns {
				t.Errorf("warned %t, want %t:\n%s", warned, tc.warns, stderr)
			}
		})
	}
}
