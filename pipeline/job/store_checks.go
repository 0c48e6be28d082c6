package job

// The store held to the audit log: the rows each recorded ingest loaded
// (chunk row digests), the derived tables and bookkeeping it recorded
// digests of, the gaps no ingest recorded, and the reload of what a job
// stopped between the store's commit and its record leaves. Jobs run
// these before they ingest and before they publish; the verifiers run
// the exported ones (docs/COMPLIANCE.md, "Threat model").

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
)

// recordedChunkDigests returns, for each ledger chunk, the row digest the
// newest ingest that loaded rows into it recorded in the audit log, and
// that ingest's entry. A (re)load clears what earlier ingests recorded.
func (j *Job) recordedChunkDigests() (map[int64]string, map[int64]audit.Entry) {
	if j.trail == nil {
		return map[int64]string{}, map[int64]audit.Entry{}
	}
	return RecordedChunkDigests(j.trail.state.Entries)
}

// RecordedChunkDigests is recordedChunkDigests over the entries of a
// verified log (the integrity check's, which runs no job).
func RecordedChunkDigests(entries []audit.Entry) (map[int64]string, map[int64]audit.Entry) {
	refs := map[int64]audit.Entry{}
	ref := map[int64]string{}
	for _, e := range entries {
		if e.Event != audit.EventIngest {
			continue
		}
		digests, _ := e.Fields[chunkDigestsField].(map[string]any)
		if e.Fields["ingest_event"] == store.EventLedgerModified || e.Fields["ingest_event"] == store.EventInitial {
			// A (re)load replaces every row: older digests no longer apply.
			clear(ref)
			clear(refs)
		}
		for k, v := range digests {
			c, err := strconv.ParseInt(k, 10, 64)
			d, ok := v.(string)
			if err == nil && ok {
				ref[c], refs[c] = d, e
			}
		}
	}
	return ref, refs
}

// checkPriorChunk refuses an ingest that extended a chunk whose stored
// rows are not the rows the ingest that loaded them recorded: the new
// digest would otherwise take the edit in. A chunk no ingest recorded,
// whose bytes before from (where this ingest began) ingests that record
// their chunks read in full, held no row before this ingest, as the gap
// check in CheckStoreRows has it: rows there were planted, and an ingest
// that folded them into its digest had the next job publish them (an
// outside review).
func (j *Job) checkPriorChunk(p *store.ChunkDigest, from int64) error {
	if p == nil {
		return nil
	}
	storeRel := j.env.Layout.Rel(j.env.Layout.StoreFile)
	ref, refs := j.recordedChunkDigests()
	want, ok := ref[p.Chunk]
	switch {
	case ok && want != p.Digest:
		return &IntegrityError{Problems: []string{chunkProblem(storeRel, p.Chunk, ingestAt(refs[p.Chunk].Seq),
			": the store was edited; the rows appended to that chunk are not recorded (run 'ledgerlens verify store', then rebuild the store)")}}
	case !ok && p.Digest != "" && j.trail != nil && recordedGap(recordingRanges(j.trail.state.Entries), ref, p.Chunk, from):
		return &IntegrityError{Problems: []string{gapProblem(storeRel, p.Chunk*store.ChunkBytes, from,
			"the rows appended to that chunk are not recorded (run 'ledgerlens verify store', then rebuild the store)")}}
	}
	return nil
}

// gapProblem says that the store holds rows in ledger bytes [from, to),
// which ingests that record their chunks loaded without recording a row
// there, followed by what happens now.
func gapProblem(storeRel string, from, to int64, now string) string {
	return fmt.Sprintf("store %s: ledger bytes %d–%d hold rows, though the ingests that loaded those bytes recorded none there: the store was edited; %s",
		storeRel, from, to, now)
}

