-- The text of every coded column, one row of lists: the text of code c of
-- a field is element c + 1 of its list (store/codes.go), which code_text
-- looks up. Decoding by list index against this one row, cross-joined, is
-- cheaper than nine joins with text_codes.
CREATE OR REPLACE MACRO code_text(texts, code) AS texts[code::INTEGER + 1];

CREATE OR REPLACE VIEW text_code_lists AS
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
FROM text_codes;

-- ledger_rows with its coded columns decoded. Every reader of those
-- columns reads them through this view or runs; comparing codes
-- (find_duplicates.sql) is comparing values.
CREATE OR REPLACE VIEW ledger_rows_decoded AS
SELECT r.* REPLACE (
    code_text(c.scenario_ids, r.scenario_id) AS scenario_id,
    code_text(c.scenario_names, r.scenario_name) AS scenario_name,
    code_text(c.job_types, r.job_type) AS job_type,
    code_text(c.statuses, r.status) AS status,
    code_text(c.models, r.model) AS model,
    code_text(c.severities, r.severity) AS severity,
    code_text(c.misconfig_likelihoods, r.misconfig_likelihood) AS misconfig_likelihood,
    code_text(c.prompt_versions, r.prompt_version) AS prompt_version,
    code_text(c.owners, r.owner) AS owner)
FROM ledger_rows r
CROSS JOIN text_code_lists c;

-- The runs (first occurrences, as in runs below) with the coded columns
-- left as codes, for a reader that materialises many rows and decodes
-- only what it reads, through text_code_lists (the review's classified
-- table): storing text costs far more than storing a code.
CREATE OR REPLACE VIEW runs_coded AS
SELECT r.*
FROM ledger_rows r
ANTI JOIN duplicates d ON d.line_no = r.line_no;

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
