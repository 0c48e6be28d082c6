// Package plaintext holds the one rule for text a person gives that
// ledgerlens records, signs and shows (a name, a reason, an identifier):
// it must show as itself on one line, in any script. A control
// character, a line or paragraph separator, an invisible formatting
// character (such as a bidirectional override; a zero-width joiner or
// non-joiner only between two characters that show, as Persian and Indic
// names and emoji sequences hold them, a variation selector only after
// one, tag characters only after a black flag), a letter or symbol that
// shows as blank (the Hangul fillers), a private-use code point or the
// replacement character of bytes that were not UTF-8 does not; nor does
// text with nothing that shows. Letters of one script that look like
// another's, and a selector that changes nothing after a letter, are not
// its to judge.
//
// It only judges text. It must not clean or rewrite it: callers refuse
// what it rejects, so that a record says exactly what was given.
package plaintext
