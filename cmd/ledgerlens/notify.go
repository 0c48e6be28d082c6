package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ledgerlens/ledgerlens/notify"
	"github.com/ledgerlens/ledgerlens/pipeline"
	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/reports"
)

// notifyPolicy says what a notification that did not reach a configured
// receiver does to the command that sent it. Every failure is recorded in
// the audit log either way, and nothing published is touched.
type notifyPolicy int

const (
	// notifyLog logs the failure at error level (stderr, also under
	// --quiet, which cron mails); the command's own outcome decides its
	// exit status.
	notifyLog notifyPolicy = iota
	// notifyFail returns the failure: the scheduler then records the run
	// as failed and retries it, and the retry, which publishes nothing
	// new, tells the receivers not told yet. Logged only in a daemon's
	// journal, a failure told nobody that nobody was told.
	notifyFail
	// notifyRequired is --require-notify: notifyFail, and an error too
	// when no receiver is configured.
	notifyRequired
)

// requireNotify is the policy of a command with --require-notify.
func requireNotify(require bool) notifyPolicy {
	if require {
		return notifyRequired
	}
	return notifyLog
}

// notifyWeekly tells the configured webhooks about a weekly publication
// (or, after a no-op re-run, about the published report if they were not
// told yet); policy says what a failure does to the command.
func (a *app) notifyWeekly(ctx context.Context, res *pipeline.WeeklyResult, lockTimeout time.Duration, policy notifyPolicy) error {
	if res == nil || res.Report == nil || res.Report.Schema == "" || res.JSONPath == "" {
		return nil
	}
	files, err := a.publishedFiles(res.JSONPath, res.XLSXPath, res.RejectsPath)
	if err != nil {
		return a.notifyFailed(err, policy)
	}
	return a.deliver(ctx, notify.WeeklyMessage(res.Report, files), "report weekly: notify", lockTimeout, policy)
}

// notifySLA tells the configured webhooks about a monthly SLA publication
// (not about a no-op re-run of an identical month: the message key is the
// report's SHA-256, which every receiver is told once).
func (a *app) notifySLA(ctx context.Context, res *pipeline.SLAResult, lockTimeout time.Duration, policy notifyPolicy) error {
	if res == nil || res.Report == nil || res.JSONPath == "" {
		return nil
	}
	files, err := a.publishedFiles(res.JSONPath, res.XLSXPath)
	if err != nil {
		return a.notifyFailed(err, policy)
	}
	return a.deliver(ctx, notify.SLAMessage(res.Report, res.Revision, files), "report sla: notify", lockTimeout, policy)
}

// notifyIntegrity tells the configured webhooks about integrity problems.
func (a *app) notifyIntegrity(ctx context.Context, problems []string, command string, policy notifyPolicy) error {
	if len(problems) == 0 {
		return nil
	}
	return a.deliver(ctx, notify.IntegrityMessage(problems), command, 0, policy)
}

func (a *app) deliver(ctx context.Context, m notify.Message, command string, lockTimeout time.Duration, policy notifyPolicy) error {
	l := a.layout()
	cfg, _, err := inputs.LoadConfig(l.Config)
	if err != nil {
		return a.notifyFailed(err, policy)
	}
	if problems := job.ConfigAccessProblems(l); len(problems) > 0 {
		// Whoever may write the configuration chose who is told: a
		// receiver taken out of it heard nothing, and nothing said so
		// (an outside review).
		a.log.Error("the webhooks are listed in a configuration others may write: they chose who is told, and a receiver they took out of it does not hear of this",
			"config", l.Config, "receivers", len(cfg.Webhooks))
	}
	if len(cfg.Webhooks) == 0 {
		if policy == notifyRequired {
			return errors.New("--require-notify: no webhooks configured in config/ledgerlens.json")
		}
		return nil
	}
	_, err = pipeline.Notify(ctx, a.env(command, lockTimeout), cfg.Webhooks, m)
	if err != nil {
		return a.notifyFailed(err, policy)
	}
	return nil
}

// redeliverIntegrity tells each configured receiver whose post of an
// earlier check's integrity problems failed, and that has not been told
// of them since, what was found then. Retried with the check, such a post
// was lost once the problems were gone: the clean check settled the
// failed fire, and nobody heard of an edit that was reverted in between
// (an outside review). current are this check's own problems, sent
// already: an earlier set among them is told now. After a post to a
// receiver fails, that receiver waits for the next check (each post may
// hold the lock for minutes); the others are still told. The error is a
// receiver not told (notifyFail).
func (a *app) redeliverIntegrity(ctx context.Context, entries []audit.Entry, current []string) error {
	cfg, _, err := inputs.LoadConfig(a.layout().Config)
	if err != nil || len(cfg.Webhooks) == 0 {
		return nil // a configuration the check cannot read is its own problem
	}
	names := make([]string, len(cfg.Webhooks))
	for i, h := range cfg.Webhooks {
		names[i] = h.Name
	}
	pending := notify.Undelivered(entries, names)
	down := map[string]bool{}
	var errs []error
	found := job.ProblemsFound(entries)
	for i := len(found) - 1; i >= 0 && len(pending) > 0; i-- { // the newest record of each
		m := notify.UndeliveredIntegrityMessage(found[i].Problems, found[i].At)
		receivers, ok := pending[m.Key]
		delete(pending, m.Key)
		if !ok || allIn(found[i].Problems, current) {
			continue
		}
		var hooks []inputs.Webhook
		for _, h := range cfg.Webhooks {
			if slices.Contains(receivers, h.Name) && !down[h.Name] {
				hooks = append(hooks, h)
			}
		}
		if len(hooks) == 0 {
			continue
		}
		results, err := pipeline.Notify(ctx, a.env("schedule run: integrity-check: notify", 0), hooks, m)
		for _, r := range results {
			if r.Err != nil {
				down[r.Receiver] = true
			}
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// allIn reports whether every line of problems is among current.
func allIn(problems, current []string) bool {
	for _, p := range problems {
		if !slices.Contains(current, p) {
			return false
		}
	}
	return len(current) > 0
}

// notifyFailed is a notification failure under policy: returned, or a
// line at error level, which reaches stderr also under --quiet, so that
// cron mails it: nobody was told, though the exit status is the
// command's own.
func (a *app) notifyFailed(err error, policy notifyPolicy) error {
	if policy != notifyLog {
		return err
	}
	// Not "the publication stands": verify all notifies too, and a
	// configuration that cannot be read means nothing was published.
	a.log.Error("notification not delivered; the command's own outcome decides its exit status (report weekly and report sla fail on it with --require-notify)", "err", err)
	return nil
}

// publishedFiles names the published files (paths "" skipped) with their
// SHA-256, paths relative to the working root, for a message's files.
func (a *app) publishedFiles(paths ...string) ([]notify.File, error) {
	l := a.layout()
	var files []notify.File
	for _, p := range paths {
		if p == "" {
			continue
		}
		sum, err := reports.FileSHA256(p)
		if err != nil {
			return nil, fmt.Errorf("notify: %w", err)
		}
		files = append(files, notify.File{Path: l.Rel(p), SHA256: sum})
	}
	return files, nil
}
