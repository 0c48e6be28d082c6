package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

func testKey(t *testing.T, seed byte) (string, ed25519.PrivateKey) {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes32(seed))
	sum := sha256.Sum256(priv.Public().(ed25519.PublicKey))
	return hex.EncodeToString(sum[:8]), priv
}

func bytes32(b byte) []byte {
	s := make([]byte, 32)
	for i := range s {
		s[i] = b
	}
	return s
}

// appendN writes n entries to a fresh log and returns its path.
func appendN(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path, clock())
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := l.Append(context.Background(), EventJobStep, map[string]any{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func load(t *testing.T, path string) *State {
	t.Helper()
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestInclusionAndConsistencyProofs(t *testing.T) {
	s := load(t, appendN(t, 13))
	for n := int64(1); n <= 13; n++ {
		root, err := s.Tree.Root(n)
		if err != nil {
			t.Fatal(err)
		}
		for seq := int64(1); seq <= n; seq++ {
			p, err := s.Tree.InclusionProof(seq, n)
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckInclusion(p, s.Entries[seq-1], n, root); err != nil {
				t.Errorf("inclusion seq %d in %d: %v", seq, n, err)
			}
			// A different entry at the same position fails.
			other := s.Entries[seq-1]
			other.Fields = map[string]any{"i": "forged"}
			if err := CheckInclusion(p, other, n, root); err == nil {
				t.Errorf("forged entry seq %d in %d verified", seq, n)
			}
		}
		for m := int64(1); m <= n; m++ {
			mroot, _ := s.Tree.Root(m)
			p, err := s.Tree.ConsistencyProof(m, n)
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckConsistency(p, m, mroot, n, root); err != nil {
				t.Errorf("consistency %d→%d: %v", m, n, err)
			}
			if m < n && len(p) > 0 {
				p[0][0] ^= 1
				if err := CheckConsistency(p, m, mroot, n, root); err == nil {
					t.Errorf("flipped proof %d→%d verified", m, n)
				}
			}
		}
	}
}

// TestCheckpointIsC2SPSignedNote parses a checkpoint the way any C2SP
// tlog-checkpoint client would: note.Open with a verifier built from the
// public key alone, then the three body lines.
func TestCheckpointIsC2SPSignedNote(t *testing.T) {
	keyID, priv := testKey(t, 7)
	s := load(t, appendN(t, 5))
	signer, err := NewCheckpointSigner(keyID, priv.Public().(ed25519.PublicKey), func(m []byte) []byte { return ed25519.Sign(priv, m) })
	if err != nil {
		t.Fatal(err)
	}
	root, _ := s.Tree.Root(5)
	msg, err := SignCheckpoint(signer, 5, root)
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := note.NewEd25519VerifierKey("ledgerlens/audit/"+keyID, priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		t.Fatalf("note.Open: %v\n%s", err, msg)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) != 4 || lines[0] != "ledgerlens/audit/"+keyID || lines[1] != "5" || lines[3] != "" {
		t.Fatalf("checkpoint body %q is not origin, size, root hash", n.Text)
	}
	if lines[2] != root.String() { // tlog.Hash.String is base64
		t.Errorf("root line %q, want %s", lines[2], root)
	}
	if len(n.Sigs) != 1 || n.Sigs[0].Name != "ledgerlens/audit/"+keyID {
		t.Errorf("signatures %+v", n.Sigs)
	}
	if !strings.Contains(string(msg), "\n\n— ledgerlens/audit/"+keyID+" ") {
		t.Errorf("no C2SP signature line in\n%s", msg)
	}
	c, err := OpenCheckpoint(msg, v)
	if err != nil || c.Size != 5 || c.Root != root {
		t.Fatalf("OpenCheckpoint: %+v %v", c, err)
	}

	// Another key, or an edited body, does not verify.
	otherID, other := testKey(t, 8)
	ov, _ := NewCheckpointVerifier(otherID, other.Public().(ed25519.PublicKey))
	if _, err := OpenCheckpoint(msg, ov); err == nil {
		t.Error("checkpoint verified with another key")
	}
	edited := []byte(strings.Replace(string(msg), "\n5\n", "\n6\n", 1))
	if _, err := OpenCheckpoint(edited, v); err == nil {
		t.Error("edited checkpoint verified")
	}
}

func TestLogAgainstCheckpoint(t *testing.T) {
	keyID, priv := testKey(t, 1)
	signer, _ := NewCheckpointSigner(keyID, priv.Public().(ed25519.PublicKey), func(m []byte) []byte { return ed25519.Sign(priv, m) })
	v, _ := NewCheckpointVerifier(keyID, priv.Public().(ed25519.PublicKey))
	path := appendN(t, 10)
	s := load(t, path)
	root, _ := s.Tree.Root(8)
	msg, _ := SignCheckpoint(signer, 8, root)
	cp, err := OpenCheckpoint(msg, v)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check("test", cp); err != nil {
		t.Fatalf("intact log: %v", err)
	}
	lines := readLines(t, path)

	cases := []struct {
		name  string
		mod   func() // changes the file at path
		wants string
	}{
		{"truncated below the checkpoint", func() { writeLines(t, path, lines[:7]) }, "fewer than the 8"},
		{"truncated to the checkpoint is fine", func() { writeLines(t, path, lines[:8]) }, ""},
		{"emptied", func() { writeLines(t, path, nil) }, "fewer than the 8"},
		{"deleted", func() { os.Remove(path) }, "does not exist"},
		{"entry edited and chain rehashed", func() {
			writeLines(t, path, rehashFrom(t, setKey(t, lines, 2, "i", "edited", true), 3))
		}, "hash to root"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			writeLines(t, path, lines)
			tc.mod()
			err := load(t, path).Check("audit.checkpoints line 1", cp)
			if tc.wants == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), tc.wants) ||
				!strings.Contains(err.Error(), "audit.checkpoints line 1") {
				t.Fatalf("got %v, want an ErrCheckpoint naming the checkpoint and %q", err, tc.wants)
			}
		})
	}
}

