-- The review's own tables, in an in-memory database attached as "review"
-- (kept until the store closes; a later review replaces them): the side
-- inputs the review loads from the policy, baselines, cases and the
-- period's days before classify.sql runs, and the store's code lists.
-- Attached, not temporary: both of the review's connections read them
-- (pipeline/review/lanes.go), and a temporary table is one connection's.
-- READ_WRITE: on a store opened read-only an attachment is read-only too
-- unless it says otherwise.
ATTACH IF NOT EXISTS ':memory:' AS review (READ_WRITE);
CREATE OR REPLACE TABLE review.baseline (scenario_id VARCHAR, median_credits DOUBLE);
CREATE OR REPLACE TABLE review.case_runs (case_id VARCHAR, run_id VARCHAR);
CREATE OR REPLACE TABLE review.cases_t (case_id VARCHAR, severity VARCHAR, primary_run_id VARCHAR, resolved_at TIMESTAMPTZ, rerun_approved_at TIMESTAMPTZ);
CREATE OR REPLACE TABLE review.days (day VARCHAR, day_start TIMESTAMPTZ, day_end TIMESTAMPTZ);
-- The code lists, taken from text_code_lists once: the view aggregates
-- text_codes each time it is read, a fixed cost every section would pay
-- again (the store does not change during a review). The classified
-- view (classified_view.sql) decodes with them, and the sections that
-- read classified_rows directly too.
CREATE OR REPLACE TABLE review.classified_code_lists AS
SELECT scenario_ids, scenario_names, statuses, severities, misconfig_likelihoods FROM text_code_lists;
