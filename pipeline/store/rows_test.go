package store

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
)

// TestVerifyRowsFindsEditedRows loads a ledger in two ingests, then edits,
// deletes and plants rows in the store: each is named by its line.
func TestVerifyRowsFindsEditedRows(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		sql   string
		lines []int64
	}{
		{"intact", "", nil},
		{"credits edited", "UPDATE ledger_rows SET credits_total = 1 WHERE line_no = 7", []int64{7}},
		{"row deleted", "DELETE FROM ledger_rows WHERE line_no = 42", []int64{42}},
		{"row planted", "INSERT INTO ledger_rows SELECT * REPLACE (1000 AS line_no) FROM ledger_rows WHERE line_no = 3", []int64{1000}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ledgerPath := filepath.Join(dir, "ledger.jsonl")
			var lines []string
			for i := range 60 {
				lines = append(lines, line(i, i%3 == 0, float64(10+i)))
			}
			writeLedger(t, ledgerPath, lines[:30], "")
			s := openStore(t, dir)
			if _, err := s.Ingest(ctx, ledgerPath); err != nil {
				t.Fatal(err)
			}
			writeLedger(t, ledgerPath, lines, `{"Run_ID":"RUN-partial"`)
			if _, err := s.Ingest(ctx, ledgerPath); err != nil {
				t.Fatal(err)
			}
			if tc.sql != "" {
				if _, err := s.Conn().ExecContext(ctx, tc.sql); err != nil {
					t.Fatal(err)
				}
			}
			res, err := s.VerifyRows(ctx, ledgerPath)
			if err != nil {
				t.Fatal(err)
			}
			if tc.lines == nil {
				if !res.Intact() || res.Rows != 60 {
					t.Fatalf("intact store: %+v", res)
				}
				return
			}
			if res.Intact() || !slices.Equal(res.Differ, tc.lines) {
				t.Fatalf("got %+v, want lines %v", res, tc.lines)
			}
		})
	}
}
