package store

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/ledgerlens/ledgerlens/pipeline/ledger"
)

// Benchmarks of batch building: parsing a ledger's lines and building the
// Arrow batches ingest streams to DuckDB, without DuckDB. "parse" is
// ledger.Parse alone, the floor batch building is measured against;
// "parse+arrow" is what ingest's parse workers do, on one core and on all
// cores (GOMAXPROCS workers over readBlockSize blocks).

// ledgerBlocks reads a fixture ledger of runs and cuts it into blocks of
// complete lines as ingest's reader does.
func ledgerBlocks(b *testing.B, runs int) (blocks []block, size int64) {
	b.Helper()
	data, err := os.ReadFile(fixtureLedger(b, b.TempDir(), runs))
	if err != nil {
		b.Fatal(err)
	}
	data = data[:bytes.LastIndexByte(data, '\n')+1]
	var off, line int64
	for len(data) > 0 {
		n := min(readBlockSize, len(data))
		cut := bytes.LastIndexByte(data[:n], '\n') + 1
		blk := block{data: data[:cut], offset: off, line: line + 1, lines: int64(bytes.Count(data[:cut], []byte{'\n'}))}
		blocks = append(blocks, blk)
		off += int64(cut)
		line += blk.lines
		data = data[cut:]
	}
	return blocks, off
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkBatchBuild(b *testing.B) {
	blocks, size := ledgerBlocks(b, 100_000)
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	schema := rowSchema()
	parseOnly := func(blk block, _ *batchHints) {
		data := blk.data
		for len(data) > 0 {
			nl := bytes.IndexByte(data, '\n')
			_, _ = ledger.Parse(bytes.TrimSuffix(data[:nl], []byte{'\r'}))
			data = data[nl+1:]
		}
	}
	build := func(blk block, hints *batchHints) {
		p := parseBlock(blk, schema, 1, loc, hints)
		if p.rec != nil {
			p.rec.Release()
		}
	}
	// onCores runs fn over the blocks on workers goroutines.
	onCores := func(workers int, fn func(block, *batchHints)) {
		next := make(chan block)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var hints batchHints
				for blk := range next {
					fn(blk, &hints)
				}
			}()
		}
		for _, blk := range blocks {
			next <- blk
		}
		close(next)
		wg.Wait()
	}
	for _, bc := range []struct {
		name    string
		workers int
		fn      func(block, *batchHints)
	}{
		{"parse/1core", 1, parseOnly},
		{"parse+arrow/1core", 1, build},
		{"parse/allcores", runtime.GOMAXPROCS(0), parseOnly},
		{"parse+arrow/allcores", runtime.GOMAXPROCS(0), build},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			cpu0 := cpuTime(b)
			for range b.N {
				onCores(bc.workers, bc.fn)
			}
			// CPU time is steadier than wall time on a shared host, and
			// says whether a second core helps or only burns.
			b.ReportMetric(float64((cpuTime(b)-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}

// BenchmarkInsertBatches is the store-write floor's INSERT as a Go
// benchmark: the Arrow batches of a 100,000-run fixture ledger, built
// before the timer starts, inserted into a fresh store through ingest's
// own path (one registered view, INSERT … SELECT). The COMMIT, with the
// checkpoint a first load pays, is mostly fsync on this host's busy disk:
// it is reported as commit-ms/op, outside the timed part.
//
// rows=known is what ingest does (it estimates the rows, and an insert of
// fewer than a row group per thread runs on one thread); rows=unknown
// inserts on every thread.
func BenchmarkInsertBatches(b *testing.B) {
	blocks, size := ledgerBlocks(b, 100_000)
	for _, bc := range []struct {
		name  string
		known bool
	}{{"rows=known", true}, {"rows=unknown", false}} {
		b.Run(bc.name, func(b *testing.B) { benchmarkInsertBatches(b, blocks, size, bc.known) })
	}
}

func benchmarkInsertBatches(b *testing.B, blocks []block, size int64, known bool) {
	schema := rowSchema()
	ctx := b.Context()
	b.SetBytes(size)
	b.ReportAllocs()
	parent := b.TempDir()
	var commit time.Duration
	defer func() { b.ReportMetric(float64(commit.Microseconds())/1000/float64(b.N), "commit-ms/op") }()
	for i := range b.N {
		b.StopTimer()
		batches := make(chan arrow.Record, len(blocks))
		var hints batchHints
		codes := newCodeBook()
		var rows int64
		for _, blk := range blocks {
			if p := parseBlock(blk, schema, 1, time.UTC, &hints); p.rec != nil {
				if err := codes.assign(&p.dicts, p.rec.Column(0).(*array.Int64).Int64Values()); err != nil {
					b.Fatal(err)
				}
				rows += p.rec.NumRows()
				batches <- p.rec
			}
		}
		close(batches)
		if !known {
			rows = 0
		}
		s, err := Open(ctx, filepath.Join(parent, strconv.Itoa(i), "ledger.duckdb"), Options{DeferCheckpoint: true})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
			b.Fatal(err)
		}
		if err := s.setCheckpointThreshold(ctx, checkpointAtCommitThreshold); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := s.insertArrow(ctx, "ledger_rows", newBatchStream(schema, batches, func() error { return nil }), rows); err != nil {
			b.Fatal(err)
		}
		if err := s.insertCodes(ctx, codes); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		began := time.Now()
		if _, err := s.conn.ExecContext(ctx, "COMMIT"); err != nil {
			b.Fatal(err)
		}
		commit += time.Since(began)
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		os.RemoveAll(filepath.Join(parent, strconv.Itoa(i)))
		b.StartTimer()
	}
}
