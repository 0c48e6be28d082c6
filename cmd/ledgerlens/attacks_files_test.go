package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/reports"
)

// signAs signs path with the key pair of root (its sidecar and signature
// rewritten), as that root's key holder would.
func signAs(t *testing.T, root, path string) {
	t.Helper()
	s, err := reports.LoadSigner(filepath.Join(root, ".ledgerlens", "keys", "signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	residecar(t, path)
	sig := base64.StdEncoding.EncodeToString(s.Sign(readFile(t, path))) + "\n"
	if err := os.WriteFile(path+reports.SignatureExt, []byte(sig), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestAttackReportKeyFromTheWorkingDirectory: a forged report, signed with
// a key of the forger's own, dropped into a delivery folder beside a
// .ledgerlens/keys/signing.pub of that key. `ledgerlens verify FILE` run
// there without --pubkey, the command the workbook's About sheet gives,
// checked it with the planted key: OK, exit 0, no warning (an outside
// review). The working directory's key is now used only when --root names
// it, with a warning; and a report whose signing_key_id is not the key
// that signed it fails.
func TestAttackReportKeyFromTheWorkingDirectory(t *testing.T) {
	root := publishedRoot(t)
	forger := otherKeyRoot(t)
	delivery := t.TempDir()
	name := filepath.Base(weeklyPath(root, focusWeek, 1, ".json"))
	report := filepath.Join(delivery, name)
	data := readFile(t, weeklyPath(root, focusWeek, 1, ".json"))
	forged := bytes.Replace(data, []byte(`"total_credits": `), []byte(`"total_credits": 1`), 1)
	if bytes.Equal(forged, data) {
		t.Fatal("no total_credits to change")
	}
	if err := os.WriteFile(report, forged, 0o644); err != nil {
		t.Fatal(err)
	}
	signAs(t, forger, report)
	planted := filepath.Join(delivery, ".ledgerlens", "keys", "signing.pub")
	if err := os.MkdirAll(filepath.Dir(planted), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(forger, ".ledgerlens", "keys", "signing.pub"), planted)

	r := ledgerlensIn(t, delivery, nil, "verify", name)
	if r.code != 1 || strings.Contains(r.stdout, "OK") || !strings.Contains(r.stderr, "--pubkey") {
		t.Errorf("verify in a folder with a planted key: exit %d, want 1 (no key given)\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Named as the root, its key is used, with a warning; the report names
	// the genuine key, not the one that signed it.
	r = ledgerlensIn(t, delivery, nil, "--root", ".", "verify", name)
	if r.code != exitIntegrity || !strings.Contains(r.stdout, "names signing key "+keyIDOf(t, root)) || !strings.Contains(r.stderr, "WARNING") {
		t.Errorf("verify --root . of a report naming another key: exit %d, want %d naming the key\n%s%s", r.code, exitIntegrity, r.stdout, r.stderr)
	}
	// With the key the team holds, the forgery fails as it always did.
	r = ledgerlensIn(t, delivery, nil, "verify", "--pubkey", filepath.Join(root, ".ledgerlens", "keys", "signing.pub"), name)
	if r.code != exitIntegrity {
		t.Errorf("verify --pubkey of the forgery: exit %d, want %d\n%s%s", r.code, exitIntegrity, r.stdout, r.stderr)
	}
	// The genuine report, in its root, with --root: OK, with the warning
	// that names the key file.
	r = ledgerlens(t, nil, "--root", root, "verify", weeklyPath(root, focusWeek, 1, ".json"))
	if r.code != 0 || !strings.Contains(r.stdout, "OK") || !strings.Contains(r.stderr, filepath.Join(".ledgerlens", "keys", "signing.pub")) {
		t.Errorf("verify --root of a genuine report: exit %d, want 0 with a warning naming the key file\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestAttackRejectsFileOfAnotherRevision: a rejects file names no week or
// revision inside, so a genuinely signed rejects file of another
// publication (here one the key holder signed with a reject fewer, as an
// earlier revision's holds) passed under the current revision's name: OK,
// exit 0, while the report beside it counted one more reject (an outside
// review). It is now held to the report of its week and revision beside
// it: the count and the report's rejects_sample.
func TestAttackRejectsFileOfAnotherRevision(t *testing.T) {
	root := publishedRoot(t)
	pub := filepath.Join(root, ".ledgerlens", "keys", "signing.pub")
	rejects := filepath.Join(reviews(root), "rejects_cumulative_"+focusWeek+".r2.jsonl")
	report := weeklyPath(root, focusWeek, 2, ".json")
	if r := mustRun(t, "verify", "--pubkey", pub, report, rejects); !strings.Contains(r.stdout, "matches its report") {
		t.Fatalf("the genuine rejects file is not checked against its report:\n%s%s", r.stdout, r.stderr)
	}
	for _, tt := range []struct {
		name string
		edit func([]string) []string
		want string
	}{
		{"a reject fewer", func(l []string) []string { return l[:len(l)-1] }, "but its report"},
		{"another first reject", func(l []string) []string { return append(l[1:], l[0]) }, "rejects_sample"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			delivery := t.TempDir()
			for _, p := range []string{report, rejects} {
				for _, ext := range []string{"", reports.SidecarExt, reports.SignatureExt} {
					copyFile(t, p+ext, filepath.Join(delivery, filepath.Base(p)+ext))
				}
			}
			other := filepath.Join(delivery, filepath.Base(rejects))
			lines := strings.Split(strings.TrimSuffix(string(readFile(t, other)), "\n"), "\n")
			if len(lines) < 2 {
				t.Fatalf("the fixture's rejects file has %d lines, want at least 2", len(lines))
			}
			text := strings.Join(tt.edit(lines), "\n") + "\n"
			if err := os.WriteFile(other, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			signAs(t, root, other)
			r := ledgerlensIn(t, delivery, nil, "verify", "--pubkey", pub, filepath.Base(other))
			if r.code != exitIntegrity || !strings.Contains(r.stdout, tt.want) {
				t.Errorf("verify of another publication's rejects file under this name: exit %d, want %d naming %q\n%s%s", r.code, exitIntegrity, tt.want, r.stdout, r.stderr)
			}
			// Alone, with no report beside it, it is said to be unbound.
			for _, ext := range []string{"", reports.SidecarExt, reports.SignatureExt} {
				if err := os.Remove(filepath.Join(delivery, filepath.Base(report)+ext)); err != nil {
					t.Fatal(err)
				}
			}
			r = ledgerlensIn(t, delivery, nil, "verify", "--pubkey", pub, filepath.Base(other))
			if r.code != 1 || !strings.Contains(r.stdout, "nothing but its name ties a rejects file to a week") {
				t.Errorf("a rejects file without its report: exit %d, want 1 (not checked)\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}

	// Revision 1's report and rejects file, both genuine, renamed as
	// revision 2's (a sidecar's file name is not signed): the rejects file
	// matched the report beside it, which is not the report of its name
	// (a second outside review).
	delivery := t.TempDir()
	for _, p := range []string{weeklyPath(root, focusWeek, 1, ".json"), filepath.Join(reviews(root), "rejects_cumulative_"+focusWeek+".jsonl")} {
		to := strings.Replace(filepath.Base(p), focusWeek, focusWeek+".r2", 1)
		copyFile(t, p, filepath.Join(delivery, to))
		copyFile(t, p+reports.SignatureExt, filepath.Join(delivery, to+reports.SignatureExt))
		residecar(t, filepath.Join(delivery, to))
	}
	r := ledgerlensIn(t, delivery, nil, "verify", "--pubkey", pub, filepath.Base(rejects))
	if r.code != exitIntegrity || !strings.Contains(r.stdout, "is not the report of its name") {
		t.Errorf("revision 1's rejects file and report under revision 2's names: exit %d, want %d\n%s%s", r.code, exitIntegrity, r.stdout, r.stderr)
	}
}

// TestVerifyMisnamedRevision: ledgerlens writes revision 1 without a
// revision and later ones as .r2, .r3, …; weekly_D.r01.json is none of
// its names. Verify read it as revision 1, so revision 1 under it said OK
// and revision 2 failed on its revision alone, and a rejects file so named
// was held to weekly_D.json. Every file under such a name now fails, the
// name said to be no publication's, as do the workbook's.
func TestVerifyMisnamedRevision(t *testing.T) {
	root := publishedRoot(t)
	pub := filepath.Join(root, ".ledgerlens", "keys", "signing.pub")
	delivery := t.TempDir()
	var names []string
	for _, c := range []struct{ from, to string }{
		{weeklyPath(root, focusWeek, 1, ".json"), "weekly_" + focusWeek + ".r01.json"},
		{weeklyPath(root, focusWeek, 2, ".json"), "weekly_" + focusWeek + ".r1.json"},
		{weeklyPath(root, focusWeek, 1, ".xlsx"), "weekly_" + focusWeek + ".r01.xlsx"},
		{filepath.Join(reviews(root), "rejects_cumulative_"+focusWeek+".jsonl"), "rejects_cumulative_" + focusWeek + ".r01.jsonl"},
	} {
		// Beside them, the report a rejects file of revision 1 is held to.
		for _, p := range []string{c.from, weeklyPath(root, focusWeek, 1, ".json")} {
			to := filepath.Join(delivery, filepath.Base(p))
			if p == c.from {
				to = filepath.Join(delivery, c.to)
			}
			copyFile(t, p, to)
			copyFile(t, p+reports.SignatureExt, to+reports.SignatureExt)
			residecar(t, to)
		}
		names = append(names, c.to)
	}
	r := ledgerlensIn(t, delivery, nil, append([]string{"verify", "--pubkey", pub}, names...)...)
	if r.code != exitIntegrity || strings.Contains(r.stdout, "OK ") {
		t.Errorf("verify of files under names ledgerlens never writes: exit %d, want %d, none OK\n%s%s", r.code, exitIntegrity, r.stdout, r.stderr)
	}
	for _, name := range names {
		rev := ".r01"
		if strings.Contains(name, ".r1.") {
			rev = ".r1"
		}
		if want := "FAILED  " + name + ": named like a published report file, but its revision " + rev + " is not one ledgerlens writes"; !strings.Contains(r.stdout, want) {
			t.Errorf("no line says %q:\n%s", want, r.stdout)
		}
	}
	// The genuine name beside them still verifies.
	mustRun(t, "verify", "--pubkey", pub, filepath.Join(delivery, "weekly_"+focusWeek+".json"))
}

// TestVerifyReportUnderAnotherPeriodsName: a genuine report of one week,
// copied with its signature under a name people give a file they hand
// over — weekly_D (1).json, Copy of weekly_D.json, weekly_D.json.bak,
// after another week D — verified OK, exit 0: only the names ledgerlens
// writes were held to what the file holds, and the OK line showed a
// digest and a key, not which report it was (an outside review). A name
// that gives a period anywhere is now held to it, and every OK line of a
// report or workbook says which report and revision it holds.
func TestVerifyReportUnderAnotherPeriodsName(t *testing.T) {
	root := publishedRoot(t)
	pub := filepath.Join(root, ".ledgerlens", "keys", "signing.pub")
	delivery := t.TempDir()
	deliver := func(from, to string) string {
		p := filepath.Join(delivery, to)
		copyFile(t, from, p)
		copyFile(t, from+reports.SignatureExt, p+reports.SignatureExt)
		residecar(t, p)
		return to
	}
	prev := prevWeek(t)
	misnamed := []string{
		deliver(weeklyPath(root, prev, 1, ".json"), "weekly_"+focusWeek+" (1).json"),
		deliver(weeklyPath(root, prev, 1, ".json"), "Weekly_"+focusWeek+".json"),
		deliver(weeklyPath(root, prev, 1, ".xlsx"), "weekly_"+focusWeek+".final.xlsx"),
		// Anywhere in the name, under any extension (a review of this
		// stop's first version, which held only names starting with a
		// kind and a report's extensions).
		deliver(weeklyPath(root, prev, 1, ".json"), "Copy of weekly_"+focusWeek+".json"),
		deliver(weeklyPath(root, prev, 1, ".json"), focusWeek+"_weekly.json"),
		deliver(weeklyPath(root, prev, 1, ".json"), "weekly_"+focusWeek+".json.bak"),
	}
	r := ledgerlensIn(t, delivery, nil, append([]string{"verify", "--pubkey", pub}, misnamed...)...)
	if r.code != exitIntegrity || strings.Contains(r.stdout, "OK ") {
		t.Errorf("another week's report under the focus week's names: exit %d, want %d, none OK\n%s%s", r.code, exitIntegrity, r.stdout, r.stderr)
	}
	for _, name := range misnamed {
		// The file named once: the line said "FAILED x: x: named after".
		if want := "FAILED  " + name + ": named after " + focusWeek + ", but it holds CREDIT_REVIEW_" + prev; !strings.Contains(r.stdout, want) {
			t.Errorf("no FAILED line for %s saying %q:\n%s", name, want, r.stdout)
		}
	}
	// A weekly review under an SLA report's name fails too (a review of
	// this stop's second version, which matched a date alone, either way).
	sunday := mustParseDay(t, focusWeek).AddDate(0, 0, 6).Format(time.DateOnly)
	for name, want := range map[string]string{
		deliver(weeklyPath(root, focusWeek, 1, ".json"), "sla_"+focusWeek[:7]+" (1).json"): "named after an SLA report",
	} {
		r := ledgerlensIn(t, delivery, nil, "verify", "--pubkey", pub, name)
		if r.code != exitIntegrity || !strings.Contains(r.stdout, want) {
			t.Errorf("%s: exit %d, want %d saying %q\n%s", name, r.code, exitIntegrity, want, r.stdout)
		}
	}
	// The week's own report under such a name verifies, and says what it
	// holds: here an earlier revision than the newest; so does one named
	// after a day of its week.
	own := deliver(weeklyPath(root, focusWeek, 1, ".json"), "weekly_"+focusWeek+"-latest.json")
	r = mustRun(t, "verify", "--pubkey", pub, filepath.Join(delivery, own))
	if want := "(report CREDIT_REVIEW_" + focusWeek + " revision 1, sha256 "; !strings.Contains(r.stdout, want) {
		t.Errorf("OK line without the report it holds (%q):\n%s", want, r.stdout)
	}
	mustRun(t, "verify", "--pubkey", pub, filepath.Join(delivery, deliver(weeklyPath(root, focusWeek, 1, ".json"), "weekly_ending_"+sunday+".json")))
	// Nor does one whose name holds an export time or a version beside
	// its week (a third review's false alarms, when every period in a
	// name had to agree).
	for _, name := range []string{
		"weekly_" + focusWeek + "_exported_" + nextWeek(t) + "T10-00-00.json",
		"weekly_" + focusWeek + "_v2026.01.json",
		"weekly_" + focusWeek + "_20260302_1015.json",
	} {
		mustRun(t, "verify", "--pubkey", pub, filepath.Join(delivery, deliver(weeklyPath(root, focusWeek, 1, ".json"), name)))
	}
}

// TestIngestLedgerFlagNamesOnlyTheRootsLedger: `ingest --ledger` pointed
// at another file (cases.jsonl, a typo) loaded it into the store and
// recorded a modification of the ledger, an integrity problem every job
// then reported, exit 4, until someone acknowledged it (an outside
// review). Any file but the root's ledger is refused before the job runs;
// the root's own, by any path, still loads.
func TestIngestLedgerFlagNamesOnlyTheRootsLedger(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	logPath := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	before := readFile(t, logPath)
	other := filepath.Join(root, "runs", "CREDIT_MONITORING", "cases.jsonl")
	r := ledgerlens(t, nil, "--root", root, "ingest", "--ledger", other)
	if r.code != exitUsage || !strings.Contains(r.stderr, "is not this root's ledger") {
		t.Errorf("ingest --ledger cases.jsonl: exit %d, want %d\n%s%s", r.code, exitUsage, r.stdout, r.stderr)
	}
	if after := readFile(t, logPath); !bytes.Equal(after, before) {
		t.Errorf("the refused ingest wrote to the audit log")
	}
	r = ledgerlensIn(t, root, nil, "ingest", "--ledger", filepath.Join("runs", "CREDIT_MONITORING", "ledger.jsonl"))
	if r.code != 0 || !strings.Contains(r.stdout, "event=initial") {
		t.Errorf("ingest --ledger of the root's own ledger: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestVerifyFileAfterAKeyRotation: with the root's key, a file published
// before `keys rotate` failed, exit 4 ("signature does not verify"), while
// verify all passed it (an outside review). The keys the root's rotations
// retired, as its audit log chains them, are tried too; another key still
// fails.
//
// And with the key given by --pubkey, the check the guide recommends, a
// file published before the rotation still failed, as tampering would
// (exit 4); while a report published after the rotation, changed and
// re-signed with the retired key (a leaked key, the reason to rotate),
// passed with the root's key (exit 0) (an outside review). A retired key
// vouches only for files recorded before its rotation.
func TestVerifyFileAfterAKeyRotation(t *testing.T) {
	root := publishedRoot(t)
	before := keyIDOf(t, root)
	bundle := filepath.Join(t.TempDir(), "before.zip") // exported before the rotation
	mustRun(t, "--root", root, "evidence", "export", "--from", prevWeek(t), "--to", mustParseDay(t, focusWeek).AddDate(0, 0, 6).Format(time.DateOnly), "--out", bundle)
	leaked := copyRoot(t, root) // the retired key's private half, copied
	mustRun(t, "--root", root, "keys", "rotate")
	pub := filepath.Join(t.TempDir(), "signing.pub") // the new key, out of band
	copyFile(t, filepath.Join(root, ".ledgerlens", "keys", "signing.pub"), pub)
	report := weeklyPath(root, focusWeek, 1, ".json")
	for _, keyArgs := range [][]string{nil, {"--pubkey", pub}} {
		r := ledgerlens(t, nil, append(append([]string{"--root", root, "verify"}, keyArgs...), report, weeklyPath(root, focusWeek, 1, ".xlsx"))...)
		if r.code != 0 || strings.Count(r.stdout, "OK ") != 2 || !strings.Contains(r.stdout, "signed by key "+before) {
			t.Errorf("verify --root %v of files signed before the rotation: exit %d, want 0 naming key %s\n%s%s", keyArgs, r.code, before, r.stdout, r.stderr)
		}
	}
	// So does the evidence bundle exported before the rotation (it
	// failed with the key given, exit 4: a review of this stop's fixes).
	r := ledgerlens(t, nil, "--root", root, "verify", "--pubkey", pub, bundle)
	if r.code != 0 || !strings.Contains(r.stdout, "key "+before+" (retired by the rotation at audit seq") {
		t.Errorf("verify --root --pubkey NEW of a bundle exported before the rotation: exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Without the root, the key the report names is said, and how to
	// check a file from before a rotation.
	r = ledgerlensIn(t, t.TempDir(), nil, "verify", "--pubkey", pub, report)
	if r.code != exitIntegrity || !strings.Contains(r.stdout, "the report names signing key "+before+" (signing_key_id), which is neither the key checked with nor one its rotations retired (a file published before a key rotation verifies with --root") {
		t.Errorf("verify --pubkey NEW of a report signed before the rotation, no root: exit %d, want %d naming key %s\n%s%s", r.code, exitIntegrity, before, r.stdout, r.stderr)
	}

	// The leaked key re-signs the week published after the rotation,
	// changed, outside the root and inside it.
	mustRun(t, "--root", root, "report", "weekly", "--week", nextWeek(t))
	forged := filepath.Join(t.TempDir(), "weekly_"+nextWeek(t)+".json")
	data := readFile(t, weeklyPath(root, nextWeek(t), 1, ".json"))
	var named struct {
		SigningKeyID string `json:"signing_key_id"`
	}
	if err := json.Unmarshal(data, &named); err != nil || named.SigningKeyID == "" || named.SigningKeyID == before {
		t.Fatalf("the report after the rotation names key %q (%v)", named.SigningKeyID, err)
	}
	data = bytes.ReplaceAll(data, []byte(`"`+named.SigningKeyID+`"`), []byte(`"`+before+`"`))
	if err := os.WriteFile(forged, data, 0o644); err != nil {
		t.Fatal(err)
	}
	signAs(t, leaked, forged)
	// With the retired key itself too, as an auditor holds it who
	// obtained it before the rotation: the root's log did not hold with
	// it, a warning said so, and the forgery passed with it alone, exit 0
	// (an outside review). The root's own key tells that it is retired.
	oldPub := filepath.Join(t.TempDir(), "old-signing.pub")
	copyFile(t, filepath.Join(leaked, ".ledgerlens", "keys", "signing.pub"), oldPub)
	for _, keyArgs := range [][]string{nil, {"--pubkey", pub}, {"--pubkey", oldPub}} {
		r := ledgerlens(t, nil, append(append([]string{"--root", root, "verify"}, keyArgs...), forged)...)
		if r.code != exitIntegrity || strings.Contains(r.stdout, "OK ") || !strings.Contains(r.stdout, "signed by key "+before+", retired by the rotation at audit seq") {
			t.Errorf("verify --root %v of a later report re-signed with the retired key: exit %d, want %d\n%s%s", keyArgs, r.code, exitIntegrity, r.stdout, r.stderr)
		}
	}
	// What the retired key did sign before its rotation still verifies
	// with it, and the warning names the key that replaced it.
	current, err := reports.LoadPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	r = ledgerlens(t, nil, "--root", root, "verify", "--pubkey", oldPub, report)
	if r.code != 0 || !strings.Contains(r.stdout, "OK ") || !strings.Contains(r.stderr, "key "+before+" given by --pubkey was retired by the rotation at audit seq") || !strings.Contains(r.stderr, "holds with its current key "+reports.KeyID(current)) {
		t.Errorf("verify --root --pubkey OLD of a report published before the rotation: exit %d, want 0 with a warning naming the current key\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Nor does the leaked key pass its forgery once the log is moved
	// aside, or replaced by one it signed (the leaked copy's): the root's
	// own key says it is retired (it passed, exit 0: an outside review).
	log := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	cps := filepath.Join(root, ".ledgerlens", "audit.checkpoints")
	realLog, realCps := readFile(t, log), readFile(t, cps)
	// audit verify with the retired key holds the root's log to the
	// root's key: the genuine log passes, with a warning naming the
	// current key (it failed as tampered with: an outside review).
	if r := ledgerlens(t, nil, "--root", root, "audit", "verify", "--pubkey", oldPub); r.code != 0 || !strings.Contains(r.stderr, "key "+before+" given by --pubkey was retired by the rotation at audit seq") {
		t.Errorf("audit verify --pubkey OLD of the genuine rotated log: exit %d, want 0 with a warning\n%s%s", r.code, r.stdout, r.stderr)
	}
	// So does baseline verify, which holds the records to the log (it
	// failed the genuine log as tampered with: a review).
	if _, err := exec.LookPath("ssh-keygen"); err == nil {
		key := filepath.Join(t.TempDir(), "alice")
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v %s", err, out)
		}
		approvers := filepath.Join(root, "config", "approvers")
		if err := os.WriteFile(approvers, append([]byte(`alice namespaces="ledgerlens-baseline" `), readFile(t, key+".pub")...), 0o644); err != nil {
			t.Fatal(err)
		}
		if r := ledgerlens(t, nil, "--root", root, "baseline", "verify", "--pubkey", oldPub); r.code != 0 || !strings.Contains(r.stderr, "given by --pubkey was retired") {
			t.Errorf("baseline verify --pubkey OLD of a rotated root: exit %d, want 0 with a warning\n%s%s", r.code, r.stdout, r.stderr)
		}
		os.Remove(approvers)
	}
	for _, tc := range []struct {
		name  string
		swap  func()
		wantR string
	}{
		{"the log moved aside", func() { os.Rename(log, log+".aside") }, "the root --root names vouches for nothing"},
		{"the log the leaked key signed", func() {
			copyFile(t, filepath.Join(leaked, ".ledgerlens", "audit.jsonl"), log)
			copyFile(t, filepath.Join(leaked, ".ledgerlens", "audit.checkpoints"), cps)
		}, "the root --root names vouches for nothing"},
		// And with the keys directory, which says which key is current,
		// replaced by another account's: the key given vouched alone (a
		// review of this fix).
		{"that log, the keys directory another account's", func() {
			copyFile(t, filepath.Join(leaked, ".ledgerlens", "audit.jsonl"), log)
			copyFile(t, filepath.Join(leaked, ".ledgerlens", "audit.checkpoints"), cps)
			keys := filepath.Join(root, ".ledgerlens", "keys")
			if err := os.Rename(keys, keys+".aside"); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(keys, 0o700); err != nil {
				t.Fatal(err)
			}
			chown(t, keys, 65534, 65534)
		}, "the root's keys directory, which says which key is current, cannot be trusted"},
	} {
		tc.swap()
		if r := ledgerlens(t, nil, "--root", root, "verify", "--pubkey", oldPub, forged); r.code != exitIntegrity || strings.Contains(r.stdout, "OK ") || !strings.Contains(r.stdout, tc.wantR) {
			t.Errorf("%s: verify --root --pubkey OLD of the leaked key's forgery: exit %d, want %d\n%s%s", tc.name, r.code, exitIntegrity, r.stdout, r.stderr)
		}
		// And the log itself, which the leaked key's log passed as (an
		// outside review).
		if r := ledgerlens(t, nil, "--root", root, "audit", "verify", "--pubkey", oldPub); r.code == 0 {
			t.Errorf("%s: audit verify --pubkey OLD: exit 0\n%s%s", tc.name, r.stdout, r.stderr)
		}
		os.Remove(log + ".aside")
		if _, err := os.Stat(filepath.Join(root, ".ledgerlens", "keys.aside")); err == nil {
			os.Remove(filepath.Join(root, ".ledgerlens", "keys"))
			os.Rename(filepath.Join(root, ".ledgerlens", "keys.aside"), filepath.Join(root, ".ledgerlens", "keys"))
		}
		if err := os.WriteFile(log, realLog, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cps, realCps, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A copy of the root without its keys (an analyst's cp -a cannot copy
	// them) is told that the key given vouches alone, and passes the
	// genuine report with the right key (it failed: a review).
	copied := copyRoot(t, root)
	if err := os.RemoveAll(filepath.Join(copied, ".ledgerlens", "keys")); err != nil {
		t.Fatal(err)
	}
	if r := ledgerlens(t, nil, "--root", copied, "verify", "--pubkey", oldPub, filepath.Join(copied, "runs", "CREDIT_REVIEWS", filepath.Base(report))); r.code != 0 || !strings.Contains(r.stderr, "the key given by --pubkey vouches alone") {
		t.Errorf("verify --root COPY-WITHOUT-KEYS --pubkey of a genuine report: exit %d, want 0 with a warning\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A retired key vouches for what it signed, not for any bytes the log
	// recorded: a sidecar's, signed after the rotation, passed (an outside
	// review).
	sidecarBytes := filepath.Join(t.TempDir(), "update_"+nextWeek(t)+".md")
	copyFile(t, report+".sha256", sidecarBytes)
	signAs(t, leaked, sidecarBytes)
	if r := ledgerlens(t, nil, "--root", root, "verify", "--pubkey", pub, sidecarBytes); r.code != exitIntegrity || strings.Contains(r.stdout, "OK ") {
		t.Errorf("verify --root --pubkey NEW of a sidecar's bytes the retired key signed after the rotation: exit %d, want %d\n%s%s", r.code, exitIntegrity, r.stdout, r.stderr)
	}
	// And a bundle the leaked key signed, exported from the copy.
	forgedBundle := filepath.Join(t.TempDir(), "forged.zip")
	mustRun(t, "--root", leaked, "evidence", "export", "--from", prevWeek(t), "--to", mustParseDay(t, prevWeek(t)).AddDate(0, 0, 6).Format(time.DateOnly), "--out", forgedBundle)
	for _, key := range []string{pub, oldPub} {
		if r := ledgerlens(t, nil, "--root", root, "verify", "--pubkey", key, forgedBundle); r.code != exitIntegrity || strings.Contains(r.stdout, "OK ") {
			t.Errorf("verify --root --pubkey %s of a bundle the retired key signed after the rotation: exit %d, want %d\n%s%s", key, r.code, exitIntegrity, r.stdout, r.stderr)
		}
	}
	// Rotated again: the key in the middle, as an auditor holds it,
	// still verifies what the first key signed before its rotation (it
	// failed, "neither the key checked with nor one its rotations
	// retired": an outside review).
	mustRun(t, "--root", root, "keys", "rotate")
	if r := ledgerlens(t, nil, "--root", root, "verify", "--pubkey", pub, report); r.code != 0 || !strings.Contains(r.stdout, "signed by key "+before) {
		t.Errorf("verify --root --pubkey MIDDLE of a report the first key signed: exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
	}
	other := otherKeyRoot(t)
	signAs(t, other, report)
	r = ledgerlens(t, nil, "--root", root, "verify", report)
	if r.code != exitIntegrity {
		t.Errorf("verify --root of a report re-signed with another key: exit %d, want %d\n%s%s", r.code, exitIntegrity, r.stdout, r.stderr)
	}
}

// TestAttackFilesThatHideProblems: anyone who can write the output
// directory could keep the daily check from naming a tamper. A symlink to
// nothing or a FIFO among the published files stopped verify all and
// audit verify with "could not run" (exit 1), every problem found until
// then unsaid: the workbook copied over another week's, a log cut short
// that the kept checkpoint caught. And a hidden copy of a report, or a
// file named as the signature of a signature, passed unchecked (an
// outside review). Each is now one more problem, the others still listed
// (exit 4); only a write's temporary file is passed over.
func TestAttackFilesThatHideProblems(t *testing.T) {
	root := publishedRoot(t)
	pub := filepath.Join(t.TempDir(), "signing.pub")
	copyFile(t, filepath.Join(root, ".ledgerlens", "keys", "signing.pub"), pub)
	kept := filepath.Join(t.TempDir(), "kept.checkpoint")
	mustRun(t, "--root", root, "audit", "verify", "--keep-head", kept)

	// The tamper: the previous week's workbook, with its signature, over
	// the focus week's, and a sidecar made for it.
	work := weeklyPath(root, focusWeek, 1, ".xlsx")
	copyFile(t, weeklyPath(root, prevWeek(t), 1, ".xlsx"), work)
	copyFile(t, weeklyPath(root, prevWeek(t), 1, ".xlsx.sig"), work+".sig")
	residecar(t, work)
	// What hid it.
	if err := syscall.Mkfifo(filepath.Join(reviews(root), "weekly_"+nextWeek(t)+".json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/nonexistent", filepath.Join(reviews(root), "aaa.json")); err != nil {
		t.Fatal(err)
	}
	// What passed unchecked.
	report := weeklyPath(root, focusWeek, 1, ".json")
	copyFile(t, report, filepath.Join(reviews(root), ".weekly_"+focusWeek+".final.json"))
	copyFile(t, report+".sig", report+".sig.sig")
	copyFile(t, report+".sha256", report+".sha256.sha256")
	// A FIFO in place of a report's signature: the report itself is
	// there, and its revision chain whole (it said revision 1 missing).
	prevReport := weeklyPath(root, prevWeek(t), 1, ".json")
	if err := os.Remove(prevReport + ".sig"); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(prevReport+".sig", 0o644); err != nil {
		t.Fatal(err)
	}
	// A name that would print lines of its own.
	if err := os.WriteFile(filepath.Join(reviews(root), "zz\nOK      all good"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A write's temporary file, as a kill leaves it: passed over.
	copyFile(t, report, filepath.Join(reviews(root), ".weekly_"+focusWeek+".json.123456.tmp"))

	mustFail(t, 4, []string{
		"weekly_" + focusWeek + ".xlsx: report id",
		"weekly_" + nextWeek(t) + ".json: not a regular file (a FIFO)",
		"aaa.json: not a regular file (a symbolic link to nothing)",
		".weekly_" + focusWeek + ".final.json: not recorded",
		".json.sig.sig: not recorded",
		".json.sha256.sha256: not recorded",
	}, "--root", root, "verify", "all", "--pubkey", pub, "--checkpoint", kept)
	if r := ledgerlens(t, nil, "--root", root, "verify", "all", "--pubkey", pub); strings.Contains(r.stdout, ".tmp") || strings.Contains(r.stdout, "revision chain incomplete") ||
		strings.Contains(r.stdout, "\nOK") || !strings.Contains(r.stdout, `zz\nOK      all good`) {
		t.Errorf("a write's temporary file was named, a present report said missing, or a name printed a line of its own:\n%s", r.stdout)
	}

	// The log cut short, beside a symlink named as a report: audit verify
	// still holds the log to the kept checkpoint.
	log := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(data, []byte{'\n'})
	if err := os.WriteFile(log, bytes.Join(lines[:len(lines)/2], nil), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/nonexistent", filepath.Join(reviews(root), "weekly_2099-01-05.json")); err != nil {
		t.Fatal(err)
	}
	mustFail(t, 4, []string{"from kept checkpoint " + kept}, "--root", root, "audit", "verify", "--pubkey", pub, "--checkpoint", kept)
}

// TestAttackAuditLogNotAFile: the audit log replaced by a FIFO, a socket
// or a directory by someone who may write it, beside a workbook copied
// over another week's: verify all and audit verify stopped with exit 1,
// "read audit log: … not a regular file", and the workbook went unsaid
// (an outside review). The log is one problem, checked as a log that
// holds nothing, and the workbook is listed too (exit 4).
func TestAttackAuditLogNotAFile(t *testing.T) {
	for _, tc := range []struct {
		kind string
		make func(path string) error
	}{
		{"FIFO", func(path string) error { return syscall.Mkfifo(path, 0o644) }},
		{"socket", func(path string) error { _, err := net.Listen("unix", path); return err }},
		{"directory", func(path string) error { return os.Mkdir(path, 0o755) }},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			root := publishedRoot(t)
			pub := filepath.Join(t.TempDir(), "signing.pub")
			copyFile(t, filepath.Join(root, ".ledgerlens", "keys", "signing.pub"), pub)
			work := weeklyPath(root, focusWeek, 1, ".xlsx")
			copyFile(t, weeklyPath(root, prevWeek(t), 1, ".xlsx"), work)
			log := filepath.Join(root, ".ledgerlens", "audit.jsonl")
			if err := os.Remove(log); err != nil {
				t.Fatal(err)
			}
			if err := tc.make(log); err != nil {
				t.Fatal(err)
			}
			mustFail(t, 4, []string{"audit.jsonl is not a regular file (a " + tc.kind + ")", "weekly_" + focusWeek + ".xlsx"},
				"--root", root, "verify", "all", "--pubkey", pub)
			mustFail(t, 4, []string{"audit.jsonl is not a regular file (a " + tc.kind + ")"},
				"--root", root, "audit", "verify", "--pubkey", pub)
		})
	}
}
