-- The classified runs as the sections read them: classified_rows
-- (classify.sql) with the coded text columns decoded. The code lists are
-- taken from text_code_lists once, into a temp table: the view
-- aggregates text_codes each time it is read, a fixed cost every section
-- would pay again (the store does not change during a review). The spike
-- runs decode misconfig_likelihood from it too.
CREATE OR REPLACE TEMP TABLE classified_code_lists AS
SELECT scenario_ids, scenario_names, statuses, severities, misconfig_likelihoods FROM text_code_lists;

CREATE OR REPLACE TEMP VIEW classified AS
SELECT k.* REPLACE (
    code_text(c.scenario_ids, k.scenario_id) AS scenario_id,
    code_text(c.scenario_names, k.scenario_name) AS scenario_name,
    code_text(c.statuses, k.status) AS status,
    code_text(c.severities, k.severity) AS severity)
FROM classified_rows k
CROSS JOIN classified_code_lists c;
