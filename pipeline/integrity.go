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
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

// IntegrityReport is the daily integrity check (SPEC §9): the ledger's
// append-only check, the audit chain, and every published artifact's
// sidecar and signature.
type IntegrityReport struct {
	Ledger    store.LedgerCheck
	Audit     audit.Result
	Artifacts []reports.FileCheck
	Problems  []string
}

// OK reports whether every check passed.
func (r IntegrityReport) OK() bool { return len(r.Problems) == 0 }

// CheckIntegrity runs every integrity check over the working root. pub is
// the public key for signatures (nil: sidecars only). It takes no lock:
// every check only reads.
func CheckIntegrity(ctx context.Context, env Env, pub ed25519.PublicKey) (IntegrityReport, error) {
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
	var err error
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
			check, err := reports.VerifyFile(f, pub)
			if err != nil {
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
