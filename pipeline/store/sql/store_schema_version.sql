-- The schema version store_meta records, 0 when it records none
-- (store.go, readSchemaVersion).
SELECT coalesce(max(schema_version), 0) FROM store_meta
