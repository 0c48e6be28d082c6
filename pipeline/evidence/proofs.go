package evidence

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/businesstime"
	"github.com/ledgerlens/ledgerlens/reports"
)

// Members that prove what the bundle holds (docs/COMPLIANCE.md).
const (
	CheckpointMember = "audit/checkpoint"
	ProofsMember     = "audit/proofs.json"
	// HeadMember is the newest signed checkpoint of the log when the
	// bundle was exported (Head).
	HeadMember = "audit/head"
)

// Proofs is audit/proofs.json: the bundle's signed checkpoint of the audit
// log (audit/checkpoint, a C2SP tlog-checkpoint note), an inclusion proof
// for the audit entry recording each published file in the bundle, and a
// consistency proof from the checkpoint each report carries to the
// bundle's. Hashes are base64, as in the checkpoint.
type Proofs struct {
	Checkpoint  string        `json:"checkpoint"`
	TreeSize    int64         `json:"tree_size"`
	RootHash    string        `json:"root_hash"`
	Inclusion   []Inclusion   `json:"inclusion"`
	Consistency []Consistency `json:"consistency"`
	// Head is the log when the bundle was exported (absent from bundles
	// before v4).
	Head *Head `json:"head,omitempty"`
}

// Head is the audit log as it stood when the bundle was exported: its
// newest signed checkpoint then (audit/head), and a consistency proof to
// it from the size of every checkpoint the log's checkpoints file held,
// the bundle's own among them. The bundle's checkpoint is the first that
// covers its entries, which an older export of the range shares: without
// the head, a bundle exported before a week's report was superseded, put
// in place of a new one, verified as current (an outside review). A
// checkpoint its reader kept from an earlier delivery is checked against
// the head (Result.CheckKept): an older export, or one from a log rolled
// back since, is older than the kept checkpoint or does not extend it.
type Head struct {
	Checkpoint string      `json:"checkpoint"`
	TreeSize   int64       `json:"tree_size"`
	RootHash   string      `json:"root_hash"`
	From       []HeadProof `json:"from"`
}

// HeadProof proves the log of Size entries a prefix of the head's.
type HeadProof struct {
	Size  int64    `json:"size"`
	Proof []string `json:"proof"`
}

// Inclusion proves that the entry with Seq (in audit/segment.jsonl) is in
// the checkpointed log; the entry records File's publication.
type Inclusion struct {
	File  string   `json:"file"`
	Seq   int64    `json:"seq"`
	Proof []string `json:"proof"`
}

// Consistency proves that the log a report's audit_checkpoint describes
// is a prefix of the checkpointed log.
type Consistency struct {
	Report   string   `json:"report"`
	FromSize int64    `json:"from_size"`
	Proof    []string `json:"proof"`
}

// Period is one weekly period of the range and what the bundle holds of it.
type Period struct {
	Week string `json:"week"`
	// Status is present (the newest revision is in the bundle), missing
	// (no weekly report of this week was published or it is gone).
	Status     string   `json:"status"`
	Report     string   `json:"report,omitempty"`
	Revision   int      `json:"revision,omitempty"`
	Superseded []string `json:"superseded"`
	// Why says, for a missing week, what the audit log knows of it.
	Why string `json:"why,omitempty"`
}

// Period statuses.
const (
	PeriodPresent = "present"
	PeriodMissing = "missing"
)

func encodeHashes(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.String()
	}
	return out
}

func decodeHashes(ss []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(ss))
	for i, s := range ss {
		h, err := tlog.ParseHash(s)
		if err != nil {
			return nil, fmt.Errorf("proof hash %d: %w", i+1, err)
		}
		out[i] = h
	}
	return out, nil
}

// pickCheckpoint opens the stored checkpoints with the signer's key and
// returns the newest one (the log as it stood when the last finished job
// ended, before this export began) and the first one that covers every
// entry up to need: that one is the bundle's, so exporting the same range
// again gives the same bytes.
func pickCheckpoint(notes []string, pub ed25519.PublicKey, need int64) (audit.Checkpoint, error) {
	v, err := audit.NewCheckpointVerifier(reports.KeyID(pub), pub)
	if err != nil {
		return audit.Checkpoint{}, err
	}
	for i, n := range notes {
		if o := audit.NoteOrigin(n); o != v.Name() {
			continue // made with a previous key, before a rotation
		}
		c, err := audit.OpenCheckpoint([]byte(n), v)
		if err != nil {
			return audit.Checkpoint{}, fmt.Errorf("evidence export: stored checkpoint %d: %w", i+1, err)
		}
		if c.Size >= need {
			return c, nil
		}
	}
	return audit.Checkpoint{}, fmt.Errorf("evidence export: no signed checkpoint of the audit log covers seq %d (run a job to write one)", need)
}

