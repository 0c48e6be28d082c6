-- Run-id hashes that occur more than once in the whole table: the same as
-- repeated_run_hashes.sql when every row belongs to the current ingest (a
-- first load or a reload), without the self-join.
SELECT run_hash
FROM ledger_rows
GROUP BY run_hash
HAVING count(*) > 1
ORDER BY run_hash;
