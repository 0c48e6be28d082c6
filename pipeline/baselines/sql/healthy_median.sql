-- The baseline calculation (runbook: baseline-calculator calculate): the
-- nearest-rank median, count and CV of scenario $1's healthy runs in
-- [$2, $3). Healthy = ll_healthy (pipeline/rules, docs/RULES.md) with $4
-- the healthy statuses joined by U+001F (rules.HealthyStatuses).
SELECT
    count(*) AS sample_size,
    quantile_disc(credits_total, 0.5) AS median,
    coalesce(stddev_pop(credits_total) / nullif(avg(credits_total), 0), 0) AS cv
FROM runs
WHERE scenario_id = $1
  AND "timestamp" >= $2 AND "timestamp" < $3
  AND ll_healthy(status, retry_count, $4);
