-- A rebuilt store's one store_meta row: version $1, time zone $2
-- (store.go, rebuild). Each statement runs alone, in the rebuild's
-- transaction; the insert takes the parameters.
DELETE FROM store_meta;
INSERT INTO store_meta (schema_version, time_zone) VALUES ($1, $2);
