package store

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/fixtures"
)

// Benchmarks of the ingest hot path, for benchstat across changes (the
// whole-job numbers are `make bench`'s; see BENCHMARKS.md). They load the
// generated fixture ledger: both field spellings, malformed lines,
// duplicates and a partial last line, as in production.

// fixtureLedger generates a deterministic fixture of runs (6 weeks) under
// dir and returns its ledger path.
func fixtureLedger(b testing.TB, dir string, runs int) string {
	b.Helper()
	if _, err := fixtures.Generate(context.Background(), fixtures.Options{Runs: runs, Weeks: 6, Seed: 1, Out: dir}); err != nil {
		b.Fatal(err)
	}
	return filepath.Join(dir, "runs", "CREDIT_MONITORING", "ledger.jsonl")
}

// fixtureBytes is fixtureLedger, returning the ledger's bytes too.
func fixtureBytes(tb testing.TB, dir string, runs int) (string, []byte) {
	tb.Helper()
	path := fixtureLedger(tb, dir, runs)
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return path, data
}

// ingestedStore opens the store at dbPath with opts, ingests ledger into it
// and closes it: a store as a finished job leaves it.
func ingestedStore(tb testing.TB, dbPath, ledger string, opts Options) {
	tb.Helper()
	ctx := context.Background()
	s, err := Open(ctx, dbPath, opts)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := s.Ingest(ctx, ledger); err != nil {
		tb.Fatal(err)
	}
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
}

func fileSize(b testing.TB, path string) int64 {
	b.Helper()
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return st.Size()
}

// BenchmarkIngest20k loads a 20,000-run ledger (about 9 MB) into a fresh
// store: "ingest" times Store.Ingest alone (parse, Arrow batches, INSERT,
// duplicate detection, commit); "ingest+close" adds the checkpoint that
// closing the store writes, which every job pays too.
func BenchmarkIngest20k(b *testing.B) {
	ledger := fixtureLedger(b, b.TempDir(), 20_000)
	size := fileSize(b, ledger)
	ctx := context.Background()
	for _, withClose := range []bool{false, true} {
		name := "ingest"
		if withClose {
			name = "ingest+close"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			var nLines int64
			var phases ingestPhases
			parent := b.TempDir()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dir, err := os.MkdirTemp(parent, "store-")
				if err != nil {
					b.Fatal(err)
				}
				s, err := Open(ctx, filepath.Join(dir, "ledger.duckdb"), Options{})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				res, err := s.Ingest(ctx, ledger)
				if err != nil {
					b.Fatal(err)
				}
				if withClose {
					err = s.Close()
				}
				b.StopTimer()
				if !withClose {
					err = s.Close()
				}
				if err != nil {
					b.Fatal(err)
				}
				nLines = res.Lines
				phases.add(res)
				os.RemoveAll(dir)
				b.StartTimer()
			}
			b.ReportMetric(float64(nLines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
			phases.report(b)
		})
	}
}

