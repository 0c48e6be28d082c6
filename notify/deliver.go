package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// Audit events of a delivery.
const (
	EventSent   = "notify_sent"
	EventFailed = "notify_failed"
	// EventMuted: the receiver's url_env variable is set to nothing (the
	// runbook's kill switch), so nothing was posted.
	EventMuted = "notify_muted"
)

// DefaultBackoff is the wait before the first retry; it doubles after each.
const DefaultBackoff = time.Second

// errOutOfTime is the cause of a delivery that ran out of Options.Budget.
var errOutOfTime = errors.New("out of time")

// ErrFailed is wrapped by Deliver's error when a receiver could not be
// told: `--require-notify` turns it into a failing exit status.
var ErrFailed = errors.New("notification failed")

// Options say where to deliver and how.
type Options struct {
	// Layout locates files named by url_file.
	Layout inputs.Layout
	// Hooks are the configured receivers; none means nothing to do.
	Hooks []inputs.Webhook
	// LookupEnv reads url_env variables (os.LookupEnv when nil).
	LookupEnv func(string) (string, bool)
	// Record appends a delivery's outcome to the audit log: the caller's
	// job, which holds the working root's lock and signs what it appends
	// (an unsigned entry would fail every later check of the log). Nil
	// delivers without recording, for when no job could open the log.
	Record func(ctx context.Context, event string, fields map[string]any) error
	// Entries is the part of the audit log, as the caller's job verified
	// it, whose notify_sent entries count: a receiver with one for the
	// message's key in it is not told again. Nil tells every receiver in
	// Hooks: when no job could verify the log (an unverified log may hold
	// a forged notify_sent that would silence the very alarm about it),
	// and for a redelivery, whose caller chose the receivers not told.
	Entries []audit.Entry
	// Log receives one line per receiver (nil: discarded).
	Log *slog.Logger
	// Backoff is the wait before the first retry (DefaultBackoff when 0).
	Backoff time.Duration
	// Transport, when set, replaces http.DefaultTransport.
	Transport http.RoundTripper
	// Budget, when set, is the time all receivers' deliveries share: a
	// receiver still being tried when it runs out fails ("out of time"),
	// and so do those after it, at once. The caller holds the working
	// root's lock while it delivers, and every job waits meanwhile.
	Budget time.Duration
}

// LockBudget is the Budget of a delivery made under the working root's
// lock (pipeline.Notify): with every receiver at the configuration's
// maxima (a 300 s timeout, 10 retries), one slow receiver kept the lock,
// and with it the daily check and the jobs, for most of an hour.
const LockBudget = 5 * time.Minute

// Result is what happened for one receiver.
type Result struct {
	Receiver string
	// Skipped is true when the receiver already has a notify_sent for the
	// message's key: nothing was posted.
	Skipped bool
	// Muted is true when the receiver's url_env variable is set to
	// nothing: nothing was posted, and it is not a failure.
	Muted    bool
	Status   int
	Attempts int
	Err      error
}

