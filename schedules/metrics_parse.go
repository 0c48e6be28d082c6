package schedules

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ParseMetrics reads back a file written by MarshalMetrics. Comment lines
// and series of other metric names are skipped; a malformed series line is
// an error naming name (the file) and the line.
func ParseMetrics(r io.Reader, name string) ([]JobMetrics, error) {
	byJob := map[string]*JobMetrics{}
	get := func(job string) *JobMetrics {
		m := byJob[job]
		if m == nil {
			m = &JobMetrics{Job: job}
			byJob[job] = m
		}
		return m
	}
	sc := bufio.NewScanner(r)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		metric, labels, value, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("metrics %s:%d: %w", name, lineNo, err)
		}
		if !strings.HasPrefix(metric, "ledgerlens_") {
			continue
		}
		job, ok := labels["job"]
		if !ok || job == "" {
			return nil, fmt.Errorf("metrics %s:%d: %s without a job label", name, lineNo, metric)
		}
		fail := func(err error) error {
			return fmt.Errorf("metrics %s:%d: %s: %w", name, lineNo, metric, err)
		}
		m := get(job)
		switch metric {
		case metricFindings:
			n, err := parseCount(value)
			if err != nil {
				return nil, fail(err)
			}
			if m.Findings == nil {
				m.Findings = map[string]int64{}
			}
			m.Findings[labels["type"]] = n
		case metricDuration:
			v, err := parseNumber(value)
			if err != nil {
				return nil, fail(err)
			}
			m.LastDuration = time.Duration(math.Round(v*1000)) * time.Millisecond
		case metricLastRun, metricLastSuccess:
			v, err := parseNumber(value)
			if err != nil {
				return nil, fail(err)
			}
			t := time.UnixMilli(int64(math.Round(v * 1000))).UTC()
			if metric == metricLastRun {
				m.LastRun = t
			} else {
				m.LastSuccess = t
			}
		case metricLastStatus:
			m.LastOK = value == "1"
		case metricRunsTotal, metricLedgerRows, metricRejects:
			n, err := parseCount(value)
			if err != nil {
				return nil, fail(err)
			}
			switch {
			case metric == metricLedgerRows:
				m.Rows = n
			case metric == metricRejects:
				m.Rejects = n
			case labels["result"] == resultOK:
				m.RunsOK = n
			case labels["result"] == resultFailed:
				m.RunsFailed = n
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read metrics %s: %w", name, err)
	}
	out := make([]JobMetrics, 0, len(byJob))
	for _, job := range slices.Sorted(maps.Keys(byJob)) {
		out = append(out, *byJob[job])
	}
	return out, nil
}

// parseSample splits `name{l="v",...} value [timestamp]`.
func parseSample(line string) (metric string, labels map[string]string, value string, err error) {
	i := strings.IndexAny(line, "{ \t")
	if i <= 0 {
		return "", nil, "", fmt.Errorf("want `name{labels} value`, got %q", line)
	}
	metric, rest := line[:i], line[i:]
	labels = map[string]string{}
	if rest[0] == '{' {
		rest = rest[1:]
		for {
			rest = strings.TrimLeft(rest, " \t")
			if strings.HasPrefix(rest, "}") {
				rest = rest[1:]
				break
			}
			eq := strings.IndexByte(rest, '=')
			if eq <= 0 || eq+1 >= len(rest) || rest[eq+1] != '"' {
				return "", nil, "", fmt.Errorf("malformed labels in %q", line)
			}
			key := strings.TrimSpace(rest[:eq])
			val, n, err := unquoteLabel(rest[eq+1:])
			if err != nil {
				return "", nil, "", fmt.Errorf("label %s in %q: %w", key, line, err)
			}
			labels[key] = val
			rest = strings.TrimLeft(rest[eq+1+n:], " \t")
			if strings.HasPrefix(rest, ",") {
				rest = rest[1:]
			} else if !strings.HasPrefix(rest, "}") {
				return "", nil, "", fmt.Errorf("malformed labels in %q", line)
			}
		}
	}
	fields := strings.Fields(rest)
	if len(fields) < 1 || len(fields) > 2 {
		return "", nil, "", fmt.Errorf("want a value after the labels in %q", line)
	}
	return metric, labels, fields[0], nil
}

// unquoteLabel reads a double-quoted label value at the start of s and
// returns it with the number of bytes consumed.
func unquoteLabel(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), i + 1, nil
		case '\\':
			if i+1 >= len(s) {
				return "", 0, fmt.Errorf("unterminated escape")
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case '\\', '"':
				b.WriteByte(s[i])
			default:
				return "", 0, fmt.Errorf("unknown escape \\%c", s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("unterminated value")
}

func parseNumber(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("value %q is not a finite number", v)
	}
	return f, nil
}

// parseCount accepts an integral value, also when written as a float.
func parseCount(v string) (int64, error) {
	f, err := parseNumber(v)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("value %q is not an integer", v)
	}
	return int64(f), nil
}
