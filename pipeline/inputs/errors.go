package inputs

import (
	"strconv"
	"strings"
)

// Error is an input file that cannot be used, located as precisely as its
// format allows: the line for JSON Lines files and for JSON syntax errors,
// the field path (severity_policy.sev2.multiplier, baselines[3].median_credits)
// for values that parse but are invalid. It renders as
//
//	path:line: field: message
//
// leaving out whatever is unknown, so that an operator can go straight to
// the offending spot.
type Error struct {
	Path  string // the file, as given to the loader
	Line  int    // 1-based; 0 when not known
	Field string // JSON path of the offending value; "" when not known
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// fieldError is a problem with one value inside a JSON document, before the
// loader knows which file (and line) it came from.
type fieldError struct {
	field string
	msg   string
}

func (e *fieldError) Error() string {
	if e.field == "" {
		return e.msg
	}
	return e.field + ": " + e.msg
}

// locate turns err into an *Error for path and line, keeping the field path
// of a fieldError.
func locate(err error, path string, line int) *Error {
	if fe, ok := err.(*fieldError); ok {
		return &Error{Path: path, Line: line, Field: fe.field, Msg: fe.msg}
	}
	if ie, ok := err.(*Error); ok {
		return ie
	}
	return &Error{Path: path, Line: line, Msg: err.Error()}
}
