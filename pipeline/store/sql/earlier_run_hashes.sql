-- The run-id hashes of the rows ingest $1 appends (the new_run_hashes
-- view: one BIGINT column, run_hash, registered from Go) that an earlier
-- ingest's rows hold. It runs on a connection of its own while the
-- append's transaction is still open on the store's connection, so it sees
-- the committed rows only; the ingest_seq condition says so in the query
-- as well. Integers, not strings: a column scan even over millions of runs.
SELECT DISTINCT o.run_hash
FROM ledger_rows o
SEMI JOIN new_run_hashes n ON o.run_hash = n.run_hash
WHERE o.ingest_seq < $1
ORDER BY o.run_hash;
