package main

import (
	"bytes"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/pipeline/store"
)

func newQueryCmd(a *app) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "query SQL",
		Short: "Run read-only DuckDB SQL over the store (runs, rejects, duplicates, ingest_log)",
		Long: `query runs one SQL statement against the store, opened read-only. Tables and
views: runs (one row per run, snake_case columns, "timestamp" as TIMESTAMPTZ
and ts_utc as a UTC TIMESTAMP for date arithmetic, risk_flags as a list,
line_no, byte_offset), rejects, duplicates, ingest_log.`,
		Example: `  # count runs by recorded severity (the runbook's jq group_by)
  ledgerlens query "SELECT severity, count(*) AS runs FROM runs GROUP BY 1 ORDER BY 1"
  # top 5 scenarios by credit spend over the last 7 days of data
  ledgerlens query --format csv "SELECT scenario_id, round(sum(credits_total), 2) AS total FROM runs WHERE ts_utc >= (SELECT max(ts_utc) FROM runs) - INTERVAL 7 DAY GROUP BY 1 ORDER BY 2 DESC LIMIT 5"
  # runs carrying a risk flag
  ledgerlens query --format json "SELECT run_id, scenario_id, credits_total FROM runs WHERE list_contains(risk_flags, 'retry_loop')"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "csv" && format != "json" {
				return usagef("--format %q: want table, csv or json", format)
			}
			s, err := store.Open(cmd.Context(), a.layout().StoreFile, store.Options{ReadOnly: true})
			if err != nil {
				return err
			}
			defer s.Close()
			t, err := s.Query(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return writeTable(a.stdout, t, format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, csv or json")
	return cmd
}

func writeTable(w io.Writer, t *store.Table, format string) error {
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(t.Columns); err != nil {
			return err
		}
		for _, row := range t.Rows {
			rec := make([]string, len(row))
			for i, v := range row {
				rec[i] = cellText(v)
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	case "json":
		var b bytes.Buffer
		b.WriteString("[")
		for r, row := range t.Rows {
			if r > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n  {")
			for i, v := range row {
				if i > 0 {
					b.WriteString(", ")
				}
				k, _ := json.Marshal(t.Columns[i])
				b.Write(k)
				b.WriteString(": ")
				val, err := json.Marshal(jsonValue(v))
				if err != nil {
					return fmt.Errorf("column %s: %w", t.Columns[i], err)
				}
				b.Write(val)
			}
			b.WriteString("}")
		}
		b.WriteString("\n]\n")
		_, err := w.Write(b.Bytes())
		return err
	default:
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(t.Columns, "\t"))
		for _, row := range t.Rows {
			cells := make([]string, len(row))
			for i, v := range row {
				cells[i] = cellText(v)
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(w, "(%d rows)\n", len(t.Rows))
		return nil
	}
}

// jsonValue converts driver values to what encoding/json renders well.
func jsonValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return hex.EncodeToString(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue(e)
		}
		return out
	default:
		return v
	}
}

func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return hex.EncodeToString(x)
	case []any, map[string]any:
		b, _ := json.Marshal(jsonValue(x))
		return string(b)
	default:
		return fmt.Sprint(x)
	}
}
