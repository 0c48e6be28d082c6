package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	_ "embed"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"golang.org/x/sync/errgroup"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/ledger"
)

//go:embed sql/find_duplicates.sql
var findDuplicatesSQL string

//go:embed sql/candidate_lines.sql
var candidateLinesSQL string

//go:embed sql/repeated_run_hashes.sql
var repeatedRunHashesSQL string

//go:embed sql/line_range.sql
var lineRangeSQL string

//go:embed sql/ledger_row_count.sql
var ledgerRowCountSQL string

//go:embed sql/duplicates_of_ingest.sql
var duplicatesOfIngestSQL string

//go:embed sql/next_ingest_seq.sql
var nextIngestSeqSQL string

//go:embed sql/candidate_rows_by_hash.sql
var candidateRowsByHashSQL string

//go:embed sql/candidate_row_at_line.sql
var candidateRowAtLineSQL string

// Ingest events recorded in ingest_log.event.
const (
	EventInitial        = "initial"
	EventAppend         = "append"
	EventNoChange       = "no_change"
	EventLedgerModified = "ledger_modified"
)

// readBlockSize is how much of the ledger one parse task covers. Large
// enough that per-batch overhead (an Arrow view and an INSERT) is noise,
// small enough that a few blocks in flight keep memory flat.
const readBlockSize = 4 << 20

// firstReadBlockSize is the first block a load reads; each next one is
// twice as large, up to readBlockSize. The insert waits for the first
// parsed batch, and a whole block's parse, on memory the process has not
// touched yet, took 40–80 ms of a warm 8-week job's ingest
// (bench/HISTORY.md, stop 29's round).
const firstReadBlockSize = 256 << 10

// maxRawReject caps the raw text of a rejected line kept in the store; the
// line's SHA-256 always covers all of it.
const maxRawReject = 64 << 10

// IngestResult describes one ingest, as also recorded in ingest_log.
type IngestResult struct {
	Seq              int
	Event            string
	OffsetFrom       int64
	OffsetTo         int64
	Lines            int64 // complete lines read by this ingest
	Loaded           int64 // new runs
	Rejected         int64
	Duplicates       int64
	PartialTailBytes int64
	PrefixSHA256     string // SHA-256 of the ledger's bytes [0, OffsetTo)
	// PriorPrefixSHA256 is the SHA-256 of [0, OffsetFrom) as the store
	// recorded it before this ingest, which the append-only check has just
	// found the ledger still holds; "" for a first load or a reload.
	PriorPrefixSHA256 string
	// PriorLines is how many complete lines the store covered before this
	// ingest (0 for a first load): lines past it are new to the store,
	// whether this ingest appended them or reloaded the ledger.
	PriorLines int64
	Modified   *Modification
	// ChunkRowDigests are the digests of the rows of every ledger chunk
	// this ingest loaded rows into (Store.ChunkDigests), by chunk.
	ChunkRowDigests map[int64]string
	// PriorChunk is the digest of the rows that were already stored in
	// the chunk this ingest extended ("" for none), before it added its
	// own; nil when the ingest began on a chunk boundary or reloaded.
	PriorChunk *ChunkDigest
	// Timings of the phases, for logs and benchmarks. CheckTime counts
	// from the ingest's start: hashing LedgerFile.Prehash did before it is
	// not in it.
	CheckTime, LoadTime, DuplicatesTime, CommitTime, CheckpointTime time.Duration
	// CheckBegunEarly says the append-only check finished digests
	// LedgerFile.Prehash had begun, for logs and benchmarks.
	CheckBegunEarly bool
	// CheckpointErr is why the checkpoint after the commit failed (nil
	// when it did not): the ingest is committed and stands, the WAL is
	// left for a later checkpoint. It is not the ingest's error, so that
	// the caller records the committed ingest.
	CheckpointErr error
}

// ChunkDigest is the row digest of one ledger chunk (Store.ChunkDigests).
type ChunkDigest struct {
	Chunk  int64
	Digest string
}

// Modification is the range of the already-loaded prefix that changed.
type Modification struct {
	ByteFrom, ByteTo int64
	LineFrom, LineTo int64
}

// ModificationOf is the modification of ledger bytes [from, to), with the
// first and last of the store's lines that start in it (line_range.sql).
func (s *Store) ModificationOf(ctx context.Context, from, to int64) (*Modification, error) {
	mod := &Modification{ByteFrom: from, ByteTo: to}
	if err := s.conn.QueryRowContext(ctx, lineRangeSQL, from, to).Scan(
		nullInt{&mod.LineFrom}, nullInt{&mod.LineTo}); err != nil {
		return nil, fmt.Errorf("locate modified lines: %w", err)
	}
	return mod, nil
}

// ledgerState is the store's memory of the ledger (table ledger_state).
type ledgerState struct {
	covered, lines int64
	// rowsSinceCheckpoint counts rows loaded since DuckDB's last checkpoint.
	rowsSinceCheckpoint int64
	digests             []byte
	shaState            []byte
	prefixSHA           string
	// tailFold is the saved fold of the tail chunk's row digests
	// (ledger_state.tail_fold; chunkFolder.tail), nil when none is saved.
	tailFold []byte
}

// Ingest loads the ledger's complete lines that the store has not seen
// into the store, in one transaction. The append-only check of the
// already-loaded prefix runs while the new lines load, and the transaction
// commits only once it has passed. If the prefix changed, the transaction
// is rolled back, and the ingest records a ledger_modified event with the
// changed range and reloads the whole ledger in a new one. A missing
// ledger is an error (errors.Is fs.ErrNotExist) and leaves the store as it
// was; the ledger must be a regular file or a symbolic link to one.
func (s *Store) Ingest(ctx context.Context, ledgerPath string) (IngestResult, error) {
	l, err := OpenLedgerFile(ledgerPath)
	if err != nil {
		return IngestResult{}, err
	}
	defer l.Close()
	return s.IngestLedger(ctx, l)
}

// IngestLedger is Ingest of a ledger already open: a job opens it before
// the store, whose opening may migrate (rebuild) it, so that a missing
// ledger leaves the store as it was, and starts the append-only check's
// hashing meanwhile (LedgerFile.Prehash).
func (s *Store) IngestLedger(ctx context.Context, l *LedgerFile) (IngestResult, error) {
	res, err := s.ingest(ctx, l)
	if err != nil {
		return res, fmt.Errorf("ingest %s: %w", l.path, namedPaths(err, s.path, s.name))
	}
	return res, nil
}

