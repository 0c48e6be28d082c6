-- The stored rows whose ledger lines start at a byte offset in [$1, $2),
-- in line order, with the columns a row digest covers: row_digest.go puts
-- them in the placeholder below (every column but ingest_seq) and digests each row in Go,
-- as ingest digested the batches it inserted.
SELECT {{columns}}
FROM ledger_rows
WHERE byte_offset >= $1 AND byte_offset < $2
ORDER BY line_no
