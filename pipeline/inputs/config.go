package inputs

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Configuration defaults (docs/ARCHITECTURE.md, "Layout", "Workbook", "Scheduling"; docs/RULES.md; docs/RULES.md).
const (
	DefaultTimeZone         = "UTC"
	DefaultTopN             = 5
	DefaultSpikeTopN        = 10
	DefaultSLOTargetPct     = 99.9
	DefaultRTOTargetMinutes = 120
	// DefaultLedgerStaleHours: a newest run older than this at the end of
	// the period is a ledger_stale finding.
	DefaultLedgerStaleHours = 48
	DefaultOutputDir        = "runs/CREDIT_REVIEWS"
)

// Job names of the default schedules.
const (
	ScheduleWeeklyReview   = "weekly-review"
	ScheduleIntegrityCheck = "integrity-check"
	ScheduleSLAReport      = "sla-report"
)

// Config is config/ledgerlens.json: options that are not policy. Every key
// is optional; DefaultConfig holds the documented defaults.
type Config struct {
	// TimeZone is the IANA zone whose Mondays start review periods.
	TimeZone string
	// TopN is the length of top_scenarios_by_total.
	TopN int
	// SpikeTopN is the length of top_spike_runs.
	SpikeTopN int
	// SLOTargets maps a service to its availability target in percent;
	// unlisted services get DefaultSLOTargetPct (see SLOTarget).
	SLOTargets map[string]float64
	// RTOTargetMinutes is the recovery-time objective for outages.
	RTOTargetMinutes float64
	// LedgerStaleHours is the age of the newest run, at the end of the
	// period, beyond which the ledger is stale (ledger_stale, SEV1).
	LedgerStaleHours float64
	// Schedules are the scheduler's jobs; see ParseConfig for how a file's
	// list combines with the defaults.
	Schedules []Schedule
	// OutputDir is where weekly outputs go, relative to the root unless
	// absolute (see Layout.Resolve).
	OutputDir string
	// Webhooks receive a notification after each publication and on every
	// integrity problem; none by default.
	Webhooks []Webhook
	// WeeklyReviewsSince is the Monday (YYYY-MM-DD) of the first week
	// whose review is required: earlier weeks without one are not listed
	// as unpublished (a week published once for an auditor, gaps from
	// before the review was in force). "" means the first published week.
	WeeklyReviewsSince string
}

// Schedule is one job of `ledgerlens schedule run`.
type Schedule struct {
	Name     string
	Spec     string // standard 5-field cron spec or descriptor (@daily)
	TimeZone string // IANA zone the spec is read in
	Enabled  bool
}

// DefaultConfig returns the configuration used when config/ledgerlens.json
// is absent. Each call returns a fresh value.
func DefaultConfig() Config {
	return Config{
		TimeZone:         DefaultTimeZone,
		TopN:             DefaultTopN,
		SpikeTopN:        DefaultSpikeTopN,
		SLOTargets:       map[string]float64{},
		RTOTargetMinutes: DefaultRTOTargetMinutes,
		LedgerStaleHours: DefaultLedgerStaleHours,
		Schedules: []Schedule{
			{Name: ScheduleWeeklyReview, Spec: "0 10 * * 1", TimeZone: DefaultTimeZone, Enabled: true},
			{Name: ScheduleIntegrityCheck, Spec: "0 6 * * *", TimeZone: DefaultTimeZone, Enabled: true},
			{Name: ScheduleSLAReport, Spec: "0 7 1 * *", TimeZone: DefaultTimeZone, Enabled: true},
		},
		OutputDir: DefaultOutputDir,
	}
}

// SLOTarget returns the availability target of service in percent.
func (c Config) SLOTarget(service string) float64 {
	if t, ok := c.SLOTargets[service]; ok {
		return t
	}
	return DefaultSLOTargetPct
}

// Location loads the configured time zone ("" is UTC).
func (c Config) Location() (*time.Location, error) {
	return loadZone(c.TimeZone)
}

// LoadConfig reads config/ledgerlens.json. A missing file gives
// DefaultConfig and a FileInfo that is not Present.
func LoadConfig(path string) (Config, FileInfo, error) {
	data, info, ok, err := readInput(path)
	if err != nil {
		return Config{}, info, fmt.Errorf("load config: %w", err)
	}
	if !ok {
		return DefaultConfig(), info, nil
	}
	c, err := ParseConfig(path, data)
	return c, info, err
}

// The range of rto_target_minutes and stale_ledger_hours: at least 0.01
// (the two decimals the reports show them with, so none shows 0), at most
// ten years, well inside a time.Duration, which a larger value overflowed.
const (
	minDurationSetting  = 0.01
	maxRTOTargetMinutes = 10 * 365 * 24 * 60
	maxStaleLedgerHours = 10 * 365 * 24
)

