package schedules

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/atomicfile"
)

// Metric names written to the textfile (node_exporter textfile collector
// format). Families are written in this (alphabetical) order.
const (
	metricFindings     = "ledgerlens_findings"
	metricDuration     = "ledgerlens_job_last_duration_seconds"
	metricLastRun      = "ledgerlens_job_last_run_timestamp_seconds"
	metricLastStatus   = "ledgerlens_job_last_status"
	metricLastSuccess  = "ledgerlens_job_last_success_timestamp_seconds"
	metricRunsTotal    = "ledgerlens_job_runs_total"
	metricLedgerRows   = "ledgerlens_ledger_rows"
	metricRejects      = "ledgerlens_rejects"
	resultOK           = "ok"
	resultFailed       = "failed"
	metricsPermissions = 0o644 // node_exporter runs as another user
)

// RunResult is the outcome of one finished run as the metrics file records
// it. Err nil means success.
type RunResult struct {
	Started, Finished time.Time
	Err               error
	Stats             JobStats
}

// JobMetrics is one job's series in the metrics file. Times are kept to the
// millisecond, the precision the file carries, so a value read back equals
// the value written.
type JobMetrics struct {
	Job string
	// LastRun is when the last run finished, whatever its result; zero if
	// the job never ran. LastDuration and LastOK describe that run.
	LastRun      time.Time
	LastDuration time.Duration
	LastOK       bool
	// LastSuccess is when the last successful run finished; zero if none.
	LastSuccess time.Time
	// RunsOK and RunsFailed count finished runs (a run abandoned by a
	// shutdown is not counted).
	RunsOK, RunsFailed int64
	// Rows, Rejects and Findings are the figures of the last successful run;
	// a failed run's figures are not trusted.
	Rows, Rejects int64
	Findings      map[string]int64
}

// Record folds one finished run into m: it sets the last-run gauges, bumps
// the run counter for the result and, on success, replaces the figures.
func (m *JobMetrics) Record(r RunResult) {
	m.LastRun = toMillis(r.Finished)
	m.LastDuration = max(r.Finished.Sub(r.Started), 0).Truncate(time.Millisecond)
	m.LastOK = r.Err == nil
	if r.Err != nil {
		m.RunsFailed++
		return
	}
	m.RunsOK++
	m.LastSuccess = m.LastRun
	m.Rows, m.Rejects = r.Stats.Rows, r.Stats.Rejects
	m.Findings = maps.Clone(r.Stats.Findings)
}

