package reports

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// deflateParts compresses parts with a parallelDeflate of workers and
// returns each part's compressed bytes.
func deflateParts(t *testing.T, parts [][]byte, workers int) [][]byte {
	t.Helper()
	var out bytes.Buffer
	d := newParallelDeflate(&out, workers)
	var got [][]byte
	for _, p := range parts {
		start := out.Len()
		// Handed over in odd-sized pieces, as io.Copy and excelize do.
		for rest := p; len(rest) > 0; {
			k := min(len(rest), 32<<10+7)
			if _, err := d.Write(rest[:k]); err != nil {
				t.Fatal(err)
			}
			rest = rest[k:]
		}
		if err := d.EndPart(); err != nil {
			t.Fatal(err)
		}
		got = append(got, bytes.Clone(out.Bytes()[start:]))
	}
	d.wait()
	return got
}

// TestParallelDeflate: every part inflates to its bytes on its own, and
// the compressed bytes do not depend on the number of workers (the
// workbook's bytes must not depend on the machine).
func TestParallelDeflate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	xml := func(n int) []byte {
		var b bytes.Buffer
		for i := 0; b.Len() < n; i++ {
			fmt.Fprintf(&b, `<row r="%d"><c t="inlineStr"><is><t>RUN-%09d</t></is></c><c><v>%.2f</v></c></row>`, i, rng.IntN(1e9), rng.Float64()*1e4)
		}
		return b.Bytes()[:n]
	}
	seg := deflateSegmentSize
	var parts [][]byte
	for _, n := range []int{0, 1, seg - 1, seg, seg + 1, 5*seg + seg/2, 100} {
		parts = append(parts, xml(n))
	}
	one := deflateParts(t, parts, 1)
	for _, workers := range []int{2, 5} {
		if many := deflateParts(t, parts, workers); !equalParts(one, many) {
			t.Errorf("%d workers compress differently from one", workers)
		}
	}
	for i, c := range one {
		got, err := io.ReadAll(flate.NewReader(bytes.NewReader(c)))
		if err != nil {
			t.Fatalf("part %d (%d bytes): %v", i, len(parts[i]), err)
		}
		if !bytes.Equal(got, parts[i]) {
			t.Errorf("part %d (%d bytes) inflates to %d different bytes", i, len(parts[i]), len(got))
		}
	}
}

func equalParts(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// TestParallelDeflateWriteError: a failing destination fails the part,
// and every later write, instead of losing bytes silently.
func TestParallelDeflateWriteError(t *testing.T) {
	boom := errors.New("disk full")
	d := newParallelDeflate(failingWriter{boom}, 2)
	data := bytes.Repeat([]byte("<row/>"), 3*deflateSegmentSize/6)
	_, werr := d.Write(data)
	eerr := d.EndPart()
	if !errors.Is(werr, boom) && !errors.Is(eerr, boom) {
		t.Fatalf("Write = %v, EndPart = %v; want %v", werr, eerr, boom)
	}
	if _, err := d.Write([]byte("more")); !errors.Is(err, boom) {
		t.Errorf("a write after the failure = %v, want %v", err, boom)
	}
	d.wait()
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }
