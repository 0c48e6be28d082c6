package baselines

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// RecordCheck is what VerifyRecords found for one record.
type RecordCheck struct {
	File        string // proposal_<id>.json or approval_<id>.json
	Principal   string // the person the record names
	Fingerprint string // of the key whose signature verified; "" when none did
	Problems    []string
}

// OK reports whether the record passed every check.
func (c RecordCheck) OK() bool { return len(c.Problems) == 0 }

// VerifyRecords checks who made and who approved every change in dir, as
// docs/COMPLIANCE.md has an auditor do with `ssh-keygen -Y verify`: each
// proposal's and approval's .sshsig is a valid signature of its bytes by
// a key the approvers file lists for the person the record names; each
// approval names another person than its proposal, was signed with
// another key, records the proposer's key that actually signed the
// proposal, and pins the proposal's bytes. A record that cannot be
// checked is a problem of that record, not an error; an error means the
// directory could not be read.
func VerifyRecords(dir string, a *Approvers) ([]RecordCheck, error) {
	var out []RecordCheck
	recs, err := loadRecords(dir, func(name string, err error) {
		// Unreadable, or under another record's name: checked no further,
		// and the rest still are (it stopped the whole check, exit 1).
		out = append(out, RecordCheck{File: name, Problems: []string{err.Error()}})
	})
	if err != nil {
		return nil, err
	}
	keys := map[string]string{} // proposal id → fingerprint of its signing key
	check := func(base, principal, at string) RecordCheck {
		c := RecordCheck{File: base + ".json", Principal: principal}
		t, err := parseRecordTime(at)
		if err != nil {
			c.Problems = append(c.Problems, err.Error())
			return c
		}
		id, err := a.VerifySigner(dir, base, principal, t)
		if err != nil {
			var r *Refusal
			if !errors.As(err, &r) {
				c.Problems = append(c.Problems, err.Error())
			} else {
				c.Problems = append(c.Problems, r.Reason)
			}
			return c
		}
		c.Fingerprint = id.Fingerprint
		return c
	}
	for _, p := range recs.Proposals {
		c := check(ProposalBase(p.ProposalID), p.ProposedBy, p.ProposedAt)
		keys[p.ProposalID] = c.Fingerprint
		out = append(out, c)
	}
	for _, ap := range recs.Approvals {
		c := check(ApprovalBase(ap.ProposalID), ap.ApprovedBy, ap.ApprovedAt)
		if SamePerson(ap.ApprovedBy, ap.ProposedBy) {
			c.Problems = append(c.Problems, fmt.Sprintf("approved by its proposer %s", ap.ProposedBy))
		}
		proposer, known := keys[ap.ProposalID]
		switch {
		case !known:
			c.Problems = append(c.Problems, fmt.Sprintf("its proposal %s is missing", ProposalBase(ap.ProposalID)+".json"))
		case proposer != "" && proposer != ap.ProposerKey:
			c.Problems = append(c.Problems, fmt.Sprintf("records proposer key %s, but the proposal was signed with %s", ap.ProposerKey, proposer))
		case proposer != "" && proposer == c.Fingerprint:
			c.Problems = append(c.Problems, fmt.Sprintf("signed with the proposer's key %s", proposer))
		}
		if known {
			data, err := inputs.ReadRegular(filepath.Join(dir, ProposalBase(ap.ProposalID)+".json"))
			sum := sha256.Sum256(data)
			if err != nil || hex.EncodeToString(sum[:]) != ap.ProposalSHA256 {
				c.Problems = append(c.Problems, fmt.Sprintf("proposal_sha256 %s does not match %s", ap.ProposalSHA256, ProposalBase(ap.ProposalID)+".json"))
			}
		}
		out = append(out, c)
	}
	return out, nil
}
