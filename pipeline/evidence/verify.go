package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/reports"
)

// ErrVerification matches (errors.Is) the error of a bundle that failed a
// check, as opposed to one that could not be read at all.
var ErrVerification = errors.New("evidence bundle failed verification")

// Problem is one failed check, naming the file (a member path) and, for
// the audit segment, the line and seq of the entry.
type Problem struct {
	File   string
	Line   int64 // audit segment line, 0 otherwise
	Seq    int64 // audit entry seq, 0 otherwise
	Detail string
}

func (p Problem) String() string {
	switch {
	case p.Line > 0 && p.Seq > 0:
		return fmt.Sprintf("%s line %d (audit entry seq %d): %s", p.File, p.Line, p.Seq, p.Detail)
	case p.Line > 0:
		return fmt.Sprintf("%s line %d: %s", p.File, p.Line, p.Detail)
	}
	return p.File + ": " + p.Detail
}

// Result is the outcome of verifying a bundle.
type Result struct {
	// KeyID is the key signatures were checked with; KeySource says where
	// it came from: "given" (the caller's) or "bundled" (keys/signing.pub,
	// which proves integrity only if you trust that key id).
	KeyID     string
	KeySource string
	PublicKey ed25519.PublicKey // nil when no usable key was found
	Index     *Index
	// Files counts the members checked against the index.
	Files int
	// Signed counts the artifacts whose signature verified.
	Signed int
	// Audit is the audit segment's chain check.
	Audit audit.Result
	// Checkpoint is the bundle's signed checkpoint of the log, when it
	// verified.
	Checkpoint *audit.Checkpoint
	// Head is the log's newest signed checkpoint when the bundle was
	// exported (audit/head), when it verified; headFrom its proofs by the
	// size they start from (CheckKept).
	Head     *audit.Checkpoint
	headFrom map[int64]tlog.TreeProof
	// Kept counts the kept checkpoints the head was found to extend
	// (CheckKept).
	Kept int
	// keys are the keys signatures were checked with, by id: the trusted
	// one and the retired ones the index lists.
	keys     map[string]ed25519.PublicKey
	Problems []Problem
}

// OK reports whether every check passed.
func (r *Result) OK() bool { return len(r.Problems) == 0 }

// Err returns nil when OK, else an error listing every problem (errors.Is
// ErrVerification).
func (r *Result) Err() error {
	if r.OK() {
		return nil
	}
	lines := make([]string, len(r.Problems))
	for i, p := range r.Problems {
		lines[i] = p.String()
	}
	return fmt.Errorf("%w: %s", ErrVerification, strings.Join(lines, "; "))
}

