-- The first and last ledger line numbers starting inside the byte range
-- [$1, $2): names the lines an append-only violation touched.
SELECT min(line_no), max(line_no)
FROM (
    SELECT line_no, byte_offset FROM ledger_rows
    UNION ALL SELECT line_no, byte_offset FROM rejects
)
WHERE byte_offset < $2 AND byte_offset >= (
    -- the line that contains byte $1 starts at or before it
    SELECT coalesce(max(byte_offset), 0) FROM (
        SELECT byte_offset FROM ledger_rows WHERE byte_offset <= $1
        UNION ALL SELECT byte_offset FROM rejects WHERE byte_offset <= $1
    )
);
