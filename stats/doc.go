// Package stats holds the distribution statistics the review computes in
// Go: nearest-rank quantiles, the Population Stability Index, interval
// coverage for uptime and failure streaks for recovery times, and the
// report's rounding rule. The per-scenario figures (sums, means, medians,
// p95, the coefficient of variation) are computed in SQL by the review's
// queries (pipeline/review/sql), with the same definitions.
//
// The definitions are the ones in docs/RULES.md, chosen so that each figure
// can be re-performed with DuckDB (quantile_disc) or gonum (stat.Empirical).
// Quantiles are delegated to gonum so that there is one well-tested
// implementation, not a hand-rolled one per caller.
//
// Everything here is a pure function of its arguments: no I/O, no clock, no
// package-level state, no map iteration that could change a result, and no
// panics on bad input (empty or malformed input gives a documented neutral
// result instead). It must not know about runs, scenarios or files: callers
// in pipeline/ turn records into the plain numbers and times used here.
package stats
