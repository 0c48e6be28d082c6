package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

// AcknowledgeOptions are an operator's acknowledgment of the ledger
// modifications and conflicting duplicates within a line range.
type AcknowledgeOptions struct {
	LineFrom, LineTo int64
	By               string
	Reason           string
}

// AcknowledgeResult is what the acknowledgment covered and where its
// signed record is.
type AcknowledgeResult struct {
	Covered    []job.LedgerModification
	Duplicates []job.LedgerDuplicate
	RecordPath string
}

// acknowledgmentRecord is the signed record of one acknowledgment.
type acknowledgmentRecord struct {
	Schema         string            `json:"schema"`
	AcknowledgedAt string            `json:"acknowledged_at"`
	By             string            `json:"by"`
	Reason         string            `json:"reason"`
	LineFrom       int64             `json:"line_from"`
	LineTo         int64             `json:"line_to"`
	Modifications  []acknowledgedMod `json:"modifications"`
	// Duplicates are the conflicting duplicates acknowledged, each by
	// line and run id.
	Duplicates   []job.AcknowledgedDuplicate `json:"duplicates"`
	SigningKeyID string                      `json:"signing_key_id"`
	Generator    reports.Generator           `json:"generator"`
}

type acknowledgedMod struct {
	AuditSeq   int64  `json:"audit_seq"`
	DetectedAt string `json:"detected_at"`
	Ledger     string `json:"ledger"`
	ByteFrom   int64  `json:"byte_from"`
	ByteTo     int64  `json:"byte_to"`
	LineFrom   int64  `json:"line_from"`
	LineTo     int64  `json:"line_to"`
}

// AcknowledgeLedger records, as a job, that a named operator has reviewed
// the ledger modifications detected within a line range, and the
// conflicting duplicates on lines within it, and why they are acceptable.
// It ingests the ledger first, so it sees the ledger as it is now. It
// publishes a signed record (runs/CREDIT_REVIEWS/ledger_ack_<time>.json
// with sidecar and signature) and a ledger_acknowledged audit event. Until
// then every unacknowledged modification or conflicting duplicate keeps
// the integrity checks failing (docs/RULES.md, "Integrity problems"). A
// range covering no unacknowledged problem is refused: an acknowledgment
// always names something that happened.
func AcknowledgeLedger(ctx context.Context, env job.Env, opts AcknowledgeOptions) (*AcknowledgeResult, error) {
	if strings.TrimSpace(opts.By) == "" || strings.TrimSpace(opts.Reason) == "" {
		return nil, fmt.Errorf("ledger acknowledge: --by and --reason must not be empty")
	}
	if opts.LineFrom < 1 || opts.LineTo < opts.LineFrom {
		return nil, fmt.Errorf("ledger acknowledge: line range %d-%d is empty", opts.LineFrom, opts.LineTo)
	}
	res := &AcknowledgeResult{}
	err := job.Run(ctx, env, job.NameLedgerAcknowledge,
		map[string]any{"line_from": opts.LineFrom, "line_to": opts.LineTo, "by": opts.By},
		func(ctx context.Context, j *job.Job) (job.Outcome, error) {
			l := env.Layout
			signer, err := j.Signer("")
			if err != nil {
				return job.Outcome{}, err
			}
			// What was reported before this job: its own ingest may
			// record more.
			prior := j.LedgerRecordAtStart()
			st, ing, err := j.OpenStore(ctx)
			if err != nil {
				return job.Outcome{}, err
			}
			dups, err := st.ConflictingDuplicates(ctx)
			if cerr := st.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return job.Outcome{}, err
			}
			record := j.LedgerRecord()
			ldups := record.Duplicates(dups)
			ack := job.LedgerAcknowledgment{LineFrom: opts.LineFrom, LineTo: opts.LineTo}
			// Only what the operator can have reviewed is covered: a
			// change this job's own ingest finds in a range where
			// something else awaited acknowledgment (the line edited again
			// since the report), or a conflicting duplicate on a line new
			// to the store, has been shown to nobody
			// (TestAttackAcknowledgeCoversAnUnreportedEdit).
			if unseen := unreportedInRange(ack, ing, prior, ldups); len(unseen) > 0 {
				return job.Outcome{}, &job.IntegrityError{Problems: []string{fmt.Sprintf(
					"ledger %s: this acknowledgment's own ingest found %s within lines %d-%d, which nobody has been shown: nothing was acknowledged; review the ledger as it is now (`ledgerlens verify ledger`), then acknowledge again",
					l.Rel(l.Ledger), strings.Join(unseen, " and "), opts.LineFrom, opts.LineTo)}}
			}
			var pending []string
			for _, m := range job.Unacknowledged(record.Modifications) {
				if ack.Covers(m) {
					res.Covered = append(res.Covered, m)
				} else {
					pending = append(pending, fmt.Sprintf("%d-%d", m.LineFrom, m.LineTo))
				}
			}
			for _, d := range ldups {
				switch {
				case d.Ack != nil:
				case opts.LineFrom <= d.LineNo && d.LineNo <= opts.LineTo:
					res.Duplicates = append(res.Duplicates, d)
				default:
					pending = append(pending, fmt.Sprintf("%d (conflicting duplicate)", d.LineNo))
				}
			}
			if len(res.Covered) == 0 && len(res.Duplicates) == 0 {
				return job.Outcome{}, job.Blocked(fmt.Errorf("no unacknowledged ledger modification or conflicting duplicate lies within lines %d-%d (unacknowledged: %s)",
					opts.LineFrom, opts.LineTo, noneIfEmpty(pending)))
			}
			now := env.Now().UTC()
			rec := acknowledgmentRecord{
				Schema: "ledgerlens.ledger_acknowledgment/1", AcknowledgedAt: now.Format(time.RFC3339),
				By: opts.By, Reason: opts.Reason, LineFrom: opts.LineFrom, LineTo: opts.LineTo,
				SigningKeyID: signer.KeyID(), Generator: reports.Generator{Name: "ledgerlens", Version: env.Version},
			}
			seqs := []int64{}
			rec.Modifications = []acknowledgedMod{}
			for _, m := range res.Covered {
				rec.Modifications = append(rec.Modifications, acknowledgedMod{AuditSeq: m.AuditSeq, DetectedAt: m.DetectedAt,
					Ledger: m.Ledger, ByteFrom: m.ByteFrom, ByteTo: m.ByteTo, LineFrom: m.LineFrom, LineTo: m.LineTo})
				seqs = append(seqs, m.AuditSeq)
			}
			rec.Duplicates = []job.AcknowledgedDuplicate{}
			for _, d := range res.Duplicates {
				rec.Duplicates = append(rec.Duplicates, job.AcknowledgedDuplicate{LineNo: d.LineNo, RunID: d.RunID})
			}
			data, err := json.MarshalIndent(rec, "", "  ")
			if err != nil {
				return job.Outcome{}, err
			}
			pub := &reports.Publisher{Dir: l.ReviewsDir, Signer: signer}
			// Named by the second it was made; a second acknowledgment in
			// the same second (another range) takes the next free -N.
			var pr reports.PublishResult
			for n := 1; ; n++ {
				base := reports.AckRecordPrefix + now.Format("20060102T150405Z")
				if n > 1 {
					base += fmt.Sprintf("-%d", n)
				}
				pr, err = j.PublishRecord(ctx, pub, base, reports.Artifact{Ext: ".json", Data: append(data, '\n')})
				if !errors.Is(err, reports.ErrAlreadyPublished) || n == 99 {
					break
				}
			}
			if err != nil {
				return job.Outcome{}, err
			}
			res.RecordPath = pr.Primary.Path
			if err := j.Audit(ctx, audit.EventLedgerAcknowledged, map[string]any{
				"line_from": opts.LineFrom, "line_to": opts.LineTo, "by": opts.By, "reason": opts.Reason,
				"record": l.Rel(pr.Primary.Path), "sha256": pr.Primary.SHA256, "modifications": seqs,
				"duplicates": rec.Duplicates,
			}); err != nil {
				return job.Outcome{}, err
			}
			return job.Outcome{Fields: map[string]any{"acknowledged": len(res.Covered), "acknowledged_duplicates": len(res.Duplicates)}}, nil
		})
	return res, err
}

