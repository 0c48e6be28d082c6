package plaintext

import (
	"fmt"
	"unicode"
)

// Hidden reports whether r does not show as itself on one line: a
// control character, U+2028 or U+2029, an invisible formatting character
// (Cf), a variation selector, U+FFFD or U+FFFC, a private-use or
// unassigned code point or a noncharacter (they show as nothing, or as
// whatever a font makes of them), a character that shows as blank though
// it is a letter or a symbol (the Hangul fillers, the blank braille
// pattern, the Khmer inherent vowels) or the combining grapheme joiner.
func Hidden(r rune) bool {
	switch r {
	case '\u2028', '\u2029', unicode.ReplacementChar, '\ufffc',
		'\u115f', '\u1160', '\u3164', '\uffa0', '\u2800', '\u034f', '\u17b4', '\u17b5':
		return true
	}
	switch {
	case unicode.IsControl(r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Co, r), unicode.Is(unicode.Variation_Selector, r):
		return true
	case r&0xfffe == 0xfffe, r >= 0xfdd0 && r <= 0xfdef: // noncharacters
		return true
	}
	return !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z) // unassigned
}

// joiner reports whether r is a zero-width joiner or non-joiner, which
// Persian and Indic names and emoji sequences hold between two
// characters that show.
func joiner(r rune) bool { return r == '\u200c' || r == '\u200d' }

// Check refuses text holding a rune Hidden reports, or nothing that
// shows at all; what names the text in the error. Two are taken where
// they belong: a joiner between two characters that show, not both
// ASCII ("b\u200cob" shows as "bob"), and a variation selector after a
// symbol (an emoji's presentation).
func Check(what, text string) error {
	runes := []rune(text)
	shows := false
	offset := 0
	for i, r := range runes {
		var prev, next rune
		if i > 0 {
			prev = runes[i-1]
		}
		if i+1 < len(runes) {
			next = runes[i+1]
		}
		visible := func(r rune) bool { return r != 0 && !Hidden(r) && !unicode.IsSpace(r) }
		switch {
		case joiner(r) && shows && visible(prev) && visible(next) && (prev > unicode.MaxASCII || next > unicode.MaxASCII):
		case unicode.Is(unicode.Variation_Selector, r) && unicode.Is(unicode.So, prev):
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
