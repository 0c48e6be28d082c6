package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/baselines"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/reports"
)

// Source is what a bundle is built from.
type Source struct {
	// From and To are the range's first and last day (YYYY-MM-DD, both
	// inclusive) in Loc.
	From, To string
	Loc      *time.Location
	// ReviewsDir holds the weekly and SLA reports, BaselineUpdatesDir the
	// baseline records. EarlierReviewsDirs are other directories reports
	// were published in (an output_dir changed since): their reports of
	// the range are bundled too, a name ReviewsDir holds taken from there.
	ReviewsDir         string
	EarlierReviewsDirs []string
	BaselineUpdatesDir string
	// Root is the working root: the acknowledgment records a weekly report
	// cites are named relative to it.
	Root string
	// Approvers is the approvers file (config/approvers) the people's SSH
	// signatures on baseline records are checked against; "" or a missing
	// file adds none.
	Approvers string
	// AuditLog is the whole audit log's content.
	AuditLog []byte
	// Checkpoints are the signed checkpoints of the log (C2SP notes),
	// oldest first, as the checkpoints file holds them.
	Checkpoints []string
	// PublicKeyPEM is the signing key's public half (SPKI PEM); Signer signs
	// index.json.
	PublicKeyPEM []byte
	Signer       *reports.Signer
	// RetiredKeys are the keys earlier rotations retired, newest first, as
	// the audit log vouches for them (key_rotated entries back from the
	// current key). A bundled file signed before a rotation carries its
	// key's id, and the bundle that key's public half.
	RetiredKeys []ed25519.PublicKey
	// IntegrityProblems are the ledger's problems the exporting job found
	// (Index.IntegrityProblems).
	IntegrityProblems []string
	// WeeklyJob is the weekly job's name in the audit log: a week without
	// a report names its failures that named no week (whyMissing).
	WeeklyJob string
	Generator reports.Generator
}

// Span returns the range as instants [start, end) in loc, checking it.
func Span(from, to string, loc *time.Location) (time.Time, time.Time, error) {
	start, err := time.ParseInLocation(time.DateOnly, from, loc)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("--from %q: want YYYY-MM-DD", from)
	}
	last, err := time.ParseInLocation(time.DateOnly, to, loc)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("--to %q: want YYYY-MM-DD", to)
	}
	if last.Before(start) {
		return time.Time{}, time.Time{}, fmt.Errorf("--to %s is before --from %s", to, from)
	}
	return start, last.AddDate(0, 0, 1), nil
}

// member is one file of the bundle being built.
type member struct {
	path string
	data []byte
	file File
}

// Build assembles the bundle and returns the zip's bytes and its index.
func Build(ctx context.Context, src Source) ([]byte, *Index, error) {
	if src.Loc == nil {
		src.Loc = time.UTC
	}
	if src.Signer == nil {
		return nil, nil, errors.New("evidence export: a signing key is required (the index and the bundle are signed)")
	}
	start, end, err := Span(src.From, src.To, src.Loc)
	if err != nil {
		return nil, nil, err
	}
	b := &builder{src: src, start: start, end: end}
	idx := &Index{
		Range: Range{From: src.From, To: src.To, TimeZone: src.Loc.String(),
			Start: start.UTC().Format(time.RFC3339), End: end.UTC().Format(time.RFC3339)},
		Generator:         src.Generator,
		SigningKeyID:      src.Signer.KeyID(),
		PublicKey:         PublicKeyMember,
		IntegrityProblems: src.IntegrityProblems,
	}
	idx.Schema = schemaFor(idx)
	if len(src.PublicKeyPEM) == 0 {
		return nil, nil, errors.New("evidence export: the public key is required")
	}
	b.add(PublicKeyMember, KindPublicKey, src.PublicKeyPEM, []string{ControlIntegrity})
	if err := b.reports(ctx, idx); err != nil {
		return nil, nil, err
	}
	if err := b.acknowledgments(idx); err != nil {
		return nil, nil, err
	}
	if err := b.baselineRecords(idx); err != nil {
		return nil, nil, err
	}
	if err := b.audit(idx); err != nil {
		return nil, nil, err
	}
	b.periods(idx)
	sort.Slice(b.retired, func(i, j int) bool { return b.retired[i].KeyID < b.retired[j].KeyID })
	idx.RetiredKeys = b.retired

	// Files in path order; the readme is written from the index and then
	// listed in it; index.json comes last in the index's own terms.
	sort.Slice(b.members, func(i, j int) bool { return b.members[i].path < b.members[j].path })
	idx.Controls = controlCatalogue()
	for _, m := range b.members {
		idx.Files = append(idx.Files, m.file)
	}
	idx.Counts.Files = len(idx.Files) + 1 // and INDEX.md
	for i := range idx.Controls {
		idx.Controls[i].Files = []string{}
		for _, f := range idx.Files {
			for _, c := range f.Controls {
				if c == idx.Controls[i].ID {
					idx.Controls[i].Files = append(idx.Controls[i].Files, f.Path)
				}
			}
		}
	}
	readme := renderMarkdown(idx)
	rm := b.file(IndexMarkdown, KindReadme, readme, []string{ControlIntegrity})
	idx.Files = append([]File{rm}, idx.Files...)
	for i := range idx.Controls {
		if idx.Controls[i].ID == ControlIntegrity {
			idx.Controls[i].Files = append([]string{IndexMarkdown}, idx.Controls[i].Files...)
		}
	}
	indexJSON, err := marshal(idx)
	if err != nil {
		return nil, nil, err
	}

	// Member order: the index and its companions, the readme, then every
	// file by path. Every member carries the same date, taken from the
	// range, so no clock reading reaches the bytes.
	order := []member{
		{path: IndexJSON, data: indexJSON},
		{path: indexSidecarName, data: reports.SidecarBytes(IndexJSON, indexJSON)},
		{path: indexSigName, data: reports.SignatureBytes(src.Signer.Sign(indexJSON))},
		{path: IndexMarkdown, data: readme},
	}
	order = append(order, b.members...)
	stamp := time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, m := range order {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m.path, Method: zip.Deflate, Modified: stamp})
		if err != nil {
			return nil, nil, fmt.Errorf("evidence bundle: %s: %w", m.path, err)
		}
		if _, err := w.Write(m.data); err != nil {
			return nil, nil, fmt.Errorf("evidence bundle: %s: %w", m.path, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, nil, fmt.Errorf("evidence bundle: %w", err)
	}
	return out.Bytes(), idx, nil
}