// headOf returns the newest of the stored checkpoints signed with the
// signer's key (the log when the export began) and a consistency proof
// to it, in tree, from the size of every stored checkpoint up to it.
func headOf(notes []string, pub ed25519.PublicKey, tree *audit.Tree) (audit.Checkpoint, *Head, error) {
	v, err := audit.NewCheckpointVerifier(reports.KeyID(pub), pub)
	if err != nil {
		return audit.Checkpoint{}, nil, err
	}
	var newest audit.Checkpoint
	for i := len(notes) - 1; i >= 0; i-- {
		if audit.NoteOrigin(notes[i]) != v.Name() {
			continue
		}
		if newest, err = audit.OpenCheckpoint([]byte(notes[i]), v); err != nil {
			return audit.Checkpoint{}, nil, fmt.Errorf("evidence export: stored checkpoint %d: %w", i+1, err)
		}
		break
	}
	if newest.Size == 0 {
		return audit.Checkpoint{}, nil, errors.New("evidence export: no signed checkpoint of the audit log (run a job to write one)")
	}
	if root, err := tree.Root(newest.Size); err != nil || root != newest.Root {
		return audit.Checkpoint{}, nil, fmt.Errorf("evidence export: the audit log is inconsistent with its signed %s; run `ledgerlens audit verify`", newest)
	}
	h := &Head{Checkpoint: HeadMember, TreeSize: newest.Size, RootHash: newest.Root.String(), From: []HeadProof{}}
	seen := map[int64]bool{}
	for _, n := range notes {
		c, err := audit.UnverifiedCheckpoint(n)
		if err != nil || c.Size < 1 || c.Size > newest.Size || seen[c.Size] {
			continue
		}
		seen[c.Size] = true
		var proof tlog.TreeProof
		if c.Size < newest.Size {
			if proof, err = tree.ConsistencyProof(c.Size, newest.Size); err != nil {
				return audit.Checkpoint{}, nil, fmt.Errorf("evidence export: %w", err)
			}
		}
		h.From = append(h.From, HeadProof{Size: c.Size, Proof: encodeHashes(proof)})
	}
	sort.Slice(h.From, func(i, j int) bool { return h.From[i].Size < h.From[j].Size })
	return newest, h, nil
}

// newestSize is the size of the newest stored checkpoint (0 if none).
func newestSize(notes []string) int64 {
	if len(notes) == 0 {
		return 0
	}
	c, err := audit.UnverifiedCheckpoint(notes[len(notes)-1])
	if err != nil {
		return 0
	}
	return c.Size
}

// weeks lists the Mondays of the weekly periods overlapping [start, end),
// each at its first instant in start's zone (businesstime.Midnight).
func weeks(start, end time.Time) []time.Time {
	loc := start.Location()
	y, m, d := start.Date()
	d -= (int(start.Weekday()) + 6) % 7 // back to Monday
	var out []time.Time
	for w := businesstime.Midnight(y, m, d, loc); w.Before(end); w = businesstime.Midnight(y, m, d, loc) {
		out = append(out, w)
		d += 7
	}
	return out
}

