// Package plaintext holds the one rule for text a person gives that
// ledgerlens records, signs and shows (a name, a reason, an identifier):
// it must show as itself on one line. A control character, a line or
// paragraph separator, an invisible formatting character (such as a
// bidirectional override) or the replacement character of bytes that
// were not UTF-8 does not.
//
// It only judges text. It must not clean or rewrite it: callers refuse
// what it rejects, so that a record says exactly what was given.
package plaintext
