-- Distinct values of the enumerated fields (docs/RULES.md, "Inputs") among the runs one
-- ingest ($1) loaded, with their counts, in one scan (GROUPING SETS). Kept
-- per ingest in field_values so that a report's data-quality section sums a
-- few hundred rows instead of rescanning the ledger; zone maps on
-- ingest_seq keep this scan to the appended rows. The values are decoded
-- (runs_view.sql).
INSERT INTO field_values
SELECT
    $1 AS ingest_seq,
    CASE WHEN grouping(job_type) = 0 THEN 'job_type'
         WHEN grouping(status) = 0 THEN 'status'
         WHEN grouping(severity) = 0 THEN 'severity'
         ELSE 'misconfig_likelihood' END AS field,
    coalesce(job_type, status, severity, misconfig_likelihood) AS value,
    count(*) AS n
FROM ledger_rows_decoded r
ANTI JOIN duplicates d ON d.line_no = r.line_no
WHERE r.ingest_seq = $1
GROUP BY GROUPING SETS ((job_type), (status), (severity), (misconfig_likelihood))
HAVING coalesce(job_type, status, severity, misconfig_likelihood) IS NOT NULL;
