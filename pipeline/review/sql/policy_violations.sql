-- Run-level policy findings of the period [$1, $2) (docs/RULES.md, "Policy violations"):
-- missing_case, sev0_not_quarantined, severity_mismatch.
-- The period's runs are read once, keeping those any of the three findings
-- could name (a superset of each one's condition), and the three are taken
-- from that handful.
WITH findable AS MATERIALIZED (
    SELECT run_id, scenario_id, severity, recomputed_severity, status, multiplier, high_severity
    FROM classified
    WHERE "timestamp" >= $1 AND "timestamp" < $2
      AND (high_severity
           OR severity = 'SEV0' OR recomputed_severity = 'SEV0'
           OR (severity IN ('SEV0', 'SEV1', 'SEV2', 'SEV3', 'SEV4')
               AND recomputed_severity IS NOT NULL AND severity <> recomputed_severity))
)
SELECT 'missing_case' AS type, run_id, scenario_id, severity, recomputed_severity, status, multiplier
FROM findable c
WHERE high_severity
  AND NOT EXISTS (SELECT 1 FROM case_runs cr WHERE cr.run_id = c.run_id)
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
