package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// RowCheck is the outcome of comparing the store's rows with rows derived
// afresh from the ledger prefix the store covers.
type RowCheck struct {
	CoveredBytes int64
	Rows         int64 // rows in the store
	Derived      int64 // rows derived from the ledger prefix
	// Differ lists the first ledger lines whose row differs, is missing
	// from the store, or is in the store only; DifferCount counts them all.
	Differ      []int64
	DifferCount int64
	// PrefixChanged is set when the covered bytes, read to re-derive the
	// rows, were not the bytes the store loaded: the ledger changed after
	// VerifyLedger read it. No row was compared.
	PrefixChanged bool
	// DerivedDiffer names the derived tables (derived.go: duplicates,
	// rejects, field_values) whose content differs from the re-derived
	// store's.
	DerivedDiffer []string
}

// Intact reports whether every row and every derived table matched.
func (c RowCheck) Intact() bool {
	return c.DifferCount == 0 && c.Rows == c.Derived && len(c.DerivedDiffer) == 0 && !c.PrefixChanged
}

// verifyScratchPrefix begins the name of VerifyRows's scratch directory,
// which holds the store it re-derives from the covered ledger
// (scratchDir).
const verifyScratchPrefix = "ledgerlens-verify-store-"

// maxDiffer bounds the line numbers a RowCheck lists.
const maxDiffer = 20

// VerifyRows re-derives the rows of the ledger prefix the store covers —
// the first CoveredBytes of ledgerPath ingested into a scratch store with
// the same code and zone (rederive) — and compares
// the digest of every row (row_digest.go: all columns but the ingest that
// loaded it) with the store's, and the content of its derived tables
// (derived.go). An edited, deleted or planted row is a difference, and so
// is an edited duplicate, reject or field count. Run VerifyLedger first:
// if the prefix itself changed, the rows differ too.
func (s *Store) VerifyRows(ctx context.Context, ledgerPath string) (RowCheck, error) {
	state, had, err := s.loadState(ctx)
	if err != nil {
		return RowCheck{}, err
	}
	res := RowCheck{}
	if !had {
		return res, nil
	}
	res.CoveredBytes = state.covered
	scratch, err := scratchDir(verifyScratchPrefix)
	if err != nil {
		return res, fmt.Errorf("verify store: %w", err)
	}
	defer os.RemoveAll(scratch)
	// The same zone, so ts_local is derived as the store derived it.
	fresh, err := Open(ctx, filepath.Join(scratch, "ledger.duckdb"), Options{TimeZone: s.zone})
	if err != nil {
		return res, fmt.Errorf("verify store: %w", err)
	}
	defer fresh.Close()
	derived, err := fresh.rederive(ctx, ledgerPath, state.covered)
	if err != nil {
		return res, fmt.Errorf("verify store: re-derive rows: %w", err)
	}
	if derived.PrefixSHA256 != state.prefixSHA {
		// VerifyLedger found them as loaded: they changed since, and
		// every row would be compared with rows of other bytes.
		res.PrefixChanged = true
		return res, nil
	}
	if err := s.compareRows(ctx, fresh, &res, maxChunksPerRead*ChunkBytes); err != nil {
		return res, err
	}
	mineDerived, err := s.derivedDigests(ctx)
	if err != nil {
		return res, err
	}
	theirsDerived, err := fresh.derivedDigests(ctx)
	if err != nil {
		return res, err
	}
	for _, t := range derivedTables() {
		if mineDerived[t.name] != theirsDerived[t.name] {
			res.DerivedDiffer = append(res.DerivedDiffer, t.name)
		}
	}
	// The lookup table of the coded columns: an extra row changes no
	// decoded row, but a join on it.
	mineCodes, err := digestQuery(ctx, s.conn, textCodesContentSQL)
	if err != nil {
		return res, fmt.Errorf("digest of text_codes: %w", err)
	}
	theirsCodes, err := digestQuery(ctx, fresh.conn, textCodesContentSQL)
	if err != nil {
		return res, fmt.Errorf("digest of the re-derived text_codes: %w", err)
	}
	if mineCodes != theirsCodes {
		res.DerivedDiffer = append(res.DerivedDiffer, "text_codes")
	}
	return res, nil
}

