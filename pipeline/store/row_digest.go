package store

import (
	"cmp"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// A row digest is the first rowDigestSize bytes of the SHA-256 of a ledger
// row's canonical encoding: every column but ingest_seq (which ingest
// loaded the row), in rowSchema order, each value as a presence byte (0 for
// NULL) followed by
//
//   - BIGINT, TIMESTAMP(TZ) (microseconds), DOUBLE (IEEE 754 bits): 8 bytes
//     little-endian;
//   - BOOLEAN: one byte;
//   - VARCHAR: its length as a uvarint, then its bytes;
//   - VARCHAR[]: the element count as a uvarint, then each element as its
//     length as a uvarint and its bytes, with no presence byte (a NULL
//     element is not possible: the parser never makes one).
//
// The same Go code digests the Arrow batches ingest builds and the rows
// read back from the store as Arrow, so the two agree by construction
// (and would agree on a changed encoding too: TestRowDigestEncoding holds
// the encoding to this comment), and a chunk digest (the SHA-256 of its rows' digests in line order)
// costs a pass of SHA-256 in the parse workers instead of casting every
// row to text in SQL.
const rowDigestSize = 16

//go:embed sql/chunk_rows.sql
var chunkRowsSQL string

//go:embed sql/wanted_chunks.sql
var wantedChunksSQL string

// rowDigestColumns are the names of the columns a row digest covers, in
// rowSchema order.
func rowDigestColumns() []string {
	var cols []string
	for _, f := range rowSchema().Fields() {
		if f.Name != "ingest_seq" {
			cols = append(cols, f.Name)
		}
	}
	return cols
}

// rowDigestIndices are rowDigestColumns' positions in rowSchema.
func rowDigestIndices(schema *arrow.Schema) []int {
	var idx []int
	for _, name := range rowDigestColumns() {
		idx = append(idx, schema.FieldIndices(name)[0])
	}
	return idx
}

// valueEnc appends the canonical encoding of a column's i-th value to b.
type valueEnc func(b []byte, i int) []byte

// valueEncoder returns the function that appends the canonical encoding of
// a's i-th value to a buffer.
func valueEncoder(a arrow.Array) (valueEnc, error) {
	switch a := a.(type) {
	case *array.Int64:
		return func(b []byte, i int) []byte {
			if a.IsNull(i) {
				return append(b, 0)
			}
			return binary.LittleEndian.AppendUint64(append(b, 1), uint64(a.Value(i)))
		}, nil
	case *array.Timestamp:
		if u := a.DataType().(*arrow.TimestampType).Unit; u != arrow.Microsecond {
			return nil, fmt.Errorf("row digest: timestamp unit %s, want microseconds", u)
		}
		return func(b []byte, i int) []byte {
			if a.IsNull(i) {
				return append(b, 0)
			}
			return binary.LittleEndian.AppendUint64(append(b, 1), uint64(a.Value(i)))
		}, nil
	case *array.Float64:
		return func(b []byte, i int) []byte {
			if a.IsNull(i) {
				return append(b, 0)
			}
			return binary.LittleEndian.AppendUint64(append(b, 1), math.Float64bits(a.Value(i)))
		}, nil
	case *array.Boolean:
		return func(b []byte, i int) []byte {
			switch {
			case a.IsNull(i):
				return append(b, 0)
			case a.Value(i):
				return append(b, 1, 1)
			}
			return append(b, 1, 0)
		}, nil
	case *array.String:
		return textEncoder(a), nil
	case *array.LargeString:
		return textEncoder(a), nil
	case *array.List:
		elems, ok := a.ListValues().(*array.String)
		if !ok {
			return nil, fmt.Errorf("row digest: list of %s, want a list of text", a.ListValues().DataType())
		}
		return func(b []byte, i int) []byte {
			if a.IsNull(i) {
				return append(b, 0)
			}
			from, to := a.ValueOffsets(i)
			b = binary.AppendUvarint(append(b, 1), uint64(to-from))
			for k := from; k < to; k++ {
				b = appendText(b, elems.Value(int(k)))
			}
			return b
		}, nil
	}
	return nil, fmt.Errorf("row digest: unsupported column type %s", a.DataType())
}

// textEncoder encodes the values of a text array (String or LargeString:
// the engine may return either).
func textEncoder(a interface {
	IsNull(int) bool
	Value(int) string
}) func([]byte, int) []byte {
	return func(b []byte, i int) []byte {
		if a.IsNull(i) {
			return append(b, 0)
		}
		return appendText(append(b, 1), a.Value(i))
	}
}

func appendText(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// appendRowDigests appends the digest of each row of cols (the columns of
// rowDigestColumns, in order, all of one length) to dst.
func appendRowDigests(dst []byte, cols []arrow.Array) ([]byte, error) {
	enc := make([]valueEnc, len(cols))
	for k, c := range cols {
		var err error
		if enc[k], err = valueEncoder(c); err != nil {
			return dst, fmt.Errorf("column %d: %w", k, err)
		}
	}
	if len(cols) == 0 {
		return dst, nil
	}
	return digestRows(dst, cols[0].Len(), enc), nil
}

// digestRows appends the digest of each of n rows, whose columns (those of
// rowDigestColumns, in order) enc encodes, to dst.
func digestRows(dst []byte, n int, enc []valueEnc) []byte {
	var buf []byte
	for i := range n {
		buf = buf[:0]
		for _, e := range enc {
			buf = e(buf, i)
		}
		sum := sha256.Sum256(buf)
		dst = append(dst, sum[:rowDigestSize]...)
	}
	return dst
}

// chunkFolder folds row digests, in line order, into one digest per ledger
// chunk (ChunkBytes of ledger bytes, by the offset a row's line starts at).
type chunkFolder struct {
	chunk int64
	h     hash.Hash
	out   map[int64]string
}

func newChunkFolder() *chunkFolder { return &chunkFolder{out: map[int64]string{}} }

// add folds the digest of the row whose line starts at offset.
func (f *chunkFolder) add(offset int64, digest []byte) {
	if c := offset / ChunkBytes; f.h == nil || c != f.chunk {
		f.flush()
		f.chunk, f.h = c, sha256.New()
	}
	f.h.Write(digest)
}

// addAll folds the digests of consecutive rows (rowDigestSize bytes each)
// whose lines start at offsets.
func (f *chunkFolder) addAll(offsets []int64, digests []byte) {
	for i, off := range offsets {
		f.add(off, digests[i*rowDigestSize:(i+1)*rowDigestSize])
	}
}

// resume continues the fold of chunk from h, the fold of its rows before
// the ones added next.
func (f *chunkFolder) resume(chunk int64, h hash.Hash) {
	f.flush()
	f.chunk, f.h = chunk, h
}

// tail returns the running fold of chunk, for the next ingest to resume
// (restoreTailFold): the chunk index, 8 bytes big-endian, and the
// marshalled SHA-256 state. It is nil when no row of chunk was folded.
func (f *chunkFolder) tail(chunk int64) ([]byte, error) {
	if f.h == nil || f.chunk != chunk {
		return nil, nil
	}
	st, err := f.h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("save the tail chunk's row digest: %w", err)
	}
	return append(binary.BigEndian.AppendUint64(nil, uint64(chunk)), st...), nil
}

// restoreTailFold returns the fold saved by chunkFolder.tail, if b holds
// one of chunk.
func restoreTailFold(b []byte, chunk int64) (hash.Hash, bool) {
	if len(b) <= 8 || binary.BigEndian.Uint64(b) != uint64(chunk) {
		return nil, false
	}
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(b[8:]); err != nil {
		return nil, false
	}
	return h, true
}

// sum returns the digest of chunk folded so far, "" when no row of it
// was folded; the fold goes on.
func (f *chunkFolder) sum(chunk int64) string {
	if f.h == nil || f.chunk != chunk {
		return ""
	}
	return hex.EncodeToString(f.h.Sum(nil))
}

// foldTail folds into f the digests of the rows already stored in chunk,
// the one holding the covered end, in line order. The fold the last
// ingest saved is resumed when the caller vouches for the chunk
// (Store.TrustedChunk); otherwise, or when none was saved, the rows are
// read back.
func (s *Store) foldTail(ctx context.Context, f *chunkFolder, state ledgerState, chunk int64) error {
	if s.TrustedChunk != nil && s.TrustedChunk(chunk) {
		if h, ok := restoreTailFold(state.tailFold, chunk); ok {
			f.resume(chunk, h)
			return nil
		}
	}
	return s.foldStoredRows(ctx, f, chunk*ChunkBytes, state.covered)
}

func (f *chunkFolder) flush() {
	if f.h != nil {
		f.out[f.chunk] = hex.EncodeToString(f.h.Sum(nil))
		f.h = nil
	}
}

// result returns the chunk digests folded so far.
func (f *chunkFolder) result() map[int64]string {
	f.flush()
	return f.out
}

// storedRow is one stored row's digest with the line it was loaded from.
type storedRow struct {
	line, offset int64
	digest       [rowDigestSize]byte
}

// sortedStoredRows reads the stored rows whose lines start in [from, to)
// and returns their digests in ledger order: by byte offset, then line
// number. The engine returns them in any order (insertion order is not
// preserved, and sorting wide rows in SQL cost more than the digests).
// For rows an ingest loaded that is line order, the order their chunk's
// recorded digest folds them in; a row planted with a line number out of
// step with its offset still falls among its chunk's rows, which line
// order alone did not do (folded ahead of every chunk, a planted row
// dropped out of its chunk's digest: an outside review).
func (s *Store) sortedStoredRows(ctx context.Context, from, to int64) ([]storedRow, error) {
	var rows []storedRow
	err := s.storedRowDigests(ctx, from, to, func(lines, offsets []int64, digests []byte) {
		for i := range lines {
			r := storedRow{line: lines[i], offset: offsets[i]}
			copy(r.digest[:], digests[i*rowDigestSize:])
			rows = append(rows, r)
		}
	})
	slices.SortFunc(rows, func(a, b storedRow) int {
		return cmp.Or(cmp.Compare(a.offset, b.offset), cmp.Compare(a.line, b.line))
	})
	return rows, err
}

// foldStoredRows folds the digests of the stored rows whose lines start in
// [from, to) into f, in line order.
func (s *Store) foldStoredRows(ctx context.Context, f *chunkFolder, from, to int64) error {
	rows, err := s.sortedStoredRows(ctx, from, to)
	for i := range rows {
		f.add(rows[i].offset, rows[i].digest[:])
	}
	return err
}

// storedRowDigests reads the stored rows whose lines start in [from, to),
// in no particular order, and calls fn with each batch's line numbers,
// byte offsets and row digests.
func (s *Store) storedRowDigests(ctx context.Context, from, to int64, fn func(lines, offsets []int64, digests []byte)) error {
	if err := s.requireCurrent(); err != nil {
		return err
	}
	q := strings.Replace(chunkRowsSQL, "{{columns}}", quotedColumns(rowDigestColumns()), 1)
	rdr, err := s.arrow.QueryContext(ctx, q, from, to)
	if err != nil {
		return fmt.Errorf("read rows for their digests: chunk_rows.sql: %w", err)
	}
	defer rdr.Release()
	var digests []byte
	for rdr.Next() {
		rec := rdr.Record()
		digests, err = appendRowDigests(digests[:0], rec.Columns())
		if err != nil {
			return err
		}
		// line_no and byte_offset are rowDigestColumns' first two.
		lines, ok1 := rec.Column(0).(*array.Int64)
		offsets, ok2 := rec.Column(1).(*array.Int64)
		if !ok1 || !ok2 {
			return fmt.Errorf("chunk_rows.sql: line_no is %s and byte_offset %s, want BIGINT", rec.Column(0).DataType(), rec.Column(1).DataType())
		}
		fn(lines.Int64Values(), offsets.Int64Values(), digests)
	}
	return rdr.Err()
}

func quotedColumns(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = `"` + c + `"`
	}
	return strings.Join(q, ", ")
}
