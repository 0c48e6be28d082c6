package store

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

//go:embed sql/earlier_run_hashes.sql
var earlierRunHashesSQL string

// newRunHashesView is the Arrow view earlier_run_hashes.sql reads an
// append's run-id hashes from.
const newRunHashesView = "new_run_hashes"

// earlierRuns is an append's search of the earlier ingests' rows for the
// run ids its own rows repeat (the half of duplicate detection that needs
// the store; the other half, runs repeated within the append, is found in
// Go). It runs on a second connection, which sees only what is committed,
// while the append's INSERT, on the store's connection, is still writing:
// an append inserted on one DuckDB thread ends with that thread alone
// compressing and writing the append's last full row group (200–300 ms for
// a week of a million-run ledger), and the search takes the core that
// leaves idle instead of following the insert (bench/HISTORY.md).
type earlierRuns struct {
	done   chan struct{}
	cancel context.CancelFunc
	found  []int64
	err    error
}

// searchEarlierRuns starts the search for which of hashes, the run-id
// hashes of the rows ingest seq inserts, earlier ingests' rows hold. The
// hashes are copied before it returns. The caller must wait for it (or
// stop it) before it commits or rolls back, and before it closes the
// store.
func (s *Store) searchEarlierRuns(ctx context.Context, seq int32, hashes []int64) *earlierRuns {
	ctx, cancel := context.WithCancel(ctx)
	e := &earlierRuns{done: make(chan struct{}), cancel: cancel}
	own := append([]int64(nil), hashes...)
	go func() {
		defer close(e.done)
		e.found, e.err = s.earlierRunHashes(ctx, seq, own)
		if e.err != nil {
			e.err = fmt.Errorf("search the earlier ingests for the appended run ids: %w", e.err)
		}
	}()
	return e
}

// wait returns the hashes earlier ingests' rows hold, sorted and distinct.
func (e *earlierRuns) wait() ([]int64, error) {
	<-e.done
	return e.found, e.err
}

// stop ends the search if it still runs and waits for it.
func (e *earlierRuns) stop() {
	e.cancel()
	<-e.done
}

// earlierRunHashes runs earlier_run_hashes.sql for hashes on a connection
// of its own, which the store keeps open (Open) with no view left on it.
func (s *Store) earlierRunHashes(ctx context.Context, seq int32, hashes []int64) ([]int64, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("earlier run ids: %w", err)
	}
	defer conn.Close()
	schema := arrow.NewSchema([]arrow.Field{{Name: "run_hash", Type: arrow.PrimitiveTypes.Int64}}, nil)
	col := array.MakeFromData(fixedData(arrow.PrimitiveTypes.Int64, hashes, nil, 0))
	defer col.Release()
	rec := array.NewRecord(schema, []arrow.Array{col}, int64(len(hashes)))
	defer rec.Release()
	rdr, err := array.NewRecordReader(schema, []arrow.Record{rec})
	if err != nil {
		return nil, fmt.Errorf("earlier run ids: %w", err)
	}
	defer rdr.Release()
	release, err := registerArrowView(conn, rdr, newRunHashesView)
	if err != nil {
		return nil, fmt.Errorf("register the appended run ids: %w", err)
	}
	defer func() {
		// The connection outlives the stream the view reads.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "DROP VIEW IF EXISTS "+newRunHashesView)
		release()
	}()
	rows, err := conn.QueryContext(ctx, earlierRunHashesSQL, seq)
	if err != nil {
		return nil, fmt.Errorf("earlier_run_hashes.sql: %w", err)
	}
	defer rows.Close()
	var found []int64
	for rows.Next() {
		var h int64
		if err := ScanNamed(rows, "earlier_run_hashes", map[string]any{"run_hash": &h}); err != nil {
			return nil, err
		}
		found = append(found, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("earlier_run_hashes.sql: %w", err)
	}
	return found, nil
}

// registerArrowView registers rdr as the view name on conn, a connection
// of its own (the store's has s.arrow), through the driver's Arrow
// interface. release frees the stream's C structure once the statements
// reading the view have run; rdr itself is not released.
func registerArrowView(conn *sql.Conn, rdr array.RecordReader, name string) (release func(), err error) {
	a, err := arrowOf(conn)
	if err != nil {
		return nil, err
	}
	return a.RegisterView(rdr, name)
}
