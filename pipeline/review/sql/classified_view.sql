-- The classified runs as the sections read them: classified_rows
-- (classify.sql) with the coded text columns decoded. The code lists are
-- taken from text_code_lists once, into a temp table: the view
-- aggregates text_codes each time it is read, a fixed cost every section
-- would pay again (the store does not change during a review).
CREATE OR REPLACE TEMP TABLE classified_code_lists AS
SELECT scenario_ids, scenario_names, statuses, severities FROM text_code_lists;

CREATE OR REPLACE TEMP VIEW classified AS
SELECT k.* REPLACE (
    c.scenario_ids[k.scenario_id::INTEGER + 1] AS scenario_id,
    c.scenario_names[k.scenario_name::INTEGER + 1] AS scenario_name,
    c.statuses[k.status::INTEGER + 1] AS status,
    c.severities[k.severity::INTEGER + 1] AS severity)
FROM classified_rows k
CROSS JOIN classified_code_lists c;
