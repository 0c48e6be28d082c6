-- The rejected lines (rejects), every column but the ingest that rejected
-- them, as text in line order: derived.go digests them.
SELECT line_no::VARCHAR, byte_offset::VARCHAR, code, reason, line_sha256, raw
FROM rejects
ORDER BY line_no, code, reason, line_sha256;
