package store

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// randomFile writes n pseudo-random bytes (seeded) to a file in dir and
// returns it open, with its bytes.
func randomFile(t *testing.T, dir, name string, n int, seed uint64) (*os.File, []byte) {
	t.Helper()
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, b
}

// wantDigests is the chunk digests of b, chunk by chunk.
func wantDigests(b []byte) []byte {
	var out []byte
	for start := 0; start < len(b); start += chunkSize {
		sum := chunkDigest(b[start:min(start+chunkSize, len(b))])
		out = append(out, sum[:]...)
	}
	return out
}

func TestChunkDigesterGrows(t *testing.T) {
	dir := t.TempDir()
	size := 5*chunkSize + chunkSize/3
	f, b := randomFile(t, dir, "f", size, 7)
	tests := []struct {
		name          string
		start, growTo int // start 0: startBackgroundDigester
	}{
		{"one worker throughout", 1, 1},
		{"one, then four", 1, 4},
		{"more workers than chunks", 3, 64},
		{"in the background throughout", 0, 1},
		{"in the background, then two more", 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d *chunkDigester
			if tt.start == 0 {
				d = startBackgroundDigester(context.Background(), f, int64(size))
			} else {
				d = startChunkDigester(context.Background(), f, int64(size), tt.start)
			}
			d.grow(tt.growTo)
			got, err := d.wait()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, wantDigests(b)) {
				t.Fatal("digests differ from the chunks' own")
			}
			if d.workers > d.n {
				t.Fatalf("%d workers for %d chunks", d.workers, d.n)
			}
		})
	}
}

func TestChunkDigesterStops(t *testing.T) {
	dir := t.TempDir()
	f, _ := randomFile(t, dir, "f", 3*chunkSize, 8)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d := startChunkDigester(ctx, f, 3*chunkSize, 2)
	if _, err := d.wait(); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled digester returned %v, want context.Canceled", err)
	}
	// A file shorter than asked is a read error, not digests of less.
	d = startChunkDigester(context.Background(), f, 4*chunkSize, 2)
	if _, err := d.wait(); err == nil {
		t.Fatal("digested past the end of the file without an error")
	}
}

// TestCheckFinishesThePrehash holds the append-only check to the digests
// a prehash computed: given a digester of another file of the same
// length (for the test only; a job's is of the ledger it ingests), the
// check reports what that file's digests say, so it did not hash again;
// given one of another length, it hashes the ledger itself.
func TestCheckFinishesThePrehash(t *testing.T) {
	dir := t.TempDir()
	size := 3*chunkSize + 100
	ledger, b := randomFile(t, dir, "ledger", size, 9)
	other, _ := randomFile(t, dir, "other", size, 10)
	short, _ := randomFile(t, dir, "short", size/2, 11)
	want := wantDigests(b)
	tests := []struct {
		name       string
		pre        func() *chunkDigester
		wantIntact bool
	}{
		{"no prehash", func() *chunkDigester { return nil }, true},
		{"the ledger's", func() *chunkDigester { return startBackgroundDigester(context.Background(), ledger, int64(size)) }, true},
		{"another file's, used", func() *chunkDigester { return startBackgroundDigester(context.Background(), other, int64(size)) }, false},
		{"another length's, discarded", func() *chunkDigester {
			return startBackgroundDigester(context.Background(), other, int64(size-1))
		}, true},
		// A read that failed before the check began (the file briefly
		// shorter): its error decided the check, exit 1 over an intact
		// ledger (an outside review). The check reads again.
		{"one that failed a read, discarded", func() *chunkDigester {
			return startBackgroundDigester(context.Background(), short, int64(size))
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := checkPrefix(context.Background(), ledger, int64(size), int64(size), want, tt.pre())
			if err != nil {
				t.Fatal(err)
			}
			if c.intact != tt.wantIntact {
				t.Fatalf("intact = %v, want %v (%+v)", c.intact, tt.wantIntact, c)
			}
		})
	}
}
