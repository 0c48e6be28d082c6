package job

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"syscall"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
)

// LedgerModification is one ledger_modified detection as the audit log
// records it (a tamper_detected event), with the acknowledgment that
// covers it, if any. The audit log, not the store, is the record: the
// store is rebuilt from the changed ledger, the chained log is not.
type LedgerModification struct {
	AuditSeq   int64  // the tamper_detected entry
	DetectedAt string // its time, RFC 3339
	// IngestSeq is the store's number of the ingest that found it, as
	// the ingest entry recorded just before it says (0 when none did):
	// what the store said then, whatever a rebuilt store says now.
	IngestSeq int64
	Ledger    string
	ByteFrom  int64
	ByteTo    int64
	LineFrom  int64
	LineTo    int64
	Ack       *LedgerAcknowledgment // nil: not acknowledged
}

// LedgerAcknowledgment is an operator's signed acknowledgment of the
// modifications detected (before it) within a line range, and of the
// conflicting duplicates it names.
type LedgerAcknowledgment struct {
	AuditSeq int64
	At       string
	LineFrom int64
	LineTo   int64
	By       string
	Reason   string
	Record   string // the signed record, relative to the root
	// Duplicates are the conflicting duplicates the acknowledgment names,
	// each by line and run id: a line that later holds another run id (the
	// ledger was rewritten) is not covered.
	Duplicates []AcknowledgedDuplicate
}

// AcknowledgedDuplicate names one acknowledged conflicting duplicate.
type AcknowledgedDuplicate struct {
	LineNo int64  `json:"line_no"`
	RunID  string `json:"run_id"`
}

// LedgerDuplicate is a conflicting duplicate the store holds, with the
// acknowledgment that names it, if any.
type LedgerDuplicate struct {
	store.ConflictingDuplicate
	Ack *LedgerAcknowledgment // nil: not acknowledged
}

// Problem is the one-line integrity problem an unacknowledged conflicting
// duplicate is, naming the fix. ledger is the ledger's path as reported.
func (d LedgerDuplicate) Problem(ledger string) string {
	return fmt.Sprintf("ledger %s: line %d repeats run id %q of line %d with different content (a conflicting duplicate; line %d counts) — review it and record who and why with `ledgerlens ledger acknowledge --range %d-%d --by NAME --reason TEXT`",
		ledger, d.LineNo, d.RunID, d.FirstLineNo, d.FirstLineNo, d.LineNo, d.LineNo)
}

// Problem is the one-line integrity problem an unacknowledged modification
// is, naming the fix.
func (m LedgerModification) Problem() string {
	return fmt.Sprintf("ledger %s: already-loaded lines %d–%d (bytes %d–%d) were modified (detected %s); the store was rebuilt from the changed ledger — record who and why with `ledgerlens ledger acknowledge --range %d-%d --by NAME --reason TEXT`",
		m.Ledger, m.LineFrom, m.LineTo, m.ByteFrom, m.ByteTo, m.DetectedAt, m.LineFrom, m.LineTo)
}

// LedgerRecord is what the audit log records about the ledger: the
// modifications ingests detected, in detection order, each with the first
// later acknowledgment whose line range covers it, and every
// acknowledgment. Make it once per use (LedgerRecordOf): it walks the
// whole log.
type LedgerRecord struct {
	Modifications []LedgerModification
	acks          []*LedgerAcknowledgment
}

// LedgerRecordOf is the ledger record of entries, a verified audit log
// (a job's EntriesSoFar, a verifier's audit.State). It is never read
// from the file again once it was verified: an entry rewritten in place
// after the check, as a forged acknowledgment, and put back before the
// job's closing checkpoint, was taken for a real one, and a report
// stating it was published, signed, exit 0 (an outside review).
func LedgerRecordOf(entries []audit.Entry) LedgerRecord {
	mods, acks := ledgerRecordOf(entries)
	return LedgerRecord{Modifications: mods, acks: acks}
}

