-- The timestamp of the newest run in the store before $1; with $1 NULL,
-- of the newest run at all. NULL when there is none.
SELECT max("timestamp") AS newest_run
FROM runs
WHERE $1::TIMESTAMPTZ IS NULL OR "timestamp" < $1;
