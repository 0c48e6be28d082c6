-- The baseline calculation (runbook: baseline-calculator calculate): the
-- nearest-rank median, count and CV of scenario $1's healthy runs in
-- [$2, $3), and the first and last of those runs (how much of the window
-- the sample covers). Healthy = status among $4 (statuses joined by
-- U+001F) and retry_count <= 1 (absent = 0), as in docs/RULES.md.
SELECT
    count(*) AS sample_size,
    quantile_disc(credits_total, 0.5) AS median,
    coalesce(stddev_pop(credits_total) / nullif(avg(credits_total), 0), 0) AS cv,
    min("timestamp") AS first_run,
    max("timestamp") AS last_run
FROM runs
WHERE scenario_id = $1
  AND "timestamp" >= $2 AND "timestamp" < $3
  AND list_contains(string_split($4, chr(31)), status)
  AND coalesce(retry_count, 0) <= 1;
