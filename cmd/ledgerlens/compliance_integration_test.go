package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/fixtures"
	"github.com/ledgerlens/ledgerlens/pipeline"
	"github.com/ledgerlens/ledgerlens/reports"
)

// The compliance commands as cron and operators run them, in process
// (run, as main calls it): what reaches stdout, exit statuses, and verify
// on an evidence bundle.

func fixtureCandidate(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e fixtures.Expected
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	return e.Injections.BaselineCandidates[0]
}

// approverKeys makes SSH keys for alice and bob with the stock ssh-keygen
// and lists them in the root's config/approvers; it returns the private
// key paths.
func approverKeys(t *testing.T, root string) (alice, bob string) {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen not installed")
	}
	dir := t.TempDir()
	var lines string
	for _, name := range []string{"alice", "bob"} {
		path := filepath.Join(dir, name)
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
		pub, _ := os.ReadFile(path + ".pub")
		lines += name + ` namespaces="ledgerlens-baseline" ` + string(pub)
	}
	if err := os.WriteFile(filepath.Join(root, "config", "approvers"), []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "alice"), filepath.Join(dir, "bob")
}

// appendRecentRun appends a healthy SEV4 run of scenario at at to the
// ledger: a copy of the scenario's newest run with a new id and time.
func appendRecentRun(t *testing.T, root, scenario string, at time.Time) {
	t.Helper()
	ledger := filepath.Join(root, "runs", "CREDIT_MONITORING", "ledger.jsonl")
	data, err := os.ReadFile(ledger)
	if err != nil {
		t.Fatal(err)
	}
	var last map[string]any
	for _, line := range strings.Split(string(data), "\n") {
		var run map[string]any
		if json.Unmarshal([]byte(line), &run) == nil && run["Scenario_ID"] == scenario {
			last = run
		}
	}
	if last == nil {
		t.Fatalf("no run of %s in the ledger", scenario)
	}
	last["Run_ID"], last["Timestamp"] = "RUN-RECENT-1", at.UTC().Format(time.RFC3339)
	line, _ := json.Marshal(last)
	f, err := os.OpenFile(ledger, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The fixture ends in a partial line; close it first.
	if _, err := f.Write(append(append([]byte("\n"), line...), '\n')); err != nil {
		t.Fatal(err)
	}
}

func TestBaselineCommands(t *testing.T) {
	root := copyFixture(t)
	scenario := fixtureCandidate(t)
	mustRun(t, "--root", root, "keys", "generate")
	alice, bob := approverKeys(t, root)
	noAgent := []string{"SSH_AUTH_SOCK="}

	calc := mustRunIn(t, "--root", root, "baseline", "calculate", "--scenario", scenario, "--as-of", "2026-03-02T00:00:00Z")
	if !regexp.MustCompile(`^Calculated baseline for ` + scenario + `: \d+\.\d\d \(from \d+ healthy runs\)\n$`).MatchString(calc.stdout) {
		t.Errorf("calculate printed %q", calc.stdout)
	}
	if r := ledgerlens(t, nil, "--root", root, "baseline", "calculate", "--scenario", strings.ToLower(scenario)+"X"); r.code == 0 ||
		!strings.Contains(r.stderr, "unknown scenario") || !strings.Contains(r.stderr, scenario) {
		t.Errorf("misspelt scenario: exit %d\n%s", r.code, r.stderr)
	}

	if r := ledgerlens(t, noAgent, "--root", root, "baseline", "propose", "--scenario", scenario, "--by", "alice",
		"--as-of", "2026-03-02T00:00:00Z"); r.code == 0 || !strings.Contains(r.stderr, "--sign-with") {
		t.Errorf("unsigned proposal: exit %d\n%s", r.code, r.stderr)
	}
	prop := mustRun(t, "--root", root, "baseline", "propose", "--scenario", scenario, "--sign-with", alice,
		"--as-of", "2026-03-02T00:00:00Z", "--rationale", "stable")
	if !regexp.MustCompile(`^BP-\d{8}-[0-9a-f]{12}\n$`).MatchString(prop.stdout) {
		t.Fatalf("propose stdout must be the proposal id alone, got %q", prop.stdout)
	}
	id := strings.TrimSpace(prop.stdout)

	self := ledgerlens(t, noAgent, "--root", root, "baseline", "approve", id, "--sign-with", alice)
	if self.code != 1 || !strings.Contains(self.stderr, "two-person") || self.stdout != "" {
		t.Fatalf("self-approval: exit %d\n%s%s", self.code, self.stdout, self.stderr)
	}
	other := ledgerlens(t, noAgent, "--root", root, "baseline", "approve", id, "--sign-with", bob, "--by", "carol")
	if other.code != 1 || !strings.Contains(other.stderr, `--by \"carol\" names someone else`) {
		t.Fatalf("--by naming someone else: exit %d\n%s%s", other.code, other.stdout, other.stderr)
	}
	// The fixture's runs are months old: at the real clock the 14-day
	// stability window holds none, and "no SEV0/SEV1" cannot be shown.
	vacuous := ledgerlens(t, noAgent, "--root", root, "baseline", "approve", id, "--sign-with", bob)
	if vacuous.code != 1 || !strings.Contains(vacuous.stderr, "no runs of "+scenario+" since ") ||
		!strings.Contains(vacuous.stderr, "stability over 14 days cannot be shown") {
		t.Fatalf("approval over an empty window: exit %d\n%s%s", vacuous.code, vacuous.stdout, vacuous.stderr)
	}
	appendRecentRun(t, root, scenario, time.Now().Add(-time.Hour))
	ok := mustRun(t, "--root", root, "baseline", "approve", id, "--sign-with", bob)
	if !strings.Contains(ok.stdout, "approved "+id) || !strings.Contains(ok.stdout, "update_") {
		t.Errorf("approve printed %q", ok.stdout)
	}
	list := mustRunIn(t, "--root", root, "baseline", "list")
	if !strings.Contains(list.stdout, scenario) || !strings.Contains(list.stdout, "0 proposals awaiting approval") {
		t.Errorf("list printed %q", list.stdout)
	}
	if r := ledgerlens(t, nil, "--root", root, "baseline", "propose", "--sign-with", alice); r.code != 2 {
		t.Errorf("propose without --scenario or --candidates: exit %d", r.code)
	}
	// Both records verify offline: the host key with ledgerlens verify,
	// the people with the stock ssh-keygen (docs/COMPLIANCE.md).
	dir := filepath.Join(root, "runs", "BASELINE_UPDATES")
	mustRun(t, "--root", root, "verify", filepath.Join(dir, "proposal_"+id+".json"), filepath.Join(dir, "approval_"+id+".json"))
	for who, base := range map[string]string{"alice": "proposal_" + id, "bob": "approval_" + id} {
		script := fmt.Sprintf(`ssh-keygen -Y verify -f %q -I %s -n ledgerlens-baseline -s %q < %q`,
			filepath.Join(root, "config", "approvers"), who, filepath.Join(dir, base+".sshsig"), filepath.Join(dir, base+".json"))
		if out, err := exec.Command("bash", "-c", script).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", script, err, out)
		}
	}
	v := mustRun(t, "--root", root, "baseline", "verify")
	if !strings.Contains(v.stdout, "OK      proposal_"+id+".json signed by alice (SHA256:") ||
		!strings.Contains(v.stdout, "OK      approval_"+id+".json signed by bob (SHA256:") {
		t.Errorf("baseline verify printed %q", v.stdout)
	}
	// An approvers file that swaps the two people's keys: neither record
	// is by the person it names.
	approvers := filepath.Join(root, "config", "approvers")
	data, _ := os.ReadFile(approvers)
	swapped := strings.NewReplacer("alice namespaces", "bob namespaces", "bob namespaces", "alice namespaces").Replace(string(data))
	os.WriteFile(approvers, []byte(swapped), 0o644)
	bad := ledgerlens(t, nil, "--root", root, "baseline", "verify")
	if bad.code != 4 || strings.Count(bad.stdout, "FAILED") != 2 || !strings.Contains(bad.stderr, "2 of 2 baseline records on disk failed") {
		t.Errorf("verify against swapped keys: exit %d\n%s%s", bad.code, bad.stdout, bad.stderr)
	}
}

