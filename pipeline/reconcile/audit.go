package reconcile

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/reports"
)

// AuditCheck is the audit log checked against every signed checkpoint
// that could be found.
type AuditCheck struct {
	State       *audit.State
	Checkpoints []job.NamedCheckpoint // every checkpoint that verified
	Problems    []string
	// Unchecked is the problem of signed checkpoints found with no key
	// to check them with (one of Problems): a check that could not run,
	// rather than one that found the log changed.
	Unchecked string
}

// OK reports whether the chain and every checkpoint check passed.
func (c AuditCheck) OK() bool { return len(c.Problems) == 0 }

// Audit verifies the root's audit log: its hash chain, and that it
// contains every signed checkpoint of it — those in the checkpoints file,
// those carried by every published report, and the kept files an auditor
// names (a file holding the note, as `jq -r .note` prints it, or lines of
// a checkpoints file). pub verifies the checkpoints' signatures; without
// it no checkpoint can be trusted and that is a problem when any exist.
// Every problem is listed, not only the first. It stops with ctx's error
// when ctx ends before every checkpoint was checked.
func Audit(ctx context.Context, l inputs.Layout, reviewsDir string, pub ed25519.PublicKey, kept []string) (AuditCheck, error) {
	return AuditFiles(ctx, l, l.AuditLog, job.AuditCheckpointsFile(l), reviewsDir, pub, kept)
}

// AuditFiles is Audit for a log, checkpoints file and reports
// directory named explicitly ("" for none), e.g. an exported log.
func AuditFiles(ctx context.Context, l inputs.Layout, logPath, checkpointsPath, reviewsDir string, pub ed25519.PublicKey, kept []string) (AuditCheck, error) {
	var c AuditCheck
	st, err := audit.Load(logPath)
	var notAFile *inputs.NotRegularError
	if errors.As(err, &notAFile) {
		// Not a log to read (a FIFO, a socket, a directory): one problem,
		// and the checks go on as for a log that holds nothing, every
		// checkpoint and record failing against it. Returned, it stopped
		// audit verify and verify all with exit 1, every other problem
		// unsaid (an outside review).
		c.Problems = append(c.Problems, fmt.Sprintf("audit log %s: %v", l.Rel(logPath), notAFile))
		st, err = audit.NoLog(logPath), nil
	}
	if err != nil {
		return c, err
	}
	c.State = st
	if !st.Chain.OK() {
		c.Problems = append(c.Problems, fmt.Sprintf("audit log %s: %v", l.Rel(logPath), st.Chain.Err()))
	}
	type candidate struct {
		source, note string
		stored       bool // a line of the checkpoints file
	}
	var cands []candidate
	if checkpointsPath != "" {
		stored, data, err := audit.ReadCheckpointsFile(checkpointsPath)
		if err != nil {
			c.Problems = append(c.Problems, err.Error())
		} else if p := job.CheckpointsFileProblem(l.Rel(checkpointsPath), st.Entries, data); p != "" {
			c.Problems = append(c.Problems, p)
		}
		for _, s := range stored {
			cands = append(cands, candidate{fmt.Sprintf("%s line %d", l.Rel(checkpointsPath), s.Line), s.Note, true})
		}
	}
	carried, err := carriedCheckpoints(reviewsDir)
	if err != nil {
		return c, err
	}
	for _, r := range carried {
		cands = append(cands, candidate{"report " + l.Rel(r.path), r.note, false})
	}
	keptNotes, err := audit.ReadKept(kept)
	if err != nil {
		return c, err
	}
	for _, k := range keptNotes {
		cands = append(cands, candidate{k.Source, k.Note, false})
	}
	if len(cands) > 0 && pub == nil {
		c.Unchecked = fmt.Sprintf("%d signed checkpoints found but no public key to verify them: pass --pubkey", len(cands))
		c.Problems = append(c.Problems, c.Unchecked)
		return c, nil
	}
	if pub == nil {
		return c, nil
	}
	v, err := job.CheckpointVerifier(pub)
	if err != nil {
		return c, err
	}
	var prev *job.NamedCheckpoint // the file's last line that verified
	for _, cand := range cands {
		if err := ctx.Err(); err != nil {
			return c, err
		}
		cv, retiredAt := v, int64(0)
		if o := audit.NoteOrigin(cand.note); strings.HasPrefix(o, audit.OriginPrefix) && o != v.Name() {
			// Made before a rotation, whose retired key the log carries; or
			// by a key nobody retired: the pair was replaced.
			if cv, retiredAt = job.RetiredVerifier(o, st.Entries, pub); cv == nil {
				c.Problems = append(c.Problems, fmt.Sprintf("%s: signed by %s, which no rotation signed by that key retired: the signing key was replaced", cand.source, o))
				continue
			}
		}
		cp, err := audit.OpenCheckpoint([]byte(cand.note), cv)
		if err != nil {
			c.Problems = append(c.Problems, fmt.Sprintf("%s: %v", cand.source, err))
			continue
		}
		if p := job.RetiredCheckpointProblem(cand.source, audit.NoteOrigin(cand.note), cp.Size, retiredAt); p != "" {
			c.Problems = append(c.Problems, p)
			continue
		}
		named := job.NamedCheckpoint{Source: cand.source, Checkpoint: cp}
		if cand.stored {
			// The file's lines in the order the jobs hold them to: an
			// older genuine line appended blocks every job.
			if prev != nil {
				if p := job.CheckpointOrderProblem(cand.source, cp, *prev); p != "" {
					c.Problems = append(c.Problems, p)
					continue
				}
			}
			prev = &named
		}
		c.Checkpoints = append(c.Checkpoints, named)
		if err := st.Check(cand.source, cp); err != nil {
			c.Problems = append(c.Problems, err.Error())
		}
	}
	// What no signed checkpoint covers must be signed entry by entry.
	size := c.Newest().Checkpoint.Size
	if p := audit.UnsignedProblem(l.Rel(logPath), job.UnsignedAfter(st.Entries, size, pub), size, reports.KeyID(pub)); p != "" {
		c.Problems = append(c.Problems, p)
	}
	// And so must what one covers, from the first entry the key signed:
	// a checkpoint's word is not taken for an entry no job of the key
	// wrote.
	var covered []int64
	for _, q := range job.UnsignedSinceSigned(st.Entries, pub) {
		if q <= size {
			covered = append(covered, q)
		}
	}
	if p := audit.UnsignedCoveredProblem(l.Rel(logPath), covered, reports.KeyID(pub)); p != "" {
		c.Problems = append(c.Problems, p)
	}
	return c, nil
}

