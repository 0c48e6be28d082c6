-- The seq of the newest ingest ingest_log holds, 0 when it holds none
-- (state.go, LastIngestSeq).
SELECT coalesce(max(seq), 0) FROM ingest_log
