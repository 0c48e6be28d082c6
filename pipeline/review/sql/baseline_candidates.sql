-- Baseline candidates (docs/RULES.md, "Baseline candidates"): scenarios of
-- the period [$1, $2) with at least 10 runs, no SEV0/SEV1 run, CV < $5
-- (rules.StableCV) and multiplier (avg / baseline) < 1.2 or no baseline.
-- The proposal is the nearest-rank median of healthy runs (ll_healthy of
-- pipeline/rules; $4 the healthy statuses joined by U+001F) in the
-- baseline window [$3, $2).
WITH s AS (
    SELECT
        scenario_id,
        count(*) AS runs,
        avg(credits_total) AS avg_credits,
        coalesce(stddev_pop(credits_total) / nullif(avg(credits_total), 0), 0) AS cv,
        bool_or(high_severity) AS has_high,
        any_value(baseline) AS baseline
    FROM classified
    WHERE "timestamp" >= $1 AND "timestamp" < $2
    GROUP BY scenario_id
), healthy AS (
    SELECT scenario_id, quantile_disc(credits_total, 0.5) AS proposed, count(*) AS sample
    FROM runs
    WHERE "timestamp" >= $3 AND "timestamp" < $2
      AND ll_healthy(status, retry_count, $4)
    GROUP BY scenario_id
)
SELECT s.scenario_id, s.runs, s.cv, s.avg_credits, s.baseline, h.proposed, coalesce(h.sample, 0) AS sample
FROM s LEFT JOIN healthy h USING (scenario_id)
WHERE s.runs >= 10 AND NOT s.has_high AND s.cv < $5
  AND (s.baseline IS NULL OR s.avg_credits / s.baseline < 1.2)
ORDER BY s.scenario_id;