// Newest returns the largest verified checkpoint (zero Checkpoint if none).
func (c AuditCheck) Newest() job.NamedCheckpoint {
	var best job.NamedCheckpoint
	for _, n := range c.Checkpoints {
		if n.Checkpoint.Size >= best.Checkpoint.Size {
			best = n
		}
	}
	return best
}

type carried struct{ path, note string }

// carriedCheckpoints reads the audit_checkpoint of every published weekly
// and SLA report in dir.
func carriedCheckpoints(dir string) ([]carried, error) {
	if dir == "" {
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if inputs.Gone(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list published reports: %w", err)
	}
	var out []carried
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".json") || !(strings.HasPrefix(name, "weekly_") || strings.HasPrefix(name, "sla_")) {
			continue
		}
		data, err := inputs.ReadRegular(filepath.Join(dir, name))
		if err != nil {
			// Not a regular file, or unreadable: verify all names it
			// (Dirs). Returned as an error, a symlink to nothing named
			// like a report hid every checkpoint problem of the log
			// (an outside review); one removed would hide no less.
			continue
		}
		var head struct {
			Checkpoint *string `json:"audit_checkpoint"`
		}
		if json.Unmarshal(data, &head) != nil || head.Checkpoint == nil {
			continue // unreadable reports are the reconcile's to report
		}
		out = append(out, carried{filepath.Join(dir, name), *head.Checkpoint})
	}
	sort.Slice(out, func(i, k int) bool { return out[i].path < out[k].path })
	return out, nil
}