// rehashFrom re-chains lines from index k on, as an attacker without the
// key can: the chain verifies again, only a checkpoint tells.
func rehashFrom(t *testing.T, lines [][]byte, k int) [][]byte {
	t.Helper()
	out := append([][]byte{}, lines...)
	for i := k; i < len(out); i++ {
		prev, _ := ParseEntry(out[i-1])
		e, _ := ParseEntry(out[i])
		e.Prev = prev.Hash
		e.Hash, _ = e.ComputeHash()
		b, _ := e.MarshalJSON()
		out[i] = append(b, '\n')
	}
	if res, _ := Verify(strings.NewReader(string(joinLines(out)))); !res.OK() {
		t.Fatalf("rehash did not restore the chain: %v", res.Err())
	}
	return out
}

func joinLines(lines [][]byte) []byte {
	var b []byte
	for _, l := range lines {
		b = append(b, l...)
	}
	return b
}

func TestRepairTornTail(t *testing.T) {
	path := appendN(t, 4)
	lines := readLines(t, path)
	t.Run("partial line is cut and recorded", func(t *testing.T) {
		torn := lines[3][:20]
		writeLines(t, path, append(append([][]byte{}, lines[:3]...), torn))
		e, err := RepairTornTail(context.Background(), path, clock(), nil)
		if err != nil || e == nil {
			t.Fatalf("repair: %v %v", e, err)
		}
		sum := sha256.Sum256(torn)
		if e.Event != EventAuditTailRepaired || e.Fields["torn_sha256"] != hex.EncodeToString(sum[:]) ||
			fmt.Sprint(e.Fields["action"]) != "removed" || e.Seq != 4 {
			t.Errorf("event %+v", e)
		}
		if res, _ := VerifyFile(path); !res.OK() || res.Entries != 4 {
			t.Errorf("after repair: %+v", res)
		}
	})
	t.Run("whole entry missing only its newline is kept", func(t *testing.T) {
		whole := lines[3][:len(lines[3])-1]
		writeLines(t, path, append(append([][]byte{}, lines[:3]...), whole))
		e, err := RepairTornTail(context.Background(), path, clock(), nil)
		if err != nil || e == nil || fmt.Sprint(e.Fields["action"]) != "newline_added" || e.Seq != 5 {
			t.Fatalf("repair: %+v %v", e, err)
		}
		if res, _ := VerifyFile(path); !res.OK() || res.Entries != 5 {
			t.Errorf("after repair: %+v", res)
		}
	})
	t.Run("intact log is left alone", func(t *testing.T) {
		writeLines(t, path, lines)
		if e, err := RepairTornTail(context.Background(), path, clock(), nil); e != nil || err != nil {
			t.Fatalf("%v %v", e, err)
		}
	})
}

func TestCheckpointsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.checkpoints")
	if cps, err := ReadCheckpoints(path); err != nil || cps != nil {
		t.Fatalf("missing file: %v %v", cps, err)
	}
	now := time.Date(2026, 11, 16, 10, 0, 0, 0, time.UTC)
	for i := range 3 {
		if err := AppendCheckpoint(path, []byte(fmt.Sprintf("note %d\n", i)), "weekly_review", now); err != nil {
			t.Fatal(err)
		}
	}
	// A torn last line is ignored on read and ended on the next append.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"time":"2026`)
	f.Close()
	if cps, err := ReadCheckpoints(path); err != nil || len(cps) != 3 || cps[2].Note != "note 2\n" || cps[2].Line != 3 {
		t.Fatalf("read with torn tail: %+v %v", cps, err)
	}
	if err := AppendCheckpoint(path, []byte("note 3\n"), "", now); err != nil {
		t.Fatal(err)
	}
	cps, err := ReadCheckpoints(path)
	if err != nil || len(cps) != 4 || cps[3].Note != "note 3\n" {
		t.Fatalf("after appending onto a torn line: %+v %v", cps, err)
	}
	// A garbled line in the middle is named, not skipped.
	data, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(data), `{"time"`, `{"tim`, 1)), 0o644)
	if _, err := ReadCheckpoints(path); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("garbled line 1: %v", err)
	}
}

// TestReadKeptCheckpoints: the forms a kept checkpoint arrives in. A note
// saved with CRLF line ends was reported as signed by the wrong key, an
// empty file as a checkpoint of key "", and two notes concatenated as a
// bad signature (an outside review): each is read, or refused as input
// naming the file.
func TestReadKeptCheckpoints(t *testing.T) {
	keyID, priv := testKey(t, 7)
	signer, err := NewCheckpointSigner(keyID, priv.Public().(ed25519.PublicKey), func(m []byte) []byte { return ed25519.Sign(priv, m) })
	if err != nil {
		t.Fatal(err)
	}
	s := load(t, appendN(t, 5))
	var notes []string
	for _, n := range []int64{3, 5} {
		root, _ := s.Tree.Root(n)
		msg, err := SignCheckpoint(signer, n, root)
		if err != nil {
			t.Fatal(err)
		}
		notes = append(notes, string(msg))
	}
	line := func(n string) string {
		return fmt.Sprintf(`{"time":"2026-11-16T09:00:00Z","job":"weekly","note":%q}`, n) + "\n"
	}
	for _, tc := range []struct {
		name, file string
		want       []string // nil: refused
		wantErr    string
	}{
		{"a note", notes[0], notes[:1], ""},
		{"a note with a newline added", notes[0] + "\n", notes[:1], ""},
		{"a note with CRLF line ends", strings.ReplaceAll(notes[0], "\n", "\r\n"), notes[:1], ""},
		{"two notes concatenated", notes[0] + notes[1], notes, ""},
		{"two notes, a blank line between", notes[0] + "\n" + notes[1] + "\n", notes, ""},
		{"checkpoint lines", line(notes[0]) + line(notes[1]), notes, ""},
		{"an empty file", "", nil, "holds no checkpoint"},
		{"text that is no note", "hello\nworld\n", nil, "not a signed checkpoint note"},
		{"a line that is no record", line(notes[0]) + "{}\n", nil, "line 2: neither a signed note nor a checkpoint record"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kept.checkpoint")
			if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadKeptCheckpoints(path)
			switch {
			case tc.want == nil && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), path)):
				t.Errorf("ReadKeptCheckpoints = %q, %v; want an error naming %s and saying %q", got, err, path, tc.wantErr)
			case tc.want != nil && (err != nil || !slices.Equal(got, tc.want)):
				t.Errorf("ReadKeptCheckpoints = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
