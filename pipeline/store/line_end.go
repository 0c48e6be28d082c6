package store

import (
	"bytes"
	"fmt"
)

// MaxLineBytes is the longest line the ledger may hold. A run record is a
// few hundred bytes; past this, bytes without a line feed are not a line
// being written but a ledger whose line ends are not line feeds, or no
// ledger at all, and the reader would otherwise hold all of them in memory
// looking for the end (docs/RULES.md, "Inputs").
const MaxLineBytes = 16 << 20

// LineEndError is the last bytes of a ledger that are not a line being
// written: they hold a carriage return followed by more text, which is
// lines that end in a carriage return alone, or they run past MaxLineBytes
// without a line feed. Nothing from Line on is loaded or rejected: the
// ingest fails, so that the job says so rather than publish a review
// without those lines. The caller names the ledger.
type LineEndError struct {
	Line   int64 // the first line without its line feed
	Offset int64 // that line's first byte
	Bytes  int64 // how many bytes without a line feed were read from there
	// CarriageReturn is set when a carriage return is followed by more
	// text; otherwise the bytes ran past MaxLineBytes.
	CarriageReturn bool
}

func (e *LineEndError) Error() string {
	if e.CarriageReturn {
		return fmt.Sprintf("line %d, byte %d on: a carriage return without a line feed, followed by %d more bytes and no line feed: lines that end in a carriage return alone are not JSON lines (LF or CR LF); nothing from that line on is loaded until its lines end in LF",
			e.Line, e.Offset, e.Bytes)
	}
	return fmt.Sprintf("line %d, byte %d on: %d bytes without a line feed, more than a line may hold (%d MiB): not a line being written; nothing from that line on is loaded until it ends",
		e.Line, e.Offset, e.Bytes, MaxLineBytes>>20)
}

// checkUnterminated returns a *LineEndError when tail, the bytes after
// the last line feed read so far, cannot be a line being written: a
// carriage return with more text after it, or more than MaxLineBytes.
// A carriage return as tail's last byte may be the first half of CR LF.
func checkUnterminated(tail []byte, line, offset int64) error {
	if i := bytes.IndexByte(tail, '\r'); i >= 0 && i < len(tail)-1 {
		return &LineEndError{Line: line, Offset: offset, Bytes: int64(len(tail) - i - 1), CarriageReturn: true}
	}
	if len(tail) > MaxLineBytes {
		return &LineEndError{Line: line, Offset: offset, Bytes: int64(len(tail))}
	}
	return nil
}
