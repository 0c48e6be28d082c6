package review

import (
	"context"
	"database/sql"
	"embed"
	"errors"
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
	c := &computation{ctx: ctx, in: in, p: in.Period}
	w, err := c.run(st)
	if err != nil {
		return nil, fmt.Errorf("weekly review %s: %w", in.Period.Label(), err)
	}
	return w, nil
}

// computation is one review's state, shared by the lanes its sections
// run on: the inputs, the period and the report being filled in.
type computation struct {
	ctx context.Context
	in  Input
	p   Period
	w   *reports.Weekly
}

// analysis is a review computation as one lane sees it: the sections run
// on it one at a time (lanes.go), each on the lane's connection to the
// store, db, with st the store read through that connection.
type analysis struct {
	*computation
	st *store.Store
	db *sql.Conn
	// defined says whether the rule macros and the classified view,
	// which are each connection's own, are defined on db (define).
	defined bool
	// pending is the running section's work left to run in the
	// background (later); the section is done when it is.
	pending *errgroup.Group
}

// later runs fn in the background while the lane goes on with the next
// section: fn is a section's computation in Go over results the section
// has already read, so that it and the engine's work of other sections use
// both cores. fn must not use the connection and must write only its own
// section's fields of a.w; the section counts as done, for the sections
// that need it, only once fn has returned.
func (a *analysis) later(section string, fn func() error) {
	a.pending.Go(func() (err error) {
		defer recovered(section, &err)
		if err := fn(); err != nil {
			return fmt.Errorf("%s: %w", section, err)
		}
		return nil
	})
}

// The sections' names, as the log and errors give them and needs name
// them.
const (
	sectionPrepare          = "prepare"
	sectionDrift            = "drift"
	sectionSummary          = "summary"
	sectionScenarios        = "scenarios"
	sectionSpikeRuns        = "spike runs"
	sectionBaseline         = "baseline candidates"
	sectionReliability      = "reliability"
	sectionCreditsPerDay    = "credits per day"
	sectionDataQuality      = "data quality"
	sectionPolicyViolations = "policy violations"
	sectionActionRequired   = "action required"
)

// sections are the review's parts in the order they are started when
// ready. A section that needs prepare reads the review's tables (classify
// and the side inputs); the others read the store alone and start at
// once, beside prepare.
func sections() []section {
	classified := []string{sectionPrepare}
	return []section{
		{sectionPrepare, nil, (*analysis).prepare},
		// Drift reads the store only and finishes in the background
		// (drift.go, later): started early, its Go work overlaps the
		// queries of the sections below. Spike runs finish in the
		// background too.
		{sectionDrift, nil, (*analysis).drift},
		{sectionDataQuality, nil, (*analysis).dataQuality},
		{sectionSummary, classified, (*analysis).summaryStats},
		{sectionScenarios, classified, (*analysis).scenarios},
		{sectionSpikeRuns, classified, (*analysis).spikeRuns},
		{sectionBaseline, classified, (*analysis).baselineCandidates},
		{sectionReliability, classified, (*analysis).reliability},
		{sectionCreditsPerDay, classified, (*analysis).creditsPerDay},
		// It lists the modifications data quality found and the
		// significant drift.
		{sectionPolicyViolations, []string{sectionPrepare, sectionDataQuality, sectionDrift}, (*analysis).policyViolations},
		// It reads every other section's findings.
		{sectionActionRequired, []string{sectionPrepare, sectionDrift, sectionDataQuality, sectionSummary, sectionScenarios,
			sectionSpikeRuns, sectionBaseline, sectionReliability, sectionCreditsPerDay, sectionPolicyViolations},
			(*analysis).actionRequired},
	}
}

func (c *computation) run(st *store.Store) (*reports.Weekly, error) {
	pol := c.in.Policy
	c.w = &reports.Weekly{
		Schema:      reports.Schema,
		ReportID:    "CREDIT_REVIEW_" + c.p.Label(),
		PeriodStart: c.p.Start.Format(time.RFC3339),
		PeriodEnd:   c.p.End.Format(time.RFC3339),
		TimeZone:    c.p.Loc.String(),
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
	lanes := []*analysis{{computation: c, st: st, db: st.Conn()}}
	// A second lane, on the store's second connection, where the
	// window's runs are too few for one statement to keep every engine
	// thread busy (a week of a year-long ledger is one row group): the
	// two lanes' statements then share the cores. Where they are not,
	// each statement uses every core already, and a second one at the
	// same time only competes with it for them and for the engine's
	// memory (the review of a 10M-run ledger took 5–10 % longer on two).
	var n int64
	if err := lanes[0].scanOne("window_runs", map[string]any{"runs": &n}, c.windowStart(), c.p.End); err != nil {
		return nil, err
	}
	if !st.FillsThreads(n) {
		// A second connection already taken (by a caller that reads
		// beside the review) leaves the review on one: never waited for.
		second, err := st.Second(c.ctx)
		switch {
		case err == nil:
			defer second.Close()
			lanes = append(lanes, &analysis{computation: c, st: second, db: second.Conn()})
		case !errors.Is(err, store.ErrNoSecond):
			return nil, err
		}
	}
	if c.in.Log != nil {
		c.in.Log.Debug("review lanes", "lanes", len(lanes), "window_runs", n)
	}
	if err := runSections(c.ctx, sections(), lanes, c.in.Log); err != nil {
		return nil, err
	}
	return c.w, nil
}

// windowStart is the earliest instant the classified runs cover: the
// previous week, which the summary and scenario sections compare with.
// The longer windows (drift reference, baseline window) need only a few
// columns and read the runs view directly.
func (c *computation) windowStart() time.Time { return c.p.Shift(-1).Start }

// prepare loads the small side inputs into the review's tables and
// classifies the runs of the analysis window (classify.sql), then defines
// the classified view on its lane (define). The review's tables are in an
// in-memory database attached as "review" (side_tables.sql), which both
// lanes' connections see, where temporary tables would be one
// connection's own.
func (a *analysis) prepare() error {
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
	}{{"review.baseline", baselines}, {"review.case_runs", caseRuns}, {"review.cases_t", cases}, {"review.days", days}} {
		if err := a.st.InsertRows(a.ctx, t.name, t.rows); err != nil {
			return err
		}
	}
	if err := rules.Install(a.ctx, a.db); err != nil {
		return err
	}
	sp := a.in.Policy.SeverityPolicy
	if err := a.exec(query("classify"), a.windowStart(), a.p.End,
		sp.Sev0.Multiplier, sp.Sev1.Multiplier, sp.Sev2.Multiplier, sp.Sev3.Multiplier, sp.Sev0.PIIOrRegulatory); err != nil {
		return fmt.Errorf("classify.sql: %w", err)
	}
	return a.defineView()
}

// define defines, on the lane's connection, what the sections that read
// the classified runs use and each connection keeps as its own: the rule
// macros (pipeline/rules) and the classified view (classified_view.sql).
// It runs once per lane, after prepare.
func (a *analysis) define() error {
	if a.defined {
		return nil
	}
	if err := rules.Install(a.ctx, a.db); err != nil {
		return err
	}
	return a.defineView()
}

// defineView defines the classified view on the lane's connection.
func (a *analysis) defineView() error {
	if err := a.exec(query("classified_view")); err != nil {
		return fmt.Errorf("classified_view.sql: %w", err)
	}
	a.defined = true
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
