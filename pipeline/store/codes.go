package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// ledger_rows stores its repeated text columns (codedColumns) as UINTEGER
// codes; text_codes maps each column's codes back to the text, and the
// ledger_rows_decoded view (runs_view.sql) decodes them for every reader.
// Storing a few bytes of integer instead of the text cut the insert of
// a load by about 40 % and its checkpoint by about 45 %.
//
// Codes are assigned per column in order of first appearance in ledger
// line order, starting at 0, so a store built afresh from the same ledger
// prefix — an incremental one, or VerifyRows' scratch store — holds the
// same codes. Each parse worker gathers its block's distinct values in
// first-appearance order and stores block-local indices; the collector,
// which sees the blocks in ledger order, maps them to the store's codes
// (codeBook.assign), rewriting the index arrays in place before DuckDB
// reads them, and the new (field, code, value) rows are inserted in the
// ingest's transaction. Row digests stay over the text (row_digest.go):
// an edit of text_codes changes the digests of the rows it decodes.

//go:embed sql/code_book.sql
var codeBookSQL string

//go:embed sql/text_codes_of_field.sql
var textCodesOfFieldSQL string

// numCoded is the number of coded columns.
const numCoded = 9

// maxCodes is how many distinct values a coded column can hold (codes
// 0–2³²−1). A ledger with more in one column fails the ingest with an
// error naming the column and the line; there is no silent fallback. The
// codes were USMALLINT until version 10 of the store: 65,536 distinct
// owners (an upstream writing each user's address) stopped every ingest
// and every report for good, over valid lines (an outside review).
const maxCodes = 1 << 32

// codedColumns are the ledger_rows columns stored as codes, in rowSchema
// order; text_codes.field holds these names.
func codedColumns() [numCoded]string {
	return [numCoded]string{"scenario_id", "scenario_name", "job_type", "status", "model",
		"severity", "misconfig_likelihood", "prompt_version", "owner"}
}

// codedIndex is name's position in codedColumns, -1 if it is not coded.
func codedIndex(name string) int {
	cols := codedColumns()
	return slices.Index(cols[:], name)
}

// codeColumn is a coded column of one batch: block-local indices into the
// block's distinct values (in first-appearance order) and validity.
type codeColumn struct {
	index  map[string]uint32
	values []string
	first  []int32 // row of each value's first appearance
	codes  []uint32
	valid  bitmap
	// overflow is the first row whose value found the block's
	// dictionary full (-1: none).
	overflow int
	// limit is how many distinct values the block may hold: maxCodes
	// (init), less in tests.
	limit int
}

func (c *codeColumn) init(rows int) {
	c.index = make(map[string]uint32, 16)
	c.codes = make([]uint32, 0, rows)
	c.valid.init(rows)
	c.overflow = -1
	c.limit = maxCodes
}

func (c *codeColumn) append(s string) {
	k, ok := c.index[s]
	if !ok {
		k = c.add(s)
	}
	c.valid.append(true)
	c.codes = append(c.codes, k)
}

// appendOpt stores "" as NULL, as strColumn.appendOpt does.
func (c *codeColumn) appendOpt(s string) {
	if s == "" {
		c.valid.append(false)
		c.codes = append(c.codes, 0)
		return
	}
	c.append(s)
}

func (c *codeColumn) add(s string) uint32 {
	if len(c.values) == c.limit {
		if c.overflow < 0 {
			c.overflow = len(c.codes)
		}
		return 0
	}
	k := uint32(len(c.values))
	c.index[s] = k
	c.values = append(c.values, s)
	c.first = append(c.first, int32(len(c.codes)))
	return k
}

// data wraps the indices as a UINTEGER array. It shares c.codes, which
// codeBook.assign rewrites in place before the batch is inserted.
func (c *codeColumn) data(nullable bool) arrow.ArrayData {
	var valid *memory.Buffer
	nulls := 0
	if nullable {
		valid, nulls = c.valid.buffer(), c.valid.nulls
	}
	return fixedData(arrow.PrimitiveTypes.Uint32, c.codes, valid, nulls)
}

