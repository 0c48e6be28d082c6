package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// stepTimes splits a measured weekly job's wall time into its steps,
// read back from the job's own audit trail: the job_start and ingest
// entries' times, and each job_step's duration_ms. Nothing is added to the
// measured run to get them.
type stepTimes struct {
	// StartupS is process start to the job_start entry: exec, lock, audit
	// log open and loading the small inputs.
	StartupS float64 `json:"startup_s"`
	// IngestS is job_start to the ingest entry: opening the store, the
	// append-only check and loading the new lines.
	IngestS     float64 `json:"ingest_s"`
	AnalyseS    float64 `json:"analyse_s"`
	RenderJSONS float64 `json:"render_json_s"`
	RenderXLSXS float64 `json:"render_xlsx_s"`
	// RenderS is the wall time of rendering: the job renders the JSON and
	// the workbook at once, so the longer of the two.
	RenderS  float64 `json:"render_s"`
	SignS    float64 `json:"sign_s"`
	PublishS float64 `json:"publish_s"`
	// OtherS is the rest: between steps, job_end, closing the store
	// (DuckDB checkpoint) and process exit.
	OtherS float64 `json:"other_s"`
}

// readStepTimes reads the last weekly job in root's audit log; started and
// total are the measured process's start and wall time.
func readStepTimes(root string, started time.Time, total float64) (*stepTimes, error) {
	path := inputs.NewLayout(root).AuditLog
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := audit.ReadEntries(f)
	if err != nil {
		return nil, err
	}
	last := -1
	for i, e := range entries {
		if e.Event == audit.EventJobStart {
			last = i
		}
	}
	if last < 0 {
		return nil, fmt.Errorf("%s: no %s entry", path, audit.EventJobStart)
	}
	st := &stepTimes{}
	jobStart, err := entries[last].Timestamp()
	if err != nil {
		return nil, err
	}
	st.StartupS = jobStart.Sub(started).Seconds()
	for _, e := range entries[last+1:] {
		switch e.Event {
		case audit.EventIngest:
			t, err := e.Timestamp()
			if err != nil {
				return nil, err
			}
			st.IngestS = t.Sub(jobStart).Seconds()
		case audit.EventJobStep:
			name, _ := e.Fields["step"].(string)
			n, ok := e.Fields["duration_ms"].(json.Number)
			if !ok {
				continue
			}
			ms, err := n.Float64()
			if err != nil {
				return nil, fmt.Errorf("%s: entry %d: duration_ms: %w", path, e.Seq, err)
			}
			switch name {
			case "analyse":
				st.AnalyseS = ms / 1000
			case "render_json":
				st.RenderJSONS = ms / 1000
			case "render_xlsx":
				st.RenderXLSXS = ms / 1000
			case "sign":
				st.SignS = ms / 1000
			case "publish":
				st.PublishS = ms / 1000
			}
		}
	}
	st.RenderS = max(st.RenderJSONS, st.RenderXLSXS)
	st.OtherS = total - (st.StartupS + st.IngestS + st.AnalyseS + st.RenderS + st.SignS + st.PublishS)
	return st, nil
}
