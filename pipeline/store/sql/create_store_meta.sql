-- store_meta, where the schema version and the time zone are recorded,
-- as the current version has it: created on a store without one, given
-- time_zone on one from before version 6 (store.go, migrate). Each
-- statement runs alone.
CREATE TABLE IF NOT EXISTS store_meta (schema_version INTEGER NOT NULL);
ALTER TABLE store_meta ADD COLUMN IF NOT EXISTS time_zone VARCHAR;
