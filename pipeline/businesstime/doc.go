// Package businesstime is the business-time arithmetic every SLA clock
// counts in: business hours (Monday–Friday, 09:00–17:00 in the configured
// zone) for the operator-review clock, business days for the
// maker-checker clock (docs/COMPLIANCE.md, "The monthly SLA report").
//
// It also owns when a calendar day begins in a zone (Midnight), where
// every day, week and month the reports and the evidence cover begins.
//
// It owns only the arithmetic: which clocks exist, and what starts and
// stops them, belong to slareport, review and baselines. It reads no clock.
package businesstime
