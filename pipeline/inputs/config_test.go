package inputs

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"
)

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if c.TimeZone != "UTC" || c.TopN != 5 || c.SpikeTopN != 10 || c.RTOTargetMinutes != 120 || c.OutputDir != "runs/CREDIT_REVIEWS" {
		t.Fatalf("defaults = %+v", c)
	}
	want := []Schedule{
		{Name: "weekly-review", Spec: "0 10 * * 1", TimeZone: "UTC", Enabled: true},
		{Name: "integrity-check", Spec: "0 6 * * *", TimeZone: "UTC", Enabled: true},
		{Name: "sla-report", Spec: "0 7 1 * *", TimeZone: "UTC", Enabled: true},
	}
	if !reflect.DeepEqual(c.Schedules, want) {
		t.Fatalf("schedules = %+v", c.Schedules)
	}
	if c.SLOTarget("anything") != 99.9 {
		t.Fatalf("default SLO = %v", c.SLOTarget("anything"))
	}
	if loc, err := c.Location(); err != nil || loc.String() != "UTC" {
		t.Fatalf("Location = %v, %v", loc, err)
	}
	// Fresh values: changing one default does not change the next.
	c.SLOTargets["api"] = 99
	c.Schedules[0].Enabled = false
	if d := DefaultConfig(); len(d.SLOTargets) != 0 || !d.Schedules[0].Enabled {
		t.Fatal("DefaultConfig shares state between calls")
	}
}

func TestLoadConfigAbsent(t *testing.T) {
	c, info, err := LoadConfig(filepath.Join(t.TempDir(), "ledgerlens.json"))
	if err != nil || info.Present() || !reflect.DeepEqual(c, DefaultConfig()) {
		t.Fatalf("absent config: %+v %+v %v", c, info, err)
	}
}

func TestLoadConfig(t *testing.T) {
	path := writeFile(t, t.TempDir(), "config/ledgerlens.json", `{
  "time_zone": "Europe/Berlin",
  "top_n": 8,
  "spike_top_n": 25,
  "slo_targets": {"api": 99.5, "API": 99.0, "exporter": 99.95, "legacy": null},
  "rto_target_minutes": 90.5,
  "output_dir": "/srv/reviews",
  "schedules": [
    {"name": "sla-report", "enabled": false},
    {"name": "weekly-review", "spec": "30 9 * * 1", "time_zone": "UTC"},
    {"name": "nightly-digest", "spec": "@daily"}
  ]
}`)
	c, info, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Present() {
		t.Fatal("config not Present")
	}
	if c.TimeZone != "Europe/Berlin" || c.TopN != 8 || c.SpikeTopN != 25 || c.RTOTargetMinutes != 90.5 || c.OutputDir != "/srv/reviews" {
		t.Fatalf("config = %+v", c)
	}
	// Service names are data: spellings that differ in case are two services.
	if c.SLOTarget("api") != 99.5 || c.SLOTarget("API") != 99.0 || c.SLOTarget("exporter") != 99.95 || c.SLOTarget("legacy") != 99.9 || c.SLOTarget("other") != 99.9 {
		t.Fatalf("SLO targets = %v", c.SLOTargets)
	}
	want := []Schedule{
		// Explicit zone kept; the spec replaced.
		{Name: "weekly-review", Spec: "30 9 * * 1", TimeZone: "UTC", Enabled: true},
		// Untouched default: runs in the configured zone.
		{Name: "integrity-check", Spec: "0 6 * * *", TimeZone: "Europe/Berlin", Enabled: true},
		// Only enabled overridden.
		{Name: "sla-report", Spec: "0 7 1 * *", TimeZone: "Europe/Berlin", Enabled: false},
		// New job, enabled by default.
		{Name: "nightly-digest", Spec: "@daily", TimeZone: "Europe/Berlin", Enabled: true},
	}
	if !reflect.DeepEqual(c.Schedules, want) {
		t.Fatalf("schedules =\n%+v\nwant\n%+v", c.Schedules, want)
	}
	if loc, err := c.Location(); err != nil || loc.String() != "Europe/Berlin" {
		t.Fatalf("Location = %v, %v", loc, err)
	}
}

