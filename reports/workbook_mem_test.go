package reports

import (
	"context"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

var spikes200k = sampleSize{scenarios: 400, spikes: 200_000, violations: 5_000, candidates: 50, services: 5, incidents: 40, rejects: 20}

// Bounds on memory while a workbook with 200,000 spike runs is written. The
// stream writer keeps sheet XML on disk past 16 MiB and the compressed parts
// wait in a temporary file, so what stays live is excelize's 16 MiB stream
// chunk and per-row buffers; the rest is garbage the collector paces against
// the live heap (which includes the report itself).
const (
	maxWorkbookHeapGrowth = 200 << 20 // peak HeapInuse over the report alone
	maxWorkbookLiveGrowth = 64 << 20  // live heap, sampled after forced GCs
)

// TestWorkbookMemory200kSpikes renders 200,000 spike runs while a sampler
// reads the heap every 25 ms (peak HeapInuse as the program would see it)
// and, every 10th tick, forces a collection to read what is really live:
// the heap the collection marked (/gc/heap/live), not HeapAlloc, which also
// counts what the rendering goroutines allocate while the collection runs.
func TestWorkbookMemory200kSpikes(t *testing.T) {
	if testing.Short() {
		t.Skip("renders 200,000 spike runs; skipped with -short")
	}
	if raceEnabled {
		t.Skip("the race detector's own allocations (about 14 times the workbook's) make the heap bounds meaningless")
	}
	// Temporary files (excelize's stream chunks, the compressed parts) go to
	// a directory of the test's own, which must be empty afterwards.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	w := sampleWeekly(spikes200k)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	liveBefore := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(liveBefore)

	var (
		peakInuse, peakLive uint64
		done                = make(chan struct{})
		wg                  sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		var m runtime.MemStats
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for n := 1; ; n++ {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			if n%10 == 0 {
				runtime.GC()
				metrics.Read(live)
				peakLive = max(peakLive, live[0].Value.Uint64())
				runtime.ReadMemStats(&m)
			} else {
				runtime.ReadMemStats(&m)
			}
			peakInuse = max(peakInuse, m.HeapInuse)
		}
	}()
	start := time.Now()
	var out countingWriter
	err := RenderWorkbook(context.Background(), w, WorkbookOptions{Signed: true}, &out)
	elapsed := time.Since(start)
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(w)

	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}

	inuse := int64(peakInuse) - int64(before.HeapInuse)
	live := int64(peakLive) - int64(liveBefore[0].Value.Uint64())
	t.Logf("200,000 spike runs: %.1f MiB workbook in %v", mebibytes(out.n), elapsed.Round(time.Millisecond))
	t.Logf("heap: report %.1f MiB live before; peak in use +%.1f MiB; peak live +%.1f MiB; allocated %.1f MiB in %d objects",
		mebibytes(int64(before.HeapAlloc)), mebibytes(inuse), mebibytes(live),
		mebibytes(int64(after.TotalAlloc-before.TotalAlloc)), after.Mallocs-before.Mallocs)
	if inuse > maxWorkbookHeapGrowth {
		t.Errorf("heap in use grew by %.1f MiB, want under %d MiB", mebibytes(inuse), maxWorkbookHeapGrowth>>20)
	}
	if live > maxWorkbookLiveGrowth {
		t.Errorf("live heap grew by %.1f MiB, want under %d MiB", mebibytes(live), maxWorkbookLiveGrowth>>20)
	}
}

// BenchmarkWorkbook200kSpikes writes a workbook with 200,000 spike runs to
// io.Discard; run it with -benchmem.
func BenchmarkWorkbook200kSpikes(b *testing.B) {
	w := sampleWeekly(spikes200k)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := RenderWorkbook(ctx, w, WorkbookOptions{Signed: true}, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

func mebibytes(n int64) float64 { return float64(n) / (1 << 20) }
