package store

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/zeebo/blake3"
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
		got, err := FileFingerprint(path)
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
		if changed, _ := FileFingerprint(path); changed == got {
			t.Errorf("%d bytes: one changed byte left the fingerprint as it was", size)
		}
	}
	if _, err := FileFingerprint(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
}
