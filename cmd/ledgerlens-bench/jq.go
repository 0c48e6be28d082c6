package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// jqFilter is the runbook's way to get the top scenarios by credit spend:
// slurp the whole ledger, group, sum, sort.
const jqFilter = `group_by(.Scenario_ID) | map({scenario: .[0].Scenario_ID, total: map(.Credits_Total) | add}) | sort_by(.total) | reverse | .[0:5]`

// jqResult is the runbook comparison in results.json.
type jqResult struct {
	Available bool   `json:"available"`
	Path      string `json:"path,omitempty"`
	Version   string `json:"version,omitempty"`
	Filter    string `json:"filter"`
	// RawLedger is what jq did on the fixture ledger itself, which holds
	// malformed lines and a partial last line by design.
	RawLedger *jqRun `json:"raw_ledger,omitempty"`
	// Valid is the timed run: the same ledger without the lines that are not
	// complete, valid JSON (ExcludedLines of them), since jq -s aborts on the
	// first one. Its time is the comparison.
	Valid         *jqRun `json:"valid_json_lines,omitempty"`
	ExcludedLines int64  `json:"excluded_lines"`
	// MemoryCapBytes is the address-space limit jq ran under (ulimit -v):
	// jq -s holds every parsed line, about 5× the file size.
	MemoryCapBytes int64   `json:"memory_cap_bytes,omitempty"`
	Seconds        float64 `json:"seconds,omitempty"`
	PeakRSSBytes   int64   `json:"peak_rss_bytes,omitempty"`
	CPUSeconds     float64 `json:"cpu_s,omitempty"`
	// ColdRatio is the cold weekly job's time over jq's.
	ColdRatio *float64 `json:"cold_job_ratio_to_jq,omitempty"`
	Note      string   `json:"note,omitempty"`
}

// jqRun is one jq invocation.
type jqRun struct {
	Seconds      float64         `json:"seconds"`
	PeakRSSBytes int64           `json:"peak_rss_bytes"`
	CPUSeconds   float64         `json:"cpu_s"`
	ExitCode     int             `json:"exit_code"`
	Error        string          `json:"error,omitempty"`
	Output       json.RawMessage `json:"output,omitempty"`
}

// runJQ times the runbook's jq query. It first runs it on the raw ledger;
// if jq refuses that (malformed lines), it writes a copy holding only the
// complete, valid JSON lines to scratch and times jq on that.
func runJQ(ctx context.Context, cfg runConfig, ledger, scratch string, logf func(string, ...any)) (*jqResult, error) {
	res := &jqResult{Filter: jqFilter}
	if cfg.JQ == "" || cfg.JQ == "none" {
		res.Note = "skipped (-jq none)"
		return res, nil
	}
	path, err := exec.LookPath(cfg.JQ)
	if err != nil {
		res.Note = fmt.Sprintf("jq not installed (%v); skipped", err)
		return res, nil
	}
	res.Available, res.Path = true, path
	if out, err := exec.CommandContext(ctx, path, "--version").Output(); err == nil {
		res.Version = strings.TrimSpace(string(out))
	}
	res.MemoryCapBytes = memoryCap()
	if st, err := os.Stat(ledger); err == nil && res.MemoryCapBytes > 0 && jqMemoryPerByte*st.Size() > res.MemoryCapBytes {
		res.Note = fmt.Sprintf("skipped: jq -s would need about %.1f GiB (%d× the %.1f GiB ledger), more than the cap of %.1f GiB",
			gib(jqMemoryPerByte*st.Size()), jqMemoryPerByte, gib(st.Size()), gib(res.MemoryCapBytes))
		return res, nil
	}

	logf("jq: runbook query on the raw ledger")
	if res.RawLedger, err = jqOnce(ctx, cfg, path, ledger, res.MemoryCapBytes); err != nil {
		return nil, err
	}
	timed := res.RawLedger
	if res.RawLedger.ExitCode != 0 {
		logf("jq: %s; retrying on the valid JSON lines only", res.RawLedger.Error)
		if res.ExcludedLines, err = validLines(ledger, scratch); err != nil {
			return nil, err
		}
		if res.Valid, err = jqOnce(ctx, cfg, path, scratch, res.MemoryCapBytes); err != nil {
			return nil, err
		}
		timed = res.Valid
		_ = os.Remove(scratch)
	}
	if timed.ExitCode != 0 {
		res.Note = "jq did not finish: " + timed.Error
		return res, nil
	}
	res.Seconds, res.PeakRSSBytes, res.CPUSeconds = timed.Seconds, timed.PeakRSSBytes, timed.CPUSeconds
	return res, nil
}

// jqOnce runs jq -s with the filter on file, under the timeout and memory
// cap. A jq failure (parse error, out of memory, timeout) is a result, not
// an error; only the harness being stopped is.
func jqOnce(ctx context.Context, cfg runConfig, jq, file string, capBytes int64) (*jqRun, error) {
	tctx, cancel := context.WithTimeout(ctx, cfg.JQTimeout)
	defer cancel()
	args := []string{jq, "-c", "-s", jqFilter, file}
	var cmd *exec.Cmd
	if capBytes > 0 {
		// The shell sets the limit and replaces itself with jq, so the
		// measured process (and its rusage) is jq's.
		cmd = command(tctx, nil, "/bin/sh", append([]string{"-c", `ulimit -v "$0" && exec "$@"`, strconv.FormatInt(capBytes/1024, 10)}, args...)...)
	} else {
		cmd = command(tctx, nil, args[0], args[1:]...)
	}
	p, err := measure(tctx, "jq", cmd)
	if ctx.Err() != nil {
		return nil, err
	}
	run := &jqRun{Seconds: round3(p.Seconds), PeakRSSBytes: p.MaxRSS, CPUSeconds: round3(p.UserS + p.SysS), ExitCode: p.ExitCode}
	switch {
	case errors.Is(tctx.Err(), context.DeadlineExceeded):
		run.Error = fmt.Sprintf("timed out after %v", cfg.JQTimeout)
		if run.ExitCode == 0 {
			run.ExitCode = -1
		}
	case err != nil:
		return nil, err
	case p.ExitCode != 0:
		run.Error = firstLine(p.Stderr)
	default:
		run.Output = json.RawMessage(bytes.TrimSpace(p.Stdout))
	}
	return run, nil
}

// validLines writes the complete lines of ledger that are valid JSON to
// dst and returns how many lines it left out.
func validLines(ledger, dst string) (int64, error) {
	in, err := os.Open(ledger)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(out, 1<<20)
	var excluded int64
	err = eachLine(in, func(_, _ int64, line []byte, complete bool) bool {
		if !complete || !json.Valid(line) {
			excluded++
			return true
		}
		w.Write(line)
		w.WriteByte('\n')
		return true
	})
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("write valid-JSON copy of %s: %w", ledger, err)
	}
	return excluded, nil
}

// jqMemoryPerByte is jq -s's peak RSS per byte of ledger, rounded up: jq
// 1.6 peaked at 2.5 GiB on the 467 MiB 1M-run ledger (5.4×).
const jqMemoryPerByte = 6

func gib(b int64) float64 { return float64(b) / (1 << 30) }

// memoryCap is half the memory available now (Linux), so that jq -s on a
// large ledger fails with "out of memory" instead of pushing a shared host
// into swap or the OOM killer; 0 (no cap) where unknown.
func memoryCap() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024 / 2
		}
	}
	return 0
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
