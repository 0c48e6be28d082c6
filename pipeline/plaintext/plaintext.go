package plaintext

import (
	"fmt"
	"unicode"
)

// Hidden reports whether r does not show as itself on one line: a
// control character, U+2028 or U+2029, an invisible formatting character
// (Cf), a variation selector, U+FFFD or U+FFFC, a private-use code point,
// a noncharacter, a code point of the specials block or plane 14 that no
// Unicode release the tables know assigns (they show as nothing), a
// character that shows as blank though it is a letter or a symbol (the
// Hangul fillers, the blank braille pattern, the Khmer inherent vowels)
// or the combining grapheme joiner. Code points a newer Unicode release
// assigns elsewhere (new emoji, new scripts) are not its to refuse.
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
	case r >= 0xfff0 && r <= 0xfff8, r >= 0xe0000 && r <= 0xeffff: // specials, plane 14
		return !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z)
	}
	return false
}

// joiner reports whether r is a zero-width joiner or non-joiner, which
// Persian and Indic names and emoji sequences hold between two
// characters that show.
func joiner(r rune) bool { return r == '\u200c' || r == '\u200d' }

// tag reports whether r is a tag character, which spells the flags of
// subdivisions after a black flag (U+1F3F4) and ends with U+E007F.
func tag(r rune) bool { return r >= 0xe0020 && r <= 0xe007f }

// Check refuses text holding a rune Hidden reports, or nothing that
// shows at all; what names the text in the error. Three are taken where
// they belong, as emoji and scripts use them: a variation selector after
// a character that shows (an emoji's presentation, a keycap, an
// ideographic or Mongolian variant); a joiner between two characters
// that show (a variation selector before it counts as the character it
// follows), not both ASCII ("b\u200cob" shows as "bob"); and tag
// characters after a black flag.
func Check(what, text string) error {
	runes := []rune(text)
	visible := func(r rune) bool { return r != 0 && !Hidden(r) && !unicode.IsSpace(r) }
	shows := false
	offset := 0
	var base rune // the last character that shows, before any selector
	for i, r := range runes {
		var prev, next rune
		if i > 0 {
			prev = runes[i-1]
		}
		if i+1 < len(runes) {
			next = runes[i+1]
		}
		selector := unicode.Is(unicode.Variation_Selector, r)
		switch {
		case selector && (visible(prev) || unicode.Is(unicode.Variation_Selector, prev)) && base != 0:
		case joiner(r) && base != 0 && (visible(prev) || unicode.Is(unicode.Variation_Selector, prev)) && visible(next) && (base > unicode.MaxASCII || next > unicode.MaxASCII):
			base = 0
		case tag(r) && (prev == '\U0001f3f4' || tag(prev)):
		case Hidden(r):
			return fmt.Errorf("%s %q contains the character %U at byte %d, which does not show as itself: give plain text", what, text, r, offset)
		case unicode.IsSpace(r):
			base = 0
		case !unicode.Is(unicode.Mn, r) && !unicode.Is(unicode.Me, r):
			shows, base = true, r
		}
		offset += len(string(r))
	}
	if !shows {
		return fmt.Errorf("%s %q shows nothing: give plain text", what, text)
	}
	return nil
}
