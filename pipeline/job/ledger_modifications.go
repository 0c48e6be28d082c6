package job

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
)

// LedgerModification is one ledger_modified detection as the audit log
// records it (a tamper_detected event), with the acknowledgment that
// covers it, if any. The audit log, not the store, is the record: the
// store is rebuilt from the changed ledger, the chained log is not.
type LedgerModification struct {
	AuditSeq   int64  // the tamper_detected entry
	DetectedAt string // its time, RFC 3339
	Ledger     string
	ByteFrom   int64
	ByteTo     int64
	LineFrom   int64
	LineTo     int64
	Ack        *LedgerAcknowledgment // nil: not acknowledged
}

// LedgerAcknowledgment is an operator's signed acknowledgment of the
// modifications detected (before it) within a line range.
type LedgerAcknowledgment struct {
	AuditSeq int64
	At       string
	LineFrom int64
	LineTo   int64
	By       string
	Reason   string
	Record   string // the signed record, relative to the root
}

// Problem is the one-line integrity problem an unacknowledged modification
// is, naming the fix.
func (m LedgerModification) Problem() string {
	return fmt.Sprintf("ledger %s: already-loaded lines %d–%d (bytes %d–%d) were modified (detected %s); the store was rebuilt from the changed ledger — record who and why with `ledgerlens ledger acknowledge --range %d-%d --by NAME --reason TEXT`",
		m.Ledger, m.LineFrom, m.LineTo, m.ByteFrom, m.ByteTo, m.DetectedAt, m.LineFrom, m.LineTo)
}

// LedgerModifications reads every ledger modification the audit log at
// path records, in detection order, each with the first later
// acknowledgment whose line range covers it. A missing log records none.
func LedgerModifications(path string) ([]LedgerModification, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := audit.ReadEntries(f)
	if err != nil {
		return nil, err
	}
	var mods []LedgerModification
	for _, e := range entries {
		switch e.Event {
		case audit.EventTamperDetected:
			if e.Fields["what"] != "ledger_modified" {
				continue
			}
			ledger, _ := e.Fields["ledger"].(string)
			mods = append(mods, LedgerModification{AuditSeq: e.Seq, DetectedAt: e.Time, Ledger: ledger,
				ByteFrom: fieldInt(e.Fields, "byte_from"), ByteTo: fieldInt(e.Fields, "byte_to"),
				LineFrom: fieldInt(e.Fields, "line_from"), LineTo: fieldInt(e.Fields, "line_to")})
		case audit.EventLedgerAcknowledged:
			by, _ := e.Fields["by"].(string)
			reason, _ := e.Fields["reason"].(string)
			record, _ := e.Fields["record"].(string)
			ack := &LedgerAcknowledgment{AuditSeq: e.Seq, At: e.Time, By: by, Reason: reason, Record: record,
				LineFrom: fieldInt(e.Fields, "line_from"), LineTo: fieldInt(e.Fields, "line_to")}
			for i := range mods {
				if m := &mods[i]; m.Ack == nil && ack.Covers(*m) {
					m.Ack = ack
				}
			}
		}
	}
	return mods, nil
}

// Covers reports whether the acknowledgment's line range holds m's.
func (a LedgerAcknowledgment) Covers(m LedgerModification) bool {
	return a.LineFrom <= m.LineFrom && m.LineTo <= a.LineTo
}

// Unacknowledged returns the modifications without an acknowledgment.
func Unacknowledged(mods []LedgerModification) []LedgerModification {
	var out []LedgerModification
	for _, m := range mods {
		if m.Ack == nil {
			out = append(out, m)
		}
	}
	return out
}

// IntegrityProblems is the integrity problems a job ends with
// (Outcome.Integrity): every unacknowledged ledger modification the audit
// log at path records.
func IntegrityProblems(path string) ([]string, error) {
	mods, err := LedgerModifications(path)
	if err != nil {
		return nil, fmt.Errorf("read ledger modifications from %s: %w", path, err)
	}
	var out []string
	for _, m := range Unacknowledged(mods) {
		out = append(out, m.Problem())
	}
	return out, nil
}

// fieldInt reads an integer audit field (json.Number); 0 when absent.
func fieldInt(fields map[string]any, key string) int64 {
	switch v := fields[key].(type) {
	case json.Number:
		n, _ := v.Int64()
		return n
	case float64:
		return int64(v)
	case int64:
		return v
	case int:
		return int64(v)
	}
	return 0
}
