package plaintext

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		text string
		bad  string // the rune named, "" when the text is plain
	}{
		{"INC-42: credits corrected by finance, ticket FIN-7", ""},
		{"Zoë Ångström, 財務", ""},
		{"a\u2028b", "U+2028"},
		{"a\u2029b", "U+2029"},
		{"a\x7fb", "U+007F"},
		{"a\nb", "U+000A"},
		{"\x1b[2Kgone", "U+001B"},
		{"ops\u202eteg", "U+202E"},
		{"zero\u200bwidth", "U+200B"},
		{"bad \ufffd byte", "U+FFFD"},
	} {
		err := Check("--reason", tc.text)
		switch {
		case tc.bad == "" && err != nil:
			t.Errorf("%q refused: %v", tc.text, err)
		case tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad) || !strings.Contains(err.Error(), "--reason")):
			t.Errorf("%q: %v, want it refused naming %s and the flag", tc.text, err, tc.bad)
		}
	}
}