// builder collects the members of one bundle.
type builder struct {
	src        Source
	start, end time.Time
	members    []member
	// heads are the audit_head_at_start of the reports included.
	heads []reportHead
	// carried are the audit_checkpoint of the reports included.
	carried []carriedCheckpoint
	// entries are the audit log's checkpointed entries.
	entries []audit.Entry
	// approversAdded: the approvers file is in the bundle.
	approversAdded bool
	// retired are the retired keys bundled files were signed with.
	retired []RetiredKey
}

// periods lists every weekly period of the range: present with its newest
// revision (older ones superseded), or missing with what the log knows.
func (b *builder) periods(idx *Index) {
	revs := map[string][]int{}
	for _, m := range b.members {
		if m.file.Kind != KindWeeklyReport {
			continue
		}
		if n, ok := reports.ParseName(path.Base(m.path)); ok && n.Kind == reports.PublicationWeekly {
			revs[n.Label] = append(revs[n.Label], n.Revision)
		}
	}
	idx.Periods = []Period{}
	for _, w := range weeks(b.start, b.end) {
		label := w.Format(time.DateOnly)
		p := Period{Week: label, Superseded: []string{}}
		rs := revs[label]
		sort.Ints(rs)
		if len(rs) == 0 {
			// The errors it quotes may name the root's files by their
			// paths on the host: the index names them within the root.
			why := whyMissing(b.entries, label, w.AddDate(0, 0, 7), b.src.WeeklyJob)
			p.Status, p.Why = PeriodMissing, strings.ReplaceAll(why, filepath.Clean(b.src.Root)+string(filepath.Separator), "")
		} else {
			newest := rs[len(rs)-1]
			p.Status, p.Revision = PeriodPresent, newest
			p.Report = ReviewsPrefix + reports.Name("weekly_"+label, newest, ".json")
			for _, r := range rs[:len(rs)-1] {
				p.Superseded = append(p.Superseded, ReviewsPrefix+reports.Name("weekly_"+label, r, ".json"))
			}
		}
		idx.Periods = append(idx.Periods, p)
	}
}

type carriedCheckpoint struct{ file, note string }

type reportHead struct {
	File string `json:"file"`
	Head string `json:"audit_head_at_start"`
}

func (b *builder) file(path, kind string, data []byte, controls []string) File {
	sum := sha256.Sum256(data)
	return File{Path: path, Kind: kind, Bytes: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), Controls: controls}
}

// add adds a file the bundle itself makes (no sidecar or signature of
// its own: index.json vouches for it).
func (b *builder) add(path, kind string, data []byte, controls []string) {
	b.members = append(b.members, member{path: path, data: data, file: b.file(path, kind, data, controls)})
}

