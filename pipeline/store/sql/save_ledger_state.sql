-- The store's coverage of the ledger after an ingest, replacing the one
-- row of ledger_state (deleted first, in the same transaction).
INSERT INTO ledger_state (ledger_path, covered_bytes, covered_lines, chunk_size,
    chunk_digests, sha256_state, prefix_sha256, rows_since_checkpoint, tail_fold)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
