// Package store owns the embedded DuckDB database under .ledgerlens/: its
// schema, the incremental, transactional ingest of the run ledger into it
// (docs/RULES.md, "Inputs"), the append-only check of the ledger prefix, and read access
// for the analytics and `ledgerlens query`.
//
// It must never write to the ledger or any other input, and never leave the
// database mixing two versions of the ledger: each ingest is one
// transaction that either commits completely or not at all.
package store
