-- Recompute SPEC §3's classification for every run in the analysis window
-- [$1, $2): derived risk flags merged with the recorded ones, the variance
-- multiplier against the current baseline, and the severity by the policy's
-- thresholds ($3 sev0, $4 sev1, $5 sev2, $6 sev3; $7 = SEV0 requires a
-- pii_exposure or regulatory_data flag). Expects the temp table
-- baseline(scenario_id, median_credits).
CREATE OR REPLACE TEMP TABLE classified AS
WITH flagged AS (
    SELECT
        r.*,
        list_sort(list_distinct(list_concat(
            coalesce(r.risk_flags, []::VARCHAR[]),
            [CASE WHEN r.retry_count > 5 THEN 'retry_loop' END,
             CASE WHEN r.has_max_items_config = false THEN 'unbounded_iterator' END,
             CASE WHEN r.has_idempotency_key = false THEN 'missing_idempotency' END,
             CASE WHEN r.is_batch_job THEN 'batch_job' END,
             CASE WHEN r.is_backfill THEN 'backfill_mode' END]))) AS flags,
        b.median_credits AS baseline
    FROM runs r
    LEFT JOIN baseline b ON b.scenario_id = r.scenario_id
    WHERE r."timestamp" >= $1 AND r."timestamp" < $2
), measured AS (
    SELECT *,
        CASE WHEN baseline > 0 THEN credits_total / baseline END AS multiplier,
        list_contains(flags, 'pii_exposure') OR list_contains(flags, 'regulatory_data') AS pii
    FROM flagged
)
SELECT *,
    CASE
        WHEN multiplier IS NULL THEN NULL
        WHEN (pii OR NOT $7) AND multiplier >= $3 THEN 'SEV0'
        WHEN multiplier >= $4 THEN 'SEV1'
        WHEN multiplier >= $5 THEN 'SEV2'
        WHEN multiplier >= $6 THEN 'SEV3'
        ELSE 'SEV4'
    END AS recomputed_severity,
    severity IN ('SEV0', 'SEV1') OR recomputed_severity IN ('SEV0', 'SEV1') AS high_severity
FROM measured;