// addArtifact adds a published artifact with its sidecar and, when there
// is one, its signature.
func (b *builder) addArtifact(dir, prefix, name, kind string, controls []string) error {
	path := filepath.Join(dir, name)
	data, err := inputs.ReadRegular(path)
	if err != nil {
		return fmt.Errorf("evidence export: %w", err)
	}
	sidecar, err := inputs.ReadRegular(path + reports.SidecarExt)
	if err != nil {
		return fmt.Errorf("evidence export: %s has no sidecar (not a published artifact): %w", path, err)
	}
	f := b.file(prefix+name, kind, data, controls)
	sc := prefix + name + reports.SidecarExt
	f.Sidecar = &sc
	b.members = append(b.members, member{path: prefix + name, data: data, file: f})
	b.members = append(b.members, member{path: sc, data: sidecar, file: b.file(sc, KindSidecar, sidecar, []string{ControlIntegrity})})
	sig, err := inputs.ReadRegular(path + reports.SignatureExt)
	switch {
	case err == nil:
		sp := prefix + name + reports.SignatureExt
		art := &b.members[len(b.members)-2].file
		art.Signature = &sp
		if art.SignatureKeyID, err = b.retiredSigner(name, data, sig); err != nil {
			return err
		}
		b.members = append(b.members, member{path: sp, data: sig, file: b.file(sp, KindSignature, sig, []string{ControlIntegrity})})
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("evidence export: %w", err)
	}
	if kind == KindWeeklyReport || kind == KindSLAReport {
		var head struct {
			Head       string  `json:"audit_head_at_start"`
			Checkpoint *string `json:"audit_checkpoint"`
		}
		if err := json.Unmarshal(data, &head); err == nil && head.Head != "" {
			b.heads = append(b.heads, reportHead{File: prefix + name, Head: head.Head})
		}
		if head.Checkpoint != nil {
			b.carried = append(b.carried, carriedCheckpoint{prefix + name, *head.Checkpoint})
		}
	}
	return nil
}

// retiredSigner returns "" when sig is the current key's signature of
// data (or no key's: the verifier reports that), else the id of the
// retired key that made it, adding that key's public half to the bundle
// once.
func (b *builder) retiredSigner(name string, data, sig []byte) (string, error) {
	if c := reports.VerifyData(name, data, nil, sig, b.src.Signer.Public()); c.Signature.Status == reports.CheckOK {
		return "", nil
	}
	for _, old := range b.src.RetiredKeys {
		if c := reports.VerifyData(name, data, nil, sig, old); c.Signature.Status != reports.CheckOK {
			continue
		}
		return b.addRetired(old)
	}
	return "", nil
}

// addRetired adds the public half of the retired key old to the bundle,
// once, and returns its id.
func (b *builder) addRetired(old ed25519.PublicKey) (string, error) {
	id := reports.KeyID(old)
	for _, k := range b.retired {
		if k.KeyID == id {
			return id, nil
		}
	}
	pemData, err := reports.PublicKeyPEM(old)
	if err != nil {
		return "", fmt.Errorf("evidence export: retired key %s: %w", id, err)
	}
	p := RetiredKeysPrefix + id + ".pub"
	b.add(p, KindPublicKey, pemData, []string{ControlIntegrity})
	b.retired = append(b.retired, RetiredKey{KeyID: id, Path: p})
	return id, nil
}

// addCheckpointSigners adds the retired keys that signed a stored
// checkpoint: the head's proofs start from every one, and a reader's kept
// checkpoint made before a rotation is checked with its key. Without
// them, a kept checkpoint stopped verifying after `keys rotate` unless the
// range held a file the old key signed (an outside review).
func (b *builder) addCheckpointSigners() error {
	for _, n := range b.src.Checkpoints {
		origin := audit.NoteOrigin(n)
		for _, old := range b.src.RetiredKeys {
			if audit.Origin(reports.KeyID(old)) != origin {
				continue
			}
			if _, err := b.addRetired(old); err != nil {
				return err
			}
		}
	}
	return nil
}

// Covers reports whether a bundle of [start, end) takes the published
// file name: a weekly or SLA report, workbook or rejects file whose
// period overlaps the range (a preliminary report never), or the sidecar
// or signature of one. Dates are read in loc. An export holds these files
// to their record of publication before it bundles what is on disk.
func Covers(name string, start, end time.Time, loc *time.Location) bool {
	name = strings.TrimSuffix(strings.TrimSuffix(name, reports.SignatureExt), reports.SidecarExt)
	n, ok := bundledName(name)
	if !ok {
		return false
	}
	from, to, err := periodOf(n, loc)
	return err == nil && from.Before(end) && to.After(start)
}

// bundledName reads name as a report file a bundle may hold
// (reports.ParseName): weekly_<Monday>[.rN].json|.xlsx,
// rejects_cumulative_<Monday>[.rN].jsonl (rejects_<Monday>… before the
// name said the file holds every reject so far), sla_<YYYY-MM>[.rN].json|.xlsx;
// never a preliminary report's.
func bundledName(name string) (reports.PublishedName, bool) {
	n, ok := reports.ParseName(name)
	return n, ok && !n.Preliminary
}

