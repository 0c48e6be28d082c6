-- Conflicting duplicate lines whose run (first occurrence) is in [$1, $2)
-- (ledger_rows_decoded: scenario_id is a code in ledger_rows).
SELECT d.run_id, d.line_no, d.first_line_no, f.scenario_id
FROM duplicates d
JOIN ledger_rows_decoded f ON f.line_no = d.first_line_no
WHERE d.kind = 'duplicate_conflicting' AND f."timestamp" >= $1 AND f."timestamp" < $2
ORDER BY d.line_no;
