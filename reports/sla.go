package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// SLASchema is the value of SLA.Schema.
const SLASchema = "ledgerlens.sla/v1"

// SLA clock names: the three clocks of the SRE runbook, plus the service
// objectives the monthly report also judges.
const (
	ClockOperatorReview = "operator_review" // weekly review published within 4 business hours of its schedule
	ClockMakerChecker   = "maker_checker"   // baseline proposal approved within 1 business day
	ClockObservation    = "observation"     // SEV0/SEV1 exception acknowledged within 24 hours
	ClockSLO            = "slo"             // service uptime at or above its target for the month
	ClockRTO            = "rto"             // outage recovered within the RTO target
)

// Statuses of one clocked item.
const (
	ItemMet        = "met"         // done by its due time
	ItemLate       = "late"        // done after its due time: a breach
	ItemOverdue    = "overdue"     // not done and past its due time: a breach
	ItemPending    = "pending"     // not done, not yet due
	ItemNotTracked = "not_tracked" // due before the audit trail began: no record either way
)

// SLA is the monthly SLA report (docs/RULES.md, "Exit status" `report sla`): availability of
// every service against its SLO, the month's incidents, and the three SLA
// clocks of the SRE runbook with every breach. Like Weekly it is the single
// source of truth for its JSON and its workbook; field order is key order,
// slices are non-nil, unknown values are null.
//
// An item belongs to the month in which its clock runs out (its due time),
// so a report made after the month has ended can judge every item in it.
type SLA struct {
	Schema      string `json:"schema"`
	ReportID    string `json:"report_id"` // SLA_<YYYY-MM>
	Month       string `json:"month"`
	PeriodStart string `json:"period_start"`
	PeriodEnd   string `json:"period_end"`
	TimeZone    string `json:"time_zone"`
	Provenance
	Summary        SLASummary             `json:"summary"`
	Services       []ServiceReliability   `json:"services"`
	Incidents      []SLAIncident          `json:"incidents"`
	Clocks         []ClockSummary         `json:"clocks"`
	OperatorReview []ReviewClockItem      `json:"operator_review"`
	MakerChecker   []ApprovalClockItem    `json:"maker_checker"`
	Observation    []ObservationClockItem `json:"observation"`
	Breaches       []SLABreach            `json:"breaches"`
	Definitions    SLADefinitions         `json:"definitions"`
	Notes          []string               `json:"notes"`
}

// SLASummary holds the report's headline figures.
type SLASummary struct {
	Services           int64 `json:"services"`
	ServicesMeetingSLO int64 `json:"services_meeting_slo"`
	ServicesInFreeze   int64 `json:"services_in_freeze"`
	Incidents          int64 `json:"incidents"`
	RTOBreaches        int64 `json:"rto_breaches"`
	ClockItems         int64 `json:"clock_items"`
	ClockBreaches      int64 `json:"clock_breaches"`
	Breaches           int64 `json:"breaches"` // every entry of breaches: SLO, RTO and clock breaches
}

// SLAIncident is one incident overlapping the month, with its own detection,
// acknowledgement and recovery times (the services' MTTD / MTTA / MTTR are
// their means over incidents started in the month).
type SLAIncident struct {
	IncidentRow
	TTDMinutes *float64 `json:"ttd_minutes"`
	TTAMinutes *float64 `json:"tta_minutes"`
	TTRMinutes *float64 `json:"ttr_minutes"`
	RTOBreach  bool     `json:"rto_breach"`
}

// ClockSummary counts one clock's items by status.
type ClockSummary struct {
	Clock      string `json:"clock"`
	Target     string `json:"target"`
	EscalateTo string `json:"escalate_to"`
	Items      int64  `json:"items"`
	Met        int64  `json:"met"`
	Breached   int64  `json:"breached"` // late + overdue
	Pending    int64  `json:"pending"`
	NotTracked int64  `json:"not_tracked"`
}

// ReviewClockItem is one weekly review and its operator-review clock: the
// review of the week starting Week is scheduled (weekly-review schedule) at
// ScheduledAt and due 4 business hours later; PublishedAt is the audit
// log's first publish event of its revision 1.
type ReviewClockItem struct {
	Week         string   `json:"week"`
	Report       string   `json:"report"`
	ScheduledAt  string   `json:"scheduled_at"`
	DueAt        string   `json:"due_at"`
	PublishedAt  *string  `json:"published_at"`
	AuditSeq     *int64   `json:"audit_seq"`
	AuditHash    *string  `json:"audit_hash"`
	LateMinutes  *float64 `json:"late_minutes"`
	Status       string   `json:"status"`
	StatusDetail string   `json:"status_detail"`
}

// ApprovalClockItem is one baseline proposal and its maker-checker clock.
type ApprovalClockItem struct {
	ProposalID  string   `json:"proposal_id"`
	ScenarioID  string   `json:"scenario_id"`
	ProposedBy  string   `json:"proposed_by"`
	ProposedAt  string   `json:"proposed_at"`
	DueAt       string   `json:"due_at"`
	ApprovalID  *string  `json:"approval_id"`
	ApprovedBy  *string  `json:"approved_by"`
	ApprovedAt  *string  `json:"approved_at"`
	LateMinutes *float64 `json:"late_minutes"`
	Status      string   `json:"status"`
}

// ObservationClockItem is one SEV0/SEV1 run (recorded or recomputed) and its
// third-party observation clock: observed when a case naming the run was
// acknowledged.
type ObservationClockItem struct {
	RunID          string   `json:"run_id"`
	ScenarioID     string   `json:"scenario_id"`
	Severity       string   `json:"severity"`
	RunAt          string   `json:"run_at"`
	DueAt          string   `json:"due_at"`
	CaseID         *string  `json:"case_id"`
	AcknowledgedAt *string  `json:"acknowledged_at"`
	LateMinutes    *float64 `json:"late_minutes"`
	Status         string   `json:"status"`
}

// SLABreach is one breach: a clocked item late or overdue, a service below
// its SLO, or an outage over the RTO target. A breach is a finding; it is
// never cleared by later events, only reported with them.
type SLABreach struct {
	Clock      string `json:"clock"`
	Severity   string `json:"severity"`
	Ref        string `json:"ref"` // week, proposal, run, service or incident id
	Detail     string `json:"detail"`
	EscalateTo string `json:"escalate_to"`
}

// SLADefinitions states the rules the report applied, so it can be
// re-performed without this program.
type SLADefinitions struct {
	BusinessHours         string `json:"business_hours"`
	OperatorReview        string `json:"operator_review"`
	MakerChecker          string `json:"maker_checker"`
	Observation           string `json:"observation"`
	MonthAssignment       string `json:"month_assignment"`
	WeeklyReviewSchedule  string `json:"weekly_review_schedule"`
	ServiceLevelObjective string `json:"service_level_objective"`
}

// MarshalSLA renders the SLA report as deterministic JSON, like
// MarshalWeekly: two-space indent, no HTML escaping, final newline.
func MarshalSLA(s *SLA) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("render SLA report JSON: %w", err)
	}
	return b.Bytes(), nil
}