// Digest identifies the record for a run's key (RunKey.Files): the
// modifications found and the acknowledgments given are inputs of a
// report as much as the ledger's bytes are, and a run resumed after either
// changed must not reuse an analysis made before (a ledger edited, the
// edit recorded by another job, the ledger then restored, gives the same
// prefix again but not the same record).
func (r LedgerRecord) Digest() (string, error) {
	data, err := json.Marshal(struct {
		Modifications []LedgerModification
		Acks          []*LedgerAcknowledgment
	}{r.Modifications, r.acks})
	if err != nil {
		return "", fmt.Errorf("digest the ledger record: %w", err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// Duplicates pairs each conflicting duplicate in dups with the
// acknowledgment that names it, if any.
func (r LedgerRecord) Duplicates(dups []store.ConflictingDuplicate) []LedgerDuplicate {
	out := make([]LedgerDuplicate, len(dups))
	for i, d := range dups {
		out[i].ConflictingDuplicate = d
		for _, a := range r.acks {
			if a.Names(d) {
				out[i].Ack = a
				break
			}
		}
	}
	return out
}

// Problems lists, one line each, every unacknowledged modification and
// every conflicting duplicate of dups no acknowledgment names (docs/RULES.md,
// "Integrity problems"). ledger names the ledger in the problems.
func (r LedgerRecord) Problems(ledger string, dups []store.ConflictingDuplicate) []string {
	var out []string
	for _, m := range Unacknowledged(r.Modifications) {
		out = append(out, m.Problem())
	}
	for _, d := range r.Duplicates(dups) {
		if d.Ack == nil {
			out = append(out, d.Problem(ledger))
		}
	}
	return out
}

// LedgerRecordAtStart is the ledger record of the log as the job opened
// and verified it, before anything it appends: what earlier jobs
// reported and acknowledged.
func (j *Job) LedgerRecordAtStart() LedgerRecord { return LedgerRecordOf(j.Entries()) }

// LedgerRecord is the ledger record of the log as the job verified it,
// with what the job appended since (EntriesSoFar): what its own ingest
// found too.
func (j *Job) LedgerRecord() LedgerRecord { return LedgerRecordOf(j.EntriesSoFar()) }

// ledgerRecordOf collects the modifications and acknowledgments of
// entries, each modification with the acknowledgment that covers it.
func ledgerRecordOf(entries []audit.Entry) ([]LedgerModification, []*LedgerAcknowledgment) {
	var (
		mods []LedgerModification
		acks []*LedgerAcknowledgment
	)
	var ingestSeq int64 // of the newest ingest entry so far
	for _, e := range entries {
		switch e.Event {
		case audit.EventIngest:
			ingestSeq = fieldInt(e.Fields, "ingest_seq")
		case audit.EventTamperDetected:
			if e.Fields["what"] != "ledger_modified" {
				continue
			}
			ledger, _ := e.Fields["ledger"].(string)
			mods = append(mods, LedgerModification{AuditSeq: e.Seq, DetectedAt: e.Time, Ledger: ledger, IngestSeq: ingestSeq,
				ByteFrom: fieldInt(e.Fields, "byte_from"), ByteTo: fieldInt(e.Fields, "byte_to"),
				LineFrom: fieldInt(e.Fields, "line_from"), LineTo: fieldInt(e.Fields, "line_to")})
		case audit.EventLedgerAcknowledged:
			by, _ := e.Fields["by"].(string)
			reason, _ := e.Fields["reason"].(string)
			record, _ := e.Fields["record"].(string)
			ack := &LedgerAcknowledgment{AuditSeq: e.Seq, At: e.Time, By: by, Reason: reason, Record: record,
				LineFrom: fieldInt(e.Fields, "line_from"), LineTo: fieldInt(e.Fields, "line_to"),
				Duplicates: fieldDuplicates(e.Fields)}
			acks = append(acks, ack)
			for i := range mods {
				if m := &mods[i]; m.Ack == nil && ack.Covers(*m) {
					m.Ack = ack
				}
			}
		}
	}
	return mods, acks
}

// Covers reports whether the acknowledgment's line range holds m's.
func (a LedgerAcknowledgment) Covers(m LedgerModification) bool {
	return a.LineFrom <= m.LineFrom && m.LineTo <= a.LineTo
}

// Names reports whether the acknowledgment names the conflicting
// duplicate d (its line and run id).
func (a LedgerAcknowledgment) Names(d store.ConflictingDuplicate) bool {
	for _, x := range a.Duplicates {
		if x.LineNo == d.LineNo && x.RunID == d.RunID {
			return true
		}
	}
	return false
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

// LedgerProblemsAgainstLog lists, one line each, the ledger's problems a
// job that does not open the store can tell: every modification the audit
// log records and no one acknowledged (LedgerRecord.Problems, without the
// store's conflicting duplicates), and the bytes the log's newest ingest
// vouched for, changed or gone since, which it reads now
// (LedgerAgainstLog: the whole recorded prefix, hashed).
func (j *Job) LedgerProblemsAgainstLog(ctx context.Context) ([]string, error) {
	l := j.env.Layout
	problems := j.LedgerRecordAtStart().Problems(l.Rel(l.Ledger), nil)
	m, err := LedgerAgainstLog(ctx, j.Entries(), l.Ledger, 0, "")
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, fs.ErrNotExist):
		problems = append(problems, fmt.Sprintf("ledger %s: missing, while the audit log records ingests of it", l.Rel(l.Ledger)))
	case err != nil:
		// Not a regular file, or unreadable: it cannot be held to the
		// log, which a compliance team is told rather than given no
		// bundle (an outside review). Said without the host's paths: a
		// bundle's index is the same wherever the root lies.
		problems = append(problems, fmt.Sprintf("ledger %s: cannot be compared with what the audit log records as ingested: %s", l.Rel(l.Ledger), unreadable(err)))
	case m != nil:
		problems = append(problems, fmt.Sprintf("ledger %s: its first %d bytes, which the audit log records as ingested, no longer hash to the digest it records: changed or cut short since they were loaded (the next weekly job or ingest records the change and names its lines)",
			l.Rel(l.Ledger), m.ByteTo-m.ByteFrom))
	}
	return problems, nil
}

// unreadable says why a file could not be read, naming no path: what kind
// of file it is when it is not a regular one, else the system's reason.
func unreadable(err error) string {
	var nr *inputs.NotRegularError
	var errno syscall.Errno
	switch {
	case errors.As(err, &nr):
		return "it is " + inputs.FileKind(nr.Mode) + ", not a regular file"
	case errors.As(err, &errno):
		return errno.Error()
	}
	return "it cannot be read"
}

// IntegrityProblems is the ledger's part of the integrity problems a job
// ends with (Outcome.Integrity): every unacknowledged ledger modification
// the audit log records and every unacknowledged conflicting duplicate the
// store holds (docs/RULES.md, "Integrity problems"). A report job adds its
// own (baselines, baseline records) beside them.
func (j *Job) IntegrityProblems(ctx context.Context, st *store.Store) ([]string, error) {
	l := j.env.Layout
	return LedgerProblems(ctx, j.LedgerRecord(), l.Rel(l.Ledger), st)
}

// LedgerProblems lists, one line each, every unacknowledged ledger
// modification rec holds and every unacknowledged conflicting duplicate
// st holds. ledger names the ledger in the problems.
func LedgerProblems(ctx context.Context, rec LedgerRecord, ledger string, st *store.Store) ([]string, error) {
	dups, err := st.ConflictingDuplicates(ctx)
	if err != nil {
		return nil, err
	}
	return rec.Problems(ledger, dups), nil
}

// fieldDuplicates reads an acknowledgment's "duplicates" field: a list of
// {line_no, run_id} objects.
func fieldDuplicates(fields map[string]any) []AcknowledgedDuplicate {
	list, _ := fields["duplicates"].([]any)
	var out []AcknowledgedDuplicate
	for _, v := range list {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		id, _ := m["run_id"].(string)
		out = append(out, AcknowledgedDuplicate{LineNo: fieldInt(m, "line_no"), RunID: id})
	}
	return out
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

// ledgerAgainstLog compares the ledger with the newest ingest the audit
// log records when the store, before this ingest, covered fewer bytes
// (storeCovered) than that ingest did: a store deleted, rebuilt for a new
// schema or time zone, or rolled back to an older copy (a deleted WAL)
// would otherwise take an edit of those bytes for new lines. It returns
// the recorded prefix [0, offset_to) as modified when the ledger is
// shorter or its first offset_to bytes do not hash to the recorded
// prefix_sha256, so the ingest records ledger_modified and every job
// reports it until it is acknowledged; nil when they match, when the store
// already covered more (its own check applies) or nothing was recorded.
// A store that covered exactly those bytes has just checked the ledger
// against its own digest of them, storePrefix: that digest must be the
// log's, or the store holds bytes the log never vouched for (the log put
// back as it was before an ingest that detected an edit, and reloaded the
// store from the edited ledger: TestAttackRollBackTheLogOverADetection).
func (j *Job) ledgerAgainstLog(ctx context.Context, ledgerPath string, storeCovered int64, storePrefix string) (*store.Modification, error) {
	return LedgerAgainstLog(ctx, j.trail.state.Entries, ledgerPath, storeCovered, storePrefix)
}

// LedgerAgainstLog is ledgerAgainstLog for the entries of a verified log
// (the integrity check's, which runs no job, passes 0 and "": the whole
// recorded prefix is read).
func LedgerAgainstLog(ctx context.Context, entries []audit.Entry, ledgerPath string, storeCovered int64, storePrefix string) (*store.Modification, error) {
	var to int64
	var want string
	for i := len(entries) - 1; i >= 0 && want == ""; i-- {
		e := entries[i]
		if e.Event != audit.EventIngest {
			continue
		}
		n, _ := e.Fields["offset_to"].(json.Number)
		sum, _ := e.Fields["prefix_sha256"].(string)
		if v, err := n.Int64(); err == nil && v > 0 && sum != "" {
			to, want = v, sum
		}
	}
	switch {
	case want == "":
		return nil, nil
	case to == storeCovered && storePrefix != "":
		// The store's append-only check has read the ledger's [0, to)
		// and found the bytes the store recorded: their digest is
		// compared with the log's, and the ledger read again only when
		// they differ, to say which lines.
		if storePrefix == want {
			return nil, nil
		}
	case to <= storeCovered:
		return nil, nil
	}
	// A regular file only, opened without blocking: a FIFO in the
	// ledger's place would otherwise hang the check, holding the lock.
	f, err := inputs.OpenRegular(ledgerPath)
	if err != nil {
		return nil, fmt.Errorf("compare ledger with the audit log: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	lines := &lineCounter{}
	// Read until ctx ends: a verifier a signal stopped went on hashing
	// the whole prefix and said OK (a review of this stop's fixes).
	n, err := io.Copy(io.MultiWriter(h, lines), io.LimitReader(inputs.ContextReader(ctx, f), to))
	if err != nil {
		return nil, fmt.Errorf("compare ledger with the audit log: %w", err)
	}
	if n == to && hex.EncodeToString(h.Sum(nil)) == want {
		return nil, nil
	}
	return &store.Modification{ByteFrom: 0, ByteTo: to, LineFrom: 1, LineTo: max(lines.n, 1)}, nil
}

// lineCounter counts the newlines written to it.
type lineCounter struct{ n int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n += int64(bytes.Count(p, []byte{'\n'}))
	return len(p), nil
}
