// Package notify tells people what a run found: after a weekly review or a
// monthly SLA report is published, and on every integrity problem, it posts to the webhooks
// configured in config/ledgerlens.json — a Slack-compatible incoming-webhook
// message (text plus blocks) or ledgerlens' own JSON payload — and records
// each delivery (notify_sent, notify_failed, with the HTTP status;
// notify_muted for a receiver whose url_env variable is set to nothing)
// through the caller's job, which holds the lock and signs what it
// appends (pipeline.Notify); it never opens the audit log for writing
// itself.
//
// It owns the messages, their two payload formats, delivery (a timeout per
// attempt, bounded retries with exponential backoff) and the rule that a
// receiver is not told the same message twice: a message carries a key (the
// published report's SHA-256, or a digest of the integrity problems) and a
// receiver with a notify_sent for that key among the entries its caller
// passes (Options.Entries) is not posted to again. Which entries count is
// the caller's choice (pipeline.Notify): for an integrity alarm only those
// since the last check that found nothing, so that problems which went
// away and came back are told again; for an alarm redelivered after a
// failed post (Message.FoundAt) none, because the caller has already
// narrowed the receivers to those not told (Undelivered).
//
// It must not publish, change or remove any report: a failed notification
// is recorded and returned, never undone into the publication. It must not
// write a webhook URL anywhere — not to logs, errors, the audit log or a
// report: URLs are secrets, read from an environment variable or a file of
// mode 0600 at delivery time and forgotten after it.
package notify
