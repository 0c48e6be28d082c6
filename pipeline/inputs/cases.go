package inputs

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Case statuses and root causes of the credit-monitoring runbook
// (docs/RULES.md, "Inputs"). Other values are kept as given.
const (
	CaseOpen          = "Open"
	CaseInvestigating = "Investigating"
	CaseMitigating    = "Mitigating"
	CaseResolved      = "Resolved"

	RootCauseMisconfig = "Misconfig"
	RootCauseLegitLoad = "Legit Load"
	RootCauseExternal  = "External Dependency"
	RootCauseUnknown   = "Unknown"
)

// Case is the latest version of one case record of
// runs/CREDIT_MONITORING/cases.jsonl. Timestamps are UTC; an absent (or
// empty) timestamp is the zero time.
type Case struct {
	ID              string
	Title           string
	Category        string
	Severity        string
	ExposureBand    string
	Status          string
	RootCause       string
	PrimaryRunID    string
	RelatedRunIDs   []string
	CreatedAt       time.Time
	AcknowledgedAt  time.Time
	UpdatedAt       time.Time
	ResolvedAt      time.Time
	RerunApprovedAt time.Time // ledgerlens extension: rerun approval gate
	RerunApprovedBy string    // ledgerlens extension
	Line            int       // line of cases.jsonl this version came from
}

// RunIDs returns the runs the case names: its primary run, then its related
// runs, without duplicates or empty ids.
func (c Case) RunIDs() []string {
	ids := make([]string, 0, 1+len(c.RelatedRunIDs))
	for _, id := range append([]string{c.PrimaryRunID}, c.RelatedRunIDs...) {
		if id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// CaseSet is the result of loading the cases file.
type CaseSet struct {
	// Cases holds the latest version of every case, sorted by ID.
	Cases []Case
	// Lines counts the case lines read (complete and non-blank).
	Lines int
	// Superseded counts lines replaced by a later line with the same ID.
	Superseded int
	// PartialTailBytes is the size of a last line without a newline that
	// is not a complete JSON object, which was not loaded (see LoadCases).
	PartialTailBytes int64
	// Tail describes a last line without a newline, loaded or not.
	Tail Tail
}

// Get returns the case with the given id.
func (s CaseSet) Get(id string) (Case, bool) {
	i, ok := slices.BinarySearchFunc(s.Cases, id, func(c Case, id string) int { return strings.Compare(c.ID, id) })
	if !ok {
		return Case{}, false
	}
	return s.Cases[i], true
}

// LoadCases reads runs/CREDIT_MONITORING/cases.jsonl. A missing file means
// no cases. A later line with the same Case_ID supersedes an earlier one
// entirely. Keys may be spelled as in the runbook (Case_ID) or in snake case
// (case_id); unknown keys are ignored.
//
// A line that is not a JSON object, lacks Case_ID or has a timestamp that is
// not RFC 3339 refuses the whole file with an *Error naming path and line:
// the review must not run on a partial view of the cases. A last line
// without a trailing newline is loaded when it is one complete JSON object
// (hand-edited files often lack the final newline); otherwise it is taken
// to be a write in progress, as with the ledger, and counted in
// PartialTailBytes. Either way Tail records it for data_quality.
func LoadCases(path string) (CaseSet, FileInfo, error) {
	data, info, ok, err := readInput(path)
	if err != nil {
		return CaseSet{}, info, fmt.Errorf("load cases: %w", err)
	}
	if !ok {
		return CaseSet{Cases: []Case{}}, info, nil
	}
	s, err := ParseCases(path, data)
	return s, info, err
}

// ParseCases parses cases file contents; path is used in error messages.
func ParseCases(path string, data []byte) (CaseSet, error) {
	byID := map[string]Case{}
	var set CaseSet
	tail, err := eachLine(path, data, func(n int, line []byte) error {
		set.Lines++
		o, err := parseRecord(line, true)
		if err != nil {
			return locate(err, path, n)
		}
		c, err := parseCase(o)
		if err != nil {
			return locate(err, path, n)
		}
		c.Line = n
		if _, seen := byID[c.ID]; seen {
			set.Superseded++
		}
		byID[c.ID] = c
		return nil
	})
	if err != nil {
		return CaseSet{}, err
	}
	set.Tail = tail
	if !tail.Loaded {
		set.PartialTailBytes = tail.Bytes
	}
	set.Cases = make([]Case, 0, len(byID))
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		set.Cases = append(set.Cases, byID[id])
	}
	return set, nil
}

func parseCase(o object) (Case, error) {
	var c Case
	var err error
	strs := []struct {
		key string
		dst *string
	}{
		{"case_id", &c.ID}, {"title", &c.Title}, {"category", &c.Category},
		{"severity", &c.Severity}, {"exposure_band", &c.ExposureBand}, {"status", &c.Status},
		{"root_cause", &c.RootCause}, {"primary_run_id", &c.PrimaryRunID},
		{"rerun_approved_by", &c.RerunApprovedBy},
	}
	for _, f := range strs {
		if *f.dst, _, err = o.str(f.key); err != nil {
			return c, err
		}
		*f.dst = strings.TrimSpace(*f.dst)
	}
	if c.ID == "" {
		return c, &fieldError{field: "Case_ID", msg: "missing or empty"}
	}
	if c.RelatedRunIDs, err = idList(o, "related_run_ids"); err != nil {
		return c, err
	}
	times := []struct {
		key string
		dst *time.Time
	}{
		{"created_at", &c.CreatedAt}, {"acknowledged_at", &c.AcknowledgedAt},
		{"updated_at", &c.UpdatedAt}, {"resolved_at", &c.ResolvedAt},
		{"rerun_approved_at", &c.RerunApprovedAt},
	}
	for _, f := range times {
		if *f.dst, err = o.timestamp(f.key); err != nil {
			return c, err
		}
	}
	return c, nil
}

// idList reads a list of run ids given either as a JSON array of strings or
// as one comma-separated string (as table exports write it). Empty entries
// are dropped.
func idList(o object, key string) ([]string, error) {
	raw, ok, err := o.get(key)
	if err != nil {
		return nil, err
	}
	if !ok {
		return []string{}, nil
	}
	var parts []string
	switch kindOf(raw) {
	case "string":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, &fieldError{field: o.at(key), msg: err.Error()}
		}
		parts = strings.Split(s, ",")
	case "array":
		items, _, err := o.arr(key)
		if err != nil {
			return nil, err
		}
		for i, it := range items {
			var s string
			if kindOf(it) != "string" || json.Unmarshal(it, &s) != nil {
				return nil, &fieldError{field: fmt.Sprintf("%s[%d]", o.at(key), i), msg: "want a string, got " + kindOf(it)}
			}
			parts = append(parts, s)
		}
	default:
		return nil, &fieldError{field: o.at(key), msg: "want an array of run ids or a comma-separated string, got " + kindOf(raw)}
	}
	ids := make([]string, 0, len(parts))
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			ids = append(ids, p)
		}
	}
	return ids, nil
}
