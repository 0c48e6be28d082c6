-- How many rows hold a credit value above $1 (ledger.MaxCredits), which
-- versions before 9 loaded and the review cannot sum: a version 8 store
-- holding one is rebuilt (store.go, migrateRowBounds).
SELECT count(*) FROM ledger_rows
WHERE credits_total > $1 OR credits_in > $1 OR credits_out > $1
