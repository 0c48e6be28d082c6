-- Distinct values of the enumerated fields of docs/RULES.md, "Inputs" over every loaded
-- run, with their counts: the sum of what each ingest counted
-- (store/field_values.go). The caller keeps those outside the
-- enums.
SELECT field, value, sum(n)::BIGINT AS n
FROM field_values
GROUP BY field, value
ORDER BY field, value;