// compareRows compares the digest of every row of s (row_digest.go) with
// that of the row of fresh from the same ledger line, and fills res's
// Rows, Derived, Differ and DifferCount (res.CoveredBytes set). It reads
// both stores window bytes of ledger offsets at a time (VerifyRows:
// maxChunksPerRead chunks, as the jobs do): the engine materialises a
// whole result before handing it over, and the whole store read at once
// took verify to 1.4 GB at 1M runs. Every row falls in exactly one
// window, those with offsets outside the ledger (planted) in the first or
// the last.
func (s *Store) compareRows(ctx context.Context, fresh *Store, res *RowCheck, window int64) error {
	differ := map[int64]bool{}
	for from := int64(0); from < res.CoveredBytes || from == 0; from += window {
		lo, hi := from, from+window
		if lo == 0 {
			lo = math.MinInt64
		}
		if hi >= res.CoveredBytes {
			hi = math.MaxInt64
		}
		mine, err := s.sortedStoredRows(ctx, lo, hi)
		if err != nil {
			return fmt.Errorf("row digests: %w", err)
		}
		theirs, err := fresh.sortedStoredRows(ctx, lo, hi)
		if err != nil {
			return fmt.Errorf("row digests of the re-derived store: %w", err)
		}
		res.Rows += int64(len(mine))
		res.Derived += int64(len(theirs))
		diffSorted(mine, theirs, differ)
		if hi == math.MaxInt64 {
			break
		}
	}
	// A row no window reads (a byte offset of NULL, which the schema
	// forbids and the catalog check holds it to) still counts.
	var total int64
	if err := s.conn.QueryRowContext(ctx, ledgerRowCountSQL).Scan(&total); err != nil {
		return fmt.Errorf("count the stored rows: %w", err)
	}
	res.Rows = max(res.Rows, total)
	lines := slices.Sorted(maps.Keys(differ))
	res.DifferCount = int64(len(lines))
	res.Differ = lines[:min(len(lines), maxDiffer)]
	return nil
}

// diffSorted adds to differ every line whose rows in a and b (each in
// sortedStoredRows' order) differ: a row in one only, or one digest
// against another. A line with more rows in one than the other differs
// too.
func diffSorted(a, b []storedRow, differ map[int64]bool) {
	before := func(x, y storedRow) bool {
		return x.offset < y.offset || (x.offset == y.offset && x.line < y.line)
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && before(a[i], b[j])):
			differ[a[i].line] = true
			i++
		case i == len(a) || before(b[j], a[i]):
			differ[b[j].line] = true
			j++
		default:
			if a[i].digest != b[j].digest { // over every column, the offset included
				differ[a[i].line] = true
			}
			i++
			j++
		}
	}
}

