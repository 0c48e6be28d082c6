package inputs

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Incident impacts (docs/RULES.md, "Inputs"). Only outages count as downtime.
const (
	ImpactOutage   = "outage"
	ImpactDegraded = "degraded"
)

// Incident is the latest version of one availability incident of
// runs/CREDIT_MONITORING/incidents.jsonl. Times are UTC; an absent optional
// time is the zero time. ResolvedAt zero means the incident is still open.
type Incident struct {
	ID             string
	Service        string
	Severity       string
	Impact         string // ImpactOutage or ImpactDegraded
	StartedAt      time.Time
	DetectedAt     time.Time
	AcknowledgedAt time.Time
	ResolvedAt     time.Time
	// DataLossSeconds is the recovery point (RPO) figure; nil when the
	// incident does not record one.
	DataLossSeconds *float64
	Line            int // line of incidents.jsonl this version came from
}

// Open reports whether the incident has not been resolved.
func (i Incident) Open() bool { return i.ResolvedAt.IsZero() }

// IncidentSet is the result of loading the incidents file.
type IncidentSet struct {
	// Incidents holds the latest version of every incident, sorted by
	// StartedAt, then ID.
	Incidents []Incident
	// Lines counts the incident lines read (complete and non-blank).
	Lines int
	// Superseded counts lines replaced by a later line with the same id.
	Superseded int
	// PartialTailBytes is the size of a last line without a newline that
	// is not a complete JSON object, which was not loaded.
	PartialTailBytes int64
	// Tail describes a last line without a newline, loaded or not.
	Tail Tail
}

// LoadIncidents reads runs/CREDIT_MONITORING/incidents.jsonl. A missing file
// means no incidents. The error rules are those of LoadCases: a line that is
// not a JSON object, lacks incident_id, service, impact or started_at, has an
// impact other than outage or degraded (any letter case), a timestamp that is
// not RFC 3339, a detection, acknowledgement or resolution before the start,
// or a negative data_loss_seconds refuses the file with an *Error naming path
// and line. A later line with the same incident_id supersedes an earlier one
// (an incident feed appends updates). A last line without a newline is
// loaded when it is a complete JSON object and otherwise counted as a write
// in progress, as for cases.
func LoadIncidents(path string) (IncidentSet, FileInfo, error) {
	data, info, ok, err := readInput(path)
	if err != nil {
		return IncidentSet{}, info, fmt.Errorf("load incidents: %w", err)
	}
	if !ok {
		return IncidentSet{Incidents: []Incident{}}, info, nil
	}
	s, err := ParseIncidents(path, data)
	return s, info, err
}

// ParseIncidents parses incidents file contents; path is used in error
// messages.
func ParseIncidents(path string, data []byte) (IncidentSet, error) {
	byID := map[string]Incident{}
	var set IncidentSet
	tail, err := eachLine(path, data, func(n int, line []byte) error {
		set.Lines++
		o, err := parseRecord(line, true)
		if err != nil {
			return locate(err, path, n)
		}
		inc, err := parseIncident(o)
		if err != nil {
			return locate(err, path, n)
		}
		inc.Line = n
		if _, seen := byID[inc.ID]; seen {
			set.Superseded++
		}
		byID[inc.ID] = inc
		return nil
	})
	if err != nil {
		return IncidentSet{}, err
	}
	set.Tail = tail
	if !tail.Loaded {
		set.PartialTailBytes = tail.Bytes
	}
	set.Incidents = make([]Incident, 0, len(byID))
	for _, inc := range byID {
		set.Incidents = append(set.Incidents, inc)
	}
	slices.SortFunc(set.Incidents, func(a, b Incident) int {
		return cmp.Or(a.StartedAt.Compare(b.StartedAt), strings.Compare(a.ID, b.ID))
	})
	return set, nil
}

func parseIncident(o object) (Incident, error) {
	var inc Incident
	var err error
	for _, f := range []struct {
		key      string
		dst      *string
		required bool
	}{
		{"incident_id", &inc.ID, true}, {"service", &inc.Service, true},
		{"severity", &inc.Severity, false}, {"impact", &inc.Impact, true},
	} {
		if *f.dst, _, err = o.str(f.key); err != nil {
			return inc, err
		}
		*f.dst = strings.TrimSpace(*f.dst)
		if f.required && *f.dst == "" {
			return inc, &fieldError{field: f.key, msg: "missing or empty"}
		}
	}
	inc.Impact = strings.ToLower(inc.Impact)
	if inc.Impact != ImpactOutage && inc.Impact != ImpactDegraded {
		return inc, &fieldError{field: o.at("impact"), msg: fmt.Sprintf("must be %q or %q, got %q", ImpactOutage, ImpactDegraded, inc.Impact)}
	}
	if inc.StartedAt, err = o.timestamp("started_at"); err != nil {
		return inc, err
	}
	if inc.StartedAt.IsZero() {
		return inc, &fieldError{field: "started_at", msg: "missing or empty"}
	}
	for _, f := range []struct {
		key string
		dst *time.Time
	}{{"detected_at", &inc.DetectedAt}, {"acknowledged_at", &inc.AcknowledgedAt}, {"resolved_at", &inc.ResolvedAt}} {
		if *f.dst, err = o.timestamp(f.key); err != nil {
			return inc, err
		}
		// Every later milestone is measured from the start; one before it
		// would give a negative MTTD / MTTA / MTTR / RTO.
		if !f.dst.IsZero() && f.dst.Before(inc.StartedAt) {
			return inc, &fieldError{field: o.at(f.key), msg: fmt.Sprintf("%s is before started_at %s",
				f.dst.Format(time.RFC3339), inc.StartedAt.Format(time.RFC3339))}
		}
	}
	loss, ok, err := o.num("data_loss_seconds")
	switch {
	case err != nil:
		return inc, err
	case ok && loss < 0:
		return inc, &fieldError{field: o.at("data_loss_seconds"), msg: fmt.Sprintf("must be ≥ 0, got %v", loss)}
	case ok:
		inc.DataLossSeconds = &loss
	}
	return inc, nil
}
