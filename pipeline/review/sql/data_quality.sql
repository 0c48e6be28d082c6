-- Ledger-wide data quality figures (SPEC §4.8).
SELECT
    (SELECT coalesce(max(covered_lines), 0) FROM ledger_state) AS lines_read,
    -- Every duplicates row is a ledger_rows row the runs view leaves out;
    -- counting the two tables reads their metadata, not a million rows.
    (SELECT count(*) FROM ledger_rows) - (SELECT count(*) FROM duplicates) AS loaded,
    (SELECT count(*) FROM rejects) AS rejected,
    (SELECT count(*) FROM duplicates) AS duplicates,
    (SELECT count(*) FROM duplicates WHERE kind = 'duplicate_identical') AS dup_identical,
    (SELECT count(*) FROM duplicates WHERE kind = 'duplicate_conflicting') AS dup_conflicting,
    (SELECT coalesce(arg_max(partial_tail_bytes, seq), 0) FROM ingest_log) AS partial_tail_bytes,
    (SELECT coalesce(max(covered_bytes), 0) FROM ledger_state) AS bytes_covered,
    (SELECT coalesce(max(prefix_sha256), '') FROM ledger_state) AS ledger_sha256;