// CheckLedger returns the error Ingest would give for the ledger at
// ledgerPath before reading it — missing, or not a regular file — without
// touching any store.
func CheckLedger(ledgerPath string) error {
	l, err := OpenLedgerFile(ledgerPath)
	if err != nil {
		return err
	}
	return l.Close()
}

// openLedger opens the ledger for reading. A missing ledger is an error,
// never an empty one: a failed mount or a rename must not empty the store.
// A FIFO or device is refused at once (inputs.OpenRegular does not block
// on it).
func openLedger(ledgerPath string) (*os.File, error) {
	f, err := inputs.OpenRegular(ledgerPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: the ledger is missing (a missing ledger is never read as an empty one; check the mount and the path — the store was left as it was)", err)
	}
	return f, err
}

func (s *Store) ingest(ctx context.Context, l *LedgerFile) (IngestResult, error) {
	state, hadState, err := s.loadState(ctx)
	if err != nil {
		return IngestResult{}, err
	}
	if err := l.current(); err != nil {
		return IngestResult{}, err
	}
	ledgerPath, f := l.path, l.f
	fi, err := f.Stat()
	if err != nil {
		return IngestResult{}, err
	}
	size := fi.Size()
	if !hadState {
		l.dropPrehash() // nothing covered to check
		return s.apply(ctx, ledgerPath, f, size, state, IngestResult{Event: EventInitial}, nil)
	}
	if err := checkState(state); err != nil {
		return IngestResult{}, err
	}
	if err := s.checkRowIngests(ctx); err != nil {
		return IngestResult{}, err
	}
	// The append-only check reads [0, covered) and the load [covered,
	// size): they run at the same time, and the load's transaction commits
	// only once the check has passed. When it fails, that transaction is
	// rolled back and the whole ledger is reloaded in a new one. The
	// check finishes the hashing LedgerFile.Prehash began, when it began
	// on the prefix the store covers.
	pre := l.takePrehash(state.covered)
	check := startPrefixCheck(ctx, f, size, state, pre)
	defer check.stop() // before f is closed
	res, err := s.apply(ctx, ledgerPath, f, size, state, IngestResult{Event: EventAppend, PriorPrefixSHA256: state.prefixSHA, PriorLines: state.lines}, check)
	if !errors.Is(err, errPrefixChanged) {
		return res, err
	}
	c, _ := check.wait()
	if err := chunkDigestsEdited(ctx, f, size, state, c, s.RecordedPrefix); err != nil {
		return res, err
	}
	mod, err := s.ModificationOf(ctx, c.from, c.to)
	if err != nil {
		return res, err
	}
	res, err = s.apply(ctx, ledgerPath, f, size, ledgerState{},
		IngestResult{Event: EventLedgerModified, Modified: mod, CheckTime: res.CheckTime, PriorLines: state.lines}, nil)
	if err != nil && ctx.Err() == nil {
		return res, &ModifiedLedgerError{Modified: *mod, Err: err}
	}
	return res, err
}

// ModifiedLedgerError is an ingest that found bytes the store covers
// changed (an edit of the append-only ledger, Modified) and could not
// reload the changed ledger: Err says why (its last bytes cannot be a
// line being written, say). Nothing was committed. It matches
// ErrLedgerChanged, so a job reports the edit as the integrity problem
// it is: the reload's error alone told cron, exit 1, that a crash had
// zero-filled the ledger's end while 6 MB of loaded ledger had been cut
// (an outside review).
type ModifiedLedgerError struct {
	Modified Modification
	Err      error
}

func (e *ModifiedLedgerError) Error() string {
	where := fmt.Sprintf("bytes %d–%d", e.Modified.ByteFrom, e.Modified.ByteTo)
	if e.Modified.LineFrom > 0 {
		where += fmt.Sprintf(" (lines %d–%d)", e.Modified.LineFrom, e.Modified.LineTo)
	}
	return fmt.Sprintf("ledger %s changed since they were loaded, an edit of the append-only ledger; its reload stopped: %v", where, e.Err)
}

// Unwrap makes errors.Is(err, ErrLedgerChanged) true, and reaches Err.
func (e *ModifiedLedgerError) Unwrap() []error { return []error{ErrLedgerChanged, e.Err} }

// errPrefixChanged is apply's error when the append-only check found the
// covered prefix changed; the transaction was rolled back.
var errPrefixChanged = errors.New("the covered ledger prefix changed")

