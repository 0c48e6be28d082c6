package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/ledgerlens/ledgerlens/reports"
)

// Events a message can report.
const (
	EventPublished        = "weekly_published"
	EventSLAPublished     = "sla_published"
	EventIntegrityProblem = "integrity_problem"
)

// Message is one notification, whatever the receiver's format.
type Message struct {
	// Event is EventPublished, EventSLAPublished or EventIntegrityProblem.
	Event string
	// Key identifies what is announced: a receiver is told about one key
	// once (see Deliver).
	Key string
	// Title is the one-line summary, the text a chat client shows.
	Title string
	// ReportID, PeriodStart, PeriodEnd and Revision name the published
	// report (empty for an integrity problem).
	ReportID, PeriodStart, PeriodEnd string
	Revision                         int
	// Figures are headline figures, in order.
	Figures []Figure
	// Actions is the report's action-required list.
	Actions []reports.ActionRequiredItem
	// Files are the published files, paths relative to the working root.
	Files []File
	// Problems are the integrity problems found, one line each.
	Problems []string
	// FoundAt, set only for an integrity message delivered late
	// (UndeliveredIntegrityMessage), is when the problems were found.
	FoundAt string
}

// Figure is one labelled headline value, already formatted.
type Figure struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// File is a published file and its SHA-256.
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// WeeklyMessage announces the publication of w. files are the published
// files; the first is the report's JSON, whose SHA-256 is the message key,
// so re-running an identical, already published week announces nothing new.
func WeeklyMessage(w *reports.Weekly, files []File) Message {
	s := w.SummaryStats
	m := Message{
		Event:       EventPublished,
		ReportID:    w.ReportID,
		PeriodStart: w.PeriodStart,
		PeriodEnd:   w.PeriodEnd,
		Revision:    max(w.Revision, 1),
		Actions:     w.ActionRequired,
		Files:       files,
		Figures: []Figure{
			{"Runs", groupInt(s.TotalRuns)},
			{"Credits", groupMoney(s.TotalCredits)},
			{"Failed runs", groupInt(s.FailedRuns)},
			{"Policy violations", groupInt(int64(len(w.PolicyViolations)))},
			{"Ledger append-only", w.DataQuality.AppendOnly.Status},
			{"Rejected lines", groupInt(w.DataQuality.Rejected)},
		},
	}
	if len(files) > 0 {
		m.Key = "sha256:" + files[0].SHA256
	}
	m.Title = fmt.Sprintf("Weekly credit review %s published (revision %d): %s", day(w.PeriodStart), m.Revision, actionSummary(w.ActionRequired))
	return m
}

// SLAMessage announces the publication of the monthly SLA report r. files
// are the published files, the report's JSON first: its SHA-256 is the
// message key, as for WeeklyMessage.
func SLAMessage(r *reports.SLA, revision int, files []File) Message {
	s := r.Summary
	m := Message{
		Event:       EventSLAPublished,
		ReportID:    r.ReportID,
		PeriodStart: r.PeriodStart,
		PeriodEnd:   r.PeriodEnd,
		Revision:    max(revision, 1),
		Files:       files,
		Figures: []Figure{
			{"Services meeting SLO", fmt.Sprintf("%d of %d", s.ServicesMeetingSLO, s.Services)},
			{"Services in freeze", groupInt(s.ServicesInFreeze)},
			{"Incidents", groupInt(s.Incidents)},
			{"RTO breaches", groupInt(s.RTOBreaches)},
			{"SLA clock breaches", fmt.Sprintf("%d of %d", s.ClockBreaches, s.ClockItems)},
		},
	}
	if len(files) > 0 {
		m.Key = "sha256:" + files[0].SHA256
	}
	m.Title = fmt.Sprintf("Monthly SLA report %s published (revision %d): %d breach(es), %d service(s) in freeze",
		r.Month, m.Revision, s.Breaches, s.ServicesInFreeze)
	return m
}

// IntegrityMessage reports integrity problems. The key is a digest of the
// sorted problems: the same problems found again are not announced twice
// while they last (the alerting rules keep firing meanwhile); the caller
// decides from when a receiver's earlier notify_sent counts (Options.Entries:
// pipeline.Notify starts after the last integrity check that found none).
func IntegrityMessage(problems []string) Message {
	sorted := slices.Sorted(slices.Values(problems))
	sum := sha256.Sum256([]byte(strings.Join(sorted, "\n")))
	return Message{
		Event:    EventIntegrityProblem,
		Key:      "integrity:" + hex.EncodeToString(sum[:]),
		Title:    fmt.Sprintf("ledgerlens integrity check: %d problem(s) found", len(problems)),
		Problems: sorted,
	}
}

// UndeliveredIntegrityMessage is IntegrityMessage for problems a check
// found at foundAt (RFC 3339) whose post failed, told late: same key, so a
// receiver that has it is not told again, and a title that says when.
func UndeliveredIntegrityMessage(problems []string, foundAt string) Message {
	m := IntegrityMessage(problems)
	m.FoundAt = foundAt
	m.Title = fmt.Sprintf("ledgerlens integrity check of %s: %d problem(s) found then, not delivered then", foundAt, len(problems))
	return m
}

// actionSummary says how many items need action, by severity.
func actionSummary(items []reports.ActionRequiredItem) string {
	if len(items) == 0 {
		return "nothing needs action"
	}
	counts := map[string]int{}
	var order []string
	for _, it := range items {
		if counts[it.Severity] == 0 {
			order = append(order, it.Severity)
		}
		counts[it.Severity]++
	}
	parts := make([]string, len(order))
	for i, s := range order {
		parts[i] = fmt.Sprintf("%d %s", counts[s], s)
	}
	return fmt.Sprintf("%d item(s) need action (%s)", len(items), strings.Join(parts, ", "))
}

// day is the date part of an RFC 3339 timestamp.
func day(ts string) string {
	d, _, _ := strings.Cut(ts, "T")
	return d
}

func groupInt(v int64) string {
	s := fmt.Sprint(v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func groupMoney(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	whole, frac, _ := strings.Cut(s, ".")
	var n int64
	fmt.Sscan(whole, &n)
	g := groupInt(n)
	if n == 0 && strings.HasPrefix(whole, "-") {
		g = "-0"
	}
	return g + "." + frac
}