// whyMissing says what the log knows of a week without a report. end is
// the week's end; weeklyJob names the weekly job in the log, whose failures
// after end that named no week (a job given no --week that failed before
// it decided its week) are said too: any of them may have been this
// week's, later than the failure that names it (an outside review).
func whyMissing(entries []audit.Entry, week string, end time.Time, weeklyJob string) string {
	preliminary := ""
	var unnamed []audit.Entry // newest first, wherever they are in the log
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if _, named := e.Fields["period"]; named || e.Event != audit.EventJobFail || e.Fields["job"] != weeklyJob {
			continue
		}
		if t, err := time.Parse(time.RFC3339, e.Time); err == nil && !t.Before(end) {
			unnamed = append(unnamed, e)
		}
	}
	withUnnamed := func(msg string) string {
		if len(unnamed) == 0 {
			return msg
		}
		e := unnamed[0]
		return fmt.Sprintf("%s; %d weekly job(s) after the week ended failed before naming the week they were for, the newest at audit seq %d: %s",
			msg, len(unnamed), e.Seq, e.Fields["error"])
	}
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		switch e.Event {
		case audit.EventArtifactWritten:
			// The week's report or workbook, or the sidecar or signature
			// of one.
			p, _ := e.Fields["path"].(string)
			name := strings.TrimSuffix(strings.TrimSuffix(path.Base(p), reports.SignatureExt), reports.SidecarExt)
			switch n, ok := reports.ParseName(name); {
			case !ok || n.Kind != reports.PublicationWeekly || n.Label != week:
			case n.Preliminary:
				// Not the week's report: a final one may still follow
				// (older entries), and says more.
				if preliminary == "" {
					preliminary = fmt.Sprintf("only a preliminary report was published (audit seq %d, %s); no final report of the week", e.Seq, p)
				}
			default:
				return fmt.Sprintf("published (audit seq %d, %s) but no longer in the reports directory", e.Seq, p)
			}
		case audit.EventJobEnd, audit.EventJobFail:
			// A preliminary report's job says nothing of the final one.
			if e.Fields["period"] == week && e.Fields["preliminary"] != true {
				if msg, ok := e.Fields["error"].(string); ok {
					return withUnnamed(fmt.Sprintf("the weekly job for this week failed (audit seq %d): %s", e.Seq, msg))
				}
			}
		}
	}
	if preliminary != "" {
		return withUnnamed(preliminary)
	}
	return withUnnamed("the audit log records no weekly review of this week")
}

// checkProofs verifies audit/checkpoint and audit/proofs.json against the
// segment's entries and the bundle's files.
func checkProofs(res *Result, idx *Index, members map[string][]byte, segment []audit.Entry, pub ed25519.PublicKey) {
	fail := func(file, format string, args ...any) {
		res.Problems = append(res.Problems, Problem{File: file, Detail: fmt.Sprintf(format, args...)})
	}
	cpData, pData := members[CheckpointMember], members[ProofsMember]
	if cpData == nil || pData == nil {
		fail(ProofsMember, "missing: the bundle does not prove its audit entries belong to a signed checkpoint of the log")
		return
	}
	if pub == nil {
		return // no key: reported already
	}
	v, err := audit.NewCheckpointVerifier(reports.KeyID(pub), pub)
	if err != nil {
		fail(CheckpointMember, "%v", err)
		return
	}
	cp, err := audit.OpenCheckpoint(cpData, v)
	if err != nil {
		fail(CheckpointMember, "%v", err)
		return
	}
	res.Checkpoint = &cp
	var pr Proofs
	if err := json.Unmarshal(pData, &pr); err != nil {
		fail(ProofsMember, "not valid JSON: %v", err)
		return
	}
	if pr.TreeSize != cp.Size || pr.RootHash != cp.Root.String() {
		fail(ProofsMember, "tree %d %s is not the checkpoint's (%d %s)", pr.TreeSize, pr.RootHash, cp.Size, cp.Root)
	}
	bySeq := map[int64]audit.Entry{}
	for _, e := range segment {
		bySeq[e.Seq] = e
	}
	proved := map[string]bool{}
	for _, in := range pr.Inclusion {
		e, ok := bySeq[in.Seq]
		if !ok {
			fail(in.File, "its audit record (seq %d) is not in %s: an audit entry was removed", in.Seq, AuditSegment)
			continue
		}
		hs, err := decodeHashes(in.Proof)
		if err != nil {
			fail(in.File, "inclusion proof: %v", err)
			continue
		}
		if err := audit.CheckInclusion(tlog.RecordProof(hs), e, cp.Size, cp.Root); err != nil {
			fail(in.File, "inclusion proof of audit seq %d fails: %v", in.Seq, err)
			continue
		}
		sum, _ := e.Fields["sha256"].(string)
		p, _ := e.Fields["path"].(string)
		data := members[in.File]
		if e.Event != audit.EventArtifactWritten || path.Base(p) != path.Base(in.File) || data == nil || reports.SHA256Hex(data) != sum {
			fail(in.File, "audit seq %d does not record this file's publication (it records %s %s)", in.Seq, p, sum)
			continue
		}
		proved[in.File] = true
	}
	for _, f := range idx.Files {
		if strings.HasPrefix(f.Path, ReviewsPrefix) || strings.HasPrefix(f.Path, BaselinesPrefix) {
			if !proved[f.Path] {
				fail(f.Path, "no proven audit record of its publication in the bundle")
			}
		}
	}
	consistent := map[string]bool{}
	for _, c := range pr.Consistency {
		consistent[c.Report] = true
		var head struct {
			Checkpoint *string `json:"audit_checkpoint"`
		}
		if err := json.Unmarshal(members[c.Report], &head); err != nil || head.Checkpoint == nil {
			fail(c.Report, "consistency proof for a report without an audit_checkpoint")
			continue
		}
		rc, err := audit.OpenCheckpoint([]byte(*head.Checkpoint), v)
		if err != nil {
			fail(c.Report, "its audit_checkpoint: %v", err)
			continue
		}
		hs, err := decodeHashes(c.Proof)
		if err == nil {
			err = audit.CheckConsistency(tlog.TreeProof(hs), rc.Size, rc.Root, cp.Size, cp.Root)
		}
		if err != nil || rc.Size != c.FromSize {
			fail(c.Report, "the log its audit_checkpoint (size %d) describes is not a prefix of the bundle's checkpoint (size %d): %v", rc.Size, cp.Size, err)
		}
	}
	for _, f := range idx.Files {
		if f.Kind != KindWeeklyReport && f.Kind != KindSLAReport || consistent[f.Path] {
			continue
		}
		var head struct {
			Checkpoint *string `json:"audit_checkpoint"`
		}
		if json.Unmarshal(members[f.Path], &head) == nil && head.Checkpoint != nil && audit.NoteOrigin(*head.Checkpoint) == v.Name() {
			fail(f.Path, "carries an audit_checkpoint but the bundle has no consistency proof from it")
		}
	}
	if len(segment) > 0 && segment[len(segment)-1].Seq > cp.Size {
		fail(AuditSegment, "holds entries beyond the bundle's checkpoint (size %d)", cp.Size)
	}
	checkHead(res, idx, members, pr.Head, cp, v)
}