// Verify re-checks a bundle offline: index.json's sidecar and signature,
// every member's SHA-256 and size against the index (and no member missing
// or unlisted), every artifact's own sidecar and signature, and the audit
// segment's hash chain from the index's prev_hash. pub is the key to check
// signatures with; nil uses the bundled keys/signing.pub. The error is for
// a bundle that cannot be read as a zip, or ctx's when it ends before
// every member was read; failed checks are in the Result.
func Verify(ctx context.Context, r io.ReaderAt, size int64, pub ed25519.PublicKey) (*Result, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("verify evidence bundle: not a readable zip: %w", err)
	}
	res := &Result{}
	fail := func(file, format string, args ...any) {
		res.Problems = append(res.Problems, Problem{File: file, Detail: fmt.Sprintf(format, args...)})
	}
	members := map[string][]byte{}
	var names []string
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("verify evidence bundle: %w", err)
		}
		name := f.Name
		if name == "" || strings.HasPrefix(name, "/") || path.Clean(name) != name || strings.HasPrefix(name, "../") || name == ".." {
			fail(name, "unsafe member name")
			continue
		}
		if _, dup := members[name]; dup {
			fail(name, "member appears twice in the zip")
			continue
		}
		data, err := readMember(f)
		if err != nil {
			fail(name, "cannot be read: %v", err)
			members[name] = nil
			continue
		}
		members[name] = data
		names = append(names, name)
	}

	idxData, ok := members[IndexJSON]
	if !ok || idxData == nil {
		fail(IndexJSON, "missing: not an evidence bundle, or its index was removed")
		return res, nil
	}
	var idx Index
	if err := json.Unmarshal(idxData, &idx); err != nil {
		fail(IndexJSON, "not valid JSON: %v", err)
		return res, nil
	}
	if idx.Schema != Schema && idx.Schema != schemaV4 && idx.Schema != schemaV3 && idx.Schema != schemaV2 {
		fail(IndexJSON, "schema %q, want %q", idx.Schema, Schema)
	}
	res.Index = &idx

	res.KeySource = "given"
	if pub == nil {
		res.KeySource = "bundled"
		keyPath := idx.PublicKey
		if keyPath == "" {
			keyPath = PublicKeyMember
		}
		if pub, err = parsePublicKey(members[keyPath]); err != nil {
			fail(keyPath, "%v", err)
		}
	}
	if pub != nil {
		res.PublicKey = pub
		res.KeyID = reports.KeyID(pub)
		if idx.SigningKeyID != "" && idx.SigningKeyID != res.KeyID {
			fail(IndexJSON, "the bundle says it was signed with key %s, but signatures are checked with key %s", idx.SigningKeyID, res.KeyID)
		}
	}

	// Keys signatures are checked with, by id: the trusted key, and the
	// retired keys index.json lists (its signature, by the trusted key,
	// vouches for them; a forged list fails that signature).
	keys := map[string]ed25519.PublicKey{}
	res.keys = keys
	if pub != nil {
		keys[res.KeyID] = pub
	}
	for _, rk := range idx.RetiredKeys {
		k, err := parsePublicKey(members[rk.Path])
		switch {
		case err != nil:
			fail(rk.Path, "retired key %s: %v", rk.KeyID, err)
		case reports.KeyID(k) != rk.KeyID:
			fail(rk.Path, "holds key %s, index.json says %s", reports.KeyID(k), rk.KeyID)
		case pub != nil:
			keys[rk.KeyID] = k
		}
	}

	// check verifies an artifact's own sidecar and signature (with the key
	// named keyID, "" for the trusted one), reporting a problem under the
	// companion's name.
	check := func(name string, data []byte, sidecar, sig *string, keyID string) {
		key := pub
		if keyID != "" {
			var ok bool
			if key, ok = keys[keyID]; !ok && pub != nil {
				fail(name, "signed by retired key %s, which the bundle does not hold intact (index.json retired_keys)", keyID)
				return
			}
		}
		var sc, sg []byte
		if sidecar != nil {
			sc = members[*sidecar]
		}
		if sig != nil {
			sg = members[*sig]
		}
		c := reports.VerifyData(path.Base(name), data, sc, sg, key)
		if sidecar != nil && c.Sidecar.Status != reports.CheckOK {
			fail(*sidecar, "%s (sidecar of %s)", c.Sidecar.Detail, name)
		}
		if sig != nil && (c.Signature.Status == reports.CheckFailed || c.Signature.Status == reports.CheckMissing) {
			fail(*sig, "%s (signature of %s)", c.Signature.Detail, name)
		}
		if sig != nil && c.Signature.Status == reports.CheckOK {
			res.Signed++
		}
		if c.Sidecar.Status == reports.CheckFailed && c.Signature.Status == reports.CheckFailed {
			fail(name, "altered: neither its sidecar nor its signature matches its content")
		}
	}
	// The index is vouched for by its own sidecar and signature, which the
	// index cannot list; so they must be exactly as written (Ed25519 is
	// deterministic), not merely equivalent.
	isc, isg := indexSidecarName, indexSigName
	check(IndexJSON, idxData, &isc, &isg, "")
	if sc, ok := members[isc]; ok && sc != nil && !bytes.Equal(sc, reports.SidecarBytes(IndexJSON, idxData)) {
		fail(isc, "not the sidecar ledgerlens writes for index.json (altered)")
	}
	if sg, ok := members[isg]; ok && sg != nil {
		if raw, err := reports.ParseSignature(sg); err == nil && !bytes.Equal(sg, reports.SignatureBytes(raw)) {
			fail(isg, "not in the form ledgerlens writes (altered)")
		}
	}

	listed := map[string]bool{IndexJSON: true, indexSidecarName: true, indexSigName: true}
	for _, f := range idx.Files {
		listed[f.Path] = true
		data, ok := members[f.Path]
		if !ok {
			fail(f.Path, "listed in index.json but missing from the bundle")
			continue
		}
		if data == nil {
			continue // unreadable: already reported
		}
		res.Files++
		sum := reports.SHA256Hex(data)
		if sum != f.SHA256 || int64(len(data)) != f.Bytes {
			fail(f.Path, "content differs from index.json: sha256 %s (%d bytes), index says %s (%d bytes)", sum, len(data), f.SHA256, f.Bytes)
		}
		if f.Sidecar != nil || f.Signature != nil {
			check(f.Path, data, f.Sidecar, f.Signature, f.SignatureKeyID)
		}
	}
	for _, name := range names {
		if !listed[name] {
			fail(name, "in the bundle but not listed in index.json")
		}
	}

	segment := verifySegment(res, &idx, members)
	checkProofs(res, &idx, members, segment, pub)
	checkPeriods(res, &idx, members)
	if HoldsAcknowledgments(&idx) {
		checkAcknowledgments(res, &idx, members)
	}
	sort.SliceStable(res.Problems, func(i, j int) bool { return res.Problems[i].File < res.Problems[j].File })
	return res, nil
}

