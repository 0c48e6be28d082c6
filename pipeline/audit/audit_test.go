package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// clock returns a deterministic clock that advances one second per call.
func clock() func() time.Time {
	t := time.Date(2026, 11, 16, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	return func() time.Time {
		t = t.Add(time.Second)
		return t
	}
}

// sampleEvents are appended by writeLog; they exercise nesting, numbers,
// HTML characters and non-ASCII text.
var sampleEvents = []struct {
	event  string
	fields map[string]any
}{
	{EventJobStart, map[string]any{"job": "weekly", "run_id": "job-2026-11-16-ab12", "args": []string{"report", "weekly"}}},
	{EventIngest, map[string]any{"offset": 0, "lines": 12345, "rejects": 3, "prefix_sha256": strings.Repeat("ab", 32)}},
	{EventArtifactWritten, map[string]any{"path": "runs/CREDIT_REVIEWS/weekly_2026-11-16.json", "sha256": strings.Repeat("cd", 32), "bytes": 40960}},
	{EventBaselineProposed, map[string]any{"scenario_id": "sc-<alpha>&beta", "old": 12.5, "new": 14.25, "by": "Zoë"}},
	{EventPublish, map[string]any{"files": []map[string]any{{"ext": ".json", "rev": 1}, {"ext": ".xlsx", "rev": 1}}, "ok": true, "note": nil}},
	{EventJobEnd, map[string]any{"job": "weekly", "status": "completed", "duration_ms": 1234}},
}

// writeLog appends sampleEvents to a fresh log in dir and returns its path.
func writeLog(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, ".ledgerlens", "audit.jsonl")
	l, err := Open(path, clock())
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range sampleEvents {
		if _, err := l.Append(context.Background(), ev.event, ev.fields); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func writeLines(t *testing.T, path string, lines [][]byte) {
	t.Helper()
	if err := os.WriteFile(path, bytes.Join(lines, nil), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestGoldenLog(t *testing.T) {
	path := writeLog(t, t.TempDir())
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "audit.golden.jsonl")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("log differs from %s (run go test -update if the change is intended):\n%s", golden, got)
	}
	res, err := Verify(bytes.NewReader(want))
	if err != nil || !res.OK() {
		t.Fatalf("golden log does not verify: %v %v", err, res.Err())
	}
}

func TestChainVerifiesAndReopens(t *testing.T) {
	path := writeLog(t, t.TempDir())
	res, err := VerifyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || res.Entries != int64(len(sampleEvents)) || res.HeadSeq != int64(len(sampleEvents)) {
		t.Fatalf("Verify = %+v, want %d intact entries", res, len(sampleEvents))
	}
	l, err := Open(path, clock())
	if err != nil {
		t.Fatal(err)
	}
	seq, hash := l.Head()
	if seq != res.HeadSeq || hash != res.HeadHash {
		t.Fatalf("Open head = %d %s, Verify head = %d %s", seq, hash, res.HeadSeq, res.HeadHash)
	}
	e, err := l.Append(context.Background(), EventJobStart, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e.Seq != seq+1 || e.Prev != hash {
		t.Errorf("appended entry seq %d prev %s, want seq %d prev %s", e.Seq, e.Prev, seq+1, hash)
	}
	if e.Time != "2026-11-16T09:00:01Z" {
		t.Errorf("time = %q, want RFC 3339 UTC 2026-11-16T09:00:01Z", e.Time)
	}
	if res, _ := VerifyFile(path); !res.OK() || res.HeadHash != e.Hash {
		t.Errorf("after reopen+append: %+v", res)
	}
}

func TestTamperDetection(t *testing.T) {
	n := len(sampleEvents)
	type mutation struct {
		name      string
		mutate    func(lines [][]byte, k int) [][]byte // k is 0-based
		wantLine  func(k int) int64                    // 0: the chain stays valid
		want      Problem
		wantCount func(k int) int64 // verified entries
	}
	editKey := func(key string, value any) func([][]byte, int) [][]byte {
		return func(lines [][]byte, k int) [][]byte {
			return setKey(t, lines, k, key, value, false)
		}
	}
	same := func(k int) int64 { return int64(k + 1) }
	before := func(k int) int64 { return int64(k) }
	muts := []mutation{
		{"edit time", editKey("time", "2026-11-16T09:00:00Z"), same, ProblemHashMismatch, before},
		{"edit event", editKey("event", "job_fail"), same, ProblemHashMismatch, before},
		{"edit seq", editKey("seq", 99), same, ProblemSeqGap, before},
		{"edit prev", editKey("prev", strings.Repeat("1", 64)), same, ProblemPrevMismatch, before},
		{"edit hash", editKey("hash", strings.Repeat("2", 64)), same, ProblemHashMismatch, before},
		{"add field", editKey("injected", "x"), same, ProblemHashMismatch, before},
		{"edit own field and rehash", func(lines [][]byte, k int) [][]byte {
			return setKey(t, lines, k, "tampered", true, true)
		}, func(k int) int64 {
			if k == n-1 {
				return 0 // a rehashed last entry is only caught by the head in a report
			}
			return int64(k + 2)
		}, ProblemPrevMismatch, same},
		{"delete", func(lines [][]byte, k int) [][]byte {
			return append(append([][]byte{}, lines[:k]...), lines[k+1:]...)
		}, func(k int) int64 {
			if k == n-1 {
				return 0 // truncation at a line boundary: see TestTruncationAtLineBoundary
			}
			return int64(k + 1)
		}, ProblemSeqGap, before},
		{"swap with next", func(lines [][]byte, k int) [][]byte {
			out := append([][]byte{}, lines...)
			j := (k + 1) % n
			out[k], out[j] = out[j], out[k]
			return out
		}, func(k int) int64 { return int64(min(k, (k+1)%n) + 1) }, ProblemSeqGap, func(k int) int64 { return int64(min(k, (k+1)%n)) }},
		{"duplicate", func(lines [][]byte, k int) [][]byte {
			out := append([][]byte{}, lines[:k+1]...)
			out = append(out, lines[k])
			return append(out, lines[k+1:]...)
		}, func(k int) int64 { return int64(k + 2) }, ProblemSeqGap, same},
		{"truncate mid-line", func(lines [][]byte, k int) [][]byte {
			out := append([][]byte{}, lines[:k]...)
			return append(out, lines[k][:len(lines[k])/2])
		}, same, ProblemIncomplete, before},
		{"blank line", func(lines [][]byte, k int) [][]byte {
			out := append([][]byte{}, lines[:k]...)
			out = append(out, []byte("\n"))
			return append(out, lines[k:]...)
		}, same, ProblemBadJSON, before},
		{"garbage", func(lines [][]byte, k int) [][]byte {
			out := append([][]byte{}, lines...)
			out[k] = []byte("{\"seq\":\n")
			return out
		}, same, ProblemBadJSON, before},
		// The same entry spelled another way hashes the same: only the
		// line's bytes tell (a grep for "event":"publish" misses it).
		{"respell the event with an escape", func(lines [][]byte, k int) [][]byte {
			out := append([][]byte{}, lines...)
			i := bytes.Index(lines[k], []byte(`"event":"`)) + len(`"event":"`)
			esc := fmt.Sprintf(`\u%04x`, lines[k][i]) // the event's first letter
			out[k] = append(append(append([]byte{}, lines[k][:i]...), esc...), lines[k][i+1:]...)
			return out
		}, same, ProblemNotCanonical, before},
		{"space after a colon", func(lines [][]byte, k int) [][]byte {
			out := append([][]byte{}, lines...)
			out[k] = bytes.Replace(lines[k], []byte(`"event":`), []byte(`"event": `), 1)
			return out
		}, same, ProblemNotCanonical, before},
	}
	for _, m := range muts {
		for k := 0; k < n; k++ {
			t.Run(fmt.Sprintf("%s/line%d", m.name, k+1), func(t *testing.T) {
				path := writeLog(t, t.TempDir())
				writeLines(t, path, m.mutate(readLines(t, path), k))
				res, err := VerifyFile(path)
				if err != nil {
					t.Fatal(err)
				}
				wantLine := m.wantLine(k)
				if wantLine == 0 {
					if !res.OK() {
						t.Fatalf("want a valid (shorter) chain, got %v", res.Err())
					}
					return
				}
				if res.OK() {
					t.Fatalf("tampering not detected: %+v", res)
				}
				b := res.Broken
				if b.Line != wantLine || b.Problem != m.want {
					t.Fatalf("broken at line %d (%s), want line %d (%s): %v", b.Line, b.Problem, wantLine, m.want, b)
				}
				if res.Entries != m.wantCount(k) {
					t.Errorf("verified entries = %d, want %d", res.Entries, m.wantCount(k))
				}
				if !strings.Contains(b.Error(), fmt.Sprintf("line %d", wantLine)) {
					t.Errorf("message %q does not name line %d", b.Error(), wantLine)
				}
			})
		}
	}
}

// setKey sets key on line k; rehash recomputes that line's own hash, as an
// attacker who knows the format would.
func setKey(t *testing.T, lines [][]byte, k int, key string, value any, rehash bool) [][]byte {
	t.Helper()
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(lines[k]))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		t.Fatal(err)
	}
	obj[key] = value
	line, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	if rehash {
		e, err := ParseEntry(line)
		if err != nil {
			t.Fatal(err)
		}
		if e.Hash, err = e.ComputeHash(); err != nil {
			t.Fatal(err)
		}
		if line, err = e.MarshalJSON(); err != nil {
			t.Fatal(err)
		}
	}
	out := append([][]byte{}, lines...)
	out[k] = append(line, '\n')
	return out
}

func TestTruncationAtLineBoundary(t *testing.T) {
	path := writeLog(t, t.TempDir())
	full, _ := VerifyFile(path)
	lines := readLines(t, path)
	writeLines(t, path, lines[:3])
	res, err := VerifyFile(path)
	if err != nil || !res.OK() {
		t.Fatalf("truncated chain: %v %v", err, res.Err())
	}
	if res.HeadSeq != 3 || res.HeadHash == full.HeadHash {
		t.Errorf("head after truncation = %d %s; must differ from the recorded head %s", res.HeadSeq, res.HeadHash, full.HeadHash)
	}
}

func TestOpenRefusesCorruptTail(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(lines [][]byte) [][]byte
		refuse bool
	}{
		{"intact", func(l [][]byte) [][]byte { return l }, false},
		{"edited last", func(l [][]byte) [][]byte { return setKey(t, l, len(l)-1, "event", "x", false) }, true},
		{"torn last", func(l [][]byte) [][]byte {
			out := append([][]byte{}, l...)
			out[len(l)-1] = l[len(l)-1][:10]
			return out
		}, true},
		{"last rehashed but not chained", func(l [][]byte) [][]byte { return setKey(t, l, len(l)-1, "prev", ZeroHash, true) }, true},
		{"last deleted", func(l [][]byte) [][]byte { return l[:len(l)-1] }, false},
		{"second to last garbage", func(l [][]byte) [][]byte {
			out := append([][]byte{}, l...)
			out[len(l)-2] = []byte("not json\n")
			return out
		}, true},
		{"single entry with wrong seq", func(l [][]byte) [][]byte { return setKey(t, l[:1], 0, "seq", 2, true) }, true},
		// Open reads only the tail: a break further back is Verify's job.
		{"edited first", func(l [][]byte) [][]byte { return setKey(t, l, 0, "event", "x", false) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeLog(t, t.TempDir())
			writeLines(t, path, tt.mutate(readLines(t, path)))
			before, _ := os.ReadFile(path)
			l, err := Open(path, clock())
			if tt.refuse {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("Open = %v, want ErrCorrupt", err)
				}
				if !strings.Contains(err.Error(), path) {
					t.Errorf("error %q does not name the log", err)
				}
				after, _ := os.ReadFile(path)
				if !bytes.Equal(before, after) {
					t.Error("log changed")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.Append(context.Background(), EventJobStart, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestEmptyAndMissingLog(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"missing.jsonl", "empty.jsonl"} {
		path := filepath.Join(dir, name)
		if name == "empty.jsonl" {
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		res, err := VerifyFile(path)
		if err != nil || !res.OK() || res.Entries != 0 || res.HeadSeq != 0 || res.HeadHash != ZeroHash {
			t.Errorf("%s: Verify = %+v, %v; want valid, head 0/zeros", name, res, err)
		}
		l, err := Open(path, clock())
		if err != nil {
			t.Fatal(err)
		}
		if seq, hash := l.Head(); seq != 0 || hash != ZeroHash {
			t.Errorf("%s: head = %d %s", name, seq, hash)
		}
		e, err := l.Append(context.Background(), EventKeyGenerated, map[string]any{"key_id": "0123456789abcdef"})
		if err != nil {
			t.Fatal(err)
		}
		if e.Seq != 1 || e.Prev != ZeroHash {
			t.Errorf("%s: first entry seq %d prev %s", name, e.Seq, e.Prev)
		}
	}
}

func TestAppendRejects(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), "audit.jsonl"), clock())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		event  string
		fields map[string]any
	}{
		{"reserved seq", ctx, EventIngest, map[string]any{"seq": 1}},
		{"reserved hash", ctx, EventIngest, map[string]any{"hash": "x"}},
		{"reserved time", ctx, EventIngest, map[string]any{"time": "x"}},
		{"empty event", ctx, "", nil},
		{"unencodable", ctx, EventIngest, map[string]any{"ch": make(chan int)}},
		{"cancelled", cancelled, EventIngest, nil},
	}
	for _, tt := range tests {
		if _, err := l.Append(tt.ctx, tt.event, tt.fields); err == nil {
			t.Errorf("%s: Append succeeded", tt.name)
		}
	}
	if _, err := os.Stat(l.Path()); !os.IsNotExist(err) {
		t.Errorf("rejected appends created the log: %v", err)
	}
}

// TestStaleHead: two handles on one file (as two processes would have if the
// lock were bypassed) must not fork the chain.
func TestStaleHead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	a, _ := Open(path, clock())
	b, _ := Open(path, clock())
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := a.Append(ctx, EventJobStep, map[string]any{"i": i}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Append(ctx, EventJobStep, map[string]any{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := VerifyFile(path)
	if err != nil || !res.OK() || res.Entries != 6 {
		t.Fatalf("interleaved appends: %+v %v", res, err)
	}
}

func TestLongEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, _ := Open(path, clock())
	ctx := context.Background()
	big := strings.Repeat("x", 40<<10) // longer than the first tail window
	for i := 0; i < 3; i++ {
		if _, err := l.Append(ctx, EventJobStep, map[string]any{"blob": big, "i": i}); err != nil {
			t.Fatal(err)
		}
	}
	l2, err := Open(path, clock())
	if err != nil {
		t.Fatal(err)
	}
	if s1, h1 := l.Head(); true {
		if s2, h2 := l2.Head(); s1 != s2 || h1 != h2 {
			t.Errorf("reopened head %d %s, want %d %s", s2, h2, s1, h1)
		}
	}
}

func TestVerifySegment(t *testing.T) {
	path := writeLog(t, t.TempDir())
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := ReadEntries(f)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		seg      []Entry
		prev     string
		wantLine int64 // 0 = valid
		want     Problem
	}{
		{"whole log", all, ZeroHash, 0, ""},
		{"middle", all[2:5], all[1].Hash, 0, ""},
		{"empty", nil, all[3].Hash, 0, ""},
		{"wrong prev", all[2:5], all[0].Hash, 1, ProblemPrevMismatch},
		{"not from start", all[1:], ZeroHash, 1, ProblemSeqGap},
		{"gap", append(append([]Entry{}, all[1:3]...), all[4:]...), all[0].Hash, 3, ProblemSeqGap},
		{"edited", func() []Entry {
			seg := append([]Entry{}, all[1:4]...)
			seg[1].Fields = map[string]any{"lines": 1}
			return seg
		}(), all[0].Hash, 2, ProblemHashMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := VerifySegment(tt.seg, tt.prev)
			if tt.wantLine == 0 {
				if !res.OK() || res.Entries != int64(len(tt.seg)) {
					t.Fatalf("want valid, got %+v", res)
				}
				return
			}
			if res.OK() || res.Broken.Line != tt.wantLine || res.Broken.Problem != tt.want {
				t.Fatalf("got %+v / %v, want line %d %s", res, res.Err(), tt.wantLine, tt.want)
			}
		})
	}
	// Exported entries re-marshal to the exact lines of the log.
	var buf bytes.Buffer
	for _, e := range all {
		line, err := e.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	orig, _ := os.ReadFile(path)
	if !bytes.Equal(buf.Bytes(), orig) {
		t.Error("MarshalJSON of parsed entries differs from the log's lines")
	}
}

// TestJQRecipe runs the shell recipe from the package documentation, so the
// documented way to verify without ledgerlens is known to work.
func TestJQRecipe(t *testing.T) {
	for _, tool := range []string{"bash", "jq", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH", tool)
		}
	}
	script := recipeFromDoc(t)
	dir := t.TempDir()
	path := writeLog(t, dir)
	run := func() (string, error) {
		cmd := exec.Command("bash", "-c", script)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	res, _ := VerifyFile(path)
	out, err := run()
	want := fmt.Sprintf("ok: %d entries, head %s", len(sampleEvents), res.HeadHash)
	if err != nil || strings.TrimSpace(out) != want {
		t.Fatalf("recipe on an intact log: %v\n%s\nwant %s", err, out, want)
	}
	writeLines(t, path, setKey(t, readLines(t, path), 3, "by", "Mallory", false))
	out, err = run()
	if err == nil || strings.TrimSpace(out) != "broken at line 4" {
		t.Fatalf("recipe on a tampered log: %v\n%s", err, out)
	}
}

// recipeFromDoc extracts the indented shell block of doc.go's "Verifying
// without ledgerlens" section.
func recipeFromDoc(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	in := false
	for _, line := range strings.Split(string(src), "\n") {
		body, ok := strings.CutPrefix(line, "//\t")
		switch {
		case ok && strings.HasPrefix(body, "prev=0000"):
			in = true
		case !ok && in:
			return b.String()
		}
		if in {
			b.WriteString(body + "\n")
		}
	}
	t.Fatal("recipe not found in doc.go")
	return ""
}
