package job

import (
	"fmt"
	"sort"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/reports"
)

// Inputs are the validated non-ledger inputs of a job and the record of
// which files they came from.
type Inputs struct {
	Policy    inputs.Policy
	Baselines *inputs.Baselines
	Cases     inputs.CaseSet
	Incidents inputs.IncidentSet
	Config    inputs.Config
	// Files lists each input file actually read, for the report.
	Files []reports.InputFile
	// DefaultPolicy is true when no policy file exists and the built-in
	// default policy (docs/RULES.md, "Policy") applied.
	DefaultPolicy bool
}

// LoadInputs reads and validates config, policy, baselines, cases and
// incidents. Any invalid file blocks the job with an error naming the file
// and line or field.
func LoadInputs(l inputs.Layout) (*Inputs, error) {
	in := &Inputs{}
	record := func(role string, fi inputs.FileInfo) {
		if fi.Present() {
			in.Files = append(in.Files, reports.InputFile{Role: role, Path: l.Rel(fi.Path), Bytes: fi.Bytes, SHA256: fi.SHA256})
		}
	}
	var err error
	var fi inputs.FileInfo
	if in.Config, fi, err = inputs.LoadConfig(l.Config); err != nil {
		return nil, &BlockedError{err}
	}
	record("config", fi)
	if in.Policy, fi, err = inputs.LoadPolicy(l.Policy); err != nil {
		return nil, &BlockedError{err}
	}
	in.DefaultPolicy = !fi.Present()
	record("policy", fi)
	if in.Baselines, fi, err = inputs.LoadBaselines(l.Baselines); err != nil {
		return nil, &BlockedError{err}
	}
	record("baselines", fi)
	if in.Cases, fi, err = inputs.LoadCases(l.Cases); err != nil {
		return nil, &BlockedError{err}
	}
	record("cases", fi)
	if in.Incidents, fi, err = inputs.LoadIncidents(l.Incidents); err != nil {
		return nil, &BlockedError{err}
	}
	record("incidents", fi)
	sort.Slice(in.Files, func(i, j int) bool { return in.Files[i].Role < in.Files[j].Role })
	if in.Config.TopN <= 0 || in.Config.SpikeTopN <= 0 {
		return nil, &BlockedError{fmt.Errorf("%s: top_n and spike_top_n must be positive", l.Config)}
	}
	return in, nil
}