// apply loads [state.covered, size) of f in one transaction and commits
// it, as the ingest res describes (its Event and Modified). A
// ledger_modified or initial ingest first empties the derived tables. With a pending
// append-only check, the transaction commits only if the check passes;
// otherwise apply rolls it back and returns errPrefixChanged.
func (s *Store) apply(ctx context.Context, ledgerPath string, f *os.File, size int64, state ledgerState, res IngestResult, check *pendingCheck) (IngestResult, error) {
	seq, err := s.nextIngestSeq(ctx)
	if err != nil {
		return res, err
	}
	res.Seq = seq
	res.OffsetFrom = state.covered

	if _, err := s.conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return res, err
	}
	committed := false
	defer func() {
		if !committed {
			s.rollback(ctx)
		}
	}()
	if res.Event == EventLedgerModified || res.Event == EventInitial {
		// A first load starts from empty tables too: a store without a
		// ledger state (new, rebuilt, or wiped by hand) must not carry rows
		// planted in its derived tables into the load (a duplicate listed
		// there hides its run from every report).
		for _, t := range []string{"ledger_rows", "text_codes", "rejects", "duplicates", "field_values"} {
			if _, err := s.conn.ExecContext(ctx, "DELETE FROM "+t); err != nil {
				return res, fmt.Errorf("clear %s for reload: %w", t, err)
			}
		}
	}

	next := state
	var loadErr error
	if size > state.covered {
		next, loadErr = s.loadNew(ctx, f, size, state, seq, &res)
	}
	// Nothing commits before the prefix the new rows extend is known
	// intact. A changed prefix wins over a failed load: it explains it.
	if check != nil {
		c, err := check.wait()
		res.CheckTime, res.CheckBegunEarly = check.took, c.prehashed
		switch {
		case err == nil && !c.intact:
			return res, errPrefixChanged
		case loadErr != nil:
			return res, loadErr
		case err != nil:
			return res, fmt.Errorf("append-only check: %w", err)
		}
	}
	if loadErr != nil {
		return res, loadErr
	}
	if res.Event == EventAppend && next.covered == state.covered {
		res.Event = EventNoChange
	}
	if next.prefixSHA == "" {
		next.prefixSHA = hex.EncodeToString(sha256.New().Sum(nil))
		next.shaState, err = sha256.New().(encoding.BinaryMarshaler).MarshalBinary()
		if err != nil {
			return res, err
		}
	}
	res.OffsetTo = next.covered
	res.PartialTailBytes = max(size-next.covered, 0)
	res.PrefixSHA256 = next.prefixSHA

	checkpoint, err := s.dueCheckpoint(ctx, &next, state, res, estimateRows(size-state.covered, state))
	if err != nil {
		return res, err
	}
	if err := s.saveState(ctx, ledgerPath, next, &res); err != nil {
		return res, err
	}
	phase := time.Now()
	if checkpoint {
		// A commit that checkpoints writes the rows once, into the
		// database file; committing to the WAL and checkpointing after
		// writes them twice (0.6 s more for a first load of a million
		// runs).
		if err := s.setCheckpointThreshold(ctx, checkpointAtCommitThreshold); err != nil {
			return res, err
		}
	}
	_, err = s.conn.ExecContext(ctx, "COMMIT")
	if checkpoint {
		if rerr := s.setCheckpointThreshold(context.WithoutCancel(ctx), deferredCheckpointThreshold); rerr != nil && err == nil {
			err = rerr
		}
	}
	if err != nil {
		return res, fmt.Errorf("commit: %w", err)
	}
	committed = true
	res.CommitTime = time.Since(phase)
	// After the commit the ingest is durable and must be returned as done,
	// for the caller to record it: a signal does not cut the checkpoint
	// short (it takes a fraction of the ingest), and a checkpoint that
	// fails only leaves the WAL for later.
	ctx = context.WithoutCancel(ctx)
	if checkpoint {
		// Normally a no-op: the commit has checkpointed. It is not when
		// DuckDB judged the commit too small to, or a checkpoint was
		// impossible then.
		phase = time.Now()
		if _, err := s.conn.ExecContext(ctx, "CHECKPOINT"); err != nil {
			res.CheckpointErr = fmt.Errorf("checkpoint: %w", err)
		}
		res.CheckpointTime = time.Since(phase)
	} else if s.deferCheckpoint {
		res.CheckpointTime, res.CheckpointErr = s.checkpointLargeWAL(ctx)
	}
	return res, nil
}

// checkpointLargeWAL checkpoints after a commit that deferred its
// checkpoint when the WAL has grown past the store's cap
// (Options.CheckpointWALBytes), and then counts the rows since the last
// checkpoint from zero again. It returns how long that took (0: the WAL
// was under the cap). Appends too small to fill a row group are written
// to the WAL whole, and every open replays the WAL until a checkpoint;
// deferring only by the rows since the last checkpoint let a year-long
// ledger's weekly appends pile up for a quarter. The commit is durable
// before this runs: a crash here leaves the WAL for the next ingest.
func (s *Store) checkpointLargeWAL(ctx context.Context) (time.Duration, error) {
	fi, err := os.Stat(s.path + ".wal")
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("size of the store's WAL: %w", err)
	}
	if fi.Size() <= s.walCap {
		return 0, nil
	}
	began := time.Now()
	// The reset first, so that the checkpoint takes it in and leaves the
	// WAL empty.
	if _, err := s.conn.ExecContext(ctx, "UPDATE ledger_state SET rows_since_checkpoint = 0"); err != nil {
		return 0, fmt.Errorf("reset the rows since the last checkpoint: %w", err)
	}
	if _, err := s.conn.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return 0, fmt.Errorf("checkpoint a %d-byte WAL: %w", fi.Size(), err)
	}
	return time.Since(began), nil
}

// loadNew loads [state.covered, size) of f into the open transaction,
// records the duplicates among the new rows and counts their field values.
// It returns the new ledger state.
func (s *Store) loadNew(ctx context.Context, f *os.File, size int64, state ledgerState, seq int, res *IngestResult) (ledgerState, error) {
	phase := time.Now()
	next, out, err := s.load(ctx, f, size, state, int32(seq), res)
	if err != nil {
		return state, err
	}
	res.LoadTime = time.Since(phase)
	phase = time.Now()
	if res.Duplicates, err = s.findDuplicates(ctx, seq, out.searched, out.repeated); err != nil {
		return state, fmt.Errorf("find duplicates: %w", err)
	}
	res.Loaded -= res.Duplicates
	res.DuplicatesTime = time.Since(phase)
	if err := s.recordFieldValues(ctx, seq, out.values, out.book); err != nil {
		return state, err
	}
	return next, nil
}

func (s *Store) setCheckpointThreshold(ctx context.Context, threshold string) error {
	if _, err := s.conn.ExecContext(ctx, "SET checkpoint_threshold = "+threshold); err != nil {
		return fmt.Errorf("set checkpoint threshold: %w", err)
	}
	return nil
}

// dueCheckpoint counts the rows this ingest loaded into next's tally and
// says whether DuckDB should checkpoint at the commit (resetting the
// tally): always after a full load; after an insert of estimated rows
// on several threads, each of which leaves its last, partial row group
// to the WAL (up to a row group per thread: 136 MB for the ten-million-
// run fixture's weekly append), which a checkpoint at the commit writes
// once, compressed, instead of into the WAL for every later open to
// replay; else once the rows loaded since the last checkpoint exceed a
// quarter of the table. Without DeferCheckpoint DuckDB checkpoints by
// itself and the tally stays 0. (After the commit, checkpointLargeWAL
// caps what small appends leave in the WAL.)
func (s *Store) dueCheckpoint(ctx context.Context, next *ledgerState, prev ledgerState, res IngestResult, rows int64) (bool, error) {
	if !s.deferCheckpoint {
		next.rowsSinceCheckpoint = 0
		return false, nil
	}
	next.rowsSinceCheckpoint = prev.rowsSinceCheckpoint + res.Loaded + res.Duplicates
	if next.rowsSinceCheckpoint == 0 {
		return false, nil
	}
	var total int64
	if err := s.conn.QueryRowContext(ctx, ledgerRowCountSQL).Scan(&total); err != nil {
		return false, err
	}
	if checkpointAtCommit(prev.covered == 0, s.insertThreads(rows), next.rowsSinceCheckpoint, total) {
		next.rowsSinceCheckpoint = 0
		return true, nil
	}
	return false, nil
}

// checkpointAtCommit is dueCheckpoint's rule: a full load, an insert on
// several threads, or more rows since the last checkpoint than a quarter
// of the table's.
func checkpointAtCommit(fullLoad bool, insertThreads int, rowsSinceCheckpoint, tableRows int64) bool {
	return fullLoad || insertThreads > 1 || rowsSinceCheckpoint*4 > tableRows
}

// block is a run of complete ledger lines handed to one parse task.
type block struct {
	data   []byte
	offset int64 // byte offset of data[0] in the ledger
	line   int64 // line number of the first line (1-based)
	lines  int64 // complete lines in data
}

// parsed is a block's outcome.
type parsed struct {
	rec     arrow.Record
	rejects []rejectRow
	lines   int64
	// digests are rec's row digests (row_digest.go), rowDigestSize bytes
	// a row; err is why they could not be made.
	digests []byte
	err     error
	// dicts are rec's coded columns, block-local until the collector
	// assigns the store's codes (codes.go).
	dicts [numCoded]blockDict
}

type rejectRow struct {
	lineNo, offset int64
	code, reason   string
	sha, raw       string
}

// lineTooLong is the reject of a line of n bytes (without its line feed),
// longer than a record may be (inputs.MaxLineBytes).
func lineTooLong(n int64) *ledger.RejectError {
	return &ledger.RejectError{Code: ledger.CodeLineTooLong,
		Detail: fmt.Sprintf("a line of %d bytes, longer than a record may be (%d MiB): not read as one", n, inputs.MaxLineBytes>>20)}
}

// rejectText is the text a rejected line is kept as: its first
// maxRawReject bytes, as DuckDB text, which must be UTF-8 — bytes that
// are not (a bad line, or a cut through a character) are kept as U+FFFD,
// and so are NUL bytes, at which the insert of the row cut the text
// (ledger.CodeNULInText). The reject's SHA-256 is of the exact line.
func rejectText(line []byte) string {
	raw := line[:min(len(line), maxRawReject)]
	return strings.ReplaceAll(strings.ToValidUTF8(string(raw), "\uFFFD"), "\x00", "\uFFFD")
}

// loadOutcome is what load found besides the new ledger state.
type loadOutcome struct {
	// repeated are the run-id hashes the loaded rows repeat, sorted and
	// distinct, when searched says they were searched for: a first
	// load's, and an append's inserted on one thread (earlierRuns).
	// Otherwise findDuplicates asks the store.
	repeated []int64
	searched bool
	// values are the enumerated columns' codes counted in the rows loaded,
	// duplicates included; book is the code book that assigned them.
	values *fieldCounts
	book   *codeBook
}

// load reads [state.covered, size) of f, parses it on all cores and inserts
// the rows, keeping line order. It returns the new ledger state.
//
// On a first load (nothing covered yet) it also returns the run-id hashes
// that occur more than once, found by sorting the new rows' hashes: every
// row is new, so no table scan is needed to find duplicate candidates. An
// append inserted on one DuckDB thread returns them too: those repeated
// among its rows, found the same way, and those an earlier ingest's rows
// hold, searched for while the insert finishes (earlierRuns).
//
// Its steps: resumeHashes and resumeRowFold pick up the digests at the old
// end, loader.stream runs the reader (loader.read), the parse workers
// (loader.parseBlocks) and the collector (loader.collect) beside the
// INSERT, and loader.finish completes the new state.
func (s *Store) load(ctx context.Context, f *os.File, size int64, state ledgerState, seq int32, res *IngestResult) (ledgerState, loadOutcome, error) {
	if err := checkState(state); err != nil {
		return state, loadOutcome{}, err
	}
	whole, chunks, err := resumeHashes(f, state)
	if err != nil {
		return state, loadOutcome{}, err
	}
	folder, err := s.resumeRowFold(ctx, state, res)
	if err != nil {
		return state, loadOutcome{}, err
	}
	codes, err := s.loadCodeBook(ctx)
	if err != nil {
		return state, loadOutcome{}, err
	}
	schema := rowSchema()
	values, err := newFieldCounts(schema)
	if err != nil {
		return state, loadOutcome{}, err
	}

	rows := estimateRows(size-state.covered, state)
	ld := &loader{
		s: s, f: f, size: size, state: state, seq: seq, res: res, schema: schema,
		whole: whole, chunks: chunks, covered: state.covered, lines: state.lines,
		codes: codes, values: values, folder: folder,
		// An append on one insert thread searches the earlier rows for its
		// run ids beside the insert (earlierRuns); the collector starts the
		// search once it has handed the insert the last batch.
		search: state.covered > 0 && s.insertThreads(rows) == 1,
	}
	defer func() {
		// Read only after g.Wait (every return below that starts the
		// goroutines passes it: stream waits for them on each of its
		// returns), which orders the collector's write.
		if ld.earlier != nil {
			ld.earlier.stop()
		}
	}()
	if err := ld.stream(ctx, rows); err != nil {
		return state, loadOutcome{}, err
	}
	return ld.finish(ctx)
}

// resumeHashes picks up the ledger's hashes where state left them: the
// whole-file SHA-256 from its saved state, and the chunk digests at the
// chunk holding the old end, whose already-covered bytes it reads again
// and checks against the digest stored for them. It must not hash a byte
// past state.covered: the reader goes on from there.
func resumeHashes(f *os.File, state ledgerState) (hash.Hash, *chunkHasher, error) {
	whole := sha256.New()
	if len(state.shaState) > 0 {
		if err := whole.(encoding.BinaryUnmarshaler).UnmarshalBinary(state.shaState); err != nil {
			return nil, nil, fmt.Errorf("restore SHA-256 state: %w", err)
		}
	}
	// Chunk digests restart at the chunk holding the old end: re-hash that
	// chunk's already-covered bytes so its digest extends correctly.
	complete := state.covered / chunkSize
	chunks := newChunkHasher(bytes.Clone(state.digests[:complete*chunkDigestSize]))
	if head := state.covered - complete*chunkSize; head > 0 {
		buf := make([]byte, head)
		if _, err := f.ReadAt(buf, complete*chunkSize); err != nil {
			return nil, nil, fmt.Errorf("re-read last chunk: %w", err)
		}
		// The append-only check reads these bytes too, but at its own
		// moment: an edit after it would be folded into the new digest
		// unseen, the store keeping the old row. So they must still be
		// the bytes the stored digest covers.
		if stored := state.digests[complete*chunkDigestSize:]; len(stored) >= chunkDigestSize {
			if sum := chunkDigest(buf); !bytes.Equal(sum[:], stored[:chunkDigestSize]) {
				return nil, nil, fmt.Errorf("re-read bytes %d to %d, the last chunk the store covers: they differ from what it loaded: %w",
					complete*chunkSize, state.covered, ErrLedgerChanged)
			}
		}
		chunks.Write(buf)
	}
	return whole, chunks, nil
}