// recordingRanges returns, merged and in order, the ledger byte ranges
// [offset_from, offset_to) of the ingests since the last (re)load that
// recorded the row digests of the chunks they loaded rows into, an empty
// record for an ingest that loaded none. An ingest an older version
// recorded without the field (one that loaded no row, or any before row
// digests were recorded) is left out: the ranges only ever understate
// what was read.
func recordingRanges(entries []audit.Entry) [][2]int64 {
	var rs [][2]int64
	for _, e := range entries {
		if e.Event != audit.EventIngest {
			continue
		}
		if e.Fields["ingest_event"] == store.EventLedgerModified || e.Fields["ingest_event"] == store.EventInitial {
			rs = rs[:0] // every row reloaded: as RecordedChunkDigests
		}
		if _, ok := e.Fields[chunkDigestsField].(map[string]any); !ok {
			continue
		}
		if from, to := fieldInt(e.Fields, "offset_from"), fieldInt(e.Fields, "offset_to"); from < to {
			rs = append(rs, [2]int64{from, to})
		}
	}
	slices.SortFunc(rs, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	var merged [][2]int64
	for _, r := range rs {
		if n := len(merged); n > 0 && r[0] <= merged[n-1][1] {
			merged[n-1][1] = max(merged[n-1][1], r[1])
			continue
		}
		merged = append(merged, r)
	}
	return merged
}

// recordedGap reports whether the bytes of ledger chunk c below to lie in
// a gap of the record: ingests that record their chunks (loaded, from
// recordingRanges) read all of them, yet none recorded a digest for c
// (ref), so none loaded a row there. A row the store holds there was
// planted.
func recordedGap(loaded [][2]int64, ref map[int64]string, c, to int64) bool {
	from := c * store.ChunkBytes
	to = min((c+1)*store.ChunkBytes, to)
	_, recorded := ref[c]
	return !recorded && from < to && rangesCover(loaded, from, to)
}

// rangesCover reports whether [from, to) lies within one of the merged
// ranges rs.
func rangesCover(rs [][2]int64, from, to int64) bool {
	for _, r := range rs {
		if r[0] <= from && to <= r[1] {
			return true
		}
	}
	return false
}

// codeBookProblem turns an edited lookup table (store.ErrCodeBookEdited),
// or an edited record of the ledger the store covers
// (store.ErrStateEdited), into an integrity problem naming the store; any
// other error is returned as it is.
func codeBookProblem(storeRel string, err error) error {
	if !errors.Is(err, store.ErrCodeBookEdited) && !errors.Is(err, store.ErrStateEdited) {
		return err
	}
	return &IntegrityError{Problems: []string{fmt.Sprintf("store %s: %v; refusing to publish from it", storeRel, err)}}
}

// StoreRowsAgainstLog compares the row digests of every ledger chunk the
// log records an ingest of with the store's, and describes each chunk
// that differs: a store rebuilt from an edited ledger re-derives to
// itself, so only the signed record of what was loaded tells it apart
// (`verify store`, `verify all`). storeRel names the store in the
// problems.
func StoreRowsAgainstLog(ctx context.Context, entries []audit.Entry, st *store.Store, storeRel string) ([]string, error) {
	ref, refs := RecordedChunkDigests(entries)
	if len(ref) == 0 {
		return nil, nil
	}
	chunks := slices.Sorted(maps.Keys(ref))
	got, err := st.ChunkDigestsOf(ctx, chunks)
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, c := range differingChunks(chunks, got, ref) {
		problems = append(problems, chunkProblem(storeRel, c, ingestAt(refs[c].Seq), " and recorded: the store was edited or rebuilt from an edited ledger"))
	}
	return problems, nil
}

// chunkProblem says that the store's rows of ledger chunk c differ from
// what loadedBy (an ingest) loaded, followed by what that means here.
func chunkProblem(storeRel string, c int64, loadedBy, meaning string) string {
	return fmt.Sprintf("store %s: the rows of ledger bytes %d–%d differ from what %s loaded%s",
		storeRel, c*store.ChunkBytes, (c+1)*store.ChunkBytes, loadedBy, meaning)
}

// ingestAt names the ingest recorded at audit seq seq.
func ingestAt(seq int64) string { return fmt.Sprintf("the ingest at audit seq %d", seq) }

// differingChunks returns, in the order given, the chunks whose row digest
// in got (the store's; absent for a chunk it holds no rows of) is not the
// one ref records. A chunk ref records nothing for is not compared. It is
// the one comparison of store rows with the record of what was loaded,
// for the verifiers (every recorded chunk) and the jobs (the chunks a
// period reads).
func differingChunks(chunks []int64, got, ref map[int64]string) []int64 {
	var differ []int64
	for _, c := range chunks {
		if want, ok := ref[c]; ok && got[c] != want {
			differ = append(differ, c)
		}
	}
	return differ
}

// reloadUnrecordedIngest reloads the store from the ledger when it covers
// less of the ledger than the newest ingest the log records (see below),
// or more: a job stopped
// between the store's commit and the ingest's record (SIGKILL, a power
// cut) leaves rows no record vouches for, which every later check would
// take for an edited store, for ever. The rows the log records must still
// be what the ingests recorded (compared up to where the newest one ended),
// or the store is refused as edited: so is one whose ingest a job refused
// after its commit (checkPriorChunk). The rows after that are not
// compared, only dropped: the whole ledger, whose prefix the log vouches
// for, is loaded again by the ingest that follows, and the reload is
// recorded.
func (j *Job) reloadUnrecordedIngest(ctx context.Context, st *store.Store, ledgerPath string) error {
	if j.trail == nil {
		return nil
	}
	covered, err := st.CoveredBytes(ctx)
	if err != nil || covered == 0 {
		return err
	}
	entries := j.trail.state.Entries
	recorded := newestIngest(entries)
	var recordedTo int64
	if recorded != nil {
		recordedTo = fieldInt(recorded.Fields, "offset_to")
	}
	rel := j.env.Layout.Rel(j.env.Layout.StoreFile)
	if covered < recordedTo {
		// Behind its record: the write-ahead log removed (the store rolled
		// back to its last checkpoint), or an older copy restored. Its
		// rows are a prefix of what the log vouches for, but appending to
		// them would extend a chunk the log recorded whole, and be taken
		// for an edit (TestStoreBehindItsRecord). The whole ledger is
		// loaded again instead, checked against the log's newest ingest
		// as it is (ledgerAgainstLog).
		return j.reloadStore(ctx, st, covered, recordedTo,
			"the store covers less of the ledger than the audit log's newest ingest (its write-ahead log removed, or an older copy restored): loading the ledger again")
	}
	if covered == recordedTo {
		// checkDerived holds its record of ingests to the log's.
		return nil
	}
	// What an interrupted job leaves: one ingest past the recorded one
	// (the store's own history says which), of bytes the ledger has.
	// Anything else was made by hand.
	last, err := st.LastIngestSeq(ctx)
	if err != nil {
		return err
	}
	seq, known := recordedSeq(recorded)
	size := int64(-1)
	if fi, err := os.Stat(ledgerPath); err == nil {
		size = fi.Size()
	}
	if (known && last != seq+1) || covered > size {
		return &IntegrityError{Problems: []string{fmt.Sprintf("store %s: covers %d bytes of the ledger (of %d) after its ingest %d, but the audit log's newest ingest is its ingest %d, covering %d: no interrupted job leaves that; the store was edited (run 'ledgerlens verify store', then rebuild the store)",
			rel, covered, size, last, seq, recordedTo)}}
	}
	ref, refs := RecordedChunkDigests(entries)
	chunks := slices.Sorted(maps.Keys(ref))
	got, err := st.ChunkDigestsBefore(ctx, chunks, recordedTo)
	if err != nil {
		return err
	}
	if differ := differingChunks(chunks, got, ref); len(differ) > 0 {
		// A job that found the ledger edited reloads the store from it,
		// and stopped before its record leaves rows that differ from the
		// log's: the ledger is read against the log before the store is
		// blamed. Changed, it is loaded again, and the check after the
		// ingest records the modification (a signed job_fail blamed the
		// store for it: an outside review).
		if m, err := j.ledgerAgainstLog(ctx, ledgerPath, 0, ""); err != nil {
			return err
		} else if m != nil {
			return j.reloadStore(ctx, st, covered, recordedTo,
				"the store holds an ingest the audit log does not record, of a ledger whose recorded bytes differ from the log's record of them: loading the ledger again")
		}
		problems := make([]string, 0, len(differ))
		for _, c := range differ {
			problems = append(problems, chunkProblem(rel, c, ingestAt(refs[c].Seq),
				": the store was edited; refusing to publish from it (run 'ledgerlens verify store', then rebuild the store)"))
		}
		return &IntegrityError{Problems: problems}
	}
	// Nor may the recorded bytes hold rows where no ingest recorded one:
	// an ingest a job refused for them (checkPriorChunk) left them
	// committed, and the reload below would drop them unreported.
	loaded := recordingRanges(entries)
	var gaps []int64
	for c := int64(0); c*store.ChunkBytes < recordedTo; c++ {
		if recordedGap(loaded, ref, c, recordedTo) {
			gaps = append(gaps, c)
		}
	}
	held, err := st.ChunkDigestsBefore(ctx, gaps, recordedTo)
	if err != nil {
		return err
	}
	for _, c := range gaps {
		if held[c] != "" {
			return &IntegrityError{Problems: []string{gapProblem(rel, c*store.ChunkBytes, min((c+1)*store.ChunkBytes, recordedTo),
				"refusing to publish from it (run 'ledgerlens verify store', then rebuild the store)")}}
		}
	}
	return j.reloadStore(ctx, st, covered, recordedTo,
		"the store holds an ingest the audit log does not record (a job stopped between the store's commit and its record): loading the ledger again")
}

// reloadStore empties the store for the ingest that follows to load the
// whole ledger again, saying why (why, logged as a warning) and recording
// store_reloaded with what the store covered and what the log recorded.
func (j *Job) reloadStore(ctx context.Context, st *store.Store, covered, recordedTo int64, why string) error {
	rel := j.env.Layout.Rel(j.env.Layout.StoreFile)
	j.env.Log.Warn(why, "store", rel, "store_covered", covered, "recorded_covered", recordedTo)
	if err := j.Audit(ctx, audit.EventStoreReloaded, map[string]any{
		"store": rel, "store_covered": covered, "recorded_covered": recordedTo}); err != nil {
		return err
	}
	return st.Reload(ctx)
}

// recordedSeq is the store ingest seq an ingest event names, and whether
// it names one (a log from before the field does not).
func recordedSeq(e *audit.Entry) (int64, bool) {
	if e == nil {
		return 0, true
	}
	if _, ok := e.Fields["ingest_seq"]; !ok {
		return 0, false
	}
	return fieldInt(e.Fields, "ingest_seq"), true
}

// derivedDigestField is the ingest event's field holding the digest of the
// store's derived tables after the ingest (store.Store.DerivedDigest).
const derivedDigestField = "derived_sha256"

// checkDerived refuses a store whose derived tables (duplicates, rejects,
// field counts: a run listed as a duplicate vanishes from every report)
// are not what the newest recorded ingest left: it runs before the job's
// own ingest, whose record would otherwise vouch for the edit. It compares
// the store with the newest ingest that left it covering the bytes it
// covers (the last one, or the one a rolled-back copy was taken after); an
// empty store is loaded afresh from empty tables, a state no ingest
// recorded (a job killed between its commit and its record) is not
// compared, and an older log records no digest.
func (j *Job) checkDerived(ctx context.Context, st *store.Store, ledgerPath string) error {
	if j.trail == nil {
		return nil
	}
	covered, err := st.CoveredBytes(ctx)
	if err != nil || covered == 0 {
		return err // nothing loaded: the ingest starts from empty tables
	}
	last := ingestThatLeft(j.trail.state.Entries, covered)
	if last == nil {
		return nil
	}
	rel := j.env.Layout.Rel(j.env.Layout.StoreFile)
	if want, _ := last.Fields[derivedDigestField].(string); want != "" {
		got, err := st.DerivedDigest(ctx)
		if err != nil {
			return err
		}
		if got != want {
			return &IntegrityError{Problems: []string{fmt.Sprintf("store %s: its duplicates, rejects or field counts differ from what the ingest at audit seq %d left: the store was edited, or rebuilt from a changed ledger; refusing to publish from it (run 'ledgerlens verify ledger' and 'ledgerlens verify store')",
				rel, last.Seq)}}
		}
	}
	p, err := bookkeepingProblem(ctx, j.trail.state.Entries, last, st, rel)
	if err != nil {
		return err
	}
	if p == "" {
		return j.checkUnsealedPrefix(ctx, st, ledgerPath, covered, last)
	}
	// A store that loaded a changed ledger the log holds no record of
	// (the log put back as it was before the ingest that detected the
	// change) differs as well: the ledger is read against the log
	// (only here, where the digest differs), and the checks after the
	// ingest name and record the change.
	if m, err := j.ledgerAgainstLog(ctx, ledgerPath, 0, ""); err != nil || m != nil {
		return err
	}
	return &IntegrityError{Problems: []string{p + "; refusing to publish from it (run 'ledgerlens verify store')"}}
}

// checkUnsealedPrefix holds the ledger bytes a store covers to the audit
// log's digest of them when no seal vouches for the store's files
// (j.trusted nil): the store's append-only check compares the ledger with
// its own chunk digests, and those, rewritten with an edit of the
// ledger, had every job pass the edit and sign "append-only", exit 0 (an
// outside review). The covered bytes are read once more then, and only
// then: a store the last job sealed holds the digests it left. When they
// differ from the log's record and the chunk digests agree with them,
// the store is loaded again from the ledger, and the check after that
// ingest records the modification. When the chunk digests differ too,
// the ingest's own check finds the change, and names the lines.
// last is the ingest that left the store covering covered bytes.
func (j *Job) checkUnsealedPrefix(ctx context.Context, st *store.Store, ledgerPath string, covered int64, last *audit.Entry) error {
	if j.trusted != nil {
		return nil
	}
	m, err := j.ledgerAgainstLog(ctx, ledgerPath, 0, "")
	if err != nil || m == nil {
		return err
	}
	if check, err := st.VerifyLedger(ctx, ledgerPath); err != nil || !check.Intact {
		return err
	}
	return j.reloadStore(ctx, st, covered, fieldInt(last.Fields, "offset_to"),
		"the ledger bytes the store covers differ from the audit log's record of them, though they match the store's digests of them, which no seal vouches for: loading the ledger again")
}

// checkUnsealedStore runs, before the ingest, the checks of the whole
// store that a seal stands for, when no seal vouches for it (j.trusted
// nil): rows outside the covered ledger (checkRowsOutside), and the coded
// columns' lookup table, which the review's queries join (row digests
// cover the decoded text, not an extra row). Every job runs them, so the
// seal each job leaves stands for them: run only by the report jobs, an
// extra lookup row was sealed by an ingest job, and the next weekly job
// trusted the seal and published the made-up baseline match, exit 0 (an
// outside review).
func (j *Job) checkUnsealedStore(ctx context.Context, st *store.Store) error {
	if j.trusted != nil {
		return nil
	}
	if err := j.checkRowsOutside(ctx, st); err != nil {
		return err
	}
	if err := st.CheckCodeBook(ctx); err != nil {
		return codeBookProblem(j.env.Layout.Rel(j.env.Layout.StoreFile), err)
	}
	return nil
}

// checkRowsOutside refuses a store holding rows whose ledger line starts
// outside the bytes it covers (store.RowsOutsideLedger), before the job's
// ingest: such a row lies in no chunk an ingest recorded, which the
// comparison of recorded digests passes. Counted after the ingest, as it
// was, a row planted in bytes the producer had not written yet lay inside
// the ingest's new coverage, in a chunk whose digest the ingest made from
// its own batches and never read back, and the job published it, signed,
// exit 0 (an outside review).
func (j *Job) checkRowsOutside(ctx context.Context, st *store.Store) error {
	n, first, err := st.RowsOutsideLedger(ctx)
	if err != nil || n == 0 {
		return err
	}
	return &IntegrityError{Problems: []string{fmt.Sprintf("store %s: %d rows (the first of ledger line %d) lie outside the ledger bytes it covers, where no ingest loads a row: the store was edited; refusing to publish from it (run 'ledgerlens verify store')",
		j.env.Layout.Rel(j.env.Layout.StoreFile), n, first)}}
}

// recordedPrefix reports whether the audit log records sha as the digest
// of the ledger's first covered bytes, for store.Store.RecordedPrefix.
func (j *Job) recordedPrefix(covered int64, sha string) bool {
	if j.trail == nil {
		return false
	}
	last := ingestThatLeft(j.trail.state.Entries, covered)
	return last != nil && last.Fields["prefix_sha256"] == sha
}

// loggedCovered is how many ledger bytes the newest ingest the audit log
// records left the store covering; 0 when the log records none. It is a
// guess for store.LedgerFile.Prehash, never trusted: the ingest uses the
// store's own record.
func (j *Job) loggedCovered() int64 {
	if j.trail == nil {
		return 0
	}
	if e := newestIngest(j.trail.state.Entries); e != nil {
		return fieldInt(e.Fields, "offset_to")
	}
	return 0
}

// newestIngest returns the newest ingest entry of entries, nil when none.
func newestIngest(entries []audit.Entry) *audit.Entry {
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].Event == audit.EventIngest {
			return &entries[i]
		}
	}
	return nil
}

