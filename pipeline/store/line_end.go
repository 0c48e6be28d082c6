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

// LineEndError is the last bytes of a ledger that are not a line being
// written (inputs.UnfinishedLine says why: Why is one of the
// inputs.Unfinished constants). Nothing from Line on is loaded or
// rejected: the ingest fails, so that the job says so rather than publish
// a review without those lines, and the integrity check reports it. The
// caller names the ledger.
type LineEndError struct {
	Line   int64  // the first line without its line feed
	Offset int64  // that line's first byte
	At     int64  // the byte UnfinishedLine points at; 0 when too long
	Why    string // one of the inputs.Unfinished constants
}

func (e *LineEndError) Error() string {
	return fmt.Sprintf("line %d, byte %d on: %s; nothing from that line on is loaded or rejected until it is mended",
		e.Line, e.Offset, inputs.DescribeUnfinished(e.Why, e.At))
}

// checkUnterminated returns a *LineEndError when tail, the bytes after
// the last line feed read so far, line line from byte offset, cannot be a
// line being written (inputs.UnfinishedLine).
func checkUnterminated(tail []byte, line, offset int64) error {
	why, at := inputs.UnfinishedLine(tail)
	switch why {
	case "":
		return nil
	case inputs.UnfinishedTooLong: // no one byte is at fault
		return &LineEndError{Line: line, Offset: offset, Why: why}
	}
	return &LineEndError{Line: line, Offset: offset, At: offset + int64(at), Why: why}
}

// unterminatedTail is checkUnterminated of the ledger f of size bytes,
// whose first covered bytes (lines lines) the store holds, read as the
// ingest would read it, without loading: the bytes after its last line
// feed, and the line they begin. It reads the appended bytes once, and
// at most inputs.MaxLineBytes+2 of the tail, as the ingest's reader
// holds it (one byte past a line's carriage return: a tail whose byte at
// 16 MiB is a carriage return is still too long).
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
	tail := make([]byte, min(size-start, inputs.MaxLineBytes+2))
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
