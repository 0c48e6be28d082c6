-- The primary run of every case (from the temp table cases_t) as the store
-- knows it, with the later runs of its scenario in the period [$1, $2) that
-- happened while the case was open and without a rerun approval.
SELECT
    k.case_id,
    r.run_id,
    r."timestamp",
    r.scenario_id,
    (SELECT count(*) FROM runs l
      WHERE l.scenario_id = r.scenario_id
        AND l."timestamp" > r."timestamp"
        AND l."timestamp" >= $1 AND l."timestamp" < $2
        AND (k.resolved_at IS NULL OR k.resolved_at > l."timestamp")
        AND (k.rerun_approved_at IS NULL OR k.rerun_approved_at > l."timestamp")) AS unapproved_reruns,
    (SELECT min(l."timestamp") FROM runs l
      WHERE l.scenario_id = r.scenario_id
        AND l."timestamp" > r."timestamp"
        AND l."timestamp" >= $1 AND l."timestamp" < $2
        AND (k.resolved_at IS NULL OR k.resolved_at > l."timestamp")
        AND (k.rerun_approved_at IS NULL OR k.rerun_approved_at > l."timestamp")) AS first_unapproved
FROM cases_t k
JOIN runs r ON r.run_id = k.primary_run_id
ORDER BY k.case_id;