// periodOf is the period a report's name says, [from, to), in loc.
func periodOf(n reports.PublishedName, loc *time.Location) (from, to time.Time, err error) {
	if n.Kind == reports.PublicationSLA {
		from, err = time.ParseInLocation("2006-01", n.Label, loc)
		return from, from.AddDate(0, 1, 0), err
	}
	from, err = time.ParseInLocation(time.DateOnly, n.Label, loc)
	return from, from.AddDate(0, 0, 7), err
}

// noteName is a baseline update note's file name.
var noteName = regexp.MustCompile(`^update_(\d{4}-\d{2}-\d{2})(-[1-9]\d*)?\.md$`)

// Controls of each kind of report and record.
func monitorCtrl() []string { return []string{ControlMonitoring} }
func slaCtrl() []string     { return []string{ControlAvailability, ControlMonitoring, ControlChange} }
func changeCtrl() []string  { return []string{ControlChange} }

// reports adds every published weekly and SLA report whose period overlaps
// the range (every revision), with the rejects files of those weeks.
func (b *builder) reports(ctx context.Context, idx *Index) error {
	taken := map[string]bool{}
	for _, dir := range append([]string{b.src.ReviewsDir}, b.src.EarlierReviewsDirs...) {
		names, err := listDir(dir)
		if err != nil {
			return err
		}
		var fresh []string
		for _, name := range names {
			if !taken[name] {
				taken[name] = true
				fresh = append(fresh, name)
			}
		}
		if err := b.reportsIn(ctx, idx, dir, fresh); err != nil {
			return err
		}
	}
	return nil
}

// reportsIn adds the reports of the range among names, files of dir.
func (b *builder) reportsIn(ctx context.Context, idx *Index, dir string, names []string) error {
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, ok := bundledName(name)
		if !ok {
			continue
		}
		from, to, err := periodOf(n, b.src.Loc)
		if err != nil || !b.overlaps(from, to) {
			continue
		}
		if n.Kind == reports.PublicationSLA {
			kind := KindSLAReport
			if n.Ext == ".xlsx" {
				kind = KindSLAWorkbook
			} else {
				idx.Counts.SLAReports++
			}
			if err := b.addArtifact(dir, ReviewsPrefix, name, kind, slaCtrl()); err != nil {
				return err
			}
			continue
		}
		kind := map[string]string{".json": KindWeeklyReport, ".xlsx": KindWeeklyWorkbook, ".jsonl": KindRejects}[n.Ext]
		if err := b.addArtifact(dir, ReviewsPrefix, name, kind, monitorCtrl()); err != nil {
			return err
		}
		if kind == KindWeeklyReport {
			idx.Counts.WeeklyReports++
		}
	}
	return nil
}

// acknowledgments adds the acknowledgment records the bundled weekly
// reports cite (a modification or conflicting duplicate "acknowledged by
// X" names its signed record), each once, with its sidecar and signature:
// whoever checks the bundle sees who acknowledged what, and why, without
// the working root. Its record of publication joins the audit segment and
// the inclusion proofs as every bundled file's does.
func (b *builder) acknowledgments(idx *Index) error {
	cited := map[string]bool{}
	for _, m := range b.members {
		if m.file.Kind != KindWeeklyReport {
			continue
		}
		acks, err := citedAcknowledgments(m.data)
		if err != nil {
			return fmt.Errorf("evidence export: %s: %w", m.path, err)
		}
		for _, a := range acks {
			cited[a.Record] = true
		}
	}
	for _, rec := range slices.Sorted(maps.Keys(cited)) {
		name := path.Base(rec)
		if !reports.IsAckRecordName(name) || path.Clean(rec) != rec || strings.HasPrefix(rec, "../") || path.IsAbs(rec) {
			return fmt.Errorf("evidence export: a bundled report cites %q as an acknowledgment record, which is not one", rec)
		}
		if b.src.Root == "" {
			return fmt.Errorf("evidence export: a bundled report cites acknowledgment record %s, and no working root was given to find it in", rec)
		}
		dir := filepath.Join(b.src.Root, filepath.Dir(filepath.FromSlash(rec)))
		if err := inputs.CheckRegular(filepath.Join(dir, name)); inputs.Gone(err) {
			return fmt.Errorf("evidence export: a bundled report cites acknowledgment record %s, which is missing: %w", rec, reports.ErrNotAsRecorded)
		}
		if err := b.addArtifact(dir, ReviewsPrefix, name, KindLedgerAck, []string{ControlIntegrity, ControlMonitoring}); err != nil {
			if inputs.Gone(err) {
				return fmt.Errorf("evidence export: acknowledgment record %s has no sidecar %s: %w", rec, name+reports.SidecarExt, reports.ErrNotAsRecorded)
			}
			return err
		}
		// Every acknowledgment is signed when it is made: one without its
		// signature lost it.
		if m := b.members[len(b.members)-1]; m.file.Kind != KindSignature {
			return fmt.Errorf("evidence export: acknowledgment record %s has no signature %s: %w", rec, name+reports.SignatureExt, reports.ErrNotAsRecorded)
		}
		idx.Counts.Acknowledgments++
	}
	return nil
}

