package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLineTimestamp(t *testing.T) {
	tests := []struct {
		name string
		line string
		want string // RFC 3339 in UTC; "" = none found
	}{
		{"pascal", `{"Run_ID":"R1","Timestamp":"2026-02-23T00:00:01Z","Credits_Total":1}`, "2026-02-23T00:00:01Z"},
		{"snake", `{"run_id":"R1","timestamp":"2026-02-22T10:00:00.5Z"}`, "2026-02-22T10:00:00.5Z"},
		{"offset", `{"Timestamp" : "2026-02-22T23:30:00-01:00"}`, "2026-02-23T00:30:00Z"},
		{"deployment timestamp is not the run's", `{"deployment_timestamp":"2026-02-24T00:00:00Z","timestamp":"2026-02-20T00:00:00Z"}`, "2026-02-20T00:00:00Z"},
		{"only deployment timestamp", `{"deployment_timestamp":"2026-02-24T00:00:00Z"}`, ""},
		{"not a string", `{"Timestamp":1771804800}`, ""},
		{"not RFC 3339", `{"Timestamp":"23/02/2026"}`, ""},
		{"unterminated", `{"Timestamp":"2026-02-23T00:00:01Z`, ""},
		{"empty", ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := lineTimestamp([]byte(tt.line))
			if tt.want == "" {
				if ok {
					t.Fatalf("found %v, want none", got)
				}
				return
			}
			if !ok {
				t.Fatalf("found none, want %s", tt.want)
			}
			if s := got.UTC().Format(time.RFC3339Nano); s != tt.want {
				t.Errorf("got %s, want %s", s, tt.want)
			}
		})
	}
}

func TestFindCut(t *testing.T) {
	focusStart := time.Date(2026, 2, 23, 0, 0, 0, 0, time.UTC)
	focusEnd := focusStart.AddDate(0, 0, 7)
	before := `{"Timestamp":"2026-02-22T23:59:59Z","Credits_Total":1}`
	in := `{"timestamp":"2026-02-23T00:00:00Z","credits_total":1}`
	tests := []struct {
		name     string
		lines    []string
		tail     string // partial last line (no newline)
		wantLine int64  // 0: an error is expected
	}{
		{"first focus line", []string{before, before, in, before, in}, "", 3},
		{"offset spelling", []string{before, `{"Timestamp":"2026-02-22T23:30:00-01:00"}`, in}, "", 2},
		{"lines without a timestamp are skipped", []string{before, `not json`, `{"Credits_Total":5}`, in}, "", 4},
		// The scan reads the timestamp key, not the whole JSON: a torn line
		// of the focus week cuts there too (the cold job then simply has one
		// line less; both jobs still read every byte).
		{"torn line with a focus timestamp", []string{before, `{"Timestamp":"2026-02-23T01:00:00Z"`, in}, "", 2},
		{"after the week does not count", []string{before, `{"Timestamp":"2026-03-02T00:00:00Z"}`, in}, "", 3},
		{"deployment timestamp does not count", []string{`{"deployment_timestamp":"2026-02-23T05:00:00Z","Timestamp":"2026-02-01T00:00:00Z"}`, in}, "", 2},
		{"partial tail is not a line", []string{before}, in, 0},
		{"no focus line", []string{before, before}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			content := strings.Join(tt.lines, "\n") + "\n" + tt.tail
			path := filepath.Join(t.TempDir(), "ledger.jsonl")
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := findCut(path, focusStart, focusEnd)
			if tt.wantLine == 0 {
				if err == nil {
					t.Fatalf("cut at line %d, want an error", c.Line)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Line != tt.wantLine {
				t.Errorf("line %d, want %d", c.Line, tt.wantLine)
			}
			wantOff := int64(len(strings.Join(tt.lines[:tt.wantLine-1], "\n")))
			if tt.wantLine > 1 {
				wantOff++ // the newline ending the previous line
			}
			if c.Offset != wantOff {
				t.Errorf("offset %d, want %d", c.Offset, wantOff)
			}
		})
	}
}

// TestEachLineLongLines checks lines longer than the read buffer and the
// offsets, numbers and completeness reported for each line.
func TestEachLineLongLines(t *testing.T) {
	long := strings.Repeat("x", 3<<20)
	content := "a\n" + long + "\n\nb"
	type got struct {
		off, no  int64
		n        int
		complete bool
	}
	var lines []got
	err := eachLine(strings.NewReader(content), func(off, no int64, line []byte, complete bool) bool {
		lines = append(lines, got{off, no, len(line), complete})
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []got{{0, 1, 1, true}, {2, 2, len(long), true}, {int64(3 + len(long)), 3, 0, true}, {int64(4 + len(long)), 4, 1, false}}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines %v, want %v", len(lines), lines, want)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d: got %+v, want %+v", i+1, lines[i], want[i])
		}
	}
}

// fakeFixture writes a small cached fixture by hand.
func fakeFixture(t *testing.T, ledger string) *fixture {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		ledgerRel:                                ledger,
		"runs/CREDIT_MONITORING/cases.jsonl":     `{"Case_ID":"C1"}` + "\n",
		"config/credit-baselines.json":           `{"baselines":[]}`,
		"expected.json":                          `{"focus_week":"2026-02-23","previous_week":"2026-02-16"}`,
		markerName:                               `{}`,
		"runs/CREDIT_MONITORING/incidents.jsonl": "",
	}
	for rel, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return &fixture{Dir: dir, Ledger: ledgerOf(dir)}
}

func TestNewRootAndAppend(t *testing.T) {
	ledger := "line one\nline two\nline three\npartial"
	fx := fakeFixture(t, ledger)
	root := filepath.Join(t.TempDir(), "root")
	cutAt := int64(len("line one\nline two\n"))
	if err := newRoot(fx, root, cutAt); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(ledgerOf(root))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != ledger[:cutAt] {
		t.Errorf("cold ledger %q, want %q", got, ledger[:cutAt])
	}
	for _, rel := range []string{"runs/CREDIT_MONITORING/cases.jsonl", "config/credit-baselines.json", "runs/CREDIT_MONITORING/incidents.jsonl"} {
		a, err := os.Stat(filepath.Join(fx.Dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.Stat(filepath.Join(root, rel))
		if err != nil {
			t.Fatalf("input %s missing from the root: %v", rel, err)
		}
		if !os.SameFile(a, b) {
			t.Errorf("input %s was copied, want a hard link on the same file system", rel)
		}
	}
	for _, rel := range []string{"expected.json", markerName} {
		if _, err := os.Stat(filepath.Join(root, rel)); err == nil {
			t.Errorf("%s was put into the working root", rel)
		}
	}
	ledgerStat, _ := os.Stat(fx.Ledger)
	rootStat, _ := os.Stat(ledgerOf(root))
	if os.SameFile(ledgerStat, rootStat) {
		t.Fatal("the root's ledger is the fixture's (the warm phase would modify the cache)")
	}

	if err := appendRest(fx, root, cutAt); err != nil {
		t.Fatal(err)
	}
	got, err = os.ReadFile(ledgerOf(root))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != ledger {
		t.Errorf("warm ledger %q, want the whole fixture ledger %q", got, ledger)
	}
	orig, err := os.ReadFile(fx.Ledger)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(orig, []byte(ledger)) {
		t.Errorf("fixture ledger changed to %q", orig)
	}
}
