-- The codes of the enumerated columns (field_values.go) of the rows ingest
-- $1 loaded that turned out to repeat an earlier run id: the collector
-- counted them, field_values must not.
SELECT r.job_type, r.status, r.severity, r.misconfig_likelihood
FROM ledger_rows r
SEMI JOIN duplicates d ON d.line_no = r.line_no AND d.ingest_seq = $1
WHERE r.ingest_seq = $1;