// encoder appends the canonical encoding (row_digest.go) of row i's text:
// the digest covers the value, not its code.
func (c *codeColumn) encoder() valueEnc {
	enc := make([][]byte, len(c.values))
	for k, v := range c.values {
		enc[k] = appendText([]byte{1}, v)
	}
	return func(b []byte, i int) []byte {
		if !c.valid.isSet(i) {
			return append(b, 0)
		}
		return append(b, enc[c.codes[i]]...)
	}
}

// blockDict is what the collector needs of a batch's coded column.
type blockDict struct {
	values []string
	first  []int32
	codes  []uint32 // the batch's index array, rewritten in place
}

// codeBook is the store's codes during one ingest: loaded from text_codes
// at its start, extended by the collector in ledger order.
type codeBook struct {
	index [numCoded]map[string]uint32
	// added are the text_codes rows this ingest assigned, inserted
	// before it commits.
	added []textCode
	// limit is how many distinct values a column may hold: maxCodes
	// (newCodeBook), less in tests.
	limit int
}

// textCode is a row of text_codes.
type textCode struct {
	field string
	code  uint32
	value string
}

func newCodeBook() *codeBook {
	cb := &codeBook{limit: maxCodes}
	for j := range cb.index {
		cb.index[j] = map[string]uint32{}
	}
	return cb
}

// ErrCodeBookEdited is matched by the error of a store whose text_codes
// lookup table is not one an ingest writes: a field that is not coded, or
// codes that do not run 0, 1, … over distinct values. An extra row made
// the review's joins find another scenario's baseline, though every row
// still decoded as before (an outside review). Jobs treat it as an
// integrity problem.
var ErrCodeBookEdited = errors.New("the text_codes lookup table was edited")

// codeBookError is an edited lookup table, said in full.
type codeBookError struct{ msg string }

func (e *codeBookError) Error() string        { return e.msg }
func (e *codeBookError) Is(target error) bool { return target == ErrCodeBookEdited }

// CheckCodeBook returns an error matching ErrCodeBookEdited when the
// text_codes lookup table is not one an ingest writes (loadCodeBook).
func (s *Store) CheckCodeBook(ctx context.Context) error {
	_, err := s.loadCodeBook(ctx)
	return err
}

// loadCodeBook reads text_codes. Each column's codes must run 0, 1, …:
// anything else is an edited lookup table, refused rather than extended.
func (s *Store) loadCodeBook(ctx context.Context) (*codeBook, error) {
	cb := newCodeBook()
	rows, err := s.conn.QueryContext(ctx, codeBookSQL)
	if err != nil {
		return nil, fmt.Errorf("read text codes: %w", err)
	}
	defer rows.Close()
	cols := codedColumns()
	var field, value string
	var code int
	dest := map[string]any{"field": &field, "code": &code, "value": &value}
	for rows.Next() {
		if err := ScanNamed(rows, "code_book", dest); err != nil {
			return nil, fmt.Errorf("read text codes: %w", err)
		}
		j := codedIndex(field)
		if j < 0 {
			return nil, &codeBookError{fmt.Sprintf("read text codes: text_codes names field %q, which is not a coded column: the lookup table was edited (`ledgerlens verify store` names it)", field)}
		}
		_, dup := cb.index[j][value]
		if code != len(cb.index[j]) || dup {
			return nil, &codeBookError{fmt.Sprintf("read text codes: text_codes holds code %d (%q) for %s where code %d of a new value was expected: the lookup table was edited (`ledgerlens verify store` names it)",
				code, value, cols[j], len(cb.index[j]))}
		}
		cb.index[j][value] = uint32(code)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read text codes: %w", err)
	}
	return cb, nil
}

// texts returns the values of coded column j by code.
func (cb *codeBook) texts(j int) []string {
	out := make([]string, len(cb.index[j]))
	for v, code := range cb.index[j] {
		out[code] = v
	}
	return out
}

