-- Credits of every run per scenario, in the reference window [$1, $2)
-- (sorted, as PSI's decile edges need them) and in the period [$2, $3),
-- for PSI (computed in Go with gonum), read from the runs view: one row
-- per scenario with two lists, so a few hundred rows travel to Go instead
-- of one per run. A side without runs is NULL.
SELECT
    scenario_id,
    list(credits_total ORDER BY credits_total) FILTER (WHERE "timestamp" < $2) AS reference,
    list(credits_total) FILTER (WHERE "timestamp" >= $2) AS current
FROM runs
WHERE "timestamp" >= $1 AND "timestamp" < $3
GROUP BY scenario_id
ORDER BY scenario_id;
