// Package store owns the embedded DuckDB database under .ledgerlens/store/:
// the directory that holds it (Dir, dir.go: its owner's alone, opened once
// and reached through this process's handle on it, so that nobody else can
// change a byte a command reads, at any moment), its schema, the incremental, transactional ingest of the run ledger into it
// (docs/RULES.md, "Inputs"), the append-only check of the ledger prefix, and read access
// for the analytics and `ledgerlens query`. For benchmarks it also times
// each of ingest's phases alone on the same code path
// (Store.MeasureLoadFloor), so a measured ingest can be set beside its
// floors.
//
// Tables (sql/schema.sql): ledger_rows, every loaded line, whose repeated
// text columns are UINTEGER codes with their text in text_codes
// (codes.go); rejects, duplicates, field_values, ledger_state and
// ingest_log. store_meta, which records the schema version and time zone,
// is created by the schema migration (store.go), which reads it first
// (sql/store_schema_version.sql, sql/create_store_meta.sql). The
// migration's other steps are files of their own: a rebuild drops the
// derived tables (sql/drop_derived_tables.sql) and records the version
// (sql/record_schema_version.sql); a store of version 7 gains tail_fold
// in place (sql/migrate_to_v8.sql), one of version 8 or 9 has its codes
// widened (sql/migrate_to_v10.sql). A file of several statements runs
// them one at a time, each as its own statement (statements, scan.go);
// a name substituted into a file's text fills a {{placeholder}} the file
// holds. Results of several columns are read by column name (ScanNamed,
// ScanRowNamed).
// Readers see the codes decoded through the runs and
// ledger_rows_decoded views (sql/runs_view.sql); runs_coded leaves them
// as codes, and text_code_lists with the code_text macro (the one place
// the decoding is written) decodes them, for a reader that materialises
// many rows and decodes only what it reads.
//
// Every open first checks the file's catalog: a store holding an object
// ledgerlens does not create (a macro named like a built-in changes what
// every statement computes) is refused, ErrForeignObject (catalog.go). The
// views and macro of runs_view.sql are then defined in the connection's
// temporary catalog, so that what the file holds under their names is
// never read.
//
// It also owns the row digests (row_digest.go) that let a job or `verify
// store` tell a row edited in the database: made from the batches ingest
// inserts, per ledger chunk (IngestResult.ChunkRowDigests), and again from
// rows read back (ChunkDigests, VerifyRows) by the same code; and the
// digests of what the rows do not carry, which jobs record beside them:
// the derived tables' (DerivedDigest, derived.go) and the store's own
// record of its ingests and coverage (BookkeepingDigest, bookkeeping.go).
// A block or write-ahead log entry that fails the engine's checksum is a
// CorruptError of the probe (probe.go).
//
// It also writes the Parquet files `ledgerlens query` produces
// (WriteParquet), through a private in-memory engine that holds nothing
// but the query's result.
//
// A job opens the ledger once, before the store (LedgerFile,
// ledger_file.go), and the append-only check's hashing of the prefix its
// audit log says the store covers starts then, on one thread at the
// lowest priority (chunk_digester.go, yield_linux.go); the ingest adds the
// other cores and compares the digests with the store's own record, or
// drops them when the store covers another prefix or the ledger changed
// since they were taken (its size, modification or change time).
//
// Every statement runs on the store's one connection, where the ingest's
// transaction lives; only an append's search of the earlier ingests' rows
// for its run ids (earlier_runs.go) reads on a second one, which sees
// committed rows only, while the append's insert finishes.
//
// It must never write to the ledger or any other input, and never leave the
// database mixing two versions of the ledger: each ingest is one
// transaction that either commits completely or not at all.
package store
