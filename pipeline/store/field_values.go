package store

import (
	"context"
	_ "embed"
	"fmt"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// The field_values table holds, per ingest, how many of the runs it loaded
// (duplicates excluded) carry each value of the enumerated fields
// (docs/RULES.md, "Inputs"), so that a report's data-quality section sums a
// few hundred rows instead of rescanning the ledger. The values are
// counted by code in the collector, from the very batches inserted (a
// rescan of the new rows cost 18 ms for a week of a million runs, ten
// times that at ten million); the duplicates, found after the insert,
// are then taken off, and the codes written as their text.

//go:embed sql/duplicate_field_codes.sql
var duplicateFieldCodesSQL string

// enumeratedColumns are the coded columns field_values counts, with the
// field names it records.
func enumeratedColumns() [4]string {
	return [4]string{"job_type", "status", "severity", "misconfig_likelihood"}
}

// fieldCounts counts one ingest's coded values of the enumerated columns.
type fieldCounts struct {
	cols [4]int // their indices in rowSchema
	// n[j][code] counts code in enumerated column j; NULLs are not counted.
	n [4][]int64
}

func newFieldCounts(schema *arrow.Schema) (*fieldCounts, error) {
	fc := &fieldCounts{}
	for j, name := range enumeratedColumns() {
		idx := schema.FieldIndices(name)
		if len(idx) != 1 || codedIndex(name) < 0 {
			return nil, fmt.Errorf("field values: %s is not a coded column of ledger_rows", name)
		}
		fc.cols[j] = idx[0]
	}
	return fc, nil
}

// add counts a batch whose codes the code book has assigned.
func (fc *fieldCounts) add(rec arrow.Record) error {
	for j, col := range fc.cols {
		a, ok := rec.Column(col).(*array.Uint32)
		if !ok {
			return fmt.Errorf("field values: column %s is %s, want UINTEGER codes", enumeratedColumns()[j], rec.Column(col).DataType())
		}
		for i, code := range a.Uint32Values() {
			if a.IsValid(i) {
				fc.count(j, code, 1)
			}
		}
	}
	return nil
}

func (fc *fieldCounts) count(j int, code uint32, d int64) {
	if int(code) >= len(fc.n[j]) {
		fc.n[j] = slices.Grow(fc.n[j], int(code)+1-len(fc.n[j]))[:int(code)+1]
	}
	fc.n[j][code] += d
}

// recordFieldValues takes the duplicates ingest seq found off the counts
// and inserts the rest into field_values (in the caller's transaction),
// each code as its text in book, in field then code order.
func (s *Store) recordFieldValues(ctx context.Context, seq int, fc *fieldCounts, book *codeBook) error {
	rows, err := s.conn.QueryContext(ctx, duplicateFieldCodesSQL, seq)
	if err != nil {
		return fmt.Errorf("count field values: duplicate_field_codes.sql: %w", err)
	}
	defer rows.Close()
	var codes [4]*int64
	dest := make(map[string]any, len(codes))
	for j, field := range enumeratedColumns() {
		dest[field] = &codes[j]
	}
	for rows.Next() {
		if err := ScanNamed(rows, "duplicate_field_codes", dest); err != nil {
			return fmt.Errorf("count field values: %w", err)
		}
		for j, c := range codes {
			if c != nil {
				fc.count(j, uint32(*c), -1)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("count field values: %w", err)
	}
	var out [][]any
	for j, field := range enumeratedColumns() {
		text := book.texts(codedIndex(field))
		for code, n := range fc.n[j] {
			if n == 0 {
				continue
			}
			if code >= len(text) || n < 0 {
				return fmt.Errorf("count field values: %s code %d counted %d times, which the code book cannot account for", field, code, n)
			}
			out = append(out, []any{seq, field, text[code], n})
		}
	}
	return s.InsertRows(ctx, "field_values", out)
}
