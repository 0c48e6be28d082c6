-- Version 8 or 9 to 10 in place, for a store whose rows hold nothing
-- version 10 rejects (store.go, migrateRowBounds): the code columns of
-- ledger_rows (codes.go, codedColumns) and text_codes.code widened from
-- USMALLINT to UINTEGER. Each statement runs alone, in this order, in one
-- transaction.
ALTER TABLE ledger_rows ALTER COLUMN scenario_id TYPE UINTEGER;
ALTER TABLE ledger_rows ALTER COLUMN scenario_name TYPE UINTEGER;
ALTER TABLE ledger_rows ALTER COLUMN job_type TYPE UINTEGER;
ALTER TABLE ledger_rows ALTER COLUMN status TYPE UINTEGER;
ALTER TABLE ledger_rows ALTER COLUMN model TYPE UINTEGER;
ALTER TABLE ledger_rows ALTER COLUMN severity TYPE UINTEGER;
ALTER TABLE ledger_rows ALTER COLUMN misconfig_likelihood TYPE UINTEGER;
ALTER TABLE ledger_rows ALTER COLUMN prompt_version TYPE UINTEGER;
ALTER TABLE ledger_rows ALTER COLUMN owner TYPE UINTEGER;
ALTER TABLE text_codes ALTER COLUMN code TYPE UINTEGER;
UPDATE store_meta SET schema_version = 10;
