-- Ledger-wide data quality figures (docs/RULES.md, "Data quality"): one row, from one-row
-- aggregates cross-joined. (As nine scalar subqueries in one SELECT,
-- DuckDB 1.1 scanned ledger_rows for its count instead of reading the
-- count from metadata: 70 ms instead of 1 ms at a million runs.)
-- Every duplicates row is a ledger_rows row the runs view leaves out, so
-- loaded = rows - duplicates.
SELECT
    s.lines_read,
    r.n - d.duplicates AS loaded,
    j.rejected,
    d.duplicates,
    d.dup_identical,
    d.dup_conflicting,
    l.partial_tail_bytes,
    s.bytes_covered,
    s.ledger_sha256
FROM (SELECT count(*) AS n FROM ledger_rows) r
CROSS JOIN (
    SELECT count(*) AS duplicates,
           count(*) FILTER (WHERE kind = 'duplicate_identical') AS dup_identical,
           count(*) FILTER (WHERE kind = 'duplicate_conflicting') AS dup_conflicting
    FROM duplicates) d
CROSS JOIN (SELECT count(*) AS rejected FROM rejects) j
CROSS JOIN (SELECT coalesce(arg_max(partial_tail_bytes, seq), 0) AS partial_tail_bytes FROM ingest_log) l
CROSS JOIN (
    SELECT coalesce(max(covered_lines), 0) AS lines_read,
           coalesce(max(covered_bytes), 0) AS bytes_covered,
           coalesce(max(prefix_sha256), '') AS ledger_sha256
    FROM ledger_state) s;
