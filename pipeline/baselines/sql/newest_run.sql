-- The newest run of scenario $1 before $2 (any status or severity): the
-- stability check needs runs reaching into the last day of its window,
-- or the absence of SEV0/SEV1 runs shows nothing.
SELECT max("timestamp") AS newest_run, count(*) AS runs
FROM runs
WHERE scenario_id = $1 AND "timestamp" < $2;
