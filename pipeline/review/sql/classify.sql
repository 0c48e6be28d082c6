-- Recompute the classification (docs/RULES.md, "Classification"; the
-- ll_* macros of pipeline/rules) for every run in the analysis window
-- [$1, $2): the variance multiplier against the current baseline and the
-- severity by the policy's thresholds ($3 sev0, $4 sev1, $5 sev2, $6 sev3;
-- $7 = SEV0 requires a pii_exposure or regulatory_data flag). The window
-- is the period and the week before it.
-- Materialising a table costs by the column and by the byte: text costs
-- far more to store than a number. So classified_rows keeps only the
-- columns most sections read, with the store's coded text columns left as
-- codes (runs_coded), and the classified view (classified_view.sql)
-- decodes them as they are read. The run ids are not kept either (the one
-- free-text column it would hold, and only the spike runs and the policy
-- findings name runs): those sections join the few runs they list back to
-- the store by line_no, with the wide fields the spike runs list.
-- (Derived flags never include the PII flags, so PII is decided on the
-- recorded ones; the merged flag list is built only for spike runs.)
-- Expects review.baseline(scenario_id, median_credits). The runs
-- meet their baseline by the scenario's store code: the few baselines are
-- coded once (a scenario without runs has no code and meets no run),
-- rather than every run's scenario decoded and compared as text.
CREATE OR REPLACE TABLE review.classified_rows AS
WITH coded_baseline AS (
    SELECT t.code, b.median_credits
    FROM review.baseline b
    JOIN text_codes t ON t.field = 'scenario_id' AND t.value = b.scenario_id
), measured AS (
    SELECT
        r.line_no, r."timestamp", r.scenario_id, r.scenario_name, r.status,
        r.credits_total, r.severity,
        code_text(c.severities, r.severity) AS severity_text,
        b.median_credits AS baseline,
        ll_multiplier(r.credits_total, b.median_credits) AS multiplier,
        ll_pii(r.risk_flags) AS pii
    FROM runs_coded r
    CROSS JOIN text_code_lists c
    LEFT JOIN coded_baseline b ON b.code = r.scenario_id
    WHERE r."timestamp" >= $1 AND r."timestamp" < $2
), severities AS (
    SELECT * EXCLUDE (pii),
        ll_severity(multiplier, pii, $3, $4, $5, $6, $7) AS recomputed_severity
    FROM measured
)
SELECT * EXCLUDE (severity_text),
    ll_high(severity_text) OR ll_high(recomputed_severity) AS high_severity
FROM severities;
