package review

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ledgerlens/ledgerlens/pipeline/store"
)

// TestColumnsReadByName: a section reads each column by its name, and a
// query whose columns and the Go that reads them disagree is an error
// naming the query, never values in the wrong fields.
func TestColumnsReadByName(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "s.duckdb"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var a, b int64
	tests := []struct {
		name    string
		dest    map[string]any
		wantErr string
	}{
		{"every column read", map[string]any{"b": &b, "a": &a}, ""},
		{"a column not read", map[string]any{"a": &a}, "2 result columns"},
		{"a name that is no column", map[string]any{"a": &a, "c": &b}, `"b" is not read`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := st.Conn().QueryContext(ctx, "SELECT 1 AS a, 2 AS b")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			rows.Next()
			err = scanNamed(rows, "probe", tt.dest)
			if tt.wantErr == "" {
				if err != nil || a != 1 || b != 2 {
					t.Fatalf("a=%d b=%d err %v", a, b, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "probe.sql") {
				t.Fatalf("err %v, want one naming probe.sql and %q", err, tt.wantErr)
			}
		})
	}

	rdr, err := st.Arrow().QueryContext(ctx, "SELECT 'x' AS run_id, 7::BIGINT AS line_no")
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	rdr.Next()
	c := columns{query: "probe", rec: rdr.Record()}
	if got := c.int64s(c.named("line_no")).Value(0); got != 7 || c.err != nil {
		t.Fatalf("line_no %d, err %v", got, c.err)
	}
	c.named("case_id")
	if c.err == nil || !strings.Contains(c.err.Error(), `probe.sql: no single result column named "case_id"`) {
		t.Fatalf("missing column: %v", c.err)
	}
}
