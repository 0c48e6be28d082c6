package schedules

import (
	"context"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSystemdTimerGolden(t *testing.T) {
	spec := defaultSpecs()[0]
	spec.TimeZone = "Europe/Berlin"
	u, err := SystemdTimer(spec, testBinary, "/srv/ledger lens/100%")
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "ledgerlens-weekly-review" {
		t.Errorf("unit name %q", u.Name)
	}
	golden(t, "ledgerlens-weekly-review.service", []byte(u.Service))
	golden(t, "ledgerlens-weekly-review.timer", []byte(u.Timer))
}

// calendarCases are schedules with their expected OnCalendar lines.
func calendarCases() []struct {
	spec JobSpec
	want []string
} {
	return []struct {
		spec JobSpec
		want []string
	}{
		{JobSpec{Name: JobWeeklyReview, Spec: "0 10 * * 1"}, []string{"Mon *-*-* 10:00:00 UTC"}},
		{JobSpec{Name: JobIntegrityCheck, Spec: "0 6 * * *", TimeZone: "America/New_York"}, []string{"*-*-* 06:00:00 America/New_York"}},
		{JobSpec{Name: JobSLAReport, Spec: "0 7 1 * *", TimeZone: "Europe/Berlin"}, []string{"*-*-01 07:00:00 Europe/Berlin"}},
		{JobSpec{Name: JobIntegrityCheck, Spec: "*/15 9-17 * * mon-fri", TimeZone: "Europe/Berlin"}, []string{"Mon..Fri *-*-* 09..17:00,15,30,45:00 Europe/Berlin"}},
		{JobSpec{Name: JobSLAReport, Spec: "0 7 1 1,4,7,10 *"}, []string{"*-01,04,07,10-01 07:00:00 UTC"}},
		{JobSpec{Name: JobWeeklyReview, Spec: "30 8 1,15 * 5", TimeZone: "Asia/Kolkata"}, []string{
			"*-*-01,15 08:30:00 Asia/Kolkata", // cron: either day field matches
			"Fri *-*-* 08:30:00 Asia/Kolkata",
		}},
		{JobSpec{Name: JobWeeklyReview, Spec: "0 12 * * 6,0"}, []string{"Sun,Sat *-*-* 12:00:00 UTC"}},
	}
}

func TestSystemdOnCalendar(t *testing.T) {
	for _, tc := range calendarCases() {
		u, err := SystemdTimer(tc.spec, testBinary, testRoot)
		if err != nil {
			t.Fatal(err)
		}
		got := onCalendarLines(u.Timer)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q: OnCalendar %q, want %q", tc.spec.Spec, got, tc.want)
		}
		if !strings.Contains(u.Service, "ExecStart="+testBinary+" ") || !strings.Contains(u.Service, " --root "+testRoot+"\n") {
			t.Errorf("%q: service %s", tc.spec.Spec, u.Service)
		}
	}
}

func onCalendarLines(timer string) []string {
	var out []string
	for _, l := range strings.Split(timer, "\n") {
		if v, ok := strings.CutPrefix(l, "OnCalendar="); ok {
			out = append(out, v)
		}
	}
	return out
}

// TestSystemdAgreesWithDaemon asks systemd itself (systemd-analyze
// calendar, when installed) for the next 20 elapses of each OnCalendar
// expression and compares them with the daemon's fire times.
func TestSystemdAgreesWithDaemon(t *testing.T) {
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	const n = 20
	from := mustTime(t, "2026-03-01T00:00:00Z")
	elapse := regexp.MustCompile(`(?m)^\s*(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC$`)
	for _, tc := range calendarCases() {
		want, err := NextFires(tc.spec, from, n)
		if err != nil {
			t.Fatal(err)
		}
		u, err := SystemdTimer(tc.spec, testBinary, testRoot)
		if err != nil {
			t.Fatal(err)
		}
		var got []time.Time
		for _, expr := range onCalendarLines(u.Timer) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			cmd := exec.CommandContext(ctx, tool, "calendar", "--iterations=20", "--base-time=2026-03-01 00:00:00 UTC", expr)
			cmd.Env = []string{"TZ=UTC", "LANG=C", "SYSTEMD_COLORS=0"}
			out, err := cmd.CombinedOutput()
			cancel()
			if err != nil {
				t.Skipf("systemd-analyze cannot evaluate calendars here: %v\n%s", err, out)
			}
			for _, m := range elapse.FindAllStringSubmatch(string(out), -1) {
				v, err := time.Parse(time.DateTime, m[1])
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, v)
			}
		}
		slices.SortFunc(got, time.Time.Compare)
		got = slices.CompactFunc(got, time.Time.Equal)
		if len(got) < n {
			t.Fatalf("%q: systemd gave %d elapses", tc.want, len(got))
		}
		for i := range want {
			if !got[i].Equal(want[i]) {
				t.Errorf("%q: elapse %d is %s, daemon fires at %s", tc.want, i, got[i], want[i].UTC())
				break
			}
		}
	}
}

func TestSystemdTimerRefuses(t *testing.T) {
	if _, err := SystemdTimer(JobSpec{Name: "backup", Spec: "0 1 * * *"}, testBinary, testRoot); err == nil {
		t.Error("unknown job accepted")
	}
	if _, err := SystemdTimer(defaultSpecs()[0], "ledgerlens", testRoot); err == nil {
		t.Error("relative binary accepted")
	}
	if _, err := SystemdTimer(JobSpec{Name: JobWeeklyReview, Spec: "61 * * * *"}, testBinary, testRoot); err == nil {
		t.Error("invalid spec accepted")
	}
}

func TestSystemdQuote(t *testing.T) {
	tests := map[string]string{
		"/usr/bin/ledgerlens": "/usr/bin/ledgerlens",
		"/srv/a b":            `"/srv/a b"`,
		`/srv/"q"\`:           `"/srv/\"q\"\\"`,
		"/srv/100%":           `"/srv/100%%"`,
		"/srv/$HOME":          `"/srv/$$HOME"`,
	}
	for in, want := range tests {
		if got := systemdQuote(in); got != want {
			t.Errorf("systemdQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
