-- The later occurrences of run ids (duplicates), every column but the
-- ingest that found them, as text in line order: derived.go digests them.
SELECT line_no::VARCHAR, byte_offset::VARCHAR, run_id, first_line_no::VARCHAR, kind
FROM duplicates
ORDER BY line_no, kind, first_line_no, run_id;