func TestSLAAndEvidenceCommands(t *testing.T) {
	root := copyFixture(t)
	mustRunIn(t, "--root", root, "keys", "generate")
	mustRunIn(t, "--root", root, "report", "weekly", "--week", focusWeek)

	sla := mustRunIn(t, "--root", root, "report", "sla", "--month", "2026-03")
	if !strings.Contains(sla.stdout, "sla report 2026-03: published (revision 1)") {
		t.Errorf("report sla printed %q", sla.stdout)
	}
	// The fixture's SLO breach is a SEV2 breach: --fail-on SEV2 exits 3.
	if r := runInProcess(t, "--root", root, "report", "sla", "--month", "2026-03", "--fail-on", "SEV2"); r.code != 3 || !strings.Contains(r.stdout, "no-op") {
		t.Errorf("--fail-on SEV2: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runInProcess(t, "--root", root, "report", "sla", "--month", "March"); r.code != 2 {
		t.Errorf("bad --month: exit %d", r.code)
	}

	bundle := filepath.Join(t.TempDir(), "h1.zip")
	exp := mustRunIn(t, "--root", root, "evidence", "export", "--from", "2026-01-01", "--to", "2026-06-30", "--out", bundle)
	if !strings.Contains(exp.stdout, "1 weekly reports, 1 SLA reports") {
		t.Errorf("export printed %q", exp.stdout)
	}
	for _, f := range []string{bundle, bundle + ".sha256", bundle + ".sig"} {
		if _, err := os.Stat(f); err != nil {
			t.Fatal(err)
		}
	}
	if r := mustRunIn(t, "--root", root, "verify", bundle); !strings.HasPrefix(r.stdout, "OK") {
		t.Errorf("verify printed %q", r.stdout)
	}
	// An auditor elsewhere, without the root's key: the bundled key is not
	// trusted silently; --trust-bundle-key uses it with a warning naming it.
	away := runInProcess(t, "--root", t.TempDir(), "verify", bundle)
	if away.code != 1 || !strings.Contains(away.stdout, "--pubkey") || !strings.Contains(away.stdout, "--trust-bundle-key") {
		t.Errorf("verify without a key: exit %d\n%s%s", away.code, away.stdout, away.stderr)
	}
	trusted := runInProcess(t, "--root", t.TempDir(), "verify", "--trust-bundle-key", bundle)
	if trusted.code != 0 || !strings.Contains(trusted.stdout, "bundled") || !strings.Contains(trusted.stderr, "WARNING") || !strings.Contains(trusted.stderr, "key id ") {
		t.Errorf("verify --trust-bundle-key: exit %d\n%s%s", trusted.code, trusted.stdout, trusted.stderr)
	}

	data, _ := os.ReadFile(bundle)
	tampered := append([]byte{}, data...)
	tampered[len(tampered)/2] ^= 0x01
	os.WriteFile(bundle, tampered, 0o644)
	r := runInProcess(t, "--root", root, "verify", bundle)
	if r.code != 4 || !strings.Contains(r.stdout, "FAILED") || !strings.Contains(r.stdout, "h1.zip: sha256 mismatch") {
		t.Errorf("tampered bundle: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestSLAStats(t *testing.T) {
	res := &pipeline.SLAResult{Report: &reports.SLA{Breaches: []reports.SLABreach{
		{Clock: reports.ClockSLO}, {Clock: reports.ClockObservation}, {Clock: reports.ClockObservation}}}}
	st := slaStats(res)
	if st.Findings["sla_observation"] != 2 || st.Findings["sla_slo"] != 1 || len(st.Findings) != 2 {
		t.Errorf("findings %v", st.Findings)
	}
}

// TestReadmeBaselineExample runs the README's baseline example, as
// written, on a root laid out like `make demo`'s (same scenarios and weeks,
// fewer runs).
func TestReadmeBaselineExample(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen not installed")
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "<!-- baseline-example")
	if !ok {
		t.Fatal("README has no baseline-example block")
	}
	_, after, _ = strings.Cut(after, "```sh\n")
	script, _, ok := strings.Cut(after, "```")
	if !ok {
		t.Fatal("README's baseline example is not closed")
	}
	work := t.TempDir()
	demo := filepath.Join(work, "demo")
	if out, err := exec.Command("cp", "-a", fixtureDir, demo).CombinedOutput(); err != nil {
		t.Fatalf("copy fixture: %v %s", err, out)
	}
	mustRun(t, "--root", demo, "keys", "generate")
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(binary)+":"+os.Getenv("PATH"), "SSH_AUTH_SOCK=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README example: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Calculated baseline for AUDIT_BINDER_EXPORT: ",
		"1 proposals awaiting approval",
		`Good "ledgerlens-baseline" signature for alice with ED25519 key`,
		"no runs of AUDIT_BINDER_EXPORT since ",
		"stability over 14 days cannot be shown",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("README example output lacks %q:\n%s", want, out)
		}
	}
}

