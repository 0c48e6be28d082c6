-- Runs in [$1, $2) (of scenario $3, or of every scenario when $3 is '')
-- that are SEV0/SEV1 by their recorded severity or by the severity
-- recomputed against the current baseline (SPEC §3): $4 sev0 and $5 sev1
-- multipliers, $6 = SEV0 needs a pii_exposure or regulatory_data flag.
-- Expects the temp table ll_high_baseline(scenario_id, median_credits).
WITH measured AS (
    SELECT
        r.run_id, r.scenario_id, r."timestamp", r.severity AS recorded, r.line_no,
        CASE WHEN b.median_credits > 0 THEN r.credits_total / b.median_credits END AS multiplier,
        list_contains(coalesce(r.risk_flags, []::VARCHAR[]), 'pii_exposure')
            OR list_contains(coalesce(r.risk_flags, []::VARCHAR[]), 'regulatory_data') AS pii
    FROM runs r
    LEFT JOIN ll_high_baseline b ON b.scenario_id = r.scenario_id
    WHERE r."timestamp" >= $1 AND r."timestamp" < $2
      AND ($3 = '' OR r.scenario_id = $3)
), classified AS (
    SELECT *,
        CASE
            WHEN multiplier IS NULL THEN NULL
            WHEN (pii OR NOT $6) AND multiplier >= $4 THEN 'SEV0'
            WHEN multiplier >= $5 THEN 'SEV1'
        END AS recomputed_high
    FROM measured
)
SELECT run_id, scenario_id, "timestamp", recorded, recomputed_high, multiplier
FROM classified
WHERE recorded IN ('SEV0', 'SEV1') OR recomputed_high IS NOT NULL
ORDER BY "timestamp", line_no;
