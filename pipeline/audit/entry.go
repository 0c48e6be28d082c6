package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ZeroHash is the prev of the first entry and the head hash of an empty log.
const ZeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

// Reserved keys of every entry; event fields must not use them.
const (
	keySeq   = "seq"
	keyTime  = "time"
	keyEvent = "event"
	keyPrev  = "prev"
	keyHash  = "hash"
	keySig   = "sig"
)

func isReserved(k string) bool {
	switch k {
	case keySeq, keyTime, keyEvent, keyPrev, keyHash, keySig:
		return true
	}
	return false
}

// Entry is one line of the audit log.
type Entry struct {
	Seq   int64  // 1-based position in the chain
	Time  string // RFC 3339, UTC, exactly as recorded
	Event string
	// Fields are the event's own fields as decoded from JSON with UseNumber:
	// string, bool, nil, json.Number, []any and map[string]any. Never nil.
	Fields map[string]any
	Prev   string // hash of the previous entry, ZeroHash for seq 1
	Hash   string // hex SHA-256 of Prev + canonical JSON without "hash" and "sig"
	// Sig is the base64 Ed25519 signature of EntrySigningMessage(Hash) by
	// the key of the account that appended the entry ("" when it held no
	// key). It is outside the hash, so it proves who wrote the entry
	// without changing the chain.
	Sig string
}

// EntrySigningMessage is what an entry's sig signs: a fixed context line
// and the entry's hash, each ending in "\n", so a signature over an entry
// can never be taken for one over a report or a checkpoint.
func EntrySigningMessage(hash string) []byte {
	return []byte("ledgerlens/audit/entry\n" + hash + "\n")
}

// SignedBy reports whether the entry carries a valid signature of its hash
// by pub.
func (e Entry) SignedBy(pub ed25519.PublicKey) bool {
	if e.Sig == "" || len(pub) != ed25519.PublicKeySize {
		return false
	}
	sig, err := base64.StdEncoding.DecodeString(e.Sig)
	if err != nil {
		return false
	}
	return ed25519.Verify(pub, EntrySigningMessage(e.Hash), sig)
}

// Timestamp parses Time.
func (e Entry) Timestamp() (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, e.Time)
	if err != nil {
		return time.Time{}, fmt.Errorf("audit entry %d: time %q: %w", e.Seq, e.Time, err)
	}
	return t, nil
}

// object is the entry as a JSON object; withHash adds the "hash" key and,
// when the entry is signed, the "sig" key.
func (e Entry) object(withHash bool) (map[string]any, error) {
	fields, err := normalize(e.Fields)
	if err != nil {
		return nil, fmt.Errorf("audit entry %d (%s): %w", e.Seq, e.Event, err)
	}
	return e.objectOf(fields, withHash)
}

// objectOf is object over fields, which must be e.Fields normalized.
func (e Entry) objectOf(fields map[string]any, withHash bool) (map[string]any, error) {
	obj := make(map[string]any, len(fields)+6)
	for k, v := range fields {
		if isReserved(k) {
			return nil, fmt.Errorf("audit entry %d (%s): field %q is reserved", e.Seq, e.Event, k)
		}
		obj[k] = v
	}
	obj[keySeq] = json.Number(strconv.FormatInt(e.Seq, 10))
	obj[keyTime] = e.Time
	obj[keyEvent] = e.Event
	obj[keyPrev] = e.Prev
	if withHash {
		e.addHash(obj)
	}
	return obj, nil
}

// addHash adds the "hash" key and, when the entry is signed, "sig".
func (e Entry) addHash(obj map[string]any) {
	obj[keyHash] = e.Hash
	if e.Sig != "" {
		obj[keySig] = e.Sig
	}
}

