package blake3

import (
	"encoding/hex"
	"testing"

	ref "lukechampine.com/blake3"
)

// TestSum256AgreesWithTheGoLibrary holds the C implementation to an
// independent one for every length around the boundaries where BLAKE3's
// work changes shape: its 64-byte blocks, its 1 KiB chunks, the subtrees
// its SIMD code hashes together, and the 1 MiB chunks the append-only
// check hashes.
func TestSum256AgreesWithTheGoLibrary(t *testing.T) {
	data := make([]byte, 1<<20+3<<10)
	for i := range data {
		data[i] = byte(i % 251)
	}
	lengths := []int{0, 1, 63, 64, 65, 1023, 1024, 1025, 2047, 2048, 2049, 4096, 8191, 8192, 16383, 16384, 16385, 31 << 10, 65536, 100000, 1<<20 - 1, 1 << 20, 1<<20 + 1, 1<<20 + 3<<10}
	for n := range 3 * 1024 {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		got, want := Sum256(data[:n]), ref.Sum256(data[:n])
		if got != want {
			t.Fatalf("length %d: got %x, the Go library %x", n, got, want)
		}
	}
}

// TestSum256KnownAnswer checks one digest from the BLAKE3 team's test
// vectors (test_vectors.json: input bytes i mod 251, default hash mode,
// length 1024), so that both implementations agreeing on a wrong answer
// would still fail.
func TestSum256KnownAnswer(t *testing.T) {
	data := make([]byte, 1024)
	for i := range data {
		data[i] = byte(i % 251)
	}
	const want = "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7"
	if got := Sum256(data); hex.EncodeToString(got[:]) != want {
		t.Fatalf("got %x, want %s", got, want)
	}
}

// BenchmarkSum256 hashes 1 MiB inputs on every core, as the append-only
// check does.
func BenchmarkSum256(b *testing.B) {
	b.SetBytes(1 << 20)
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 1<<20)
		for i := range buf {
			buf[i] = byte(i % 251)
		}
		for pb.Next() {
			Sum256(buf)
		}
	})
}