// ParseConfig parses configuration contents over the defaults; path is used
// in error messages only.
//
// Unlike the policy, the configuration refuses unknown keys, naming them: a
// misspelt option would otherwise be ignored without a word. Schedules are
// merged with the defaults by name: an entry named like a default overrides
// only the keys it gives (so {"name": "sla-report", "enabled": false}
// switches that job off), other names add jobs, which then need a spec.
// A schedule without time_zone runs in the configuration's time_zone.
func ParseConfig(path string, data []byte) (Config, error) {
	doc, err := parseDocument(path, data)
	if err != nil {
		return Config{}, err
	}
	var errs []error
	fail := func(err error) { errs = append(errs, locate(err, path, 0)) }
	c := DefaultConfig()

	for _, k := range doc.keys() {
		switch k {
		case "time_zone", "top_n", "spike_top_n", "slo_targets", "rto_target_minutes", "stale_ledger_hours", "schedules", "output_dir", "webhooks", "weekly_reviews_since":
		default:
			fail(&fieldError{field: k, msg: "unknown key (known: output_dir, rto_target_minutes, schedules, slo_targets, spike_top_n, stale_ledger_hours, time_zone, top_n, webhooks, weekly_reviews_since)"})
		}
	}

	if tz, ok, err := doc.str("time_zone"); err != nil {
		fail(err)
	} else if ok {
		if _, err := namedZone(tz); err != nil {
			fail(&fieldError{field: "time_zone", msg: err.Error()})
		} else {
			c.TimeZone = tz
		}
	}
	for _, f := range []struct {
		key string
		dst *int
	}{{"top_n", &c.TopN}, {"spike_top_n", &c.SpikeTopN}} {
		n, ok, err := doc.integer(f.key)
		switch {
		case err != nil:
			fail(err)
		case ok && (n < 1 || n > 100000):
			fail(&fieldError{field: f.key, msg: fmt.Sprintf("must be between 1 and 100000, got %d", n)})
		case ok:
			*f.dst = int(n)
		}
	}
	if m, ok, err := doc.num("rto_target_minutes"); err != nil {
		fail(err)
	} else if ok {
		if m < minDurationSetting || m > maxRTOTargetMinutes {
			// 1e12 became a negative duration: a signed report showed a
			// negative target and breaches; 1e-10 a target shown as 0
			// that every recovery breached (outside reviews).
			fail(&fieldError{field: "rto_target_minutes", msg: fmt.Sprintf("must be at least %v and at most %d (ten years), got %v", minDurationSetting, maxRTOTargetMinutes, m)})
		} else {
			c.RTOTargetMinutes = m
		}
	}
	if h, ok, err := doc.num("stale_ledger_hours"); err != nil {
		fail(err)
	} else if ok {
		if h < minDurationSetting || h > maxStaleLedgerHours {
			// 1e9, meant as "never", overflowed into a stale ledger at
			// once; 1e-10 made every ledger stale (outside reviews).
			fail(&fieldError{field: "stale_ledger_hours", msg: fmt.Sprintf("must be at least %v and at most %d (ten years), got %v", minDurationSetting, maxStaleLedgerHours, h)})
		} else {
			c.LedgerStaleHours = h
		}
	}
	if dir, ok, err := doc.str("output_dir"); err != nil {
		fail(err)
	} else if ok {
		if strings.TrimSpace(dir) == "" {
			fail(&fieldError{field: "output_dir", msg: "must not be empty"})
		} else if clean := filepath.Clean(dir); !filepath.IsAbs(clean) && (clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator))) {
			fail(&fieldError{field: "output_dir", msg: fmt.Sprintf("%q leaves the root: give a path inside it, or an absolute path", dir)})
		} else {
			c.OutputDir = dir
		}
	}
	if since, ok, err := doc.str("weekly_reviews_since"); err != nil {
		fail(err)
	} else if ok {
		if d, err := time.Parse(time.DateOnly, since); err != nil || d.Weekday() != time.Monday {
			fail(&fieldError{field: "weekly_reviews_since", msg: fmt.Sprintf("%q: want a Monday, YYYY-MM-DD", since)})
		} else if y := d.Year(); y < minYear || y >= maxYear {
			// 1026 for 2026 made every weekly job fail in the workbook,
			// naming neither the file nor the key (an outside review).
			fail(&fieldError{field: "weekly_reviews_since", msg: fmt.Sprintf("%q is outside the years %d–%d: no ledger is that old or that far ahead", since, minYear, maxYear-1)})
		} else {
			c.WeeklyReviewsSince = since
		}
	}
	if so, ok, err := doc.obj("slo_targets"); err != nil {
		fail(err)
	} else if ok {
		so = so.withDataKeys()
		for _, svc := range so.keys() {
			t, ok, err := so.num(svc)
			switch {
			case err != nil:
				fail(err)
			case strings.TrimSpace(svc) == "":
				fail(&fieldError{field: so.at(svc), msg: "service name must not be empty"})
			case !ok:
				// null: the service keeps the default target
			case !(t > 0 && t < 100):
				// 100 % leaves no error budget to consume; the budget
				// arithmetic would divide by zero.
				fail(&fieldError{field: so.at(svc), msg: fmt.Sprintf("must be a percentage above 0 and below 100, got %v", t)})
			default:
				c.SLOTargets[svc] = t
			}
		}
	}
	if err := mergeSchedules(doc, &c); err != nil {
		errs = append(errs, locateAll(err, path)...)
	}
	if hooks, err := parseWebhooks(doc); err != nil {
		errs = append(errs, locateAll(err, path)...)
	} else {
		c.Webhooks = hooks
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return c, nil
}

