-- One ingest's row of the store's own history. The columns are named: a
-- migration that adds one must not shift the values into others.
INSERT INTO ingest_log (seq, ledger_path, event, offset_from, offset_to, lines, loaded, rejected,
    duplicates, partial_tail_bytes, prefix_sha256, modified_from, modified_to, modified_line_from, modified_line_to)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
