-- The newest run before $1 (the period end), the runs before $2 (the
-- period start) and the runs in [$2, $1): what ledger_stale looks at.
SELECT max("timestamp") AS newest,
       count(*) FILTER (WHERE "timestamp" < $2) AS earlier,
       count(*) FILTER (WHERE "timestamp" >= $2) AS in_period
FROM runs
WHERE "timestamp" < $1;
