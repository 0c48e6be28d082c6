package ledger

import (
	"database/sql"
	"slices"
	"testing"
)

func TestFlags(t *testing.T) {
	yes, no := sql.NullBool{Bool: true, Valid: true}, sql.NullBool{Valid: true}
	retries := func(n int64) sql.NullInt64 { return sql.NullInt64{Int64: n, Valid: true} }
	tests := []struct {
		name     string
		recorded []string
		fields   FlagFields
		want     []string
	}{
		{"nothing", nil, FlagFields{}, []string{}},
		{"missing fields imply nothing", []string{"pii_exposure"}, FlagFields{}, []string{"pii_exposure"}},
		{"true where false implies", nil, FlagFields{HasMaxItemsConfig: yes, HasIdempotencyKey: yes, IsBatchJob: no, IsBackfill: no}, []string{}},
		{"every derived flag", nil,
			FlagFields{RetryCount: retries(6), HasMaxItemsConfig: no, HasIdempotencyKey: no, IsBatchJob: yes, IsBackfill: yes},
			[]string{"backfill_mode", "batch_job", "missing_idempotency", "retry_loop", "unbounded_iterator"}},
		{"five retries are not a loop", nil, FlagFields{RetryCount: retries(5)}, []string{}},
		{"recorded and derived merge sorted, once each", []string{"retry_loop", "zeta", "Alpha", "retry_loop", ""},
			FlagFields{RetryCount: retries(9)}, []string{"", "Alpha", "retry_loop", "zeta"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := slices.Clone(tt.recorded)
			got := Flags(tt.recorded, tt.fields)
			if got == nil || !slices.Equal(got, tt.want) {
				t.Errorf("Flags(%q, %+v) = %q, want %q", tt.recorded, tt.fields, got, tt.want)
			}
			if !slices.Equal(tt.recorded, before) {
				t.Errorf("Flags modified its input: %q, was %q", tt.recorded, before)
			}
		})
	}
}
