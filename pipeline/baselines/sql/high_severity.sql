-- Runs in [$1, $2) (of scenario $3, or of every scenario when $3 is '')
-- that are SEV0/SEV1 by their recorded severity or by the severity
-- recomputed against the current baseline (docs/RULES.md,
-- "Classification"; the ll_* macros of pipeline/rules): $4 sev0, $5 sev1,
-- $6 sev2 and $7 sev3 multipliers, $8 = SEV0 needs a pii_exposure or
-- regulatory_data flag.
-- Expects the temp table ll_high_baseline(scenario_id, median_credits).
WITH classified AS (
    SELECT
        r.run_id, r.scenario_id, r."timestamp", r.severity AS recorded, r.line_no,
        ll_multiplier(r.credits_total, b.median_credits) AS multiplier,
        ll_severity(multiplier, ll_pii(r.risk_flags), $4, $5, $6, $7, $8) AS recomputed
    FROM runs r
    LEFT JOIN ll_high_baseline b ON b.scenario_id = r.scenario_id
    WHERE r."timestamp" >= $1 AND r."timestamp" < $2
      AND ($3 = '' OR r.scenario_id = $3)
)
SELECT run_id, scenario_id, "timestamp", recorded,
    CASE WHEN ll_high(recomputed) THEN recomputed END AS recomputed_high, multiplier
FROM classified
WHERE ll_high(recorded) OR ll_high(recomputed)
ORDER BY "timestamp", line_no;
