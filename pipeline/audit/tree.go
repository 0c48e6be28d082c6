package audit

import (
	"errors"
	"fmt"
	"slices"

	"golang.org/x/mod/sumdb/tlog"
)

// LeafData is what the Merkle tree hashes for an entry: its canonical JSON
// including "hash", without the newline — the bytes of the line as
// ledgerlens writes it, and what `jq -cSj .` prints for it. The leaf hash
// is tlog.RecordHash of it: SHA-256 of a 0x00 byte followed by LeafData
// (RFC 6962).
func LeafData(e Entry) ([]byte, error) { return e.MarshalJSON() }

// LeafHash returns the Merkle leaf hash of an entry.
func LeafHash(e Entry) (tlog.Hash, error) {
	data, err := LeafData(e)
	if err != nil {
		return tlog.Hash{}, err
	}
	return tlog.RecordHash(data), nil
}

// Tree is the Merkle tree over a log's entries, in order (leaf i is the
// entry with seq i+1), computed with golang.org/x/mod/sumdb/tlog — the
// transparency-log hashing behind the Go checksum database. It holds the
// stored hashes in memory: an audit log has thousands of entries, not
// billions.
type Tree struct {
	stored []tlog.Hash
	size   int64
}

// NewTree builds the tree over entries (which must start at seq 1 and be
// consecutive; use the entries Load verified).
func NewTree(entries []Entry) (*Tree, error) {
	t := &Tree{}
	for _, e := range entries {
		if err := t.Append(e); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Append adds e as the next leaf (appendLeaf checks its seq).
func (t *Tree) Append(e Entry) error {
	data, err := LeafData(e)
	if err != nil {
		return err
	}
	return t.appendLeaf(e.Seq, data)
}

// appendLeaf adds the entry with seq, whose LeafData is data, as the next
// leaf.
func (t *Tree) appendLeaf(seq int64, data []byte) error {
	if seq != t.size+1 {
		return fmt.Errorf("audit tree: entry seq %d appended at leaf %d", seq, t.size)
	}
	hashes, err := tlog.StoredHashesForRecordHash(t.size, tlog.RecordHash(data), t.reader())
	if err != nil {
		return fmt.Errorf("audit tree: %w", err)
	}
	t.stored = append(t.stored, hashes...)
	t.size++
	return nil
}

// clone returns a copy of t that can grow on its own.
func (t *Tree) clone() *Tree {
	return &Tree{stored: slices.Clone(t.stored), size: t.size}
}

// Size is the number of leaves.
func (t *Tree) Size() int64 { return t.size }

func (t *Tree) reader() tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x < 0 || x >= int64(len(t.stored)) {
				return nil, fmt.Errorf("audit tree: stored hash %d not available", x)
			}
			out[i] = t.stored[x]
		}
		return out, nil
	})
}

// Root returns the root hash of the tree's first n leaves.
func (t *Tree) Root(n int64) (tlog.Hash, error) {
	if n < 0 || n > t.size {
		return tlog.Hash{}, fmt.Errorf("audit tree: size %d outside 0..%d", n, t.size)
	}
	return tlog.TreeHash(n, t.reader())
}

// InclusionProof proves that the entry with seq is in the tree of size n.
func (t *Tree) InclusionProof(seq, n int64) (tlog.RecordProof, error) {
	if seq < 1 || seq > n || n > t.size {
		return nil, fmt.Errorf("audit tree: no inclusion proof for seq %d in size %d (have %d)", seq, n, t.size)
	}
	return tlog.ProveRecord(n, seq-1, t.reader())
}

// ConsistencyProof proves that the tree of size m is a prefix of the tree
// of size n.
func (t *Tree) ConsistencyProof(m, n int64) (tlog.TreeProof, error) {
	if m < 1 || m > n || n > t.size {
		return nil, fmt.Errorf("audit tree: no consistency proof from size %d to %d (have %d)", m, n, t.size)
	}
	return tlog.ProveTree(n, m, t.reader())
}

// CheckInclusion checks an inclusion proof of e in the tree of size n with
// root hash root.
func CheckInclusion(proof tlog.RecordProof, e Entry, n int64, root tlog.Hash) error {
	h, err := LeafHash(e)
	if err != nil {
		return err
	}
	if err := tlog.CheckRecord(proof, n, root, e.Seq-1, h); err != nil {
		return fmt.Errorf("entry seq %d is not in the log of size %d with root %s: %w", e.Seq, n, root, err)
	}
	return nil
}

// CheckConsistency checks that the tree of size m and root mroot is a
// prefix of the tree of size n and root nroot.
func CheckConsistency(proof tlog.TreeProof, m int64, mroot tlog.Hash, n int64, nroot tlog.Hash) error {
	if m == 0 {
		return nil // the empty log is a prefix of every log
	}
	if m > n {
		return fmt.Errorf("log of size %d cannot be a prefix of the smaller log of size %d", m, n)
	}
	if m == n {
		if mroot != nroot || len(proof) != 0 {
			return errors.New("same size, different roots: the two logs diverge")
		}
		return nil
	}
	if err := tlog.CheckTree(proof, n, nroot, m, mroot); err != nil {
		return fmt.Errorf("log of size %d is not a prefix of the log of size %d: %w", m, n, err)
	}
	return nil
}