// Deliver posts m to every configured receiver that has not yet been told
// about m.Key and records each outcome through opts.Record: notify_sent
// with the HTTP status, or notify_failed with the status (0 when no
// response arrived) and the error. A receiver whose URL cannot be read
// fails like one that cannot be reached. The caller holds the working
// root's lock.
//
// The returned error wraps ErrFailed when any receiver failed, and is
// otherwise about the lock or the audit log. Nothing published is touched
// either way.
func Deliver(ctx context.Context, opts Options, m Message) ([]Result, error) {
	if len(opts.Hooks) == 0 {
		return nil, nil
	}
	if m.Key == "" {
		return nil, errors.New("notify: message without a key")
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.Backoff <= 0 {
		opts.Backoff = DefaultBackoff
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	told := alreadySent(opts.Entries, m.Key)
	dctx := ctx
	if opts.Budget > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeoutCause(ctx, opts.Budget, errOutOfTime)
		defer cancel()
	}

	var results []Result
	var failed []error
	for _, h := range opts.Hooks {
		if told[h.Name] {
			log.Info("notification already sent", "receiver", h.Name, "event", m.Event, "key", m.Key)
			results = append(results, Result{Receiver: h.Name, Skipped: true})
			continue
		}
		r := deliverOne(dctx, opts, h, m)
		if r.Err != nil && errors.Is(context.Cause(dctx), errOutOfTime) && ctx.Err() == nil {
			r.Err = fmt.Errorf("out of time: all receivers share %s, while the jobs wait for the lock (%w)", opts.Budget, r.Err)
		}
		results = append(results, r)
		fields := map[string]any{"receiver": h.Name, "format": h.Format, "about": m.Event, "key": m.Key,
			"status": r.Status, "attempts": r.Attempts}
		event := EventSent
		switch {
		case r.Muted:
			event = EventMuted
			fields["url_env"] = h.URLEnv
			delete(fields, "status")
			delete(fields, "attempts")
			// At error level, which reaches stderr under --quiet too: cron
			// mails it on every run until the switch is undone.
			log.Error("notification muted: its url_env variable is set to nothing (the kill switch); unset it or set the URL to re-enable", "receiver", h.Name, "url_env", h.URLEnv, "event", m.Event)
		case r.Err != nil:
			event = EventFailed
			fields["error"] = r.Err.Error()
			failed = append(failed, fmt.Errorf("webhook %s: %w", h.Name, r.Err))
			log.Warn("notification failed", "receiver", h.Name, "status", r.Status, "attempts", r.Attempts, "err", r.Err)
		default:
			log.Info("notification sent", "receiver", h.Name, "status", r.Status, "attempts", r.Attempts)
		}
		// Recorded even when ctx was cancelled: the attempt happened.
		if opts.Record != nil {
			if err := opts.Record(context.WithoutCancel(ctx), event, fields); err != nil {
				return results, fmt.Errorf("notify: %w", err)
			}
		}
	}
	if len(failed) > 0 {
		return results, fmt.Errorf("%w: %w", ErrFailed, errors.Join(failed...))
	}
	return results, nil
}

func deliverOne(ctx context.Context, opts Options, h inputs.Webhook, m Message) Result {
	r := Result{Receiver: h.Name}
	target, err := webhookURL(h, opts.Layout.Root, opts.LookupEnv)
	if errors.Is(err, errMuted) {
		r.Muted = true
		return r
	}
	if err != nil {
		r.Err = err
		return r
	}
	payload, err := JSONPayload(m)
	if h.Format == inputs.WebhookSlack {
		payload, err = SlackPayload(m)
	}
	if err != nil {
		r.Err = err
		return r
	}
	client := &http.Client{Transport: opts.Transport}
	if client.Transport == nil {
		client.Transport = http.DefaultTransport
	}
	// Redirects would send the payload on to a host the configuration does
	// not name; a webhook answers where it is.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	a := post(ctx, client, target, payload, h.Timeout, h.Retries, opts.Backoff)
	r.Status, r.Attempts, r.Err = a.Status, a.Attempts, a.Err
	return r
}

// Undelivered returns, for each integrity message some receiver in
// receivers was posted and not told, those receivers: the newest of its
// notify_sent and notify_failed entries for the message's key is a
// notify_failed. A receiver told of a key once and failed for it later
// (the problems came back) is pending again; one that was never posted
// it (added to the configuration since) is not.
func Undelivered(entries []audit.Entry, receivers []string) map[string][]string {
	last := map[[2]string]string{}
	var order [][2]string
	for _, e := range entries {
		if e.Fields["about"] != EventIntegrityProblem || (e.Event != EventFailed && e.Event != EventSent) {
			continue
		}
		r, _ := e.Fields["receiver"].(string)
		k, _ := e.Fields["key"].(string)
		rk := [2]string{r, k}
		if _, seen := last[rk]; !seen {
			order = append(order, rk)
		}
		last[rk] = e.Event
	}
	out := map[string][]string{}
	for _, rk := range order {
		if last[rk] == EventFailed && slices.Contains(receivers, rk[0]) {
			out[rk[1]] = append(out[rk[1]], rk[0])
		}
	}
	return out
}

// alreadySent returns the receivers with a notify_sent for key in
// entries.
func alreadySent(entries []audit.Entry, key string) map[string]bool {
	told := map[string]bool{}
	for _, e := range entries {
		if e.Event != EventSent || e.Fields["key"] != key {
			continue
		}
		if r, ok := e.Fields["receiver"].(string); ok {
			told[r] = true
		}
	}
	return told
}
