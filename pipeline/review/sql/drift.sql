-- Credits of every run in the reference window [$1, $2) and in the period
-- [$2, $3), for PSI per scenario and of the scenario mix (computed in Go,
-- stats.PSI). One row per run, with the scenario as the store's code
-- (runs_coded): three fixed-width columns travel to Go as Arrow, which
-- groups them by code and decodes only the scenarios (Store.CodeTexts).
-- Grouping them into lists here cost DuckDB six times as much, and text
-- scenario ids more again.
SELECT scenario_id, credits_total, "timestamp" >= $2 AS current
FROM runs_coded
WHERE "timestamp" >= $1 AND "timestamp" < $3;
