package review

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/ledger"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

// rejectsSampleSize is how many rejects the report lists inline; all of
// them go to rejects_cumulative_<date>.jsonl.
const rejectsSampleSize = 20

// dataQuality fills section 8 and the ledger part of inputs.
func (a *analysis) dataQuality() error {
	dq := &a.w.DataQuality
	var identical, conflicting, bytesCovered int64
	var ledgerSHA string
	if err := a.scanOne("data_quality", map[string]any{
		"lines_read": &dq.LinesRead, "loaded": &dq.Loaded, "rejected": &dq.Rejected, "duplicates": &dq.Duplicates,
		"dup_identical": &identical, "dup_conflicting": &conflicting, "partial_tail_bytes": &dq.PartialTailBytes,
		"bytes_covered": &bytesCovered, "ledger_sha256": &ledgerSHA,
	}); err != nil {
		return err
	}
	dq.DuplicatesByKind = map[string]int64{"duplicate_identical": identical, "duplicate_conflicting": conflicting}
	a.w.Inputs.Ledger.SHA256 = ledgerSHA
	a.w.Inputs.Ledger.BytesCovered = bytesCovered
	a.w.Inputs.Ledger.LinesCovered = dq.LinesRead

	rejects, err := Rejects(a.ctx, a.st, rejectsSampleSize)
	if err != nil {
		return err
	}
	dq.RejectsSample = rejects

	dq.UnknownEnumValues = []reports.UnknownEnum{}
	rows, err := a.queryRows("data_quality_unknown_enums")
	if err != nil {
		return err
	}
	defer rows.Close()
	enums := ledger.Enumerations()
	for rows.Next() {
		var u reports.UnknownEnum
		if err := scanNamed(rows, "data_quality_unknown_enums", map[string]any{"field": &u.Field, "value": &u.Value, "n": &u.Count}); err != nil {
			return err
		}
		if !slices.Contains(enums[u.Field], u.Value) {
			dq.UnknownEnumValues = append(dq.UnknownEnumValues, u)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}

	for _, t := range a.in.Tails {
		if t.Line > 0 {
			dq.UnterminatedInputLines = append(dq.UnterminatedInputLines, reports.UnterminatedLine{
				File: t.File, LineNo: t.Line, Bytes: t.Bytes, Loaded: t.Loaded})
		}
	}

	stored, err := Modifications(a.ctx, a.st)
	if err != nil {
		return err
	}
	mods := ReportedModifications(a.in.LedgerModifications, stored)
	dq.AppendOnly = reports.AppendOnly{Status: "ok", Modifications: mods}
	if len(mods) > 0 {
		dq.AppendOnly.Status = "modified"
	}

	dq.ConflictingDuplicates = append([]reports.ConflictingDuplicate{}, a.in.ConflictingDuplicates...)

	dq.LateArrivals = []reports.LateArrival{}
	for _, pub := range a.in.Published {
		if !pub.Week.Before(a.p.Start) {
			continue
		}
		var la reports.LateArrival
		if err := a.scanOne("data_quality_late_arrivals", map[string]any{"runs": &la.Count, "credits": &la.Credits},
			pub.Week, pub.Week.AddDate(0, 0, 7), pub.BytesCovered); err != nil {
			return err
		}
		if la.Count == 0 {
			continue
		}
		la.Week = pub.Week.In(a.p.Loc).Format(time.DateOnly)
		la.PublishedFile = pub.File
		la.Credits = money(la.Credits)
		dq.LateArrivals = append(dq.LateArrivals, la)
	}
	dq.UnpublishedWeeks = UnpublishedWeeks(a.in.Published, a.p, a.in.Config.WeeklyReviewsSince)
	return nil
}

// UnpublishedWeeks lists the weeks after the first published weekly review
// (from since on, when it is set: config weekly_reviews_since) and before
// period p that have no published review, oldest first, as the Mondays
// their reports are named by. A failed Monday job is said once, by
// cron; without this list nothing would say again that the week was never
// reviewed. Weeks are calendar dates, as in the file names: after the time
// zone changed, a week published before is still the week of its Monday.
func UnpublishedWeeks(published []reports.PublishedWeek, p Period, since string) []string {
	out := []string{}
	have := map[string]bool{}
	first := ""
	for _, pub := range published {
		d, ok := reports.WeeklyReportDay(pub.File)
		if !ok || d < since {
			continue
		}
		have[d] = true
		if first == "" || d < first {
			first = d
		}
	}
	if since != "" {
		// Required from the configured week on, that week included,
		// published or not.
		if d, err := time.Parse(time.DateOnly, since); err == nil {
			first = d.AddDate(0, 0, -7).Format(time.DateOnly)
		}
	}
	start, err := time.Parse(time.DateOnly, first)
	if err != nil {
		return out
	}
	// Civil dates, in UTC arithmetic: every step is seven calendar days.
	this, err := time.Parse(time.DateOnly, p.Start.In(p.Loc).Format(time.DateOnly))
	if err != nil {
		return out
	}
	for w := start.AddDate(0, 0, 7); w.Before(this); w = w.AddDate(0, 0, 7) {
		if d := w.Format(time.DateOnly); !have[d] {
			out = append(out, d)
		}
	}
	return out
}

// ReportedModifications are the report's ledger modifications: every one
// the audit log records (logged), oldest first, with its acknowledgment
// and the ingest that found it, as the log recorded them then; then any
// only the store recorded (stored). The log decides: a store rebuilt from
// the ledger has lost the detections before it and numbers its ingests
// afresh, and the same bytes and lines repeat for every edit of one
// chunk. A store record is the log's when its bytes, lines and ingest
// agree (the ingest alone, when the log did not record one).
func ReportedModifications(logged []LoggedModification, stored []reports.LedgerModification) []reports.LedgerModification {
	out := []reports.LedgerModification{}
	used := make([]bool, len(stored))
	for _, lm := range logged {
		m := reports.LedgerModification{AuditSeq: lm.AuditSeq, DetectedAtIngest: lm.IngestSeq,
			ByteFrom: lm.ByteFrom, ByteTo: lm.ByteTo, LineFrom: lm.LineFrom, LineTo: lm.LineTo}
		for k, sm := range stored {
			if !used[k] && sm.ByteFrom == m.ByteFrom && sm.ByteTo == m.ByteTo && sm.LineFrom == m.LineFrom && sm.LineTo == m.LineTo &&
				(lm.IngestSeq == 0 || sm.DetectedAtIngest == lm.IngestSeq) {
				used[k] = true
				if m.DetectedAtIngest == 0 {
					m.DetectedAtIngest = sm.DetectedAtIngest
				}
				break
			}
		}
		if lm.Ack != nil {
			ack := *lm.Ack
			m.Acknowledgment = &ack
		}
		out = append(out, m)
	}
	for k, sm := range stored {
		if !used[k] {
			out = append(out, sm)
		}
	}
	return out
}

// Rejects lists the store's rejected lines in line order; limit <= 0 means
// all of them (for rejects_cumulative_<date>.jsonl).
func Rejects(ctx context.Context, st *store.Store, limit int) ([]reports.Reject, error) {
	rows, err := st.Conn().QueryContext(ctx, query("data_quality_rejects"))
	if err != nil {
		return nil, fmt.Errorf("read rejects: data_quality_rejects.sql: %w", err)
	}
	defer rows.Close()
	out := []reports.Reject{}
	for rows.Next() && (limit <= 0 || len(out) < limit) {
		var r reports.Reject
		if err := scanNamed(rows, "data_quality_rejects", map[string]any{"line_no": &r.LineNo, "byte_offset": &r.ByteOffset,
			"reason": &r.Reason, "line_sha256": &r.LineSHA256}); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Modifications lists every ledger_modified event the store recorded: an
// integrity finding is never silently cleared.
func Modifications(ctx context.Context, st *store.Store) ([]reports.LedgerModification, error) {
	rows, err := st.Conn().QueryContext(ctx, query("data_quality_ledger_modifications"))
	if err != nil {
		return nil, fmt.Errorf("read ingest_log: data_quality_ledger_modifications.sql: %w", err)
	}
	defer rows.Close()
	out := []reports.LedgerModification{}
	for rows.Next() {
		var m reports.LedgerModification
		if err := scanNamed(rows, "data_quality_ledger_modifications", map[string]any{"detected_at_ingest": &m.DetectedAtIngest,
			"byte_from": &m.ByteFrom, "byte_to": &m.ByteTo, "line_from": &m.LineFrom, "line_to": &m.LineTo}); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
