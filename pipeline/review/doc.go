// Package review computes the weekly credit review (docs/RULES.md, "Classification") from the
// store and the validated inputs, producing the report model that
// package reports renders.
//
// Set-based work (classification, grouping, joins with cases) runs as SQL
// in DuckDB, from the .sql files embedded beside this package; distribution
// statistics (PSI, failure-streak recovery, interval arithmetic for uptime)
// come from package stats. The sections run on two connections to the
// store at once where a week's runs are too few to keep the engine's
// threads busy, each when the sections it needs are done (lanes.go); a
// section's work in Go over a result it has read may finish in the
// background while its lane goes on (later), and must then leave the
// connection and the other sections' fields alone. The review's own
// tables live in an in-memory database attached to the store's engine,
// never in the store file. It must not write files, sign or publish, and
// must not read the wall clock: "now" and the period arrive as parameters,
// so the same inputs always give the same report.
package review
