-- Scenarios with runs in the period [$1, $2) and no usable baseline.
SELECT scenario_id, count(*) AS runs
FROM classified
WHERE "timestamp" >= $1 AND "timestamp" < $2 AND baseline IS NULL
GROUP BY scenario_id
ORDER BY scenario_id;
