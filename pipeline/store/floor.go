package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/ledgerlens/ledgerlens/pipeline/ledger"
)

// LoadFloor is what each of ingest's phases costs alone on one range of
// the ledger, for benchmarks (ledgerlens-bench's floors): the least an
// ingest of that range can cost, phase by phase, with this engine.
type LoadFloor struct {
	Bytes, Lines, Rows int64
	// Check re-hashes the already-covered prefix [0, from) into chunk
	// digests on all cores: the append-only check (0 for a first load).
	Check time.Duration
	// SHA256 is the range's SHA-256 as one stream, as the reports' ledger
	// digest needs it; ChunkDigests its BLAKE3 chunk digests on all cores.
	SHA256, ChunkDigests time.Duration
	// Parse is ledger.Parse of every line on all cores; ParseArrow the
	// same plus building the Arrow batches ingest streams to DuckDB.
	Parse, ParseArrow time.Duration
	// Insert is DuckDB inserting the batches through a registered view
	// (INSERT … SELECT, ingest's own path, in a transaction of its own);
	// Commit the COMMIT, which checkpoints when the load was asked to;
	// Checkpoint an explicit CHECKPOINT after (the deferred one, when the
	// commit did not checkpoint).
	Insert, Commit, Checkpoint time.Duration
}

// MeasureLoadFloor reads [from, to) of the ledger (cut after its last
// newline) into memory, untimed, then times each phase of loading it
// alone (see LoadFloor), inserting the rows into s's ledger_rows, which
// must hold exactly the rows of [0, from). checkpoint says whether the
// commit checkpoints, as a first load's does, or defers it, as an
// append's usually does.
func (s *Store) MeasureLoadFloor(ctx context.Context, ledgerPath string, from, to int64, checkpoint bool) (LoadFloor, error) {
	var fl LoadFloor
	data, err := readRange(ledgerPath, 0, to)
	if err != nil {
		return fl, err
	}
	prefix, data := data[:from], data[from:]
	data = data[:bytes.LastIndexByte(data, '\n')+1]
	fl.Bytes = int64(len(data))
	var line int64
	if from > 0 {
		line = int64(bytes.Count(prefix, []byte{'\n'}))
		fl.Check = timed(func() { parallelChunkDigests(prefix) })
	}
	blocks := cutBlocks(data, from, line)
	for _, b := range blocks {
		fl.Lines += b.lines
	}
	fl.SHA256 = timed(func() { sha256.Sum256(data) })
	fl.ChunkDigests = timed(func() { parallelChunkDigests(data) })
	fl.Parse = timed(func() {
		onAllCores(blocks, func(b block, _ *batchHints) parsed {
			for d := b.data; len(d) > 0; {
				nl := bytes.IndexByte(d, '\n')
				_, _ = ledger.Parse(bytes.TrimSuffix(d[:nl], []byte{'\r'}))
				d = d[nl+1:]
			}
			return parsed{}
		})
	})
	schema := rowSchema()
	var results []parsed
	fl.ParseArrow = timed(func() {
		results = onAllCores(blocks, func(b block, h *batchHints) parsed { return parseBlock(b, schema, 1, s.loc, h) })
	})
	codes, err := s.loadCodeBook(ctx)
	if err != nil {
		return fl, err
	}
	lineCol := schema.FieldIndices("line_no")[0]
	batches := make(chan arrow.Record, len(results))
	for _, p := range results {
		if p.rec != nil {
			if p.err != nil {
				return fl, p.err
			}
			// The collector's step, untimed here as it overlaps the
			// parse in an ingest.
			if err := codes.assign(&p.dicts, p.rec.Column(lineCol).(*array.Int64).Int64Values()); err != nil {
				return fl, err
			}
			fl.Rows += p.rec.NumRows()
			batches <- p.rec
		}
	}
	close(batches)

	if _, err := s.conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return fl, err
	}
	committed := false
	defer func() {
		if !committed {
			s.rollback(ctx)
		}
	}()
	began := time.Now()
	if err := s.insertArrow(ctx, "ledger_rows", newBatchStream(schema, batches, func() error { return nil }), fl.Rows); err != nil {
		return fl, err
	}
	if err := s.insertCodes(ctx, codes); err != nil {
		return fl, err
	}
	fl.Insert = time.Since(began)
	if checkpoint {
		if err := s.setCheckpointThreshold(ctx, checkpointAtCommitThreshold); err != nil {
			return fl, err
		}
	}
	began = time.Now()
	_, err = s.conn.ExecContext(ctx, "COMMIT")
	fl.Commit = time.Since(began)
	committed = err == nil
	if checkpoint {
		if rerr := s.setCheckpointThreshold(context.WithoutCancel(ctx), deferredCheckpointThreshold); rerr != nil && err == nil {
			err = rerr
		}
	}
	if err != nil {
		return fl, fmt.Errorf("commit: %w", err)
	}
	began = time.Now()
	if _, err := s.conn.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return fl, fmt.Errorf("checkpoint: %w", err)
	}
	fl.Checkpoint = time.Since(began)
	return fl, nil
}

func timed(f func()) time.Duration {
	began := time.Now()
	f()
	return time.Since(began)
}

func readRange(path string, from, to int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, to-from)
	if _, err := f.ReadAt(buf, from); err != nil {
		return nil, fmt.Errorf("read %s [%d, %d): %w", path, from, to, err)
	}
	return buf, nil
}

// cutBlocks cuts data (complete lines starting at byte offset and after
// line lines) into blocks of about readBlockSize, as ingest's reader does.
func cutBlocks(data []byte, offset, line int64) []block {
	var out []block
	for len(data) > 0 {
		n := min(readBlockSize, len(data))
		cut := bytes.LastIndexByte(data[:n], '\n') + 1
		if cut == 0 {
			cut = bytes.IndexByte(data, '\n') + 1
		}
		b := block{data: data[:cut], offset: offset, line: line + 1, lines: int64(bytes.Count(data[:cut], []byte{'\n'}))}
		out = append(out, b)
		offset += int64(cut)
		line += b.lines
		data = data[cut:]
	}
	return out
}

// onAllCores runs fn over blocks on GOMAXPROCS workers, each with its own
// hints, and returns the results in block order.
func onAllCores(blocks []block, fn func(block, *batchHints) parsed) []parsed {
	out := make([]parsed, len(blocks))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(runtime.GOMAXPROCS(0), 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var hints batchHints
			for i := range next {
				out[i] = fn(blocks[i], &hints)
			}
		}()
	}
	for i := range blocks {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// parallelChunkDigests returns the BLAKE3 digests of data's chunkSize
// chunks, computed on all cores.
func parallelChunkDigests(data []byte) []byte {
	n := (len(data) + chunkSize - 1) / chunkSize
	out := make([]byte, n*chunkDigestSize)
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(runtime.GOMAXPROCS(0), 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				sum := chunkDigest(data[i*chunkSize : min((i+1)*chunkSize, len(data))])
				copy(out[i*chunkDigestSize:], sum[:])
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}