// resumeRowFold starts the fold of the new rows' digests per chunk (the
// collector adds them) and, when the old end falls inside a chunk, sets
// res.PriorChunk to the digest of the rows already stored in it.
//
// Row digests per chunk: the chunk holding the old end starts with the
// digests of the rows already stored in it, and their digest alone is
// returned for the caller to compare with the one recorded when they
// were loaded (an edit there would otherwise be folded into the new
// digest).
func (s *Store) resumeRowFold(ctx context.Context, state ledgerState, res *IngestResult) (*chunkFolder, error) {
	folder := newChunkFolder()
	if head := state.covered % ChunkBytes; head > 0 {
		chunk := (state.covered - head) / ChunkBytes
		if err := s.foldTail(ctx, folder, state, chunk); err != nil {
			return nil, err
		}
		res.PriorChunk = &ChunkDigest{Chunk: chunk, Digest: folder.sum(chunk)}
	}
	return folder, nil
}

// parseTask is a block handed to a parse worker, with the channel its
// parsed outcome goes to; the collector waits on that channel in ledger
// order.
type parseTask struct {
	b   block
	out chan parsed
}

// loader is one load under way: its input, what its goroutines share, and
// what each of them builds. Each group of fields below is written by one
// goroutine only, and the load reads what the reader and the collector
// built only after stream has waited for them.
type loader struct {
	s      *Store
	f      *os.File
	size   int64
	state  ledgerState // what the store covered before the load
	seq    int32
	res    *IngestResult
	schema *arrow.Schema

	// Made by stream before it starts the goroutines.
	tasks   chan parseTask
	ordered chan chan parsed
	free    chan []byte
	batches chan arrow.Record
	// hashCol, offsetCol and lineCol are the schema's run_hash,
	// byte_offset and line_no columns.
	hashCol, offsetCol, lineCol int

	// The reader's (read): the hashes of what it framed, and the bytes and
	// complete lines covered so far.
	whole          hash.Hash
	chunks         *chunkHasher
	covered, lines int64

	// The collector's (collect): the code book, the field value counts,
	// the row-digest fold, the rejected lines, the run-id hashes kept for
	// the duplicate search when search is set or nothing was covered, and
	// the search of the earlier rows it starts. It also adds to res.Lines
	// and res.Loaded.
	codes     *codeBook
	values    *fieldCounts
	folder    *chunkFolder
	search    bool
	rejects   []rejectRow
	runHashes []int64
	earlier   *earlierRuns
}

// stream runs the load's pipeline: the reader, one parse worker per core
// and the collector, whose batches one INSERT takes on the store's
// connection as they come. It returns only once every goroutine it started
// has returned: their error first, else the insert's.
func (ld *loader) stream(ctx context.Context, rows int64) error {
	g, gctx := errgroup.WithContext(ctx)
	workers := max(runtime.GOMAXPROCS(0), 1)
	ld.tasks = make(chan parseTask, workers)
	ld.ordered = make(chan chan parsed, workers*2)
	// Read buffers go back to the reader once their block is parsed: a
	// fresh buffer per block cost more in zeroing (0.3 s per 400 MB) than
	// the hashing of its bytes. Parsing copies every value it keeps.
	ld.free = make(chan []byte, 2*workers+2)

	// Reader: frames complete lines, hashes them, hands blocks out in order.
	g.Go(func() error { return ld.read(gctx) })
	for range workers {
		g.Go(ld.parseBlocks)
	}
	// Collector: takes parse results in ledger order and streams the
	// batches to DuckDB; rejects are kept for after the bulk insert.
	ld.batches = make(chan arrow.Record, 2)
	ld.hashCol = ld.schema.FieldIndices("run_hash")[0]
	ld.offsetCol = ld.schema.FieldIndices("byte_offset")[0]
	ld.lineCol = ld.schema.FieldIndices("line_no")[0]
	g.Go(func() error { return ld.collect(ctx, gctx) })
	// Writer: one INSERT consumes the whole stream on the connection that
	// owns the transaction.
	insertErr := ld.s.insertArrow(ctx, "ledger_rows", newBatchStream(ld.schema, ld.batches, func() error {
		if err := gctx.Err(); err != nil {
			return context.Cause(gctx)
		}
		return nil
	}), rows)
	// If the insert stopped early, stop the producers and free what is
	// still queued before waiting for them.
	for rec := range ld.batches {
		rec.Release()
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return insertErr
}

// parseBlocks is a parse worker: it parses each block the reader hands
// out into the channel the collector takes it from, then gives the
// block's buffer back to the reader when there is room for it. It must
// keep nothing of a buffer it gave back: parseBlock copies every value
// it keeps.
func (ld *loader) parseBlocks() error {
	var hints batchHints
	for t := range ld.tasks {
		t.out <- parseBlock(t.b, ld.schema, ld.seq, ld.s.loc, &hints)
		select {
		case ld.free <- t.b.data[:cap(t.b.data)]:
		default:
		}
	}
	return nil
}

// collect is the collector: it takes the parsed blocks in ledger order,
// keeps their rejects, accounts for their batches (account) and hands
// the batches to the insert; once it has handed over the last, it starts
// the search of the earlier rows when search is set. It closes batches
// when it returns, whatever it returns. The search runs under ctx, the
// load's, not under gctx, which ends with the goroutines.
func (ld *loader) collect(ctx, gctx context.Context) error {
	defer close(ld.batches)
	for out := range ld.ordered {
		var p parsed
		select {
		case p = <-out:
		case <-gctx.Done():
			return gctx.Err()
		}
		ld.res.Lines += p.lines
		ld.rejects = append(ld.rejects, p.rejects...)
		if p.rec == nil {
			continue
		}
		if err := ld.account(&p); err != nil {
			p.rec.Release()
			return err
		}
		select {
		case ld.batches <- p.rec:
		case <-gctx.Done():
			p.rec.Release()
			return gctx.Err()
		}
	}
	if ld.search {
		ld.earlier = ld.s.searchEarlierRuns(ctx, ld.seq, ld.runHashes)
	}
	return nil
}

// account takes one parsed batch into what the load keeps, in ledger
// order: the store's codes for its coded columns, the enumerated columns'
// counts, the fold of its row digests, the count of loaded rows and, when
// they are searched, its run-id hashes. It runs on the collector alone,
// batch after batch in ledger order, and must not release the batch: on
// an error its caller does, else the insert.
func (ld *loader) account(p *parsed) error {
	if p.err != nil {
		return p.err
	}
	// In ledger order: codes go to values by first appearance.
	if err := ld.codes.assign(&p.dicts, p.rec.Column(ld.lineCol).(*array.Int64).Int64Values()); err != nil {
		return err
	}
	if err := ld.values.add(p.rec); err != nil {
		return err
	}
	ld.folder.addAll(p.rec.Column(ld.offsetCol).(*array.Int64).Int64Values(), p.digests)
	ld.res.Loaded += p.rec.NumRows()
	if ld.state.covered == 0 || ld.search {
		ld.runHashes = append(ld.runHashes, p.rec.Column(ld.hashCol).(*array.Int64).Int64Values()...)
	}
	return nil
}

// finish completes the load once stream has returned without an error:
// it inserts the codes the load assigned and the rejected lines, records
// the rejects and the chunk row digests in res, and returns the new
// ledger state, with the fold of the tail chunk and the whole-file
// SHA-256's state saved for the next ingest to resume from, and the
// outcome. On an error it returns the state the load began from.
func (ld *loader) finish(ctx context.Context) (ledgerState, loadOutcome, error) {
	state := ld.state
	if err := ld.s.insertCodes(ctx, ld.codes); err != nil {
		return state, loadOutcome{}, err
	}
	ld.res.Rejected = int64(len(ld.rejects))
	tail, err := ld.folder.tail(ld.covered / ChunkBytes)
	if err != nil {
		return state, loadOutcome{}, err
	}
	ld.res.ChunkRowDigests = ld.folder.result()
	if err := ld.s.insertRejects(ctx, ld.rejects, ld.seq); err != nil {
		return state, loadOutcome{}, err
	}
	shaState, err := ld.whole.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return state, loadOutcome{}, err
	}
	out, err := ld.outcome()
	if err != nil {
		return state, loadOutcome{}, err
	}
	return ledgerState{
		covered:   ld.covered,
		lines:     ld.lines,
		digests:   ld.chunks.result(),
		shaState:  shaState,
		prefixSHA: hex.EncodeToString(ld.whole.Sum(nil)),
		tailFold:  tail,
	}, out, nil
}

