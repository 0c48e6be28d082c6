// Package review computes the weekly credit review (docs/RULES.md, "Classification") from the
// store and the validated inputs, producing the report model that
// package reports renders.
//
// Set-based work (classification, grouping, joins with cases) runs as SQL
// in DuckDB, from the .sql files embedded beside this package; distribution
// statistics (PSI, failure-streak recovery, interval arithmetic for uptime)
// come from package stats. It must not write files, sign or publish, and
// must not read the wall clock: "now" and the period arrive as parameters,
// so the same inputs always give the same report.
package review
