-- The records WriteParquet's private engine reads through a registered
-- Arrow view, written as one Parquet file (parquet.go). The file name is
-- a path WriteParquet has checked holds no quote or NUL.
COPY (SELECT * FROM {{view}}) TO '{{target}}' (FORMAT PARQUET, COMPRESSION ZSTD, USE_TMP_FILE false)