// citedAck is an acknowledgment as a weekly report cites it, with what it
// covers there: a modification's line range or a duplicate's line and run.
type citedAck struct {
	reports.LedgerAck
	AuditSeq         int64  // a modification's detection in the log, when the report names it
	ByteFrom, ByteTo int64  // a modification's bytes, 0 for a duplicate
	LineFrom, LineTo int64  // a modification's lines, 0 for a duplicate
	LineNo           int64  // a duplicate's line, 0 for a modification
	RunID            string // a duplicate's run id
}

// citedAcknowledgments reads the acknowledgments a weekly report's data
// quality section cites.
func citedAcknowledgments(report []byte) ([]citedAck, error) {
	var w struct {
		DataQuality struct {
			AppendOnly struct {
				Modifications []reports.LedgerModification `json:"modifications"`
			} `json:"append_only"`
			ConflictingDuplicates []reports.ConflictingDuplicate `json:"conflicting_duplicates"`
		} `json:"data_quality"`
	}
	if err := json.Unmarshal(report, &w); err != nil {
		return nil, fmt.Errorf("read its data quality section: %w", err)
	}
	var out []citedAck
	for _, m := range w.DataQuality.AppendOnly.Modifications {
		if m.Acknowledgment != nil {
			out = append(out, citedAck{LedgerAck: *m.Acknowledgment, AuditSeq: m.AuditSeq, ByteFrom: m.ByteFrom, ByteTo: m.ByteTo, LineFrom: m.LineFrom, LineTo: m.LineTo})
		}
	}
	for _, d := range w.DataQuality.ConflictingDuplicates {
		if d.Acknowledgment != nil {
			out = append(out, citedAck{LedgerAck: *d.Acknowledgment, LineNo: d.LineNo, RunID: d.RunID})
		}
	}
	return out, nil
}

func (b *builder) overlaps(start, end time.Time) bool {
	return start.Before(b.end) && end.After(b.start)
}

func (b *builder) in(t time.Time) bool { return !t.Before(b.start) && t.Before(b.end) }

// baselineRecords adds the approvals made in the range, the proposals made
// in the range or approved by one of those approvals, and the update notes
// dated in the range.
func (b *builder) baselineRecords(idx *Index) error {
	dir := b.src.BaselineUpdatesDir
	recs, err := baselines.LoadRecords(dir)
	if err == nil {
		err = recs.UnreadError() // nothing in the directory left out of a signed bundle
	}
	if err != nil {
		return fmt.Errorf("evidence export: %w", err)
	}
	// The records are chosen by the dates inside them: each one the log
	// names must be as it recorded it, or a record whose dates were
	// moved out of the range was left out of a signed bundle, unchecked
	// (an outside review).
	entries, err := audit.ReadEntries(bytes.NewReader(b.src.AuditLog))
	if err != nil {
		return fmt.Errorf("evidence export: the audit log cannot be read (%v); run `ledgerlens audit verify`", err)
	}
	if problems := recs.NotAsRecorded(entries); len(problems) > 0 {
		return fmt.Errorf("evidence export: %s: %w", strings.Join(problems, "; "), reports.ErrNotAsRecorded)
	}
	want := map[string]bool{}
	for _, a := range recs.Approvals {
		t, err := a.Time()
		if err != nil {
			return err
		}
		if b.in(t) {
			if err := b.addRecord(dir, baselines.ApprovalBase(a.ProposalID), KindApproval); err != nil {
				return err
			}
			idx.Counts.Approvals++
			want[a.ProposalID] = true
		}
	}
	for _, p := range recs.Proposals {
		t, err := p.Time()
		if err != nil {
			return err
		}
		if b.in(t) || want[p.ProposalID] {
			if err := b.addRecord(dir, baselines.ProposalBase(p.ProposalID), KindProposal); err != nil {
				return err
			}
			idx.Counts.Proposals++
		}
	}
	for _, name := range recs.Notes {
		m := noteName.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		day, err := time.ParseInLocation(time.DateOnly, m[1], b.src.Loc)
		if err != nil || !b.in(day) {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, name+reports.SidecarExt)); err != nil {
			continue // not a published note
		}
		if err := b.addArtifact(dir, BaselinesPrefix, name, KindNote, changeCtrl()); err != nil {
			return err
		}
		idx.Counts.Notes++
	}
	return nil
}

