package rules

import "strings"

// StableCV is the coefficient of variation below which a scenario's
// credits are stable enough for a baseline (docs/RULES.md, "Baseline
// candidates"). The review passes it to baseline_candidates.sql; the
// baseline update note states it.
const StableCV = 0.3

// StatusSep joins healthy statuses for the ll_healthy macro: a character
// no status contains.
const StatusSep = "\x1f"

// HealthyStatuses is the policy's healthy_run_statuses as the ll_healthy
// macro takes them: one string, the statuses joined by U+001F.
func HealthyStatuses(statuses []string) string { return strings.Join(statuses, StatusSep) }