// chainHash is an entry's hash: hex SHA-256 of prev followed by body, the
// canonical JSON of the entry without "hash" and "sig".
func chainHash(prev string, body []byte) string {
	h := sha256.New()
	io.WriteString(h, prev)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// ComputeHash returns the hash the entry must carry: hex SHA-256 of Prev
// followed by the canonical JSON of the entry without "hash" and "sig".
func (e Entry) ComputeHash() (string, error) {
	obj, err := e.object(false)
	if err != nil {
		return "", err
	}
	c, err := canonicalJSON(obj)
	if err != nil {
		return "", fmt.Errorf("audit entry %d (%s): %w", e.Seq, e.Event, err)
	}
	return chainHash(e.Prev, c), nil
}

// parsedDigests returns ComputeHash and LeafData of an entry ParseEntry
// decoded, building its canonical JSON once: the fields of a decoded line
// are normalized already (decoding is what normalize ends with), so they
// are not round-tripped again.
func (e Entry) parsedDigests() (hash string, leaf []byte, err error) {
	obj, err := e.objectOf(e.Fields, false)
	if err != nil {
		return "", nil, err
	}
	body, err := canonicalJSON(obj)
	if err != nil {
		return "", nil, fmt.Errorf("audit entry %d (%s): %w", e.Seq, e.Event, err)
	}
	e.addHash(obj)
	if leaf, err = canonicalJSON(obj); err != nil {
		return "", nil, fmt.Errorf("audit entry %d (%s): %w", e.Seq, e.Event, err)
	}
	return chainHash(e.Prev, body), leaf, nil
}

// MarshalJSON renders the entry as it is written to the log: canonical JSON
// including "hash" (and "sig" when signed), without the trailing newline.
func (e Entry) MarshalJSON() ([]byte, error) {
	obj, err := e.object(true)
	if err != nil {
		return nil, err
	}
	return canonicalJSON(obj)
}

// ParseEntry decodes one line of the log (with or without its newline). It
// checks the shape of the reserved keys, not the chain: use Verify or
// VerifySegment for that.
func ParseEntry(line []byte) (Entry, error) {
	line = bytes.TrimSuffix(line, []byte("\n"))
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return Entry{}, fmt.Errorf("not a JSON object: %w", err)
	}
	if obj == nil {
		return Entry{}, errors.New("not a JSON object: null")
	}
	if _, err := dec.Token(); err != io.EOF {
		return Entry{}, errors.New("trailing data after the JSON object")
	}
	var e Entry
	num, ok := obj[keySeq].(json.Number)
	if !ok {
		return Entry{}, errors.New(`"seq" missing or not a number`)
	}
	seq, err := strconv.ParseInt(num.String(), 10, 64)
	if err != nil || seq < 1 {
		return Entry{}, fmt.Errorf(`"seq" %s is not a positive integer`, num)
	}
	e.Seq = seq
	if e.Time, ok = obj[keyTime].(string); !ok {
		return Entry{}, errors.New(`"time" missing or not a string`)
	}
	if _, err := time.Parse(time.RFC3339Nano, e.Time); err != nil {
		return Entry{}, fmt.Errorf(`"time" %q is not RFC 3339`, e.Time)
	}
	if e.Event, ok = obj[keyEvent].(string); !ok || e.Event == "" {
		return Entry{}, errors.New(`"event" missing, empty or not a string`)
	}
	if e.Prev, ok = obj[keyPrev].(string); !ok || !isHexHash(e.Prev) {
		return Entry{}, errors.New(`"prev" missing or not 64 lower-case hex digits`)
	}
	if e.Hash, ok = obj[keyHash].(string); !ok || !isHexHash(e.Hash) {
		return Entry{}, errors.New(`"hash" missing or not 64 lower-case hex digits`)
	}
	if v, present := obj[keySig]; present {
		if e.Sig, ok = v.(string); !ok || e.Sig == "" {
			return Entry{}, errors.New(`"sig" is not a non-empty string`)
		}
	}
	e.Fields = make(map[string]any, len(obj))
	for k, v := range obj {
		if !isReserved(k) {
			e.Fields[k] = v
		}
	}
	return e, nil
}

func isHexHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f')
	}) < 0
}

// canonicalJSON encodes v as documented in the package comment. v must
// already be normalized (maps, slices, json.Number, strings, bools, nil), so
// that encoding is a pure function of the decoded content.
func canonicalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// normalize round-trips fields through JSON so that what is hashed at Append
// is exactly what a verifier decodes from the line: structs become maps,
// floats become the number literal Go writes, invalid UTF-8 becomes U+FFFD.
// Normalizing a normalized value changes nothing.
func normalize(fields map[string]any) (map[string]any, error) {
	if len(fields) == 0 {
		return map[string]any{}, nil
	}
	raw, err := canonicalJSON(fields)
	if err != nil {
		return nil, fmt.Errorf("encode fields: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("decode fields: %w", err)
	}
	return out, nil
}

// RotationStatement is what the old key signs when a key rotation retires
// it (key_rotated's from_key_sig): both key ids and the new public key, so
// the old key vouches for exactly one successor.
func RotationStatement(fromKeyID, toKeyID string, toPublic ed25519.PublicKey) []byte {
	return []byte("ledgerlens/key-rotation\n" + fromKeyID + "\n" + toKeyID + "\n" + base64.StdEncoding.EncodeToString(toPublic) + "\n")
}
