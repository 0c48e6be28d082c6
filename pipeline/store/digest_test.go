package store

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"testing"

	"lukechampine.com/blake3"
)

// chunkDigest is BLAKE3-256 for every length a chunk can have: it equals
// the library's Sum256, and for a whole chunk of the test-vector input
// (byte i is i mod 251) the digest a second, independent BLAKE3
// implementation gave, so that the digests stores already hold stay valid.
func TestChunkDigest(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	random := make([]byte, chunkSize)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	for _, n := range []int{0, 1, 64, 1023, 1024, 1025, 16383, 16384, 16385, chunkSize / 2, chunkSize - 1, chunkSize} {
		got, want := chunkDigest(random[:n]), blake3.Sum256(random[:n])
		if got != want {
			t.Errorf("%d random bytes: %x, want %x", n, got, want)
		}
	}
	pattern := make([]byte, chunkSize)
	for i := range pattern {
		pattern[i] = byte(i % 251)
	}
	for _, tc := range []struct {
		n    int
		want string
	}{
		// The last of BLAKE3's published test vectors.
		{102400, "bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085"},
		{chunkSize, "74cb441fd087764ca9c3694da742ebe30cbeb3060a17009ca81825c7a8d10343"},
	} {
		if got := chunkDigest(pattern[:tc.n]); hex.EncodeToString(got[:]) != tc.want {
			t.Errorf("%d pattern bytes: %x, want %s", tc.n, got, tc.want)
		}
	}
}

// A chunkHasher gives each chunk's digest however the stream is cut into
// writes: across chunk boundaries, in pieces smaller and larger than a
// chunk, and with the last chunk short.
func TestChunkHasherWrites(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	data := make([]byte, 3*chunkSize+12345)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	var want []byte
	for off := 0; off < len(data); off += chunkSize {
		sum := blake3.Sum256(data[off:min(off+chunkSize, len(data))])
		want = append(want, sum[:]...)
	}
	for _, piece := range []int{1 << 30, chunkSize, chunkSize - 1, chunkSize + 1, 3 * chunkSize / 2, 4096, 777} {
		h := newChunkHasher(nil)
		for p := data; len(p) > 0; {
			n := min(piece, len(p))
			h.Write(p[:n])
			p = p[n:]
		}
		if got := h.result(); !bytes.Equal(got, want) {
			t.Errorf("writes of %d bytes: digests differ", piece)
		}
	}
}

// BenchmarkChunkDigest hashes whole chunks on every core, as the
// append-only check and the store seal do.
func BenchmarkChunkDigest(b *testing.B) {
	b.SetBytes(chunkSize)
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, chunkSize)
		for i := range buf {
			buf[i] = byte(i % 251)
		}
		for pb.Next() {
			chunkDigest(buf)
		}
	})
}
