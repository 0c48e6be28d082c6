package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// read is the load's reader: it reads [state.covered, size) of the ledger
// in blocks that grow from firstReadBlockSize to readBlockSize, frames
// the complete lines of each and hands them out in ledger order
// (handOut), carrying the bytes after a block's last line feed over to
// the next. It must be the only goroutine that touches whole, chunks,
// covered and lines while it runs, and it closes tasks and ordered when it
// returns, whatever it returns. An unterminated tail that cannot be a
// line being written fails it (checkUnterminated); a line longer than
// inputs.MaxLineBytes is not held whole (skipLongLine).
func (ld *loader) read(gctx context.Context) error {
	defer close(ld.tasks)
	defer close(ld.ordered)
	pos := ld.state.covered
	var leftover []byte
	next := int64(firstReadBlockSize)
	for pos < ld.size {
		// leftover, the start of a line, and what is read after it hold
		// at most two bytes more than a line may (one past a line's
		// carriage return): a longer line is known as such wherever its
		// line feed falls.
		n := min(next, ld.size-pos, int64(inputs.MaxLineBytes+2-len(leftover)))
		next = min(2*next, readBlockSize)
		buf, err := ld.readBlock(leftover, pos, n)
		if err != nil {
			return err
		}
		pos += n
		cut := bytes.LastIndexByte(buf, '\n')
		if cut < 0 && len(bytes.TrimSuffix(buf, []byte{'\r'})) > inputs.MaxLineBytes {
			if buf, err = ld.skipLongLine(gctx, buf, &pos); err != nil {
				return err
			}
			cut = bytes.LastIndexByte(buf, '\n')
		}
		if cut < 0 {
			// A line longer than one block: read more, as much again
			// as is held, so a long line is copied a few times, not
			// once per block. Whether it can be a line being written is
			// judged at the ledger's end, not here: a line feed may
			// still come in the bytes after it.
			leftover = buf
			next = max(next, int64(len(leftover)))
			continue
		}
		data := buf[:cut+1]
		leftover = bytes.Clone(buf[cut+1:])
		if err := ld.handOut(gctx, data); err != nil {
			return err
		}
	}
	// Whatever follows the last newline is a write in progress: neither
	// loaded nor rejected until it is complete (docs/RULES.md, "Inputs"),
	// unless it cannot be one.
	return checkUnterminated(leftover, ld.lines+1, ld.covered)
}

// skipLongLine takes in a line longer than a record may be
// (inputs.MaxLineBytes), whose first bytes, head, the reader has read and
// which holds no line feed, with *pos the ledger offset after head. Its
// bytes are hashed as they are read — into the file's SHA-256, the chunk
// digests and the line's own SHA-256 — never held whole, and once its line
// feed comes the line is handed out as one reject (ledger.CodeLineTooLong),
// its first bytes kept as its text (rejectText). It returns the bytes read
// after that line feed. A line feed never coming before the ledger's end,
// the line cannot be one being written either: checkUnterminated of its
// first bytes says why (a carriage return, a NUL, joined records, or only
// its length). Judged block by block instead, a line of 20 MiB that had
// its line feed was loaded or refused as its 4 MiB blocks fell, and the
// ingest and the verifiers disagreed on it (an outside review).
func (ld *loader) skipLongLine(gctx context.Context, head []byte, pos *int64) ([]byte, error) {
	line, offset := ld.lines+1, ld.covered
	// head's buffer is no worker's and is not read into again.
	first := head[:min(len(head), inputs.MaxLineBytes+2)]
	sum := sha256.New()
	take := func(b []byte) {
		ld.cover(b)
		sum.Write(b)
	}
	take(head)
	n := int64(len(head))
	for *pos < ld.size {
		buf, err := ld.readBlock(nil, *pos, min(readBlockSize, ld.size-*pos))
		if err != nil {
			return nil, err
		}
		*pos += int64(len(buf))
		cut := bytes.IndexByte(buf, '\n')
		if cut < 0 {
			take(buf)
			n += int64(len(buf))
			continue
		}
		take(buf[:cut]) // the line's SHA-256 is of the line without its line feed
		ld.cover(buf[cut : cut+1])
		n += int64(cut)
		rej := lineTooLong(n)
		out := make(chan parsed, 1)
		out <- parsed{lines: 1, rejects: []rejectRow{{
			lineNo: line, offset: offset, code: rej.Code, reason: rej.Error(),
			sha: hex.EncodeToString(sum.Sum(nil)),
			raw: rejectText(first),
		}}}
		ld.advance(n+1, 1)
		select {
		case ld.ordered <- out:
		case <-gctx.Done():
			return nil, gctx.Err()
		}
		return bytes.Clone(buf[cut+1:]), nil
	}
	// first is longer than a line may be, so checkUnterminated always
	// has a reason; should it have none, the line is still refused, for
	// nothing of it may be covered, and its bytes were hashed.
	if err := checkUnterminated(first, line, offset); err != nil {
		return nil, err
	}
	return nil, &LineEndError{Line: line, Offset: offset, Why: inputs.UnfinishedTooLong}
}

// readBlock returns leftover followed by the n ledger bytes at pos, in a
// buffer a worker gave back when one is free and large enough, else in a
// new one. Fewer than n bytes is ErrLedgerChanged: the ledger was
// truncated since the ingest began.
func (ld *loader) readBlock(leftover []byte, pos, n int64) ([]byte, error) {
	need := len(leftover) + int(n)
	var buf []byte
	select {
	case b := <-ld.free:
		if cap(b) >= need {
			buf = b[:need]
		}
	default:
	}
	if buf == nil {
		buf = make([]byte, need)
	}
	copy(buf, leftover)
	got, err := ld.f.ReadAt(buf[len(leftover):], pos)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read ledger at %d: %w", pos, err)
	}
	if int64(got) < n {
		// What lies past got is the buffer's earlier contents,
		// not the ledger's.
		return nil, fmt.Errorf("read ledger at %d: %d of %d bytes (it held %d bytes when the ingest began; truncated since): %w",
			pos, got, n, ld.size, ErrLedgerChanged)
	}
	return buf, nil
}

// handOut makes data, complete lines just read, the next block: it hashes
// them into the whole-file SHA-256 and the chunk digests, counts them
// covered, reports progress, and hands the block to the workers and its
// outcome's channel to the collector, in that order. data is handed on,
// not copied: the reader must not write to it again until a worker gives
// its buffer back.
func (ld *loader) handOut(gctx context.Context, data []byte) error {
	b := block{data: data, offset: ld.covered, line: ld.lines + 1, lines: int64(bytes.Count(data, []byte{'\n'}))}
	ld.cover(data)
	ld.advance(int64(len(data)), b.lines)
	out := make(chan parsed, 1)
	select {
	case ld.tasks <- parseTask{b, out}:
	case <-gctx.Done():
		return gctx.Err()
	}
	select {
	case ld.ordered <- out:
	case <-gctx.Done():
		return gctx.Err()
	}
	return nil
}

// cover hashes b, bytes the load covers, into the whole-file SHA-256 and
// the chunk digests, in ledger order.
func (ld *loader) cover(b []byte) {
	ld.whole.Write(b)
	ld.chunks.Write(b)
}

// advance counts n bytes and lines lines more covered, and reports the
// load's progress.
func (ld *loader) advance(n, lines int64) {
	ld.covered += n
	ld.lines += lines
	if ld.s.Progress != nil {
		ld.s.Progress(ld.covered-ld.state.covered, ld.size-ld.state.covered)
	}
}
