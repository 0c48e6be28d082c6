package schedules

import (
	"fmt"
	"strings"
)

// SystemdUnits is a .service and .timer pair that runs one job under
// systemd, for hosts that prefer timers to cron or to `schedule run`.
type SystemdUnits struct {
	Name    string // unit name without suffix, e.g. "ledgerlens-weekly-review"
	Service string // content of Name + ".service"
	Timer   string // content of Name + ".timer"
}

// SystemdTimer renders spec as a systemd service and timer. OnCalendar
// carries the job's time zone, so — unlike cron — no host setting is
// involved. A cron schedule that restricts both day-of-month and
// day-of-week fires when either matches; systemd ANDs the components of
// one expression, so such a schedule becomes two OnCalendar lines.
//
// Persistent=true makes systemd start a run at boot when a fire time passed
// while the host was down — one run, however many fire times were missed,
// whereas `schedule run` runs each missed fire time.
func SystemdTimer(spec JobSpec, binary, root string) (SystemdUnits, error) {
	s, err := parseSpec(spec)
	if err != nil {
		return SystemdUnits{}, err
	}
	if err := checkPaths(binary, root); err != nil {
		return SystemdUnits{}, err
	}
	cmd, err := JobCommand(spec.Name)
	if err != nil {
		return SystemdUnits{}, err
	}
	name := "ledgerlens-" + spec.Name
	exec := []string{systemdQuote(binary)}
	exec = append(exec, cmd...)
	exec = append(exec, "--root", systemdQuote(root))

	var svc strings.Builder
	fmt.Fprintf(&svc, `[Unit]
Description=ledgerlens %s (%s)

[Service]
Type=oneshot
ExecStart=%s
# ledgerlens stops cleanly on SIGTERM (no partial files) and then exits
# 143 (130 on SIGINT): nothing was published, and nothing runs this unit
# again before its next timer run, so a stop is a failure, as 75 is
# (another job held the lock past --lock-timeout): a later timer run of a
# weekly or monthly report makes up only its own period, so the skipped
# one is published by hand (report weekly --week, report sla --month),
# or by starting this unit again. 1 (error), 3 (findings) and 4
# (integrity problem) are failures too.
KillSignal=SIGTERM
`, spec.Name, strings.Join(cmd, " "), strings.Join(exec, " "))

	var tmr strings.Builder
	fmt.Fprintf(&tmr, `[Unit]
Description=ledgerlens %s on %s

[Timer]
`, spec.Name, systemdEscape(fmt.Sprintf("%q in %s", spec.Spec, s.zone)))
	for _, cal := range s.onCalendar() {
		fmt.Fprintf(&tmr, "OnCalendar=%s\n", cal)
	}
	fmt.Fprintf(&tmr, `Persistent=true
Unit=%s.service

[Install]
WantedBy=timers.target
`, name)
	return SystemdUnits{Name: name, Service: svc.String(), Timer: tmr.String()}, nil
}

// onCalendar renders the schedule as systemd calendar expressions
// ("Mon *-*-* 10:00:00 Europe/Berlin"), from the parsed bit sets.
func (s *schedule) onCalendar() []string {
	const star = 1 << 63
	c := s.cron
	month := calField(c.Month, 1, 12, true)
	hour := calField(c.Hour, 0, 23, true)
	minute := calField(c.Minute, 0, 59, true)
	clock := fmt.Sprintf("%s:%s:00 %s", hour, minute, s.zone)
	domStar, dowStar := c.Dom&star != 0, c.Dow&star != 0
	dom := calField(c.Dom, 1, 31, domStar)
	dow := weekdays(c.Dow)
	switch {
	case domStar && dowStar:
		return []string{fmt.Sprintf("*-%s-* %s", month, clock)}
	case domStar:
		return []string{fmt.Sprintf("%s *-%s-* %s", dow, month, clock)}
	case dowStar:
		return []string{fmt.Sprintf("*-%s-%s %s", month, dom, clock)}
	default:
		// cron ORs restricted day fields; systemd ANDs, so split.
		return []string{
			fmt.Sprintf("*-%s-%s %s", month, dom, clock),
			fmt.Sprintf("%s *-%s-* %s", dow, month, clock),
		}
	}
}

// calField renders one numeric component: "*" when every value is set and
// starOK, else two-digit values and "a..b" ranges joined by commas.
func calField(bits uint64, lo, hi uint, starOK bool) string {
	vals := bitValues(bits, lo, hi)
	if starOK && len(vals) == int(hi-lo+1) {
		return "*"
	}
	return joinRuns(vals, "..", func(v uint) string { return fmt.Sprintf("%02d", v) })
}

// weekdays renders the day-of-week set with systemd's names.
func weekdays(bits uint64) string {
	names := [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	return joinRuns(bitValues(bits, 0, 6), "..", func(v uint) string { return names[v] })
}

// joinRuns joins sorted values with commas, collapsing runs of three or
// more into ranges written with sep ("-" for cron, ".." for systemd).
func joinRuns(vals []uint, sep string, format func(uint) string) string {
	var parts []string
	for i := 0; i < len(vals); {
		j := i
		for j+1 < len(vals) && vals[j+1] == vals[j]+1 {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, format(vals[i])+sep+format(vals[j]))
		case j-i == 1:
			parts = append(parts, format(vals[i]), format(vals[j]))
		default:
			parts = append(parts, format(vals[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// systemdQuote quotes an ExecStart argument when it holds anything but
// plainly safe characters, and escapes systemd's % specifiers and $
// variable expansion.
func systemdQuote(s string) string {
	if s == "" || strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:@+=,-") != "" {
		s = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	return systemdEscape(strings.ReplaceAll(s, "$", "$$"))
}

// systemdEscape escapes % specifiers, which systemd expands in most
// settings, including Description= and ExecStart=.
func systemdEscape(s string) string { return strings.ReplaceAll(s, "%", "%%") }
