package review

import (
	"slices"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/ledger"
	"github.com/ledgerlens/ledgerlens/reports"
)

// rejectsSampleSize is how many rejects the report lists inline; all of
// them go to rejects_<date>.jsonl.
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
	rows, err := a.queryRows("unknown_enums")
	if err != nil {
		return err
	}
	defer rows.Close()
	enums := ledger.Enumerations()
	for rows.Next() {
		var u reports.UnknownEnum
		if err := scanNamed(rows, "unknown_enums", map[string]any{"field": &u.Field, "value": &u.Value, "n": &u.Count}); err != nil {
			return err
		}
		if !slices.Contains(enums[u.Field], u.Value) {
			dq.UnknownEnumValues = append(dq.UnknownEnumValues, u)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}

	mods, err := Modifications(a.ctx, a.st)
	if err != nil {
		return err
	}
	dq.AppendOnly = reports.AppendOnly{Status: "ok", Modifications: mods}
	if len(mods) > 0 {
		dq.AppendOnly.Status = "modified"
	}

	dq.LateArrivals = []reports.LateArrival{}
	for _, pub := range a.in.Published {
		if !pub.Week.Before(a.p.Start) {
			continue
		}
		var la reports.LateArrival
		if err := a.scanOne("late_arrivals", map[string]any{"runs": &la.Count, "credits": &la.Credits},
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
	return nil
}