// unreportedInRange describes what the acknowledgment's own ingest (ing)
// found within ack's lines that nobody has been shown:
//   - a change of the loaded ledger there, when prior (the record before
//     this job) holds something else there awaiting acknowledgment: the
//     operator came to acknowledge that, and the line changed again since.
//     A change alone in the range is what `verify all` or `verify ledger`
//     showed (they record nothing), and is covered;
//   - a conflicting duplicate on a line new to the store (past the lines
//     it covered before: store.IngestResult.PriorLines), whether appended
//     or reloaded with an edit elsewhere. A first load (no store before)
//     cannot tell, and counts none.
func unreportedInRange(ack job.LedgerAcknowledgment, ing store.IngestResult, prior job.LedgerRecord, dups []job.LedgerDuplicate) []string {
	var out []string
	if m := ing.Modified; m != nil && m.LineFrom <= ack.LineTo && ack.LineFrom <= m.LineTo {
		var awaiting []string
		for _, p := range job.Unacknowledged(prior.Modifications) {
			if ack.Covers(p) {
				awaiting = append(awaiting, fmt.Sprintf("the change of lines %d-%d reported at audit seq %d", p.LineFrom, p.LineTo, p.AuditSeq))
			}
		}
		for _, d := range dups {
			if d.Ack == nil && d.LineNo <= ing.PriorLines && ack.LineFrom <= d.LineNo && d.LineNo <= ack.LineTo {
				awaiting = append(awaiting, fmt.Sprintf("the conflicting duplicate on line %d", d.LineNo))
			}
		}
		if len(awaiting) > 0 {
			out = append(out, fmt.Sprintf("a change of lines %d-%d made after %s was reported", m.LineFrom, m.LineTo, strings.Join(awaiting, ", ")))
		}
	}
	if ing.Event == store.EventInitial {
		return out
	}
	for _, d := range dups {
		if d.Ack == nil && d.LineNo > ing.PriorLines && ack.LineFrom <= d.LineNo && d.LineNo <= ack.LineTo {
			out = append(out, fmt.Sprintf("a conflicting duplicate on line %d", d.LineNo))
		}
	}
	return out
}

func noneIfEmpty(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
