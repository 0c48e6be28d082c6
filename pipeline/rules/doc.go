// Package rules states once each classification rule that more than one
// computation applies (docs/RULES.md): the severity of a run recomputed
// from its credits against its scenario's baseline, which severities are
// high (SEV0/SEV1), the order of severities, which runs are healthy, and
// the coefficient-of-variation threshold of a stable scenario.
//
// The SQL rules are DuckDB macros (sql/rules.sql) that Install defines on
// a connection; the review and the baseline checks call them instead of
// writing the rule again. The package must not query runs itself or know
// which report uses a rule.
package rules
