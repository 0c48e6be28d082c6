-- Runs of the period [$1, $2) at or above the SEV2 multiplier ($3), most
-- extreme first (docs/RULES.md, "Spike runs"), with their risk flags: recorded ones merged
-- with those derived from the run's fields (docs/RULES.md, "Classification"). The case is the
-- lowest case id naming the run.
WITH spikes AS (
    SELECT * FROM classified
    WHERE "timestamp" >= $1 AND "timestamp" < $2 AND multiplier >= $3
)
SELECT
    c.run_id, c."timestamp", c.scenario_id, c.credits_total, c.baseline, c.multiplier,
    r.variance_multiplier, c.recomputed_severity, c.severity, r.misconfig_likelihood,
    list_sort(list_distinct(list_concat(
        coalesce(r.risk_flags, []::VARCHAR[]),
        [CASE WHEN r.retry_count > 5 THEN 'retry_loop' END,
         CASE WHEN r.has_max_items_config = false THEN 'unbounded_iterator' END,
         CASE WHEN r.has_idempotency_key = false THEN 'missing_idempotency' END,
         CASE WHEN r.is_batch_job THEN 'batch_job' END,
         CASE WHEN r.is_backfill THEN 'backfill_mode' END]))) AS flags,
    c.status, cr.case_id, r.artifacts_link, c.line_no
FROM spikes c
-- The wide fields of the same rows (line_no is unique in ledger_rows;
-- classified holds no duplicates already), the period's rows only, with
-- the coded text columns decoded.
JOIN ledger_rows_decoded r ON r.line_no = c.line_no AND r."timestamp" >= $1 AND r."timestamp" < $2
LEFT JOIN (SELECT run_id, min(case_id) AS case_id FROM case_runs GROUP BY run_id) cr ON cr.run_id = c.run_id
ORDER BY c.multiplier DESC, c."timestamp", c.run_id;