// toMillis drops sub-millisecond precision and the monotonic reading.
func toMillis(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// RecordRun merges one finished run of job into the metrics file at path:
// it reads the file, folds the run into that job's figures (counters carry
// on from the file) and rewrites it atomically, keeping every other job's
// series. It is what a one-shot CLI run (`report weekly --metrics-file`)
// calls; the daemon calls it after each run too, so both kinds of writer
// keep one consistent set of counters.
//
// Two processes updating the same file at the same instant can lose one of
// the two updates (last rename wins); the next run of the job corrects the
// gauges.
func RecordRun(path, job string, r RunResult) error {
	existing, err := ReadMetrics(path)
	if err != nil {
		return err
	}
	m := JobMetrics{Job: job}
	for _, e := range existing {
		if e.Job == job {
			m = e
		}
	}
	m.Record(r)
	return WriteMetrics(path, m)
}

// WriteMetrics writes jobs into the metrics file at path, atomically. Series
// of jobs not among jobs are kept as the file had them, so a caller that
// knows only its own job does not erase the others'. A file that cannot be
// parsed is not overwritten: the error names its line.
func WriteMetrics(path string, jobs ...JobMetrics) error {
	existing, err := ReadMetrics(path)
	if err != nil {
		return err
	}
	merged := make(map[string]JobMetrics, len(existing)+len(jobs))
	for _, e := range existing {
		merged[e.Job] = e
	}
	seen := make(map[string]bool, len(jobs))
	for _, j := range jobs {
		if seen[j.Job] {
			return fmt.Errorf("write metrics %s: job %q given twice", path, j.Job)
		}
		seen[j.Job] = true
		merged[j.Job] = j
	}
	data, err := MarshalMetrics(slices.Collect(maps.Values(merged)))
	if err != nil {
		return fmt.Errorf("write metrics %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, data, metricsPermissions); err != nil {
		return fmt.Errorf("write metrics: %w", err)
	}
	return nil
}

// ReadMetrics parses the metrics file at path. A missing file has no jobs.
func ReadMetrics(path string) ([]JobMetrics, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read metrics: %w", err)
	}
	defer f.Close()
	return ParseMetrics(f, path)
}

// family is one metric family as written: name, help, type and how each of a
// job's series is produced.
type family struct {
	name, help, typ string
	series          func(m JobMetrics) []sample
}

// sample is one series line: extra labels after job, and the value.
type sample struct {
	labels [][2]string
	value  string
}

// families lists what is written, in file order. A function rather than a
// package variable, so nothing package-level is mutable.
func families() []family {
	gauge := func(v string) []sample { return []sample{{value: v}} }
	ran := func(m JobMetrics) bool { return !m.LastRun.IsZero() }
	succeeded := func(m JobMetrics) bool { return !m.LastSuccess.IsZero() }
	return []family{
		{metricFindings, "Findings per type reported by the job's last successful run.", "gauge", func(m JobMetrics) []sample {
			if !succeeded(m) {
				return nil
			}
			var out []sample
			for _, typ := range slices.Sorted(maps.Keys(m.Findings)) {
				out = append(out, sample{labels: [][2]string{{"type", typ}}, value: formatInt(m.Findings[typ])})
			}
			return out
		}},
		{metricDuration, "Duration of the job's last run in seconds.", "gauge", func(m JobMetrics) []sample {
			if !ran(m) {
				return nil
			}
			return gauge(formatFloat(m.LastDuration.Seconds()))
		}},
		{metricLastRun, "Unix time the job's last run finished, whatever its result.", "gauge", func(m JobMetrics) []sample {
			if !ran(m) {
				return nil
			}
			return gauge(formatUnix(m.LastRun))
		}},
		{metricLastStatus, "Result of the job's last run: 1 ok, 0 failed.", "gauge", func(m JobMetrics) []sample {
			if !ran(m) {
				return nil
			}
			if m.LastOK {
				return gauge("1")
			}
			return gauge("0")
		}},
		{metricLastSuccess, "Unix time the job's last successful run finished.", "gauge", func(m JobMetrics) []sample {
			if !succeeded(m) {
				return nil
			}
			return gauge(formatUnix(m.LastSuccess))
		}},
		{metricRunsTotal, "Finished runs of the job by result.", "counter", func(m JobMetrics) []sample {
			return []sample{
				{labels: [][2]string{{"result", resultFailed}}, value: formatInt(m.RunsFailed)},
				{labels: [][2]string{{"result", resultOK}}, value: formatInt(m.RunsOK)},
			}
		}},
		{metricLedgerRows, "Ledger rows seen by the job's last successful run.", "gauge", func(m JobMetrics) []sample {
			if !succeeded(m) {
				return nil
			}
			return gauge(formatInt(m.Rows))
		}},
		{metricRejects, "Rejected ledger lines reported by the job's last successful run.", "gauge", func(m JobMetrics) []sample {
			if !succeeded(m) {
				return nil
			}
			return gauge(formatInt(m.Rejects))
		}},
	}
}

// MarshalMetrics renders jobs in the Prometheus text exposition format read
// by node_exporter's textfile collector: each family once with HELP and TYPE
// lines, families in name order, series ordered by job then the other
// label. Equal input gives equal bytes, whatever the order of jobs.
func MarshalMetrics(jobs []JobMetrics) ([]byte, error) {
	sorted := slices.Clone(jobs)
	slices.SortFunc(sorted, func(a, b JobMetrics) int { return strings.Compare(a.Job, b.Job) })
	for i, j := range sorted {
		if j.Job == "" {
			return nil, fmt.Errorf("metrics for a job without a name")
		}
		if i > 0 && sorted[i-1].Job == j.Job {
			return nil, fmt.Errorf("metrics for job %q given twice", j.Job)
		}
	}
	var b bytes.Buffer
	for _, f := range families() {
		var lines []string
		for _, j := range sorted {
			for _, s := range f.series(j) {
				lines = append(lines, f.name+formatLabels(j.Job, s.labels)+" "+s.value)
			}
		}
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", f.name, f.help, f.name, f.typ)
		for _, l := range lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.Bytes(), nil
}

func formatLabels(job string, extra [][2]string) string {
	var b strings.Builder
	b.WriteString(`{job="`)
	b.WriteString(escapeLabel(job))
	b.WriteByte('"')
	for _, l := range extra {
		b.WriteString(`,` + l[0] + `="`)
		b.WriteString(escapeLabel(l[1]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// escapeLabel escapes a label value as the text format requires.
func escapeLabel(v string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v)
}

func formatInt(v int64) string { return strconv.FormatInt(v, 10) }

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// formatUnix writes t as Unix seconds with millisecond precision.
func formatUnix(t time.Time) string {
	return formatFloat(float64(t.UnixMilli()) / 1000)
}
