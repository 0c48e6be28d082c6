-- What the store has covered of the ledger (one row, or none before the
-- first ingest): read at the start of every ingest.
SELECT covered_bytes, covered_lines, chunk_digests, sha256_state, prefix_sha256, rows_since_checkpoint, tail_fold
FROM ledger_state
