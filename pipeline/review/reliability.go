package review

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/ledgerlens/ledgerlens/pipeline/businesstime"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/reports"
	"github.com/ledgerlens/ledgerlens/stats"
)

// reliability fills section 7: per service from incidents, per scenario
// from the ledger's failure streaks.
func (a *analysis) reliability() error {
	a.w.Reliability = reports.Reliability{
		Services:  a.services(),
		Incidents: a.incidentRows(),
	}
	scen, err := a.scenarioStreaks()
	if err != nil {
		return err
	}
	a.w.Reliability.Scenarios = scen
	return nil
}

func minutes(d time.Duration) float64 { return money(d.Minutes()) }

func minutesPtr(d time.Duration) *float64 {
	v := minutes(d)
	return &v
}

// monthWindow is the calendar month (in loc) holding the last instant
// before end: the error budget's month.
func monthWindow(end time.Time, loc *time.Location) (start, monthEnd time.Time) {
	last := end.Add(-time.Nanosecond).In(loc)
	return businesstime.Midnight(last.Year(), last.Month(), 1, loc), businesstime.Midnight(last.Year(), last.Month()+1, 1, loc)
}

func (a *analysis) services() []reports.ServiceReliability {
	return Services(a.in.Incidents, a.in.Config, a.p.Start, a.p.End, a.p.Loc)
}

// Services computes the per-service reliability of docs/RULES.md, "Reliability" for the window
// [start, end) (a review week, or a calendar month for the SLA report): the
// union of services in incidents and configured SLOs, sorted by name. The
// month-to-date figures and the error budget are those of the calendar
// month (in loc) holding the window's last instant.
func Services(incidents []inputs.Incident, cfg inputs.Config, start, end time.Time, loc *time.Location) []reports.ServiceReliability {
	byService := map[string][]inputs.Incident{}
	for _, inc := range incidents {
		byService[inc.Service] = append(byService[inc.Service], inc)
	}
	for svc := range cfg.SLOTargets {
		if _, ok := byService[svc]; !ok {
			byService[svc] = nil
		}
	}
	period := stats.Interval{Start: start, End: end}
	monthStart, monthEnd := monthWindow(end, loc)
	mtd := stats.Interval{Start: monthStart, End: end}
	rtoTarget := time.Duration(cfg.RTOTargetMinutes * float64(time.Minute))

	out := []reports.ServiceReliability{}
	for _, svc := range slices.Sorted(maps.Keys(byService)) {
		incs := byService[svc]
		target := cfg.SLOTarget(svc)
		var outages []stats.Interval
		var overlapping int64
		var ttd, tta, ttr, rto []time.Duration
		var rpo *float64
		var breaches []string
		for _, inc := range incs {
			if inc.Impact == inputs.ImpactOutage {
				openEnd := end
				if !inc.ResolvedAt.IsZero() {
					openEnd = inc.ResolvedAt
				}
				outages = append(outages, stats.Interval{Start: inc.StartedAt, End: openEnd})
			}
			if inc.StartedAt.Before(end) && (inc.ResolvedAt.IsZero() || inc.ResolvedAt.After(start)) {
				overlapping++
			}
			if inc.StartedAt.Before(start) || !inc.StartedAt.Before(end) {
				continue
			}
			if !inc.DetectedAt.IsZero() {
				ttd = append(ttd, inc.DetectedAt.Sub(inc.StartedAt))
			}
			if !inc.AcknowledgedAt.IsZero() {
				tta = append(tta, inc.AcknowledgedAt.Sub(inc.StartedAt))
			}
			if !inc.ResolvedAt.IsZero() {
				d := inc.ResolvedAt.Sub(inc.StartedAt)
				ttr = append(ttr, d)
				if inc.Impact == inputs.ImpactOutage {
					rto = append(rto, d)
					if d > rtoTarget {
						breaches = append(breaches, inc.ID)
					}
				}
			}
			if inc.DataLossSeconds != nil && (rpo == nil || *inc.DataLossSeconds > *rpo) {
				v := *inc.DataLossSeconds
				rpo = &v
			}
		}
		down := stats.Covered(outages, period)
		downMTD := stats.Covered(outages, mtd)
		budget := (1 - target/100) * monthEnd.Sub(monthStart).Minutes()
		s := reports.ServiceReliability{
			Service:            svc,
			UptimePct:          ratio(100 * (1 - down.Minutes()/period.Duration().Minutes())),
			UptimeMTDPct:       ratio(100 * (1 - downMTD.Minutes()/mtd.Duration().Minutes())),
			SLOTargetPct:       target,
			DowntimeMinutes:    minutes(down),
			DowntimeMTDMinutes: minutes(downMTD),
			ErrorBudgetMinutes: money(budget),
			Incidents:          overlapping,
			MTTDMinutes:        meanMinutes(ttd),
			MTTAMinutes:        meanMinutes(tta),
			MTTRMinutes:        meanMinutes(ttr),
			RTOTargetMinutes:   money(rtoTarget.Minutes()),
			RTOBreaches:        breaches,
			RPOSeconds:         rpo,
		}
		if budget > 0 {
			s.BudgetConsumedPct = ratio(downMTD.Minutes() / budget * 100)
			s.Freeze = downMTD.Minutes() > 1.1*budget
		}
		if s.RTOBreaches == nil {
			s.RTOBreaches = []string{}
		}
		sort.Strings(s.RTOBreaches)
		if len(rto) > 0 {
			q := durationQuantiles(rto)
			s.RTOP50Minutes, s.RTOP95Minutes, s.RTOMaxMinutes = minutesPtr(q[0]), minutesPtr(q[1]), minutesPtr(q[2])
		}
		out = append(out, s)
	}
	return out
}

