package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// cut is where the cold job's ledger ends: the first complete line whose
// timestamp is in the focus week. Everything before it is the cold
// ledger; the rest (the focus week, later late arrivals and the partial
// last line) is what the warm job finds appended.
type cut struct {
	Offset int64 // byte offset of that line
	Line   int64 // its 1-based line number
}

// findCut scans the ledger for the first complete line whose timestamp is
// in [start, end).
func findCut(path string, start, end time.Time) (cut, error) {
	f, err := os.Open(path)
	if err != nil {
		return cut{}, err
	}
	defer f.Close()
	var found *cut
	err = eachLine(f, func(off, no int64, line []byte, complete bool) bool {
		if !complete {
			return false
		}
		ts, ok := lineTimestamp(line)
		if ok && !ts.Before(start) && ts.Before(end) {
			found = &cut{Offset: off, Line: no}
			return false
		}
		return true
	})
	if err != nil {
		return cut{}, fmt.Errorf("scan %s: %w", path, err)
	}
	if found == nil {
		return cut{}, fmt.Errorf("%s: no line with a timestamp in [%s, %s)", path,
			start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	return *found, nil
}

// eachLine calls fn for every line of r with its byte offset, 1-based line
// number and whether it ends in a newline (the line passed excludes the
// newline and is only valid during the call). fn returns false to stop.
func eachLine(r io.Reader, fn func(off, no int64, line []byte, complete bool) bool) error {
	br := bufio.NewReaderSize(r, 1<<20)
	var (
		off, no int64
		long    []byte // a line longer than the buffer, being assembled
	)
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, chunk...)
			continue
		}
		line := chunk
		if long != nil {
			line = append(long, chunk...)
			long = nil
		}
		if len(line) > 0 {
			no++
			complete := line[len(line)-1] == '\n'
			body := line
			if complete {
				body = line[:len(line)-1]
			}
			if !fn(off, no, body, complete) {
				return nil
			}
			off += int64(len(line))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// lineTimestamp finds the run's timestamp in a ledger line without a full
// JSON decode: the string value of the "Timestamp" (runbook spelling) or
// "timestamp" (snake_case) key, parsed as RFC 3339. The leading quote in
// the key keeps "deployment_timestamp" from matching.
func lineTimestamp(line []byte) (time.Time, bool) {
	for _, key := range [...]string{`"Timestamp"`, `"timestamp"`} {
		i := bytes.Index(line, []byte(key))
		if i < 0 {
			continue
		}
		rest := bytes.TrimLeft(line[i+len(key):], " \t")
		if len(rest) == 0 || rest[0] != ':' {
			continue
		}
		rest = bytes.TrimLeft(rest[1:], " \t")
		if len(rest) == 0 || rest[0] != '"' {
			continue
		}
		end := bytes.IndexByte(rest[1:], '"')
		if end < 0 {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, string(rest[1:1+end]))
		if err != nil {
			continue
		}
		return t, true
	}
	return time.Time{}, false
}

// newRoot makes dst a working root with the fixture's inputs and the first
// n bytes of its ledger. The read-only inputs (config, cases, incidents)
// are hard links to the cache (copies where linking fails); the ledger is
// always a copy, because the warm phase appends to it.
func newRoot(fx *fixture, dst string, n int64) error {
	ledger := filepath.Clean(fx.Ledger)
	err := filepath.WalkDir(fx.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(fx.Dir, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case path == ledger || rel == markerName || rel == "expected.json":
			return nil
		case !d.Type().IsRegular():
			return nil
		}
		if os.Link(path, target) == nil {
			return nil
		}
		return copyRange(path, target, 0, -1, os.O_CREATE|os.O_EXCL|os.O_WRONLY)
	})
	if err != nil {
		return fmt.Errorf("new working root %s: %w", dst, err)
	}
	if err := copyRange(fx.Ledger, ledgerOf(dst), 0, n, os.O_CREATE|os.O_EXCL|os.O_WRONLY); err != nil {
		return fmt.Errorf("new working root %s: %w", dst, err)
	}
	return nil
}

// appendRest appends the fixture ledger from byte from to the end onto the
// root's ledger, as a writer appending a week of runs would.
func appendRest(fx *fixture, root string, from int64) error {
	if err := copyRange(fx.Ledger, ledgerOf(root), from, -1, os.O_APPEND|os.O_WRONLY); err != nil {
		return fmt.Errorf("append to %s: %w", ledgerOf(root), err)
	}
	return nil
}

// copyRange copies n bytes (n < 0: to the end) of src starting at from into
// dst opened with flag.
func copyRange(src, dst string, from, n int64, flag int) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if _, err := in.Seek(from, io.SeekStart); err != nil {
		return err
	}
	var r io.Reader = in
	if n >= 0 {
		r = io.LimitReader(in, n)
	}
	out, err := os.OpenFile(dst, flag, 0o644)
	if err != nil {
		return err
	}
	copied, err := io.Copy(out, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && n >= 0 && copied != n {
		err = fmt.Errorf("copy %s: got %d of %d bytes", src, copied, n)
	}
	return err
}
