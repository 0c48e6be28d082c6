package audit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// Problem names what broke the chain at an entry.
type Problem string

// The problems Verify reports, in the order an entry is checked.
const (
	// ProblemIncomplete: the last line has no trailing newline (a torn write
	// or a truncated file).
	ProblemIncomplete Problem = "incomplete_line"
	// ProblemBadJSON: the line is not a JSON object with well-formed
	// reserved keys.
	ProblemBadJSON Problem = "bad_json"
	// ProblemSeqGap: seq is not the previous entry's + 1 (an entry was
	// deleted, inserted, duplicated or moved).
	ProblemSeqGap Problem = "seq_gap"
	// ProblemPrevMismatch: prev is not the previous entry's hash.
	ProblemPrevMismatch Problem = "prev_mismatch"
	// ProblemHashMismatch: hash does not match the entry's content (the
	// entry was edited).
	ProblemHashMismatch Problem = "hash_mismatch"
	// ProblemNotCanonical: the line is not its entry's canonical JSON, the
	// bytes the log writes and the Merkle leaf is taken from: the same
	// entry spelled another way (escapes, spaces, key order) would verify
	// while a byte-level check of the line, or a grep, saw something else.
	ProblemNotCanonical Problem = "not_canonical"
)

// Break is the first entry at which the chain does not verify.
type Break struct {
	Line    int64 // 1-based line number (position in a segment)
	Seq     int64 // the seq recorded on the line; 0 when unreadable
	Problem Problem
	Detail  string
}

// Error describes the break, naming line and seq.
func (b *Break) Error() string {
	if b.Seq > 0 {
		return fmt.Sprintf("audit chain broken at line %d (seq %d): %s: %s", b.Line, b.Seq, b.Problem, b.Detail)
	}
	return fmt.Sprintf("audit chain broken at line %d: %s: %s", b.Line, b.Problem, b.Detail)
}

// Result is the outcome of walking a log or segment.
type Result struct {
	Entries  int64  // entries that verified before the first break (all, if intact)
	HeadSeq  int64  // seq of the last verified entry; 0 if none
	HeadHash string // hash of the last verified entry; the expected prev (ZeroHash for a log) if none
	Broken   *Break // nil when the chain is intact
}

// OK reports whether the chain is intact.
func (r Result) OK() bool { return r.Broken == nil }

// Err returns the break as an error (nil when intact).
func (r Result) Err() error {
	if r.Broken == nil {
		return nil
	}
	return r.Broken
}

// checker walks entries in order.
type checker struct {
	res     Result
	nextSeq int64 // 0: take the first entry's seq (segments)
}

// check verifies e as the entry at line, returning false at the first break.
// An entry without its line (a segment's) has no spelling to check.
func (c *checker) check(line int64, e Entry) bool {
	got, err := e.ComputeHash()
	return c.checkHashed(line, e, got, err, true)
}

// checkHashed is check with the entry's hash already computed (got, or the
// error computing it); canonical says whether the line read is the entry's
// canonical JSON, as the log writes it and the Merkle leaf is made of.
func (c *checker) checkHashed(line int64, e Entry, got string, hashErr error, canonical bool) bool {
	brk := func(p Problem, format string, args ...any) bool {
		c.res.Broken = &Break{Line: line, Seq: e.Seq, Problem: p, Detail: fmt.Sprintf(format, args...)}
		return false
	}
	if c.nextSeq != 0 && e.Seq != c.nextSeq {
		return brk(ProblemSeqGap, "seq %d, expected %d (an entry is missing, duplicated or out of order)", e.Seq, c.nextSeq)
	}
	if e.Prev != c.res.HeadHash {
		return brk(ProblemPrevMismatch, "prev %s, but the previous entry's hash is %s", e.Prev, c.res.HeadHash)
	}
	if hashErr != nil {
		return brk(ProblemBadJSON, "%v", hashErr)
	}
	if got != e.Hash {
		return brk(ProblemHashMismatch, "recorded %s, content hashes to %s (the entry was modified)", e.Hash, got)
	}
	if !canonical {
		return brk(ProblemNotCanonical, "the line is not its entry's canonical JSON: the log writes each entry in one spelling, so this line was rewritten")
	}
	c.res.Entries++
	c.res.HeadSeq, c.res.HeadHash = e.Seq, e.Hash
	c.nextSeq = e.Seq + 1
	return true
}

