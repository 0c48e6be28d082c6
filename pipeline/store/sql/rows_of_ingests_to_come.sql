-- The newest ingest the rows of the store's tables say wrote them
-- (ingest_seq), beside the newest ingest its own history holds
-- (ingest_log). Every row is written by an ingest that history records,
-- so the first is never past the second: a row naming an ingest still to
-- come was edited, and the ingest that comes would take it for one of its
-- own (ingest_seq.go).
SELECT coalesce(greatest(
           (SELECT max(ingest_seq) FROM ledger_rows),
           (SELECT max(ingest_seq) FROM duplicates),
           (SELECT max(ingest_seq) FROM rejects),
           (SELECT max(ingest_seq) FROM field_values)), 0) AS newest_row_ingest,
       (SELECT coalesce(max(seq), 0) FROM ingest_log) AS newest_ingest;
