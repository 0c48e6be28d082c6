-- Credits of every run in the reference window [$1, $2) and the period
-- [$2, $3), per scenario, for PSI (computed in Go with gonum), read from
-- the runs view: only three columns over five weeks. Unordered:
-- PSI does not depend on order, and the caller groups by scenario.
SELECT scenario_id, credits_total, "timestamp" >= $2 AS current
FROM runs
WHERE "timestamp" >= $1 AND "timestamp" < $3;