// checkHead checks audit/head, the log's newest signed checkpoint when
// the bundle was exported, against the bundle's checkpoint, and keeps it
// and its proofs for Result.CheckKept.
func checkHead(res *Result, idx *Index, members map[string][]byte, h *Head, cp audit.Checkpoint, v note.Verifier) {
	fail := func(file, format string, args ...any) {
		res.Problems = append(res.Problems, Problem{File: file, Detail: fmt.Sprintf(format, args...)})
	}
	if h == nil {
		if StatesHead(idx) {
			fail(ProofsMember, "states no head of the audit log: the bundle does not say how far the log had grown when it was exported")
		}
		return
	}
	data := members[HeadMember]
	if h.Checkpoint != HeadMember || data == nil {
		fail(HeadMember, "missing: the bundle does not hold the checkpoint of the log when it was exported")
		return
	}
	hc, err := audit.OpenCheckpoint(data, v)
	if err != nil {
		fail(HeadMember, "%v", err)
		return
	}
	if h.TreeSize != hc.Size || h.RootHash != hc.Root.String() || idx.Audit.HeadSize != hc.Size {
		fail(ProofsMember, "head %d %s is not the head checkpoint's (%d %s; index.json says size %d)", h.TreeSize, h.RootHash, hc.Size, hc.Root, idx.Audit.HeadSize)
		return
	}
	from := map[int64]tlog.TreeProof{}
	for _, p := range h.From {
		hs, err := decodeHashes(p.Proof)
		if err != nil || p.Size < 1 || p.Size > hc.Size {
			fail(ProofsMember, "head proof from size %d: not a proof to the head (size %d): %v", p.Size, hc.Size, err)
			continue
		}
		from[p.Size] = tlog.TreeProof(hs)
	}
	proof, ok := from[cp.Size]
	if !ok {
		fail(ProofsMember, "no consistency proof from the bundle's checkpoint (size %d) to the head (size %d)", cp.Size, hc.Size)
		return
	}
	if err := audit.CheckConsistency(proof, cp.Size, cp.Root, hc.Size, hc.Root); err != nil {
		fail(HeadMember, "the log the bundle's checkpoint describes is not a prefix of the head: %v", err)
		return
	}
	res.Head, res.headFrom = &hc, from
}

