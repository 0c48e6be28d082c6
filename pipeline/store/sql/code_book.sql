-- Every row of text_codes, each coded column's codes in order: the code
-- book an ingest extends (codes.go, loadCodeBook), which refuses one whose
-- codes do not run 0, 1, … over distinct values.
SELECT field, code, value FROM text_codes ORDER BY field, code
