package schedules

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// schedule is a validated JobSpec: its zone loaded and its cron expression
// parsed by robfig/cron, which is the single source of truth for fire times
// (the daemon, `schedule list`, and the crontab and systemd exports all
// derive from it).
type schedule struct {
	spec JobSpec
	zone string // IANA name, never empty
	loc  *time.Location
	cron *cron.SpecSchedule
}

// fieldName names the i-th of the five standard cron fields as error
// messages say it.
func fieldName(i int) string {
	return [...]string{"minute", "hour", "day-of-month", "month", "day-of-week"}[i]
}

// parseSpec validates s and parses it. Errors name the job and the field.
func parseSpec(s JobSpec) (*schedule, error) {
	if err := validateName(s.Name); err != nil {
		return nil, err
	}
	zone := s.TimeZone
	if zone == "" {
		zone = "UTC"
	}
	if zone == "Local" || strings.ContainsAny(zone, " \t\r\n") {
		// "Local" would make fire times depend on the host's configuration
		// and cannot be written as CRON_TZ or OnCalendar.
		return nil, fmt.Errorf("job %q: time zone %q: name an IANA zone such as UTC or Europe/Berlin", s.Name, zone)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf("job %q: time zone %q: %w", s.Name, zone, err)
	}

	expr := strings.TrimSpace(s.Spec)
	if expr == "" {
		return nil, fmt.Errorf("job %q: spec is empty", s.Name)
	}
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return nil, fmt.Errorf("job %q: spec %q: set the job's time zone instead of a TZ= prefix", s.Name, s.Spec)
	}
	if strings.HasPrefix(expr, "@") {
		// Descriptors are expanded here rather than handed to robfig/cron so
		// that every schedule has five fields the exports can render;
		// @every and @reboot have no cron equivalent and are refused.
		fields, ok := descriptorFields(expr)
		if !ok {
			return nil, fmt.Errorf("job %q: spec %q: unsupported descriptor (use five cron fields or @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)", s.Name, s.Spec)
		}
		expr = fields
	}
	fields := strings.Fields(expr)
	if len(fields) != 5 {
		return nil, fmt.Errorf("job %q: spec %q: want 5 fields (minute hour day-of-month month day-of-week), found %d", s.Name, s.Spec, len(fields))
	}
	// robfig/cron's errors do not say which field is wrong; parse each field
	// alone (the others wildcards) to name it.
	for i, f := range fields {
		probe := [5]string{"*", "*", "*", "*", "*"}
		probe[i] = f
		if _, err := cron.ParseStandard(strings.Join(probe[:], " ")); err != nil {
			return nil, fmt.Errorf("job %q: spec %q: %s field %q: %v", s.Name, s.Spec, fieldName(i), f, err)
		}
	}
	parsed, err := cron.ParseStandard("CRON_TZ=" + zone + " " + strings.Join(fields, " "))
	if err != nil {
		return nil, fmt.Errorf("job %q: spec %q: %w", s.Name, s.Spec, err)
	}
	spec, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("job %q: spec %q: not a calendar schedule", s.Name, s.Spec)
	}
	// A schedule must find a fire time from a fixed instant, so "never
	// fires" (30 February) is caught without consulting the wall clock.
	if spec.Next(time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, fmt.Errorf("job %q: spec %q: day-of-month and month never match a real date", s.Name, s.Spec)
	}
	return &schedule{spec: s, zone: zone, loc: loc, cron: spec}, nil
}

// validateName accepts names usable unchanged as a state key, a metric label
// value and part of a systemd unit name.
func validateName(name string) error {
	if name == "" {
		return fmt.Errorf("job name is empty")
	}
	if len(name) > 64 {
		return fmt.Errorf("job %q: name longer than 64 characters", name)
	}
	for i, r := range name {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if alnum || (i > 0 && (r == '-' || r == '_')) {
			continue
		}
		return fmt.Errorf("job %q: name may contain only letters, digits, '-' and '_', starting with a letter or digit", name)
	}
	return nil
}

// descriptorFields expands the predefined schedules that have a five-field
// equivalent, exactly as robfig/cron and cronie define them.
func descriptorFields(d string) (string, bool) {
	switch d {
	case "@yearly", "@annually":
		return "0 0 1 1 *", true
	case "@monthly":
		return "0 0 1 * *", true
	case "@weekly":
		return "0 0 * * 0", true
	case "@daily", "@midnight":
		return "0 0 * * *", true
	case "@hourly":
		return "0 * * * *", true
	}
	return "", false
}

// next returns the first fire time strictly after t, in the job's zone, or
// the zero time when there is none within robfig/cron's five-year horizon.
func (s *schedule) next(t time.Time) time.Time {
	n := s.cron.Next(t)
	if n.IsZero() {
		return n
	}
	return n.In(s.loc)
}

// NextFires returns the next n fire times of spec strictly after from, in
// the job's time zone, for `schedule list`. It uses the same robfig/cron
// evaluation as the daemon, daylight-saving quirks included: a wall-clock
// time that a spring-forward transition skips does not fire that day, and
// one that a fall-back transition repeats fires twice (once per offset).
func NextFires(spec JobSpec, from time.Time, n int) ([]time.Time, error) {
	if n < 0 {
		return nil, fmt.Errorf("job %q: negative number of fire times %d", spec.Name, n)
	}
	s, err := parseSpec(spec)
	if err != nil {
		return nil, err
	}
	out := make([]time.Time, 0, n)
	t := from
	for len(out) < n {
		t = s.next(t)
		if t.IsZero() {
			return out, fmt.Errorf("job %q: spec %q: no fire time within five years after %s", spec.Name, spec.Spec, from.Format(time.RFC3339))
		}
		out = append(out, t)
	}
	return out, nil
}

// fields renders the schedule as five canonical cron fields computed from
// the parsed bit sets rather than copied from the configuration. That makes
// the exported crontab mean exactly what robfig/cron evaluates: "?" and
// ranges of names (which cronie refuses) disappear, and "*" appears in the
// day fields only where robfig/cron treats the field as unrestricted — the
// distinction that decides whether day-of-month and day-of-week are ANDed
// or ORed, and where implementations disagree for "*/2".
func (s *schedule) fields() [5]string {
	const star = 1 << 63
	c := s.cron
	return [5]string{
		renderField(c.Minute, 0, 59, true),
		renderField(c.Hour, 0, 23, true),
		renderField(c.Dom, 1, 31, c.Dom&star != 0),
		renderField(c.Month, 1, 12, true),
		renderField(c.Dow, 0, 6, c.Dow&star != 0),
	}
}

// renderField writes the set bits of one field as a comma list of values
// and ranges; "*" when every value is set and starOK.
func renderField(bits uint64, lo, hi uint, starOK bool) string {
	vals := bitValues(bits, lo, hi)
	if starOK && len(vals) == int(hi-lo+1) {
		return "*"
	}
	return joinRuns(vals, "-", func(v uint) string { return strconv.Itoa(int(v)) })
}

// bitValues lists the values in [lo, hi] whose bit is set.
func bitValues(bits uint64, lo, hi uint) []uint {
	var vals []uint
	for v := lo; v <= hi; v++ {
		if bits&(1<<v) != 0 {
			vals = append(vals, v)
		}
	}
	return vals
}
