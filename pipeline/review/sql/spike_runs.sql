-- Runs of the period [$1, $2) at or above the SEV2 multiplier ($3), most
-- extreme first (SPEC §4.3), with their risk flags: recorded ones merged
-- with those derived from the run's fields (SPEC §3). The case is the
-- lowest case id naming the run.
SELECT
    c.run_id, c."timestamp", c.scenario_id, c.credits_total, c.baseline, c.multiplier,
    c.variance_multiplier, c.recomputed_severity, c.severity, c.misconfig_likelihood,
    list_sort(list_distinct(list_concat(
        coalesce(c.risk_flags, []::VARCHAR[]),
        [CASE WHEN c.retry_count > 5 THEN 'retry_loop' END,
         CASE WHEN c.has_max_items_config = false THEN 'unbounded_iterator' END,
         CASE WHEN c.has_idempotency_key = false THEN 'missing_idempotency' END,
         CASE WHEN c.is_batch_job THEN 'batch_job' END,
         CASE WHEN c.is_backfill THEN 'backfill_mode' END]))) AS flags,
    c.status, cr.case_id, c.artifacts_link, c.line_no
FROM classified c
LEFT JOIN (SELECT run_id, min(case_id) AS case_id FROM case_runs GROUP BY run_id) cr USING (run_id)
WHERE c."timestamp" >= $1 AND c."timestamp" < $2 AND c.multiplier >= $3
ORDER BY c.multiplier DESC, c."timestamp", c.run_id;
