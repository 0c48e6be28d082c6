-- The newest run before $1 (NULL: at all) among the runs from $2 on (NULL:
-- all of them). A bound lets the store skip row groups by their timestamps.
SELECT max("timestamp") AS newest_run
FROM runs
WHERE ($1::TIMESTAMPTZ IS NULL OR "timestamp" < $1)
  AND ($2::TIMESTAMPTZ IS NULL OR "timestamp" >= $2);
