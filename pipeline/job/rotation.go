package job

import (
	"crypto/ed25519"
	"encoding/base64"

	"golang.org/x/mod/sumdb/note"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/reports"
)

// RetiredKeys are the public keys key_rotated entries retired, newest
// first: what signed a file published before a rotation. They come from
// the log, whose entries the current key's checkpoints and signatures
// vouch for, never from a file beside the keys; and only from rotations
// the retired key itself signed (from_key_sig over RotationStatement), so
// a key pair replaced by someone without the old key retires nothing.
func RetiredKeys(entries []audit.Entry) []ed25519.PublicKey {
	var out []ed25519.PublicKey
	for i := len(entries) - 1; i >= 0; i-- {
		if k, ok := retiredKey(entries[i]); ok {
			out = append(out, k)
		}
	}
	return out
}

// retiredKey is the key a key_rotated entry retired, if the entry is one
// and the retired key signed the rotation.
func retiredKey(e audit.Entry) (ed25519.PublicKey, bool) {
	if e.Event != audit.EventKeyRotated {
		return nil, false
	}
	str := func(k string) string { v, _ := e.Fields[k].(string); return v }
	from, err1 := base64.StdEncoding.DecodeString(str("from_public_key"))
	to, err2 := base64.StdEncoding.DecodeString(str("to_public_key"))
	sig, err3 := base64.StdEncoding.DecodeString(str("from_key_sig"))
	if err1 != nil || err2 != nil || err3 != nil || len(from) != ed25519.PublicKeySize || len(to) != ed25519.PublicKeySize {
		return nil, false
	}
	old := ed25519.PublicKey(from)
	if reports.KeyID(old) != str("from_key_id") || reports.KeyID(to) != str("to_key_id") ||
		!ed25519.Verify(old, audit.RotationStatement(str("from_key_id"), str("to_key_id"), to), sig) {
		return nil, false
	}
	return old, true
}

// RetiredVerifier is the checkpoint verifier of the key a rotation in
// entries retired under the note origin o; nil when none did.
func RetiredVerifier(o string, entries []audit.Entry) note.Verifier {
	for _, k := range RetiredKeys(entries) {
		if v, err := CheckpointVerifier(k); err == nil && v.Name() == o {
			return v
		}
	}
	return nil
}