// checkAcknowledgments checks that every acknowledgment a bundled weekly
// report cites is in the bundle as the signed record it names (its
// sidecar, signature and record of publication are checked with every
// other file's), and that the record says what the report says of it:
// the same person and reason, listing the modification (by its audit seq)
// or naming the duplicate. A report claiming an acknowledgment the bundle
// cannot show fails.
func checkAcknowledgments(res *Result, idx *Index, members map[string][]byte) {
	kinds := map[string]string{}
	signed := map[string]bool{} // its signature is a member (checked with the others)
	for _, f := range idx.Files {
		kinds[f.Path] = f.Kind
		signed[f.Path] = f.Signature != nil && members[*f.Signature] != nil
	}
	for _, f := range idx.Files {
		if f.Kind != KindWeeklyReport || members[f.Path] == nil {
			continue
		}
		acks, err := citedAcknowledgments(members[f.Path])
		if err != nil {
			res.Problems = append(res.Problems, Problem{File: f.Path, Detail: err.Error()})
			continue
		}
		for _, a := range acks {
			name := ReviewsPrefix + path.Base(a.Record)
			fail := func(format string, args ...any) {
				res.Problems = append(res.Problems, Problem{File: f.Path, Detail: fmt.Sprintf("cites acknowledgment record %s, ", a.Record) + fmt.Sprintf(format, args...)})
			}
			data := members[name]
			if kinds[name] != KindLedgerAck || data == nil {
				fail("which the bundle does not hold as %s", name)
				continue
			}
			if !signed[name] {
				fail("which the bundle holds without its signature")
				continue
			}
			var rec struct {
				By            string `json:"by"`
				Reason        string `json:"reason"`
				Modifications []struct {
					AuditSeq int64 `json:"audit_seq"`
					ByteFrom int64 `json:"byte_from"`
					ByteTo   int64 `json:"byte_to"`
					LineFrom int64 `json:"line_from"`
					LineTo   int64 `json:"line_to"`
				} `json:"modifications"`
				Duplicates []struct {
					LineNo int64  `json:"line_no"`
					RunID  string `json:"run_id"`
				} `json:"duplicates"`
			}
			if err := json.Unmarshal(data, &rec); err != nil {
				fail("which cannot be read: %v", err)
				continue
			}
			if rec.By != a.By || rec.Reason != a.Reason {
				fail("which says acknowledged by %q (%q), the report %q (%q)", rec.By, rec.Reason, a.By, a.Reason)
				continue
			}
			if a.RunID == "" {
				// The record lists each modification it acknowledged, as
				// detected (its audit seq, when the report names it): its
				// line range alone would also cover a later edit of the
				// same lines, and the same bytes repeat for every edit of
				// one chunk.
				listed := false
				for _, m := range rec.Modifications {
					listed = listed || (m.ByteFrom == a.ByteFrom && m.ByteTo == a.ByteTo && m.LineFrom == a.LineFrom && m.LineTo == a.LineTo &&
						(a.AuditSeq == 0 || m.AuditSeq == a.AuditSeq))
				}
				if !listed {
					fail("which does not list the modification of bytes %d-%d (lines %d-%d, audit seq %d)", a.ByteFrom, a.ByteTo, a.LineFrom, a.LineTo, a.AuditSeq)
				}
				continue
			}
			named := false
			for _, d := range rec.Duplicates {
				named = named || (d.LineNo == a.LineNo && d.RunID == a.RunID)
			}
			if !named {
				fail("which does not name the conflicting duplicate on line %d (run %s)", a.LineNo, a.RunID)
			}
		}
	}
}

