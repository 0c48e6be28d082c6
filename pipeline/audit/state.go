package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// ErrCheckpoint marks a log that is shorter than, or inconsistent with, a
// signed checkpoint of it: entries after the checkpoint's size were cut,
// or entries it covers were changed.
var ErrCheckpoint = errors.New("audit log does not match a signed checkpoint")

// State is a whole log, read and verified: its entries up to the first
// break of the chain, the chain's result, and the Merkle tree over the
// verified entries.
type State struct {
	Path    string
	Exists  bool
	Entries []Entry
	Chain   Result
	Tree    *Tree
	// verified are the bytes of the verified entries' lines, for Extend.
	verified []byte
}

// Load reads and verifies the log at path. A missing file is an empty log
// with Exists false: whether that is acceptable depends on what else is
// known (a checkpoint, a report, an ingested store).
func Load(path string) (*State, error) {
	s := &State{Path: path}
	data, err := inputs.ReadRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return NoLog(path), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	s.Exists = true
	s.Tree = &Tree{}
	if err := s.extend(data, 0, checker{res: Result{HeadHash: ZeroHash}, nextSeq: 1}); err != nil {
		return nil, err
	}
	return s, nil
}

// NoLog is the state of a log at path that holds nothing: not there,
// or, for a check that goes on past it, not a file to read.
func NoLog(path string) *State {
	return &State{Path: path, Chain: Result{HeadHash: ZeroHash}, Tree: &Tree{}}
}

// extend verifies the lines of data from byte from on, which follow the
// entries c has verified, appending each verified entry to s.
func (s *State) extend(data []byte, from int, c checker) error {
	end := from
	res, err := walkFrom(bytes.NewReader(data[from:]), c, func(e Entry, leaf []byte) error {
		end += bytes.IndexByte(data[end:], '\n') + 1
		s.Entries = append(s.Entries, e)
		return s.Tree.appendLeaf(e.Seq, leaf)
	})
	if err != nil {
		return fmt.Errorf("verify audit log %s: %w", s.Path, err)
	}
	s.Chain, s.verified = res, data[:end]
	return nil
}

// Extend reads and verifies the log at s.Path again, as Load does, for a
// reader that loaded it as s earlier in the same process: a job loads the
// log when it starts and again to sign its closing checkpoint. When the
// file still begins with the very bytes s verified, only the lines after
// them are decoded and checked; otherwise — the file was rewritten or cut,
// or s holds a break — the whole log is loaded again. s is not changed.
func (s *State) Extend() (*State, error) {
	if !s.Exists || !s.Chain.OK() {
		return Load(s.Path)
	}
	data, err := inputs.ReadRegular(s.Path)
	if err != nil || len(data) < len(s.verified) || !bytes.Equal(data[:len(s.verified)], s.verified) {
		return Load(s.Path)
	}
	n := &State{Path: s.Path, Exists: true, Entries: slices.Clone(s.Entries), Tree: s.Tree.clone()}
	if err := n.extend(data, len(s.verified), checker{res: s.Chain, nextSeq: s.Chain.HeadSeq + 1}); err != nil {
		return nil, err
	}
	return n, nil
}

// Bytes is the lines of the verified entries, as read. Callers must not
// change it.
func (s *State) Bytes() []byte { return s.verified }

// Size is the number of verified entries.
func (s *State) Size() int64 { return s.Tree.Size() }

// CheckpointError says which checkpoint the log fails and how.
type CheckpointError struct {
	Source     string // where the checkpoint came from: a file and line, a report
	Checkpoint Checkpoint
	Detail     string
}

func (e *CheckpointError) Error() string {
	return fmt.Sprintf("audit log fails %s (from %s): %s", e.Checkpoint, e.Source, e.Detail)
}

// Is makes errors.Is(err, ErrCheckpoint) true.
func (e *CheckpointError) Is(target error) bool { return target == ErrCheckpoint }

// Check verifies that the log contains, as a prefix, the log the
// checkpoint describes: at least its size in verified entries, and the
// same Merkle root over that many. src names the checkpoint in the error.
func (s *State) Check(src string, c Checkpoint) error {
	fail := func(format string, args ...any) error {
		return &CheckpointError{Source: src, Checkpoint: c, Detail: fmt.Sprintf(format, args...)}
	}
	if c.Size > s.Size() {
		switch {
		case !s.Exists:
			return fail("the log file does not exist; the checkpoint says it had %d entries", c.Size)
		case !s.Chain.OK() && s.Chain.Entries < c.Size:
			return fail("only %d entries verify (%v); the checkpoint covers %d", s.Size(), s.Chain.Err(), c.Size)
		default:
			return fail("the log has %d entries, fewer than the %d the checkpoint covers: it was truncated or emptied", s.Size(), c.Size)
		}
	}
	root, err := s.Tree.Root(c.Size)
	if err != nil {
		return fail("%v", err)
	}
	if root != c.Root {
		return fail("the first %d entries hash to root %s, not the checkpoint's: entries it covers were changed, removed or replaced", c.Size, root)
	}
	return nil
}

