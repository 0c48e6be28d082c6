-- Every scenario id the store holds runs of, with its newest run: the
-- known ids an unknown one is compared with.
SELECT scenario_id, max("timestamp") AS newest_run
FROM runs
WHERE scenario_id IS NOT NULL
GROUP BY scenario_id
ORDER BY scenario_id;
