package plaintext

import (
	"fmt"
	"unicode"
)

// Hidden reports whether r does not show as itself on one line: a
// control character, U+2028 or U+2029, an invisible formatting character
// (Cf) or U+FFFD.
func Hidden(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' || r == unicode.ReplacementChar
}

// Check refuses text holding a rune Hidden reports; what names the text
// in the error.
func Check(what, text string) error {
	for i, r := range text {
		if Hidden(r) {
			return fmt.Errorf("%s %q contains the character %U at byte %d, which does not show as itself: give plain text", what, text, r, i)
		}
	}
	return nil
}