// addRecord adds a baseline record (base.json) and, when it has one, the
// SSH signature of the person who made it (base.sshsig), each a published
// artifact; and, with the first record, the approvers file those
// signatures are checked against.
func (b *builder) addRecord(dir, base, kind string) error {
	if err := b.addArtifact(dir, BaselinesPrefix, base+".json", kind, changeCtrl()); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, base+baselines.SignatureExt)); err == nil {
		if err := b.addArtifact(dir, BaselinesPrefix, base+baselines.SignatureExt, KindPersonSignature, changeCtrl()); err != nil {
			return err
		}
	}
	if b.src.Approvers != "" && !b.approversAdded {
		data, err := inputs.ReadRegular(b.src.Approvers)
		switch {
		case err == nil:
			b.add(ApproversPath, KindApprovers, data, changeCtrl())
			b.approversAdded = true
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("evidence export: %w", err)
		}
	}
	return nil
}

// audit adds the segment of the audit log whose entries fall in the range
// — the contiguous lines from the first entry at or after the start to the
// last entry before the end — and the verification result of the segment
// and of the whole log. Its steps: the checkpointed log, the segment's
// span, the proofs against a signed checkpoint (added with the keys that
// signed checkpoints), the segment itself and its verification.
func (b *builder) audit(idx *Index) error {
	entries, lines, tree, err := b.checkpointedLog()
	if err != nil {
		return err
	}
	first, last, inclusion, err := b.segmentSpan(entries)
	if err != nil {
		return err
	}
	cp, head, pr, err := b.makeProofs(tree, inclusion, int64(last+1))
	if err != nil {
		return err
	}
	if err := b.addCheckpointSigners(); err != nil {
		return err
	}
	prData, err := marshal(pr)
	if err != nil {
		return err
	}
	b.add(CheckpointMember, KindCheckpoint, cp.Note, []string{ControlIntegrity})
	b.add(HeadMember, KindCheckpoint, head.Note, []string{ControlIntegrity})
	b.add(ProofsMember, KindProofs, prData, []string{ControlIntegrity})

	info := AuditInfo{Segment: AuditSegment, Verification: AuditVerifyFile, PrevHash: audit.ZeroHash,
		Checkpoint: CheckpointMember, Proofs: ProofsMember, CheckpointSize: cp.Size, Head: HeadMember, HeadSize: head.Size}
	seg, segEntries, prefix := b.cutSegment(entries, lines, first, last, &info)
	logRes := audit.VerifySegment(entries[:prefix], audit.ZeroHash)
	info.VerifiedFromStart, info.VerifiedEntries = logRes.OK(), logRes.Entries
	segRes := audit.VerifySegment(segEntries, info.PrevHash)
	idx.Audit = info
	idx.Counts.AuditEntries = len(segEntries)

	vdata, err := b.verificationMember(entries, info, logRes, segRes)
	if err != nil {
		return err
	}
	if seg == nil {
		seg = []byte{}
	}
	b.add(AuditSegment, KindAuditSegment, seg, []string{ControlIntegrity, ControlMonitoring})
	b.add(AuditVerifyFile, KindAuditVerification, vdata, []string{ControlIntegrity})
	return nil
}

// checkpointedLog reads the audit log's entries and lines up to its
// newest signed checkpoint, keeps the entries in b.entries, and returns
// them with their Merkle tree. Entries after that checkpoint are this
// export's own: no checkpoint vouches for them yet, and they would make
// every export of the same range differ. A log shorter than its newest
// checkpoint was truncated: an error, as is one that does not read.
func (b *builder) checkpointedLog() ([]audit.Entry, [][]byte, *audit.Tree, error) {
	entries, err := audit.ReadEntries(bytes.NewReader(b.src.AuditLog))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("evidence export: the audit log cannot be read (%v); run `ledgerlens audit verify`: an unreadable audit log is a control incident", err)
	}
	lines := bytes.SplitAfter(b.src.AuditLog, []byte("\n"))
	limit := newestSize(b.src.Checkpoints)
	if limit > int64(len(entries)) {
		return nil, nil, nil, fmt.Errorf("evidence export: the audit log has %d entries, fewer than its newest signed checkpoint (%d): it was truncated; run `ledgerlens audit verify`", len(entries), limit)
	}
	entries, lines = entries[:limit], lines[:limit]
	b.entries = entries
	tree, err := audit.NewTree(entries)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("evidence export: %w", err)
	}
	return entries, lines, tree, nil
}

