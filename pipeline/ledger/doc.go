// Package ledger parses run-ledger lines (SPEC §2.1–2.2) into normalised
// records and says precisely why a line is rejected.
//
// It owns the mapping of both field spellings onto one record and the reject
// codes. It must not read files, touch the store or decide policy: callers
// frame lines, record rejects and classify runs.
package ledger
