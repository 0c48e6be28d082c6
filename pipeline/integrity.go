package pipeline

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

// IntegrityReport is the daily integrity check (docs/COMPLIANCE.md,
// "Integrity"): the ledger's
// append-only check, the audit chain, and every published artifact's
// sidecar and signature.
type IntegrityReport struct {
	Ledger    store.LedgerCheck
	Audit     audit.Result
	Artifacts []reports.FileCheck
	// Unacknowledged are the ledger modifications detected earlier (the
	// store since rebuilt) that no operator has acknowledged yet.
	Unacknowledged []job.LedgerModification
	Problems       []string
}

// OK reports whether every check passed.
func (r IntegrityReport) OK() bool { return len(r.Problems) == 0 }

// CheckIntegrity runs every integrity check over the working root and lists
// every problem found, not only the first. pub is the public key for
// signatures (nil: sidecars only). It takes no lock and writes nothing:
// every check only reads (`verify all`). RunIntegrity is the same check as
// a job.
func CheckIntegrity(ctx context.Context, env job.Env, pub ed25519.PublicKey) (IntegrityReport, error) {
	l := env.Layout
	var rep IntegrityReport
	if _, err := os.Stat(l.StoreFile); err == nil {
		st, err := store.Open(ctx, l.StoreFile, store.Options{ReadOnly: true})
		if err != nil {
			return rep, err
		}
		rep.Ledger, err = st.VerifyLedger(ctx, l.Ledger)
		st.Close()
		if err != nil {
			return rep, err
		}
		if m := rep.Ledger.Modified; m != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("ledger %s: already-loaded bytes %d–%d (lines %d–%d) changed",
				l.Rel(l.Ledger), m.ByteFrom, m.ByteTo, m.LineFrom, m.LineTo))
		}
	}
	// A modification stays a problem after the store was rebuilt from the
	// changed ledger, until an operator acknowledges it.
	mods, err := job.LedgerModifications(l.AuditLog)
	if err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("audit log %s: %v", l.Rel(l.AuditLog), err))
	}
	rep.Unacknowledged = job.Unacknowledged(mods)
	for _, m := range rep.Unacknowledged {
		rep.Problems = append(rep.Problems, m.Problem())
	}
	rep.Audit, err = audit.VerifyFile(l.AuditLog)
	if err != nil {
		return rep, err
	}
	if !rep.Audit.OK() {
		rep.Problems = append(rep.Problems, fmt.Sprintf("audit log %s: %v", l.Rel(l.AuditLog), rep.Audit.Err()))
	}
	for _, dir := range []string{l.ReviewsDir, l.BaselineUpdatesDir} {
		files, err := publishedArtifacts(dir)
		if err != nil {
			return rep, err
		}
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			// A failed check is an ErrVerification with the check filled
			// in: it is one problem among the others, not the end of the
			// check.
			check, err := reports.VerifyFile(f, pub)
			if errors.Is(err, fs.ErrNotExist) {
				// A sidecar without its file (an interrupted publish): a
				// problem to list, not the end of the check.
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s: missing (its .sha256 sidecar exists)", l.Rel(f)))
				continue
			}
			if err != nil && !errors.Is(err, reports.ErrVerification) {
				return rep, err
			}
			rep.Artifacts = append(rep.Artifacts, check)
			if !check.OK() {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %s", l.Rel(f), strings.Join(check.Problems(), "; ")))
			}
		}
	}
	return rep, nil
}

// publishedArtifacts lists the files in dir that carry a .sha256 sidecar.
func publishedArtifacts(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".sha256"); ok && !e.IsDir() {
			out = append(out, filepath.Join(dir, name))
		}
	}
	sort.Strings(out)
	return out, nil
}

// RunIntegrity is the daily integrity-check job: CheckIntegrity under the
// lock (so no job publishes half-way through the check), bracketed in the
// audit log. Problems found are the job's result, in job_end's problems
// field and in the report; they are not an error.
func RunIntegrity(ctx context.Context, env job.Env, pub ed25519.PublicKey) (IntegrityReport, error) {
	var rep IntegrityReport
	err := job.Run(ctx, env, job.NameIntegrityCheck, nil, func(ctx context.Context, j *job.Job) (job.Outcome, error) {
		var err error
		if rep, err = CheckIntegrity(ctx, env, pub); err != nil {
			return job.Outcome{}, err
		}
		problems := rep.Problems
		if problems == nil {
			problems = []string{}
		}
		return job.Outcome{Fields: map[string]any{"artifacts": len(rep.Artifacts), "problems": problems}}, nil
	})
	return rep, err
}
