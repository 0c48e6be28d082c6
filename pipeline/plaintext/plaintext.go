package plaintext

import (
	"fmt"
	"unicode"
)

// Hidden reports whether r does not show as itself on one line: a
// control character, U+2028 or U+2029, an invisible formatting character
// (Cf), U+FFFD, or a character that shows as blank though it is a letter
// or a symbol (the Hangul fillers, the blank braille pattern) or as
// nothing (the combining grapheme joiner).
func Hidden(r rune) bool {
	switch r {
	case '\u2028', '\u2029', unicode.ReplacementChar,
		'\u115f', '\u1160', '\u3164', '\uffa0', '\u2800', '\u034f':
		return true
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// joiner reports whether r is a zero-width joiner or non-joiner, which
// Persian and Indic names and emoji sequences hold between two
// characters that show.
func joiner(r rune) bool { return r == '\u200c' || r == '\u200d' }

// Check refuses text holding a rune Hidden reports (a joiner is accepted
// between two characters that show), or nothing that shows at all; what
// names the text in the error.
func Check(what, text string) error {
	runes := []rune(text)
	shows := false
	offset := 0
	for i, r := range runes {
		inside := i > 0 && i+1 < len(runes) && shows && !Hidden(runes[i+1]) && !unicode.IsSpace(runes[i+1]) && !unicode.IsSpace(runes[i-1])
		switch {
		case joiner(r) && inside:
		case Hidden(r):
			return fmt.Errorf("%s %q contains the character %U at byte %d, which does not show as itself: give plain text", what, text, r, offset)
		case !unicode.IsSpace(r) && !unicode.Is(unicode.Mn, r) && !unicode.Is(unicode.Me, r):
			shows = true
		}
		offset += len(string(r))
	}
	if !shows {
		return fmt.Errorf("%s %q shows nothing: give plain text", what, text)
	}
	return nil
}
