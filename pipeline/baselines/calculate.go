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
}

// String is the runbook's output line:
// "Calculated baseline for X: 1250.50 (from 28 healthy runs)".
func (c Calculation) String() string {
	return fmt.Sprintf("Calculated baseline for %s: %.2f (from %d healthy runs)", c.ScenarioID, c.Median, c.SampleSize)
}

// ErrNoHealthyRuns is returned (wrapped) by Calculate when the window holds
// no healthy run of the scenario: there is nothing to take a median of.
var ErrNoHealthyRuns = errors.New("no healthy runs")

// Calculate computes scenarioID's baseline over the days days ending at end
// (exclusive) from the store's runs view. healthy are the policy's
// healthy_run_statuses.
func Calculate(ctx context.Context, db *sql.Conn, scenarioID string, end time.Time, days int, healthy []string) (Calculation, error) {
	c := Calculation{ScenarioID: scenarioID, WindowEnd: end, WindowStart: end.AddDate(0, 0, -days),
		WindowDays: days, HealthyStatuses: healthy}
	if strings.TrimSpace(scenarioID) == "" {
		return c, errors.New("calculate baseline: empty scenario id")
	}
	if days < 1 {
		return c, fmt.Errorf("calculate baseline for %s: window must be at least 1 day, got %d", scenarioID, days)
	}
	for _, s := range healthy {
		if strings.Contains(s, rules.StatusSep) {
			return c, fmt.Errorf("calculate baseline: healthy status %q contains a control character", s)
		}
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
	err = db.QueryRowContext(ctx, q, scenarioID, c.WindowStart, c.WindowEnd, rules.HealthyStatuses(healthy)).
		Scan(&c.SampleSize, &median, &cv)
	if err != nil {
		return c, fmt.Errorf("calculate baseline for %s: healthy_median.sql: %w", scenarioID, err)
	}
	if c.SampleSize == 0 || !median.Valid {
		return c, fmt.Errorf("calculate baseline for %s: %w (status %s, retry_count ≤ 1) in the %d days %s – %s",
			scenarioID, ErrNoHealthyRuns, strings.Join(healthy, " or "), days,
			c.WindowStart.UTC().Format(time.RFC3339), c.WindowEnd.UTC().Format(time.RFC3339))
	}
	c.Median = stats.Round(median.Float64, 2)
	c.CV = stats.Round(cv, 4)
	return c, nil
}
