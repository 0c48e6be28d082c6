package pipeline

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ledgerlens/ledgerlens/pipeline/evidence"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/reports"
)

// evidenceRoundTrip exports February and March from the root
// TestComplianceFlow built, verifies the bundle, tampers with it, and
// exports again.
func evidenceRoundTrip(t *testing.T, env job.Env, clock *testClock) {
	ctx := context.Background()
	out := t.TempDir()
	clock.Set("2026-04-02T08:00:00Z")
	first := filepath.Join(out, "q1.zip")
	res, err := ExportEvidence(ctx, env, EvidenceOptions{From: "2026-02-01", To: "2026-03-31", Out: first})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	pub := publicKey(t, env)

	t.Run("export verifies", func(t *testing.T) {
		c := res.Index.Counts
		// Weekly 2026-02-23 and 2026-03-02; SLA 2026-02, 2026-03 and its r2.
		// One approved proposal and the four unapproved candidates.
		if c.WeeklyReports != 2 || c.SLAReports != 3 || c.Proposals != 5 || c.Approvals != 1 || c.Notes != 1 || c.AuditEntries == 0 {
			t.Fatalf("counts %+v", c)
		}
		if _, err := reports.VerifyFile(first, pub); err != nil {
			t.Fatalf("the bundle's own sidecar and signature: %v", err)
		}
		v, err := evidence.Verify(context.Background(), bytes.NewReader(data), int64(len(data)), pub)
		if err != nil || !v.OK() {
			t.Fatalf("verify: %v %v", err, v.Err())
		}
		if v.Audit.Entries != res.Index.Audit.Entries || v.Signed < 10 {
			t.Errorf("verified %d audit entries and %d signatures", v.Audit.Entries, v.Signed)
		}
		// Who made and who approved each change travels with the bundle:
		// the people's SSH signatures and the approvers file.
		kinds := map[string]int{}
		for _, f := range res.Index.Files {
			kinds[f.Kind]++
		}
		if kinds[evidence.KindPersonSignature] != c.Proposals+c.Approvals || kinds[evidence.KindApprovers] != 1 {
			t.Errorf("%d person signatures for %d records, %d approvers files", kinds[evidence.KindPersonSignature], c.Proposals+c.Approvals, kinds[evidence.KindApprovers])
		}
	})

	t.Run("tampering is named", func(t *testing.T) {
		names, content := zipMembers(t, data)
		rezip := func(names []string, content map[string][]byte) []byte {
			var b bytes.Buffer
			zw := zip.NewWriter(&b)
			for _, n := range names {
				w, _ := zw.Create(n)
				w.Write(content[n])
			}
			zw.Close()
			return b.Bytes()
		}
		check := func(what string, bundle []byte, want string) {
			t.Helper()
			v, err := evidence.Verify(context.Background(), bytes.NewReader(bundle), int64(len(bundle)), pub)
			if err != nil {
				t.Fatal(err)
			}
			if v.OK() || !strings.Contains(v.Err().Error(), want) {
				t.Errorf("%s: want a problem naming %q, got %v", what, want, v.Err())
			}
		}
		report := "runs/CREDIT_REVIEWS/sla_2026-03.json"
		changed := copyMap(content)
		changed[report] = bytes.Replace(content[report], []byte(`"freeze": true`), []byte(`"freeze": fals`), 1)
		check("one byte changed", rezip(names, changed), report)

		var kept []string
		for _, n := range names {
			if !strings.HasPrefix(n, "runs/BASELINE_UPDATES/approval_") || !strings.HasSuffix(n, ".json") {
				kept = append(kept, n)
			}
		}
		check("approval dropped", rezip(kept, content), "runs/BASELINE_UPDATES/approval_")

		lines := bytes.SplitAfter(content[evidence.AuditSegment], []byte("\n"))
		lines[2], lines[3] = lines[3], lines[2]
		changed = copyMap(content)
		changed[evidence.AuditSegment] = bytes.Join(lines, nil)
		check("audit lines reordered", rezip(names, changed), "audit/segment.jsonl line 3 (audit entry seq")
	})

	t.Run("same range, a newer head", func(t *testing.T) {
		clock.Set("2026-04-03T08:00:00Z")
		second := filepath.Join(out, "again.zip")
		again, err := ExportEvidence(ctx, env, EvidenceOptions{From: "2026-02-01", To: "2026-03-31", Out: second})
		if err != nil {
			t.Fatal(err)
		}
		// The same evidence; only the head of the log, grown by the first
		// export, and what states it differ.
		_, was := zipMembers(t, data)
		_, now := zipMembers(t, readOrFatal(t, second))
		headOnly := map[string]bool{evidence.HeadMember: true, evidence.ProofsMember: true, evidence.IndexJSON: true,
			evidence.IndexJSON + ".sha256": true, evidence.IndexJSON + ".sig": true, evidence.IndexMarkdown: true}
		if len(now) != len(was) {
			t.Errorf("%d members, the first export %d", len(now), len(was))
		}
		for name, b := range was {
			if !headOnly[name] && !bytes.Equal(now[name], b) {
				t.Errorf("%s differs between two exports of the same range", name)
			}
		}
		if again.Index.Audit.HeadSize <= res.Index.Audit.HeadSize {
			t.Errorf("head %d, the first export's %d: want a newer one", again.Index.Audit.HeadSize, res.Index.Audit.HeadSize)
		}
		// Exporting to the first path again leaves this root's export of
		// the range there: a retried export is a no-op.
		noop, err := ExportEvidence(ctx, env, EvidenceOptions{From: "2026-02-01", To: "2026-03-31", Out: first})
		if err != nil || !noop.Noop || noop.Index.Audit.HeadSize != res.Index.Audit.HeadSize {
			t.Fatalf("re-export to the same file: %+v %v", noop, err)
		}
		if now, _ := os.ReadFile(first); !bytes.Equal(now, data) {
			t.Error("the re-export changed the bundle")
		}
		// Another range to that path is refused.
		if _, err := ExportEvidence(ctx, env, EvidenceOptions{From: "2026-03-01", To: "2026-03-31", Out: first}); !errors.Is(err, reports.ErrAlreadyPublished) {
			t.Errorf("another range to the same path: %v, want it refused", err)
		}
	})
}

// zipMembers returns the names and contents of the zip data's members.
func zipMembers(t *testing.T, data []byte) ([]string, map[string][]byte) {
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
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, f.Name)
		content[f.Name] = b
	}
	return names, content
}

func copyMap(m map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
