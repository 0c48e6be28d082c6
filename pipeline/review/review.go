package review

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/rules"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

//go:embed sql/*.sql
var queries embed.FS

// query returns the embedded SQL file sql/<name>.sql.
func query(name string) string {
	b, err := queries.ReadFile("sql/" + name + ".sql")
	if err != nil {
		// The set of files is fixed at build time; a missing one is a bug
		// caught by every test.
		panic(fmt.Sprintf("review: missing embedded query %s: %v", name, err))
	}
	return string(b)
}

// Input is everything the review is computed from besides the store.
type Input struct {
	Period    Period
	Policy    inputs.Policy
	Baselines *inputs.Baselines
	Cases     []inputs.Case
	Incidents []inputs.Incident
	Config    inputs.Config
	// Published are the weekly reports already on disk, for late arrivals.
	Published []Published
	// Approvals are baseline approvals, for the maker-checker SLA clock.
	Approvals []Approval
	// StaleAt is "now" for the ledger_stale check when it is before the
	// period end (a preliminary report); zero means the period end.
	StaleAt time.Time
	// LedgerModifications are the ledger modifications the audit log
	// records, oldest first, each with the acknowledgment that covers it
	// there (nil when none does). They are the report's: the log keeps
	// them when the store is rebuilt, and an acknowledgment covers only
	// what was detected before it, so an edit of the same lines made
	// after it is not listed as acknowledged. Each names the ingest that
	// found it as the log recorded it then; the store's own record adds
	// any the log lacks.
	LedgerModifications []LoggedModification
	// ConflictingDuplicates are every conflicting duplicate in the store,
	// each with its acknowledgment, if any (for data_quality and the
	// duplicate_conflicting findings).
	ConflictingDuplicates []reports.ConflictingDuplicate
	// Tails are the last lines without a newline of the cases and
	// incidents files, for data_quality; entries with Line 0 are ignored.
	Tails []InputTail
	// Log, when set, receives each section's duration at debug level.
	Log *slog.Logger
}

// LoggedModification is a ledger modification as the audit log records
// it, with its acknowledgment, if any.
type LoggedModification struct {
	AuditSeq                           int64 // its tamper_detected entry
	IngestSeq                          int64 // the store's ingest that found it, as logged then (0: not logged)
	ByteFrom, ByteTo, LineFrom, LineTo int64
	Ack                                *reports.LedgerAck
}

// InputTail is the unterminated last line of one input file.
type InputTail struct {
	File string // as the report names it (relative to the root)
	inputs.Tail
}

// Published is the newest revision of an already published weekly report.
type Published = reports.PublishedWeek

// Approval is one baseline proposal, for the maker-checker clock: applied,
// or still pending when ApprovedAt is zero.
type Approval struct {
	ProposalID string
	ScenarioID string
	ProposedAt time.Time
	ApprovedAt time.Time
}

// Weekly computes the review of in.Period. The returned model lacks only
// what the publishing job adds: inputs' file list, generator, signing key
// and audit head.
func Weekly(ctx context.Context, st *store.Store, in Input) (*reports.Weekly, error) {
	r := &analysis{ctx: ctx, st: st, db: st.Conn(), in: in, p: in.Period}
	w, err := r.run()
	if err != nil {
		return nil, fmt.Errorf("weekly review %s: %w", in.Period.Label(), err)
	}
	return w, nil
}

// analysis carries one review computation's state between its sections.
type analysis struct {
	ctx context.Context
	st  *store.Store
	db  *sql.Conn
	in  Input
	p   Period
	w   *reports.Weekly
	// pending is the sections' work left to run in the background
	// (later); settle waits for it.
	pending errgroup.Group
}

// later runs fn in the background while the next sections query the
// store: fn is a section's computation in Go over results the section has
// already read, so that it and the engine's work of the sections after it
// use both cores. fn must not use the connection (one statement at a time
// runs on it) and must write only its own section's fields of a.w; a
// section that reads those fields calls settle first.
func (a *analysis) later(section string, fn func() error) {
	a.pending.Go(func() error {
		if err := fn(); err != nil {
			return fmt.Errorf("%s: %w", section, err)
		}
		return nil
	})
}

// settle waits for the work started by later and returns its first error.
func (a *analysis) settle() error { return a.pending.Wait() }

