package plaintext

import (
	"strings"
	"testing"
)

// TestCheck: text a person gives is taken when it shows as itself, in any
// script, and refused when a character in it does not (a review found
// DEL and a line separator recorded, ordinary Persian names and emoji
// refused, and blank-looking letters taken).
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		text string
		bad  string // what the error names, "" when the text is plain
	}{
		{"INC-42: credits corrected by finance, ticket FIN-7", ""},
		{"Zoë Ångström, 財務, o'brien", ""},
		{"می\u200cخواهم", ""},    // Persian: a non-joiner inside a word
		{"क्\u200dष", ""},        // Devanagari: a joiner inside a word
		{"👩\u200d💻 on call", ""}, // an emoji sequence
		{"a\u2028b", "U+2028"},
		{"a\u2029b", "U+2029"},
		{"a\x7fb", "U+007F"},
		{"a\nb", "U+000A"},
		{"\x1b[2Kgone", "U+001B"},
		{"ops\u202eteg", "U+202E"},
		{"zero\u200bwidth", "U+200B"},
		{"bad \ufffd byte", "U+FFFD"},
		{"\u200dalice", "U+200D"},                     // a joiner with nothing before it
		{"alice\u200c", "U+200C"},                     // nor after it
		{"al\u3164ice", "U+3164"},                     // a Hangul filler, blank
		{"\u2800", "U+2800"},                          // the blank braille pattern
		{"a\u034fb", "U+034F"},                        // the combining grapheme joiner
		{"b\u200co\u200cb", "U+200C"},                 // Latin letters: shows as "bob"
		{"❤\ufe0f ops", ""},                           // after a symbol: an emoji's presentation
		{"1\ufe0f\u20e3 ‼\ufe0f ℹ\ufe0f ↔\ufe0f", ""}, // keycaps and text-default emoji
		{"🏳\ufe0f\u200d🌈 ❤\ufe0f\u200d🔥 🏋\ufe0f\u200d♀\ufe0f", ""}, // a selector before a joiner
		{"葛\U000e0100", ""}, // an ideographic variant
		{"🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", ""}, // a subdivision flag
		{"🫩 \u20c1", ""},              // newer than the tables
		{"\ufe0fbob", "U+FE0F"},       // a selector with nothing before it
		{"bob \U000e0067", "U+E0067"}, // a tag without its flag
		{"bob\u17b4", "U+17B4"},       // an invisible Khmer vowel
		{"\U000e0080", "U+E0080"},     // unassigned
		{"\ufff0", "U+FFF0"},          // unassigned
		{"a\ufdd0", "U+FDD0"},         // a noncharacter
		{"\ue000", "U+E000"},          // private use
		{"a\ufffc", "U+FFFC"},         // the object replacement character
		{"   ", "shows nothing"},
		{"\u0301", "shows nothing"}, // a combining mark alone
	} {
		err := Check("--by", tc.text)
		switch {
		case tc.bad == "" && err != nil:
			t.Errorf("%q refused: %v", tc.text, err)
		case tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad) || !strings.Contains(err.Error(), "--by")):
			t.Errorf("%q: %v, want it refused naming %s and the flag", tc.text, err, tc.bad)
		}
	}
}