// Verify walks a whole log from its first line and returns the first broken
// entry in Result.Broken. The error is only for failing to read r: a broken
// chain is a result, not an error (see Result.Err). An empty log is valid.
//
// Verify cannot see lines removed from the end of the log; compare
// Result.HeadSeq/HeadHash with a head recorded elsewhere (the
// audit_head_at_start of signed reports) to detect that.
func Verify(r io.Reader) (Result, error) {
	return walk(r, nil)
}

// walk is Verify, calling each (when set) with every entry that verified
// and its leaf data (LeafData), in order; an error from each stops the
// walk and is returned. Each line is decoded once and its canonical JSON
// built once for both the hash and the leaf: every job verifies the whole
// log when it starts, a cost that grows with the log's history.
func walk(r io.Reader, each func(e Entry, leaf []byte) error) (Result, error) {
	return walkFrom(r, checker{res: Result{HeadHash: ZeroHash}, nextSeq: 1}, each)
}

// walkFrom is walk over the lines that follow the c.res.Entries entries c
// has verified already (their lines numbered from 1).
func walkFrom(r io.Reader, c checker, each func(e Entry, leaf []byte) error) (Result, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	for line := c.res.Entries + 1; ; line++ {
		raw, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return c.res, fmt.Errorf("read audit log line %d: %w", line, err)
		}
		if len(raw) == 0 { // clean end of file
			return c.res, nil
		}
		if raw[len(raw)-1] != '\n' {
			c.res.Broken = &Break{Line: line, Problem: ProblemIncomplete,
				Detail: fmt.Sprintf("last line (%d bytes) has no trailing newline (torn write or truncated file)", len(raw))}
			if e, perr := ParseEntry(raw); perr == nil {
				c.res.Broken.Seq = e.Seq
			}
			return c.res, nil
		}
		e, perr := ParseEntry(raw)
		if perr != nil {
			c.res.Broken = &Break{Line: line, Problem: ProblemBadJSON, Detail: perr.Error()}
			return c.res, nil
		}
		got, leaf, herr := e.parsedDigests()
		canonical := bytes.Equal(leaf, bytes.TrimSuffix(raw, []byte("\n")))
		if !c.checkHashed(line, e, got, herr, canonical) {
			return c.res, nil
		}
		if each != nil {
			if err := each(e, leaf); err != nil {
				return c.res, err
			}
		}
	}
}

// VerifyFile verifies the log at path. A missing file is a valid empty log.
func VerifyFile(path string) (Result, error) {
	f, err := inputs.OpenRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Result{HeadHash: ZeroHash}, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("verify audit log: %w", err)
	}
	defer f.Close()
	res, err := Verify(f)
	if err != nil {
		return res, fmt.Errorf("verify audit log %s: %w", path, err)
	}
	return res, nil
}

// VerifySegment verifies a contiguous slice of a log, as shipped in an
// evidence export: the first entry must chain from expectedPrev (the hash of
// the entry just before the segment, ZeroHash if it starts the log), and
// each following entry from the one before it with seq + 1. Break.Line is
// the 1-based position in entries. An empty segment is valid, with head
// expectedPrev.
func VerifySegment(entries []Entry, expectedPrev string) Result {
	c := checker{res: Result{HeadHash: expectedPrev}}
	for i, e := range entries {
		if i == 0 && expectedPrev == ZeroHash && e.Seq != 1 {
			c.res.Broken = &Break{Line: 1, Seq: e.Seq, Problem: ProblemSeqGap,
				Detail: fmt.Sprintf("seq %d, expected 1 for a segment that starts the log", e.Seq)}
			return c.res
		}
		if !c.check(int64(i+1), e) {
			return c.res
		}
	}
	return c.res
}

// ReadEntries parses every line of a log without checking the chain, for
// exporting a segment. It fails on the first unparsable line, naming it.
func ReadEntries(r io.Reader) ([]Entry, error) {
	var out []Entry
	br := bufio.NewReaderSize(r, 64<<10)
	for line := 1; ; line++ {
		raw, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("read audit log line %d: %w", line, err)
		}
		if len(raw) == 0 {
			return out, nil
		}
		if raw[len(raw)-1] != '\n' {
			return nil, fmt.Errorf("audit log line %d: no trailing newline (torn write or truncated file)", line)
		}
		e, perr := ParseEntry(raw)
		if perr != nil {
			return nil, fmt.Errorf("audit log line %d: %w", line, perr)
		}
		out = append(out, e)
	}
}