// mergeSchedules applies the file's schedules over c.Schedules.
func mergeSchedules(doc object, c *Config) error {
	explicitZone := make([]bool, len(c.Schedules))
	items, _, err := doc.arr("schedules")
	if err != nil {
		return err
	}
	var errs []error
	seen := map[string]int{}
	for i, raw := range items {
		at := fmt.Sprintf("schedules[%d]", i)
		so, err := decodeObject(raw, at)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		bad := false
		for _, k := range so.keys() {
			switch k {
			case "name", "spec", "time_zone", "enabled":
			default:
				errs = append(errs, &fieldError{field: so.at(k), msg: "unknown key (known: enabled, name, spec, time_zone)"})
				bad = true
			}
		}
		name, _, err := so.str("name")
		if err == nil && strings.TrimSpace(name) == "" {
			err = &fieldError{field: so.at("name"), msg: "missing or empty"}
		}
		if err == nil {
			if first, dup := seen[name]; dup {
				err = &fieldError{field: so.at("name"), msg: fmt.Sprintf("duplicate of schedules[%d] (%q)", first, name)}
			}
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		seen[name] = i
		idx := -1
		for j := range c.Schedules {
			if c.Schedules[j].Name == name {
				idx = j
			}
		}
		s := Schedule{Name: name, Enabled: true}
		if idx >= 0 {
			s = c.Schedules[idx]
		}
		zoneGiven := idx >= 0 && explicitZone[idx]
		if spec, ok, err := so.str("spec"); err != nil {
			errs = append(errs, err)
			bad = true
		} else if ok {
			s.Spec = spec
		}
		if s.Spec == "" && !bad {
			errs = append(errs, &fieldError{field: so.at("spec"), msg: "missing (a new schedule needs a cron spec)"})
			bad = true
		} else if _, err := cron.ParseStandard(s.Spec); err != nil && !bad {
			errs = append(errs, &fieldError{field: so.at("spec"), msg: fmt.Sprintf("invalid cron spec %q: %v", s.Spec, err)})
			bad = true
		}
		if tz, ok, err := so.str("time_zone"); err != nil {
			errs = append(errs, err)
			bad = true
		} else if ok {
			if _, err := namedZone(tz); err != nil {
				errs = append(errs, &fieldError{field: so.at("time_zone"), msg: err.Error()})
				bad = true
			}
			s.TimeZone, zoneGiven = tz, true
		}
		if on, ok, err := so.boolean("enabled"); err != nil {
			errs = append(errs, err)
			bad = true
		} else if ok {
			s.Enabled = on
		}
		if bad {
			continue
		}
		if idx >= 0 {
			c.Schedules[idx] = s
			explicitZone[idx] = zoneGiven
		} else {
			c.Schedules = append(c.Schedules, s)
			explicitZone = append(explicitZone, zoneGiven)
		}
	}
	for i := range c.Schedules {
		if !explicitZone[i] {
			c.Schedules[i].TimeZone = c.TimeZone
		}
	}
	return errors.Join(errs...)
}

// locateAll turns a joined error of field errors into located *Errors.
func locateAll(err error, path string) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, locate(e, path, 0))
		}
		return out
	}
	return []error{locate(err, path, 0)}
}

// loadZone loads an IANA time zone. "Local" is refused: a report must not
// depend on the host it runs on.
// namedZone is loadZone for a zone a file names: "" there is a typo or
// a value left out, not a choice of UTC.
func namedZone(name string) (*time.Location, error) {
	if strings.TrimSpace(name) == "" {
		return nil, errors.New(`must not be empty: name an IANA zone such as UTC or Europe/Berlin`)
	}
	return loadZone(name)
}

func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	if name == "Local" {
		return nil, errors.New(`"Local" depends on the host; name an IANA zone such as UTC or Europe/Berlin`)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: want an IANA name such as UTC or Europe/Berlin", name)
	}
	return loc, nil
}
