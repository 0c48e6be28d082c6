-- The rows whose run-id hash is one of the repeated ones, by a scan of
-- the column: the candidates find_duplicates.sql reads when there are too
-- many lines for lookups one by one (ingest.go, candidateRows). The IN
-- list is filled with integers. It is put inside find_duplicates.sql
-- without these comment lines.
SELECT * FROM ledger_rows WHERE run_hash IN ({{run_hashes}})
