-- What ledger_stale looks at first: the newest run in the period [$1, $2)
-- and how many runs it has. Only the period's rows are read; when it has
-- none, policy_violations_ledger_staleness_earlier.sql looks before it.
SELECT max("timestamp") AS newest, count(*) AS in_period
FROM runs
WHERE "timestamp" >= $1 AND "timestamp" < $2;
