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
// nothing. A tail that is not one JSON object and holds a carriage return
// followed by more text, or a whole record followed by more
// (JoinedRecords), is neither: lines that end in a carriage return alone,
// or records without line ends between them, which refuse the file with
// an *Error naming path and the tail's line, as the ledger's stop its
// ingest (docs/RULES.md, "Inputs").
func eachLine(path string, data []byte, fn func(n int, line []byte) error) (Tail, error) {
	n := 0
	for len(data) > 0 {
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
				if bytes.IndexByte(line, '\r') >= 0 {
					return Tail{}, &Error{Path: path, Line: n, Msg: "a carriage return without a line feed, followed by more text: lines that end in a carriage return alone are not JSON lines (LF or CR LF)"}
				}
				if _, joined := JoinedRecords(trimmed); joined {
					return Tail{}, &Error{Path: path, Line: n, Msg: "a whole JSON record followed by more text and no line feed: records written without line ends between them"}
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

// JoinedRecords reports whether b begins with a whole JSON object
// followed by the start of another (white space between), and where that
// one begins: records written without line ends between them, which are
// not one line being written. Anything else after a whole value (a
// number, text, a stray byte) makes a line that is a reject once its line
// feed comes, and is left to come. The ledger's reader (store) and
// eachLine both hold a file's last bytes to it.
func JoinedRecords(b []byte) (at int, ok bool) {
	lead := bytes.TrimLeft(b, " \t")
	if len(lead) == 0 || lead[0] != '{' {
		return 0, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var v json.RawMessage
	if dec.Decode(&v) != nil {
		return 0, false
	}
	rest := bytes.TrimLeft(b[dec.InputOffset():], " \t\r\n")
	if len(rest) == 0 || rest[0] != '{' {
		return 0, false
	}
	return len(b) - len(rest), true
}
