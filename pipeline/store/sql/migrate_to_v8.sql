-- Version 7 to 8 in place (store.go, migrateTailFold): ledger_state gains
-- tail_fold, NULL, so the next ingest reads its tail chunk's rows back
-- once, as a version 7 ingest did. Each statement runs alone, in one
-- transaction.
ALTER TABLE ledger_state ADD COLUMN IF NOT EXISTS tail_fold BLOB;
UPDATE store_meta SET schema_version = 8;
