// This test parses the metrics file with prometheus/common/expfmt, the
// parser node_exporter's textfile collector uses. prometheus/common is
// pinned at v0.65.0: later releases import a module the module proxy here
// refuses. checkExposition in metrics_test.go enforces the same rules too.

package schedules

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

func TestMetricsParseWithExpfmt(t *testing.T) {
	// A file written by the daemon, merged with a one-shot run's record.
	dir := t.TempDir()
	opts := Options{StateFile: filepath.Join(dir, "state.json"), MetricsFile: filepath.Join(dir, "ledgerlens.prom"), Root: testRoot}
	clock := &simClock{}
	rec := &recorder{}
	var jobs []Job
	for _, s := range defaultSpecs() {
		jobs = append(jobs, Job{JobSpec: s, Run: rec.jobFunc(s.Name, clock, nil)})
	}
	simulate(t, jobs, opts, clock, "2026-11-15T12:00:00Z", "2026-11-15T13:00:00Z")
	simulate(t, jobs, opts, clock, "2026-11-15T13:00:00Z", "2026-11-16T12:00:00Z")
	if err := WriteMetrics(opts.MetricsFile, testRoot, sampleMetrics()[0]); err != nil {
		t.Fatal(err)
	}
	sample, err := MarshalMetrics(sampleMetrics())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{{"sample", sample}, {"daemon", mustRead(t, opts.MetricsFile)}} {
		name, data := tc.name, tc.data
		var p expfmt.TextParser
		fams, err := p.TextToMetricFamilies(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: expfmt rejects the file: %v\n%s", name, err, data)
		}
		wantTypes := map[string]dto.MetricType{
			"ledgerlens_findings":                                      dto.MetricType_GAUGE,
			"ledgerlens_findings_by_severity":                          dto.MetricType_GAUGE,
			"ledgerlens_integrity_problems":                            dto.MetricType_GAUGE,
			"ledgerlens_last_published_period_start_timestamp_seconds": dto.MetricType_GAUGE,
			"ledgerlens_ledger_newest_run_timestamp_seconds":           dto.MetricType_GAUGE,
			"ledgerlens_job_last_duration_seconds":                     dto.MetricType_GAUGE,
			"ledgerlens_job_last_run_timestamp_seconds":                dto.MetricType_GAUGE,
			"ledgerlens_job_last_status":                               dto.MetricType_GAUGE,
			"ledgerlens_job_last_success_timestamp_seconds":            dto.MetricType_GAUGE,
			"ledgerlens_job_runs_total":                                dto.MetricType_COUNTER,
			"ledgerlens_ledger_rows":                                   dto.MetricType_GAUGE,
			"ledgerlens_rejects":                                       dto.MetricType_GAUGE,
		}
		for fam, typ := range wantTypes {
			f, ok := fams[fam]
			if !ok {
				t.Errorf("%s: family %s missing", name, fam)
				continue
			}
			if f.GetType() != typ || f.GetHelp() == "" {
				t.Errorf("%s: %s has type %v help %q", name, fam, f.GetType(), f.GetHelp())
			}
		}
		if len(fams) != len(wantTypes) {
			t.Errorf("%s: %d families, want %d", name, len(fams), len(wantTypes))
		}
		// weekly-review's figures are sampleMetrics()[0] in both files.
		if v := value(fams, "ledgerlens_ledger_rows", "job", "weekly-review"); v != 1048576 {
			t.Errorf("%s: weekly-review rows %v", name, v)
		}
		if v := value(fams, "ledgerlens_findings", "job", "weekly-review", "type", `odd "type"\`); v != 4 {
			t.Errorf("%s: escaped finding type read back as %v", name, v)
		}
		if v := value(fams, "ledgerlens_job_runs_total", "job", "weekly-review", "result", "ok"); v != 12 {
			t.Errorf("%s: weekly-review ok runs %v", name, v)
		}
	}
	if v := value(mustParse(t, mustRead(t, opts.MetricsFile)), "ledgerlens_job_last_success_timestamp_seconds", "job", "integrity-check"); v != 1794808860 {
		t.Errorf("daemon: integrity-check last success %v", v)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustParse(t *testing.T, data []byte) map[string]*dto.MetricFamily {
	t.Helper()
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// value returns the value of the series of family fam whose labels include
// the given name/value pairs, or -1.
func value(fams map[string]*dto.MetricFamily, fam string, labels ...string) float64 {
	f := fams[fam]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		if g := m.GetGauge(); g != nil {
			return g.GetValue()
		}
		return m.GetCounter().GetValue()
	}
	return -1
}
