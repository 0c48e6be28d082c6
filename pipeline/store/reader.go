package store

import (
	"bytes"
	"context"
	"fmt"
	"io"
)

// read is the load's reader: it reads [state.covered, size) of the ledger
// in blocks that grow from firstReadBlockSize to readBlockSize, frames
// the complete lines of each and hands them out in ledger order
// (handOut), carrying the bytes after a block's last line feed over to
// the next. It must be the only goroutine that touches whole, chunks,
// covered and lines while it runs, and it closes tasks and ordered when it
// returns, whatever it returns. An unterminated tail that cannot be a
// line being written fails it (checkUnterminated).
func (ld *loader) read(gctx context.Context) error {
	defer close(ld.tasks)
	defer close(ld.ordered)
	pos := ld.state.covered
	var leftover []byte
	next := int64(firstReadBlockSize)
	for pos < ld.size {
		n := min(next, ld.size-pos)
		next = min(2*next, readBlockSize)
		buf, err := ld.readBlock(leftover, pos, n)
		if err != nil {
			return err
		}
		pos += n
		cut := bytes.LastIndexByte(buf, '\n')
		if cut < 0 {
			if err := checkUnterminated(buf, ld.lines+1, ld.covered); err != nil {
				return err
			}
			// A line longer than one block: read more, as much again
			// as is held, so a long line is copied a few times, not
			// once per block.
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
	ld.whole.Write(data)
	ld.chunks.Write(data)
	ld.covered += int64(len(data))
	ld.lines += b.lines
	if ld.s.Progress != nil {
		ld.s.Progress(ld.covered-ld.state.covered, ld.size-ld.state.covered)
	}
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
