package inputs

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadIncidents(t *testing.T) {
	content := strings.Join([]string{
		`{"incident_id":"INC-2","service":"api","severity":"SEV1","impact":"outage","started_at":"2026-01-06T10:00:00Z","detected_at":"2026-01-06T10:05:00Z","acknowledged_at":"2026-01-06T10:10:00Z","resolved_at":"2026-01-06T13:00:00+01:00","data_loss_seconds":30}`,
		`{"incident_id":"INC-1","service":"api","impact":"Degraded","started_at":"2026-01-06T10:00:00Z"}`,
		`{"incident_id":"INC-0","service":"exporter","impact":"outage","started_at":"2026-01-07T00:00:00+02:00","resolved_at":null}`,
		// A later line updates INC-1: now resolved.
		`{"Incident_ID":"INC-1","Service":"api","Impact":"degraded","Started_At":"2026-01-06T10:00:00Z","Resolved_At":"2026-01-06T11:00:00Z","data_loss_seconds":0}`,
	}, "\n") + "\n"
	path := writeFile(t, t.TempDir(), "incidents.jsonl", content)
	set, info, err := LoadIncidents(path)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Present() || set.Lines != 4 || set.Superseded != 1 || len(set.Incidents) != 3 {
		t.Fatalf("set = %+v", set)
	}
	// Sorted by start, then id; INC-0 started 2026-01-06T22:00Z.
	got := []string{set.Incidents[0].ID, set.Incidents[1].ID, set.Incidents[2].ID}
	if strings.Join(got, ",") != "INC-1,INC-2,INC-0" {
		t.Fatalf("order = %v", got)
	}
	i1, i2, i0 := set.Incidents[0], set.Incidents[1], set.Incidents[2]
	if i1.Impact != ImpactDegraded || i1.Open() || i1.Line != 4 || i1.DataLossSeconds == nil || *i1.DataLossSeconds != 0 {
		t.Fatalf("INC-1 = %+v", i1)
	}
	if !i2.ResolvedAt.Equal(utc("2026-01-06T12:00:00Z")) || *i2.DataLossSeconds != 30 || i2.Severity != "SEV1" ||
		!i2.DetectedAt.Equal(utc("2026-01-06T10:05:00Z")) || !i2.AcknowledgedAt.Equal(utc("2026-01-06T10:10:00Z")) {
		t.Fatalf("INC-2 = %+v", i2)
	}
	if !i0.Open() || i0.DataLossSeconds != nil || !i0.StartedAt.Equal(utc("2026-01-06T22:00:00Z")) {
		t.Fatalf("INC-0 = %+v", i0)
	}
}

func TestLoadIncidentsAbsent(t *testing.T) {
	set, info, err := LoadIncidents(filepath.Join(t.TempDir(), "incidents.jsonl"))
	if err != nil || info.Present() || set.Incidents == nil || len(set.Incidents) != 0 {
		t.Fatalf("absent incidents: %+v %+v %v", set, info, err)
	}
}