// outcome is what the load found besides the new ledger state: the
// field value counts and their code book, and, when they were searched,
// the run-id hashes the loaded rows repeat, among themselves and (waiting
// for the search of the earlier rows, when one was started) from an
// earlier ingest's rows.
func (ld *loader) outcome() (loadOutcome, error) {
	out := loadOutcome{values: ld.values, book: ld.codes}
	if ld.state.covered == 0 || ld.search {
		out.repeated, out.searched = repeatedHashes(ld.runHashes), true
	}
	if ld.earlier != nil {
		found, err := ld.earlier.wait()
		if err != nil {
			return loadOutcome{}, err
		}
		out.repeated = append(out.repeated, found...)
		slices.Sort(out.repeated)
		out.repeated = slices.Compact(out.repeated)
	}
	return out, nil
}

// typicalLineBytes is the length of a ledger line assumed before any is
// loaded (the fixtures' lines average about 490 bytes).
const typicalLineBytes = 500

// estimateRows estimates the rows in n new ledger bytes, from the average
// line length of what state covers.
func estimateRows(n int64, state ledgerState) int64 {
	if state.lines > 0 && state.covered > 0 {
		return max(n*state.lines/state.covered, 1)
	}
	return max(n/typicalLineBytes, 1)
}

// repeatedHashes returns the values occurring more than once, sorted.
func repeatedHashes(h []int64) []int64 {
	slices.Sort(h)
	var out []int64
	for i := 1; i < len(h); i++ {
		if h[i] == h[i-1] && (len(out) == 0 || out[len(out)-1] != h[i]) {
			out = append(out, h[i])
		}
	}
	return out
}

// parseBlock parses b's lines into a batch and rejects; hints is the
// calling worker's, carried from block to block.
func parseBlock(b block, schema *arrow.Schema, seq int32, loc *time.Location, hints *batchHints) parsed {
	bb := newBatchBuilder(schema, int(b.lines), loc, hints)
	var out parsed
	data := b.data
	lineNo, offset := b.line, b.offset
	for len(data) > 0 {
		nl := bytes.IndexByte(data, '\n')
		line := data[:nl]
		var rec ledger.Record
		var err error
		if body := bytes.TrimSuffix(line, []byte{'\r'}); len(body) > inputs.MaxLineBytes {
			err = lineTooLong(int64(len(line))) // the reader holds such a line whole only a byte past the limit
		} else {
			rec, err = ledger.Parse(body)
		}
		if err != nil {
			var rej *ledger.RejectError
			if !errors.As(err, &rej) {
				rej = &ledger.RejectError{Code: ledger.CodeInvalidJSON, Detail: err.Error()}
			}
			sum := sha256.Sum256(line)
			out.rejects = append(out.rejects, rejectRow{
				lineNo: lineNo, offset: offset, code: rej.Code, reason: rej.Error(),
				sha: hex.EncodeToString(sum[:]), raw: rejectText(line),
			})
		} else {
			bb.append(lineNo, offset, seq, &rec)
		}
		lineNo++
		offset += int64(nl + 1)
		out.lines++
		data = data[nl+1:]
	}
	out.rec = bb.finish(hints)
	if out.rec == nil {
		return out
	}
	if out.err = bb.blockOverflow(); out.err != nil {
		return out
	}
	out.dicts = bb.dicts()
	// The digests cover the coded columns' text (from the block's
	// dictionaries), not their codes.
	idx := rowDigestIndices(schema)
	enc := make([]valueEnc, len(idx))
	coded := bb.codeColumns()
	for k, i := range idx {
		if j := codedIndex(schema.Field(i).Name); j >= 0 {
			enc[k] = coded[j].encoder()
			continue
		}
		var err error
		if enc[k], err = valueEncoder(out.rec.Column(i)); err != nil {
			out.err = fmt.Errorf("row digest of column %s: %w", schema.Field(i).Name, err)
			return out
		}
	}
	out.digests = digestRows(make([]byte, 0, rowDigestSize*out.rec.NumRows()), int(out.rec.NumRows()), enc)
	return out
}

