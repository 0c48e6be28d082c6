-- The seq the next ingest records in ingest_log: one past the newest, 1
-- for the first (ingest.go, nextIngestSeq).
SELECT coalesce(max(seq), 0) + 1 FROM ingest_log
