-- The classified runs as the sections read them: review.classified_rows
-- (classify.sql) with the coded text columns decoded by the code lists of
-- side_tables.sql. A temporary view: each of the review's connections
-- defines its own (pipeline/review/review.go, define).
CREATE OR REPLACE TEMP VIEW classified AS
SELECT k.* REPLACE (
    code_text(c.scenario_ids, k.scenario_id) AS scenario_id,
    code_text(c.scenario_names, k.scenario_name) AS scenario_name,
    code_text(c.statuses, k.status) AS status,
    code_text(c.severities, k.severity) AS severity)
FROM review.classified_rows k
CROSS JOIN review.classified_code_lists c;
