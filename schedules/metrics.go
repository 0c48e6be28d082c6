package schedules

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"

	"github.com/ledgerlens/ledgerlens/pipeline/atomicfile"
)

// Metric names written to the textfile (node_exporter textfile collector
// format). Families are written in this (alphabetical) order.
const (
	metricFindings           = "ledgerlens_findings"
	metricFindingsBySeverity = "ledgerlens_findings_by_severity"
	metricIntegrityProblems  = "ledgerlens_integrity_problems"
	metricDuration           = "ledgerlens_job_last_duration_seconds"
	metricLastRun            = "ledgerlens_job_last_run_timestamp_seconds"
	metricLastStatus         = "ledgerlens_job_last_status"
	metricLastSuccess        = "ledgerlens_job_last_success_timestamp_seconds"
	metricRunsTotal          = "ledgerlens_job_runs_total"
	metricPublishedPeriod    = "ledgerlens_last_published_period_start_timestamp_seconds"
	metricNewestRun          = "ledgerlens_ledger_newest_run_timestamp_seconds"
	metricLedgerRows         = "ledgerlens_ledger_rows"
	metricRejects            = "ledgerlens_rejects"
	resultOK                 = "ok"
	resultFailed             = "failed"
	metricsPermissions       = 0o644 // node_exporter runs as another user
)

// RunResult is the outcome of one finished run as the metrics file records
// it. Err nil means success.
type RunResult struct {
	Started, Finished time.Time
	Err               error
	Stats             JobStats
}

// JobMetrics is one job's series in the metrics file, for one working
// root. Times are kept to the millisecond, the precision the file carries,
// so a value read back equals the value written.
type JobMetrics struct {
	Job string
	// Root is the working root the job ran on, its real path: the series'
	// root label. Two roots on one host write series that differ in it,
	// into one file or into two files node_exporter reads together (which
	// refuses two series alike, label for label, at every scrape). Empty in a file
	// written before the label existed; the next writer takes such series
	// as its own (adoptUnlabelled).
	Root string
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
	// Rows, Rejects, Findings and FindingsBySeverity are the figures of the
	// last run that succeeded or published (one that published and then
	// failed, a receiver not told, published these); any other failed
	// run's figures are not trusted.
	Rows, Rejects      int64
	Findings           map[string]int64
	FindingsBySeverity map[Finding]int64
	// IntegrityChecked says whether IntegrityProblems is known: the
	// problems the last run that checked integrity found, whether or not
	// the run failed because of them.
	IntegrityChecked  bool
	IntegrityProblems int64
	// NewestRun and PublishedPeriod are from the last run that succeeded
	// or published and knew them; zero if none did.
	NewestRun, PublishedPeriod time.Time
}

// Record folds one finished run into m: it sets the last-run gauges, bumps
// the run counter for the result and, on success or for a run that
// published (Stats.PublishedPeriod set) and then failed, replaces the
// figures: a week published with a SEV0 finding and announced to nobody
// must still fire the findings' alerts.
func (m *JobMetrics) Record(r RunResult) {
	m.LastRun = toMillis(r.Finished)
	m.LastDuration = max(r.Finished.Sub(r.Started), 0).Truncate(time.Millisecond)
	m.LastOK = r.Err == nil
	if p := r.Stats.IntegrityProblems; p != nil {
		m.IntegrityChecked, m.IntegrityProblems = true, *p
	}
	if r.Err != nil {
		m.RunsFailed++
		if r.Stats.PublishedPeriod.IsZero() {
			return
		}
	} else {
		m.RunsOK++
		m.LastSuccess = m.LastRun
	}
	m.Rows, m.Rejects = r.Stats.Rows, r.Stats.Rejects
	m.Findings = maps.Clone(r.Stats.Findings)
	m.FindingsBySeverity = maps.Clone(r.Stats.FindingsBySeverity)
	if !r.Stats.NewestRun.IsZero() {
		m.NewestRun = toMillis(r.Stats.NewestRun)
	}
	if !r.Stats.PublishedPeriod.IsZero() {
		m.PublishedPeriod = toMillis(r.Stats.PublishedPeriod)
	}
}

