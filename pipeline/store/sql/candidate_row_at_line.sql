-- The row of one ledger line (an integer), which the engine reads from
-- one row group: find_duplicates.sql's candidates are a UNION ALL of
-- these when candidate_lines.sql finds few lines (ingest.go,
-- candidateRows). It is put inside find_duplicates.sql without these
-- comment lines.
SELECT * FROM ledger_rows WHERE line_no = {{line_no}}
