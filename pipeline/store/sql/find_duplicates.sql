-- Classify the rows of one ingest ($1 = ingest_seq) whose run id already
-- occurred on an earlier line (of this ingest or any earlier one), among
-- the rows whose run-id hash repeats.
-- Identical means every normalised field matches the first occurrence.
-- The coded text columns are compared as codes: within one store, equal
-- codes are equal values (store/codes.go).
INSERT INTO duplicates
WITH candidates AS (
    -- The placeholder below is filled in by the caller with the rows of
    -- candidate_lines.sql's lines: a UNION ALL of "line_no = N" lookups,
    -- each pruned to one row group by its zone map, when there are few;
    -- a run_hash IN (…) scan when there are many. (DuckDB 1.1 does not
    -- push an IN list of line numbers into the scan: reading every column
    -- of a million rows to find eight took 0.3 s.) A hash collision
    -- between different ids is harmless: the join below is on the run id
    -- itself.
    {{candidate_rows}}
), firsts AS (
    SELECT * FROM candidates
    QUALIFY row_number() OVER (PARTITION BY run_id ORDER BY line_no) = 1
)
SELECT
    n.line_no,
    n.byte_offset,
    n.ingest_seq,
    n.run_id,
    f.line_no AS first_line_no,
    CASE WHEN n."timestamp" IS NOT DISTINCT FROM f."timestamp"
          AND n.scenario_id IS NOT DISTINCT FROM f.scenario_id
          AND n.scenario_name IS NOT DISTINCT FROM f.scenario_name
          AND n.job_type IS NOT DISTINCT FROM f.job_type
          AND n.status IS NOT DISTINCT FROM f.status
          AND n.credits_total IS NOT DISTINCT FROM f.credits_total
          AND n.credits_in IS NOT DISTINCT FROM f.credits_in
          AND n.credits_out IS NOT DISTINCT FROM f.credits_out
          AND n.model IS NOT DISTINCT FROM f.model
          AND n.input_tokens IS NOT DISTINCT FROM f.input_tokens
          AND n.output_tokens IS NOT DISTINCT FROM f.output_tokens
          AND n.artifacts_link IS NOT DISTINCT FROM f.artifacts_link
          AND n.severity IS NOT DISTINCT FROM f.severity
          AND n.risk_flags IS NOT DISTINCT FROM f.risk_flags
          AND n.risk_summary IS NOT DISTINCT FROM f.risk_summary
          AND n.misconfig_likelihood IS NOT DISTINCT FROM f.misconfig_likelihood
          AND n.baseline_expected_credits IS NOT DISTINCT FROM f.baseline_expected_credits
          AND n.variance_multiplier IS NOT DISTINCT FROM f.variance_multiplier
          AND n.retry_count IS NOT DISTINCT FROM f.retry_count
          AND n.has_max_items_config IS NOT DISTINCT FROM f.has_max_items_config
          AND n.has_idempotency_key IS NOT DISTINCT FROM f.has_idempotency_key
          AND n.prompt_version IS NOT DISTINCT FROM f.prompt_version
          AND n.deployment_timestamp IS NOT DISTINCT FROM f.deployment_timestamp
          AND n.is_batch_job IS NOT DISTINCT FROM f.is_batch_job
          AND n.is_backfill IS NOT DISTINCT FROM f.is_backfill
          AND n.input_item_count IS NOT DISTINCT FROM f.input_item_count
          AND n.notion_case_id IS NOT DISTINCT FROM f.notion_case_id
          AND n.owner IS NOT DISTINCT FROM f.owner
         THEN 'duplicate_identical' ELSE 'duplicate_conflicting' END AS kind
FROM candidates n
JOIN firsts f ON n.run_id = f.run_id
WHERE n.ingest_seq = $1 AND n.line_no > f.line_no;