// assign rewrites a batch's block-local indices to the store's codes,
// giving unseen values the next codes in their order of first appearance.
// lineNos are the batch's line numbers, for the error of a full column.
func (cb *codeBook) assign(dicts *[numCoded]blockDict, lineNos []int64) error {
	cols := codedColumns()
	var local [64]uint32
	for j := range dicts {
		d := &dicts[j]
		if len(d.values) == 0 {
			continue
		}
		m := local[:0]
		if len(d.values) > len(local) {
			m = make([]uint32, 0, len(d.values))
		}
		for k, v := range d.values {
			code, ok := cb.index[j][v]
			if !ok {
				n := len(cb.index[j])
				if n == cb.limit {
					return fmt.Errorf("column %s holds more than %d distinct values (the first one past them is on ledger line %d): ledger_rows stores it as UINTEGER codes",
						cols[j], cb.limit, lineNos[d.first[k]])
				}
				code = uint32(n)
				cb.index[j][v] = code
				cb.added = append(cb.added, textCode{cols[j], code, v})
			}
			m = append(m, code)
		}
		for i, k := range d.codes {
			d.codes[i] = m[k]
		}
	}
	return nil
}

// insertCodes inserts the codes assigned since the last call into
// text_codes (in the caller's transaction), as one Arrow batch: a first
// load assigns hundreds, which cost 25 ms as parameters of INSERT
// statements.
func (s *Store) insertCodes(ctx context.Context, cb *codeBook) error {
	if len(cb.added) == 0 {
		return nil
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "field", Type: arrow.BinaryTypes.String},
		{Name: "code", Type: arrow.PrimitiveTypes.Uint32},
		{Name: "value", Type: arrow.BinaryTypes.String},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	fields := b.Field(0).(*array.StringBuilder)
	codes := b.Field(1).(*array.Uint32Builder)
	values := b.Field(2).(*array.StringBuilder)
	for _, c := range cb.added {
		fields.Append(c.field)
		codes.Append(c.code)
		values.Append(c.value)
	}
	rec := b.NewRecord()
	defer rec.Release()
	rdr, err := array.NewRecordReader(schema, []arrow.Record{rec})
	if err != nil {
		return fmt.Errorf("record text codes: %w", err)
	}
	if err := s.insertArrow(ctx, "text_codes", rdr, 0); err != nil {
		return fmt.Errorf("record text codes: %w", err)
	}
	cb.added = nil
	return nil
}

// blockOverflow reports a coded column whose distinct values in one block
// exceed its limit.
func (bb *batchBuilder) blockOverflow() error {
	cols := codedColumns()
	for j, c := range bb.codeColumns() {
		if c.overflow >= 0 {
			return fmt.Errorf("column %s holds more than %d distinct values (the first one past them is on ledger line %d): ledger_rows stores it as UINTEGER codes",
				cols[j], c.limit, bb.lineNo[c.overflow])
		}
	}
	return nil
}

// dicts returns the batch's coded columns for codeBook.assign.
func (bb *batchBuilder) dicts() [numCoded]blockDict {
	var out [numCoded]blockDict
	for j, c := range bb.codeColumns() {
		out[j] = blockDict{values: c.values, first: c.first, codes: c.codes}
	}
	return out
}

// CodeTexts returns the text of each code of the coded column field,
// indexed by code: what text_code_lists (runs_view.sql) decodes with, for
// a reader of runs_coded that groups many rows by a coded column in Go
// and decodes only the groups. The index is the element order of that
// view's list, so both decode a code alike.
func (s *Store) CodeTexts(ctx context.Context, field string) ([]string, error) {
	if codedIndex(field) < 0 {
		return nil, fmt.Errorf("code texts: %s is not a coded column", field)
	}
	rows, err := s.conn.QueryContext(ctx, textCodesOfFieldSQL, field)
	if err != nil {
		return nil, fmt.Errorf("code texts of %s: %w", field, err)
	}
	defer rows.Close()
	var texts []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("code texts of %s: %w", field, err)
		}
		texts = append(texts, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("code texts of %s: %w", field, err)
	}
	return texts, nil
}
