package baselines

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/rules"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
)

// HighSeverityRun is a run that is SEV0 or SEV1 by its recorded severity or
// by the severity recomputed against the current baseline (docs/RULES.md:
// a run "is SEV0/SEV1" when either is).
type HighSeverityRun struct {
	RunID      string
	ScenarioID string
	Timestamp  time.Time
	Recorded   string   // as recorded; "" when absent
	Recomputed string   // "SEV0", "SEV1", or "" when lower or unknown
	Multiplier *float64 // credits / current baseline; nil without a baseline
}

// Severity is the more severe of the recorded and recomputed severities.
func (r HighSeverityRun) Severity() string {
	if r.Recorded == "SEV0" || r.Recomputed == "SEV0" {
		return "SEV0"
	}
	return "SEV1"
}

// HighSeverityQuery selects the runs HighSeverityRuns looks at.
type HighSeverityQuery struct {
	// ScenarioID restricts the search to one scenario; "" means all.
	ScenarioID string
	// From and To bound the run timestamps, [From, To).
	From, To  time.Time
	Baselines *inputs.Baselines
	Policy    inputs.Policy
}

// HighSeverityRuns lists the SEV0/SEV1 runs q selects, by time then ledger
// line. It is the check behind an approval (no SEV0/SEV1 in the 14 days
// before it) and the exceptions of the SLA report's observation clock.
func HighSeverityRuns(ctx context.Context, db *sql.Conn, q HighSeverityQuery) ([]HighSeverityRun, error) {
	stmt, err := query("high_severity")
	if err != nil {
		return nil, err
	}
	if err := rules.Install(ctx, db); err != nil {
		return nil, fmt.Errorf("high-severity runs: %w", err)
	}
	type baseline struct {
		ScenarioID    string  `json:"scenario_id"`
		MedianCredits float64 `json:"median_credits"`
	}
	bs := []baseline{}
	if q.Baselines != nil {
		for _, b := range q.Baselines.Entries {
			if q.ScenarioID == "" || b.ScenarioID == q.ScenarioID {
				bs = append(bs, baseline{b.ScenarioID, b.MedianCredits})
			}
		}
	}
	js, err := json.Marshal(bs)
	if err != nil {
		return nil, fmt.Errorf("high-severity runs: %w", err)
	}
	load, err := query("high_severity_baseline")
	if err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, load, string(js)); err != nil {
		return nil, fmt.Errorf("high-severity runs: high_severity_baseline.sql: %w", err)
	}
	sp := q.Policy.SeverityPolicy
	rows, err := db.QueryContext(ctx, stmt, q.From, q.To, q.ScenarioID,
		sp.Sev0.Multiplier, sp.Sev1.Multiplier, sp.Sev2.Multiplier, sp.Sev3.Multiplier, sp.Sev0.PIIOrRegulatory)
	if err != nil {
		return nil, fmt.Errorf("high-severity runs: high_severity.sql: %w", err)
	}
	defer rows.Close()
	var out []HighSeverityRun
	for rows.Next() {
		var r HighSeverityRun
		var recorded, recomputed sql.NullString
		var mult sql.NullFloat64
		if err := store.ScanNamed(rows, "high_severity", map[string]any{"run_id": &r.RunID, "scenario_id": &r.ScenarioID,
			"timestamp": &r.Timestamp, "recorded": &recorded, "recomputed_high": &recomputed, "multiplier": &mult}); err != nil {
			return nil, fmt.Errorf("high-severity runs: %w", err)
		}
		r.Timestamp = r.Timestamp.UTC()
		r.Recorded, r.Recomputed = recorded.String, recomputed.String
		if mult.Valid {
			m := mult.Float64
			r.Multiplier = &m
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("high-severity runs: %w", err)
	}
	return out, nil
}

// Stability is what the stability check of an approval found: the
// scenario's newest run (proof the window holds data) and its SEV0/SEV1
// runs in the window.
type Stability struct {
	From, To  time.Time
	NewestRun time.Time
	High      []HighSeverityRun
}

// CheckStability is the check behind "no SEV0/SEV1 in the last 2 weeks"
// (docs/RULES.md): q.ScenarioID's runs in [q.From, q.To) that are SEV0 or
// SEV1. An empty window proves nothing, so the scenario's runs must reach
// into the window's last day (the 24 hours before q.To); otherwise the
// check is a *Refusal: "no runs of S since D: stability over 14 days
// cannot be shown". SEV0/SEV1 runs found are returned, not refused: the
// caller words the refusal.
func CheckStability(ctx context.Context, db *sql.Conn, q HighSeverityQuery) (Stability, error) {
	s := Stability{From: q.From, To: q.To}
	stmt, err := query("newest_run")
	if err != nil {
		return s, err
	}
	var newest sql.NullTime
	var runs int64
	if err := store.ScanRowNamed(ctx, db, "newest_run", stmt, map[string]any{"newest_run": &newest, "runs": &runs},
		q.ScenarioID, q.To); err != nil {
		return s, fmt.Errorf("stability of %s: %w", q.ScenarioID, err)
	}
	lastDay := q.To.Add(-24 * time.Hour)
	days := int(q.To.Sub(q.From).Round(time.Hour) / (24 * time.Hour))
	if !newest.Valid || newest.Time.Before(lastDay) {
		newestText := "the store holds no run of it"
		if newest.Valid {
			newestText = "its newest run is at " + formatTime(newest.Time)
		}
		return s, refusef("no runs of %s since %s: stability over %d days cannot be shown (%s; the window is %s – %s)",
			q.ScenarioID, formatTime(lastDay), days, newestText, formatTime(q.From), formatTime(q.To))
	}
	s.NewestRun = newest.Time.UTC()
	s.High, err = HighSeverityRuns(ctx, db, q)
	return s, err
}