// segmentSpan selects the segment by sequence number: it runs from the
// first to the last of the entries recording the bundled files'
// publication and the entries dated in the range. It returns the indexes
// in entries of its first and last entry (-1 and -1 when it holds none)
// and the inclusion of each bundled published file, its newest record of
// publication, without proofs. A bundled file the log does not record as
// published, with these bytes, is an error; this must not add members.
func (b *builder) segmentSpan(entries []audit.Entry) (first, last int, inclusion []Inclusion, err error) {
	recordSeq := map[string]int64{} // base name + sha256 → newest seq
	for _, e := range entries {
		if e.Event == audit.EventArtifactWritten {
			p, _ := e.Fields["path"].(string)
			sum, _ := e.Fields["sha256"].(string)
			recordSeq[path.Base(p)+" "+sum] = e.Seq
		}
	}
	first, last = -1, -1
	widen := func(i int) {
		if first < 0 || i < first {
			first = i
		}
		if i > last {
			last = i
		}
	}
	for _, m := range b.members {
		if !strings.HasPrefix(m.path, ReviewsPrefix) && !strings.HasPrefix(m.path, BaselinesPrefix) {
			continue
		}
		seq, ok := recordSeq[path.Base(m.path)+" "+m.file.SHA256]
		if !ok {
			return 0, 0, nil, fmt.Errorf("evidence export: %s is not recorded in the audit log as published (or was changed since): %w", m.path, reports.ErrNotAsRecorded)
		}
		widen(int(seq - 1))
		inclusion = append(inclusion, Inclusion{File: m.path, Seq: seq})
	}
	for i, e := range entries {
		t, err := e.Timestamp()
		if err != nil {
			return 0, 0, nil, fmt.Errorf("evidence export: %w", err)
		}
		if b.in(t) {
			widen(i)
		}
	}
	return first, last, inclusion, nil
}

// makeProofs picks the signed checkpoint the bundle proves against (the
// first stored one that covers every entry up to need, the segment's
// end: pickCheckpoint), holds the log to it,
// and returns it, the log's newest signed checkpoint (the head) and
// audit/proofs.json's content: each bundled file's inclusion (inclusion,
// sorted, with its proof), each carried checkpoint's consistency with
// the checkpoint, and the head's proofs. It must not add members: the
// caller adds them once the keys that signed checkpoints are in.
func (b *builder) makeProofs(tree *audit.Tree, inclusion []Inclusion, need int64) (audit.Checkpoint, audit.Checkpoint, Proofs, error) {
	cp, err := pickCheckpoint(b.src.Checkpoints, b.src.Signer.Public(), need)
	if err != nil {
		return audit.Checkpoint{}, audit.Checkpoint{}, Proofs{}, err
	}
	if root, err := tree.Root(cp.Size); err != nil || root != cp.Root {
		return audit.Checkpoint{}, audit.Checkpoint{}, Proofs{}, fmt.Errorf("evidence export: the audit log is inconsistent with its signed %s; run `ledgerlens audit verify`", cp)
	}
	pr := Proofs{Checkpoint: CheckpointMember, TreeSize: cp.Size, RootHash: cp.Root.String()}
	for i := range inclusion {
		proof, err := tree.InclusionProof(inclusion[i].Seq, cp.Size)
		if err != nil {
			return audit.Checkpoint{}, audit.Checkpoint{}, Proofs{}, fmt.Errorf("evidence export: %w", err)
		}
		inclusion[i].Proof = encodeHashes(proof)
	}
	sortInclusion(inclusion)
	pr.Inclusion = inclusion
	if pr.Inclusion == nil {
		pr.Inclusion = []Inclusion{}
	}
	if pr.Consistency, err = b.carriedConsistency(tree, cp); err != nil {
		return audit.Checkpoint{}, audit.Checkpoint{}, Proofs{}, err
	}
	head, h, err := headOf(b.src.Checkpoints, b.src.Signer.Public(), tree)
	if err != nil {
		return audit.Checkpoint{}, audit.Checkpoint{}, Proofs{}, err
	}
	pr.Head = h
	return cp, head, pr, nil
}

// carriedConsistency proves, for each checkpoint a bundled report carries
// (its audit_checkpoint) under the current key, that the log it describes
// is a prefix of cp's. A checkpoint carried from before a key rotation
// gets no proof; one that does not open, or is beyond cp, is an error.
func (b *builder) carriedConsistency(tree *audit.Tree, cp audit.Checkpoint) ([]Consistency, error) {
	out := []Consistency{}
	v, err := audit.NewCheckpointVerifier(b.src.Signer.KeyID(), b.src.Signer.Public())
	if err != nil {
		return nil, err
	}
	for _, rc := range b.carried {
		if audit.NoteOrigin(rc.note) != v.Name() {
			continue // carried from before a key rotation: no proof from it
		}
		c, err := audit.OpenCheckpoint([]byte(rc.note), v)
		if err != nil {
			return nil, fmt.Errorf("evidence export: %s: its audit_checkpoint: %w", rc.file, err)
		}
		if c.Size > cp.Size {
			return nil, fmt.Errorf("evidence export: %s carries a checkpoint of size %d, beyond the bundle's %d", rc.file, c.Size, cp.Size)
		}
		var proof tlog.TreeProof
		if c.Size > 0 && c.Size < cp.Size {
			if proof, err = tree.ConsistencyProof(c.Size, cp.Size); err != nil {
				return nil, fmt.Errorf("evidence export: %w", err)
			}
		}
		out = append(out, Consistency{Report: rc.file, FromSize: c.Size, Proof: encodeHashes(proof)})
	}
	return out, nil
}