// rederive loads the first size bytes of the ledger at ledgerPath into s,
// a store no ingest has loaded, as a first ingest of a ledger that ended
// there would (VerifyRows): what was appended after them is not read. The
// ledger is read in place: a copy of its covered bytes in the temporary
// directory took 4.9 GB there at 10M runs. A ledger now shorter than size
// is an error.
func (s *Store) rederive(ctx context.Context, ledgerPath string, size int64) (IngestResult, error) {
	state, had, err := s.loadState(ctx)
	if err != nil {
		return IngestResult{}, err
	}
	if had {
		return IngestResult{}, errors.New("re-derive into a store that holds an ingest")
	}
	f, err := openLedger(ledgerPath)
	if err != nil {
		return IngestResult{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return IngestResult{}, err
	}
	if fi.Size() < size {
		return IngestResult{}, fmt.Errorf("ledger %s is shorter than the %d bytes the store covers", ledgerPath, size)
	}
	return s.apply(ctx, ledgerPath, f, size, state, IngestResult{Event: EventInitial}, nil)
}

//go:embed sql/rows_outside_ledger.sql
var rowsOutsideLedgerSQL string

//go:embed sql/text_codes_content.sql
var textCodesContentSQL string

// RowsOutsideLedger counts the stored rows whose ledger line starts
// outside the prefix the store covers, and returns the first of their
// line numbers. No ingest loads such a row, so each was planted; and as
// the ingests record row digests per chunk of that prefix, a row planted
// outside it is in no recorded chunk, which the jobs' check of the
// recorded digests (ChunkDigestsOf) would pass.
func (s *Store) RowsOutsideLedger(ctx context.Context) (n, firstLine int64, err error) {
	state, _, err := s.loadState(ctx)
	if err != nil {
		return 0, 0, err
	}
	if err := ScanRowNamed(ctx, s.conn, "rows_outside_ledger", rowsOutsideLedgerSQL,
		map[string]any{"n": &n, "first_line": &firstLine}, state.covered); err != nil {
		return 0, 0, fmt.Errorf("rows outside the ledger: %w", err)
	}
	return n, firstLine, nil
}

// ChunkBytes is the granularity of ChunkDigests: ledger bytes per chunk.
const ChunkBytes = 1 << 20

// ChunkDigests returns a digest of the loaded rows of each ledger chunk
// (ChunkBytes of ledger bytes, by the offset a row's line starts at) from
// the chunk holding byte fromOffset on: the SHA-256 of the row digests
// (row_digest.go) in line order. With a non-zero period it keeps only the
// chunks holding a row timestamped in [start, end): the rows a report of
// that period reads. Ingest returns the digests of the chunks it touched
// (IngestResult.ChunkRowDigests); jobs record them in the audit log and
// re-check the ones a period reads, so a row edited in the store is
// refused cheaply (docs/COMPLIANCE.md).
func (s *Store) ChunkDigests(ctx context.Context, fromOffset int64, start, end time.Time) (map[int64]string, error) {
	chunks, err := s.Chunks(ctx, fromOffset, start, end)
	if err != nil {
		return nil, err
	}
	return s.ChunkDigestsOf(ctx, chunks)
}

// Chunks lists, in order, the ledger chunks holding loaded rows from the
// chunk holding byte fromOffset on; with a non-zero period only those
// holding a row timestamped in [start, end).
func (s *Store) Chunks(ctx context.Context, fromOffset int64, start, end time.Time) ([]int64, error) {
	var from, to any
	if !start.IsZero() {
		from, to = start, end
	}
	rows, err := s.conn.QueryContext(ctx, wantedChunksSQL, fromOffset/ChunkBytes, from, to)
	if err != nil {
		return nil, fmt.Errorf("chunk row digests: wanted_chunks.sql: %w", err)
	}
	defer rows.Close()
	var chunks []int64
	for rows.Next() {
		var c int64
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("chunk row digests: %w", err)
		}
		chunks = append(chunks, c)
	}
	return chunks, rows.Err()
}

// maxChunksPerRead bounds one read of stored rows by ChunkDigestsOf: 128
// MiB of ledger is about 280,000 rows, two or three of the engine's row
// groups.
const maxChunksPerRead = 128

// ChunkDigestsOf returns the row digests of the given chunks (ascending),
// as ChunkDigests does; a chunk without rows has none.
func (s *Store) ChunkDigestsOf(ctx context.Context, chunks []int64) (map[int64]string, error) {
	return s.chunkDigests(ctx, chunks, -1)
}

// ChunkDigestsBefore is ChunkDigestsOf over the rows whose lines start
// before end only: the digests an ingest that left the store covering end
// recorded, whatever was loaded after it.
func (s *Store) ChunkDigestsBefore(ctx context.Context, chunks []int64, end int64) (map[int64]string, error) {
	return s.chunkDigests(ctx, chunks, end)
}

// chunkDigests folds the rows of chunks whose lines start before end (end
// < 0: all of them).
func (s *Store) chunkDigests(ctx context.Context, chunks []int64, end int64) (map[int64]string, error) {
	f := newChunkFolder()
	// One read per run of consecutive chunks (a period's chunks are
	// mostly consecutive), at most maxChunksPerRead at a time: the engine
	// materialises each result before handing it over as Arrow, and a week
	// of a 10M-run ledger read at once took the job to 2 GiB.
	for i := 0; i < len(chunks); {
		j := i + 1
		for j < len(chunks) && chunks[j] == chunks[j-1]+1 && j-i < maxChunksPerRead {
			j++
		}
		to := (chunks[j-1] + 1) * ChunkBytes
		if end >= 0 {
			to = min(to, end)
		}
		if err := s.foldStoredRows(ctx, f, chunks[i]*ChunkBytes, to); err != nil {
			return nil, fmt.Errorf("chunk row digests: %w", err)
		}
		i = j
	}
	return f.result(), nil
}
