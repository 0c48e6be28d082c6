-- ledger_rows with its coded columns decoded (store/codes.go): the text of
-- code c of a field is element c + 1 of that field's values listed in code
-- order, taken from one row of lists cross-joined to every row (cheaper
-- than nine joins with text_codes). Every reader of those columns reads
-- them through this view or runs; comparing codes (find_duplicates.sql)
-- is comparing values.
CREATE OR REPLACE VIEW ledger_rows_decoded AS
SELECT r.* REPLACE (
    c.scenario_ids[r.scenario_id::INTEGER + 1] AS scenario_id,
    c.scenario_names[r.scenario_name::INTEGER + 1] AS scenario_name,
    c.job_types[r.job_type::INTEGER + 1] AS job_type,
    c.statuses[r.status::INTEGER + 1] AS status,
    c.models[r.model::INTEGER + 1] AS model,
    c.severities[r.severity::INTEGER + 1] AS severity,
    c.misconfig_likelihoods[r.misconfig_likelihood::INTEGER + 1] AS misconfig_likelihood,
    c.prompt_versions[r.prompt_version::INTEGER + 1] AS prompt_version,
    c.owners[r.owner::INTEGER + 1] AS owner)
FROM ledger_rows r
CROSS JOIN (
    SELECT
        list(value ORDER BY code) FILTER (WHERE field = 'scenario_id') AS scenario_ids,
        list(value ORDER BY code) FILTER (WHERE field = 'scenario_name') AS scenario_names,
        list(value ORDER BY code) FILTER (WHERE field = 'job_type') AS job_types,
        list(value ORDER BY code) FILTER (WHERE field = 'status') AS statuses,
        list(value ORDER BY code) FILTER (WHERE field = 'model') AS models,
        list(value ORDER BY code) FILTER (WHERE field = 'severity') AS severities,
        list(value ORDER BY code) FILTER (WHERE field = 'misconfig_likelihood') AS misconfig_likelihoods,
        list(value ORDER BY code) FILTER (WHERE field = 'prompt_version') AS prompt_versions,
        list(value ORDER BY code) FILTER (WHERE field = 'owner') AS owners
    FROM text_codes
) c;

-- One row per run (the first occurrence of each run id). ts_utc is the same
-- instant as "timestamp" as a plain UTC TIMESTAMP: this DuckDB build has no
-- ICU time-zone extension, so date arithmetic (+ INTERVAL, date_trunc)
-- works on TIMESTAMP, not on TIMESTAMPTZ. ts_local is the wall-clock time
-- in the configured zone and day_local its calendar day, for grouping by
-- the organisation's days.
-- An ANTI JOIN, not NOT EXISTS: DuckDB 1.1 plans the correlated NOT EXISTS
-- so that a filter on "timestamp" no longer prunes ledger_rows by its zone
-- maps (a one-week sum over a million runs took 250 ms instead of 10 ms).
CREATE OR REPLACE VIEW runs AS
SELECT r.* EXCLUDE (run_hash, ts_local), r."timestamp"::TIMESTAMP AS ts_utc,
       r.ts_local, r.ts_local::DATE AS day_local
FROM ledger_rows_decoded r
ANTI JOIN duplicates d ON d.line_no = r.line_no;
