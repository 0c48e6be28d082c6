package schedules

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// promtool returns the path of Prometheus' promtool, or skips the test
// saying why: it comes with Debian's prometheus package, which .ci/run
// installs when it can.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Skipf("promtool not found (install Debian's prometheus package to run this check): %v", err)
	}
	return p
}

// rulesDir is where the shipped Prometheus rules live.
var rulesDir = filepath.Join("..", "deploy", "prometheus")

// TestPromtoolCheckRules checks the shipped alerting rules and runs their
// unit tests, which feed series shaped like the metrics file's through each
// alert.
func TestPromtoolCheckRules(t *testing.T) {
	bin := promtool(t)
	for _, args := range [][]string{
		{"check", "rules", filepath.Join(rulesDir, "ledgerlens-rules.yml")},
		{"test", "rules", filepath.Join(rulesDir, "ledgerlens-rules.test.yml")},
	} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestPromtoolCheckMetrics lints the metrics file as written: the golden
// sample and a file built up by RecordRun, as the daemon and the CLI do.
// It also checks that every metric the rules use is one the file has.
func TestPromtoolCheckMetrics(t *testing.T) {
	bin := promtool(t)
	sample, err := MarshalMetrics(sampleMetrics())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ledgerlens.prom")
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	one := int64(1)
	for _, r := range []struct {
		job string
		res RunResult
	}{
		{JobWeeklyReview, RunResult{Started: start, Finished: start.Add(time.Minute), Stats: JobStats{
			Rows: 1000, Findings: map[string]int64{"sev0_not_quarantined": 1},
			FindingsBySeverity: map[Finding]int64{{"sev0_not_quarantined", "SEV0"}: 1},
			NewestRun:          start.Add(-time.Hour), PublishedPeriod: start.AddDate(0, 0, -7).Truncate(24 * time.Hour)}}},
		{JobIntegrityCheck, RunResult{Started: start, Finished: start.Add(time.Second), Err: errors.New("2 problems"), Stats: JobStats{IntegrityProblems: &one}}},
	} {
		if err := RecordRun(path, testRoot, r.job, r.res); err != nil {
			t.Fatal(err)
		}
	}
	recorded := mustRead(t, path)
	for name, data := range map[string][]byte{"sample": sample, "recorded": recorded} {
		cmd := exec.Command(bin, "check", "metrics")
		cmd.Stdin = bytes.NewReader(data)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics (%s): %v\n%s\n%s", name, err, out, data)
		}
	}
	rules := string(mustRead(t, filepath.Join(rulesDir, "ledgerlens-rules.yml")))
	for _, m := range []string{metricLastSuccess, metricIntegrityProblems, metricFindingsBySeverity, metricNewestRun, metricRunsTotal} {
		if !strings.Contains(rules, m) {
			t.Errorf("the rules do not use %s", m)
		}
		if !bytes.Contains(recorded, []byte("\n"+m+"{")) {
			t.Errorf("the recorded file lacks %s:\n%s", m, recorded)
		}
	}
}
