-- Run-level policy findings of the period [$1, $2) (docs/RULES.md, "Policy violations"):
-- missing_case, sev0_not_quarantined, severity_mismatch.
-- The period's runs are read once, keeping those any of the three findings
-- could name (a superset of each one's condition), and the three are taken
-- from that handful, whose run ids are then read from the store by line_no
-- (classified keeps none).
WITH findable AS MATERIALIZED (
    SELECT r.run_id, k.scenario_id, k.severity, k.recomputed_severity, k.status, k.multiplier, k.high_severity
    FROM classified k
    JOIN ledger_rows r ON r.line_no = k.line_no AND r."timestamp" >= $1 AND r."timestamp" < $2
    WHERE k."timestamp" >= $1 AND k."timestamp" < $2
      AND (k.high_severity
           OR k.severity = 'SEV0' OR k.recomputed_severity = 'SEV0'
           OR (k.severity IN ('SEV0', 'SEV1', 'SEV2', 'SEV3', 'SEV4')
               AND k.recomputed_severity IS NOT NULL AND k.severity <> k.recomputed_severity))
)
SELECT 'missing_case' AS type, run_id, scenario_id, severity, recomputed_severity, status, multiplier
FROM findable c
WHERE high_severity
  AND NOT EXISTS (SELECT 1 FROM review.case_runs cr WHERE cr.run_id = c.run_id)
UNION ALL
SELECT 'sev0_not_quarantined', run_id, scenario_id, severity, recomputed_severity, status, multiplier
FROM findable
WHERE (severity = 'SEV0' OR recomputed_severity = 'SEV0')
  AND status IS DISTINCT FROM 'Quarantined'
UNION ALL
SELECT 'severity_mismatch', run_id, scenario_id, severity, recomputed_severity, status, multiplier
FROM findable
WHERE severity IN ('SEV0', 'SEV1', 'SEV2', 'SEV3', 'SEV4')
  AND recomputed_severity IS NOT NULL AND severity <> recomputed_severity;
