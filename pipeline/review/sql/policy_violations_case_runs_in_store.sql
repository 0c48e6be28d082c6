-- The primary run of every case (from the review's table cases_t) as the store
-- knows it, with the later runs of its scenario in the period [$1, $2) that
-- happened while the case was open and without a rerun approval. The
-- later runs are looked up in classified_rows (the period, classified)
-- by the scenario's store code: comparing a small integer per run of the
-- period instead of decoding and comparing its text.
SELECT
    k.case_id,
    r.run_id,
    r."timestamp",
    code_text(c.scenario_ids, r.scenario_id) AS scenario_id,
    (SELECT count(*) FROM review.classified_rows l
      WHERE l.scenario_id = r.scenario_id
        AND l."timestamp" > r."timestamp"
        AND l."timestamp" >= $1 AND l."timestamp" < $2
        AND (k.resolved_at IS NULL OR k.resolved_at > l."timestamp")
        AND (k.rerun_approved_at IS NULL OR k.rerun_approved_at > l."timestamp")) AS unapproved_reruns,
    (SELECT min(l."timestamp") FROM review.classified_rows l
      WHERE l.scenario_id = r.scenario_id
        AND l."timestamp" > r."timestamp"
        AND l."timestamp" >= $1 AND l."timestamp" < $2
        AND (k.resolved_at IS NULL OR k.resolved_at > l."timestamp")
        AND (k.rerun_approved_at IS NULL OR k.rerun_approved_at > l."timestamp")) AS first_unapproved
FROM review.cases_t k
JOIN runs_coded r ON r.run_id = k.primary_run_id
CROSS JOIN review.classified_code_lists c
ORDER BY k.case_id;
