package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/store"
)

// floorOutput is what `ledgerlens-bench floor` prints: how long DuckDB
// itself takes to write the rows a job stores, with no parsing,
// validation, hashing or analysis around it.
type floorOutput struct {
	// Every stored row, and the rows of the first ingest (what the cold
	// job loads), each written as the cold job writes them: INSERT from
	// memory into an empty table of the store's definition, then
	// CHECKPOINT.
	AllRows  int64   `json:"all_rows"`
	AllS     float64 `json:"all_s"`
	ColdRows int64   `json:"cold_rows"`
	ColdS    float64 `json:"cold_s"`
	// The rows of the last ingest (what the warm job appended), written as
	// the warm job writes them: INSERT onto the table holding the cold
	// rows, committed without a checkpoint (the job defers it). The
	// deferred checkpoint's cost, paid by a later ingest, is
	// AppendedCheckpointS.
	AppendedRows        int64   `json:"appended_rows"`
	AppendedS           float64 `json:"appended_s"`
	AppendedCheckpointS float64 `json:"appended_checkpoint_s"`
	MemoryLimit         string  `json:"memory_limit"`
	SourceDatabase      string  `json:"source_database"`
}

// cmdFloor is the store-write floor: it copies ledger_rows of a job's store
// into memory (untimed), then times DuckDB writing those rows to a new
// on-disk table, in the store's own table layout and engine settings. No
// job can store the ledger faster than this, so floor/engine is a lower
// bound on what the cold and warm ratios can reach with DuckDB as the
// store (BENCHMARKS.md).
func cmdFloor(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	src := fs.String("store", "", "a job's store (ledger.duckdb), opened read-only")
	dbDir := fs.String("db", "", "directory for the throwaway database")
	memory := fs.String("memory", "12GB", "DuckDB memory limit: the rows are held in memory so that reading them is not timed")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *src == "" || *dbDir == "" || fs.NArg() != 0 {
		return usageError{"floor wants -store FILE -db DIR"}
	}
	if _, err := os.Stat(*src); err != nil {
		return err
	}
	if err := os.MkdirAll(*dbDir, 0o755); err != nil {
		return err
	}
	// A copy of the store, attached writable: a store whose last ingest
	// deferred its checkpoint has a WAL, which DuckDB must replay into the
	// file it attaches (and cannot, read-only).
	srcCopy := filepath.Join(*dbDir, "source.duckdb")
	if err := copyRange(*src, srcCopy, 0, -1, os.O_CREATE|os.O_TRUNC|os.O_WRONLY); err != nil {
		return fmt.Errorf("copy %s: %w", *src, err)
	}
	if err := copyRange(*src+".wal", srcCopy+".wal", 0, -1, os.O_CREATE|os.O_TRUNC|os.O_WRONLY); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("copy %s.wal: %w", *src, err)
	}
	// DeferCheckpoint as in the jobs: commits go to the WAL until an
	// explicit CHECKPOINT.
	st, err := store.Open(ctx, filepath.Join(*dbDir, "floor.duckdb"), store.Options{MemoryLimit: *memory, DeferCheckpoint: true})
	if err != nil {
		return err
	}
	defer st.Close()
	db := st.Conn()
	for _, q := range []string{
		fmt.Sprintf("ATTACH %s AS src", quoteLiteral(srcCopy)),
		"CREATE TEMP TABLE held AS SELECT * FROM src.ledger_rows",
		"DETACH src",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("floor: %s: %w", q, err)
		}
	}
	// The store's own table definition (NOT NULL constraints included),
	// re-created empty before each timed write.
	var create string
	if err := db.QueryRowContext(ctx, "SELECT sql FROM duckdb_tables() WHERE table_name = 'ledger_rows'").Scan(&create); err != nil {
		return fmt.Errorf("floor: read ledger_rows definition: %w", err)
	}
	// The first ingest of the store's current load is what a cold job
	// wrote; a later one is what the warm job appended.
	var first, last int64
	if err := db.QueryRowContext(ctx, "SELECT coalesce(min(ingest_seq), 0), coalesce(max(ingest_seq), 0) FROM held").Scan(&first, &last); err != nil {
		return fmt.Errorf("floor: read ingests: %w", err)
	}
	appended := fmt.Sprintf("ingest_seq = %d", last)
	if last == first {
		appended = "false"
	}
	out := floorOutput{MemoryLimit: *memory, SourceDatabase: *src}
	exec := func(qs ...string) (float64, error) {
		began := time.Now()
		for _, q := range qs {
			if _, err := db.ExecContext(ctx, q); err != nil {
				return 0, fmt.Errorf("floor: %s: %w", q, err)
			}
		}
		return round3(time.Since(began).Seconds()), nil
	}
	count := func(n *int64) error {
		return db.QueryRowContext(ctx, "SELECT count(*) FROM ledger_rows").Scan(n)
	}
	insert := func(filter string) string { return "INSERT INTO ledger_rows SELECT * FROM held WHERE " + filter }
	cold := fmt.Sprintf("ingest_seq = %d", first)
	for _, w := range []struct {
		filter string
		rows   *int64
		secs   *float64
	}{{"true", &out.AllRows, &out.AllS}, {cold, &out.ColdRows, &out.ColdS}} {
		if _, err := exec("DROP TABLE ledger_rows", create, "CHECKPOINT"); err != nil {
			return err
		}
		if *w.secs, err = exec(insert(w.filter), "CHECKPOINT"); err != nil {
			return err
		}
		if err := count(w.rows); err != nil {
			return err
		}
	}
	// The table now holds the cold rows, checkpointed: append onto it.
	if out.AppendedS, err = exec(insert(appended)); err != nil {
		return err
	}
	if err := count(&out.AppendedRows); err != nil {
		return err
	}
	out.AppendedRows -= out.ColdRows
	if out.AppendedCheckpointS, err = exec("CHECKPOINT"); err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
