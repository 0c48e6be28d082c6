package ledger

import (
	"strings"
	"testing"
	"time"
)

var timestampCases = []string{
	"2026-11-16T00:00:00Z",
	"2026-11-16T23:59:59Z",
	"2026-01-05T00:04:25Z",
	"2026-01-06T21:48:34+05:30",
	"2026-01-05T00:24:08-08:00",
	"2026-11-16T00:00:00-00:00",
	"2026-11-16T00:00:00+23:59",
	"2026-11-16T00:00:00+24:00",
	"2026-11-16T00:00:00+05:60",
	"2026-11-16T00:00:00+0530",
	"2026-11-16T00:00:00.5Z",
	"2026-11-16T00:00:00.123456789Z",
	"2026-11-16T00:00:00.1234567891234Z",
	"2026-11-16T00:00:00.000000001+01:00",
	"2026-11-16T00:00:00.Z",
	"2026-11-16T00:00:00,5Z",
	"2026-11-16T00:00:00Z ",
	"2026-11-16T00:00:00z",
	"2026-11-16t00:00:00Z",
	"2026-11-16 00:00:00Z",
	"2026-11-16T00:00:00",
	"2026-11-16T24:00:00Z",
	"2026-11-16T23:60:00Z",
	"2026-11-16T23:59:60Z",
	"2026-02-29T00:00:00Z",
	"2024-02-29T00:00:00Z",
	"2000-02-29T00:00:00Z",
	"1900-02-29T00:00:00Z",
	"2026-04-31T00:00:00Z",
	"2026-12-31T23:59:59.999999999-23:59",
	"2026-00-10T00:00:00Z",
	"2026-13-10T00:00:00Z",
	"2026-11-00T00:00:00Z",
	"0000-01-01T00:00:00Z",
	"0001-01-01T00:00:00Z",
	"0001-03-01T00:00:00+01:00",
	"1969-12-31T23:59:59Z",
	"1970-01-01T00:00:00Z",
	"1600-02-29T12:00:00Z",
	"9999-12-31T23:59:59.999999999Z",
	"+2026-11-16T00:00:00Z",
	"2026-1-16T00:00:00Z",
	"2026-11-16T00:00:00+5:30",
	"2026-11-16T00:00:00+05:3a",
	"2026-11-16T0a:00:00Z",
	"yesterday",
	"",
}

// TestParseTimestampMatchesTimeParse checks the direct RFC 3339 decoder
// against time.Parse, the reference it replaces.
func TestParseTimestampMatchesTimeParse(t *testing.T) {
	for _, s := range timestampCases {
		checkTimestamp(t, s)
	}
	// Every day of a leap and a common year, at an offset.
	for _, year := range []int{1, 399, 400, 1969, 2024, 2026, 2100} {
		for d := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == year; d = d.AddDate(0, 0, 1) {
			checkTimestamp(t, d.Format("2006-01-02T15:04:05")+"+13:45")
		}
	}
}

func checkTimestamp(t *testing.T, s string) {
	t.Helper()
	got, ok := parseTimestamp(s)
	want, err := time.Parse(time.RFC3339Nano, s)
	if ok != (err == nil) {
		t.Fatalf("%q: ok %v, time.Parse error %v", s, ok, err)
	}
	if ok && (got != want.UTC() || got.Location() != time.UTC) {
		t.Fatalf("%q: got %v, time.Parse %v", s, got, want.UTC())
	}
}

func FuzzTimestamp(f *testing.F) {
	for _, s := range timestampCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkTimestamp(t, s)
		checkTimestamp(t, strings.TrimSpace(s))
	})
}
