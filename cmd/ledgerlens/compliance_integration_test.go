package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

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

func TestBaselineCommands(t *testing.T) {
	root := copyFixture(t)
	scenario := fixtureCandidate(t)
	mustRunIn(t, "--root", root, "keys", "generate")

	calc := mustRunIn(t, "--root", root, "baseline", "calculate", "--scenario", scenario, "--as-of", "2026-03-02T00:00:00Z")
	if !regexp.MustCompile(`^Calculated baseline for ` + scenario + `: \d+\.\d\d \(from \d+ healthy runs\)\n$`).MatchString(calc.stdout) {
		t.Errorf("calculate printed %q", calc.stdout)
	}

	prop := mustRunIn(t, "--root", root, "baseline", "propose", "--scenario", scenario, "--by", "alice",
		"--as-of", "2026-03-02T00:00:00Z", "--rationale", "stable")
	if !regexp.MustCompile(`^BP-\d{8}-[0-9a-f]{12}\n$`).MatchString(prop.stdout) {
		t.Fatalf("propose stdout must be the proposal id alone, got %q", prop.stdout)
	}
	id := strings.TrimSpace(prop.stdout)

	self := runInProcess(t, "--root", root, "baseline", "approve", id, "--by", "alice")
	if self.code != 1 || !strings.Contains(self.stderr, "two-person") || self.stdout != "" {
		t.Fatalf("self-approval: exit %d\n%s%s", self.code, self.stdout, self.stderr)
	}
	ok := mustRunIn(t, "--root", root, "baseline", "approve", id, "--by", "bob")
	if !strings.Contains(ok.stdout, "approved "+id) || !strings.Contains(ok.stdout, "update_") {
		t.Errorf("approve printed %q", ok.stdout)
	}
	list := mustRunIn(t, "--root", root, "baseline", "list")
	if !strings.Contains(list.stdout, scenario) || !strings.Contains(list.stdout, "0 proposals awaiting approval") {
		t.Errorf("list printed %q", list.stdout)
	}
	if r := runInProcess(t, "--root", root, "baseline", "propose", "--by", "alice"); r.code != 2 {
		t.Errorf("propose without --scenario or --candidates: exit %d", r.code)
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
	if r.code != 1 || !strings.Contains(r.stdout, "FAILED") || !strings.Contains(r.stdout, "h1.zip: sha256 mismatch") {
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
