-- Per-scenario statistics of the period [$1, $2) with the previous week
-- [$3, $1) beside them (docs/RULES.md, "Statistics"). Quantiles are nearest-rank
-- (quantile_disc); CV is population standard deviation over the mean.
-- The runs are grouped by the scenario's store code (classified_rows) and
-- only the result is decoded: a code maps to one text and back, so the
-- groups are the scenarios, and hashing a small integer per run costs
-- less than decoding and hashing its text (BENCHMARKS.md).
WITH cur AS (
    SELECT
        k.scenario_id AS scenario_code,
        arg_max(k.scenario_name, k.line_no) AS name_code,
        sum(k.credits_total::DECIMAL(38, 6))::DOUBLE AS total,
        count(*) AS runs,
        -- Both quantiles from one aggregate: one copy of the values
        -- per scenario, selected in once.
        quantile_disc(k.credits_total, [0.5, 0.95]) AS quantiles,
        max(k.credits_total) AS max,
        coalesce(stddev_pop(k.credits_total) / nullif(avg(k.credits_total), 0), 0) AS cv,
        count(*) FILTER (WHERE code_text(l.statuses, k.status) = 'Failed') AS failed,
        any_value(k.baseline) AS baseline
    FROM review.classified_rows k
    CROSS JOIN review.classified_code_lists l
    WHERE k."timestamp" >= $1 AND k."timestamp" < $2
    GROUP BY k.scenario_id
), prev AS (
    SELECT scenario_id AS scenario_code, sum(credits_total::DECIMAL(38, 6))::DOUBLE AS total, count(*) AS runs
    FROM review.classified_rows
    WHERE "timestamp" >= $3 AND "timestamp" < $1
    GROUP BY scenario_id
)
SELECT code_text(l.scenario_ids, c.scenario_code) AS scenario_id,
       code_text(l.scenario_names, c.name_code) AS scenario_name,
       c.total, c.runs, c.quantiles[1] AS median, c.quantiles[2] AS p95, c.max, c.cv, c.failed,
       c.baseline, coalesce(p.total, 0) AS prev_total, coalesce(p.runs, 0) AS prev_runs
FROM cur c
LEFT JOIN prev p USING (scenario_code)
CROSS JOIN review.classified_code_lists l
ORDER BY c.total DESC, scenario_id;
