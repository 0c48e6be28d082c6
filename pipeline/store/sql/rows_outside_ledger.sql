-- The stored rows whose ledger line starts outside the prefix the store
-- covers, [0, $1), or that name no line or offset at all: no ingest loads
-- such a row. How many, and the first of their line numbers (rows.go,
-- RowsOutsideLedger).
SELECT count(*) AS n, coalesce(min(line_no), 0) AS first_line
FROM ledger_rows
WHERE byte_offset IS NULL OR line_no IS NULL OR byte_offset < 0 OR byte_offset >= $1
