package ledger

import (
	"unicode/utf16"
	"unicode/utf8"
)

// TextFault is text in JSON that a decoder would not keep as written.
type TextFault int

const (
	// TextOK: every string decodes as written.
	TextOK TextFault = iota
	// TextNotUTF8: bytes that are not UTF-8, which decode as U+FFFD.
	TextNotUTF8
	// TextUnpairedSurrogate: a \uD800–\uDFFF escape without its pair,
	// which decodes as U+FFFD.
	TextUnpairedSurrogate
	// TextNUL: a \u0000 escape, at which the store's side tables end
	// text (CodeNULInText).
	TextNUL
)

// FirstTextFault returns the offset and kind of the first fault in data,
// JSON text encoding/json accepted (one value or a whole document), or
// -1 and TextOK: bytes that are not UTF-8 and unpaired surrogate escapes,
// which decode as U+FFFD and so merge distinct ids (CodeInvalidUTF8),
// and, when nul is set, \u0000 escapes. The reference decoder asks it of
// each identifier's raw value; the files people keep by hand
// (pipeline/inputs) of their whole text.
func FirstTextFault(data []byte, nul bool) (int, TextFault) {
	for i := 0; i < len(data); {
		switch c := data[i]; {
		case c == '\\':
			// Valid JSON has a backslash only inside a string, where it
			// starts an escape.
			if i+1 >= len(data) || data[i+1] != 'u' {
				i += 2
				continue
			}
			at, r := i, hex4(data, i+2)
			i += 6
			switch {
			case r == 0 && nul:
				return at, TextNUL
			case utf16.IsSurrogate(r):
				r1 := rune(-1)
				if i+1 < len(data) && data[i] == '\\' && data[i+1] == 'u' {
					r1 = hex4(data, i+2)
				}
				if utf16.DecodeRune(r, r1) == utf8.RuneError {
					return at, TextUnpairedSurrogate
				}
				i += 6
			}
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				return i, TextNotUTF8
			}
			i += size
		}
	}
	return -1, TextOK
}