// findDuplicates records the rows of ingest seq that repeat an earlier run
// id and returns how many there are. searched says repeated holds the
// run-id hashes those rows repeat already (loadOutcome); otherwise the new
// rows' hashes are probed in SQL.
func (s *Store) findDuplicates(ctx context.Context, seq int, searched bool, repeated []int64) (int64, error) {
	if !searched {
		rows, err := s.conn.QueryContext(ctx, repeatedRunHashesSQL, seq)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			var h int64
			if err := rows.Scan(&h); err != nil {
				rows.Close()
				return 0, err
			}
			repeated = append(repeated, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
	}
	if len(repeated) == 0 {
		return 0, nil
	}
	hashes := make([]string, len(repeated))
	for i, h := range repeated {
		hashes[i] = strconv.FormatInt(h, 10)
	}
	inList := strings.Join(hashes, ", ")
	candidates, err := s.candidateRows(ctx, inList)
	if err != nil {
		return 0, err
	}
	q := strings.Replace(findDuplicatesSQL, "{{candidate_rows}}", candidates, 1)
	if _, err := s.conn.ExecContext(ctx, q, seq); err != nil {
		return 0, err
	}
	var n int64
	err = s.conn.QueryRowContext(ctx, duplicatesOfIngestSQL, seq).Scan(&n)
	return n, err
}

// maxPointLookups bounds the candidate rows fetched one line_no at a time.
// Each lookup costs a few milliseconds and DuckDB's planning grows faster
// than linearly with the UNION ALL branches (64 took 0.7 s), while one scan
// by run-id hash costs about 0.3 s at a million rows whatever the count.
const maxPointLookups = 16

// candidateRows returns the SQL that selects every ledger_rows row whose
// run-id hash is in inList (integer literals).
func (s *Store) candidateRows(ctx context.Context, inList string) (string, error) {
	scan := strings.Replace(statements(candidateRowsByHashSQL)[0], "{{run_hashes}}", inList, 1)
	rows, err := s.conn.QueryContext(ctx, strings.Replace(candidateLinesSQL, "{{run_hashes}}", inList, 1))
	if err != nil {
		return "", fmt.Errorf("candidate lines: %w", err)
	}
	defer rows.Close()
	var lookups []string
	atLine := statements(candidateRowAtLineSQL)[0]
	for rows.Next() {
		var line int64
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		if len(lookups) == maxPointLookups {
			return scan, nil
		}
		lookups = append(lookups, strings.Replace(atLine, "{{line_no}}", strconv.FormatInt(line, 10), 1))
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if len(lookups) == 0 {
		return scan, nil
	}
	return strings.Join(lookups, "\n    UNION ALL "), nil
}

func (s *Store) insertRejects(ctx context.Context, rejects []rejectRow, seq int32) error {
	rows := make([][]any, len(rejects))
	for i, r := range rejects {
		rows[i] = []any{r.lineNo, r.offset, seq, r.code, r.reason, r.sha, r.raw}
	}
	return s.InsertRows(ctx, "rejects", rows)
}

//go:embed sql/ledger_state.sql
var ledgerStateSQL string

//go:embed sql/save_ledger_state.sql
var saveLedgerStateSQL string

//go:embed sql/record_ingest.sql
var recordIngestSQL string

// loadState reads ledger_state; ok is false before the first ingest.
func (s *Store) loadState(ctx context.Context) (st ledgerState, ok bool, err error) {
	rows, err := s.conn.QueryContext(ctx, ledgerStateSQL)
	if err != nil {
		return st, false, fmt.Errorf("read ledger state: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return st, false, fmt.Errorf("read ledger state: %w", err)
		}
		return ledgerState{}, false, nil
	}
	if err := ScanNamed(rows, "ledger_state", map[string]any{
		"covered_bytes": &st.covered, "covered_lines": &st.lines, "chunk_digests": &st.digests,
		"sha256_state": &st.shaState, "prefix_sha256": &st.prefixSHA,
		"rows_since_checkpoint": &st.rowsSinceCheckpoint, "tail_fold": &st.tailFold,
	}); err != nil {
		return st, false, fmt.Errorf("read ledger state: %w", err)
	}
	return st, true, rows.Close()
}

func (s *Store) nextIngestSeq(ctx context.Context) (int, error) {
	var seq int
	if err := s.conn.QueryRowContext(ctx, nextIngestSeqSQL).Scan(&seq); err != nil {
		return 0, fmt.Errorf("next ingest seq: %w", err)
	}
	return seq, nil
}

func (s *Store) saveState(ctx context.Context, ledgerPath string, st ledgerState, res *IngestResult) error {
	if _, err := s.conn.ExecContext(ctx, "DELETE FROM ledger_state"); err != nil {
		return fmt.Errorf("save ledger state: %w", err)
	}
	var tail any // NULL, not an empty blob, when there is none
	if len(st.tailFold) > 0 {
		tail = st.tailFold
	}
	if _, err := s.conn.ExecContext(ctx, saveLedgerStateSQL,
		ledgerPath, st.covered, st.lines, int64(chunkSize), st.digests, st.shaState, st.prefixSHA, st.rowsSinceCheckpoint, tail); err != nil {
		return fmt.Errorf("save ledger state: %w", err)
	}
	var mf, mt, lf, lt any
	if m := res.Modified; m != nil {
		mf, mt, lf, lt = m.ByteFrom, m.ByteTo, m.LineFrom, m.LineTo
	}
	_, err := s.conn.ExecContext(ctx, recordIngestSQL,
		res.Seq, ledgerPath, res.Event, res.OffsetFrom, res.OffsetTo, res.Lines, res.Loaded, res.Rejected,
		res.Duplicates, res.PartialTailBytes, res.PrefixSHA256, mf, mt, lf, lt)
	if err != nil {
		return fmt.Errorf("record ingest: %w", err)
	}
	return nil
}

// nullInt scans a nullable BIGINT into an int64, leaving 0 for NULL.
type nullInt struct{ p *int64 }

func (n nullInt) Scan(v any) error {
	var ni sql.NullInt64
	if err := ni.Scan(v); err != nil {
		return err
	}
	*n.p = ni.Int64
	return nil
}

// LedgerCheck is the outcome of VerifyLedger.
type LedgerCheck struct {
	CoveredBytes int64
	Intact       bool
	Modified     *Modification
	// AppendedBytes are complete-or-partial bytes past what the store covers
	// (not yet ingested; not an integrity problem).
	AppendedBytes int64
	// Unloadable is set when the last of those bytes cannot be a line
	// being written: every ingest, and so every job, stops on them.
	Unloadable *LineEndError
}

// VerifyLedger runs the append-only check without ingesting: it re-hashes
// the prefix the store covers and compares it with the saved digests.
//
// A store written under an older schema (opened read-only, so not yet
// rebuilt) is an error, not a verdict: its digests may be of another kind
// and comparing them would report a modification that did not happen.
func (s *Store) VerifyLedger(ctx context.Context, ledgerPath string) (LedgerCheck, error) {
	if err := s.requireCurrent(); err != nil {
		return LedgerCheck{}, err
	}
	state, had, err := s.loadState(ctx)
	if err != nil || !had {
		return LedgerCheck{Intact: true}, err
	}
	res := LedgerCheck{CoveredBytes: state.covered, Intact: true}
	if err := checkState(state); err != nil {
		return res, err
	}
	if err := s.checkRowIngests(ctx); err != nil {
		return res, err
	}
	f, err := inputs.OpenRegular(ledgerPath)
	var size int64
	if err == nil {
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return res, err
		}
		size = st.Size()
	} else if errors.Is(err, fs.ErrNotExist) {
		// Missing is not empty: a lost mount is not an edit.
		return res, fmt.Errorf("ledger %s is missing, and the store covers %d bytes of it: check the mount: %w", ledgerPath, state.covered, err)
	} else {
		return res, err
	}
	check, err := checkPrefix(ctx, f, size, state.covered, state.digests, nil)
	if err != nil {
		return res, fmt.Errorf("verify ledger %s: %w", ledgerPath, err)
	}
	if err := chunkDigestsEdited(ctx, f, size, state, check, nil); err != nil {
		return res, err
	}
	if !check.intact {
		mod, err := s.ModificationOf(ctx, check.from, check.to)
		if err != nil {
			return res, err
		}
		res.Intact, res.Modified = false, mod
	}
	res.AppendedBytes = max(size-state.covered, 0)
	if res.Unloadable, err = unterminatedTail(ctx, f, state.covered, state.lines, size); err != nil {
		return res, fmt.Errorf("verify ledger %s: %w", ledgerPath, err)
	}
	return res, nil
}

// ErrOlderSchema is matched by the error of a store an earlier ledgerlens
// wrote, opened read-only (so not brought up to date), for what needs
// this version's derived state. It says nothing of the store's integrity:
// after an upgrade, the daily check called the intact store "edited or
// damaged" and alarmed the webhooks (an outside review).
var ErrOlderSchema = errors.New("the store was written by an earlier ledgerlens")

// requireCurrent refuses a store of an older schema (opened read-only, so
// not brought up to date) for what needs this version's derived state: its
// digests, and its coded columns and their views.
func (s *Store) requireCurrent() error {
	switch {
	case s.version > 0 && s.version < schemaVersion:
		return fmt.Errorf("store %s has schema version %d, this ledgerlens uses %d: run `ledgerlens ingest` once (any job does it: it brings the store up to date from the ledger), then verify again: %w",
			s.name, s.version, schemaVersion, ErrOlderSchema)
	case s.version != schemaVersion:
		// No version (tables missing), or a later ledgerlens's.
		return fmt.Errorf("store %s has schema version %d, this ledgerlens uses %d: run `ledgerlens ingest` (any job does it) to rebuild the store from the ledger, then verify again",
			s.name, s.version, schemaVersion)
	}
	return nil
}

// ErrLedgerChanged is an ingest that found the ledger changed under it
// while it read it: shorter than when it began (truncated), or the
// covered bytes it re-reads to extend the last chunk's digest no longer
// those the store covered (an edit after the append-only check read
// them). Nothing of that ingest is committed. The next one's check sees
// an edit of bytes the store covers; lines cut before any ingest committed
// them are beyond its reach, and this ingest's failure (the job's exit 4
// and job_fail entry, with the sizes) is their only record.
var ErrLedgerChanged = errors.New("the ledger changed while the ingest read it")

// ErrStateEdited is a store whose record of the ledger it covers does not
// hold together: the running SHA-256 it extends (sha256_state) does not
// give the prefix digest it records, or its chunk digests
// (chunk_digests) are not those of the bytes that digest vouches for.
// Extended, the first had a job record a false digest of the ledger in
// the signed log, and the next check blame the ledger; the second had a
// job sign a ledger modification of a byte-identical ledger (an outside
// review).
var ErrStateEdited = errors.New("the store's record of the ledger it covers does not hold together: the store was edited")

// checkState returns an error wrapping ErrStateEdited when the store's
// record of the ledger it covers does not hold together: its running
// SHA-256 does not give its prefix digest, or either is missing while
// the store covers bytes (every ingest writes both: an empty running
// digest had the next ingest start a new one and record the digest of the
// appended bytes alone as the ledger's, signed, exit 0 — an outside
// review), or its chunk digests are not one per chunk of the covered
// bytes (a list cut short made the next ingest panic).
func checkState(state ledgerState) error {
	if state.covered == 0 {
		return nil
	}
	if len(state.shaState) == 0 || state.prefixSHA == "" {
		return fmt.Errorf("it covers %d bytes of the ledger, but its running SHA-256 of them (ledger_state.sha256_state) or its digest of them (prefix_sha256) is empty: %w", state.covered, ErrStateEdited)
	}
	if n := (state.covered + chunkSize - 1) / chunkSize; int64(len(state.digests)) != n*chunkDigestSize {
		return fmt.Errorf("its digests of the ledger's chunks (ledger_state.chunk_digests) take %d bytes, not the %d of the %d chunks it covers: %w",
			len(state.digests), n*chunkDigestSize, n, ErrStateEdited)
	}
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state.shaState); err != nil {
		return fmt.Errorf("restore SHA-256 state: %v: %w", err, ErrStateEdited)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != state.prefixSHA {
		return fmt.Errorf("its running SHA-256 of the ledger's first %d bytes gives %s, not the %s it records: %w", state.covered, got, state.prefixSHA, ErrStateEdited)
	}
	return nil
}
