package schedules

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// sampleMetrics covers every kind of series: a job that succeeded with
// findings, one whose last run failed, and one that never ran.
func sampleMetrics() []JobMetrics {
	return []JobMetrics{
		{
			Job: JobWeeklyReview, Root: testRoot, LastRun: time.Date(2026, 11, 16, 10, 3, 12, 250e6, time.UTC), LastDuration: 192250 * time.Millisecond,
			LastOK: true, LastSuccess: time.Date(2026, 11, 16, 10, 3, 12, 250e6, time.UTC), RunsOK: 12, RunsFailed: 1,
			Rows: 1048576, Rejects: 3, Findings: map[string]int64{"sla_breach": 2, "missing_case": 1, `odd "type"\`: 4},
			FindingsBySeverity: map[Finding]int64{{"sla_breach", "SEV1"}: 2, {"missing_case", "SEV0"}: 1, {`odd "type"\`, "SEV3"}: 4},
			IntegrityChecked:   true, IntegrityProblems: 0,
			NewestRun:       time.Date(2026, 11, 15, 23, 58, 1, 500e6, time.UTC),
			PublishedPeriod: time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC),
		},
		{Job: JobSLAReport, Root: testRoot}, // configured, never ran
		{
			Job: JobIntegrityCheck, Root: testRoot, LastRun: time.Date(2026, 11, 17, 6, 0, 1, 0, time.UTC), LastDuration: 1500 * time.Millisecond,
			LastOK: false, LastSuccess: time.Date(2026, 11, 16, 6, 0, 2, 0, time.UTC), RunsOK: 30, RunsFailed: 2,
			Rows: 1048000, Rejects: 3, Findings: map[string]int64{},
			IntegrityChecked: true, IntegrityProblems: 2, // the failed run found two problems
		},
	}
}

func TestMarshalMetricsGolden(t *testing.T) {
	got, err := MarshalMetrics(sampleMetrics())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "metrics.prom", got)
	checkExposition(t, got)

	// Job order in the input does not matter.
	rev := sampleMetrics()
	rev[0], rev[2] = rev[2], rev[0]
	again, err := MarshalMetrics(rev)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, again) {
		t.Error("output depends on the order of jobs")
	}
}

func TestMarshalMetricsRefuses(t *testing.T) {
	if _, err := MarshalMetrics([]JobMetrics{{Job: "a"}, {Job: "a"}}); err == nil {
		t.Error("duplicate job accepted")
	}
	if _, err := MarshalMetrics([]JobMetrics{{}}); err == nil {
		t.Error("nameless job accepted")
	}
}

func TestMetricsRoundTrip(t *testing.T) {
	data, err := MarshalMetrics(sampleMetrics())
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseMetrics(bytes.NewReader(data), "m.prom")
	if err != nil {
		t.Fatal(err)
	}
	want := sampleMetrics()
	// Parsed back in job order; a job's empty findings and a never-run
	// job's absent figures come back as their zero values.
	want = []JobMetrics{want[2], want[1], want[0]}
	want[0].Findings = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got  %+v\n want %+v", got, want)
	}
}

func TestRecordRunMergesIntoExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledgerlens.prom")
	if err := WriteMetrics(path, testRoot, sampleMetrics()...); err != nil {
		t.Fatal(err)
	}
	before, err := ReadMetrics(path)
	if err != nil {
		t.Fatal(err)
	}

	// A one-shot `report weekly --metrics-file` run records its job only.
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	res := RunResult{Started: start, Finished: start.Add(90 * time.Second), Stats: JobStats{Rows: 2000000, Rejects: 0, Findings: map[string]int64{"drift_significant": 1}}}
	if err := RecordRun(path, testRoot, JobWeeklyReview, res); err != nil {
		t.Fatal(err)
	}
	after, err := ReadMetrics(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 3 || !reflect.DeepEqual(after[0], before[0]) || !reflect.DeepEqual(after[1], before[1]) {
		t.Errorf("other jobs' series changed:\n before %+v\n after  %+v", before, after)
	}
	w := after[2]
	want := JobMetrics{
		Job: JobWeeklyReview, Root: testRoot, LastRun: start.Add(90 * time.Second), LastDuration: 90 * time.Second, LastOK: true,
		LastSuccess: start.Add(90 * time.Second), RunsOK: 13, RunsFailed: 1,
		Rows: 2000000, Rejects: 0, Findings: map[string]int64{"drift_significant": 1},
		// Not reported by this run: kept from the file.
		IntegrityChecked: true, NewestRun: before[2].NewestRun, PublishedPeriod: before[2].PublishedPeriod,
	}
	if !reflect.DeepEqual(w, want) {
		t.Errorf("weekly-review after the run:\n got  %+v\n want %+v", w, want)
	}

	// A failed run bumps the failed counter and status but keeps the
	// figures of the last success.
	fail := RunResult{Started: start.Add(time.Hour), Finished: start.Add(time.Hour + time.Second), Err: errors.New("x")}
	if err := RecordRun(path, testRoot, JobWeeklyReview, fail); err != nil {
		t.Fatal(err)
	}
	after, _ = ReadMetrics(path)
	w = after[2]
	if w.LastOK || w.RunsFailed != 2 || w.RunsOK != 13 || !w.LastSuccess.Equal(want.LastSuccess) || w.Rows != 2000000 || !w.LastRun.Equal(start.Add(time.Hour+time.Second)) {
		t.Errorf("after a failure: %+v", w)
	}

	// A job the file has never seen starts its counters at zero.
	if err := RecordRun(path, testRoot, "custom-job", res); err != nil {
		t.Fatal(err)
	}
	after, _ = ReadMetrics(path)
	if len(after) != 4 || after[0].Job != "custom-job" || after[0].RunsOK != 1 {
		t.Errorf("new job: %+v", after)
	}
	data, _ := os.ReadFile(path)
	checkExposition(t, data)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("metrics file mode %v %v, want 0644 so node_exporter can read it", fi.Mode(), err)
	}
}

// TestMetricsOfTwoRoots: each root's runs change its own series only; a
// file written before the root label existed is taken over by the next
// root that writes it, counters and all.
func TestMetricsOfTwoRoots(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledgerlens.prom")
	old := sampleMetrics()
	for i := range old {
		old[i].Root = ""
	}
	data, err := MarshalMetrics(old)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("root=")) {
		t.Fatalf("series without a root carry a root label:\n%s", data)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	ok := RunResult{Started: start, Finished: start.Add(time.Minute)}
	failed := RunResult{Started: start, Finished: start.Add(time.Minute), Err: errors.New("ledger missing")}
	const rootA, rootB = "/srv/a", "/srv/b"
	if err := RecordRun(path, rootA, JobWeeklyReview, ok); err != nil {
		t.Fatal(err)
	}
	if err := RecordRun(path, rootB, JobWeeklyReview, failed); err != nil {
		t.Fatal(err)
	}
	if err := RecordRun(path, rootA, JobWeeklyReview, ok); err != nil {
		t.Fatal(err)
	}
	ms, err := ReadMetrics(path)
	if err != nil {
		t.Fatal(err)
	}
	got := map[seriesKey]JobMetrics{}
	for _, m := range ms {
		got[seriesKey{m.Root, m.Job}] = m
	}
	if len(ms) != 4 {
		t.Errorf("%d series, want the three jobs of the old file, now root A's, and root B's weekly review: %+v", len(ms), ms)
	}
	a, b := got[seriesKey{rootA, JobWeeklyReview}], got[seriesKey{rootB, JobWeeklyReview}]
	if !a.LastOK || a.RunsOK != 14 || a.RunsFailed != 1 || a.Rows != 0 {
		t.Errorf("root A's weekly review: %+v, want the old file's 12 successes and a failure, then two more successes", a)
	}
	if b.LastOK || b.RunsOK != 0 || b.RunsFailed != 1 || !b.LastSuccess.IsZero() {
		t.Errorf("root B's weekly review: %+v, want one failed run and nothing else", b)
	}
	if sla, ok := got[seriesKey{rootA, JobSLAReport}]; !ok || sla.RunsOK != 0 {
		t.Errorf("the old file's sla-report: %+v %v, want it root A's", sla, ok)
	}
	if ic := got[seriesKey{rootA, JobIntegrityCheck}]; ic.RunsOK != 30 || ic.IntegrityProblems != 2 {
		t.Errorf("the old file's integrity-check: %+v, want it root A's as it was", ic)
	}
	checkExposition(t, mustRead(t, path))

	// Beside a series of its own, an unlabelled one of the same job is
	// dropped, not merged.
	both := append(sampleMetrics()[:1], JobMetrics{Job: JobWeeklyReview, RunsFailed: 99})
	if got := adoptUnlabelled(both, testRoot); len(got) != 1 || got[0].RunsFailed != 1 {
		t.Errorf("labelled and unlabelled series of one job: %+v", got)
	}
}

func TestReadMetricsErrors(t *testing.T) {
	dir := t.TempDir()
	if ms, err := ReadMetrics(filepath.Join(dir, "missing.prom")); err != nil || ms != nil {
		t.Errorf("missing file: %v %v", ms, err)
	}
	tests := []struct{ content, want string }{
		{"# HELP x y\nledgerlens_rejects{job=\"a\"} 1\nledgerlens_rejects{job=\"b\" 2\n", "line 3"},
		{"ledgerlens_rejects{job=\"a\"} one\n", "line 1"},
		{"ledgerlens_rejects 3\n", "without a job label"},
		{"ledgerlens_rejects{job=\"a\"} 1.5\n", "not an integer"},
		{"ledgerlens_job_last_run_timestamp_seconds{job=\"a\"} NaN\n", "not a finite number"},
		{"ledgerlens_findings{job=\"a\",type=\"x\\q\"} 1\n", "invalid escape"},
	}
	for i, tc := range tests {
		path := filepath.Join(dir, fmt.Sprintf("m%d.prom", i))
		if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadMetrics(path)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%q: got %v, want an error naming the file and %q", tc.content, err, tc.want)
		}
		// A file the parser rejects is left as it is: a wrong path may
		// name anything (a ledger, a key). The error names the file and
		// the cause; the writers log it at error level.
		for _, write := range []func() error{
			func() error { return WriteMetrics(path, testRoot, JobMetrics{Job: "z"}) },
			func() error {
				return RecordRun(path, testRoot, "z", RunResult{Started: time.Unix(1, 0), Finished: time.Unix(2, 0)})
			},
		} {
			err = write()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "left as it is") {
				t.Errorf("%q: writing over it = %v, want an error naming the file and the cause", tc.content, err)
			}
			if got, _ := os.ReadFile(path); string(got) != tc.content {
				t.Errorf("%q: the file was overwritten: %q", tc.content, got)
			}
		}
	}
	// Another writer's file (its families beside ledgerlens's, or none of
	// ledgerlens's), or comments only, is not ledgerlens's to rewrite; an
	// empty file has no jobs.
	for content, want := range map[string]string{
		"# HELP node_x y\nnode_x{job=\"q\"} 5\nledgerlens_rejects{job=\"a\"} 7 1700000000000\n": "node_x, another writer's family",
		"backup_last_success_timestamp_seconds{host=\"db1\"} 1.77e+09\n":                        "another writer's family",
		"#!/bin/sh\n# nightly job\n": "comments only",
	} {
		path := filepath.Join(dir, "other.prom")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadMetrics(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error saying %q", content, err, want)
		}
	}
	empty := filepath.Join(dir, "empty.prom")
	if err := os.WriteFile(empty, []byte("\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if ms, err := ReadMetrics(empty); err != nil || len(ms) != 0 {
		t.Errorf("an empty file: %+v %v", ms, err)
	}
}

func TestSchedulerWritesMetrics(t *testing.T) {
	dir := t.TempDir()
	opts := Options{StateFile: filepath.Join(dir, "state.json"), MetricsFile: filepath.Join(dir, "ledgerlens.prom"), Root: testRoot}
	clock := &simClock{}
	rec := &recorder{}
	var jobs []Job
	for _, s := range defaultSpecs() {
		jobs = append(jobs, Job{JobSpec: s, Run: rec.jobFunc(s.Name, clock, nil)})
	}
	// The first start writes series for every job, before any run.
	simulate(t, jobs, opts, clock, "2026-11-15T12:00:00Z", "2026-11-15T13:00:00Z")
	data, err := os.ReadFile(opts.MetricsFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range defaultSpecs() {
		if !bytes.Contains(data, []byte(`ledgerlens_job_runs_total{job="`+j.Name+`",root="`+testRoot+`",result="ok"} 0`)) {
			t.Errorf("no zero counter for %s before its first run:\n%s", j.Name, data)
		}
	}
	simulate(t, jobs, opts, clock, "2026-11-15T13:00:00Z", "2026-11-16T12:00:00Z")
	data, err = os.ReadFile(opts.MetricsFile)
	if err != nil {
		t.Fatal(err)
	}
	checkExposition(t, data)
	for _, want := range []string{
		`ledgerlens_job_last_success_timestamp_seconds{job="weekly-review",root="/srv/ledgerlens"} 1.79482326e+09`, // 2026-11-16T10:01:00Z, as expfmt writes it
		`ledgerlens_job_last_run_timestamp_seconds{job="integrity-check",root="/srv/ledgerlens"} 1.79480886e+09`,   // 06:01
		`ledgerlens_job_last_duration_seconds{job="weekly-review",root="/srv/ledgerlens"} 60`,
		`ledgerlens_job_last_status{job="weekly-review",root="/srv/ledgerlens"} 1`,
		`ledgerlens_job_runs_total{job="weekly-review",root="/srv/ledgerlens",result="ok"} 1`,
		`ledgerlens_job_runs_total{job="weekly-review",root="/srv/ledgerlens",result="failed"} 0`,
		`ledgerlens_ledger_rows{job="weekly-review",root="/srv/ledgerlens"} 100`,
		`ledgerlens_rejects{job="integrity-check",root="/srv/ledgerlens"} 2`,
		`ledgerlens_findings{job="weekly-review",root="/srv/ledgerlens",type="missing_case"} 1`,
		`ledgerlens_job_runs_total{job="sla-report",root="/srv/ledgerlens",result="ok"} 0`,
	} {
		if !bytes.Contains(data, []byte(want+"\n")) {
			t.Errorf("metrics lack %s:\n%s", want, data)
		}
	}
	if bytes.Contains(data, []byte(`ledgerlens_job_last_status{job="sla-report",root="/srv/ledgerlens"}`)) {
		t.Error("a job that never ran has a status series")
	}

	// Wiping the textfile directory: the next start restores the figures
	// from the state file (counters restart at zero).
	os.Remove(opts.MetricsFile)
	simulate(t, jobs, opts, clock, "2026-11-16T12:00:00Z", "2026-11-16T12:30:00Z")
	ms, err := ReadMetrics(opts.MetricsFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 3 || ms[2].Job != JobWeeklyReview || ms[2].LastSuccess.Format(time.RFC3339) != "2026-11-16T10:01:00Z" ||
		!ms[2].LastOK || ms[2].Rows != 100 || ms[2].Findings["missing_case"] != 1 || ms[2].RunsOK != 0 || ms[2].LastDuration != time.Minute {
		t.Errorf("metrics seeded from state: %+v", ms)
	}
}

// checkExposition checks data against the rules of the Prometheus text
// format that node_exporter's textfile collector enforces: valid names and
// label names, HELP and TYPE once per family and before its samples,
// samples of a family contiguous, no series twice, finite values, sorted
// families, and a final newline.
func checkExposition(t *testing.T, data []byte) {
	t.Helper()
	nameRE := regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	sampleRE := regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$`)
	labelRE := regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)`)
	if len(data) == 0 || data[len(data)-1] != '\n' {
		t.Fatalf("exposition does not end with a newline")
	}
	var (
		families []string
		current  string
		help     = map[string]bool{}
		typ      = map[string]string{}
		closed   = map[string]bool{}
		series   = map[string]bool{}
	)
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		fail := func(format string, args ...any) {
			t.Errorf("line %d %q: %s", i+1, line, fmt.Sprintf(format, args...))
		}
		switch {
		case strings.HasPrefix(line, "# HELP "), strings.HasPrefix(line, "# TYPE "):
			f := strings.SplitN(line, " ", 4)
			if len(f) != 4 || !nameRE.MatchString(f[2]) {
				fail("malformed")
				continue
			}
			name := f[2]
			if name != current {
				if closed[name] || help[name] || typ[name] != "" {
					fail("family %s not contiguous", name)
				}
				if current != "" {
					closed[current] = true
				}
				current = name
				families = append(families, name)
			}
			if f[1] == "HELP" {
				if help[name] {
					fail("second HELP")
				}
				help[name] = true
			} else {
				if typ[name] != "" {
					fail("second TYPE")
				}
				if f[3] != "gauge" && f[3] != "counter" {
					fail("type %s", f[3])
				}
				typ[name] = f[3]
			}
		default:
			m := sampleRE.FindStringSubmatch(line)
			if m == nil {
				fail("not a sample")
				continue
			}
			if m[1] != current || typ[current] == "" || !help[current] {
				fail("sample outside its family's HELP/TYPE block")
			}
			rest, labels := m[3], map[string]bool{}
			for rest != "" {
				lm := labelRE.FindStringSubmatchIndex(rest)
				if lm == nil || lm[0] != 0 {
					fail("malformed labels %q", rest)
					break
				}
				name := rest[lm[2]:lm[3]]
				if labels[name] {
					fail("label %s twice", name)
				}
				labels[name] = true
				rest = rest[lm[1]:]
			}
			if !labels["job"] {
				fail("no job label")
			}
			if series[m[1]+m[2]] {
				fail("duplicate series")
			}
			series[m[1]+m[2]] = true
			v, err := strconv.ParseFloat(m[4], 64)
			if err != nil || v != v {
				fail("value %q", m[4])
			}
			if typ[current] == "counter" && v < 0 {
				fail("negative counter")
			}
		}
	}
	for i := 1; i < len(families); i++ {
		if families[i-1] >= families[i] {
			t.Errorf("families not sorted: %s before %s", families[i-1], families[i])
		}
	}
}

// TestRecordOfARunThatPublishedAndFailed: a week published with a SEV0
// finding whose announcement reached no receiver fails its run (the
// receiver was not told). Its figures were dropped with the failure, so
// the findings' alerts stayed on the week before, silent, while nobody
// had been told by the webhook either (an outside review). A run that
// published gives its figures whatever its status; any other failed
// run's figures are still not taken.
func TestRecordOfARunThatPublishedAndFailed(t *testing.T) {
	before := time.Date(2026, 11, 9, 10, 1, 0, 0, time.UTC)
	week := time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name        string
		stats       JobStats
		wantFigures bool
	}{
		{"published, a receiver not told", JobStats{Rows: 500, PublishedPeriod: week,
			FindingsBySeverity: map[Finding]int64{{"cost_spike", "SEV0"}: 1}}, true},
		{"failed before it published", JobStats{Rows: 500,
			FindingsBySeverity: map[Finding]int64{{"cost_spike", "SEV0"}: 1}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := JobMetrics{Job: JobWeeklyReview, LastSuccess: before, LastOK: true, Rows: 400}
			m.Record(RunResult{Started: before.AddDate(0, 0, 7), Finished: before.AddDate(0, 0, 7).Add(time.Minute),
				Err: errors.New("webhook ops: HTTP 500"), Stats: tc.stats})
			if m.LastOK || m.RunsFailed != 1 || !m.LastSuccess.Equal(before) {
				t.Errorf("a failed run: ok %v, failed %d, last success %v", m.LastOK, m.RunsFailed, m.LastSuccess)
			}
			got := m.FindingsBySeverity[Finding{"cost_spike", "SEV0"}] == 1 && m.Rows == 500 && m.PublishedPeriod.Equal(week)
			if got != tc.wantFigures {
				t.Errorf("figures taken: %v, want %v (%+v)", got, tc.wantFigures, m)
			}
			// A job that never succeeded: the figures of its first run
			// that published are written too.
			first := JobMetrics{Job: JobWeeklyReview, Root: testRoot}
			first.Record(RunResult{Started: before, Finished: before.Add(time.Minute), Err: errors.New("webhook ops: HTTP 500"), Stats: tc.stats})
			out, err := MarshalMetrics([]JobMetrics{first})
			if err != nil {
				t.Fatal(err)
			}
			if written := strings.Contains(string(out), `severity="SEV0",type="cost_spike"} 1`); written != tc.wantFigures {
				t.Errorf("the first run's SEV0 finding written: %v, want %v\n%s", written, tc.wantFigures, out)
			}
		})
	}
}
