package reports

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkPublishedWeeks reads a year of recorded weekly reports of 8 MiB
// each (a week of a million-run ledger's spike runs), each hashed whole
// against its record: the cost every weekly job pays for reading the
// earlier reports only as recorded. -cpu 1,2 shows what the second core
// takes off.
func BenchmarkPublishedWeeks(b *testing.B) {
	dir := b.TempDir()
	recorded := map[string]string{}
	start := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	pad := bytes.Repeat([]byte(" "), 8<<20)
	for w := range 52 {
		week := start.AddDate(0, 0, 7*w).Format(time.DateOnly)
		data := fmt.Appendf(nil, `{"period_start":"%sT00:00:00Z","revision":1,"inputs":{"ledger":{"bytes_covered":%d}},"pad":"%s"}`, week, w, pad)
		name := "weekly_" + week + ".json"
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			b.Fatal(err)
		}
		recorded[filepath.Join(dir, name)] = SHA256Hex(data)
	}
	b.SetBytes(52 * int64(len(pad)))
	for b.Loop() {
		weeks, err := PublishedWeeks(recorded)
		if err != nil || len(weeks) != 52 {
			b.Fatalf("%d weeks, %v", len(weeks), err)
		}
	}
}
