// Package inputs loads and validates every ledgerlens input except the run
// ledger: the policy, the per-scenario baselines, case records, availability
// incidents and the optional ledgerlens configuration (docs/ARCHITECTURE.md, "Layout"; docs/RULES.md, "Inputs"), plus
// the Layout that places them under a working root, and how paths under it
// are read and named: only as regular files (OpenRegular, ReadRegular), and
// by where they are, links resolved (RealPath, Locations).
//
// Each loader reads its file whole, returns a typed value together with the
// file's size and SHA-256 (a FileInfo, for the report's inputs section), and
// refuses bad input with an *Error that names the file and the line (JSON
// Lines) or field path (JSON documents). Optional files that do not exist are
// not errors: the loaders return the documented default and a FileInfo whose
// Present method reports false.
//
// It must not read the ledger, touch the store, compute report figures or
// write anything except through Baselines.Marshal, which only renders bytes:
// the caller decides where and how atomically to write them.
package inputs
