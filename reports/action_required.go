package reports

// Kinds of action item that are not policy-violation types (those keep the
// violation's type as their kind).
const (
	ActionSLOFreeze       = "slo_freeze"
	ActionLedgerStale     = "ledger_stale"
	ActionNoRuns          = "no_runs"
	ActionLateArrival     = "late_arrival"
	ActionOverdueApproval = "overdue_approval"
	ActionUnpublishedWeek = "unpublished_week"
)

// Weighed reports whether the item counts on its own for `--fail-on`,
// beside the policy violations: an error-budget freeze, a week without
// runs, late arrivals, an overdue approval, an unpublished earlier week.
// The other items come from a policy violation (their kind is its type),
// which counts already.
func (it ActionRequiredItem) Weighed() bool {
	switch it.Kind {
	case ActionSLOFreeze, ActionNoRuns, ActionLateArrival, ActionOverdueApproval, ActionUnpublishedWeek:
		return true
	}
	return false
}

// ActionRequiredItem is one row of action_required: one thing that needs
// a person this week (a SEV0/SEV1 finding, an error-budget freeze,
// significant drift, a modified or stale ledger, a week without runs, runs
// that arrived after their week was published, an overdue approval, an
// earlier week with no published review).
type ActionRequiredItem struct {
	// Severity orders the list, SEV0 first.
	Severity string `json:"severity"`
	// Kind is the policy-violation type the item comes from, or one of the
	// Action* kinds.
	Kind string `json:"kind"`
	// Subject is what the item is about: a case id, else a run id, else a
	// scenario, service or week; "ledger" for the ledger as a whole.
	Subject string `json:"subject"`
	// Text is the item as one line for people.
	Text string `json:"text"`
	// Ref is a JSON pointer (RFC 6901) to the entry of this report that
	// holds the detail, such as /policy_violations/3 or
	// /reliability/services/0.
	Ref string `json:"ref"`
}