// CheckKept checks the bundle against a signed checkpoint of the audit log
// that its reader kept — from an earlier delivery's audit/head, a report's
// audit_checkpoint, or a witness copy of the checkpoints file — named
// source in the problem it adds: the log the bundle was exported from must
// have grown from it. A bundle exported before the kept checkpoint was
// signed (an older export of the range put in place of a new one), or
// from a log rolled back and rewritten since, fails. Call it after Verify.
func (r *Result) CheckKept(source, kept string) {
	fail := func(format string, args ...any) {
		r.Problems = append(r.Problems, Problem{File: HeadMember, Detail: source + ": " + fmt.Sprintf(format, args...)})
	}
	if r.PublicKey == nil {
		return // no key: reported already
	}
	keyID := strings.TrimPrefix(audit.NoteOrigin(kept), audit.OriginPrefix)
	key, ok := r.keys[keyID]
	switch {
	case ok && keyID != r.KeyID && r.KeySource == "bundled":
		// The retired keys are listed by an index signed with the key the
		// bundle ships: whoever made the bundle chose them. A bundle
		// signed with a forger's key listed the real key as retired and
		// passed a real witness (an outside review).
		fail("signed by key %s, which this bundle lists as retired; but the bundle is checked with the key it ships (%s), so that list vouches for nothing: pass --pubkey", keyID, r.KeyID)
		return
	case !ok:
		fail("signed by key %s, neither the bundle's key (%s) nor a retired key it lists", keyID, r.KeyID)
		return
	}
	v, err := audit.NewCheckpointVerifier(keyID, key)
	if err != nil {
		fail("%v", err)
		return
	}
	w, err := audit.OpenCheckpoint([]byte(kept), v)
	if err != nil {
		fail("%v", err)
		return
	}
	switch proof, ok := r.headFrom[w.Size]; {
	case r.Head == nil:
		fail("the bundle states no head of the log it was exported from (a bundle of an earlier ledgerlens, or its head failed), so it cannot show it is not older than your checkpoint of %d entries: ask for a new export", w.Size)
	case w.Size > r.Head.Size:
		fail("the bundle was exported when the audit log held %d entries, before your checkpoint of %d entries was signed: an older export put in place of a newer one, or one from a log rolled back since. (An export records itself after it is built, so a checkpoint taken after this bundle was exported is always newer: check against one taken when you asked for it, before its export: a witness copy)", r.Head.Size, w.Size)
	case !ok:
		fail("the log the bundle was exported from (%d entries) held no checkpoint of %d entries, as yours is: it is not the log your checkpoint was signed over (rolled back and rewritten?)", r.Head.Size, w.Size)
	default:
		if err := audit.CheckConsistency(proof, w.Size, w.Root, r.Head.Size, r.Head.Root); err != nil {
			fail("the log the bundle was exported from (%d entries) does not extend the one your checkpoint was signed over: it was rolled back and rewritten (%v)", r.Head.Size, err)
			return
		}
		r.Kept++
	}
}

// sortInclusion orders proofs by file.
func sortInclusion(in []Inclusion) {
	sort.Slice(in, func(i, j int) bool { return in[i].File < in[j].File })
}

// checkPeriods checks the index's weekly periods against the bundle's
// files: a week said present has its report in the bundle, and a week
// with a report in the bundle is not said missing.
func checkPeriods(res *Result, idx *Index, members map[string][]byte) {
	for _, p := range idx.Periods {
		switch p.Status {
		case PeriodPresent:
			if members[p.Report] == nil {
				res.Problems = append(res.Problems, Problem{File: IndexJSON, Detail: fmt.Sprintf("week %s is listed as present as %s, which the bundle does not hold", p.Week, p.Report)})
			}
		case PeriodMissing:
			if members[ReviewsPrefix+"weekly_"+p.Week+".json"] != nil {
				res.Problems = append(res.Problems, Problem{File: IndexJSON, Detail: fmt.Sprintf("week %s is listed as missing but its report is in the bundle", p.Week)})
			}
		default:
			res.Problems = append(res.Problems, Problem{File: IndexJSON, Detail: fmt.Sprintf("week %s has status %q", p.Week, p.Status)})
		}
	}
}
