-- Every scenario id the store holds runs of: the known ids an unknown one
-- is compared with.
SELECT DISTINCT scenario_id
FROM runs
WHERE scenario_id IS NOT NULL
ORDER BY scenario_id;
