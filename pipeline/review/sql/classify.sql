-- Recompute the classification (docs/RULES.md, "Classification"; the
-- ll_* macros of pipeline/rules) for every run in the analysis window
-- [$1, $2): the variance multiplier against the current baseline and the
-- severity by the policy's thresholds ($3 sev0, $4 sev1, $5 sev2, $6 sev3;
-- $7 = SEV0 requires a pii_exposure or regulatory_data flag). The window
-- is the period and the week before it.
-- Only the columns most sections read are kept: DuckDB pays a fixed cost
-- per column of a materialised table (about 3 ms per column per row group
-- here), so the spike-run section joins the few wide fields it lists back
-- from runs by line_no instead.
-- (Derived flags never include the PII flags, so PII is decided on the
-- recorded ones; the merged flag list is built only for spike runs.)
-- Expects the temp table baseline(scenario_id, median_credits).
CREATE OR REPLACE TEMP TABLE classified AS
WITH measured AS (
    SELECT
        r.run_id, r.line_no, r."timestamp", r.scenario_id, r.scenario_name, r.status,
        r.credits_total, r.severity,
        b.median_credits AS baseline,
        ll_multiplier(r.credits_total, b.median_credits) AS multiplier,
        ll_pii(r.risk_flags) AS pii
    FROM runs r
    LEFT JOIN baseline b ON b.scenario_id = r.scenario_id
    WHERE r."timestamp" >= $1 AND r."timestamp" < $2
)
SELECT * EXCLUDE (pii),
    ll_severity(multiplier, pii, $3, $4, $5, $6, $7) AS recomputed_severity,
    ll_high(severity) OR ll_high(recomputed_severity) AS high_severity
FROM measured;
