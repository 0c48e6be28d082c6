-- Credits of every run in the reference window [$1, $2) and the period
-- [$2, $3), per scenario, for PSI (computed in Go with gonum). Unordered:
-- PSI does not depend on order, and the caller groups by scenario.
SELECT scenario_id, credits_total, "timestamp" >= $2 AS current
FROM classified
WHERE "timestamp" >= $1 AND "timestamp" < $3;