// verifySegment walks the audit segment's chain from the index's prev_hash
// and checks it ends where the index says.
func verifySegment(res *Result, idx *Index, members map[string][]byte) []audit.Entry {
	name := idx.Audit.Segment
	if name == "" {
		name = AuditSegment
	}
	data, ok := members[name]
	if !ok || data == nil {
		return nil // reported as missing or unreadable already
	}
	var entries []audit.Entry
	for i, line := range bytes.SplitAfter(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if line[len(line)-1] != '\n' {
			res.Problems = append(res.Problems, Problem{File: name, Line: int64(i + 1), Detail: "last line has no trailing newline (truncated)"})
			return nil
		}
		e, err := audit.ParseEntry(line)
		if err != nil {
			res.Problems = append(res.Problems, Problem{File: name, Line: int64(i + 1), Detail: err.Error()})
			return nil
		}
		entries = append(entries, e)
	}
	a := idx.Audit
	if !a.VerifiedFromStart {
		res.Problems = append(res.Problems, Problem{File: AuditVerifyFile, Detail: fmt.Sprintf(
			"at export the audit log's chain was broken before the segment's end (only %d entries from seq 1 verified): the log was tampered with", a.VerifiedEntries)})
	}
	res.Audit = audit.VerifySegment(entries, a.PrevHash)
	if b := res.Audit.Broken; b != nil {
		res.Problems = append(res.Problems, Problem{File: name, Line: b.Line, Seq: b.Seq,
			Detail: fmt.Sprintf("audit chain broken: %s: %s", b.Problem, b.Detail)})
		return entries
	}
	var first, last int64
	if len(entries) > 0 {
		first, last = entries[0].Seq, entries[len(entries)-1].Seq
	}
	if int64(len(entries)) != a.Entries || first != a.FirstSeq || last != a.LastSeq || res.Audit.HeadHash != a.HeadHash {
		res.Problems = append(res.Problems, Problem{File: name, Detail: fmt.Sprintf(
			"segment holds %d entries (seq %d–%d, head %s), index.json says %d (seq %d–%d, head %s): entries were added or removed",
			len(entries), first, last, res.Audit.HeadHash, a.Entries, a.FirstSeq, a.LastSeq, a.HeadHash)})
	}
	return entries
}

// BundledPublicKey returns the public key a bundle ships (index.json's
// public_key member, else keys/signing.pub), reading only those two
// members, for a check that must know the key before it expands the rest:
// the bundle's own signature is checked with it first.
func BundledPublicKey(r io.ReaderAt, size int64) (ed25519.PublicKey, error) {
	zr, idx, err := readIndex(r, size)
	if err != nil {
		return nil, err
	}
	keyPath := idx.PublicKey
	if keyPath == "" {
		keyPath = PublicKeyMember
	}
	data, err := readNamed(zr, keyPath, 1<<16)
	if err != nil {
		return nil, err
	}
	pub, err := parsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	return pub, nil
}

// ReadIndex reads a bundle's index.json, unchecked: for a bundle whose
// bytes are vouched for otherwise (one the audit log records this root
// exported), or before its signature is checked.
func ReadIndex(r io.ReaderAt, size int64) (*Index, error) {
	_, idx, err := readIndex(r, size)
	return idx, err
}

func readIndex(r io.ReaderAt, size int64) (*zip.Reader, *Index, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, nil, fmt.Errorf("not a readable zip: %w", err)
	}
	data, err := readNamed(zr, IndexJSON, maxIndexBytes)
	if err != nil {
		return nil, nil, err
	}
	var idx Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, nil, fmt.Errorf("%s: not valid JSON: %w", IndexJSON, err)
	}
	return zr, &idx, nil
}

// readNamed reads the member name of zr, refusing one larger than limit.
func readNamed(zr *zip.Reader, name string, limit uint64) ([]byte, error) {
	for _, f := range zr.File {
		if f.Name != name {
			continue
		}
		if f.UncompressedSize64 > limit {
			return nil, fmt.Errorf("%s: %d bytes, more than the %d it may have", name, f.UncompressedSize64, limit)
		}
		return readMember(f)
	}
	return nil, fmt.Errorf("%s: missing", name)
}

func readMember(f *zip.File) ([]byte, error) {
	if f.UncompressedSize64 > maxMemberBytes {
		return nil, fmt.Errorf("%d bytes, more than the %d a bundle member may have", f.UncompressedSize64, int64(maxMemberBytes))
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxMemberBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxMemberBytes {
		return nil, fmt.Errorf("more than %d bytes", int64(maxMemberBytes))
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// parsePublicKey decodes an SPKI PEM Ed25519 public key.
func parsePublicKey(data []byte) (ed25519.PublicKey, error) {
	if data == nil {
		return nil, errors.New("missing: no public key to check signatures with (pass one)")
	}
	return reports.ParsePublicKey(data)
}
