package ledger

import (
	"bytes"
	"testing"
)

// benchParse parses every line of the small fixture ledger per iteration,
// so MB/s is over realistic lines (both spellings, optional-field mixes and
// the fixture's malformed lines).
func benchParse(b *testing.B, parse func([]byte) (Record, error)) {
	lines := fixtureLines(b)
	var n int64
	for _, l := range lines {
		n += int64(len(l)) + 1 // count the newline, as in the ledger file
	}
	b.SetBytes(n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, l := range lines {
			_, _ = parse(l)
		}
	}
}

func BenchmarkParse(b *testing.B) { benchParse(b, Parse) }

// BenchmarkParseSlow is the encoding/json decoder alone, the baseline the
// fast decoder replaces.
func BenchmarkParseSlow(b *testing.B) {
	benchParse(b, func(line []byte) (Record, error) {
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) == 0 || trimmed[0] != '{' {
			return Parse(line)
		}
		return parseSlow(trimmed)
	})
}
