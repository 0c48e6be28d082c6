-- The temp tables the review loads its side inputs into (from the policy,
-- baselines, cases and the period's days) before classify.sql runs.
CREATE OR REPLACE TEMP TABLE baseline (scenario_id VARCHAR, median_credits DOUBLE);
CREATE OR REPLACE TEMP TABLE case_runs (case_id VARCHAR, run_id VARCHAR);
CREATE OR REPLACE TEMP TABLE cases_t (case_id VARCHAR, severity VARCHAR, primary_run_id VARCHAR, resolved_at TIMESTAMPTZ, rerun_approved_at TIMESTAMPTZ);
CREATE OR REPLACE TEMP TABLE days (day VARCHAR, day_start TIMESTAMPTZ, day_end TIMESTAMPTZ);
