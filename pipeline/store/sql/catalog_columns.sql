-- The columns of the tables of a database's main schema, in table and
-- column order: the store file's ($1 the store's database), or the
-- expected ones Open creates in the temporary catalog (temp). Every
-- function is named with its catalog and schema (catalog_objects.sql).
-- Nullability is part of a column: a NOT NULL dropped let a row with no
-- byte offset escape every range the row checks read.
SELECT table_name, column_name, data_type, coalesce(column_default, '') AS column_default, is_nullable
  FROM system.main.duckdb_columns()
 WHERE database_name = $1 AND schema_name = 'main' AND NOT internal
 ORDER BY table_name, column_index;
