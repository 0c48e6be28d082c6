-- The views and tables derived from the ledger, dropped by a rebuild
-- (store.go, rebuild) before schema.sql creates them afresh; ingest_log
-- and store_meta are kept. Each statement runs alone, in this order, in
-- the rebuild's transaction.
DROP VIEW IF EXISTS runs;
DROP VIEW IF EXISTS ledger_rows_decoded;
DROP TABLE IF EXISTS ledger_rows;
DROP TABLE IF EXISTS text_codes;
DROP TABLE IF EXISTS rejects;
DROP TABLE IF EXISTS duplicates;
DROP TABLE IF EXISTS ledger_state;
DROP TABLE IF EXISTS field_values;
