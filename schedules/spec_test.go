package schedules

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // tests must not depend on the host's zoneinfo

	"github.com/robfig/cron/v3"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func formatAll(ts []time.Time) []string {
	out := make([]string, len(ts))
	for i, v := range ts {
		out[i] = v.Format(time.RFC3339)
	}
	return out
}

// defaultSpecs are the default schedules' specs.
func defaultSpecs() []JobSpec { return SpecsOf(inputs.DefaultConfig().Schedules) }

// TestDefaultJobSpecs checks the defaults config/ledgerlens.json falls
// back to (inputs.DefaultConfig), as the daemon evaluates them.
func TestDefaultJobSpecs(t *testing.T) {
	specs := defaultSpecs()
	if err := ValidateSpecs(specs); err != nil {
		t.Fatal(err)
	}
	from := mustTime(t, "2026-11-18T12:00:00Z") // a Wednesday
	want := map[string][]string{
		JobWeeklyReview:   {"2026-11-23T10:00:00Z", "2026-11-30T10:00:00Z", "2026-12-07T10:00:00Z"},
		JobIntegrityCheck: {"2026-11-19T06:00:00Z", "2026-11-20T06:00:00Z", "2026-11-21T06:00:00Z"},
		JobSLAReport:      {"2026-12-01T07:00:00Z", "2027-01-01T07:00:00Z", "2027-02-01T07:00:00Z"},
	}
	if len(specs) != len(want) {
		t.Fatalf("got %d default jobs, want %d", len(specs), len(want))
	}
	for _, s := range specs {
		if !s.Enabled || s.TimeZone != "UTC" {
			t.Errorf("%s: enabled=%v zone=%q, want enabled in UTC", s.Name, s.Enabled, s.TimeZone)
		}
		got, err := NextFires(s, from, 3)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := strings.Join(formatAll(got), " "), strings.Join(want[s.Name], " "); g != w {
			t.Errorf("%s: next fires %s, want %s", s.Name, g, w)
		}
	}
	for _, s := range specs {
		if _, err := JobCommand(s.Name); err != nil {
			t.Errorf("default schedule %q: %v", s.Name, err)
		}
	}
}