// ingestThatLeft returns the newest ingest entry that left the store
// covering covered bytes: the last one, or, for a store rolled back to an
// older copy, the one that copy was taken after (nil when none did).
func ingestThatLeft(entries []audit.Entry, covered int64) *audit.Entry {
	for i := len(entries) - 1; i >= 0; i-- {
		if e := &entries[i]; e.Event == audit.EventIngest && fieldInt(e.Fields, "offset_to") == covered {
			return e
		}
	}
	return nil
}

// bookkeepingDigestField is the ingest event's field holding the digest of
// the store's record of its ingests and coverage after the ingest
// (store.Store.BookkeepingDigest).
const bookkeepingDigestField = "bookkeeping_sha256"

// bookkeepingProblem says how the store's record of its ingests and of
// what it covers differs from what the ingest last left ("" when it does
// not, or last recorded no digest of it). No digest vouched for them, and
// the report's data-quality section reads them: lines read cut by a
// thousand, and a ledger modification made up, were published, signed,
// and passed every verifier (an outside review).
//
// A store rolled back to what an earlier ingest that covered as much left
// (its write-ahead log removed after ingests that found nothing new, or
// an older copy restored) holds what that ingest recorded, and passes.
//
// A job stopped between the commit and the record of an ingest that found
// nothing new leaves one such ingest past the log's newest: it changes no
// row and no figure the next ingest does not set again, and is left out
// of the comparison. Any other ingest past the log's is a problem.
func bookkeepingProblem(ctx context.Context, entries []audit.Entry, last *audit.Entry, st *store.Store, storeRel string) (string, error) {
	if want, _ := last.Fields[bookkeepingDigestField].(string); want == "" {
		return "", nil
	}
	through := int64(math.MaxInt64)
	if seq, ok := recordedSeq(last); ok {
		through = seq
		n, noChange, err := st.IngestsAfter(ctx, seq)
		if err != nil {
			return "", err
		}
		if n > 1 || n == 1 && !noChange {
			return fmt.Sprintf("store %s: its record of ingests (ingest_log) holds %d past the audit log's newest (the ingest at audit seq %d), which no stopped job leaves: the store was edited",
				storeRel, n, last.Seq), nil
		}
	}
	got, err := st.BookkeepingDigest(ctx, through)
	if err != nil {
		return "", err
	}
	covered := fieldInt(last.Fields, "offset_to")
	for i := range entries {
		e := &entries[i]
		if e.Event == audit.EventIngest && fieldInt(e.Fields, "offset_to") == covered && e.Fields[bookkeepingDigestField] == got {
			return "", nil
		}
	}
	return fmt.Sprintf("store %s: its record of ingests (ingest_log) or of the ledger it covers (ledger_state) differs from what the ingest at audit seq %d left: the store was edited",
		storeRel, last.Seq), nil
}

