// Package ledger parses run-ledger lines (docs/RULES.md, "Inputs"–2.2) into normalised
// records and says precisely why a line is rejected.
//
// It owns the mapping of both field spellings onto one record, the reject
// codes, and the flags a run carries besides its recorded ones (Flags). It
// must not read files, touch the store or decide policy: callers frame
// lines, record rejects and classify runs.
//
// Parsing is the ingest's hot loop (docs/ARCHITECTURE.md, "Performance"), so Parse has two decoders.
// encoding/json into wireRecord (slow.go) is the reference: it defines which
// lines are accepted and which reject code a bad line gets. A hand-written
// decoder (fast.go, keys.go) handles the lines it fully understands about
// ten times faster and with at most three allocations per line; on anything
// else it gives up and the reference decides. Both feed one normalise, and
// FuzzParseAgrees holds the fast decoder to the reference byte for byte.
// The strings of one Record share one backing allocation.
package ledger
