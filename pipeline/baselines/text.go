package baselines

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/ledgerlens/ledgerlens/pipeline/plaintext"
)

// CheckID refuses an identifier (scenario id, proposal id) that could not
// be written into a record, a note or a terminal as one plain line: empty,
// or holding a control character, a line or paragraph separator or an
// invisible formatting character (such as a bidirectional override). what
// names the identifier in the error.
func CheckID(what, id string) error {
	if strings.TrimSpace(id) == "" {
		return fmt.Errorf("empty %s", what)
	}
	for i, r := range id {
		if plaintext.Hidden(r) {
			return fmt.Errorf("%s %q contains the control character %U at byte %d: ids are refused, not cleaned", what, id, r, i)
		}
	}
	return nil
}

// mdInline renders free text (a name, an id, a line of rationale) as one
// line of Markdown that shows exactly that text: control and formatting
// characters become visible \u escapes, so no text can start a new line of
// the note, and the characters Markdown reads as markup (emphasis, code,
// links, HTML, tables, headings) are backslash-escaped, so no text can
// format itself as one of the note's own fields.
func mdInline(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case plaintext.Hidden(r) && r > 0xffff:
			fmt.Fprintf(&b, `\U%08X`, r) // \u takes four digits only
		case plaintext.Hidden(r):
			fmt.Fprintf(&b, `\u%04X`, r)
		case strings.ContainsRune("\\`*_{}[]()<>#+!|~&", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdWord is mdInline for identifiers: letters, digits and "-_.:" are
// common in ids and shown as they are (an underscore inside a word is not
// emphasis in Markdown); everything else is escaped as mdInline does.
func mdWord(s string) string {
	plain := true
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_.:", r)) {
			plain = false
			break
		}
	}
	if plain && !strings.HasPrefix(s, "_") && !strings.HasSuffix(s, "_") {
		return s
	}
	return mdInline(s)
}
