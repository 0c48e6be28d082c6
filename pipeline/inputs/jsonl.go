package inputs

import (
	"bytes"
	"encoding/json"
)

const utf8BOM = "\xEF\xBB\xBF"

// Tail describes the last line of a JSON Lines input that has no trailing
// newline. Such a line is never dropped silently: it is either loaded (a
// complete JSON object, the common result of hand-editing) or counted as a
// write in progress; either way it is listed in the report's data_quality.
type Tail struct {
	Line   int   // 1-based line number; 0 when the file ends with a newline
	Bytes  int64 // size of the line
	Loaded bool  // a complete JSON object, passed on like any other line
}

// eachLine calls fn with every complete, non-blank line of a JSON Lines file
// and its 1-based line number (blank lines count towards the numbering).
// A trailing "\r" and a UTF-8 byte-order mark on the first line are removed.
//
// Bytes after the last newline are a line without its newline. When they
// are one complete JSON object they are passed to fn like any other line
// (a hand-edited file often lacks the final newline); otherwise they are a
// line still being written, as with the ledger, and not passed on. Either
// way the returned Tail says so. A tail of only whitespace counts as
// nothing. A tail that is not one JSON object and cannot be a line being
// written either (UnfinishedLine) refuses the file with an *Error naming
// path and the tail's line, as the ledger's stops its ingest
// (docs/RULES.md, "Inputs").
func eachLine(path string, data []byte, fn func(n int, line []byte) error) (Tail, error) {
	n := 0
	size := len(data)
	for len(data) > 0 {
		off := size - len(data) // the line's first byte in the file
		i := bytes.IndexByte(data, '\n')
		last := i < 0
		if last {
			i = len(data)
		}
		n++
		raw := data[:i]
		line := bytes.TrimSuffix(raw, []byte{'\r'})
		if last {
			data = nil
		} else {
			data = data[i+1:]
		}
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte(utf8BOM))
		}
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) == 0 {
			continue
		}
		if last {
			tail := Tail{Line: n, Bytes: int64(len(raw))}
			if trimmed[0] != '{' || !json.Valid(trimmed) {
				if why, at := UnfinishedLine(raw); why != "" {
					return Tail{}, &Error{Path: path, Line: n, Msg: DescribeUnfinished(why, int64(off+at))}
				}
				return tail, nil
			}
			tail.Loaded = true
			return tail, fn(n, line)
		}
		if err := fn(n, line); err != nil {
			return Tail{}, err
		}
	}
	return Tail{}, nil
}
