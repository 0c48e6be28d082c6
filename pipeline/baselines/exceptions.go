package baselines

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/rules"
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
		if err := rows.Scan(&r.RunID, &r.ScenarioID, &r.Timestamp, &recorded, &recomputed, &mult); err != nil {
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
