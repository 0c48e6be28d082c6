-- Lines whose run-id hash is one of the repeated ones (the IN list is
-- filled with repeated_run_hashes.sql's integers): two integer columns
-- scanned, so this stays cheap over millions of rows.
SELECT line_no FROM ledger_rows WHERE run_hash IN ({{run_hashes}}) ORDER BY line_no;
