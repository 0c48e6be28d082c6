package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFieldValuesCountWhatWasLoaded: after each ingest — a first load, an
// append, and an append repeating run ids of an earlier ingest and of its
// own — field_values holds for it exactly what the reference definition
// (testdata/field_values_reference.sql) computes from the stored rows.
func TestFieldValuesCountWhatWasLoaded(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, full := fixtureBytes(t, filepath.Join(dir, "fixture"), 6000)
	reference, err := os.ReadFile(filepath.Join("testdata", "field_values_reference.sql"))
	if err != nil {
		t.Fatal(err)
	}
	whole := full[:bytes.LastIndexByte(full, '\n')+1] // without the fixture's unfinished last line
	lines := bytes.SplitAfter(whole, []byte{'\n'})
	cut := bytes.LastIndexByte(full[:len(full)*6/10], '\n') + 1
	// Whole, valid lines of the first load and of the append, again, one
	// of them made to conflict with its first occurrence.
	valid := func(i int) []byte {
		for ; !json.Valid(lines[i]) || !bytes.Contains(lines[i], []byte("RUN-")); i++ {
		}
		return lines[i]
	}
	repeats := append(append(append([]byte{}, valid(3)...), valid(len(lines)/2)...), valid(len(lines)*9/10)...)
	repeats = append(repeats, valid(10)...)
	repeats = append(repeats, bytes.Replace(valid(30), []byte(`"RUN-`), []byte(`"RUN-NEW-`), 1)...) // and one new run
	repeats = append(repeats, bytes.Replace(valid(20), []byte(`}`), []byte(`,"owner":"someone else"}`), 1)...)
	ledger := filepath.Join(dir, "ledger.jsonl")
	s := openStore(t, dir)
	for i, content := range [][]byte{full[:cut], full, append(append([]byte{}, whole...), repeats...)} {
		if err := os.WriteFile(ledger, content, 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := s.Ingest(ctx, ledger)
		if err != nil {
			t.Fatal(err)
		}
		if i == 2 && res.Duplicates != 5 {
			t.Fatalf("ingest %d: %d duplicates, want the 5 repeated lines", i+1, res.Duplicates)
		}
		want := fieldValues(t, s, string(reference), res.Seq)
		got := fieldValues(t, s, "SELECT field, value, n FROM field_values WHERE ingest_seq = $1 ORDER BY field, value", res.Seq)
		if got != want || want == "" {
			t.Errorf("ingest %d: field_values\n%s\nwant\n%s", i+1, got, want)
		}
	}
}

// fieldValues runs q (field, value, n rows for ingest seq) and renders its
// rows one a line.
func fieldValues(t *testing.T, s *Store, q string, seq int) string {
	t.Helper()
	rows, err := s.Conn().QueryContext(context.Background(), q, seq)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var field, value string
		var n int64
		if err := rows.Scan(&field, &value, &n); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%s: %d\n", field, value, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
