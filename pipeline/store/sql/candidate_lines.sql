-- Lines whose run-id hash is one of the repeated ones (the IN list is
-- filled with the integers load found, or repeated_run_hashes.sql's): two integer columns
-- scanned, so this stays cheap over millions of rows.
SELECT line_no FROM ledger_rows WHERE run_hash IN ({{run_hashes}}) ORDER BY line_no;
