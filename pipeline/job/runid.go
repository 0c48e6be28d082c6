package job

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/ledgerlens/ledgerlens/reports"
)

// RunKey is what determines a job run's result, and so its identity.
type RunKey struct {
	Job       string // a Name* constant
	Period    string // the period's label, e.g. 2026-11-16 or 2026-11
	LedgerSHA string // SHA-256 of the ledger prefix the store covers
	// Unsigned and Supersede are the options that change the output.
	Unsigned, Supersede bool
	// Files lists every input file's digest (and any other source the
	// result depends on, as a pseudo-file).
	Files []reports.InputFile
}

// RunID derives the job run's id from its key: the first 16 hex digits of
// a SHA-256 over the job, the period, the ledger prefix, the options and
// every input digest. The same key always gives the same id, so a
// re-executed run finds its checkpoint (docs/RULES.md, "Jobs").
func RunID(k RunKey) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\nledger %s\nunsigned %t\nsupersede %t\n", k.Job, k.Period, k.LedgerSHA, k.Unsigned, k.Supersede)
	for _, f := range k.Files {
		fmt.Fprintf(h, "%s %s %s\n", f.Role, f.Path, f.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