// BenchmarkIngestAppend20kOnto180k is the warm job's ingest: a store that
// already holds about 180,000 runs gets the last ~10 % of a 200,000-run
// ledger appended. docs/ARCHITECTURE.md, "Performance" wants this to cost in proportion to the
// appended bytes, apart from the append-only check (hashing the prefix
// once); compare with BenchmarkIngest20k/ingest to see the overhead of a
// large store.
func BenchmarkIngestAppend20kOnto180k(b *testing.B) {
	if testing.Short() {
		b.Skip("loads 180,000 runs in setup; skipped with -short")
	}
	ctx := context.Background()
	full := fixtureLedger(b, b.TempDir(), 200_000)
	size := fileSize(b, full)

	// The store's starting point: the ledger up to a line boundary about
	// 90 % in, ingested once and closed.
	work := b.TempDir()
	ledger := filepath.Join(work, "ledger.jsonl")
	cut := lineBoundary(b, full, size*9/10)
	copyPrefix(b, full, ledger, cut)
	base := filepath.Join(work, "base")
	if err := os.Mkdir(base, 0o755); err != nil {
		b.Fatal(err)
	}
	ingestedStore(b, filepath.Join(base, "ledger.duckdb"), ledger, Options{})
	copyPrefix(b, full, ledger, size) // now the whole ledger: the append

	// "read-back" digests the rows already stored in the chunk the append
	// extends; "trusted" resumes the fold the first ingest saved, as a job
	// does when its store seal vouches for the chunk (Store.TrustedChunk).
	for _, mode := range []struct {
		name    string
		trusted func(int64) bool
	}{{"tail=read-back", nil}, {"tail=trusted", func(int64) bool { return true }}} {
		b.Run(mode.name, func(b *testing.B) {
			b.SetBytes(size - cut)
			b.ReportAllocs()
			var nLines int64
			var phases ingestPhases
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dir, err := os.MkdirTemp(work, "store-")
				if err != nil {
					b.Fatal(err)
				}
				copyDir(b, base, dir)
				s, err := Open(ctx, filepath.Join(dir, "ledger.duckdb"), Options{})
				if err != nil {
					b.Fatal(err)
				}
				s.TrustedChunk = mode.trusted
				b.StartTimer()
				res, err := s.Ingest(ctx, ledger)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if res.OffsetFrom != cut {
					b.Fatalf("append ingest started at byte %d, want %d (a full reload?)", res.OffsetFrom, cut)
				}
				nLines = res.Lines
				phases.add(res)
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
				os.RemoveAll(dir)
				b.StartTimer()
			}
			b.ReportMetric(float64(nLines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
			phases.report(b)
		})
	}
}

// ingestPhases sums IngestResult's phase timings over a benchmark's
// iterations, reported per op so that benchstat shows which phase moved.
type ingestPhases struct {
	n                               int
	check, load, duplicates, commit time.Duration
}

func (p *ingestPhases) add(res IngestResult) {
	p.n++
	p.check += res.CheckTime
	p.load += res.LoadTime
	p.duplicates += res.DuplicatesTime
	p.commit += res.CommitTime
}

func (p *ingestPhases) report(b *testing.B) {
	if p.n == 0 {
		return
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(p.n) }
	b.ReportMetric(per(p.check), "check-ms/op")
	b.ReportMetric(per(p.load), "load-ms/op")
	b.ReportMetric(per(p.duplicates), "dups-ms/op")
	b.ReportMetric(per(p.commit), "commit-ms/op")
}

// lineBoundary returns the offset just after the first newline at or
// after off.
func lineBoundary(b testing.TB, path string, off int64) int64 {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := f.ReadAt(buf, off)
		for i := range n {
			if buf[i] == '\n' {
				return off + int64(i) + 1
			}
		}
		if err != nil {
			b.Fatalf("no line boundary after byte %d of %s: %v", off, path, err)
		}
		off += int64(n)
	}
}

// copyPrefix makes dst the first n bytes of src.
func copyPrefix(b testing.TB, src, dst string, n int64) {
	b.Helper()
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.CopyN(out, in, n); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

// copyDir copies the regular files of src (the closed store: the database
// and any WAL) into dst.
func copyDir(b *testing.B, src, dst string) {
	b.Helper()
	entries, err := os.ReadDir(src)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(src, e.Name())
		st, err := os.Stat(p)
		if err != nil {
			b.Fatal(err)
		}
		copyPrefix(b, p, filepath.Join(dst, e.Name()), st.Size())
	}
}

// BenchmarkOpen opens and closes a store holding 200,000 runs, as every
// job and every query does before its first statement: the engine opening
// the file, the settings, the schema version check and the views.
func BenchmarkOpen(b *testing.B) {
	if testing.Short() {
		b.Skip("generates and ingests 200,000 runs; skipped with -short")
	}
	dir := b.TempDir()
	ledger := fixtureLedger(b, dir, 200_000)
	path := filepath.Join(dir, "store.duckdb")
	ctx := context.Background()
	ingestedStore(b, path, ledger, Options{DeferCheckpoint: true})
	// Each round opens a fresh copy: a writable open replaces the views,
	// which the write-ahead log keeps until the next checkpoint, so
	// reopening one file would time a growing log.
	pristine, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	for _, opts := range []struct {
		name string
		opts Options
	}{{"writable", Options{DeferCheckpoint: true}}, {"read-only", Options{ReadOnly: true}}} {
		b.Run(opts.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				os.Remove(path + ".wal")
				if err := os.WriteFile(path, pristine, 0o644); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				s, err := Open(ctx, path, opts.opts)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