// cutSegment returns the segment's bytes and entries, entries[first:last+1]
// (none when first is -1), and how many entries from seq 1 the log's
// verification covers (through the segment's end), and fills info's
// description of it: its sequence numbers, size and the hashes it chains
// from and ends at. With nothing to hold, the segment is empty and chains
// from the last entry before the range.
func (b *builder) cutSegment(entries []audit.Entry, lines [][]byte, first, last int, info *AuditInfo) (seg []byte, segEntries []audit.Entry, prefix int) {
	if first >= 0 {
		prefix = last + 1
		segEntries = entries[first : last+1]
		seg = bytes.Join(lines[first:last+1], nil)
		if first > 0 {
			info.PrevHash = entries[first-1].Hash
		}
		info.FirstSeq, info.LastSeq = segEntries[0].Seq, segEntries[len(segEntries)-1].Seq
		info.Entries = int64(len(segEntries))
		info.HeadHash = segEntries[len(segEntries)-1].Hash
	} else {
		// Nothing to hold: the segment is empty and chains from the last
		// entry before the range.
		for i, e := range entries {
			if t, _ := e.Timestamp(); !t.Before(b.end) {
				break
			}
			info.PrevHash = entries[i].Hash
			prefix = i + 1
		}
		info.HeadHash = info.PrevHash
	}
	return seg, segEntries, prefix
}

// verificationMember returns the content of the audit verification member
// (AuditVerifyFile): the results of verifying the log from its start
// (logRes) and the segment (segRes), as info describes it, and where in
// the log each bundled report's audit_head_at_start is, b.heads sorted by
// file.
func (b *builder) verificationMember(entries []audit.Entry, info AuditInfo, logRes, segRes audit.Result) ([]byte, error) {
	bySeq := map[string]int64{audit.ZeroHash: 0}
	for _, e := range entries {
		bySeq[e.Hash] = e.Seq
	}
	type headCheck struct {
		reportHead
		FoundAtSeq *int64 `json:"found_at_seq"`
	}
	heads := []headCheck{}
	sort.Slice(b.heads, func(i, j int) bool { return b.heads[i].File < b.heads[j].File })
	for _, h := range b.heads {
		hc := headCheck{reportHead: h}
		if seq, ok := bySeq[h.Head]; ok {
			hc.FoundAtSeq = &seq
		}
		heads = append(heads, hc)
	}
	verification := struct {
		Log struct {
			OK       bool    `json:"ok"`
			Entries  int64   `json:"entries"`
			HeadSeq  int64   `json:"head_seq"`
			HeadHash string  `json:"head_hash"`
			Broken   *string `json:"broken"`
		} `json:"log_from_start"`
		Segment struct {
			OK       bool    `json:"ok"`
			Entries  int64   `json:"entries"`
			FirstSeq int64   `json:"first_seq"`
			LastSeq  int64   `json:"last_seq"`
			PrevHash string  `json:"prev_hash"`
			HeadHash string  `json:"head_hash"`
			Broken   *string `json:"broken"`
		} `json:"segment"`
		ReportAuditHeads []headCheck `json:"report_audit_heads"`
		Notes            []string    `json:"notes"`
	}{ReportAuditHeads: heads, Notes: []string{
		"log_from_start: the audit log from seq 1 through the segment's last entry, as verified at export; segment: the exported entries, chained from prev_hash",
		"report_audit_heads: each report's audit_head_at_start and the seq of the log entry with that hash at export (null: not in the log, i.e. the log was truncated or replaced)",
	}}
	verification.Log.OK, verification.Log.Entries = logRes.OK(), logRes.Entries
	verification.Log.HeadSeq, verification.Log.HeadHash = logRes.HeadSeq, logRes.HeadHash
	if err := logRes.Err(); err != nil {
		s := err.Error()
		verification.Log.Broken = &s
	}
	vs := &verification.Segment
	vs.OK, vs.Entries, vs.FirstSeq, vs.LastSeq = segRes.OK(), info.Entries, info.FirstSeq, info.LastSeq
	vs.PrevHash, vs.HeadHash = info.PrevHash, info.HeadHash
	if err := segRes.Err(); err != nil {
		s := err.Error()
		vs.Broken = &s
	}
	return marshal(verification)
}

// listDir lists a directory's regular file names, sorted; a missing
// directory is empty.
func listDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("evidence export: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("evidence bundle: %w", err)
	}
	return b.Bytes(), nil
}
