-- Every value of one table, read and hashed (probe.go, Probe): a block
-- that fails the engine's checksum fails the read. The table is one
-- probe_tables.sql lists, its name quoted (quoteIdent). Not "SELECT *":
-- the driver holds a whole result before handing over its first row, and
-- the probe of a 10M-run store took 3.8 GB.
SELECT sum(hash(COLUMNS(*))) FROM {{table}}