// UnsignedProblem describes the entries, after the first signedSize, that
// carry no valid signature of the key that must sign them ("" for none;
// the job package's UnsignedAfter finds them): appended by someone without
// the signing key, so no job may sign a checkpoint over them
// (docs/COMPLIANCE.md, "Integrity"). It names the seqs, the signed size
// and the key they lack.
func UnsignedProblem(logName string, seqs []int64, signedSize int64, keyID string) string {
	if len(seqs) == 0 {
		return ""
	}
	return fmt.Sprintf("audit log %s: %d entries (seq %s) after the %d that signed checkpoints cover carry no valid signature of key %s: they were appended by someone without the signing key",
		logName, len(seqs), seqList(seqs), signedSize, keyID)
}

// UnsignedCoveredProblem describes the entries a signed checkpoint covers
// that carry no valid signature of the key that must sign them, though
// they follow the first entry that does ("" for none; the job package's
// UnsignedSinceSigned finds them): appended by someone without the key,
// and vouched for by a job that should have refused them
// (docs/COMPLIANCE.md, "Integrity").
func UnsignedCoveredProblem(logName string, seqs []int64, keyID string) string {
	if len(seqs) == 0 {
		return ""
	}
	return fmt.Sprintf("audit log %s: %d entries (seq %s) that signed checkpoints cover carry no valid signature of key %s, though entries before them do: they were appended by someone without the signing key, and a checkpoint was signed over them",
		logName, len(seqs), seqList(seqs), keyID)
}

// seqList names up to ten seqs, and how many more there are.
func seqList(seqs []int64) string {
	list := make([]string, 0, min(len(seqs), 11))
	for i, q := range seqs {
		if i == 10 {
			list = append(list, fmt.Sprintf("… %d more", len(seqs)-10))
			break
		}
		list = append(list, strconv.FormatInt(q, 10))
	}
	return strings.Join(list, ", ")
}

// RepairTornTail fixes a last line left without its newline by a crash
// mid-append, so that jobs are not blocked until someone edits the file.
// If the torn bytes are a complete entry that chains onto the line before
// (only the newline was lost), the newline is added; otherwise the torn
// bytes are cut off. Either way an audit_tail_repaired event records the
// torn bytes' length and SHA-256, so nothing disappears silently; sign
// (nil for none) signs it as Log.SignWith does. The caller must hold the
// state directory's lock. It returns the event written, or nil when the
// tail was intact.
func RepairTornTail(ctx context.Context, path string, now func() time.Time, sign func([]byte) []byte) (*Entry, error) {
	data, err := inputs.ReadRegular(path)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && (len(data) == 0 || data[len(data)-1] == '\n')) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	cut := bytes.LastIndexByte(data, '\n') + 1 // 0 when the only line is torn
	torn := data[cut:]
	sum := sha256.Sum256(torn)
	action := "removed"
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("repair audit log tail: %w", err)
	}
	defer f.Close()
	if completeEntry(data[:cut], torn) {
		action = "newline_added"
		if _, err := f.WriteAt([]byte("\n"), int64(len(data))); err != nil {
			return nil, fmt.Errorf("repair audit log tail: %w", err)
		}
	} else if err := f.Truncate(int64(cut)); err != nil {
		return nil, fmt.Errorf("repair audit log tail: %w", err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("repair audit log tail: %w", err)
	}
	l, err := Open(path, now)
	if err != nil {
		return nil, err
	}
	l.SignWith(sign)
	e, err := l.Append(ctx, EventAuditTailRepaired, map[string]any{
		"torn_bytes": len(torn), "torn_sha256": hex.EncodeToString(sum[:]), "byte_offset": cut, "action": action})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// completeEntry reports whether torn is a whole entry that chains onto the
// last line of before.
func completeEntry(before, torn []byte) bool {
	e, err := ParseEntry(torn)
	if err != nil {
		return false
	}
	if h, err := e.ComputeHash(); err != nil || h != e.Hash {
		return false
	}
	body := bytes.TrimSuffix(before, []byte("\n"))
	if len(body) == 0 {
		return e.Seq == 1 && e.Prev == ZeroHash
	}
	prev, err := ParseEntry(body[bytes.LastIndexByte(body, '\n')+1:])
	return err == nil && e.Seq == prev.Seq+1 && e.Prev == prev.Hash
}
