package ledger

import (
	"database/sql"
	"slices"
)

// FlagFields are the fields of a run that imply flags (docs/RULES.md,
// "Inputs"). A field the line did not carry is not Valid and implies
// nothing.
type FlagFields struct {
	RetryCount        sql.NullInt64
	HasMaxItemsConfig sql.NullBool
	HasIdempotencyKey sql.NullBool
	IsBatchJob        sql.NullBool
	IsBackfill        sql.NullBool
}

// Flags returns the flags of a run: its recorded flags and those its
// fields imply (retry_count > 5: retry_loop; has_max_items_config false:
// unbounded_iterator; has_idempotency_key false: missing_idempotency;
// is_batch_job: batch_job; is_backfill: backfill_mode), sorted by byte
// and unique. It never returns nil, and it does not modify recorded.
func Flags(recorded []string, f FlagFields) []string {
	out := make([]string, 0, len(recorded)+5)
	out = append(out, recorded...)
	if f.RetryCount.Valid && f.RetryCount.Int64 > 5 {
		out = append(out, FlagRetryLoop)
	}
	if f.HasMaxItemsConfig.Valid && !f.HasMaxItemsConfig.Bool {
		out = append(out, FlagUnboundedIterator)
	}
	if f.HasIdempotencyKey.Valid && !f.HasIdempotencyKey.Bool {
		out = append(out, FlagMissingIdempotency)
	}
	if f.IsBatchJob.Valid && f.IsBatchJob.Bool {
		out = append(out, FlagBatchJob)
	}
	if f.IsBackfill.Valid && f.IsBackfill.Bool {
		out = append(out, FlagBackfillMode)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