func TestValidateNamesJobAndField(t *testing.T) {
	tests := []struct {
		spec JobSpec
		want []string // substrings of the error
	}{
		{JobSpec{Name: "", Spec: "0 10 * * 1"}, []string{"name is empty"}},
		{JobSpec{Name: "weekly review", Spec: "0 10 * * 1"}, []string{`"weekly review"`, "name may contain"}},
		{JobSpec{Name: "-x", Spec: "0 10 * * 1"}, []string{"name may contain"}},
		{JobSpec{Name: "w", Spec: ""}, []string{`job "w"`, "spec is empty"}},
		{JobSpec{Name: "w", Spec: "0 10 * *"}, []string{`job "w"`, "want 5 fields", "found 4"}},
		{JobSpec{Name: "w", Spec: "0 0 10 * * 1"}, []string{"want 5 fields", "found 6"}},
		{JobSpec{Name: "w", Spec: "60 10 * * 1"}, []string{`job "w"`, `minute field "60"`, "above maximum"}},
		{JobSpec{Name: "w", Spec: "0 24 * * 1"}, []string{`hour field "24"`}},
		{JobSpec{Name: "w", Spec: "0 10 0 * *"}, []string{`day-of-month field "0"`}},
		{JobSpec{Name: "w", Spec: "0 10 * 13 *"}, []string{`month field "13"`}},
		{JobSpec{Name: "w", Spec: "0 10 * * funday"}, []string{`day-of-week field "funday"`}},
		{JobSpec{Name: "w", Spec: "0 10 30 2 *"}, []string{`job "w"`, "never match a real date"}},
		{JobSpec{Name: "w", Spec: "@every 1h"}, []string{`job "w"`, "unsupported descriptor"}},
		{JobSpec{Name: "w", Spec: "@reboot"}, []string{"unsupported descriptor"}},
		{JobSpec{Name: "w", Spec: "CRON_TZ=UTC 0 10 * * 1"}, []string{"set the job's time zone"}},
		{JobSpec{Name: "w", Spec: "0 10 * * 1", TimeZone: "Mars/Olympus"}, []string{`job "w"`, `time zone "Mars/Olympus"`}},
		{JobSpec{Name: "w", Spec: "0 10 * * 1", TimeZone: "Local"}, []string{`time zone "Local"`, "IANA"}},
	}
	for _, tc := range tests {
		t.Run(tc.spec.Name+"/"+tc.spec.Spec+"/"+tc.spec.TimeZone, func(t *testing.T) {
			err := tc.spec.Validate()
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	for _, spec := range []string{"0 10 * * 1", "*/15 9-17 * * mon-fri", "0 0 29 2 *", "@weekly", "@daily", "5 4 * * SUN", "0 7 1 1,4,7,10 ?"} {
		if err := (JobSpec{Name: "j", Spec: spec, TimeZone: "Europe/Berlin"}).Validate(); err != nil {
			t.Errorf("%q: %v", spec, err)
		}
	}
}

func TestValidateSpecsRefusesDuplicates(t *testing.T) {
	specs := append(defaultSpecs(), JobSpec{Name: JobWeeklyReview, Spec: "0 11 * * 1"})
	err := ValidateSpecs(specs)
	if err == nil || !strings.Contains(err.Error(), `"weekly-review": defined more than once`) {
		t.Fatalf("got %v", err)
	}
}

// TestNextFiresDST pins robfig/cron's behaviour across daylight-saving
// changes, which the daemon, `schedule list` and the exports all inherit:
//   - spring forward skips the wall-clock hour, and a job inside it does not
//     run that day (cronie behaves the same);
//   - fall back repeats an hour, and a job inside it runs twice, at two
//     distinct instants — in Berlin 02:30 is repeated, in New York 01:30 is
//     (its 02:30 happens once);
//   - the weekly Monday 10:00 job keeps its wall-clock time, so its UTC
//     instant moves by an hour.
func TestNextFiresDST(t *testing.T) {
	tests := []struct {
		name, zone, spec, from string
		n                      int
		want                   []string
	}{
		{"Berlin spring forward skips 02:30", "Europe/Berlin", "30 2 * * *", "2026-03-27T12:00:00Z", 3, []string{
			"2026-03-28T02:30:00+01:00", // Saturday, CET
			// Sunday 29 March: 02:00 CET jumps to 03:00 CEST; no 02:30.
			"2026-03-30T02:30:00+02:00",
			"2026-03-31T02:30:00+02:00",
		}},
		{"Berlin fall back runs 02:30 twice", "Europe/Berlin", "30 2 * * *", "2026-10-24T12:00:00Z", 4, []string{
			"2026-10-25T02:30:00+02:00", // first pass, CEST (00:30Z)
			"2026-10-25T02:30:00+01:00", // repeated hour, CET (01:30Z)
			"2026-10-26T02:30:00+01:00",
			"2026-10-27T02:30:00+01:00",
		}},
		{"Berlin weekly across both changes", "Europe/Berlin", "0 10 * * 1", "2026-03-20T00:00:00Z", 2, []string{
			"2026-03-23T10:00:00+01:00", "2026-03-30T10:00:00+02:00",
		}},
		{"Berlin weekly across fall back", "Europe/Berlin", "0 10 * * 1", "2026-10-20T00:00:00Z", 2, []string{
			"2026-10-26T10:00:00+01:00", "2026-11-02T10:00:00+01:00",
		}},
		{"New York spring forward skips 02:30", "America/New_York", "30 2 * * *", "2026-03-07T00:00:00Z", 3, []string{
			"2026-03-07T02:30:00-05:00",
			// Sunday 8 March: 02:00 EST jumps to 03:00 EDT.
			"2026-03-09T02:30:00-04:00",
			"2026-03-10T02:30:00-04:00",
		}},
		{"New York fall back: 02:30 once", "America/New_York", "30 2 * * *", "2026-10-31T00:00:00Z", 3, []string{
			"2026-10-31T02:30:00-04:00",
			"2026-11-01T02:30:00-05:00", // 01:00-02:00 repeats, 02:30 does not
			"2026-11-02T02:30:00-05:00",
		}},
		{"New York fall back: 01:30 twice", "America/New_York", "30 1 * * *", "2026-10-31T12:00:00Z", 3, []string{
			"2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00", "2026-11-02T01:30:00-05:00",
		}},
		{"New York weekly across spring forward", "America/New_York", "0 10 * * 1", "2026-03-01T00:00:00Z", 2, []string{
			"2026-03-02T10:00:00-05:00", "2026-03-09T10:00:00-04:00",
		}},
		{"New York weekly across fall back", "America/New_York", "0 10 * * 1", "2026-10-25T00:00:00Z", 2, []string{
			"2026-10-26T10:00:00-04:00", "2026-11-02T10:00:00-05:00",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NextFires(JobSpec{Name: "j", Spec: tc.spec, TimeZone: tc.zone}, mustTime(t, tc.from), tc.n)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := strings.Join(formatAll(got), " "), strings.Join(tc.want, " "); g != w {
				t.Errorf("got  %s\nwant %s", g, w)
			}
			for i := 1; i < len(got); i++ {
				if !got[i].After(got[i-1]) {
					t.Errorf("fire %d (%s) not after fire %d", i, got[i], i-1)
				}
			}
		})
	}
}

func TestNextFiresEdges(t *testing.T) {
	s := JobSpec{Name: "j", Spec: "0 10 * * 1"}
	from := mustTime(t, "2026-11-16T10:00:00Z") // exactly a fire time
	got, err := NextFires(s, from, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Format(time.RFC3339) != "2026-11-23T10:00:00Z" {
		t.Errorf("fire times must be strictly after from, got %s", got[0])
	}
	if got, err := NextFires(s, from, 0); err != nil || len(got) != 0 {
		t.Errorf("n=0: %v %v", got, err)
	}
	if _, err := NextFires(s, from, -1); err == nil {
		t.Error("n<0 accepted")
	}
	if _, err := NextFires(JobSpec{Name: "bad", Spec: "nope"}, from, 1); err == nil || !strings.Contains(err.Error(), `job "bad"`) {
		t.Errorf("invalid spec: %v", err)
	}
}

// TestCanonicalFields checks the fields the exports render: their own
// shape, and that robfig/cron gives the same fire times for them as for the
// configured spec.
func TestCanonicalFields(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"0 10 * * 1", "0 10 * * 1"},
		{"*/15 9-17 * * mon-fri", "0,15,30,45 9-17 * * 1-5"},
		{"0 7 1 * *", "0 7 1 * *"},
		{"0 7 1 1,4,7,10 ?", "0 7 1 1,4,7,10 *"},
		{"0 0 */2 * 1", "0 0 1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31 * 1"},
		{"0-59 0-23 1-31 1-12 0-6", "* * 1-31 * 0-6"},
		{"30 2 * * 6,0", "30 2 * * 0,6"},
		{"@monthly", "0 0 1 * *"},
	}
	from := mustTime(t, "2026-01-01T00:00:00Z")
	for _, tc := range tests {
		s, err := parseSpec(JobSpec{Name: "j", Spec: tc.spec, TimeZone: "Europe/Berlin"})
		if err != nil {
			t.Fatal(err)
		}
		f := s.fields()
		got := strings.Join(f[:], " ")
		if got != tc.want {
			t.Errorf("%q rendered as %q, want %q", tc.spec, got, tc.want)
		}
		rendered, err := cron.ParseStandard("CRON_TZ=Europe/Berlin " + got)
		if err != nil {
			t.Fatalf("%q: rendered %q does not parse: %v", tc.spec, got, err)
		}
		a, b := from, from
		for i := 0; i < 200; i++ {
			a, b = s.next(a), rendered.Next(b)
			if !a.Equal(b) {
				t.Fatalf("%q: fire %d differs: configured %s, rendered %s", tc.spec, i, a, b)
			}
		}
	}
}
