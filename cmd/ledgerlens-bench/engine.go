package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/store"
)

// engineTop is one row of the engine reference's answer.
type engineTop struct {
	ScenarioID   string  `json:"scenario_id"`
	TotalCredits float64 `json:"total_credits"`
	Runs         int64   `json:"runs"`
}

// engineOutput is what `ledgerlens-bench engine` prints on stdout.
type engineOutput struct {
	Week   string      `json:"week"`
	Top    []engineTop `json:"top"`
	QueryS float64     `json:"query_s"`
}

// cmdEngine is phase (a), the engine reference: DuckDB's own read_json over
// the whole ledger, aggregated to the top five scenarios by credits in one
// week. It runs on the same engine build and settings as the product's
// store (store.Open: memory limit, threads), in a throwaway database under
// -db.
//
// DuckDB 1.1 matches JSON keys case-sensitively: with columns={Scenario_ID:
// …} the snake_case lines (~30 %) would read as NULL and the answer would be
// wrong. So the reference lets read_json detect the schema, in which the
// two spellings become two columns (the second renamed with a _1 suffix),
// and coalesces them: one scan, every line, the same answer as the report.
func cmdEngine(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("engine", flag.ContinueOnError)
	dbDir := fs.String("db", "", "directory for the throwaway database (default: a new temporary directory)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() != 2 {
		return usageError{"engine wants LEDGER WEEK"}
	}
	ledger, week := fs.Arg(0), fs.Arg(1)
	start, err := time.Parse(time.DateOnly, week)
	if err != nil {
		return usageError{fmt.Sprintf("week %q: want YYYY-MM-DD", week)}
	}
	if _, err := os.Stat(ledger); err != nil {
		return err
	}
	dir := *dbDir
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	} else {
		if dir, err = os.MkdirTemp("", "ledgerlens-bench-engine-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	st, err := store.Open(ctx, filepath.Join(dir, "engine.duckdb"), store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	began := time.Now()
	q, err := engineSQL(ctx, st, ledger, start, start.AddDate(0, 0, 7))
	if err != nil {
		return fmt.Errorf("engine reference on %s: %w", ledger, err)
	}
	t, err := st.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("engine reference on %s: %w", ledger, err)
	}
	out := engineOutput{Week: week, QueryS: time.Since(began).Seconds(), Top: []engineTop{}}
	for _, row := range t.Rows {
		id, _ := row[0].(string)
		total, _ := row[1].(float64)
		runs, _ := row[2].(int64)
		out.Top = append(out.Top, engineTop{ScenarioID: id, TotalCredits: total, Runs: runs})
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// engineSQL builds the reference query: it asks read_json for the schema
// it detects and coalesces the columns of each field's two spellings. The
// path is a string literal because DuckDB's table functions take no
// prepared parameters.
func engineSQL(ctx context.Context, st *store.Store, ledger string, start, end time.Time) (string, error) {
	scan := fmt.Sprintf("read_json(%s, format = 'newline_delimited', ignore_errors = true)", quoteLiteral(ledger))
	t, err := st.Query(ctx, "DESCRIBE SELECT * FROM "+scan)
	if err != nil {
		return "", err
	}
	var names []string
	for _, row := range t.Rows {
		if name, ok := row[0].(string); ok {
			names = append(names, name)
		}
	}
	field := func(key, typ string) (string, error) {
		cols := spellings(names, key)
		if len(cols) == 0 {
			return "", fmt.Errorf("read_json found no %s column (columns: %v)", key, names)
		}
		for i, c := range cols {
			cols[i] = fmt.Sprintf("TRY_CAST(%s AS %s)", quoteIdent(c), typ)
		}
		return "coalesce(" + strings.Join(cols, ", ") + ")", nil
	}
	scenario, err := field("scenario_id", "VARCHAR")
	if err != nil {
		return "", err
	}
	credits, err := field("credits_total", "DOUBLE")
	if err != nil {
		return "", err
	}
	ts, err := field("timestamp", "TIMESTAMPTZ")
	if err != nil {
		return "", err
	}
	instant := func(t time.Time) string {
		return "TIMESTAMPTZ " + quoteLiteral(t.UTC().Format("2006-01-02 15:04:05+00"))
	}
	return fmt.Sprintf(`SELECT scenario_id, sum(credits_total) AS total_credits, count(*) AS runs
FROM (SELECT %s AS scenario_id, %s AS credits_total, %s AS ts FROM %s)
WHERE ts >= %s AND ts < %s
GROUP BY scenario_id
ORDER BY total_credits DESC, scenario_id
LIMIT 5`, scenario, credits, ts, scan, instant(start), instant(end)), nil
}

// spellings returns the detected columns holding key in any letter case:
// the key itself and DuckDB's renamed duplicates (key_1, key_2, …).
func spellings(names []string, key string) []string {
	var out []string
	for _, n := range names {
		base := n
		if i := strings.LastIndexByte(n, '_'); i > 0 && isDigits(n[i+1:]) && !strings.EqualFold(n, key) {
			base = n[:i]
		}
		if strings.EqualFold(base, key) {
			out = append(out, n)
		}
	}
	return out
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
