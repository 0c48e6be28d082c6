package schedules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/robfig/cron/v3"
)

const (
	testBinary = "/usr/local/bin/ledgerlens"
	testRoot   = "/srv/ledgerlens"
)

func TestCrontabGolden(t *testing.T) {
	specs := defaultSpecs()
	specs[0].TimeZone = "Europe/Berlin"
	specs[2].Enabled = false
	out, err := Crontab(specs, testBinary, "/srv/ledger lens/it's 100%")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "crontab.txt", []byte(out))
}

// crontabEntry is one active job line with the CRON_TZ in force for it.
type crontabEntry struct {
	zone, fields, command string
}

// parseCrontab reads the active lines the way cronie does: comments and
// blank lines skipped, NAME=value lines set variables for the lines after
// them, anything else is five fields and a command.
func parseCrontab(t *testing.T, text string) []crontabEntry {
	t.Helper()
	if !strings.HasSuffix(text, "\n") {
		t.Error("crontab does not end with a newline (crontab(1) rejects that)")
	}
	var out []crontabEntry
	zone := ""
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if name, value, ok := strings.Cut(line, "="); ok && !strings.ContainsAny(name, " \t*") {
			if name != "CRON_TZ" {
				t.Errorf("line %d: unexpected variable %s", i+1, name)
			}
			zone = value
			continue
		}
		f := strings.Fields(line)
		if len(f) < 6 {
			t.Errorf("line %d %q: not five fields and a command", i+1, line)
			continue
		}
		fields := strings.Join(f[:5], " ")
		if _, err := cron.ParseStandard(fields); err != nil {
			t.Errorf("line %d %q: cron.ParseStandard: %v", i+1, fields, err)
		}
		if zone == "" {
			t.Errorf("line %d: no CRON_TZ before it", i+1)
		}
		out = append(out, crontabEntry{zone: zone, fields: fields, command: strings.Join(f[5:], " ")})
	}
	return out
}

// TestCrontabMatchesDaemon checks that every active crontab line parses and,
// evaluated in its CRON_TZ, fires at exactly the daemon's next 20 fire
// times, for the defaults and for schedules whose cron rendering is not a
// copy of the configuration.
func TestCrontabMatchesDaemon(t *testing.T) {
	sets := [][]JobSpec{
		defaultSpecs(),
		{
			{Name: JobWeeklyReview, Spec: "0 10 * * mon", TimeZone: "Europe/Berlin", Enabled: true},
			{Name: JobIntegrityCheck, Spec: "30 2 * * *", TimeZone: "America/New_York", Enabled: true},
			{Name: JobSLAReport, Spec: "0 7 1 * *", TimeZone: "Asia/Kolkata", Enabled: true},
		},
		{
			{Name: JobIntegrityCheck, Spec: "*/15 9-17 * * mon-fri", TimeZone: "Europe/Berlin", Enabled: true},
			{Name: JobWeeklyReview, Spec: "0 0 */2 * 1", TimeZone: "UTC", Enabled: true},
			{Name: JobSLAReport, Spec: "@monthly", Enabled: true},
		},
	}
	commands := map[string]string{
		JobWeeklyReview:   testBinary + " report weekly --quiet --fail-on SEV1 --lock-timeout 30m --root " + testRoot,
		JobIntegrityCheck: testBinary + " verify all --quiet --lock-timeout 30m --root " + testRoot,
		JobSLAReport:      testBinary + " report sla --quiet --fail-on SEV2 --lock-timeout 30m --root " + testRoot,
	}
	from := mustTime(t, "2026-03-01T00:00:00Z") // covers the spring DST changes
	for n, specs := range sets {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			out, err := Crontab(specs, testBinary, testRoot)
			if err != nil {
				t.Fatal(err)
			}
			entries := parseCrontab(t, out)
			if len(entries) != len(specs) {
				t.Fatalf("%d active lines for %d jobs:\n%s", len(entries), len(specs), out)
			}
			for i, spec := range specs {
				e := entries[i]
				if e.command != commands[spec.Name] {
					t.Errorf("%s: command %q, want %q", spec.Name, e.command, commands[spec.Name])
				}
				want, err := NextFires(spec, from, 20)
				if err != nil {
					t.Fatal(err)
				}
				sched, err := cron.ParseStandard("CRON_TZ=" + e.zone + " " + e.fields)
				if err != nil {
					t.Fatal(err)
				}
				at := from
				for k, w := range want {
					at = sched.Next(at)
					if !at.Equal(w) {
						t.Errorf("%s: crontab %q in %s fires %s as fire %d, daemon %s", spec.Name, e.fields, e.zone, at, k, w)
						break
					}
				}
			}
		})
	}
}

func TestCrontabRefuses(t *testing.T) {
	tests := []struct {
		name         string
		specs        []JobSpec
		binary, root string
		want         string
	}{
		{"relative binary", defaultSpecs(), "ledgerlens", testRoot, `binary path "ledgerlens" is not absolute`},
		{"relative root", defaultSpecs(), testBinary, ".", `root path "." is not absolute`},
		{"newline", defaultSpecs(), testBinary, "/srv/a\nb", "line break"},
		{"unknown job", []JobSpec{{Name: "backup", Spec: "0 1 * * *", Enabled: true}}, testBinary, testRoot, `job "backup": no ledgerlens command`},
		{"bad spec", []JobSpec{{Name: JobWeeklyReview, Spec: "0 10 * * 8", Enabled: true}}, testBinary, testRoot, "day-of-week field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Crontab(tc.specs, tc.binary, tc.root)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	tests := map[string]string{
		"/usr/bin/ledgerlens":  "/usr/bin/ledgerlens",
		"/srv/with space":      "'/srv/with space'",
		"/srv/it's":            `'/srv/it'\''s'`,
		"/srv/$HOME":           "'/srv/$HOME'",
		"/srv/a-b_c.d/e:f@g+h": "/srv/a-b_c.d/e:f@g+h",
	}
	for in, want := range tests {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
