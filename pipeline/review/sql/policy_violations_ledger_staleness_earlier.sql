-- For a period without runs: the newest run before the period start $1 and
-- how many runs came before it (this reads the whole store).
SELECT max("timestamp") AS newest, count(*) AS earlier
FROM runs
WHERE "timestamp" < $1;
