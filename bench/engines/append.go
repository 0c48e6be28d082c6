//go:build ignore

// append.go times DuckDB writing a job's rows, outside ledgerlens, so that
// the same statements can be timed on other releases of the engine than
// the one the project pins. It is not part of the module: it is built in a
// scratch module beside one driver (bench/HISTORY.md, "Stop 39's round",
// has the commands), and it names no driver itself.
//
//	export  copies a job's store's ledger_rows to two Parquet files in
//	        -dir: base.parquet (every ingest but the last) and
//	        week.parquet (the last, the appended week); run it with the
//	        pinned engine, which reads the store
//	base    creates -db with ledger_rows holding base.parquet, checkpointed
//	append  times appending week.parquet's rows to -db's ledger_rows from a
//	        temporary table, as one transaction with its checkpoint
//	        deferred, then the checkpoint a later job pays
//	cold    times inserting base.parquet's rows into an empty ledger_rows
//	        of a new -db, as one transaction whose commit checkpoints, as
//	        a job's first load does (then an explicit CHECKPOINT, which
//	        finds nothing left to do)
//
// With -schema (pipeline/store/sql/schema.sql) ledger_rows is created by
// the store's own statements, with their NOT NULL constraints; without
// it, by CREATE TABLE AS, without them. The settings are a job's
// (pipeline/store: a 256 MB pool, insertion order not kept, automatic
// checkpoints off), with -threads.
//
// Each timed mode prints one JSON line: insert_s, commit_s and
// checkpoint_s (seconds), and wal_bytes, the write-ahead log the commit
// left. The rows come from a temporary table, not from Arrow batches, so
// that every engine reads the same source: the times are the engine's
// write alone (its insert, compression and commit), not the job's.
package main

import (
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"
)

func main() {
	mode := flag.String("mode", "append", "export | base | append | cold")
	path := flag.String("db", "", "database file")
	dir := flag.String("dir", ".", "where the Parquet files are")
	attach := flag.String("attach", "", `ATTACH options for -db, e.g. "(ROW_GROUP_SIZE 61440)" (the database is then attached, not opened)`)
	threads := flag.Int("threads", 2, "DuckDB threads")
	schema := flag.String("schema", "", "the store's schema.sql, to create ledger_rows with its constraints")
	flag.Parse()
	if err := run(*mode, *path, *dir, *attach, *schema, *threads); err != nil {
		log.Fatal(err)
	}
}

func run(mode, path, dir, attach, schema string, threads int) error {
	dsn := path
	if attach != "" {
		dsn = ""
	}
	db, err := sql.Open("duckdb", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: BEGIN and COMMIT meet the same one
	exec := func(q string) (time.Duration, error) {
		began := time.Now()
		if _, err := db.Exec(q); err != nil {
			return 0, fmt.Errorf("%s: %w", q, err)
		}
		return time.Since(began), nil
	}
	setup := []string{
		// A job's settings (pipeline/store, pipeline/job.StoreOptions):
		// DuckDB checkpoints only when the job says so.
		"SET memory_limit = '256MB'",
		"SET preserve_insertion_order = false",
		fmt.Sprintf("SET threads = %d", threads),
		"SET checkpoint_threshold = '1TB'",
		"PRAGMA disable_checkpoint_on_shutdown",
	}
	if attach != "" {
		setup = append([]string{fmt.Sprintf("ATTACH '%s' AS s %s", path, attach), "USE s"}, setup...)
	}
	for _, q := range setup {
		if _, err := exec(q); err != nil {
			return err
		}
	}
	var version string
	if err := db.QueryRow("SELECT version()").Scan(&version); err != nil {
		return err
	}
	base, week := filepath.Join(dir, "base.parquet"), filepath.Join(dir, "week.parquet")
	create := func(from string) ([]string, error) {
		if schema == "" {
			return []string{fmt.Sprintf("CREATE TABLE ledger_rows AS SELECT * FROM '%s' LIMIT 0", from)}, nil
		}
		ddl, err := os.ReadFile(schema)
		if err != nil {
			return nil, err
		}
		return []string{string(ddl)}, nil
	}
	var steps []string
	switch mode {
	case "export":
		steps = []string{
			fmt.Sprintf("COPY (SELECT * FROM ledger_rows WHERE ingest_seq < (SELECT max(ingest_seq) FROM ledger_rows)) TO '%s' (FORMAT parquet)", base),
			fmt.Sprintf("COPY (SELECT * FROM ledger_rows WHERE ingest_seq = (SELECT max(ingest_seq) FROM ledger_rows)) TO '%s' (FORMAT parquet)", week),
		}
	case "base":
		if steps, err = create(base); err != nil {
			return err
		}
		steps = append(steps, fmt.Sprintf("INSERT INTO ledger_rows SELECT * FROM '%s'", base), "CHECKPOINT")
	case "append":
		return timed(exec, version, mode, threads, attach, path,
			[]string{fmt.Sprintf("CREATE TEMP TABLE source AS SELECT * FROM '%s'", week)},
			[]string{"BEGIN", "INSERT INTO ledger_rows SELECT * FROM source", "COMMIT", "CHECKPOINT"})
	case "cold":
		ddl, err := create(base)
		if err != nil {
			return err
		}
		return timed(exec, version, mode, threads, attach, path,
			append([]string{fmt.Sprintf("CREATE TEMP TABLE source AS SELECT * FROM '%s'", base)}, append(ddl, "CHECKPOINT")...),
			// As a job's first load: the commit checkpoints (pipeline/store,
			// checkpointAtCommitThreshold).
			[]string{"BEGIN", "INSERT INTO ledger_rows SELECT * FROM source", "SET checkpoint_threshold = '1KB'", "COMMIT", "CHECKPOINT"})
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	for _, q := range steps {
		if _, err := exec(q); err != nil {
			return err
		}
	}
	return nil
}

// timed runs the untimed statements, then the timed ones, and prints each
// timed statement's seconds with the size of the write-ahead log the
// commit left.
func timed(exec func(string) (time.Duration, error), version, mode string, threads int, attach, path string, untimed, steps []string) error {
	for _, q := range untimed {
		if _, err := exec(q); err != nil {
			return err
		}
	}
	out := map[string]any{"engine": version, "mode": mode, "threads": threads, "attach": attach}
	for _, q := range steps {
		took, err := exec(q)
		if err != nil {
			return err
		}
		name := map[string]string{"BEGIN": "", "COMMIT": "commit_s", "CHECKPOINT": "checkpoint_s"}[q]
		if q == steps[1] {
			name = "insert_s"
		}
		if name != "" {
			out[name] = took.Seconds()
		}
		if q == "COMMIT" {
			if fi, err := os.Stat(path + ".wal"); err == nil {
				out["wal_bytes"] = fi.Size()
			}
		}
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}
