-- Every table of the store (store.Probe reads each one whole).
SELECT schema_name, table_name
FROM duckdb_tables()
ORDER BY schema_name, table_name
