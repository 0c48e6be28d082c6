-- Every rejected ledger line, in line order, for rejects_<date>.jsonl.
SELECT line_no, byte_offset, reason, line_sha256
FROM rejects
ORDER BY line_no;
