package reports

// indentJSON appends src to dst indented exactly as json.Indent(dst, src,
// "", "  ") would, for src as encoding/json writes it: one value with no
// space between its tokens, then (optionally) trailing whitespace, which
// is kept. It reports false, with dst as it was, for anything else — space
// between tokens, unbalanced or mismatched brackets, an unterminated
// string, a raw control character in a string, a byte that cannot start a
// token — and the caller then indents with json.Indent, which says what is
// wrong.
//
// It exists because json.Indent runs every byte through encoding/json's
// validating scanner, a state machine called once per byte: about 11 ns a
// byte here, 0.9 s for the 79 MB report of ten million runs, on the path
// between the analysis and the signatures. This walks the same bytes with
// a switch and copies strings and literals in runs.
//
// It does not check what only a decoder needs to (the grammar of numbers,
// the spelling of true, false and null, the letters after a backslash):
// its input was produced by encoding/json. TestIndentJSONIsJSONIndent and
// FuzzIndentJSON hold it to json.Indent.
func indentJSON(dst, src []byte) ([]byte, bool) {
	orig := len(dst)
	var open []byte // the brackets not yet closed, innermost last
	needIndent := false
	ended := false // the top-level value is complete
	for i := 0; i < len(src); {
		c := src[i]
		if ended {
			if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
				return dst[:orig], false
			}
			dst = append(dst, c)
			i++
			continue
		}
		// json.Indent delays the line break after an opening bracket so
		// that an empty object or array stays {} or [].
		if needIndent && c != '}' && c != ']' {
			needIndent = false
			dst = appendIndentedLine(dst, len(open))
		}
		switch c {
		case '"':
			end := stringEnd(src, i+1)
			if end < 0 {
				return dst[:orig], false
			}
			dst = append(dst, src[i:end]...)
			i = end
			ended = len(open) == 0
			continue
		case '{', '[':
			open = append(open, c)
			needIndent = true
			dst = append(dst, c)
		case '}', ']':
			want := byte('{')
			if c == ']' {
				want = '['
			}
			if len(open) == 0 || open[len(open)-1] != want {
				return dst[:orig], false
			}
			open = open[:len(open)-1]
			if needIndent {
				needIndent = false
			} else {
				dst = appendIndentedLine(dst, len(open))
			}
			dst = append(dst, c)
			ended = len(open) == 0
		case ',':
			if len(open) == 0 {
				return dst[:orig], false
			}
			dst = append(dst, ',')
			dst = appendIndentedLine(dst, len(open))
		case ':':
			if len(open) == 0 || open[len(open)-1] != '{' {
				return dst[:orig], false
			}
			dst = append(dst, ':', ' ')
		default:
			end := i
			for end < len(src) && isLiteralByte(src[end]) {
				end++
			}
			if end == i {
				return dst[:orig], false
			}
			dst = append(dst, src[i:end]...)
			i = end
			ended = len(open) == 0
			continue
		}
		i++
	}
	if !ended {
		return dst[:orig], false
	}
	return dst, true
}

// stringEnd is the index just past the quote that closes the string whose
// contents start at src[from], or -1 if it is not closed or holds a raw
// control character (which encoding/json always escapes).
func stringEnd(src []byte, from int) int {
	for i := from; i < len(src); i++ {
		switch c := src[i]; {
		case c == '"':
			return i + 1
		case c == '\\':
			i++ // the escaped byte, whatever it is
		case c < 0x20:
			return -1
		}
	}
	return -1
}

// appendIndentedLine starts a new line indented by depth levels of two
// spaces, as json.Indent with an empty prefix does.
func appendIndentedLine(dst []byte, depth int) []byte {
	dst = append(dst, '\n')
	for range depth {
		dst = append(dst, ' ', ' ')
	}
	return dst
}

// isLiteralByte reports whether c may be part of a number, true, false or
// null (their spelling is not checked).
func isLiteralByte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || c == '-' || c == '+' || c == '.' || c == 'E'
}
