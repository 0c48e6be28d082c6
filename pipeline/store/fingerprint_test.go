package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"lukechampine.com/blake3"
)

// FileFingerprint, hashed on all cores, equals its definition computed
// one chunk after another, for every way a file can end against the
// chunk size; one changed byte changes it; a missing file is ErrNotExist.
func TestFileFingerprint(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 3*chunkSize + chunkSize/2} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		path := filepath.Join(dir, "f")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := FileFingerprint(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		list := binary.LittleEndian.AppendUint64(nil, uint64(size))
		for off := 0; off < size; off += chunkSize {
			sum := blake3.Sum256(data[off:min(off+chunkSize, size)])
			list = append(list, sum[:]...)
		}
		sum := blake3.Sum256(list)
		if want := "blake3:" + hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%d bytes: %s, want %s", size, got, want)
		}
		if size == 0 {
			continue
		}
		data[size-1] ^= 1
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if changed, _ := FileFingerprint(context.Background(), path); changed == got {
			t.Errorf("%d bytes: one changed byte left the fingerprint as it was", size)
		}
	}
	if _, err := FileFingerprint(context.Background(), filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
}

// BenchmarkFileFingerprint compares the store seal's fingerprint with the
// SHA-256 of the file it replaced, on a 256 MiB file (a store of about
// 600,000 runs): `-bench FileFingerprint -count 6`, then `benchstat -col
// /hash`.
func BenchmarkFileFingerprint(b *testing.B) {
	path := filepath.Join(b.TempDir(), "store")
	data := make([]byte, 256<<20)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i+8 <= len(data); i += 8 {
		binary.LittleEndian.PutUint64(data[i:], rng.Uint64())
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		hash func(string) (string, error)
	}{
		{"fingerprint", func(p string) (string, error) { return FileFingerprint(context.Background(), p) }},
		{"sha256", func(p string) (string, error) {
			f, err := os.Open(p)
			if err != nil {
				return "", err
			}
			defer f.Close()
			h := sha256.New()
			if _, err := io.Copy(h, f); err != nil {
				return "", err
			}
			return hex.EncodeToString(h.Sum(nil)), nil
		}},
	} {
		b.Run("hash="+tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := tc.hash(path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
