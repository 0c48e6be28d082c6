-- Baseline candidates (docs/RULES.md, "Baseline candidates"): scenarios of
-- the period [$1, $2) with at least 10 runs, no SEV0/SEV1 run, CV < $5
-- (rules.StableCV) and multiplier (avg / baseline) < 1.2 or no baseline.
-- The proposal is the nearest-rank median of healthy runs (ll_healthy of
-- pipeline/rules; $4 the healthy statuses joined by U+001F) in the
-- baseline window [$3, $2).
-- The scenarios are grouped by their store code (classified_rows,
-- runs_coded) and decoded at the end. The medians are taken for the
-- candidates only: the baseline window holds several weeks of every
-- scenario's runs, and a median over all of them cost the section most of
-- its time (BENCHMARKS.md).
WITH s AS (
    SELECT
        scenario_id AS scenario_code,
        count(*) AS runs,
        avg(credits_total) AS avg_credits,
        coalesce(stddev_pop(credits_total) / nullif(avg(credits_total), 0), 0) AS cv,
        -- A run without a recorded severity and without a baseline has a
        -- NULL high_severity: it is not SEV0/SEV1, so a scenario with no
        -- baseline yet can qualify (docs/RULES.md: "or no baseline").
        coalesce(bool_or(coalesce(high_severity, false)), false) AS has_high,
        any_value(baseline) AS baseline
    FROM review.classified_rows
    WHERE "timestamp" >= $1 AND "timestamp" < $2
    GROUP BY scenario_id
), candidates AS (
    SELECT * FROM s
    WHERE runs >= 10 AND NOT has_high AND cv < $5
      AND (baseline IS NULL OR avg_credits / baseline < 1.2)
), healthy AS (
    SELECT r.scenario_id AS scenario_code, quantile_disc(r.credits_total, 0.5) AS proposed, count(*) AS sample
    FROM runs_coded r
    SEMI JOIN candidates k ON k.scenario_code = r.scenario_id
    CROSS JOIN review.classified_code_lists c
    WHERE r."timestamp" >= $3 AND r."timestamp" < $2
      AND ll_healthy(code_text(c.statuses, r.status), r.retry_count, $4)
    GROUP BY r.scenario_id
)
SELECT code_text(c.scenario_ids, k.scenario_code) AS scenario_id, k.runs, k.cv, k.avg_credits, k.baseline,
       h.proposed, coalesce(h.sample, 0) AS sample
FROM candidates k
LEFT JOIN healthy h USING (scenario_code)
CROSS JOIN review.classified_code_lists c
ORDER BY scenario_id;
