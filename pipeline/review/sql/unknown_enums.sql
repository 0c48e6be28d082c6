-- Distinct values of the enumerated fields of SPEC §2.1 with their counts,
-- in one scan (GROUPING SETS); the caller keeps those outside the enums.
SELECT
    CASE WHEN grouping(job_type) = 0 THEN 'job_type'
         WHEN grouping(status) = 0 THEN 'status'
         WHEN grouping(severity) = 0 THEN 'severity'
         ELSE 'misconfig_likelihood' END AS field,
    coalesce(job_type, status, severity, misconfig_likelihood) AS value,
    count(*) AS n
FROM runs
GROUP BY GROUPING SETS ((job_type), (status), (severity), (misconfig_likelihood))
HAVING coalesce(job_type, status, severity, misconfig_likelihood) IS NOT NULL
ORDER BY field, value;
