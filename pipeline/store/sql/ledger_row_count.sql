-- How many rows ledger_rows holds (ingest.go, dueCheckpoint; rows.go,
-- VerifyRows).
SELECT count(*) FROM ledger_rows
