-- The ledger chunks (1 MiB of ledger bytes, by the byte offset a row's
-- line starts at) holding loaded rows, from chunk $1 on; when $2 and $3 are
-- not null, only the chunks holding a row timestamped in [$2, $3): the
-- rows a report of that period reads (row_digest.go).
SELECT DISTINCT byte_offset // 1048576 AS chunk
FROM ledger_rows
WHERE byte_offset // 1048576 >= $1
  AND ($2::TIMESTAMPTZ IS NULL OR ("timestamp" >= $2::TIMESTAMPTZ AND "timestamp" < $3::TIMESTAMPTZ))
ORDER BY chunk
