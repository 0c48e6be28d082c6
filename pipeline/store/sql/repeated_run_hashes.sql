-- Run-id hashes that occur more than once and involve the rows of ingest
-- $1 (the new rows' hashes probed against the whole table). Integers, not
-- strings, so the search costs a column scan even over millions of runs.
SELECT run_hash
FROM ledger_rows
WHERE run_hash IN (SELECT run_hash FROM ledger_rows WHERE ingest_seq = $1)
GROUP BY run_hash
HAVING count(*) > 1
ORDER BY run_hash;
