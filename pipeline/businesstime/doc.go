// Package businesstime is the business-time arithmetic every SLA clock
// counts in: business hours (Monday–Friday, 09:00–17:00 in the configured
// zone) for the operator-review clock, business days for the
// maker-checker clock (docs/COMPLIANCE.md, "The monthly SLA report").
//
// It owns only the arithmetic: which clocks exist, and what starts and
// stops them, belong to slareport, review and baselines. It reads no clock.
package businesstime
