// Package reports owns what ledgerlens publishes: the report model (the one
// source of truth for every figure), its deterministic JSON rendering, the
// analyst workbook, Ed25519 signing keys and signatures, SHA-256 sidecars,
// write-once publication and offline verification of all of these, and the
// names published files go by: Name writes them and ParseName, its
// inverse, is the one reader of them.
//
// It must not query the store or compute analytics: it renders and protects
// numbers that pipeline/review already computed.
package reports
