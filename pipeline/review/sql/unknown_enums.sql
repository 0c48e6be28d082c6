-- Values outside the enumerations of SPEC §2.1, per field (kept, counted).
-- The temp table enum_values(field, value) lists the allowed values.
WITH observed AS (
    SELECT 'job_type' AS field, job_type AS value FROM runs WHERE job_type IS NOT NULL
    UNION ALL SELECT 'status', status FROM runs WHERE status IS NOT NULL
    UNION ALL SELECT 'severity', severity FROM runs WHERE severity IS NOT NULL
    UNION ALL SELECT 'misconfig_likelihood', misconfig_likelihood FROM runs WHERE misconfig_likelihood IS NOT NULL
)
SELECT o.field, o.value, count(*) AS n
FROM observed o ANTI JOIN enum_values e ON e.field = o.field AND e.value = o.value
GROUP BY ALL
ORDER BY o.field, o.value;
