-- Credits of every run per scenario, in the reference window [$1, $2)
-- and in the period [$2, $3), for PSI (computed in Go, stats.PSI, which
-- finds the reference's deciles by selection: sorting the lists here
-- cost more than the whole PSI), read from the runs view: one row
-- per scenario with two lists, so a few hundred rows travel to Go instead
-- of one per run. A side without runs is NULL.
SELECT
    scenario_id,
    list(credits_total) FILTER (WHERE "timestamp" < $2) AS reference,
    list(credits_total) FILTER (WHERE "timestamp" >= $2) AS current
FROM runs
WHERE "timestamp" >= $1 AND "timestamp" < $3
GROUP BY scenario_id
ORDER BY scenario_id;
