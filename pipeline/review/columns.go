package review

import (
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// columns reads one Arrow record batch of a query result by column index,
// with NULL as the zero value or an invalid sql.Null*: sections that list
// thousands of rows read them this way instead of boxing every value
// through database/sql (12,800 spike runs: ~120 ms row by row). A column of
// an unexpected type is an error naming the query and the column.
type columns struct {
	query string
	rec   arrow.Record
	err   error
}

func (c *columns) fail(i int, want string) {
	if c.err == nil {
		c.err = fmt.Errorf("%s.sql: column %d (%s) is %s, want %s",
			c.query, i, c.rec.ColumnName(i), c.rec.Column(i).DataType(), want)
	}
}

// column returns column i as an array of type T, recording a type error
// (want names the expected type) when it is not one.
func column[T arrow.Array](c *columns, i int, want string) T {
	a, ok := c.rec.Column(i).(T)
	if !ok {
		c.fail(i, want)
	}
	return a
}

func (c *columns) strings(i int) *array.String   { return column[*array.String](c, i, "utf8") }
func (c *columns) float64s(i int) *array.Float64 { return column[*array.Float64](c, i, "float64") }
func (c *columns) int64s(i int) *array.Int64     { return column[*array.Int64](c, i, "int64") }
func (c *columns) uint32s(i int) *array.Uint32   { return column[*array.Uint32](c, i, "uint32") }
func (c *columns) bools(i int) *array.Boolean    { return column[*array.Boolean](c, i, "bool") }

func (c *columns) timestamps(i int) *array.Timestamp {
	a := column[*array.Timestamp](c, i, "timestamp[us]")
	if a != nil && a.DataType().(*arrow.TimestampType).Unit != arrow.Microsecond {
		c.fail(i, "timestamp[us]")
	}
	return a
}

func (c *columns) stringLists(i int) *array.List { return listOf[*array.String](c, i, "list<utf8>") }

// listOf returns column i as a list array whose values are of type T.
func listOf[T arrow.Array](c *columns, i int, want string) *array.List {
	a := column[*array.List](c, i, want)
	if a != nil {
		if _, ok := a.ListValues().(T); !ok {
			c.fail(i, want)
		}
	}
	return a
}

// Row accessors. array.String's Value aliases the batch's buffer, which is
// freed with the batch: text is cloned on the way out.

func str(a *array.String, row int) string { return strings.Clone(a.Value(row)) }

func nullString(a *array.String, row int) sql.NullString {
	if a.IsNull(row) {
		return sql.NullString{}
	}
	return sql.NullString{String: str(a, row), Valid: true}
}

func nullFloat(a *array.Float64, row int) sql.NullFloat64 {
	if a.IsNull(row) {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: a.Value(row), Valid: true}
}

func nullInt(a *array.Int64, row int) sql.NullInt64 {
	if a.IsNull(row) {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: a.Value(row), Valid: true}
}

func nullBool(a *array.Boolean, row int) sql.NullBool {
	if a.IsNull(row) {
		return sql.NullBool{}
	}
	return sql.NullBool{Bool: a.Value(row), Valid: true}
}

func microsUTC(a *array.Timestamp, row int) time.Time {
	return time.UnixMicro(int64(a.Value(row))).UTC()
}

// stringList returns row's list (nil for NULL), skipping NULL elements.
func stringList(a *array.List, row int) []string {
	if a.IsNull(row) {
		return nil
	}
	values := a.ListValues().(*array.String)
	start, end := a.ValueOffsets(row)
	out := make([]string, 0, end-start)
	for j := start; j < end; j++ {
		if !values.IsNull(int(j)) {
			out = append(out, str(values, int(j)))
		}
	}
	return out
}

// named returns the index of the column called name, recording an error
// naming the query when the result has no such column: sections read
// their columns by name, so reordering a query's SELECT list cannot
// shift values into the wrong fields.
func (c *columns) named(name string) int {
	if idx := c.rec.Schema().FieldIndices(name); len(idx) == 1 {
		return idx[0]
	}
	if c.err == nil {
		c.err = fmt.Errorf("%s.sql: no single result column named %q", c.query, name)
	}
	return 0
}

// batches is a query's whole result as Arrow record batches, kept so a
// section can size what it builds before filling it: appending hundreds
// of thousands of wide structs to a growing slice cost more than the
// query (10M runs: 0.4 s of 0.75 s for the spike runs).
type batches struct {
	recs []arrow.Record
	rows int
}

// queryArrow runs the embedded query name with args and returns its
// result as a stream of Arrow record batches; the caller releases it.
func (a *analysis) queryArrow(name string, args ...any) (array.RecordReader, error) {
	rdr, err := a.st.Arrow().QueryContext(a.ctx, query(name), args...)
	if err != nil {
		return nil, fmt.Errorf("%s.sql: %w", name, err)
	}
	return rdr, nil
}

// queryBatches runs the embedded query name with args and keeps every
// batch of its result; Release frees them.
func (a *analysis) queryBatches(name string, args ...any) (*batches, error) {
	rdr, err := a.queryArrow(name, args...)
	if err != nil {
		return nil, err
	}
	defer rdr.Release()
	b := &batches{}
	for rdr.Next() {
		rec := rdr.Record()
		rec.Retain()
		b.recs = append(b.recs, rec)
		b.rows += int(rec.NumRows())
	}
	if err := rdr.Err(); err != nil {
		b.Release()
		return nil, fmt.Errorf("%s.sql: %w", name, err)
	}
	return b, nil
}

// Release frees the batches.
func (b *batches) Release() {
	for _, r := range b.recs {
		r.Release()
	}
	b.recs = nil
}