// TestEvidenceExportBesideOtherFiles: a bundle is a copy for delivery,
// exported wherever the operator keeps such things (a home directory, a
// transfer directory). The directory it lands in is not an output
// directory of the root: the files already there are not "planted
// evidence", and the bundle may be moved away, without `verify all`
// failing from then on. The root's own output directories are still
// reconciled both ways.
func TestEvidenceExportBesideOtherFiles(t *testing.T) {
	root := publishedRoot(t)
	outbox := t.TempDir()
	for _, f := range []string{"notes.txt", "q2.zip", "weekly_2026-01-05.json"} {
		if err := os.WriteFile(filepath.Join(outbox, f), []byte("not ledgerlens's\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bundle := filepath.Join(outbox, "q1.zip")
	mustRun(t, "--root", root, "evidence", "export", "--from", "2026-01-01", "--to", "2026-03-31", "--out", bundle)

	ok := mustRun(t, "--root", root, "verify", "all")
	if strings.Contains(ok.stdout, outbox) || !strings.Contains(ok.stdout, "\nOK") {
		t.Errorf("verify all after an export beside other files:\n%s%s", ok.stdout, ok.stderr)
	}
	for _, f := range []string{bundle, bundle + ".sha256", bundle + ".sig"} {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	if r := mustRun(t, "--root", root, "verify", "all"); strings.Contains(r.stdout, outbox) {
		t.Errorf("verify all after the bundle was moved away:\n%s", r.stdout)
	}

	// The root's evidence is reconciled as before.
	if err := os.Remove(filepath.Join(reviews(root), "weekly_"+focusWeek+".json")); err != nil {
		t.Fatal(err)
	}
	mustFail(t, 4, []string{"weekly_" + focusWeek + ".json", "missing"}, "--root", root, "verify", "all")
}

// TestEvidenceHoldsTheAcknowledgments: a weekly review says a ledger
// modification was "acknowledged by alice", and names her signed record.
// The bundle of that week held the review but not the record, so an
// auditor could not see who acknowledged what, or check that anyone had:
// the record is bundled now, with its sidecar, signature and record of
// publication, and `verify` holds the review's claim to it.
func TestEvidenceHoldsTheAcknowledgments(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	mustRun(t, "--root", root, "report", "weekly", "--week", prevWeek(t))
	editLine(t, ledgerPath(root), 5000)
	r := cron(t, root, "report", "weekly", "--week", focusWeek)
	wantExit(t, r, 4, "weekly run after the edit")
	m := regexp.MustCompile(`--range (\d+-\d+)`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("stderr names no range: %s", r.stderr)
	}
	const reason = "finance corrected a credit, FIN-7"
	// What the record, the audit log and the reports would not show as
	// it was given is refused, nothing recorded: DEL and a line separator
	// were recorded, and the audit log's offline recipe called the intact
	// log broken at their entry (an outside review).
	log := readFile(t, filepath.Join(root, ".ledgerlens", "audit.jsonl"))
	for _, bad := range [][]string{{"--by", "alice", "--reason", "finance\u2028corrected"}, {"--by", "alice", "--reason", "FIN-7\x7f"}, {"--by", "\x1b[2Kalice", "--reason", reason}} {
		r := ledgerlens(t, nil, append([]string{"--root", root, "ledger", "acknowledge", "--range", m[1]}, bad...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "does not show as itself") {
			t.Errorf("ledger acknowledge %q: exit %d, want %d refusing it\n%s%s", bad, r.code, exitUsage, r.stdout, r.stderr)
		}
	}
	if !bytes.Equal(log, readFile(t, filepath.Join(root, ".ledgerlens", "audit.jsonl"))) {
		t.Error("a refused acknowledgment wrote to the audit log")
	}
	mustRun(t, "--root", root, "ledger", "acknowledge", "--range", m[1], "--by", "alice", "--reason", reason)
	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")

	bundle := filepath.Join(t.TempDir(), "week.zip")
	sunday := mustParseDay(t, focusWeek).AddDate(0, 0, 6).Format(time.DateOnly)
	if r := mustRun(t, "--root", root, "evidence", "export", "--from", focusWeek, "--to", sunday, "--out", bundle); !strings.Contains(r.stdout, "1 ledger acknowledgments") {
		t.Errorf("export summary does not count the acknowledgment:\n%s", r.stdout)
	}
	// Unpacked as an auditor would.
	dir := t.TempDir()
	zr, err := zip.OpenReader(bundle)
	if err != nil {
		t.Fatal(err)
	}
	var ack string
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "runs/CREDIT_REVIEWS/ledger_ack_") && strings.HasSuffix(f.Name, ".json") {
			ack = f.Name
		}
		data := zipMember(t, f)
		dst := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zr.Close()
	if ack == "" {
		t.Fatalf("the bundle holds no acknowledgment record, though its review cites one")
	}
	index := readFile(t, filepath.Join(dir, "index.json"))
	for _, want := range []string{`"kind": "ledger_acknowledgment"`, `"ledger_acknowledgments": 1`} {
		if !bytes.Contains(index, []byte(want)) {
			t.Errorf("index.json has no %s", want)
		}
	}
	pub := filepath.Join(root, ".ledgerlens", "keys", "signing.pub")
	if r := mustRun(t, "--root", t.TempDir(), "verify", "--pubkey", pub, bundle); !strings.HasPrefix(r.stdout, "OK") {
		t.Errorf("verify the bundle:\n%s", r.stdout)
	}
	// The runbook's recipe checks the record with the rest.
	cmd := exec.Command("sh", "-c", "sha256sum -c ledger_ack_*.json.sha256")
	cmd.Dir = filepath.Join(dir, "runs", "CREDIT_REVIEWS")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "OK") {
		t.Errorf("sha256sum -c of the acknowledgment record: %v\n%s", err, out)
	}
	rec := readFile(t, filepath.Join(dir, filepath.FromSlash(ack)))
	if !bytes.Contains(rec, []byte(`"by": "alice"`)) || !bytes.Contains(rec, []byte(reason)) {
		t.Errorf("the bundled record:\n%s", rec)
	}

	// The record edited (another reason) or removed on the host: nothing
	// is exported, as for a report of the range.
	for _, tc := range []struct {
		name   string
		tamper func(path string)
		phrase string
	}{
		{"edited", func(path string) {
			data := bytes.Replace(readFile(t, path), []byte(reason), []byte("nobody asked"), 1)
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "was changed since"},
		{"removed", func(path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}, "missing"},
		{"signature removed", func(path string) {
			if err := os.Remove(path + ".sig"); err != nil {
				t.Fatal(err)
			}
		}, "has no signature"},
		{"sidecar removed", func(path string) {
			if err := os.Remove(path + ".sha256"); err != nil {
				t.Fatal(err)
			}
		}, "has no sidecar"},
	} {
		t.Run("record "+tc.name, func(t *testing.T) {
			r := copyRoot(t, root)
			tc.tamper(filepath.Join(r, filepath.FromSlash(ack)))
			out := filepath.Join(t.TempDir(), "week.zip")
			mustFail(t, 4, []string{path.Base(ack), tc.phrase, "nothing was exported"},
				"--root", r, "evidence", "export", "--from", focusWeek, "--to", sunday, "--out", out)
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a bundle was exported")
			}
		})
	}
}