func TestParseIncidentsInvalid(t *testing.T) {
	const path = "runs/CREDIT_MONITORING/incidents.jsonl"
	good := `{"incident_id":"INC-1","service":"api","impact":"outage","started_at":"2026-01-06T10:00:00Z"}`
	with := func(extra string) string { return strings.TrimSuffix(good, "}") + "," + extra + "}" }
	tests := []struct {
		name  string
		lines []string
		line  int
		want  string
	}{
		{"bad impact", []string{good, `{"incident_id":"INC-2","service":"api","impact":"partial","started_at":"2026-01-06T10:00:00Z"}`}, 2,
			path + `:2: impact: must be "outage" or "degraded", got "partial"`},
		{"missing impact", []string{`{"incident_id":"INC-2","service":"api","started_at":"2026-01-06T10:00:00Z"}`}, 1, path + ":1: impact: missing or empty"},
		// A resolution in 9999 overflowed the RTO (a signed report showed
		// it negative); a start in 1700 failed only in the workbook.
		{"resolved far ahead", []string{good, with(`"resolved_at":"9999-12-31T23:59:59Z"`)}, 2,
			path + `:2: resolved_at: timestamp "9999-12-31T23:59:59Z" is outside the years 1970–2199`},
		{"started long ago", []string{`{"incident_id":"INC-2","service":"api","impact":"outage","started_at":"1700-01-01T00:00:00Z"}`}, 1,
			path + `:1: started_at: timestamp "1700-01-01T00:00:00Z" is outside the years 1970–2199`},
		{"started in year 1", []string{`{"incident_id":"INC-2","service":"api","impact":"outage","started_at":"0001-01-01T00:00:00Z"}`}, 1,
			"outside the years 1970–2199"},
		{"resolved before started", []string{good, good, with(`"resolved_at":"2026-01-06T09:59:59Z"`)}, 3,
			path + ":3: resolved_at: 2026-01-06T09:59:59Z is before started_at 2026-01-06T10:00:00Z"},
		{"resolved before started across offsets", []string{with(`"resolved_at":"2026-01-06T10:30:00+01:00"`)}, 1,
			path + ":1: resolved_at: 2026-01-06T09:30:00Z is before started_at"},
		{"detected before started", []string{with(`"detected_at":"2026-01-06T09:00:00Z"`)}, 1, path + ":1: detected_at: "},
		{"missing started_at", []string{`{"incident_id":"INC-2","service":"api","impact":"outage"}`}, 1, path + ":1: started_at: missing or empty"},
		{"bad started_at", []string{`{"incident_id":"INC-2","service":"api","impact":"outage","started_at":"06/01/2026"}`}, 1,
			path + `:1: started_at: invalid timestamp "06/01/2026"`},
		{"missing incident_id", []string{`{"service":"api","impact":"outage","started_at":"2026-01-06T10:00:00Z"}`}, 1, path + ":1: incident_id: missing or empty"},
		{"missing service", []string{`{"incident_id":"I","impact":"outage","started_at":"2026-01-06T10:00:00Z"}`}, 1, path + ":1: service: missing or empty"},
		{"negative data loss", []string{with(`"data_loss_seconds":-1`)}, 1, path + ":1: data_loss_seconds: must be ≥ 0, got -1"},
		{"data loss not a number", []string{with(`"data_loss_seconds":"30s"`)}, 1, path + ":1: data_loss_seconds: want a number, got string"},
		{"not JSON", []string{good, `incident`}, 2, path + ":2: invalid JSON"},
		// INC-\xff and INC-\xfe were one incident: a 6-hour outage
		// vanished behind a 3-minute one (an outside review).
		{"id not UTF-8", []string{good, "{\"incident_id\":\"INC-\xfe\",\"service\":\"api\",\"impact\":\"outage\",\"started_at\":\"2026-01-06T10:00:00Z\"}"}, 2,
			path + ":2: text at column 21 holds bytes that are not UTF-8"},
		{"U+0000 in a service", []string{`{"incident_id":"I","service":"api\u0000","impact":"outage","started_at":"2026-01-06T10:00:00Z"}`}, 1, "holds U+0000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseIncidents(path, []byte(strings.Join(tt.lines, "\n")+"\n"))
			wantErr(t, err, path, tt.want)
			var ie *Error
			errors.As(err, &ie)
			if ie.Line != tt.line {
				t.Fatalf("Line = %d, want %d", ie.Line, tt.line)
			}
		})
	}
}

func TestParseIncidentsPartialTail(t *testing.T) {
	good := `{"incident_id":"INC-1","service":"api","impact":"outage","started_at":"2026-01-06T10:00:00Z"}`
	set, err := ParseIncidents("i", []byte(good+"\n"+`{"incident_id":"INC-2","serv`))
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Incidents) != 1 || set.PartialTailBytes != 28 || set.Tail != (Tail{Line: 2, Bytes: 28}) {
		t.Fatalf("set = %+v", set)
	}
	// A complete last record without its newline is loaded, downtime and all.
	second := `{"incident_id":"INC-2","service":"api","impact":"outage","started_at":"2026-01-07T10:00:00Z","resolved_at":"2026-01-07T11:00:00Z"}`
	set, err = ParseIncidents("i", []byte(good+"\n"+second))
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Incidents) != 2 || set.PartialTailBytes != 0 || set.Tail != (Tail{Line: 2, Bytes: int64(len(second)), Loaded: true}) {
		t.Fatalf("set = %+v", set)
	}
}