func TestParseConfigInvalid(t *testing.T) {
	const path = "config/ledgerlens.json"
	tests := []struct {
		name  string
		doc   string
		field string
		want  string
	}{
		{"unknown key", `{"topn": 3}`, "topn", path + ": topn: unknown key (known: output_dir,"},
		{"unknown schedule key", `{"schedules":[{"name":"weekly-review","enabeld":false}]}`, "schedules[0].enabeld", path + ": schedules[0].enabeld: unknown key"},
		{"bad time zone", `{"time_zone":"Mars/Olympus"}`, "time_zone", path + `: time_zone: unknown time zone "Mars/Olympus"`},
		{"Local refused", `{"time_zone":"Local"}`, "time_zone", `time_zone: "Local" depends on the host`},
		{"top_n zero", `{"top_n":0}`, "top_n", path + ": top_n: must be between 1 and 100000, got 0"},
		{"top_n fractional", `{"top_n":2.5}`, "top_n", "top_n: want a whole number, got 2.5"},
		{"spike_top_n string", `{"spike_top_n":"10"}`, "spike_top_n", "spike_top_n: want a number, got string"},
		{"empty time zone", `{"time_zone": ""}`, "time_zone", path + ": time_zone: must not be empty"},
		{"empty schedule time zone", `{"schedules": [{"name": "weekly-review", "time_zone": " "}]}`, "schedules[0].time_zone", "must not be empty"},
		{"slo 100", `{"slo_targets":{"api":100}}`, "slo_targets.api", path + ": slo_targets.api: must be a percentage above 0 and below 100, got 100"},
		{"slo string", `{"slo_targets":{"api":"99.9"}}`, "slo_targets.api", "slo_targets.api: want a number, got string"},
		{"slo not an object", `{"slo_targets":[99.9]}`, "slo_targets", "slo_targets: want an object, got array"},
		{"rto zero", `{"rto_target_minutes":0}`, "rto_target_minutes", "rto_target_minutes: must be at least 0.01 and at most 5256000 (ten years), got 0"},
		// Larger values overflowed a duration: a negative target, false
		// breaches and a stale ledger at once (an outside review).
		{"rto beyond ten years", `{"rto_target_minutes":1e12}`, "rto_target_minutes", "must be at least 0.01 and at most 5256000 (ten years), got 1e+12"},
		{"stale beyond ten years", `{"stale_ledger_hours":1e9}`, "stale_ledger_hours", "must be at least 0.01 and at most 87600 (ten years), got 1e+09"},
		// A target shown as 0 that every recovery breached, every ledger
		// stale (an outside review).
		{"rto that rounds to nothing", `{"rto_target_minutes":1e-10}`, "rto_target_minutes", "must be at least 0.01"},
		{"stale that rounds to nothing", `{"stale_ledger_hours":1e-10}`, "stale_ledger_hours", "must be at least 0.01"},
		{"reviews required since a year mistyped", `{"weekly_reviews_since":"1026-01-02"}`, "weekly_reviews_since", `"1026-01-02" is outside the years 1970–2199`},
		{"empty output dir", `{"output_dir":" "}`, "output_dir", "output_dir: must not be empty"},
		{"output dir leaving the root", `{"output_dir":"runs/../../../etc"}`, "output_dir", `output_dir: "runs/../../../etc" leaves the root`},
		{"output dir the root's parent", `{"output_dir":".."}`, "output_dir", `output_dir: ".." leaves the root`},
		{"reviews required since a Tuesday", `{"weekly_reviews_since":"2026-02-10"}`, "weekly_reviews_since", `"2026-02-10": want a Monday`},
		{"reviews required since no date", `{"weekly_reviews_since":"Feb"}`, "weekly_reviews_since", `"Feb": want a Monday`},
		{"bad cron spec", `{"schedules":[{"name":"weekly-review","spec":"0 10 * * Monday-ish"}]}`, "schedules[0].spec", `schedules[0].spec: invalid cron spec "0 10 * * Monday-ish"`},
		{"new schedule without spec", `{"schedules":[{"name":"digest"}]}`, "schedules[0].spec", "schedules[0].spec: missing (a new schedule needs a cron spec)"},
		{"schedule without name", `{"schedules":[{"spec":"@daily"}]}`, "schedules[0].name", "schedules[0].name: missing or empty"},
		{"duplicate schedule", `{"schedules":[{"name":"a","spec":"@daily"},{"name":"a","spec":"@hourly"}]}`, "schedules[1].name", `schedules[1].name: duplicate of schedules[0] ("a")`},
		{"schedule bad zone", `{"schedules":[{"name":"weekly-review","time_zone":"Nowhere"}]}`, "schedules[0].time_zone", `schedules[0].time_zone: unknown time zone "Nowhere"`},
		{"enabled not boolean", `{"schedules":[{"name":"weekly-review","enabled":"no"}]}`, "schedules[0].enabled", "schedules[0].enabled: want true or false, got string"},
		{"schedules not an array", `{"schedules":{}}`, "schedules", "schedules: want an array, got object"},
		{"schedule not an object", `{"schedules":["weekly-review"]}`, "schedules[0]", "schedules[0]: want an object, got string"},
		{"syntax", "{\n  \"top_n\": 5\n  \"spike_top_n\": 10\n}", "", path + ":3: invalid JSON"},
		{"repeated key", `{"top_n": 5, "top_n": 50}`, "", path + `: field "top_n" appears twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig(path, []byte(tt.doc))
			wantErr(t, err, path, tt.want)
			var ie *Error
			errors.As(err, &ie)
			if ie.Field != tt.field {
				t.Fatalf("Field = %q, want %q", ie.Field, tt.field)
			}
		})
	}
}

func TestParseConfigReportsAllProblems(t *testing.T) {
	_, err := ParseConfig("c.json", []byte(`{"topn":1,"top_n":-1,"schedules":[{"name":"x"}]}`))
	wantErr(t, err, "c.json", "c.json: topn: unknown key", "c.json: top_n: must be between", "c.json: schedules[0].spec: missing")
}
