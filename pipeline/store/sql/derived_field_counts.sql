-- How many loaded runs carry each value of the enumerated fields
-- (field_values), summed over the ingests that counted them, as text:
-- derived.go digests them. The sums do not depend on how the ledger was
-- split into ingests.
SELECT field, value, sum(n)::BIGINT::VARCHAR
FROM field_values
GROUP BY field, value
ORDER BY field, value;
