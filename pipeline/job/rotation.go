package job

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/reports"
)

// RetiredKey is a key a rotation retired, and the audit seq of the
// key_rotated entry that retired it: from that entry on the key vouches
// for nothing — a checkpoint it signed covers only entries before it, and
// a file it signed must have been recorded before it. A retired key is
// most often one that leaked.
type RetiredKey struct {
	Public    ed25519.PublicKey
	RetiredAt int64
}

// RetiredKeysAt are the keys the rotations leading to pub retired, newest
// first: what signed a file published before a rotation. They come from
// the log, never from a file beside the keys, and form one chain back
// from pub: the newest key_rotated entry must name pub as its new key and
// be signed by it, and the key it retired must have signed the rotation
// (from_key_sig over RotationStatement); that key is then the new key of
// the rotation before, and so on. A rotation made up by someone without
// those keys retires nothing.
func RetiredKeysAt(entries []audit.Entry, pub ed25519.PublicKey) []RetiredKey {
	var out []RetiredKey
	cur := pub
	for i := len(entries) - 1; i >= 0 && cur != nil; i-- {
		from, to, ok := rotation(entries[i])
		if !ok || !to.Equal(cur) || !entries[i].SignedBy(cur) {
			continue
		}
		out = append(out, RetiredKey{Public: from, RetiredAt: entries[i].Seq})
		cur = from
	}
	return out
}

// RetiredKeys are the public halves of RetiredKeysAt, newest first.
func RetiredKeys(entries []audit.Entry, pub ed25519.PublicKey) []ed25519.PublicKey {
	var out []ed25519.PublicKey
	for _, k := range RetiredKeysAt(entries, pub) {
		out = append(out, k.Public)
	}
	return out
}

// RetiredKeys is RetiredKeys over the log as the job opened and verified
// it.
func (j *Job) RetiredKeys(pub ed25519.PublicKey) []ed25519.PublicKey {
	return RetiredKeys(j.trail.state.Entries, pub)
}

// rotation is the old and new key of a key_rotated entry whose old key
// signed it.
func rotation(e audit.Entry) (from, to ed25519.PublicKey, ok bool) {
	if e.Event != audit.EventKeyRotated {
		return nil, nil, false
	}
	str := func(k string) string { v, _ := e.Fields[k].(string); return v }
	f, err1 := base64.StdEncoding.DecodeString(str("from_public_key"))
	t, err2 := base64.StdEncoding.DecodeString(str("to_public_key"))
	sig, err3 := base64.StdEncoding.DecodeString(str("from_key_sig"))
	if err1 != nil || err2 != nil || err3 != nil || len(f) != ed25519.PublicKeySize || len(t) != ed25519.PublicKeySize {
		return nil, nil, false
	}
	from, to = f, t
	if reports.KeyID(from) != str("from_key_id") || reports.KeyID(to) != str("to_key_id") ||
		!ed25519.Verify(from, audit.RotationStatement(str("from_key_id"), str("to_key_id"), to), sig) {
		return nil, nil, false
	}
	return from, to, true
}

// RetiredVerifier is the checkpoint verifier of the key, retired on the
// way to pub (RetiredKeysAt), whose note origin is o, and the seq of the
// entry that retired it; nil when no retired key is o.
func RetiredVerifier(o string, entries []audit.Entry, pub ed25519.PublicKey) (note.Verifier, int64) {
	for _, k := range RetiredKeysAt(entries, pub) {
		if v, err := CheckpointVerifier(k.Public); err == nil && v.Name() == o {
			return v, k.RetiredAt
		}
	}
	return nil, 0
}

// RetiredCheckpointProblem says when a checkpoint of size entries, signed
// by a key retired at audit seq retiredAt (0: the current key), covers the
// rotation or anything after it, which that key cannot vouch for ("" when
// it does not).
func RetiredCheckpointProblem(source, origin string, size, retiredAt int64) string {
	if retiredAt == 0 || size < retiredAt {
		return ""
	}
	return fmt.Sprintf("%s: signed by %s, retired at audit seq %d, but covers %d entries: a retired key vouches for nothing from its retirement on (a leaked key's forgery)",
		source, origin, retiredAt, size)
}

