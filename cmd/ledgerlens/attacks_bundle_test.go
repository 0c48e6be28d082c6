package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ledgerlens/ledgerlens/reports"
)

// exportedBundle exports the two published weeks of a published root to a
// bundle in a directory of its own, and returns the root and the bundle.
func exportedBundle(t *testing.T) (root, bundle string) {
	t.Helper()
	root = publishedRoot(t)
	bundle = filepath.Join(t.TempDir(), "weeks.zip")
	mustRun(t, "--root", root, "evidence", "export", "--from", prevWeek(t), "--to", focusWeek, "--out", bundle)
	return root, bundle
}

// TestAttackBundleKeyFromTheWorkingDirectory: a bundle signed by any key,
// dropped into a delivery folder beside a .ledgerlens/keys/signing.pub of
// the same key. A compliance team that ran `ledgerlens verify` there,
// without --pubkey, had it checked with the planted key: OK, exit 0, and a
// warning on stderr only (an outside review). The working directory's key
// is used only when --root names it.
func TestAttackBundleKeyFromTheWorkingDirectory(t *testing.T) {
	root, bundle := exportedBundle(t)
	delivery := t.TempDir()
	for _, ext := range []string{"", ".sha256", ".sig"} {
		copyFile(t, bundle+ext, filepath.Join(delivery, filepath.Base(bundle)+ext))
	}
	planted := filepath.Join(delivery, ".ledgerlens", "keys", "signing.pub")
	if err := os.MkdirAll(filepath.Dir(planted), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(root, ".ledgerlens", "keys", "signing.pub"), planted)

	r := ledgerlensIn(t, delivery, nil, "verify", filepath.Base(bundle))
	if r.code != 1 || strings.HasPrefix(r.stdout, "OK") || !strings.Contains(r.stdout, "--pubkey") {
		t.Errorf("verify in a folder with a planted key: exit %d, want 1 (no key given)\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Named as the root, its key is used, with the warning.
	r = ledgerlensIn(t, delivery, nil, "--root", ".", "verify", filepath.Base(bundle))
	if r.code != 0 || !strings.Contains(r.stderr, "WARNING") {
		t.Errorf("verify --root .: exit %d, want 0 with a warning\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestAttackOlderExportInPlaceOfANewOne: a compliance team keeps the
// newest checkpoint of the audit log (the witness copy of
// docs/COMPLIANCE.md) when a new revision is published; the export
// delivered to them is swapped for an older export of the same range
// (its sidecar recomputed, no key needed), or made from the log and
// checkpoints rolled back to before the revision. Both verified, exit 0,
// even with --complete: a bundle's checkpoint is the first that covers its
// entries, which every export of the range shares (an outside review). A
// bundle states the log's head when it was exported; `verify
// --checkpoint` requires the head to extend the kept checkpoint: exit 4.
func TestAttackOlderExportInPlaceOfANewOne(t *testing.T) {
	root, older := exportedBundle(t)
	state := filepath.Join(root, ".ledgerlens")
	logBefore, cpsBefore := readFile(t, filepath.Join(state, "audit.jsonl")), readFile(t, filepath.Join(state, "audit.checkpoints"))
	// A job after the export; the team's witness copy of the checkpoint
	// it signed.
	mustRun(t, "--root", root, "report", "weekly", "--week", nextWeek(t))
	cps := strings.Split(strings.TrimSpace(string(readFile(t, filepath.Join(state, "audit.checkpoints")))), "\n")
	witness := filepath.Join(t.TempDir(), "witness.checkpoint")
	if err := os.WriteFile(witness, []byte(cps[len(cps)-1]+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(state, "keys", "signing.pub")
	newer := filepath.Join(t.TempDir(), "weeks.zip")
	mustRun(t, "--root", root, "evidence", "export", "--from", prevWeek(t), "--to", focusWeek, "--out", newer)
	if r := ledgerlens(t, nil, "verify", "--pubkey", pub, "--checkpoint", witness, "--complete", newer); r.code != 0 || !strings.Contains(r.stdout, "which extends the 1 kept checkpoints given") {
		t.Fatalf("the new export against the witness: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	t.Run("an older export put in its place", func(t *testing.T) {
		delivered := filepath.Join(t.TempDir(), "weeks.zip")
		data := readFile(t, older)
		for ext, b := range map[string][]byte{"": data, ".sig": readFile(t, older+".sig"), ".sha256": reports.SidecarBytes(filepath.Base(delivered), data)} {
			if err := os.WriteFile(delivered+ext, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		mustRun(t, "verify", "--pubkey", pub, "--complete", delivered) // genuine, of the range
		mustFail(t, 4, []string{"before your checkpoint", "an older export"}, "verify", "--pubkey", pub, "--checkpoint", witness, "--complete", delivered)
	})
	t.Run("an export of the log rolled back", func(t *testing.T) {
		rolled := copyRoot(t, root)
		rs := filepath.Join(rolled, ".ledgerlens")
		if err := os.WriteFile(filepath.Join(rs, "audit.jsonl"), logBefore, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(rs, "audit.checkpoints"), cpsBefore, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, ext := range []string{".json", ".xlsx"} {
			for _, companion := range []string{"", ".sha256", ".sig"} {
				os.Remove(weeklyPath(rolled, nextWeek(t), 1, ext) + companion)
			}
		}
		os.Remove(filepath.Join(rolled, "runs", "CREDIT_REVIEWS", "rejects_cumulative_"+nextWeek(t)+".jsonl"))
		bundle := filepath.Join(t.TempDir(), "weeks.zip")
		r := ledgerlens(t, nil, "--root", rolled, "evidence", "export", "--from", prevWeek(t), "--to", focusWeek, "--out", bundle)
		if r.code != 0 {
			t.Skipf("the rolled-back root refused the export (exit %d): nothing to deliver\n%s", r.code, r.stderr)
		}
		mustFail(t, 4, []string{"before your checkpoint"}, "verify", "--pubkey", pub, "--checkpoint", witness, bundle)
	})
}

// TestBundleCompanionNotARegularFile: a bundle's signature replaced by a
// FIFO. The check stopped with the reason on stderr alone, no FAILED line
// on stdout, and left the bundles after it unchecked (an outside review).
// It names the bundle on its line, checks the others, and exits 1: a
// check that could not run.
func TestBundleCompanionNotARegularFile(t *testing.T) {
	root, bundle := exportedBundle(t)
	broken := filepath.Join(t.TempDir(), "broken.zip")
	for _, ext := range []string{"", ".sha256"} {
		copyFile(t, bundle+ext, broken+ext)
	}
	if err := os.WriteFile(broken+".sha256", reports.SidecarBytes(filepath.Base(broken), readFile(t, bundle)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(broken+".sig", 0o644); err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(root, ".ledgerlens", "keys", "signing.pub")
	r := ledgerlens(t, nil, "verify", "--pubkey", pub, broken, bundle)
	if r.code != 1 || !strings.Contains(r.stdout, "FAILED  "+broken+": ") || !strings.Contains(r.stdout, "OK      "+bundle) {
		t.Errorf("a bundle whose signature is a FIFO, then a genuine one: exit %d, want 1 with a FAILED line for the first and OK for the second\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestAttackNoopRerunOverADeletedCompanion: an exported bundle's
// signature deleted, then the same export run again (a retried cron
// line). The re-run said the bundle was already there, exit 0, leaving
// it without its signature; with the sidecar deleted it failed with a
// bare "no such file", exit 1 (an outside review). Either is an integrity
// problem naming the file: exit 4.
func TestAttackNoopRerunOverADeletedCompanion(t *testing.T) {
	for _, ext := range []string{".sig", ".sha256"} {
		t.Run(ext, func(t *testing.T) {
			root, bundle := exportedBundle(t)
			if err := os.Remove(bundle + ext); err != nil {
				t.Fatal(err)
			}
			mustFail(t, 4, []string{bundle + ext, "recorded as published with the bundle, but it is missing"},
				"--root", root, "evidence", "export", "--from", prevWeek(t), "--to", focusWeek, "--out", bundle)
		})
	}
}

// TestAttackNoopRerunOverAReplacedCompanionRelativeOut: the bundle's
// signature or sidecar replaced, and the export retried with a relative
// --out while --root named another directory: "already exported there
// (no-op)", exit 0, and the replaced bytes recorded as published (an
// outside review; with an absolute --out it exited 4,
// TestAttackNoopRerunOverAReplacedCompanion). --out is made absolute
// before anything is looked up: exit 4, nothing recorded.
func TestAttackNoopRerunOverAReplacedCompanionRelativeOut(t *testing.T) {
	for _, ext := range []string{".sig", ".sha256"} {
		t.Run(ext, func(t *testing.T) {
			root, bundle := exportedBundle(t)
			if err := os.WriteFile(bundle+ext, []byte("AAAA\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			logPath := filepath.Join(root, ".ledgerlens", "audit.jsonl")
			before := readFile(t, logPath)
			r := ledgerlensIn(t, filepath.Dir(bundle), nil, "--root", root, "evidence", "export", "--from", prevWeek(t), "--to", focusWeek, "--out", filepath.Base(bundle))
			if r.code != exitIntegrity || !strings.Contains(r.stderr, filepath.Base(bundle)+ext) {
				t.Errorf("retried export over a replaced %s: exit %d, want %d naming it\n%s%s", ext, r.code, exitIntegrity, r.stdout, r.stderr)
			}
			if after := readFile(t, logPath); bytes.Contains(after[len(before):], []byte(`"event":"artifact_written"`)) {
				t.Errorf("the replaced %s was recorded as published", ext)
			}
		})
	}
}

// TestAuditVerifyOfABundleOrItsSegment: `audit verify FILE` of a genuine
// bundle, or of its audit/segment.jsonl, called the evidence tampered
// ("bad_json", "seq_gap", exit 4), as an auditor following its --help
// would find (an outside review). Neither is a whole log: the command
// says what each is and which command checks it; a bundle exits 2, a
// segment still fails (exit 4), for a log cut at its head looks the same.
func TestAuditVerifyOfABundleOrItsSegment(t *testing.T) {
	root, bundle := exportedBundle(t)
	zr, err := zip.OpenReader(bundle)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	segment := filepath.Join(t.TempDir(), "segment.jsonl")
	for _, f := range zr.File {
		if f.Name == "audit/segment.jsonl" {
			if err := os.WriteFile(segment, zipMember(t, f), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	pub := filepath.Join(root, ".ledgerlens", "keys", "signing.pub")
	// A segment may as well be a log cut at its head (a second outside
	// review): it still fails, exit 4, saying what it may be.
	for _, tt := range []struct {
		file, want string
		code       int
	}{
		{bundle, "is a zip archive, not an audit log", exitUsage},
		{segment, "or a segment of one", exitIntegrity},
	} {
		r := ledgerlens(t, nil, "audit", "verify", "--pubkey", pub, tt.file)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, "ledgerlens verify --pubkey KEY") {
			t.Errorf("audit verify %s: exit %d, want %d saying %q\n%s%s", filepath.Base(tt.file), r.code, tt.code, tt.want, r.stdout, r.stderr)
		}
	}
	// The whole log still verifies.
	mustRun(t, "audit", "verify", "--pubkey", pub, filepath.Join(root, ".ledgerlens", "audit.jsonl"))
}

// zipMember is the content of one member of a zip archive.
func zipMember(t *testing.T, f *zip.File) []byte {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	return data
}
