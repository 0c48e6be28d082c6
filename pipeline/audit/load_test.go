package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestLoadBuildsWhatEntriesDefine: Load decodes each line once and builds
// the entry's canonical JSON once for both its hash and its Merkle leaf;
// both must be what ComputeHash and LeafData define, for every shape of
// field sampleEvents holds and for a line written by hand with number
// literals Append would not write.
func TestLoadBuildsWhatEntriesDefine(t *testing.T) {
	dir := t.TempDir()
	path := writeLog(t, dir)
	lines := readLines(t, path)
	// A hand-written entry: exponent and trailing-zero number literals, an
	// escaped slash and a \u escape, chained and hashed as a verifier
	// computes it.
	last, err := ParseEntry(lines[len(lines)-1])
	if err != nil {
		t.Fatal(err)
	}
	hand, err := ParseEntry([]byte(`{"seq":` + itoa(last.Seq+1) + `,"time":"2026-11-16T10:00:30Z","event":"note","prev":"` + last.Hash +
		`","hash":"` + ZeroHash + `","a":1e2,"b":1.50,"c":"x\/y\u00e9","d":[{"z":null,"y":-0}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if hand.Hash, err = hand.ComputeHash(); err != nil {
		t.Fatal(err)
	}
	line, err := hand.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	writeLines(t, path, append(lines, append(line, '\n')))

	st, err := Load(path)
	if err != nil || st.Chain.Err() != nil {
		t.Fatalf("load: %v %v", err, st.Chain.Err())
	}
	if len(st.Entries) != len(lines)+1 {
		t.Fatalf("%d entries loaded, want %d", len(st.Entries), len(lines)+1)
	}
	want, err := NewTree(st.Entries) // leaf by leaf, through LeafData
	if err != nil {
		t.Fatal(err)
	}
	gotRoot, err := st.Tree.Root(st.Size())
	if err != nil {
		t.Fatal(err)
	}
	wantRoot, err := want.Root(want.Size())
	if err != nil || gotRoot != wantRoot {
		t.Fatalf("Load's tree root %v, the entries' %v (%v)", gotRoot, wantRoot, err)
	}
	for _, e := range st.Entries {
		hash, leaf, err := e.parsedDigests()
		if err != nil {
			t.Fatal(err)
		}
		wantHash, _ := e.ComputeHash()
		wantLeaf, _ := LeafData(e)
		if hash != wantHash || !bytes.Equal(leaf, wantLeaf) {
			t.Errorf("entry %d: hash %s leaf %s, want %s and %s", e.Seq, hash, leaf, wantHash, wantLeaf)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// BenchmarkLoad verifies and loads a log of 5,000 entries, the shapes of a
// weekly job's, about a year and a half of the default schedules: every
// job loads the log when it starts ("load"), and extends that state with
// the entries it appended (here 20) to seal the log ("extend").
func BenchmarkLoad(b *testing.B) {
	if testing.Short() {
		b.Skip("appends 5,000 entries in setup; skipped with -short")
	}
	path := filepath.Join(b.TempDir(), "audit.jsonl")
	l, err := Open(path, clock())
	if err != nil {
		b.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(nil)
	l.SignWith(func(m []byte) []byte { return ed25519.Sign(priv, m) })
	appendN := func(n int) {
		for i := 0; i < n; i++ {
			ev := sampleEvents[i%len(sampleEvents)]
			if _, err := l.Append(context.Background(), ev.event, ev.fields); err != nil {
				b.Fatal(err)
			}
		}
	}
	appendN(5000)
	start, err := Load(path)
	if err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(path)
	b.Run("load", func(b *testing.B) {
		b.SetBytes(st.Size())
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Load(path); err != nil {
				b.Fatal(err)
			}
		}
	})
	appendN(20)
	b.Run("extend", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := start.Extend(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestExtendIsLoad: State.Extend gives what a fresh Load of the log gives
// — after entries were appended, after a line it had verified was edited
// or cut, and after a torn append — and leaves the earlier state as it was.
func TestExtendIsLoad(t *testing.T) {
	appendMore := func(t *testing.T, path string, n int) {
		l, err := Open(path, clock())
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			ev := sampleEvents[i%len(sampleEvents)]
			if _, err := l.Append(context.Background(), ev.event, ev.fields); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, path string)
	}{
		{"appended", func(t *testing.T, path string) { appendMore(t, path, 5) }},
		{"nothing appended", func(t *testing.T, path string) {}},
		{"an earlier line edited, then appended", func(t *testing.T, path string) {
			lines := readLines(t, path)
			lines[2] = bytes.Replace(lines[2], []byte(`"bytes":40960`), []byte(`"bytes":40961`), 1)
			writeLines(t, path, lines)
			appendMore(t, path, 2)
		}},
		{"cut", func(t *testing.T, path string) {
			lines := readLines(t, path)
			writeLines(t, path, lines[:3])
		}},
		{"a torn append", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(`{"seq":7,"time":"2026-11-16T10:00:30Z"`)
			f.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeLog(t, t.TempDir())
			before, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			size := before.Size()
			tc.change(t, path)
			got, err := before.Extend()
			if err != nil {
				t.Fatal(err)
			}
			want, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if got.Chain.Entries != want.Chain.Entries || got.Chain.HeadHash != want.Chain.HeadHash ||
				(got.Chain.Broken == nil) != (want.Chain.Broken == nil) ||
				(want.Chain.Broken != nil && *got.Chain.Broken != *want.Chain.Broken) || len(got.Entries) != len(want.Entries) {
				t.Fatalf("Extend: %+v (%d entries), Load: %+v (%d entries)", got.Chain, len(got.Entries), want.Chain, len(want.Entries))
			}
			gotRoot, err1 := got.Tree.Root(got.Size())
			wantRoot, err2 := want.Tree.Root(want.Size())
			if err1 != nil || err2 != nil || gotRoot != wantRoot {
				t.Fatalf("Extend's tree root %v, Load's %v (%v %v)", gotRoot, wantRoot, err1, err2)
			}
			if before.Size() != size {
				t.Fatalf("the earlier state grew from %d to %d entries", size, before.Size())
			}
		})
	}
}
