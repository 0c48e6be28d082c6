-- One digest per loaded ledger row, over every column but the ingest that
-- loaded it, in line order: comparing these with a store freshly derived
-- from the same ledger prefix finds rows edited in the store (rows.go).
SELECT line_no, md5(CAST(r AS VARCHAR)) AS digest
FROM (SELECT * EXCLUDE (ingest_seq) FROM ledger_rows) AS r
ORDER BY line_no