// toMillis drops sub-millisecond precision and the monotonic reading.
func toMillis(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// LogMetricsError logs an error of RecordRun or WriteMetrics.
func LogMetricsError(log *slog.Logger, err error) {
	log.Error("could not write metrics", "error", err)
}

// RecordRun merges one finished run of job on root into the metrics file
// at path: it reads the file, folds the run into that job's figures
// (counters carry on from the file) and rewrites it atomically, keeping
// every other job's series and every other root's. It is what a one-shot CLI run (`report weekly --metrics-file`)
// calls; the daemon calls it after each run too, so both kinds of writer
// keep one consistent set of counters.
//
// A file the parser rejects is left as it is, and the run is not
// recorded: whatever the path names (another tool's file, a ledger), it is
// not ledgerlens's to overwrite. Two processes updating the same file at the same instant can lose one
// of the two updates (last rename wins); the next run of the job corrects
// the gauges.
func RecordRun(path, root, job string, r RunResult) error {
	existing, err := ReadRootMetrics(path, root)
	if err != nil {
		return fmt.Errorf("write metrics: %w (left as it is)", err)
	}
	m := JobMetrics{Job: job, Root: root}
	for _, e := range existing {
		if e.Root == root && e.Job == job {
			m = e
		}
	}
	m.Record(r)
	return writeMetrics(path, existing, m)
}

// WriteMetrics writes the series of jobs on root into the metrics file at
// path, atomically. Series of jobs not among jobs, and every other root's,
// are kept as the file had them, so a caller that knows only its own job
// does not erase the others'. A file the parser rejects is left as it is
// (RecordRun).
func WriteMetrics(path, root string, jobs ...JobMetrics) error {
	existing, err := ReadRootMetrics(path, root)
	if err != nil {
		return fmt.Errorf("write metrics: %w (left as it is)", err)
	}
	for i := range jobs {
		jobs[i].Root = root
	}
	return writeMetrics(path, existing, jobs...)
}

// ReadRootMetrics is ReadMetrics for a writer on root: series without a
// root label, written before the label existed, are taken as root's
// (adoptUnlabelled).
func ReadRootMetrics(path, root string) ([]JobMetrics, error) {
	existing, err := ReadMetrics(path)
	if err != nil {
		return nil, err
	}
	return adoptUnlabelled(existing, root), nil
}

// adoptUnlabelled gives root the series that carry no root label: a file
// written before the label was one root's, and a job keeps its counters
// and its last success across the upgrade. A labelled series of the same
// job and root wins over an unlabelled one.
func adoptUnlabelled(ms []JobMetrics, root string) []JobMetrics {
	labelled := map[string]bool{}
	for _, m := range ms {
		if m.Root == root {
			labelled[m.Job] = true
		}
	}
	out := make([]JobMetrics, 0, len(ms))
	for _, m := range ms {
		if m.Root == "" {
			if labelled[m.Job] {
				continue
			}
			m.Root = root
		}
		out = append(out, m)
	}
	return out
}

// seriesKey identifies one job's series on one root.
type seriesKey struct{ root, job string }

func writeMetrics(path string, existing []JobMetrics, jobs ...JobMetrics) error {
	merged := make(map[seriesKey]JobMetrics, len(existing)+len(jobs))
	for _, e := range existing {
		merged[seriesKey{e.Root, e.Job}] = e
	}
	seen := make(map[seriesKey]bool, len(jobs))
	for _, j := range jobs {
		k := seriesKey{j.Root, j.Job}
		if seen[k] {
			return fmt.Errorf("write metrics %s: job %q of root %q given twice", path, j.Job, j.Root)
		}
		seen[k] = true
		merged[k] = j
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
	name, help string
	typ        dto.MetricType
	series     func(m JobMetrics) []sample
}

// sample is one series: labels after job and root, in name order, and the
// value.
type sample struct {
	labels [][2]string
	value  float64
}

// families lists what is written, in file order. A function rather than a
// package variable, so nothing package-level is mutable.
func families() []family {
	gauge := func(v float64) []sample { return []sample{{value: v}} }
	ran := func(m JobMetrics) bool { return !m.LastRun.IsZero() }
	succeeded := func(m JobMetrics) bool { return !m.LastSuccess.IsZero() }
	// A job that never succeeded has figures once a run of it published
	// (Record): a first run that published a SEV0 week and then failed
	// wrote none, and the findings' alerts stayed silent (an outside
	// review).
	hasFigures := func(m JobMetrics) bool { return succeeded(m) || !m.PublishedPeriod.IsZero() }
	unix := func(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
	const g, c = dto.MetricType_GAUGE, dto.MetricType_COUNTER
	return []family{
		{metricFindings, "Findings per type reported by the job's last run that succeeded or published.", g, func(m JobMetrics) []sample {
			if !hasFigures(m) {
				return nil
			}
			var out []sample
			for _, typ := range slices.Sorted(maps.Keys(m.Findings)) {
				out = append(out, sample{labels: [][2]string{{"type", typ}}, value: float64(m.Findings[typ])})
			}
			return out
		}},
		{metricFindingsBySeverity, "Findings per severity and type reported by the job's last run that succeeded or published.", g, func(m JobMetrics) []sample {
			if !hasFigures(m) {
				return nil
			}
			keys := slices.SortedFunc(maps.Keys(m.FindingsBySeverity), func(a, b Finding) int {
				return cmpStrings(a.Severity, b.Severity, a.Type, b.Type)
			})
			var out []sample
			for _, k := range keys {
				out = append(out, sample{labels: [][2]string{{"severity", k.Severity}, {"type", k.Type}}, value: float64(m.FindingsBySeverity[k])})
			}
			return out
		}},
		{metricIntegrityProblems, "Integrity problems found by the job's last run that checked integrity (0: none).", g, func(m JobMetrics) []sample {
			if !m.IntegrityChecked {
				return nil
			}
			return gauge(float64(m.IntegrityProblems))
		}},
		{metricDuration, "Duration of the job's last run in seconds.", g, func(m JobMetrics) []sample {
			if !ran(m) {
				return nil
			}
			return gauge(m.LastDuration.Seconds())
		}},
		{metricLastRun, "Unix time the job's last run finished, whatever its result.", g, func(m JobMetrics) []sample {
			if !ran(m) {
				return nil
			}
			return gauge(unix(m.LastRun))
		}},
		{metricLastStatus, "Result of the job's last run: 1 ok, 0 failed.", g, func(m JobMetrics) []sample {
			if !ran(m) {
				return nil
			}
			if m.LastOK {
				return gauge(1)
			}
			return gauge(0)
		}},
		{metricLastSuccess, "Unix time the job's last successful run finished.", g, func(m JobMetrics) []sample {
			if !succeeded(m) {
				return nil
			}
			return gauge(unix(m.LastSuccess))
		}},
		{metricRunsTotal, "Finished runs of the job by result.", c, func(m JobMetrics) []sample {
			return []sample{
				{labels: [][2]string{{"result", resultFailed}}, value: float64(m.RunsFailed)},
				{labels: [][2]string{{"result", resultOK}}, value: float64(m.RunsOK)},
			}
		}},
		{metricPublishedPeriod, "Unix time the newest period the job published starts (a week's Monday, a month's first day).", g, func(m JobMetrics) []sample {
			if m.PublishedPeriod.IsZero() {
				return nil
			}
			return gauge(unix(m.PublishedPeriod))
		}},
		{metricNewestRun, "Unix time of the newest run in the ledger, as the job's last run that succeeded or published saw it.", g, func(m JobMetrics) []sample {
			if m.NewestRun.IsZero() {
				return nil
			}
			return gauge(unix(m.NewestRun))
		}},
		{metricLedgerRows, "Ledger rows seen by the job's last run that succeeded or published.", g, func(m JobMetrics) []sample {
			if !hasFigures(m) {
				return nil
			}
			return gauge(float64(m.Rows))
		}},
		{metricRejects, "Rejected ledger lines reported by the job's last run that succeeded or published.", g, func(m JobMetrics) []sample {
			if !hasFigures(m) {
				return nil
			}
			return gauge(float64(m.Rejects))
		}},
	}
}

// cmpStrings compares pairs (a1, b1), then (a2, b2).
func cmpStrings(a1, b1, a2, b2 string) int {
	if c := strings.Compare(a1, b1); c != 0 {
		return c
	}
	return strings.Compare(a2, b2)
}

// MarshalMetrics renders jobs in the Prometheus text exposition format read
// by node_exporter's textfile collector, through expfmt: each family once
// with HELP and TYPE lines, families in name order, series ordered by job,
// root, then the other labels. A series without a Root has no root label.
// Equal input gives equal bytes, whatever the order of jobs.
func MarshalMetrics(jobs []JobMetrics) ([]byte, error) {
	sorted := slices.Clone(jobs)
	slices.SortFunc(sorted, func(a, b JobMetrics) int { return cmpStrings(a.Job, b.Job, a.Root, b.Root) })
	for i, j := range sorted {
		if j.Job == "" {
			return nil, fmt.Errorf("metrics for a job without a name")
		}
		if i > 0 && sorted[i-1].Job == j.Job && sorted[i-1].Root == j.Root {
			return nil, fmt.Errorf("metrics for job %q of root %q given twice", j.Job, j.Root)
		}
	}
	var b bytes.Buffer
	for _, f := range families() {
		mf := &dto.MetricFamily{Name: proto.String(f.name), Help: proto.String(f.help), Type: f.typ.Enum()}
		for _, j := range sorted {
			for _, s := range f.series(j) {
				m := &dto.Metric{Label: []*dto.LabelPair{{Name: proto.String("job"), Value: proto.String(j.Job)}}}
				if j.Root != "" {
					m.Label = append(m.Label, &dto.LabelPair{Name: proto.String("root"), Value: proto.String(j.Root)})
				}
				for _, l := range s.labels {
					m.Label = append(m.Label, &dto.LabelPair{Name: proto.String(l[0]), Value: proto.String(l[1])})
				}
				if f.typ == dto.MetricType_COUNTER {
					m.Counter = &dto.Counter{Value: proto.Float64(s.value)}
				} else {
					m.Gauge = &dto.Gauge{Value: proto.Float64(s.value)}
				}
				mf.Metric = append(mf.Metric, m)
			}
		}
		if len(mf.Metric) == 0 {
			continue
		}
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			return nil, fmt.Errorf("metric %s: %w", f.name, err)
		}
	}
	return b.Bytes(), nil
}
