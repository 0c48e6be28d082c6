package reports

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Benchmarks of rendering and signing, for benchstat across changes (the
// whole-job numbers are `make bench`'s; see BENCHMARKS.md).

// focusWeek1M is the size of the focus-week report of the 1,000,000-run
// fixture that `make bench` measures: 320 scenarios, ~12,800 spike runs,
// 10 violations; its JSON is about 8 MB and its workbook about 1.7 MB.
func focusWeek1M() sampleSize {
	return sampleSize{scenarios: 320, spikes: 12_800, violations: 10, candidates: 3, services: 2, incidents: 5, rejects: 8}
}

// BenchmarkMarshalWeekly renders the deterministic report JSON.
func BenchmarkMarshalWeekly(b *testing.B) {
	w := sampleWeekly(focusWeek1M())
	out, err := MarshalWeekly(w)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MarshalWeekly(w); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderWorkbook renders the analyst workbook of the same report
// (all eleven sheets, charts, styles) to io.Discard.
func BenchmarkRenderWorkbook(b *testing.B) {
	w := sampleWeekly(focusWeek1M())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := RenderWorkbook(ctx, w, WorkbookOptions{Signed: true}, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderWorkbookLedgerLinks renders the same workbook as
// BenchmarkRenderWorkbook with the job's link resolver (RelativeLinks) and
// every spike run linking, as the fixtures' runs do, to a run file under
// the working root that does not exist: each link costs a stat.
func BenchmarkRenderWorkbookLedgerLinks(b *testing.B) {
	w := sampleWeekly(focusWeek1M())
	for i := range w.SpikeRuns {
		link := "runs/CREDIT_MONITORING/2026-11-16/run_" + w.SpikeRuns[i].RunID + ".json"
		w.SpikeRuns[i].ArtifactsLink = &link
	}
	root := b.TempDir()
	opts := WorkbookOptions{Signed: true, Links: RelativeLinks(root, filepath.Join(root, "runs", "CREDIT_REVIEWS"))}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := RenderWorkbook(ctx, w, opts, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSign5MB signs 5 MiB of report JSON with Ed25519 (which hashes
// the whole message with SHA-512, twice): the first 5 MiB of the focus-week
// report, since the cost depends on the length only.
func BenchmarkSign5MB(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	s, err := NewSigner(priv)
	if err != nil {
		b.Fatal(err)
	}
	report, err := MarshalWeekly(sampleWeekly(focusWeek1M()))
	if err != nil {
		b.Fatal(err)
	}
	const size = 5 << 20
	if len(report) < size {
		b.Fatalf("sample report is %d bytes, want at least %d", len(report), size)
	}
	report = report[:size]
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if sig := s.Sign(report); len(sig) != ed25519.SignatureSize {
			b.Fatalf("signature of %d bytes", len(sig))
		}
	}
}

// BenchmarkPublish publishes a signed report pair the size of the
// ten-million-run fixture's focus week (79 MB of JSON, 15 MB of
// workbook): signatures, sidecars and write-once files, fsync'd, each
// round into a fresh directory. The bytes are arbitrary: hashing and
// signing cost by the length only.
func BenchmarkPublish(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	s, err := NewSigner(priv)
	if err != nil {
		b.Fatal(err)
	}
	files := []Artifact{
		{Ext: ".json", Data: bytes.Repeat([]byte(`{"run_id":"RUN-000000001","credits_total":431.52},`), 79_000_000/50)},
		{Ext: ".xlsx", Data: bytes.Repeat([]byte("PK\x03\x04 workbook bytes "), 15_000_000/20)},
	}
	b.SetBytes(int64(len(files[0].Data) + len(files[1].Data)))
	ctx := context.Background()
	parent := b.TempDir()
	for i := 0; b.Loop(); i++ {
		p := &Publisher{Dir: filepath.Join(parent, strconv.Itoa(i)), Signer: s}
		if err := os.MkdirAll(p.Dir, 0o755); err != nil {
			b.Fatal(err)
		}
		if _, err := p.Publish(ctx, "weekly_2026-02-23", 1, files); err != nil {
			b.Fatal(err)
		}
		if err := os.RemoveAll(p.Dir); err != nil {
			b.Fatal(err)
		}
	}
}
