package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ledgerlens/ledgerlens/notify"
	"github.com/ledgerlens/ledgerlens/pipeline"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/reports"
)

// notifyWeekly tells the configured webhooks about a weekly publication
// (or, after a no-op re-run, about the published report if they were not
// told yet). A failure is logged and recorded in the audit log; it fails
// the command only when require (--require-notify) is set. Nothing
// published is touched either way.
func (a *app) notifyWeekly(ctx context.Context, res *pipeline.WeeklyResult, lockTimeout time.Duration, require bool) error {
	if res == nil || res.Report == nil || res.Report.Schema == "" || res.JSONPath == "" {
		return nil
	}
	files, err := a.publishedFiles(res.JSONPath, res.XLSXPath, res.RejectsPath)
	if err != nil {
		return a.notifyFailed(err, require)
	}
	return a.deliver(ctx, notify.WeeklyMessage(res.Report, files), "report weekly: notify", lockTimeout, require)
}

// notifySLA tells the configured webhooks about a monthly SLA publication
// (not about a no-op re-run of an identical month: the message key is the
// report's SHA-256, which every receiver is told once).
func (a *app) notifySLA(ctx context.Context, res *pipeline.SLAResult, lockTimeout time.Duration, require bool) error {
	if res == nil || res.Report == nil || res.JSONPath == "" {
		return nil
	}
	files, err := a.publishedFiles(res.JSONPath, res.XLSXPath)
	if err != nil {
		return a.notifyFailed(err, require)
	}
	return a.deliver(ctx, notify.SLAMessage(res.Report, res.Revision, files), "report sla: notify", lockTimeout, require)
}

// notifyIntegrity tells the configured webhooks about integrity problems.
func (a *app) notifyIntegrity(ctx context.Context, problems []string, command string, require bool) error {
	if len(problems) == 0 {
		return nil
	}
	return a.deliver(ctx, notify.IntegrityMessage(problems), command, 0, require)
}

func (a *app) deliver(ctx context.Context, m notify.Message, command string, lockTimeout time.Duration, require bool) error {
	l := a.layout()
	cfg, _, err := inputs.LoadConfig(l.Config)
	if err != nil {
		return a.notifyFailed(err, require)
	}
	if len(cfg.Webhooks) == 0 {
		if require {
			return errors.New("--require-notify: no webhooks configured in config/ledgerlens.json")
		}
		return nil
	}
	_, err = pipeline.Notify(ctx, a.env(command, lockTimeout), cfg.Webhooks, m)
	if err != nil {
		return a.notifyFailed(err, require)
	}
	return nil
}

// notifyFailed is a notification failure: an error with --require-notify,
// otherwise a line at error level, which reaches stderr also under
// --quiet, so that cron mails it: nobody was told, though the exit status
// is the publication's.
func (a *app) notifyFailed(err error, require bool) error {
	if require {
		return err
	}
	// Not "the publication stands": verify all notifies too, and a
	// configuration that cannot be read means nothing was published.
	a.log.Error("notification not delivered; the command's own outcome decides its exit status (use --require-notify to fail on this)", "err", err)
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
