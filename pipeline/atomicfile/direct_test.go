package atomicfile

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
)

// TestLargeWrites writes large buffers, aligned and not, in one write or
// several, and checks the file holds exactly the bytes: the direct path
// (an aligned head) and the page-cache path (a tail, an unaligned buffer
// or offset) must join without a seam.
func TestLargeWrites(t *testing.T) {
	const mib = 1 << 20
	block := make([]byte, 8*mib) // a large allocation: page-aligned
	for i := range block {
		block[i] = byte(i*7 + i>>13)
	}
	tests := []struct {
		name   string
		writes [][]byte
	}{
		{"small", [][]byte{block[:100]}},
		{"exactly directMin", [][]byte{block[:directMin]}},
		{"aligned head and a tail", [][]byte{block[:3*mib+123]}},
		{"unaligned buffer", [][]byte{block[1 : 2*mib+1]}},
		{"direct, then at an unaligned offset", [][]byte{block[:mib+5], block[:2*mib]}},
		{"direct twice", [][]byte{block[:2*mib], block[2*mib : 5*mib+77]}},
		{"small, then large at an unaligned offset", [][]byte{block[:10], block[:2*mib]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "report.json")
			f, err := Create(path, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Abort()
			var want []byte
			for _, w := range tt.writes {
				n, err := f.Write(w)
				if err != nil || n != len(w) {
					t.Fatalf("Write(%d bytes) = %d, %v", len(w), n, err)
				}
				want = append(want, w...)
			}
			if err := f.Sync(); err != nil {
				t.Fatal(err)
			}
			if err := f.Commit(); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("file has %d bytes (sha256 %x), want %d (%x)", len(got), sha256.Sum256(got), len(want), sha256.Sum256(want))
			}
		})
	}
}