// StoreBookkeepingAgainstLog is bookkeepingProblem for the verifiers,
// which run no job: the store compared with the newest ingest of the
// verified log that left it covering what it covers.
func StoreBookkeepingAgainstLog(ctx context.Context, entries []audit.Entry, st *store.Store, storeRel string) (string, error) {
	covered, err := st.CoveredBytes(ctx)
	if err != nil || covered == 0 {
		return "", err
	}
	last := ingestThatLeft(entries, covered)
	if last == nil {
		return "", nil
	}
	return bookkeepingProblem(ctx, entries, last, st, storeRel)
}

// CheckStoreRows refuses to publish from a store whose rows for the period
// [start, end) are not the rows the ingests loaded: it recomputes the row
// digests of the ledger chunks the period reads and compares each with the
// digest the newest ingest that loaded that chunk recorded in the audit
// log. A chunk no ingest recorded a digest for (an older log) is not
// checked; `verify store` re-derives every row.
func (j *Job) CheckStoreRows(ctx context.Context, st *store.Store, start, end time.Time) error {
	ref, refs := j.recordedChunkDigests()
	for c, d := range j.chunkRefs {
		ref[c] = d
		delete(refs, c)
	}
	// (A store the last job did not seal had its lookup table checked,
	// and rows outside the covered ledger counted, before the ingest:
	// checkUnsealedStore.)
	chunks, err := st.Chunks(ctx, 0, start, end)
	if err != nil {
		return err
	}
	if start.IsZero() {
		// Every chunk: those an ingest recorded that hold no row now
		// too. Listed from the store alone, a chunk whose rows were all
		// deleted was never compared (an outside review).
		covered, err := st.CoveredBytes(ctx)
		if err != nil {
			return err
		}
		listed := make(map[int64]bool, len(chunks))
		for _, c := range chunks {
			listed[c] = true
		}
		// A chunk holding rows that no ingest recorded, though ingests
		// that record their chunks loaded all of its bytes, holds rows
		// none of them loaded: a chunk a rejected line of a MiB or more
		// spans holds no row and has no digest, and a run planted there
		// passed the comparison below (an outside review).
		if j.trail != nil {
			loaded := recordingRanges(j.trail.state.Entries)
			for _, c := range chunks {
				if !j.trusted[c] && recordedGap(loaded, ref, c, covered) {
					return &IntegrityError{Problems: []string{gapProblem(j.env.Layout.Rel(j.env.Layout.StoreFile), c*store.ChunkBytes, min((c+1)*store.ChunkBytes, covered),
						"refusing to publish from it (run 'ledgerlens verify store')")}}
				}
			}
		}
		for c := range ref {
			if c*store.ChunkBytes < covered && !listed[c] {
				chunks = append(chunks, c)
			}
		}
		slices.Sort(chunks)
	}
	// The chunks this job's own ingest loaded were digested from the very
	// batches it inserted, and no other process can open the store while
	// the job has it open: only the chunks earlier ingests loaded are read
	// back.
	// Chunks the store seal this job opened under vouches for are not
	// read back either (store_seal.go).
	var older []int64
	for _, c := range chunks {
		if _, fresh := j.chunkRefs[c]; !fresh && !j.trusted[c] {
			older = append(older, c)
		}
	}
	j.readBack += len(older)
	got, err := st.ChunkDigestsOf(ctx, older)
	if err != nil {
		return err
	}
	differ := differingChunks(older, got, ref)
	for _, c := range older {
		if _, ok := ref[c]; ok && !slices.Contains(differ, c) {
			if j.checked == nil {
				j.checked = map[int64]bool{}
			}
			j.checked[c] = true
		}
	}
	if len(differ) == 0 {
		return nil
	}
	problems := make([]string, 0, len(differ))
	for _, c := range differ {
		from := "this job's ingest"
		if e, ok := refs[c]; ok {
			from = ingestAt(e.Seq)
		}
		problems = append(problems, chunkProblem(j.env.Layout.Rel(j.env.Layout.StoreFile), c, from,
			": the store was edited; refusing to publish from it (run 'ledgerlens verify store')"))
	}
	return &IntegrityError{Problems: problems}
}
