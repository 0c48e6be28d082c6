-- The stored rows whose ledger lines start at a byte offset in [$1, $2)
-- ($2 the largest BIGINT: no upper bound, so that a row planted there is
-- read too),
-- with the columns a row digest covers (every column but ingest_seq), the
-- coded ones decoded (a digest is over the text, so an edit of text_codes
-- changes it): row_digest.go puts them in the placeholder below, digests
-- each row in Go as ingest digested the batches it inserted, and sorts the
-- digests itself (sorting wide rows here cost more than the digests).
SELECT {{columns}}
FROM ledger_rows_decoded
WHERE byte_offset >= $1 AND (byte_offset < $2 OR $2 = 9223372036854775807)
