-- The store's own record of its ingests (ingest_log) and of what it covers
-- (ledger_state), as text, for bookkeeping.go's digest: the columns the
-- reports' data-quality section reads, and those beside them that only an
-- ingest writes. Left out: the ledger's path (the root may move), and
-- what a later checkpoint or ingest rewrites in ledger_state
-- (rows_since_checkpoint, the running digests, tail_fold). Ingests
-- numbered past $1 are left out.
SELECT * EXCLUDE (seq_order) FROM (
SELECT 'ingest' AS what, seq AS seq_order, seq::VARCHAR AS seq, event, offset_from::VARCHAR AS offset_from,
       offset_to::VARCHAR AS offset_to, lines::VARCHAR AS lines, loaded::VARCHAR AS loaded,
       rejected::VARCHAR AS rejected, duplicates::VARCHAR AS duplicates,
       partial_tail_bytes::VARCHAR AS partial_tail_bytes, prefix_sha256,
       modified_from::VARCHAR AS modified_from, modified_to::VARCHAR AS modified_to,
       modified_line_from::VARCHAR AS modified_line_from, modified_line_to::VARCHAR AS modified_line_to
FROM ingest_log
WHERE seq <= $1
UNION ALL
SELECT 'covered', NULL, NULL, NULL, NULL, covered_bytes::VARCHAR, covered_lines::VARCHAR, NULL,
       NULL, NULL, NULL, prefix_sha256, NULL, NULL, NULL, NULL
FROM ledger_state
)
ORDER BY what DESC, seq_order, offset_to;
