-- The objects of the store file's own catalog: not the connection's
-- temporary catalog (database temp), nor the engine's built-ins. Open
-- compares them with the objects schema.sql and runs_view.sql create
-- (catalog.go). Every function is named with its catalog and schema,
-- system.main: a name left bare is looked up in the store file first,
-- where a planted macro (current_database, duckdb_functions) hid every
-- other planted object from this very listing.
SELECT 'schema' AS kind, schema_name, schema_name AS name FROM system.main.duckdb_schemas()
 WHERE database_name = system.main.current_database() AND NOT internal
UNION ALL
SELECT 'table', schema_name, table_name FROM system.main.duckdb_tables()
 WHERE database_name = system.main.current_database() AND NOT internal AND NOT temporary
UNION ALL
SELECT 'view', schema_name, view_name FROM system.main.duckdb_views()
 WHERE database_name = system.main.current_database() AND NOT internal AND NOT temporary
UNION ALL
SELECT CASE function_type WHEN 'table_macro' THEN 'table macro' ELSE function_type END, schema_name, function_name
  FROM system.main.duckdb_functions()
 WHERE database_name = system.main.current_database() AND NOT internal
UNION ALL
SELECT 'index', schema_name, index_name FROM system.main.duckdb_indexes()
 WHERE database_name = system.main.current_database()
UNION ALL
SELECT 'sequence', schema_name, sequence_name FROM system.main.duckdb_sequences()
 WHERE database_name = system.main.current_database() AND NOT temporary
UNION ALL
SELECT 'type', schema_name, type_name FROM system.main.duckdb_types()
 WHERE database_name = system.main.current_database() AND NOT internal;