// durationQuantiles returns the nearest-rank p50, p95 and max.
func durationQuantiles(ds []time.Duration) [3]time.Duration {
	x := make([]float64, len(ds))
	for i, d := range ds {
		x[i] = float64(d)
	}
	x = stats.Sorted(x)
	return [3]time.Duration{
		time.Duration(stats.Quantile(x, 0.5)),
		time.Duration(stats.Quantile(x, 0.95)),
		time.Duration(x[len(x)-1]),
	}
}

func meanMinutes(ds []time.Duration) *float64 {
	if len(ds) == 0 {
		return nil
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return minutesPtr(sum / time.Duration(len(ds)))
}

// incidentRows lists the incidents overlapping the period, by start time.
func (a *analysis) incidentRows() []reports.IncidentRow {
	return IncidentRows(a.in.Incidents, a.p.Start, a.p.End)
}

// IncidentRows lists the incidents overlapping [start, end), by start time
// then id.
func IncidentRows(incidents []inputs.Incident, start, end time.Time) []reports.IncidentRow {
	out := []reports.IncidentRow{}
	for _, inc := range incidents {
		if !inc.StartedAt.Before(end) || (!inc.ResolvedAt.IsZero() && !inc.ResolvedAt.After(start)) {
			continue
		}
		row := reports.IncidentRow{
			IncidentID:      inc.ID,
			Service:         inc.Service,
			Severity:        inc.Severity,
			Impact:          inc.Impact,
			StartedAt:       formatTime(inc.StartedAt),
			DetectedAt:      timeString(inc.DetectedAt),
			AcknowledgedAt:  timeString(inc.AcknowledgedAt),
			ResolvedAt:      timeString(inc.ResolvedAt),
			DataLossSeconds: inc.DataLossSeconds,
		}
		if !inc.ResolvedAt.IsZero() {
			row.DurationMinutes = minutesPtr(inc.ResolvedAt.Sub(inc.StartedAt))
		}
		out = append(out, row)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].StartedAt != out[j].StartedAt {
			return out[i].StartedAt < out[j].StartedAt
		}
		return out[i].IncidentID < out[j].IncidentID
	})
	return out
}

func timeString(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := formatTime(t)
	return &s
}

// scenarioStreaks computes failure-streak recovery per scenario
// (reliability.sql, stats.Streaks).
func (a *analysis) scenarioStreaks() ([]reports.ScenarioReliability, error) {
	// Read as Arrow batches: at ten million runs a week holds hundreds of
	// thousands of transitions, too many to box through database/sql.
	rdr, err := a.queryArrow("reliability", a.p.Start, a.p.End)
	if err != nil {
		return nil, err
	}
	defer rdr.Release()
	order, series, err := transitionsByScenario(rdr)
	if err != nil {
		return nil, err
	}
	out := []reports.ScenarioReliability{}
	periodMinutes := a.p.End.Sub(a.p.Start).Minutes()
	for k, id := range order {
		res := stats.Streaks(series[k], a.p.End)
		if res.Streaks == 0 {
			continue
		}
		s := reports.ScenarioReliability{
			ScenarioID:      id,
			FailureStreaks:  int64(res.Streaks),
			AvailabilityPct: ratio(100 * (1 - res.FailedTime.Minutes()/periodMinutes)),
		}
		if len(res.Recoveries) > 0 {
			q := durationQuantiles(res.Recoveries)
			s.RecoveryP50Minutes, s.RecoveryP95Minutes, s.RecoveryMaxMinutes = minutesPtr(q[0]), minutesPtr(q[1]), minutesPtr(q[2])
		}
		out = append(out, s)
	}
	return out, nil
}

// transitionsByScenario groups reliability.sql's rows by scenario: the
// scenarios in the order they first appear, and each one's transitions.
// A scenario id is copied out of its batch once, and only the copy is
// ever a map key: rdr frees each batch as it moves to the next, and Go
// stores the key given on every assignment to a map, an existing key
// included, so a key taken from a batch would be left pointing at freed
// memory (at ten million runs that dropped scenarios from the report now
// and then).
func transitionsByScenario(rdr array.RecordReader) ([]string, [][]stats.RunEvent, error) {
	index := map[string]int{}
	var order []string
	var series [][]stats.RunEvent
	for rdr.Next() {
		c := columns{query: "reliability", rec: rdr.Record()}
		ids, ts, statuses := c.strings(c.named("scenario_id")), c.timestamps(c.named("timestamp")), c.strings(c.named("status"))
		if c.err != nil {
			return nil, nil, c.err
		}
		for i := 0; i < int(c.rec.NumRows()); i++ {
			k, ok := index[ids.Value(i)] // a lookup only: the key aliases the batch
			if !ok {
				id := strings.Clone(ids.Value(i))
				k = len(order)
				index[id] = k
				order = append(order, id)
				series = append(series, nil)
			}
			series[k] = append(series[k], stats.RunEvent{At: microsUTC(ts, i), Status: nullString(statuses, i).String})
		}
	}
	if err := rdr.Err(); err != nil {
		return nil, nil, fmt.Errorf("reliability.sql: %w", err)
	}
	return order, series, nil
}
