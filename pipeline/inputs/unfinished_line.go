package inputs

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// MaxLineBytes is the longest line a JSON Lines input may hold. A record
// is a few hundred bytes; past this, bytes without a line feed are not a
// line being written, and a reader would otherwise hold all of them in
// memory looking for the end (docs/RULES.md, "Inputs").
const MaxLineBytes = 16 << 20

// Why the last bytes of a JSON Lines input, after its last line feed,
// cannot be a line still being written (UnfinishedLine).
const (
	// UnfinishedCR: a carriage return with more text after it, which is
	// lines that end in a carriage return alone.
	UnfinishedCR = "carriage_return"
	// UnfinishedNUL: a NUL byte, which no JSON line holds (a crash can
	// leave the end of a file filled with zeros).
	UnfinishedNUL = "nul"
	// UnfinishedJoined: a whole JSON object followed by the start of
	// another, which is records written without line ends between them.
	UnfinishedJoined = "joined"
	// UnfinishedTooLong: more than MaxLineBytes without a line feed.
	UnfinishedTooLong = "too_long"
)

// UnfinishedLine is the one rule for the last bytes of a JSON Lines input,
// tail, the bytes after its last line feed: it says why they cannot be a
// line still being written (one of the Unfinished constants), and at
// which of tail's bytes, or "" when they can be one. A carriage return as
// tail's last byte may be the first half of CR LF, and a whole record
// alone may be a line whose line feed is still to come; anything else
// after a whole value (a number, text, a stray byte) makes a line that is
// a reject once its line feed comes, and is left to come. The ledger's
// reader (store) and eachLine both hold a file's last bytes to it.
func UnfinishedLine(tail []byte) (why string, at int) {
	cr := bytes.IndexByte(tail, '\r')
	if cr == len(tail)-1 {
		cr = -1
	}
	nul := bytes.IndexByte(tail, 0)
	switch {
	case cr >= 0 && (nul < 0 || cr < nul):
		return UnfinishedCR, cr
	case nul >= 0:
		return UnfinishedNUL, nul
	}
	if at, ok := joinedRecords(tail); ok {
		return UnfinishedJoined, at
	}
	if len(bytes.TrimSuffix(tail, []byte{'\r'})) > MaxLineBytes {
		return UnfinishedTooLong, 0
	}
	return "", 0
}

// DescribeUnfinished says what UnfinishedLine found, why, at the file's
// byte at (not used for UnfinishedTooLong).
func DescribeUnfinished(why string, at int64) string {
	switch why {
	case UnfinishedCR:
		return fmt.Sprintf("a carriage return at byte %d with more text after it and no line feed: lines that end in a carriage return alone are not JSON lines (LF or CR LF; a line feed appended after them alone makes them one invalid line)", at)
	case UnfinishedNUL:
		return fmt.Sprintf("a NUL byte at byte %d and no line feed: no JSON line holds one (a crash can leave the end of a file filled with zeros)", at)
	case UnfinishedJoined:
		return fmt.Sprintf("a whole JSON record, then more text at byte %d and no line feed: records written without line ends between them", at)
	}
	return fmt.Sprintf("more than %d MiB without a line feed, more than a line may hold", MaxLineBytes>>20)
}

// joinedRecords reports whether b begins with a whole JSON object
// followed by the start of another (white space between), and where that
// one begins.
func joinedRecords(b []byte) (at int, ok bool) {
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
