package reconcile

import (
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/reports"
)

// publish writes a signed weekly report pair for week (revision rev) the
// way a job does, and records every file in the audit log.
func publish(t *testing.T, l inputs.Layout, log *audit.Log, s *reports.Signer, week string, rev int) {
	t.Helper()
	publishReport(t, l, log, s, week, false, rev)
}

// publishReport is publish of a final or a preliminary report.
func publishReport(t *testing.T, l inputs.Layout, log *audit.Log, s *reports.Signer, week string, preliminary bool, rev int) {
	t.Helper()
	base := reports.PublishedName{Kind: reports.PublicationWeekly, Label: week, Preliminary: preliminary}.Base()
	w := reports.Weekly{Schema: reports.Schema, ReportID: "CREDIT_REVIEW_" + week, PeriodStart: week + "T00:00:00Z", Preliminary: preliminary}
	w.Revision = rev
	if rev > 1 {
		sup := reports.Name(base, rev-1, ".json")
		w.Supersedes = &sup
	}
	data, err := reports.MarshalWeekly(&w)
	if err != nil {
		t.Fatal(err)
	}
	pub := &reports.Publisher{Dir: l.ReviewsDir, Signer: s}
	if err := os.MkdirAll(pub.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := pub.Publish(context.Background(), base, rev, []reports.Artifact{{Ext: ".json", Data: data}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Files {
		if _, err := log.Append(context.Background(), audit.EventArtifactWritten, map[string]any{
			"path": l.Rel(f.Path), "sha256": f.SHA256, "bytes": f.Bytes, "publication": base, "revision": rev}); err != nil {
			t.Fatal(err)
		}
	}
}

func setup(t *testing.T) (inputs.Layout, *reports.Signer) {
	t.Helper()
	l := inputs.NewLayout(t.TempDir())
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	s, err := reports.NewSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	log, err := audit.Open(l.AuditLog, func() time.Time { return time.Date(2026, 11, 16, 10, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	publish(t, l, log, s, "2026-11-02", 1)
	publish(t, l, log, s, "2026-11-09", 1)
	publish(t, l, log, s, "2026-11-09", 2)
	return l, s
}

func reconcileRoot(t *testing.T, l inputs.Layout, pub ed25519.PublicKey) []string {
	t.Helper()
	st, err := audit.Load(l.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	_, problems, err := Dirs(l, st.Entries, job.OutputDirs(l), pub)
	if err != nil {
		t.Fatal(err)
	}
	return problems
}

func TestDirsReportsEveryProblem(t *testing.T) {
	dir := func(l inputs.Layout, name string) string { return filepath.Join(l.ReviewsDir, name) }
	cases := []struct {
		name   string
		attack func(l inputs.Layout)
		want   []string // each must appear in some problem
	}{
		{"intact", func(inputs.Layout) {}, nil},
		{"deleted report and revision", func(l inputs.Layout) {
			os.Remove(dir(l, "weekly_2026-11-02.json"))
			os.Remove(dir(l, "weekly_2026-11-09.json"))
		}, []string{"weekly_2026-11-02.json: recorded as published", "weekly_2026-11-09.json: recorded as published",
			"revision chain incomplete: revision 1"}},
		{"swapped", func(l inputs.Layout) {
			data, _ := os.ReadFile(dir(l, "weekly_2026-11-02.json"))
			os.WriteFile(dir(l, "weekly_2026-11-09.r2.json"), data, 0o644)
		}, []string{`report_id "CREDIT_REVIEW_2026-11-02" inside`, "revision 1 inside, but the file name says revision 2", "is not the recorded"}},
		{"planted and stripped", func(l inputs.Layout) {
			os.WriteFile(dir(l, "weekly_2026-11-16.json"), []byte("{}"), 0o644)
			os.Remove(dir(l, "weekly_2026-11-02.json.sha256"))
		}, []string{"weekly_2026-11-16.json: not recorded", "weekly_2026-11-02.json: missing sidecar", "weekly_2026-11-02.json.sha256: recorded as published"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, s := setup(t)
			tc.attack(l)
			problems := reconcileRoot(t, l, s.Public())
			if tc.want == nil && len(problems) != 0 {
				t.Fatalf("intact root: %q", problems)
			}
			all := strings.Join(problems, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("no problem names %q in:\n%s", w, all)
				}
			}
		})
	}
}

func TestFileIsTheRecordedArtifact(t *testing.T) {
	l, _ := setup(t)
	target := filepath.Join(l.ReviewsDir, "weekly_2026-11-09.json")
	if p, err := File(l, target, fileBytes(t, target), job.OutputDirs(l)); err != nil || len(p) != 0 {
		t.Fatalf("recorded file: %q %v", p, err)
	}
	// r2's bytes, signature and a fresh sidecar over r1's name: they verify
	// on their own, but they are not what was published under that name.
	for _, ext := range []string{"", ".sig"} {
		data, _ := os.ReadFile(filepath.Join(l.ReviewsDir, "weekly_2026-11-09.r2.json"+ext))
		os.WriteFile(target+ext, data, 0o644)
	}
	p, err := File(l, target, fileBytes(t, target), job.OutputDirs(l))
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(p, "\n")
	if !strings.Contains(all, "not the recorded artifact for this name") || !strings.Contains(all, "revision 2 inside") {
		t.Errorf("problems %q", p)
	}
	// The same file reached through a symbolic link to the root, or with
	// the root named through one, is still under the root: it was only
	// name-checked, as an auditor's copy outside the root is.
	link := filepath.Join(t.TempDir(), "root-link")
	if err := os.Symlink(l.Root, link); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(l.Root, target)
	if err != nil {
		t.Fatal(err)
	}
	linked := inputs.NewLayout(link)
	for _, c := range []struct {
		name string
		l    inputs.Layout
		path string
	}{
		{"the file through the link", l, filepath.Join(link, rel)},
		{"the root through the link", linked, target},
	} {
		p, err := File(c.l, c.path, fileBytes(t, c.path), job.OutputDirs(c.l))
		if err != nil || !strings.Contains(strings.Join(p, "\n"), "not the recorded artifact for this name") {
			t.Errorf("%s: problems %q (%v), want the swap found", c.name, p, err)
		}
	}
}

// TestRecordedDirsUnderARelativeRoot: with the root named relatively, the
// configured output directory and the one the records name are the same
// directory, listed once (it was listed twice, and every problem in it
// reported twice).
func TestRecordedDirsUnderARelativeRoot(t *testing.T) {
	l, _ := setup(t)
	st, err := audit.Load(l.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	want := len(WithRecordedDirs(l, job.OutputDirs(l), st.Entries))
	t.Chdir(filepath.Dir(l.Root))
	rel := inputs.NewLayout(filepath.Base(l.Root))
	if got := WithRecordedDirs(rel, job.OutputDirs(rel), st.Entries); len(got) != want {
		t.Errorf("relative root: directories %q, want %d as under the absolute root", got, want)
	}
}

// TestRecordedDirsThroughALink: an output_dir that is a link to the
// directory the records name is reconciled under both names, so the
// recorded files missing from it are still named (keyed by the real path,
// the records' directory was dropped and a deletion went unreported).
func TestRecordedDirsThroughALink(t *testing.T) {
	l, _ := setup(t)
	st, err := audit.Load(l.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	alias := filepath.Join(l.Root, "runs", "ALIAS")
	if err := os.Symlink(l.ReviewsDir, alias); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(l.Config), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l.Config, []byte(`{"output_dir": "runs/ALIAS"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	got := WithRecordedDirs(l, job.OutputDirs(l), st.Entries)
	if !slices.Contains(got, alias) || !slices.Contains(got, l.ReviewsDir) {
		t.Errorf("directories %q, want both %s and %s", got, alias, l.ReviewsDir)
	}
}

// copyAs copies a published file of dir, with its signature, to path,
// with a sidecar written for its new name: what anyone can do to a
// genuine publication.
func copyAs(t *testing.T, dir, from, path string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, from))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := os.ReadFile(filepath.Join(dir, from+reports.SignatureExt))
	if err != nil {
		t.Fatal(err)
	}
	for p, b := range map[string][]byte{path: data, path + reports.SignatureExt: sig, path + reports.SidecarExt: reports.SidecarBytes(filepath.Base(path), data)} {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMisnamedRevisionsAreReported: names ledgerlens never writes — a
// revision written .r01, .r1 or .r0 — are no publication of their week
// (reports.ParseName). They were read as revision 1 (.r01, .r1) or 0
// (.r0); they must still be reported, as files named like reports that
// are none, never passed over. A .r01 copy of revision 1 no longer
// stands in for it in the revision chain either.
func TestMisnamedRevisionsAreReported(t *testing.T) {
	l, s := setup(t)
	dir := l.ReviewsDir
	copyAs(t, dir, "weekly_2026-11-09.json", filepath.Join(dir, "weekly_2026-11-09.r01.json"))
	copyAs(t, dir, "weekly_2026-11-02.json", filepath.Join(dir, "weekly_2026-11-02.r1.json"))
	copyAs(t, dir, "weekly_2026-11-02.json", filepath.Join(dir, "weekly_2026-11-02.r0.json"))
	if err := os.Remove(filepath.Join(dir, "weekly_2026-11-09.json")); err != nil {
		t.Fatal(err)
	}
	problems := reconcileRoot(t, l, s.Public())
	lineOf := func(file string) string {
		for _, p := range problems {
			if strings.HasPrefix(p, file+": ") {
				return p
			}
		}
		return ""
	}
	for _, tc := range []struct{ file, rev string }{
		{"weekly_2026-11-09.r01.json", ".r01"},
		{"weekly_2026-11-02.r1.json", ".r1"},
		{"weekly_2026-11-02.r0.json", ".r0"},
	} {
		line := lineOf("runs/CREDIT_REVIEWS/" + tc.file)
		for _, want := range []string{"not recorded in the audit log as published",
			"named like a published report file, but its revision " + tc.rev + " is not one ledgerlens writes"} {
			if !strings.Contains(line, want) {
				t.Errorf("%s: problems %q, want %q", tc.file, line, want)
			}
		}
		if strings.Contains(line, "the file name says revision") {
			t.Errorf("%s: still read as a revision: %q", tc.file, line)
		}
	}
	if want := "weekly_2026-11-09: revision chain incomplete: revision 1 (weekly_2026-11-09.json) is missing while revision 2 exists"; !slices.Contains(problems, want) {
		t.Errorf("no problem says %q in:\n%s", want, strings.Join(problems, "\n"))
	}

	// An auditor's copy, outside the root: revision 2 under a .r01 name
	// was caught by its revision only; revision 1 under it passed. Both
	// fail now, as does a rejects file so named.
	out := t.TempDir()
	for _, c := range []struct{ from, to string }{
		{"weekly_2026-11-09.r2.json", "weekly_2026-11-09.r01.json"},
		{"weekly_2026-11-02.json", "weekly_2026-11-02.r01.json"},
		{"weekly_2026-11-02.json", "rejects_cumulative_2026-11-02.r01.jsonl"},
	} {
		path := filepath.Join(out, c.to)
		copyAs(t, dir, c.from, path)
		p, err := File(l, path, fileBytes(t, path), job.OutputDirs(l))
		if err != nil {
			t.Fatal(err)
		}
		if want := "named like a published report file, but its revision .r01 is not one ledgerlens writes"; len(p) != 1 || !strings.HasPrefix(p[0], want) {
			t.Errorf("verify %s: problems %q, want only %q", c.to, p, want)
		}
	}
	// The names ledgerlens writes pass.
	for _, name := range []string{"weekly_2026-11-09.r2.json", "weekly_2026-11-02.json"} {
		path := filepath.Join(out, name)
		copyAs(t, dir, name, path)
		if p, err := File(l, path, fileBytes(t, path), job.OutputDirs(l)); err != nil || len(p) != 0 {
			t.Errorf("verify %s: %q %v", name, p, err)
		}
	}
}

// TestPreliminaryRevisionChain: a gap in a preliminary report's revisions
// is named by the preliminary publication and its missing file's name
// (the chain's base and extension were split at the first dot, naming
// weekly_D and weekly_D.r2.preliminary.json).
func TestPreliminaryRevisionChain(t *testing.T) {
	l, s := setup(t)
	log, err := audit.Open(l.AuditLog, func() time.Time { return time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	for rev := 1; rev <= 3; rev++ {
		publishReport(t, l, log, s, "2026-11-16", true, rev)
	}
	for _, ext := range []string{"", reports.SidecarExt, reports.SignatureExt} {
		if err := os.Remove(filepath.Join(l.ReviewsDir, "weekly_2026-11-16.preliminary.r2.json"+ext)); err != nil {
			t.Fatal(err)
		}
	}
	problems := reconcileRoot(t, l, s.Public())
	want := "weekly_2026-11-16.preliminary: revision chain incomplete: revision 2 (weekly_2026-11-16.preliminary.r2.json) is missing while revision 3 exists"
	if !slices.Contains(problems, want) {
		t.Errorf("no problem says %q in:\n%s", want, strings.Join(problems, "\n"))
	}
	for _, p := range problems {
		if strings.Contains(p, "preliminary true inside") || strings.Contains(p, "supersedes") {
			t.Errorf("a genuine preliminary revision held to a final name: %s", p)
		}
	}
}

// fileBytes is what `verify FILE` hands File: the file's bytes, read once.
func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
