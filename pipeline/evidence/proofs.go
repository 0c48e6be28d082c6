package evidence

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/businesstime"
	"github.com/ledgerlens/ledgerlens/reports"
)

// Members that prove what the bundle holds (docs/COMPLIANCE.md).
const (
	CheckpointMember = "audit/checkpoint"
	ProofsMember     = "audit/proofs.json"
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

// newestSize is the size of the newest stored checkpoint (0 if none).
func newestSize(notes []string) int64 {
	if len(notes) == 0 {
		return 0
	}
	body, _, _ := strings.Cut(notes[len(notes)-1], "\n\n")
	c, err := audit.ParseCheckpointText(body + "\n")
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

// whyMissing says what the log knows of a week without a report.
func whyMissing(entries []audit.Entry, week string) string {
	base := "weekly_" + week
	preliminary := ""
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		switch e.Event {
		case audit.EventArtifactWritten:
			p, _ := e.Fields["path"].(string)
			switch name := path.Base(p); {
			case strings.HasPrefix(name, base+".preliminary."):
				// Not the week's report: a final one may still follow
				// (older entries), and says more.
				if preliminary == "" {
					preliminary = fmt.Sprintf("only a preliminary report was published (audit seq %d, %s); no final report of the week", e.Seq, p)
				}
			case strings.HasPrefix(name, base+"."):
				return fmt.Sprintf("published (audit seq %d, %s) but no longer in the reports directory", e.Seq, p)
			}
		case audit.EventJobEnd, audit.EventJobFail:
			if e.Fields["period"] == week {
				if msg, ok := e.Fields["error"].(string); ok {
					return fmt.Sprintf("the weekly job for this week failed (audit seq %d): %s", e.Seq, msg)
				}
			}
		}
	}
	if preliminary != "" {
		return preliminary
	}
	return "the audit log records no weekly review of this week"
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
