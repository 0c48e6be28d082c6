package pipeline

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

// IntegrityReport is the daily integrity check (SPEC §9): the ledger's
// append-only check, the audit chain against every signed checkpoint, and
// the output directories reconciled with the record of publication.
type IntegrityReport struct {
	Ledger     store.LedgerCheck
	StoreFound bool
	Audit      audit.Result
	AuditCheck AuditCheck
	Artifacts  []reports.FileCheck
	Problems   []string
}

// OK reports whether every check passed.
func (r IntegrityReport) OK() bool { return len(r.Problems) == 0 }

// CheckIntegrity runs every integrity check over the working root and
// lists every problem found. pub is the public key for signatures and
// checkpoints (nil: sidecars only, and any checkpoint is a problem). kept
// are checkpoint files an auditor kept. It takes no lock: every check only
// reads.
func CheckIntegrity(ctx context.Context, env Env, pub ed25519.PublicKey, kept ...string) (IntegrityReport, error) {
	l := env.Layout
	var rep IntegrityReport
	dirs := OutputDirs(l)
	ac, err := CheckAudit(l, dirs[0], pub, kept)
	if err != nil {
		return rep, err
	}
	rep.AuditCheck, rep.Audit = ac, ac.State.Chain
	rep.Problems = append(rep.Problems, ac.Problems...)

	if _, err := os.Stat(l.StoreFile); err == nil {
		rep.StoreFound = true
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
	} else if n := countEvents(ac.State.Entries, audit.EventIngest); n > 0 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("store %s is missing, but the audit log records %d ingests into it: it was deleted or moved",
			l.Rel(l.StoreFile), n))
	}

	checked, problems, err := Reconcile(l, ac.State.Entries, dirs, pub)
	if err != nil {
		return rep, err
	}
	rep.Artifacts = checked
	rep.Problems = append(rep.Problems, problems...)
	return rep, ctx.Err()
}

func countEvents(entries []audit.Entry, event string) int {
	n := 0
	for _, e := range entries {
		if e.Event == event {
			n++
		}
	}
	return n
}
