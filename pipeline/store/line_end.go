package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// MaxLineBytes is the longest line the ledger may hold. A run record is a
// few hundred bytes; past this, bytes without a line feed are not a line
// being written but a ledger whose line ends are not line feeds, or no
// ledger at all, and the reader would otherwise hold all of them in memory
// looking for the end (docs/RULES.md, "Inputs").
const MaxLineBytes = 16 << 20

// Why the last bytes of a ledger cannot be a line being written.
const (
	// LineEndCR: a carriage return with more text after it, which is
	// lines that end in a carriage return alone.
	LineEndCR = "carriage_return"
	// LineEndNUL: a NUL byte, which no JSON line holds (a crash can leave
	// the end of a file filled with zeros).
	LineEndNUL = "nul"
	// LineEndJoined: a whole JSON value with more text after it, which
	// is records written without line ends between them.
	LineEndJoined = "joined"
	// LineEndTooLong: more than MaxLineBytes without a line feed.
	LineEndTooLong = "too_long"
)

// LineEndError is the last bytes of a ledger that are not a line being
// written (LineEndCR, LineEndNUL, LineEndJoined, LineEndTooLong). Nothing from Line on is
// loaded or rejected: the ingest fails, so that the job says so rather
// than publish a review without those lines, and the integrity check
// reports it. The caller names the ledger.
type LineEndError struct {
	Line   int64  // the first line without its line feed
	Offset int64  // that line's first byte
	At     int64  // the carriage return's, NUL's or the text's after a whole value
	Why    string // LineEndCR, LineEndNUL, LineEndJoined or LineEndTooLong
}

func (e *LineEndError) Error() string {
	switch e.Why {
	case LineEndCR:
		return fmt.Sprintf("line %d, byte %d on: a carriage return at byte %d with more text after it and no line feed: lines that end in a carriage return alone are not JSON lines (LF or CR LF); nothing from that line on is loaded until their line ends are line feeds (one appended after them would make them one rejected line)",
			e.Line, e.Offset, e.At)
	case LineEndNUL:
		return fmt.Sprintf("line %d, byte %d on: a NUL byte at byte %d and no line feed: not a line being written (no JSON line holds a NUL; a crash can leave the end of a file filled with zeros); nothing from that line on is loaded until those bytes are removed",
			e.Line, e.Offset, e.At)
	case LineEndJoined:
		return fmt.Sprintf("line %d, byte %d on: a whole JSON record, then more text at byte %d and no line feed: records written without line ends between them, not a line being written; nothing from that line on is loaded until each ends in a line feed",
			e.Line, e.Offset, e.At)
	}
	return fmt.Sprintf("line %d, byte %d on: more than %d MiB without a line feed, more than a line may hold: not a line being written; nothing from that line on is loaded",
		e.Line, e.Offset, MaxLineBytes>>20)
}

// checkUnterminated returns a *LineEndError when tail, the bytes after
// the last line feed read so far, line line from byte offset, cannot be a
// line being written: a carriage return with more text after it, a NUL,
// a whole JSON value with more text after it, or more than MaxLineBytes.
// A carriage return as tail's last byte may be the first half of CR LF;
// a whole value alone may be a line whose line feed is still to come.
func checkUnterminated(tail []byte, line, offset int64) error {
	cr := bytes.IndexByte(tail, '\r')
	if cr == len(tail)-1 {
		cr = -1
	}
	nul := bytes.IndexByte(tail, 0)
	switch {
	case cr >= 0 && (nul < 0 || cr < nul):
		return &LineEndError{Line: line, Offset: offset, At: offset + int64(cr), Why: LineEndCR}
	case nul >= 0:
		return &LineEndError{Line: line, Offset: offset, At: offset + int64(nul), Why: LineEndNUL}
	}
	if at, ok := inputs.JoinedRecords(tail); ok {
		return &LineEndError{Line: line, Offset: offset, At: offset + int64(at), Why: LineEndJoined}
	}
	switch {
	case len(bytes.TrimSuffix(tail, []byte{'\r'})) > MaxLineBytes: // a last CR may be half of CR LF
		return &LineEndError{Line: line, Offset: offset, Why: LineEndTooLong}
	}
	return nil
}

// unterminatedTail is checkUnterminated of the ledger f of size bytes,
// whose first covered bytes (lines lines) the store holds, read as the
// ingest would read it, without loading: the bytes after its last line
// feed, and the line they begin. It reads the appended bytes once, and
// at most MaxLineBytes+1 of the tail.
func unterminatedTail(ctx context.Context, f *os.File, covered, lines, size int64) (*LineEndError, error) {
	buf := make([]byte, 1<<20)
	readAt := func(b []byte, off int64) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if n, err := f.ReadAt(b, off); n < len(b) {
			if err == nil || errors.Is(err, io.EOF) {
				err = fmt.Errorf("read ledger at %d: %d of %d bytes: %w", off, n, len(b), ErrLedgerChanged)
			}
			return err
		}
		return nil
	}
	// The line the tail begins: the line feeds of the appended bytes.
	start := covered
	for off := covered; off < size; {
		b := buf[:min(int64(len(buf)), size-off)]
		if err := readAt(b, off); err != nil {
			return nil, err
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			lines += int64(bytes.Count(b, []byte{'\n'}))
			start = off + int64(i) + 1
		}
		off += int64(len(b))
	}
	if start >= size {
		return nil, nil
	}
	tail := make([]byte, min(size-start, MaxLineBytes+1))
	if err := readAt(tail, start); err != nil {
		return nil, err
	}
	var le *LineEndError
	if err := checkUnterminated(tail, lines+1, start); errors.As(err, &le) {
		return le, nil
	}
	return nil, nil
}

// Problem is e as the integrity check lists it, for the ledger named
// ledger: the ingest, and so every job, stops on those bytes.
func (e *LineEndError) Problem(ledger string) string {
	return fmt.Sprintf("ledger %s: %v: every job stops on it (exit 1)", ledger, e)
}
