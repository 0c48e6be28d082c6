-- 1 when ledger_rows holds a row, 0 when it is empty: a store without a
-- recorded version but with rows is one from before versioning, which is
-- rebuilt (store.go, migrate).
SELECT count(*) FROM (SELECT 1 FROM ledger_rows LIMIT 1)
