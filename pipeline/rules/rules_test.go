package rules

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/ledgerlens/ledgerlens/pipeline/store"
)

func TestSeverityRank(t *testing.T) {
	tests := []struct {
		sev  string
		want int
	}{{"SEV0", 0}, {"SEV1", 1}, {"SEV4", 4}, {"SEV5", 9}, {"sev1", 9}, {"", 9}, {"SEV10", 9}}
	for _, tt := range tests {
		if got := SeverityRank(tt.sev); got != tt.want {
			t.Errorf("SeverityRank(%q) = %d, want %d", tt.sev, got, tt.want)
		}
	}
	if HigherSeverity("SEV2", "SEV1") != "SEV1" || HigherSeverity("", "SEV3") != "SEV3" || HigherSeverity("SEV0", "") != "SEV0" {
		t.Error("HigherSeverity does not pick the more severe")
	}
}

func conn(t *testing.T) *sql.Conn {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "s.duckdb"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := st.Conn()
	if err := Install(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := Install(ctx, c); err != nil {
		t.Fatalf("installing twice: %v", err)
	}
	return c
}

// TestSeverityMacro checks ll_severity, ll_multiplier, ll_pii and ll_high
// on DuckDB, with the default policy's multipliers (5, 3, 2, 1.5).
func TestSeverityMacro(t *testing.T) {
	c := conn(t)
	tests := []struct {
		credits, baseline float64
		flags             string // a DuckDB list literal
		needPII           bool
		want              sql.NullString
		high              bool
	}{
		{600, 100, "['pii_exposure']", true, sql.NullString{String: "SEV0", Valid: true}, true},
		{600, 100, "[]", true, sql.NullString{String: "SEV1", Valid: true}, true},
		{600, 100, "NULL", false, sql.NullString{String: "SEV0", Valid: true}, true},
		{600, 100, "['regulatory_data']", true, sql.NullString{String: "SEV0", Valid: true}, true},
		{300, 100, "[]", true, sql.NullString{String: "SEV1", Valid: true}, true},
		{250, 100, "[]", true, sql.NullString{String: "SEV2", Valid: true}, false},
		{150, 100, "[]", true, sql.NullString{String: "SEV3", Valid: true}, false},
		{149, 100, "[]", true, sql.NullString{String: "SEV4", Valid: true}, false},
		{149, 0, "[]", true, sql.NullString{}, false},
		{0, 100, "[]", true, sql.NullString{String: "SEV4", Valid: true}, false},
		{-100, 100, "[]", true, sql.NullString{String: "SEV4", Valid: true}, false},
		{600, -1, "['pii_exposure']", true, sql.NullString{}, false},
		{1e308, 1e-308, "['pii_exposure']", true, sql.NullString{String: "SEV0", Valid: true}, true}, // an infinite multiplier
	}
	for _, tt := range tests {
		var got sql.NullString
		var high sql.NullBool
		q := "SELECT ll_severity(ll_multiplier($1::DOUBLE, $2::DOUBLE), ll_pii(" + tt.flags + "::VARCHAR[]), 5, 3, 2, 1.5, $3), " +
			"ll_high(ll_severity(ll_multiplier($1::DOUBLE, $2::DOUBLE), ll_pii(" + tt.flags + "::VARCHAR[]), 5, 3, 2, 1.5, $3))"
		if err := c.QueryRowContext(context.Background(), q, tt.credits, tt.baseline, tt.needPII).Scan(&got, &high); err != nil {
			t.Fatal(err)
		}
		if got != tt.want || high.Bool != tt.high {
			t.Errorf("credits %v baseline %v flags %s needPII %t: %v high %v, want %v high %t",
				tt.credits, tt.baseline, tt.flags, tt.needPII, got, high, tt.want, tt.high)
		}
	}
}

func TestHealthyMacro(t *testing.T) {
	c := conn(t)
	statuses := HealthyStatuses([]string{"success", "partial"})
	tests := []struct {
		status string
		retry  any
		want   bool
	}{{"success", 0, true}, {"partial", 1, true}, {"success", 2, false}, {"failed", 0, false}, {"success", nil, true}, {"succ", 0, false},
		{"Success", 0, false}, {"", 0, false}} // statuses match exactly
	for _, tt := range tests {
		var got bool
		if err := c.QueryRowContext(context.Background(), "SELECT ll_healthy($1, $2::INTEGER, $3)", tt.status, tt.retry, statuses).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("status %s retry %v: healthy %t, want %t", tt.status, tt.retry, got, tt.want)
		}
	}
}
