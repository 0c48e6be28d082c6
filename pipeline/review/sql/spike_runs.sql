-- Runs of the period [$1, $2) at or above the SEV2 multiplier ($3), most
-- extreme first (docs/RULES.md, "Spike runs"), with the fields their flags
-- come from: the recorded flags and the fields that imply others, merged
-- in Go (ledger.Flags, docs/RULES.md, "Inputs"). The case is the lowest
-- case id naming the run.
WITH spikes AS (
    SELECT * FROM classified
    WHERE "timestamp" >= $1 AND "timestamp" < $2 AND multiplier >= $3
)
SELECT
    r.run_id, c."timestamp", c.scenario_id, c.credits_total, c.baseline, c.multiplier,
    r.variance_multiplier, c.recomputed_severity, c.severity,
    code_text(l.misconfig_likelihoods, r.misconfig_likelihood) AS misconfig_likelihood,
    r.risk_flags, r.retry_count, r.has_max_items_config, r.has_idempotency_key, r.is_batch_job, r.is_backfill,
    c.status, cr.case_id, r.artifacts_link, c.line_no
FROM spikes c
-- The run ids and wide fields of the same rows (line_no is unique in ledger_rows;
-- classified holds no duplicates already), the period's rows only; the
-- one coded text column among them is decoded for the spikes alone.
-- The period's rows are narrowed to the spikes' lines (a semi join) before
-- they meet the spikes: joined to all of them, a job's first review did
-- about 3,600 more page faults at 8 weeks and took 30–40 ms longer
-- (bench/HISTORY.md, "Stop 38's round").
JOIN (SELECT * FROM ledger_rows WHERE "timestamp" >= $1 AND "timestamp" < $2
      AND line_no IN (SELECT line_no FROM spikes)) r ON r.line_no = c.line_no
CROSS JOIN review.classified_code_lists l
LEFT JOIN (SELECT run_id, min(case_id) AS case_id FROM review.case_runs GROUP BY run_id) cr ON cr.run_id = r.run_id
ORDER BY c.multiplier DESC, c."timestamp", r.run_id;
