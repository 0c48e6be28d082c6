-- Run-id hashes that occur more than once and involve the rows of ingest
-- $1: repeated among its new rows, or already on an earlier ingest's row.
-- For an append inserted on several threads; one inserted on one thread
-- finds them while it inserts (earlier_run_hashes.sql).
-- Integers, not strings, so the search costs a column scan even over
-- millions of runs. Probing the earlier rows against the new rows' hashes
-- (a semi join) instead of counting every hash of the table halves the
-- search on an appended week (1M runs: 87 → 47 ms).
SELECT run_hash FROM ledger_rows WHERE ingest_seq = $1
GROUP BY run_hash HAVING count(*) > 1
UNION
SELECT DISTINCT o.run_hash
FROM ledger_rows o
SEMI JOIN (SELECT run_hash FROM ledger_rows WHERE ingest_seq = $1) n ON o.run_hash = n.run_hash
WHERE o.ingest_seq < $1
ORDER BY run_hash;
