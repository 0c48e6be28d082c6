package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/store"
)

// floorOutput is what `ledgerlens-bench floor` prints: for the cold job's
// part of the ledger and for the part the warm job finds appended, what
// each of ingest's phases costs alone (the floors), and what the same
// ingest costs phase by phase when store.Ingest does it.
type floorOutput struct {
	Cold        loadFloor `json:"cold"`
	Warm        loadFloor `json:"warm"`
	MemoryLimit string    `json:"memory_limit"`
	Zone        string    `json:"time_zone"`
	Ledger      string    `json:"ledger"`
}

// loadFloor is one ingest's floors (store.LoadFloor in seconds) and the
// same ingest's phases as store.Ingest reports them.
type loadFloor struct {
	Bytes int64 `json:"bytes"`
	Lines int64 `json:"lines"`
	Rows  int64 `json:"rows"`
	// AppendOnlyCheckS re-hashes the covered prefix's chunks on all cores
	// (warm only); SHA256S and ChunkDigestsS hash the new bytes.
	AppendOnlyCheckS float64 `json:"append_only_check_s"`
	SHA256S          float64 `json:"sha256_s"`
	ChunkDigestsS    float64 `json:"chunk_digests_s"`
	// HashS = SHA256S + ChunkDigestsS: ingest's reader does both.
	HashS       float64 `json:"hash_s"`
	ParseS      float64 `json:"parse_s"`
	ParseArrowS float64 `json:"parse_arrow_s"`
	// InsertS, CommitS: the job's own insert path (Arrow batches, one
	// registered view, INSERT … SELECT, COMMIT checkpointing when the job's
	// does). CheckpointS: an explicit CHECKPOINT after; for the warm part it
	// is the checkpoint the job defers to a later ingest.
	InsertS     float64 `json:"insert_s"`
	CommitS     float64 `json:"commit_s"`
	CheckpointS float64 `json:"checkpoint_s"`
	// StoreWriteS = InsertS + CommitS (+ CheckpointS when cold, which pays
	// it): the store-write floor.
	StoreWriteS float64 `json:"store_write_s"`
	// Ingest is store.Ingest on the same bytes with the job's options.
	Ingest ingestPhases `json:"ingest"`
}

// ingestPhases are store.IngestResult's timings in seconds.
type ingestPhases struct {
	CheckS      float64 `json:"check_s"`
	LoadS       float64 `json:"load_s"` // hash, parse, Arrow and insert, overlapped
	DuplicatesS float64 `json:"duplicates_s"`
	CommitS     float64 `json:"commit_s"`
	CheckpointS float64 `json:"checkpoint_s"`
	TotalS      float64 `json:"total_s"`
}

func newLoadFloor(f store.LoadFloor, checkpointPaid bool) loadFloor {
	s := seconds6
	lf := loadFloor{
		Bytes: f.Bytes, Lines: f.Lines, Rows: f.Rows,
		AppendOnlyCheckS: s(f.Check), SHA256S: s(f.SHA256), ChunkDigestsS: s(f.ChunkDigests),
		HashS: s(f.SHA256 + f.ChunkDigests), ParseS: s(f.Parse), ParseArrowS: s(f.ParseArrow),
		InsertS: s(f.Insert), CommitS: s(f.Commit), CheckpointS: s(f.Checkpoint),
	}
	write := f.Insert + f.Commit
	if checkpointPaid {
		write += f.Checkpoint
	}
	lf.StoreWriteS = s(write)
	return lf
}

func newIngestPhases(res store.IngestResult, total time.Duration) ingestPhases {
	s := seconds6
	return ingestPhases{CheckS: s(res.CheckTime), LoadS: s(res.LoadTime), DuplicatesS: s(res.DuplicatesTime),
		CommitS: s(res.CommitTime), CheckpointS: s(res.CheckpointTime), TotalS: s(total)}
}

// cmdFloor measures the floors of the cold and the warm job's ingest: the
// ledger's bytes [0, cut) loaded into an empty store (commit with
// checkpoint), then [cut, end) appended (checkpoint deferred), each phase
// timed alone on the job's own path (store.MeasureLoadFloor); then the
// same two ingests through store.Ingest, for the phases beside their
// floors. No job can ingest faster than its floors (BENCHMARKS.md).
func cmdFloor(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	ledgerPath := fs.String("ledger", "", "the fixture ledger")
	cut := fs.Int64("cut", 0, "byte offset where the cold job's part ends (a line boundary)")
	dbDir := fs.String("db", "", "directory for the throwaway stores")
	memory := fs.String("memory", "", "DuckDB memory limit (default: the job's)")
	zone := fs.String("zone", "", "time zone of ts_local (default: the job's default, UTC)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *ledgerPath == "" || *dbDir == "" || *cut <= 0 || fs.NArg() != 0 {
		return usageError{"floor wants -ledger FILE -cut BYTES -db DIR"}
	}
	st, err := os.Stat(*ledgerPath)
	if err != nil {
		return err
	}
	if *cut > st.Size() {
		return fmt.Errorf("floor: cut %d past the end of %s (%d bytes)", *cut, *ledgerPath, st.Size())
	}
	if err := os.MkdirAll(*dbDir, 0o755); err != nil {
		return err
	}
	// The job's store options (cmd/ledgerlens: DeferCheckpoint).
	opts := store.Options{DeferCheckpoint: true, MemoryLimit: *memory, TimeZone: *zone}
	out := floorOutput{MemoryLimit: *memory, Zone: *zone, Ledger: *ledgerPath}
	if out.MemoryLimit == "" {
		out.MemoryLimit = "default"
	}

	fl, err := store.Open(ctx, filepath.Join(*dbDir, "floor.duckdb"), opts)
	if err != nil {
		return err
	}
	cold, err := fl.MeasureLoadFloor(ctx, *ledgerPath, 0, *cut, true)
	if err != nil {
		fl.Close()
		return fmt.Errorf("floor: cold part: %w", err)
	}
	warm, err := fl.MeasureLoadFloor(ctx, *ledgerPath, *cut, st.Size(), false)
	if cerr := fl.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("floor: appended part: %w", err)
	}
	out.Cold, out.Warm = newLoadFloor(cold, true), newLoadFloor(warm, false)

	// The same two ingests as the jobs do them.
	part := filepath.Join(*dbDir, "ledger.jsonl")
	if err := copyRange(*ledgerPath, part, 0, *cut, os.O_CREATE|os.O_TRUNC|os.O_WRONLY); err != nil {
		return err
	}
	ing, err := store.Open(ctx, filepath.Join(*dbDir, "ingest.duckdb"), opts)
	if err != nil {
		return err
	}
	defer ing.Close()
	for i, dst := range []*loadFloor{&out.Cold, &out.Warm} {
		if i == 1 {
			if err := copyRange(*ledgerPath, part, *cut, -1, os.O_APPEND|os.O_WRONLY); err != nil {
				return err
			}
		}
		began := time.Now()
		res, err := ing.Ingest(ctx, part)
		if err != nil {
			return fmt.Errorf("floor: %w", err)
		}
		dst.Ingest = newIngestPhases(res, time.Since(began))
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// seconds6 is d in seconds to the microsecond: floors of small ledgers
// (the tests') are well under a millisecond.
func seconds6(d time.Duration) float64 { return math.Round(d.Seconds()*1e6) / 1e6 }