func (a *analysis) run() (*reports.Weekly, error) {
	pol := a.in.Policy
	a.w = &reports.Weekly{
		Schema:      reports.Schema,
		ReportID:    "CREDIT_REVIEW_" + a.p.Label(),
		PeriodStart: a.p.Start.Format(time.RFC3339),
		PeriodEnd:   a.p.End.Format(time.RFC3339),
		TimeZone:    a.p.Loc.String(),
		Provenance:  reports.Provenance{Revision: 1},
		Policy: reports.PolicyThresholds{
			Sev0Multiplier:     pol.SeverityPolicy.Sev0.Multiplier,
			Sev1Multiplier:     pol.SeverityPolicy.Sev1.Multiplier,
			Sev2Multiplier:     pol.SeverityPolicy.Sev2.Multiplier,
			Sev3Multiplier:     pol.SeverityPolicy.Sev3.Multiplier,
			HealthyRunStatuses: pol.ReviewWindows.HealthyRunStatuses,
			BaselineWindowDays: pol.ReviewWindows.BaselineWindowDays,
		},
		Notes: []string{},
	}
	steps := []struct {
		name string
		fn   func() error
	}{
		{"prepare", a.prepare},
		// Drift reads the store only and finishes in the background
		// (drift.go, later): started early, its Go work overlaps the
		// queries of the sections below. Spike runs finish in the
		// background too.
		{"drift", a.drift},
		{"summary", a.summaryStats},
		{"scenarios", a.scenarios},
		{"spike runs", a.spikeRuns},
		{"baseline candidates", a.baselineCandidates},
		{"reliability", a.reliability},
		{"credits per day", a.creditsPerDay},
		{"data quality", a.dataQuality},
		{"policy violations", a.policyViolations},
		{"action required", a.actionRequired},
	}
	// No background work outlives the review, whatever the outcome.
	defer a.settle()
	for _, s := range steps {
		if err := a.ctx.Err(); err != nil {
			return nil, err
		}
		started := time.Now()
		if err := s.fn(); err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		if a.in.Log != nil {
			a.in.Log.Debug("review section", "section", s.name, "duration", time.Since(started))
		}
	}
	if err := a.settle(); err != nil {
		return nil, err
	}
	return a.w, nil
}

// windowStart is the earliest instant the classified runs cover: the
// previous week, which the summary and scenario sections compare with.
// The longer windows (drift reference, baseline window) need only a few
// columns and read the runs view directly.
func (a *analysis) windowStart() time.Time { return a.p.Shift(-1).Start }

// prepare loads the small side inputs into temp tables and classifies the
// runs of the analysis window (classify.sql, read through the classified
// view of classified_view.sql).
func (a *analysis) prepare() error {
	if err := rules.Install(a.ctx, a.db); err != nil {
		return err
	}
	if err := a.exec(query("side_tables")); err != nil {
		return fmt.Errorf("side_tables.sql: %w", err)
	}
	var baselines, caseRuns, cases, days [][]any
	for _, b := range a.in.Baselines.Entries {
		baselines = append(baselines, []any{b.ScenarioID, b.MedianCredits})
	}
	for _, c := range a.in.Cases {
		for _, id := range c.RunIDs() {
			caseRuns = append(caseRuns, []any{c.ID, id})
		}
		cases = append(cases, []any{c.ID, c.Severity, c.PrimaryRunID, timeOrNil(c.ResolvedAt), timeOrNil(c.RerunApprovedAt)})
	}
	for _, d := range a.p.Days() {
		days = append(days, []any{d[0].Format(time.DateOnly), d[0], d[1]})
	}
	for _, t := range []struct {
		name string
		rows [][]any
	}{{"baseline", baselines}, {"case_runs", caseRuns}, {"cases_t", cases}, {"days", days}} {
		if err := a.st.InsertRows(a.ctx, t.name, t.rows); err != nil {
			return err
		}
	}
	sp := a.in.Policy.SeverityPolicy
	if err := a.exec(query("classify"), a.windowStart(), a.p.End,
		sp.Sev0.Multiplier, sp.Sev1.Multiplier, sp.Sev2.Multiplier, sp.Sev3.Multiplier, sp.Sev0.PIIOrRegulatory); err != nil {
		return fmt.Errorf("classify.sql: %w", err)
	}
	if err := a.exec(query("classified_view")); err != nil {
		return fmt.Errorf("classified_view.sql: %w", err)
	}
	return nil
}

func (a *analysis) exec(q string, args ...any) error {
	if _, err := a.db.ExecContext(a.ctx, q, args...); err != nil {
		return err
	}
	return nil
}

func (a *analysis) queryRows(name string, args ...any) (*sql.Rows, error) {
	rows, err := a.db.QueryContext(a.ctx, query(name), args...)
	if err != nil {
		return nil, fmt.Errorf("%s.sql: %w", name, err)
	}
	return rows, nil
}

// timeOrNil turns an absent (zero) time into SQL NULL.
func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// formatTime renders an instant for the report: RFC 3339 in UTC.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
