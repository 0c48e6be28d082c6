package schedules

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// parseError is a metrics file the parser rejects: not the text format, or
// ledgerlens series whose labels or values are not what ledgerlens writes.
// WriteMetrics and RecordRun leave such a file as it is and fail: it may
// be anything a wrong path names (a ledger, a key, a report).
type parseError struct{ err error }

func (e *parseError) Error() string {
	return "not ledgerlens's textfile metrics: " + e.err.Error()
}
func (e *parseError) Unwrap() error { return e.err }

// ParseMetrics reads back a file written by MarshalMetrics, with expfmt's
// text parser (the one node_exporter's textfile collector uses). An empty
// file has no jobs. A file is ledgerlens's when it holds ledgerlens
// families and no others: a textfile belongs to one writer, and another
// tool's series (or a file of comments only, a script, say) would be lost
// when it is rewritten. Anything else — a file expfmt rejects (its error
// names the line), another writer's file, a ledgerlens series without a
// job label or with a value ledgerlens would not write — is an error
// naming name (the file).
func ParseMetrics(r io.Reader, name string) ([]JobMetrics, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("metrics %s: %w", name, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(bytes.NewReader(data))
	if err != nil {
		return nil, &parseError{fmt.Errorf("metrics %s: %w", name, err)}
	}
	if len(fams) == 0 {
		return nil, &parseError{fmt.Errorf("metrics %s: holds no metric families (comments only)", name)}
	}
	byJob := map[seriesKey]*JobMetrics{}
	for _, fname := range slices.Sorted(maps.Keys(fams)) {
		if !strings.HasPrefix(fname, "ledgerlens_") {
			return nil, &parseError{fmt.Errorf("metrics %s: holds %s, another writer's family (a textfile belongs to one writer)", name, fname)}
		}
		for _, m := range fams[fname].GetMetric() {
			if err := parseSeries(byJob, fname, m); err != nil {
				return nil, &parseError{fmt.Errorf("metrics %s: %s%s: %w", name, fname, labelText(m), err)}
			}
		}
	}
	out := make([]JobMetrics, 0, len(byJob))
	for _, k := range slices.SortedFunc(maps.Keys(byJob), func(a, b seriesKey) int {
		return cmpStrings(a.job, b.job, a.root, b.root)
	}) {
		out = append(out, *byJob[k])
	}
	return out, nil
}

// parseSeries folds one series of family fname into its job's figures.
func parseSeries(byJob map[seriesKey]*JobMetrics, fname string, m *dto.Metric) error {
	labels := map[string]string{}
	for _, l := range m.GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	job := labels["job"]
	if job == "" {
		return fmt.Errorf("without a job label")
	}
	k := seriesKey{labels["root"], job}
	jm := byJob[k]
	if jm == nil {
		jm = &JobMetrics{Job: job, Root: k.root}
		byJob[k] = jm
	}
	var v float64
	switch {
	case m.Gauge != nil:
		v = m.GetGauge().GetValue()
	case m.Counter != nil:
		v = m.GetCounter().GetValue()
	case m.Untyped != nil:
		v = m.GetUntyped().GetValue()
	default:
		return fmt.Errorf("not a gauge or counter")
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("value %v is not a finite number", v)
	}
	count := func() (int64, error) {
		if v < 0 || v != math.Trunc(v) || v > 1<<53 {
			return 0, fmt.Errorf("value %v is not an integer count", v)
		}
		return int64(v), nil
	}
	instant := func() time.Time {
		return time.UnixMilli(int64(math.Round(v * 1000))).UTC()
	}
	switch fname {
	case metricFindings:
		n, err := count()
		if err != nil {
			return err
		}
		if jm.Findings == nil {
			jm.Findings = map[string]int64{}
		}
		jm.Findings[labels["type"]] = n
	case metricFindingsBySeverity:
		n, err := count()
		if err != nil {
			return err
		}
		if jm.FindingsBySeverity == nil {
			jm.FindingsBySeverity = map[Finding]int64{}
		}
		jm.FindingsBySeverity[Finding{Type: labels["type"], Severity: labels["severity"]}] = n
	case metricIntegrityProblems:
		n, err := count()
		if err != nil {
			return err
		}
		jm.IntegrityChecked, jm.IntegrityProblems = true, n
	case metricDuration:
		jm.LastDuration = time.Duration(math.Round(v*1000)) * time.Millisecond
	case metricLastRun:
		jm.LastRun = instant()
	case metricLastSuccess:
		jm.LastSuccess = instant()
	case metricPublishedPeriod:
		jm.PublishedPeriod = instant()
	case metricNewestRun:
		jm.NewestRun = instant()
	case metricLastStatus:
		jm.LastOK = v == 1
	case metricRunsTotal, metricLedgerRows, metricRejects:
		n, err := count()
		if err != nil {
			return err
		}
		switch {
		case fname == metricLedgerRows:
			jm.Rows = n
		case fname == metricRejects:
			jm.Rejects = n
		case labels["result"] == resultOK:
			jm.RunsOK = n
		case labels["result"] == resultFailed:
			jm.RunsFailed = n
		}
	}
	return nil
}

// labelText renders a series' labels for an error message.
func labelText(m *dto.Metric) string {
	var parts []string
	for _, l := range m.GetLabel() {
		parts = append(parts, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
	}
	return "{" + strings.Join(parts, ",") + "}"
}
