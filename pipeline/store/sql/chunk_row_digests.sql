-- A digest of the loaded rows of each ledger chunk (1 MiB of ledger bytes,
-- by the byte offset a row's line starts at): md5 over the md5 of every
-- row (all columns but the ingest that loaded it) in line order. $1 is the
-- first chunk wanted; $2 and $3, when not null, keep only the chunks that
-- hold a row timestamped in [$2, $3) (rows.go).
WITH wanted AS (
    SELECT DISTINCT byte_offset // 1048576 AS chunk
    FROM ledger_rows
    WHERE byte_offset // 1048576 >= $1
      AND ($2::TIMESTAMPTZ IS NULL OR ("timestamp" >= $2::TIMESTAMPTZ AND "timestamp" < $3::TIMESTAMPTZ))
)
SELECT r.byte_offset // 1048576 AS chunk,
       md5(string_agg(md5(CAST(r AS VARCHAR)), '' ORDER BY r.line_no)) AS digest
FROM (SELECT * EXCLUDE (ingest_seq) FROM ledger_rows) AS r
WHERE r.byte_offset // 1048576 IN (SELECT chunk FROM wanted)
GROUP BY chunk
ORDER BY chunk
