package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/marcboeker/go-duckdb"
)

// TestWriteParquet writes three batches through WriteParquet into a file
// opened by /proc/self/fd/N, as `ledgerlens query` does, and reads them
// back with the engine; a target the COPY statement could not quote is
// refused before anything is written.
func TestWriteParquet(t *testing.T) {
	ctx := context.Background()
	schema := arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}, {Name: "s", Type: arrow.BinaryTypes.String}}, nil)
	var recs []arrow.Record
	for b := range 3 {
		nb := array.NewInt64Builder(memory.DefaultAllocator)
		sb := array.NewStringBuilder(memory.DefaultAllocator)
		for i := range 1000 {
			nb.Append(int64(b*1000 + i))
			sb.Append(fmt.Sprintf("row %d", b*1000+i))
		}
		recs = append(recs, array.NewRecord(schema, []arrow.Array{nb.NewArray(), sb.NewArray()}, 1000))
	}
	rr, err := array.NewRecordReader(schema, recs)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()

	path := filepath.Join(t.TempDir(), "out.parquet")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := WriteParquet(ctx, rr, fmt.Sprintf("/proc/self/fd/%d", f.Fd())); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil || len(entries) != 1 {
		t.Fatalf("the directory holds %d entries (%v), want only the file written", len(entries), err)
	}

	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	var n, sum int64
	var last string
	if err := db.QueryRowContext(ctx, "SELECT count(*), sum(n), max_by(s, n) FROM read_parquet('"+path+"')").Scan(&n, &sum, &last); err != nil {
		t.Fatal(err)
	}
	if n != 3000 || sum != 2999*3000/2 || last != "row 2999" {
		t.Fatalf("read back %d rows, sum %d, last %q; want 3000, %d, \"row 2999\"", n, sum, last, 2999*3000/2)
	}

	// A target that closed the statement's quote could rewrite the COPY:
	// here into a CSV file beside it.
	dir := t.TempDir()
	hijacked := filepath.Join(dir, "a.parquet")
	for _, bad := range []string{hijacked + "' (FORMAT CSV); --", filepath.Join(dir, "b\x00.parquet")} {
		rr, err := array.NewRecordReader(schema, recs)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteParquet(ctx, rr, bad); err == nil {
			t.Errorf("WriteParquet(%q) wrote; want a refusal", bad)
		}
		rr.Release()
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused target left %d files (%s …)", len(entries), entries[0].Name())
	}
}
