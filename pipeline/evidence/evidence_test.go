package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/baselines"
	"github.com/ledgerlens/ledgerlens/reports"
)

// world is a small working root with published reports, baseline records,
// an audit log and a key pair, all written with the real writers.
type world struct {
	root, reviews, updates string
	signer                 *reports.Signer
	pubPEM                 []byte
	log                    []byte
	checkpoints            []string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{root: t.TempDir()}
	w.reviews = filepath.Join(w.root, "runs", "CREDIT_REVIEWS")
	w.updates = filepath.Join(w.root, "runs", "BASELINE_UPDATES")
	for _, d := range []string{w.reviews, w.updates} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	keys := filepath.Join(w.root, ".ledgerlens", "keys")
	info, err := reports.GenerateKey(keys, bytes.NewReader(bytes.Repeat([]byte{7}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	if w.signer, err = reports.LoadSigner(info.PrivatePath); err != nil {
		t.Fatal(err)
	}
	if w.pubPEM, err = os.ReadFile(info.PublicPath); err != nil {
		t.Fatal(err)
	}

	// The audit log: entries an hour apart from June 29 to July 3.
	clock := time.Date(2026, 6, 29, 22, 0, 0, 0, time.UTC)
	logPath := filepath.Join(w.root, ".ledgerlens", "audit.jsonl")
	l, err := audit.Open(logPath, func() time.Time { clock = clock.Add(time.Hour); return clock })
	if err != nil {
		t.Fatal(err)
	}
	var heads []string
	for i := 0; i < 100; i++ {
		_, h := l.Head()
		heads = append(heads, h)
		if _, err := l.Append(context.Background(), audit.EventJobStep, map[string]any{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
	if w.log, err = os.ReadFile(logPath); err != nil {
		t.Fatal(err)
	}

	pub := &reports.Publisher{Dir: w.reviews, Signer: w.signer}
	report := func(base, head string) {
		data := fmt.Appendf(nil, "{\n  \"report_id\": %q,\n  \"audit_head_at_start\": %q\n}\n", base, head)
		if _, err := pub.Publish(context.Background(), base, 1, []reports.Artifact{{Ext: ".json", Data: data}, {Ext: ".xlsx", Data: []byte("workbook " + base)}}); err != nil {
			t.Fatal(err)
		}
	}
	report("weekly_2026-06-22", heads[0]) // before the range: left out
	report("weekly_2026-06-29", heads[5]) // overlaps July 1
	report("weekly_2026-07-06", heads[40])
	report("weekly_2026-08-03", heads[99]) // after the range: left out
	report("sla_2026-06", heads[3])        // left out
	report("sla_2026-07", heads[60])
	rp := &reports.Publisher{Dir: w.reviews, Primary: ".jsonl"} // unsigned, as a rejects file may be
	if _, err := rp.Publish(context.Background(), "rejects_2026-07-06", 1, []reports.Artifact{{Ext: ".jsonl", Data: []byte("{\"line_no\":3}\n")}}); err != nil {
		t.Fatal(err)
	}

	// A proposal made before the range and approved in it (both go in), and
	// one proposed after it (left out).
	bp := &reports.Publisher{Dir: w.updates, Signer: w.signer}
	propose := func(id, at string) baselines.Proposal {
		p := baselines.Proposal{Schema: baselines.ProposalSchema, ProposalID: id, ScenarioID: "S", NewBaseline: 10,
			ProposedBy: "alice", ProposedAt: at, HealthyRunStatuses: []string{"Success"}}
		data, err := baselines.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bp.Publish(context.Background(), baselines.ProposalBase(id), 1, []reports.Artifact{{Ext: ".json", Data: data}}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	propose("BP-20260630-aaaaaaaaaaaa", "2026-06-30T09:00:00Z")
	propose("BP-20260805-bbbbbbbbbbbb", "2026-08-05T09:00:00Z")
	a := baselines.Approval{Schema: baselines.ApprovalSchema, ApprovalID: "O3-bob-20260701T100000Z",
		ProposalID: "BP-20260630-aaaaaaaaaaaa", ScenarioID: "S", NewBaseline: 10, ProposedBy: "alice",
		ProposedAt: "2026-06-30T09:00:00Z", ApprovedBy: "bob", ApprovedAt: "2026-07-01T10:00:00Z", Note: "update_2026-07-01.md"}
	data, err := baselines.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bp.Publish(context.Background(), baselines.ApprovalBase(a.ProposalID), 1, []reports.Artifact{{Ext: ".json", Data: data}}); err != nil {
		t.Fatal(err)
	}
	note, err := baselines.RenderNote(a, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	np := &reports.Publisher{Dir: w.updates, Signer: w.signer, Primary: ".md"}
	if _, err := np.Publish(context.Background(), "update_2026-07-01", 1, []reports.Artifact{{Ext: ".md", Data: note}}); err != nil {
		t.Fatal(err)
	}

	// The record of publication of every file, and a signed checkpoint of
	// the log, as the jobs write them.
	for _, dir := range []string{w.reviews, w.updates} {
		names, err := listDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			data, _ := os.ReadFile(filepath.Join(dir, n))
			rel, _ := filepath.Rel(w.root, filepath.Join(dir, n))
			if _, err := l.Append(context.Background(), audit.EventArtifactWritten, map[string]any{
				"path": rel, "sha256": reports.SHA256Hex(data), "bytes": len(data)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if w.log, err = os.ReadFile(logPath); err != nil {
		t.Fatal(err)
	}
	w.checkpoints = []string{w.checkpoint(t, w.log)}
	return w
}

// checkpoint signs a checkpoint of the whole log.
func (w *world) checkpoint(t *testing.T, log []byte) string {
	t.Helper()
	entries, err := audit.ReadEntries(bytes.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := audit.NewTree(entries)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := tree.Root(tree.Size())
	s, err := audit.NewCheckpointSigner(w.signer.KeyID(), w.signer.Public(), w.signer.Sign)
	if err != nil {
		t.Fatal(err)
	}
	note, err := audit.SignCheckpoint(s, tree.Size(), root)
	if err != nil {
		t.Fatal(err)
	}
	return string(note)
}

// rotate gives w a new signing key, as `keys rotate` does, and returns
// it and its public key PEM; the files already written keep the old
// key's signatures.
func (w *world) rotate(t *testing.T) (*reports.Signer, []byte) {
	t.Helper()
	info, err := reports.GenerateKey(t.TempDir(), bytes.NewReader(bytes.Repeat([]byte{8}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	next, err := reports.LoadSigner(info.PrivatePath)
	if err != nil {
		t.Fatal(err)
	}
	pemData, err := os.ReadFile(info.PublicPath)
	if err != nil {
		t.Fatal(err)
	}
	w.signer = next
	return next, pemData
}

func (w *world) source() Source {
	return Source{From: "2026-07-01", To: "2026-07-31", Loc: time.UTC, Root: w.root, ReviewsDir: w.reviews, BaselineUpdatesDir: w.updates,
		AuditLog: w.log, Checkpoints: w.checkpoints, PublicKeyPEM: w.pubPEM, Signer: w.signer, Generator: reports.Generator{Name: "ledgerlens", Version: "test"}}
}

func build(t *testing.T, src Source) ([]byte, *Index) {
	t.Helper()
	data, idx, err := Build(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	return data, idx
}

func verify(t *testing.T, data []byte) *Result {
	t.Helper()
	res, err := Verify(context.Background(), bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// members returns the zip's members in order.
func members(t *testing.T, data []byte) ([]string, map[string][]byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	content := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := b.ReadFrom(rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		names = append(names, f.Name)
		content[f.Name] = b.Bytes()
	}
	return names, content
}

// rezip writes members (in order) as a new zip, as someone tampering with
// a bundle would.
func rezip(t *testing.T, names []string, content map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(content[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestBuildSelectsTheRange(t *testing.T) {
	w := newWorld(t)
	data, idx := build(t, w.source())
	res := verify(t, data)
	if !res.OK() {
		t.Fatalf("fresh bundle does not verify: %v", res.Err())
	}
	names, content := members(t, data)
	if strings.Join(names[:4], " ") != "index.json index.json.sha256 index.json.sig INDEX.md" {
		t.Errorf("bundle starts with %v", names[:4])
	}
	has := map[string]bool{}
	for _, n := range names {
		has[n] = true
	}
	for _, want := range []string{
		"runs/CREDIT_REVIEWS/weekly_2026-06-29.json", "runs/CREDIT_REVIEWS/weekly_2026-06-29.json.sig",
		"runs/CREDIT_REVIEWS/weekly_2026-07-06.xlsx.sha256", "runs/CREDIT_REVIEWS/sla_2026-07.json",
		"runs/CREDIT_REVIEWS/rejects_2026-07-06.jsonl", "runs/BASELINE_UPDATES/proposal_BP-20260630-aaaaaaaaaaaa.json",
		"runs/BASELINE_UPDATES/approval_BP-20260630-aaaaaaaaaaaa.json", "runs/BASELINE_UPDATES/update_2026-07-01.md.sig",
		PublicKeyMember, AuditSegment, AuditVerifyFile,
	} {
		if !has[want] {
			t.Errorf("bundle lacks %s", want)
		}
	}
	for _, not := range []string{"runs/CREDIT_REVIEWS/weekly_2026-06-22.json", "runs/CREDIT_REVIEWS/weekly_2026-08-03.json",
		"runs/CREDIT_REVIEWS/sla_2026-06.json", "runs/BASELINE_UPDATES/proposal_BP-20260805-bbbbbbbbbbbb.json",
		"runs/CREDIT_REVIEWS/rejects_2026-07-06.jsonl.sig"} {
		if has[not] {
			t.Errorf("bundle holds %s, outside the range", not)
		}
	}
	c := idx.Counts
	if c.WeeklyReports != 2 || c.SLAReports != 1 || c.Proposals != 1 || c.Approvals != 1 || c.Notes != 1 {
		t.Errorf("counts %+v", c)
	}

	// The audit segment: the entries of July (hourly from June 29 23:00 to
	// July 4 02:00), chained from the entry before.
	entries, err := audit.ReadEntries(bytes.NewReader(w.log))
	if err != nil {
		t.Fatal(err)
	}
	var want []audit.Entry
	prev := audit.ZeroHash
	for _, e := range entries {
		ts, _ := e.Timestamp()
		if ts.Before(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)) {
			prev = e.Hash
			continue
		}
		if ts.Before(time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)) {
			want = append(want, e)
		}
	}
	a := idx.Audit
	last := want[len(want)-1]
	// The range's entries: 75 job steps and the 50 records of publication.
	if a.Entries != 125 || a.Entries != int64(len(want)) || a.FirstSeq != 26 || a.LastSeq != last.Seq ||
		a.PrevHash != prev || a.HeadHash != last.Hash || !a.VerifiedFromStart || a.VerifiedEntries != last.Seq {
		t.Errorf("audit info %+v", a)
	}
	if got := strings.Count(string(content[AuditSegment]), "\n"); got != 125 {
		t.Errorf("segment has %d lines", got)
	}
	// verification.json finds each report's audit head in the log.
	var v struct {
		ReportAuditHeads []struct {
			File       string `json:"file"`
			FoundAtSeq *int64 `json:"found_at_seq"`
		} `json:"report_audit_heads"`
	}
	if err := json.Unmarshal(content[AuditVerifyFile], &v); err != nil {
		t.Fatal(err)
	}
	if len(v.ReportAuditHeads) != 3 {
		t.Fatalf("report heads %+v", v.ReportAuditHeads)
	}
	for _, h := range v.ReportAuditHeads {
		if h.FoundAtSeq == nil {
			t.Errorf("%s: audit head not found in the log", h.File)
		}
	}
	// Every control lists files, and every file evidences a control.
	for _, ctl := range idx.Controls {
		if len(ctl.Files) == 0 {
			t.Errorf("control %s has no files", ctl.ID)
		}
	}
	for _, f := range idx.Files {
		if len(f.Controls) == 0 {
			t.Errorf("%s evidences no control", f.Path)
		}
	}
	if !bytes.Contains(content[IndexMarkdown], []byte("Change management with two-person approval")) {
		t.Error("INDEX.md does not describe the controls")
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	w := newWorld(t)
	a, _ := build(t, w.source())
	b, _ := build(t, w.source())
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of the same range differ")
	}
	// The same files under another root (and read at another time) give
	// the same bytes: nothing host- or clock-specific is inside.
	other := t.TempDir()
	if out, err := exec.Command("cp", "-a", w.root+"/.", other).CombinedOutput(); err != nil {
		t.Fatalf("copy: %v %s", err, out)
	}
	src := w.source()
	src.ReviewsDir = filepath.Join(other, "runs", "CREDIT_REVIEWS")
	src.BaselineUpdatesDir = filepath.Join(other, "runs", "BASELINE_UPDATES")
	c, _ := build(t, src)
	if !bytes.Equal(a, c) {
		t.Fatal("the same evidence under another directory gives a different bundle")
	}
	// Entries appended to the audit log after the range (the export's own,
	// or next month's jobs) do not change the bundle.
	logPath := filepath.Join(t.TempDir(), "audit.jsonl")
	os.WriteFile(logPath, w.log, 0o644)
	l, err := audit.Open(logPath, func() time.Time { return time.Date(2026, 8, 2, 0, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(context.Background(), audit.EventJobStart, map[string]any{"job": "evidence-export"}); err != nil {
		t.Fatal(err)
	}
	src.AuditLog, _ = os.ReadFile(logPath)
	if d, _ := build(t, src); !bytes.Equal(a, d) {
		t.Fatal("an audit entry after the range changed the bundle")
	}
	zr, _ := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	for _, f := range zr.File {
		if !f.Modified.Equal(time.Date(2026, 7, 31, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("%s carries date %s, not the range's last day", f.Name, f.Modified)
		}
	}
}

func TestVerifyNamesTamperedFile(t *testing.T) {
	w := newWorld(t)
	data, _ := build(t, w.source())
	names, content := members(t, data)

	problemsName := func(res *Result, name string) bool {
		for _, p := range res.Problems {
			if p.File == name {
				return true
			}
		}
		return false
	}
	for _, name := range names {
		if len(content[name]) == 0 {
			continue
		}
		t.Run("change "+name, func(t *testing.T) {
			changed := map[string][]byte{}
			for k, v := range content {
				changed[k] = v
			}
			b := append([]byte{}, content[name]...)
			b[len(b)/2] ^= 0x01
			changed[name] = b
			res := verify(t, rezip(t, names, changed))
			if res.OK() || !problemsName(res, name) {
				t.Fatalf("changing one byte of %s: problems %v", name, res.Problems)
			}
		})
		t.Run("drop "+name, func(t *testing.T) {
			var kept []string
			for _, n := range names {
				if n != name {
					kept = append(kept, n)
				}
			}
			res := verify(t, rezip(t, kept, content))
			if res.OK() || !problemsName(res, name) {
				t.Fatalf("dropping %s: problems %v", name, res.Problems)
			}
		})
	}
	t.Run("extra file", func(t *testing.T) {
		extra := map[string][]byte{"runs/CREDIT_REVIEWS/weekly_2026-07-13.json": []byte("{}")}
		for k, v := range content {
			extra[k] = v
		}
		res := verify(t, rezip(t, append(append([]string{}, names...), "runs/CREDIT_REVIEWS/weekly_2026-07-13.json"), extra))
		if res.OK() || !problemsName(res, "runs/CREDIT_REVIEWS/weekly_2026-07-13.json") {
			t.Fatalf("an unlisted file went unnoticed: %v", res.Problems)
		}
	})
}

func TestVerifyNamesReorderedAuditEntry(t *testing.T) {
	w := newWorld(t)
	data, idx := build(t, w.source())
	names, content := members(t, data)
	lines := bytes.SplitAfter(content[AuditSegment], []byte("\n"))
	lines[10], lines[11] = lines[11], lines[10]
	changed := map[string][]byte{}
	for k, v := range content {
		changed[k] = v
	}
	changed[AuditSegment] = bytes.Join(lines, nil)
	res := verify(t, rezip(t, names, changed))
	var chain *Problem
	for i, p := range res.Problems {
		if p.File == AuditSegment && p.Line > 0 {
			chain = &res.Problems[i]
		}
	}
	if chain == nil || chain.Line != 11 || chain.Seq != idx.Audit.FirstSeq+11 {
		t.Fatalf("want the chain broken at segment line 11 (seq %d); problems: %v", idx.Audit.FirstSeq+11, res.Problems)
	}
	if !strings.Contains(chain.String(), "line 11") || !strings.Contains(chain.String(), fmt.Sprintf("seq %d", idx.Audit.FirstSeq+11)) {
		t.Errorf("problem %q does not name the entry", chain)
	}
}

// TestTamperedLogBeforeTheRange: a log edited before the range (and
// re-chained or not) no longer matches its signed checkpoint, and the
// export refuses it rather than shipping a bundle that says so.
func TestTamperedLogBeforeTheRange(t *testing.T) {
	w := newWorld(t)
	lines := bytes.SplitAfter(w.log, []byte("\n"))
	lines[3] = bytes.Replace(lines[3], []byte(`"i":3`), []byte(`"i":4`), 1)
	src := w.source()
	src.AuditLog = bytes.Join(lines, nil)
	_, _, err := Build(context.Background(), src)
	if err == nil || !strings.Contains(err.Error(), "inconsistent with its signed checkpoint") {
		t.Fatalf("export of a tampered log: %v", err)
	}
	src.AuditLog = bytes.Join(lines[:40], nil)
	if _, _, err := Build(context.Background(), src); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("export of a truncated log: %v", err)
	}
}

func TestVerifyWithAnotherKeyFails(t *testing.T) {
	w := newWorld(t)
	data, _ := build(t, w.source())
	other, err := reports.GenerateKey(t.TempDir(), bytes.NewReader(bytes.Repeat([]byte{9}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(context.Background(), bytes.NewReader(data), int64(len(data)), other.Public)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || res.KeySource != "given" {
		t.Fatalf("a bundle verified with a key that did not sign it: %+v", res)
	}
	if _, err := Verify(context.Background(), bytes.NewReader([]byte("not a zip")), 9, nil); err == nil {
		t.Error("a non-zip was accepted")
	}
}

func TestSpan(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err) // time/tzdata is linked in: the zone always exists
	}
	tests := []struct {
		from, to   string
		loc        *time.Location
		start, end string
		bad        bool
	}{
		{"2026-07-01", "2026-09-30", time.UTC, "2026-07-01T00:00:00Z", "2026-10-01T00:00:00Z", false},
		{"2026-07-01", "2026-07-01", berlin, "2026-06-30T22:00:00Z", "2026-07-01T22:00:00Z", false},
		{"2026-07-02", "2026-07-01", time.UTC, "", "", true},
		{"07/01/2026", "2026-07-01", time.UTC, "", "", true},
	}
	for _, tt := range tests {
		s, e, err := Span(tt.from, tt.to, tt.loc)
		if (err != nil) != tt.bad {
			t.Errorf("Span(%s, %s) error %v", tt.from, tt.to, err)
			continue
		}
		if !tt.bad && (s.UTC().Format(time.RFC3339) != tt.start || e.UTC().Format(time.RFC3339) != tt.end) {
			t.Errorf("Span(%s, %s) = %s, %s", tt.from, tt.to, s.UTC(), e.UTC())
		}
	}
}

// TestBundleNamesGapsAndProvesItsEntries: a range with missing weeks
// verifies and says so; the same bundle with one audit entry removed, or a
// proof byte flipped, fails.
func TestBundleNamesGapsAndProvesItsEntries(t *testing.T) {
	w := newWorld(t)
	data, idx := build(t, w.source())
	if res := verify(t, data); !res.OK() {
		t.Fatalf("fresh bundle: %v", res.Err())
	}
	var statuses []string
	for _, p := range idx.Periods {
		statuses = append(statuses, p.Week+" "+p.Status)
	}
	want := "2026-06-29 present,2026-07-06 present,2026-07-13 missing,2026-07-20 missing,2026-07-27 missing"
	if got := strings.Join(statuses, ","); got != want {
		t.Errorf("periods %s, want %s", got, want)
	}
	names, content := members(t, data)
	md := string(content[IndexMarkdown])
	if !strings.Contains(md, "**Gaps: 3 of the 5 weeks") || !strings.Contains(md, "week of 2026-07-13: **MISSING**: the audit log records no weekly review") {
		t.Errorf("INDEX.md does not state the gaps:\n%s", md)
	}
	if strings.Contains(md, "Every week the credit review ran") {
		t.Error("INDEX.md still claims completeness")
	}

	var pr Proofs
	if err := json.Unmarshal(content[ProofsMember], &pr); err != nil || len(pr.Inclusion) == 0 || len(pr.Consistency) != 0 {
		t.Fatalf("proofs: %+v %v", pr, err)
	}
	t.Run("audit entry removed", func(t *testing.T) {
		target := pr.Inclusion[0]
		var kept [][]byte
		for _, line := range bytes.SplitAfter(content[AuditSegment], []byte("\n")) {
			if !bytes.Contains(line, []byte(fmt.Sprintf(`"seq":%d,`, target.Seq))) {
				kept = append(kept, line)
			}
		}
		changed := copyMap(content)
		changed[AuditSegment] = bytes.Join(kept, nil)
		res := verify(t, rezip(t, names, changed))
		if res.OK() || !strings.Contains(fmt.Sprint(res.Problems), fmt.Sprintf("its audit record (seq %d) is not in", target.Seq)) {
			t.Fatalf("problems %v", res.Problems)
		}
	})
	t.Run("proof byte flipped", func(t *testing.T) {
		var p Proofs
		json.Unmarshal(content[ProofsMember], &p)
		for i := range p.Inclusion {
			if len(p.Inclusion[i].Proof) > 0 {
				h := []byte(p.Inclusion[i].Proof[0])
				h[0] ^= 0x01
				p.Inclusion[i].Proof[0] = string(h)
				break
			}
		}
		changed := copyMap(content)
		changed[ProofsMember], _ = json.Marshal(p)
		res := verify(t, rezip(t, names, changed))
		if res.OK() || !strings.Contains(fmt.Sprint(res.Problems), "inclusion proof") {
			t.Fatalf("problems %v", res.Problems)
		}
	})
}

func copyMap(m map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// After a key rotation the files published before it carry the retired
// key's signatures. The bundle names that key for each of them and holds
// its public half; index.json, signed by the current key, vouches for
// both, so the bundle verifies offline with the current key alone. A
// retired key's member swapped for another key fails.
func TestBundleAfterKeyRotation(t *testing.T) {
	w := newWorld(t)
	old := w.signer
	next, nextPEM := w.rotate(t)
	src := w.source()
	src.PublicKeyPEM = nextPEM
	src.Checkpoints = []string{w.checkpoint(t, w.log)}
	withKey := func(data []byte, pub ed25519.PublicKey) *Result {
		t.Helper()
		res, err := Verify(context.Background(), bytes.NewReader(data), int64(len(data)), pub)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	// Without the retired key the old signatures cannot be checked.
	bare, _ := build(t, src)
	if res := withKey(bare, next.Public()); res.OK() {
		t.Fatal("files signed by the retired key verified with the current one")
	}

	src.RetiredKeys = []ed25519.PublicKey{old.Public()}
	data, idx := build(t, src)
	res := withKey(data, next.Public())
	if !res.OK() {
		t.Fatalf("bundle after a rotation: %v", res.Problems)
	}
	if len(idx.RetiredKeys) != 1 || idx.RetiredKeys[0].KeyID != old.KeyID() || idx.RetiredKeys[0].Path != RetiredKeysPrefix+old.KeyID()+".pub" {
		t.Fatalf("retired keys %+v, want %s", idx.RetiredKeys, old.KeyID())
	}
	signedByOld := 0
	for _, f := range idx.Files {
		if f.SignatureKeyID == old.KeyID() {
			signedByOld++
		} else if f.SignatureKeyID != "" {
			t.Errorf("%s: signature_key_id %q", f.Path, f.SignatureKeyID)
		}
	}
	if signedByOld == 0 || signedByOld != res.Signed-1 { // and index.json, by the current key
		t.Errorf("%d files name the retired key, %d signatures verified", signedByOld, res.Signed)
	}
	if res := withKey(data, old.Public()); res.OK() {
		t.Error("the bundle verified with the retired key as the trusted one")
	}

	names, content := members(t, data)
	other, err := reports.GenerateKey(t.TempDir(), bytes.NewReader(bytes.Repeat([]byte{9}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	swapped := copyMap(content)
	swapped[idx.RetiredKeys[0].Path], _ = reports.PublicKeyPEM(other.Public)
	res = withKey(rezip(t, names, swapped), next.Public())
	if res.OK() {
		t.Fatal("a swapped retired key went unnoticed")
	}
	if res.Problems[0].File != idx.RetiredKeys[0].Path {
		t.Errorf("problems %v, want the first to name %s", res.Problems, idx.RetiredKeys[0].Path)
	}
}

// TestCheckAcknowledgments: a bundled weekly report's claim that a ledger
// modification or conflicting duplicate was acknowledged must be backed by
// the signed record it names, in the bundle, saying the same.
func TestCheckAcknowledgments(t *testing.T) {
	const (
		report = ReviewsPrefix + "weekly_2026-07-06.r2.json"
		cited  = "runs/CREDIT_REVIEWS/ledger_ack_20260708T100000Z.json"
		member = ReviewsPrefix + "ledger_ack_20260708T100000Z.json"
	)
	weekly := fmt.Appendf(nil, `{"data_quality": {
		"append_only": {"modifications": [{"audit_seq": 7, "byte_from": 4096, "byte_to": 8192, "line_from": 40, "line_to": 41,
			"acknowledgment": {"by": "alice", "reason": "FIN-7", "at": "2026-07-08T10:00:00Z", "record": %q}}]},
		"conflicting_duplicates": [{"line_no": 90, "first_line_no": 12, "run_id": "RUN-9",
			"acknowledgment": {"by": "alice", "reason": "FIN-7", "at": "2026-07-08T10:00:00Z", "record": %q}}]}}`, cited, cited)
	record := func(by string, from, to int64, dupLine int64) []byte {
		seq := 7
		if from == 0 { // another detection of the same bytes and lines
			from, seq = 40, 9
		}
		return fmt.Appendf(nil, `{"schema": "ledgerlens.ledger_acknowledgment/1", "by": %q, "reason": "FIN-7",
			"line_from": 1, "line_to": 100,
			"modifications": [{"audit_seq": %d, "byte_from": 4096, "byte_to": 8192, "line_from": %d, "line_to": %d}],
			"duplicates": [{"line_no": %d, "run_id": "RUN-9"}]}`, by, seq, from, to, dupLine)
	}
	for _, tc := range []struct {
		name     string
		kind     string
		record   []byte
		unsigned bool
		want     string
	}{
		{"the record, saying the same", KindLedgerAck, record("alice", 40, 41, 90), false, ""},
		{"no record in the bundle", "", nil, false, "which the bundle does not hold"},
		{"the record listed as something else", KindWeeklyReport, record("alice", 40, 41, 90), false, "which the bundle does not hold"},
		{"the record without its signature", KindLedgerAck, record("alice", 40, 41, 90), true, "without its signature"},
		{"another person", KindLedgerAck, record("mallory", 40, 41, 90), false, `acknowledged by "mallory"`},
		{"a modification it does not list", KindLedgerAck, record("alice", 41, 41, 90), false, "does not list the modification of bytes 4096-8192 (lines 40-41"},
		{"another detection of the same bytes", KindLedgerAck, record("alice", 0, 41, 90), false, "does not list the modification of bytes 4096-8192 (lines 40-41, audit seq 7)"},
		{"a duplicate it does not name", KindLedgerAck, record("alice", 40, 41, 91), false, "does not name the conflicting duplicate on line 90"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idx := &Index{Files: []File{{Path: report, Kind: KindWeeklyReport}}}
			members := map[string][]byte{report: weekly}
			if tc.kind != "" {
				sig := member + reports.SignatureExt
				f := File{Path: member, Kind: tc.kind}
				if !tc.unsigned {
					f.Signature = &sig
					members[sig] = []byte("signature")
				}
				idx.Files = append(idx.Files, f)
				members[member] = tc.record
			}
			res := &Result{}
			checkAcknowledgments(res, idx, members)
			got := fmt.Sprint(res.Problems)
			switch {
			case tc.want == "" && len(res.Problems) > 0:
				t.Errorf("problems: %s", got)
			case tc.want != "" && (!strings.Contains(got, tc.want) || !strings.Contains(got, report)):
				t.Errorf("problems %s, want one about %s naming %q", got, report, tc.want)
			}
		})
	}
}

// TestCoversReadsNamesAsPublished: a bundle of a range takes the files
// named as ledgerlens names reports (reports.ParseName), their sidecars
// and signatures, by the period their names say; a preliminary report, or
// a name ledgerlens never writes (weekly_D.r1.json was read as revision
// 1), never.
func TestCoversReadsNamesAsPublished(t *testing.T) {
	start := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 0, 7)
	for name, want := range map[string]bool{
		"weekly_2026-11-16.json":                          true,
		"weekly_2026-11-16.r2.xlsx":                       true,
		"weekly_2026-11-16.r2.json.sig":                   true,
		"weekly_2026-11-16.json.sha256":                   true,
		"rejects_cumulative_2026-11-16.r3.jsonl":          true,
		"rejects_2026-11-16.jsonl":                        true,
		"sla_2026-11.json":                                true,
		"sla_2026-11.r2.xlsx":                             true,
		"weekly_2026-11-09.json":                          false,
		"sla_2026-10.json":                                false,
		"weekly_2026-11-16.preliminary.json":              false,
		"rejects_cumulative_2026-11-16.preliminary.jsonl": false,
		"weekly_2026-11-16.r1.json":                       false,
		"weekly_2026-11-16.r01.json":                      false,
		"weekly_2026-11-16.r0.xlsx":                       false,
		"sla_2026-11.r1.json":                             false,
		"weekly_2026-11-16.jsonl":                         false,
		"rejects_cumulative_2026-11-16.json":              false,
		"WEEKLY_2026-11-16.json":                          false,
	} {
		if got := Covers(name, start, end, time.UTC); got != want {
			t.Errorf("Covers(%q) = %v, want %v", name, got, want)
		}
	}
}
