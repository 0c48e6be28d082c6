package baselines

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/rules"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/stats"
)

//go:embed sql/*.sql
var queries embed.FS

// query returns the embedded SQL file sql/<name>.sql.
func query(name string) (string, error) {
	b, err := queries.ReadFile("sql/" + name + ".sql")
	if err != nil {
		return "", fmt.Errorf("baselines: embedded query %s: %w", name, err)
	}
	return string(b), nil
}

// Calculation is a baseline calculated from the store: the nearest-rank
// median credits of a scenario's healthy runs in a window, as the
// runbook's baseline calculator prints it.
type Calculation struct {
	ScenarioID string
	// Median is the proposed baseline, rounded to 2 decimals (docs/RULES.md).
	Median float64
	// SampleSize is the number of healthy runs in the window.
	SampleSize int64
	// CV is the coefficient of variation of the same runs (population
	// standard deviation / mean), rounded to 4 decimals.
	CV float64
	// Window is [WindowStart, WindowEnd), WindowDays long.
	WindowStart, WindowEnd time.Time
	WindowDays             int
	HealthyStatuses        []string
	// FirstRun and LastRun are the first and last healthy runs in the
	// window: how much of it the sample covers.
	FirstRun, LastRun time.Time
}

// String is the runbook's output line:
// "Calculated baseline for X: 1250.50 (from 28 healthy runs)".
func (c Calculation) String() string {
	return fmt.Sprintf("Calculated baseline for %s: %.2f (from %d healthy runs)", c.ScenarioID, c.Median, c.SampleSize)
}

// ErrNoHealthyRuns is returned (wrapped) by Calculate when the window holds
// no healthy run of the scenario: there is nothing to take a median of.
var ErrNoHealthyRuns = errors.New("no healthy runs")

// ErrUnknownScenario is returned (wrapped) when the store holds no run of
// the scenario at all: a misspelt id, not a scenario without healthy runs.
var ErrUnknownScenario = errors.New("unknown scenario")

// Calculate computes scenarioID's baseline over the days days ending at end
// (exclusive) from the store's runs view. healthy are the policy's
// healthy_run_statuses.
func Calculate(ctx context.Context, db *sql.Conn, scenarioID string, end time.Time, days int, healthy []string) (Calculation, error) {
	c := Calculation{ScenarioID: scenarioID, WindowEnd: end, WindowStart: end.AddDate(0, 0, -days),
		WindowDays: days, HealthyStatuses: healthy}
	if err := CheckID("scenario id", scenarioID); err != nil {
		return c, fmt.Errorf("calculate baseline: %w", err)
	}
	if days < 1 {
		return c, fmt.Errorf("calculate baseline for %s: window must be at least 1 day, got %d", scenarioID, days)
	}
	for _, s := range healthy {
		if strings.Contains(s, rules.StatusSep) {
			return c, fmt.Errorf("calculate baseline: healthy status %q contains a control character", s)
		}
	}
	if err := KnownScenario(ctx, db, scenarioID); err != nil {
		return c, fmt.Errorf("calculate baseline: %w", err)
	}
	if err := rules.Install(ctx, db); err != nil {
		return c, fmt.Errorf("calculate baseline for %s: %w", scenarioID, err)
	}
	q, err := query("healthy_median")
	if err != nil {
		return c, err
	}
	var median sql.NullFloat64
	var cv float64
	var first, last sql.NullTime
	err = store.ScanRowNamed(ctx, db, "healthy_median", q, map[string]any{"sample_size": &c.SampleSize,
		"median": &median, "cv": &cv, "first_run": &first, "last_run": &last},
		scenarioID, c.WindowStart, c.WindowEnd, rules.HealthyStatuses(healthy))
	if err != nil {
		return c, fmt.Errorf("calculate baseline for %s: %w", scenarioID, err)
	}
	if c.SampleSize == 0 || !median.Valid {
		return c, fmt.Errorf("calculate baseline for %s: %w (status %s, retry_count ≤ 1) in the %d days %s – %s",
			scenarioID, ErrNoHealthyRuns, strings.Join(healthy, " or "), days,
			c.WindowStart.UTC().Format(time.RFC3339), c.WindowEnd.UTC().Format(time.RFC3339))
	}
	c.Median = stats.Round(median.Float64, 2)
	c.CV = stats.Round(cv, 4)
	c.FirstRun, c.LastRun = first.Time.UTC(), last.Time.UTC()
	return c, nil
}

// RunbookSampleDays is the runbook's "at least 30 days of healthy runs".
const RunbookSampleDays = 30

// SampleNote says how the sample falls short of the runbook's 30 days of
// healthy runs reaching to the end of the window; "" when it does not.
// A proposal records it, so a thin sample is stated, not hidden.
func (c Calculation) SampleNote() string {
	var parts []string
	if c.WindowDays < RunbookSampleDays {
		parts = append(parts, fmt.Sprintf("the window is %d days, shorter than the runbook's %d days of healthy runs", c.WindowDays, RunbookSampleDays))
	}
	if c.SampleSize == 0 || c.FirstRun.IsZero() {
		return strings.Join(parts, "; ")
	}
	day := 24 * time.Hour
	if c.FirstRun.Sub(c.WindowStart) >= day {
		parts = append(parts, fmt.Sprintf("the first healthy run is at %s, %d days into the window: the sample spans %.1f of its %d days",
			formatTime(c.FirstRun), int(c.FirstRun.Sub(c.WindowStart)/day), c.LastRun.Sub(c.FirstRun).Hours()/24, c.WindowDays))
	}
	if c.WindowEnd.Sub(c.LastRun) > day {
		parts = append(parts, fmt.Sprintf("no healthy run in the window's last day: the last is at %s", formatTime(c.LastRun)))
	}
	return strings.Join(parts, "; ")
}

// KnownScenario returns nil when the store holds runs of scenarioID, and
// otherwise an error wrapping ErrUnknownScenario that names the closest
// known ids.
func KnownScenario(ctx context.Context, db *sql.Conn, scenarioID string) error {
	known, err := query("scenario_known")
	if err != nil {
		return err
	}
	var ok bool
	if err := db.QueryRowContext(ctx, known, scenarioID).Scan(&ok); err != nil {
		return fmt.Errorf("scenario ids: scenario_known.sql: %w", err)
	}
	if ok {
		return nil
	}
	q, err := query("scenario_ids")
	if err != nil {
		return err
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("scenario ids: scenario_ids.sql: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("scenario ids: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scenario ids: %w", err)
	}
	if len(ids) == 0 {
		return fmt.Errorf("%w %q: the store holds no runs (is the ledger empty?)", ErrUnknownScenario, scenarioID)
	}
	return fmt.Errorf("%w %q: no run in the ledger has this id; closest: %s", ErrUnknownScenario, scenarioID,
		strings.Join(closest(scenarioID, ids, 3), ", "))
}
