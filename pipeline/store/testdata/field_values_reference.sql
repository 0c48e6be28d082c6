-- The reference definition of field_values (field_values.go) for one
-- ingest ($1), computed from the stored rows: the values of the
-- enumerated fields among the runs it loaded, duplicates excluded, with
-- their counts. It is how the table was filled before the collector
-- counted the codes itself.
SELECT
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
HAVING coalesce(job_type, status, severity, misconfig_likelihood) IS NOT NULL
ORDER BY field, value;