// RetiredKeysDir holds the public keys a rotation retired, as
// <key id>.pub: `audit verify --pubkey` and `verify --pubkey` check what
// they signed.
func RetiredKeysDir(keysDir string) string { return filepath.Join(keysDir, "retired") }

// RetiredKeyProblems checks the retired public keys kept beside the keys
// (RetiredKeysDir) against the rotations the log records, whose entries
// carry each retired key: a compliance team checking a file signed before
// a rotation by hand reads the key there (`verify --pubkey
// keys/retired/<id>.pub`), so a key replaced there would vouch for a
// forgery, and a planted one for anything. pub is the root's current key
// (nil: no rotation can be followed, and nothing is checked).
func RetiredKeyProblems(l inputs.Layout, entries []audit.Entry, pub ed25519.PublicKey) []string {
	if pub == nil {
		return nil
	}
	dir := RetiredKeysDir(l.KeysDir)
	var problems []string
	want := map[string]RetiredKey{}
	for _, k := range RetiredKeysAt(entries, pub) {
		want[reports.KeyID(k.Public)+".pub"] = k
	}
	for name, k := range want {
		path := filepath.Join(dir, name)
		got, err := reports.LoadPublicKey(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			problems = append(problems, fmt.Sprintf("%s: missing, but the audit log records key %s retired at seq %d (its key_rotated entry holds the key): restore it",
				l.Rel(path), reports.KeyID(k.Public), k.RetiredAt))
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: %v", l.Rel(path), err))
		case !got.Equal(k.Public):
			problems = append(problems, fmt.Sprintf("%s: holds key %s, not the key %s the audit log records retired at seq %d: replaced",
				l.Rel(path), reports.KeyID(got), reports.KeyID(k.Public), k.RetiredAt))
		}
	}
	names, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return append(problems, fmt.Sprintf("%s: %v", l.Rel(dir), err))
	}
	for _, n := range names {
		if _, ok := want[n.Name()]; !ok && !strings.HasPrefix(n.Name(), ".") {
			problems = append(problems, fmt.Sprintf("%s: no rotation the audit log records retired this key (planted?)", l.Rel(filepath.Join(dir, n.Name()))))
		}
	}
	sort.Strings(problems)
	return problems
}

// UnsignedSinceSigned returns the seqs of the entries that carry no
// valid signature of the key that must sign them (as UnsignedAfter
// judges, over the whole log) though they follow the first entry that
// does: on a root whose log is signed, every entry a job writes from then
// on is signed, and `keys generate` refuses a log that records a key
// already. The entries before the first signed one are a log's history
// from before it had a key, vouched for by checkpoints alone. Only a job
// tricked into signing a checkpoint over an unsigned entry leaves one of
// these under a checkpoint; the verifiers report them wherever they are.
func UnsignedSinceSigned(entries []audit.Entry, pub ed25519.PublicKey) []int64 {
	unsigned := UnsignedAfter(entries, 0, pub)
	first := -1 // the index of the first signed entry in entries
	for i, e := range entries {
		if i >= len(unsigned) || unsigned[i] != e.Seq {
			first = i
			break
		}
	}
	if first < 0 {
		return nil
	}
	return unsigned[first:]
}

// UnsignedAfter returns the seqs of the entries after the first size of
// entries (those no signed checkpoint covers) that carry no valid
// signature of the key that must sign them: pub, except before a rotation
// to pub within them — a key_rotated entry signed by pub whose statement
// the key it retires signed — where that retiring key signed them. A
// `keys rotate` stopped after recording the rotation and before the new
// key's checkpoint leaves its own first entries so; someone without pub
// cannot make a rotation to it up.
func UnsignedAfter(entries []audit.Entry, size int64, pub ed25519.PublicKey) []int64 {
	tail := entries[min(max(size, 0), int64(len(entries))):]
	signer := make([]ed25519.PublicKey, len(tail))
	key := pub
	for i := len(tail) - 1; i >= 0; i-- {
		signer[i] = key
		if from, to, ok := rotation(tail[i]); ok && to.Equal(key) && tail[i].SignedBy(key) {
			key = from
		}
	}
	var out []int64
	for i, e := range tail {
		if !e.SignedBy(signer[i]) {
			out = append(out, e.Seq)
		}
	}
	return out
}
