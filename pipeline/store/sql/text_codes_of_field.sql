-- The text of each code of the coded column $1, in code order: what
-- text_code_lists (runs_view.sql) decodes with (codes.go, CodeTexts).
SELECT value FROM text_codes WHERE field = $1 ORDER BY code
