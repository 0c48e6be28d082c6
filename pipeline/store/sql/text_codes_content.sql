-- The content of the text_codes lookup table, in a fixed order, as text:
-- verify store compares it with that of a store re-derived from the ledger
-- (rows.go). It is not part of the derived digest the ingests record.
SELECT field, code::VARCHAR AS code, value
FROM text_codes
ORDER BY field, code, value
