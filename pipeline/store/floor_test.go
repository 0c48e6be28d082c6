package store

import (
	"context"
	"path/filepath"
	"testing"
)

// TestMeasureLoadFloorStoresTheJobsRows checks that the floor measures
// ingest's own work: loading a ledger in two parts (a first load that
// checkpoints, then an append that defers it) leaves ledger_rows holding
// the same rows, column for column, as two real ingests of those parts,
// and every phase took some time.
func TestMeasureLoadFloorStoresTheJobsRows(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	full := fixtureLedger(t, filepath.Join(dir, "fixture"), 3_000)
	size := fileSize(t, full)
	cut := lineBoundary(t, full, size/2)

	real := openStore(t, filepath.Join(dir, "real"))
	part := filepath.Join(dir, "part.jsonl")
	copyPrefix(t, full, part, cut)
	first := ingest(t, real, part)
	copyPrefix(t, full, part, size)
	second := ingest(t, real, part)

	floor, err := Open(ctx, filepath.Join(dir, "floor", "ledger.duckdb"), Options{DeferCheckpoint: true})
	if err != nil {
		t.Fatal(err)
	}
	defer floor.Close()
	cold, err := floor.MeasureLoadFloor(ctx, full, 0, cut, true)
	if err != nil {
		t.Fatal(err)
	}
	warm, err := floor.MeasureLoadFloor(ctx, full, cut, size, false)
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name  string
		fl    LoadFloor
		ing   IngestResult
		bytes int64
	}{{"cold", cold, first, cut}, {"warm", warm, second, second.OffsetTo - cut}} {
		if c.fl.Lines != c.ing.Lines || c.fl.Rows != c.ing.Loaded+c.ing.Duplicates || c.fl.Bytes != c.bytes {
			t.Errorf("%s floor: %d lines, %d rows, %d bytes; ingest: %d lines, %d rows, %d bytes",
				c.name, c.fl.Lines, c.fl.Rows, c.fl.Bytes, c.ing.Lines, c.ing.Loaded+c.ing.Duplicates, c.bytes)
		}
		for phase, d := range map[string]int64{"sha256": int64(c.fl.SHA256), "chunk digests": int64(c.fl.ChunkDigests),
			"parse": int64(c.fl.Parse), "parse+arrow": int64(c.fl.ParseArrow), "insert": int64(c.fl.Insert), "commit": int64(c.fl.Commit)} {
			if d <= 0 {
				t.Errorf("%s floor: %s took no time", c.name, phase)
			}
		}
	}
	if cold.Check != 0 || warm.Check <= 0 {
		t.Errorf("append-only check: cold %v (want 0), warm %v (want > 0)", cold.Check, warm.Check)
	}
	// ingest_seq differs (the floor loads with 1); every other column of
	// every row must be what the real ingests stored.
	const digest = `SELECT count(*), md5(string_agg(t::VARCHAR, chr(10) ORDER BY line_no))
		FROM (SELECT * EXCLUDE (ingest_seq) FROM ledger_rows) t`
	var nReal, nFloor int64
	var dReal, dFloor string
	if err := real.conn.QueryRowContext(ctx, digest).Scan(&nReal, &dReal); err != nil {
		t.Fatal(err)
	}
	if err := floor.conn.QueryRowContext(ctx, digest).Scan(&nFloor, &dFloor); err != nil {
		t.Fatal(err)
	}
	if nReal == 0 || nReal != nFloor || dReal != dFloor {
		t.Errorf("floor stored %d rows (digest %s), ingest %d (digest %s)", nFloor, dFloor, nReal, dReal)
	}
}
