-- Per-scenario statistics of the period [$1, $2) with the previous week
-- [$3, $1) beside them (docs/RULES.md, "Statistics"). Quantiles are nearest-rank
-- (quantile_disc); CV is population standard deviation over the mean.
WITH cur AS (
    SELECT
        scenario_id,
        arg_max(scenario_name, line_no) AS scenario_name,
        sum(credits_total::DECIMAL(38, 6))::DOUBLE AS total,
        count(*) AS runs,
        quantile_disc(credits_total, 0.5) AS median,
        quantile_disc(credits_total, 0.95) AS p95,
        max(credits_total) AS max,
        coalesce(stddev_pop(credits_total) / nullif(avg(credits_total), 0), 0) AS cv,
        count(*) FILTER (WHERE status = 'Failed') AS failed,
        any_value(baseline) AS baseline
    FROM classified
    WHERE "timestamp" >= $1 AND "timestamp" < $2
    GROUP BY scenario_id
), prev AS (
    SELECT scenario_id, sum(credits_total::DECIMAL(38, 6))::DOUBLE AS total, count(*) AS runs
    FROM classified
    WHERE "timestamp" >= $3 AND "timestamp" < $1
    GROUP BY scenario_id
)
SELECT c.scenario_id, c.scenario_name, c.total, c.runs, c.median, c.p95, c.max, c.cv, c.failed,
       c.baseline, coalesce(p.total, 0) AS prev_total, coalesce(p.runs, 0) AS prev_runs
FROM cur c LEFT JOIN prev p USING (scenario_id)
ORDER BY c.total DESC, c.scenario_id;
