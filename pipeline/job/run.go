package job

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/lock"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

// Job is one run of a job: it holds the state directory's lock for its
// whole run and records its events in the audit log, each tagged with the
// job run id once StartSteps has set it.
type Job struct {
	env         Env
	name        string
	log         *audit.Log
	trail       *trail
	headAtStart string
	// recorded maps a published file's path to the digest of its newest
	// artifact_written record (publication.go).
	recorded map[string]string
	// locations resolves the directories of recorded paths (where).
	locations *inputs.Locations
	// chunkRefs are the chunk row digests this job's ingest recorded.
	chunkRefs map[int64]string
	// storeOpened says the job opened the store, so it seals it at its
	// end; trusted are the chunks the store seal it opened under vouched
	// for, checked those CheckStoreRows read back and found as recorded,
	// readBack how many it read back (store_seal.go).
	storeOpened bool
	// published says the job put files in place (a publishing step,
	// StepSpec.Publishes, or a publication RecordPublished records): from
	// then on its records are written whatever a signal says (append), for
	// the log and the command to tell the truth. Atomic: the steps' records
	// are written in the background.
	published atomic.Bool
	// recordedSet says a publication's every file is recorded
	// (RecordPublishedSet ended well): what a failure after it may say.
	recordedSet atomic.Bool
	early       *earlySeal // PrepareSeal's fingerprint, if it was called
	steps       *Steps     // StartSteps's, whose records Audit waits for
	trusted     map[int64]bool
	checked     map[int64]bool
	readBack    int
	// fields are added to every event of the job (the job run id).
	fields map[string]any
	// about names what the job is about (start's fields, and what Describe
	// added): its job_fail carries them.
	about map[string]any
	// own are the entries the job appended (EntriesSoFar); appends come
	// from the steps' records in the background too.
	ownMu sync.Mutex
	own   []audit.Entry
	// storeDir is the store's directory, held from the job's first
	// OpenStore to its end (store.Dir): the seal hashes what the engine
	// read.
	storeDir *store.Dir
}

// Outcome is what a job's work reports for its job_end event.
type Outcome struct {
	State  string // StateCompleted unless set
	Fields map[string]any
	// Integrity lists integrity problems the job found (one line each).
	// The job still completes — its evidence is published — but Run
	// records them in job_end and returns an *IntegrityError.
	Integrity []string
}

// Work is a job's body, run by Run under the lock.
type Work func(ctx context.Context, j *Job) (Outcome, error)

// Run takes the lock, settles a key rotation a kill left unfinished
// (resumeRotation), opens the audit log, records lock_recovered (when it
// took over a stale lock) and job_start with start's fields, and runs work.
// It records job_end with work's outcome, or job_fail with the error and
// state blocked (a *BlockedError), interrupted (a signal cancelled ctx) or
// failed, and start's fields with those work gave Describe. job_fail is
// recorded even when ctx was cancelled: a clean abandon is an event too.
//
// A lock another process holds beyond Env.LockTimeout is a *LockHeldError,
// returned before anything is recorded.
func Run(ctx context.Context, env Env, name string, start map[string]any, work Work) (err error) {
	l := env.Layout
	if err := os.MkdirAll(l.StateDir, 0o750); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	lk, err := lock.Acquire(ctx, l.LockFile, env.LockTimeout, lock.CurrentHolder(env.Command, env.Now()))
	if err != nil {
		return err
	}
	defer lk.Release()
	// Before the log is opened, which would start one: a state directory
	// lost or not mounted must not get a second record of publication
	// (TestIngestOverALostStateDirectory).
	if err := CheckRecordNotLost(l); err != nil {
		return err
	}
	undone, err := resumeRotation(env)
	if err != nil {
		return err
	}
	tr, err := openTrail(ctx, env) // verified against the newest signed checkpoint (trail.go)
	if err != nil {
		return err
	}
	// Every job, completed, failed or blocked, ends with a signed
	// checkpoint of the log (trail.go).
	defer func() {
		if env.AfterStep != nil {
			env.AfterStep(ctx, StepAuditClosed)
		}
		if serr := sealTrail(env, name, tr); serr != nil {
			if err == nil {
				err = serr
			} else {
				env.Log.Warn("no audit checkpoint signed at the end of the failed job", "error", serr)
			}
		}
	}()
	j := &Job{env: env, name: name, log: tr.log, trail: tr, headAtStart: tr.anchorHead, about: maps.Clone(start)}
	defer func() {
		if j.early != nil {
			<-j.early.done // it hashes through the directory's handle
		}
		if j.storeDir != nil {
			j.storeDir.Close()
		}
	}()
	if lk.Recovered != nil {
		if err := j.Audit(ctx, audit.EventLockRecovered, map[string]any{"previous_holder": lk.Recovered.String()}); err != nil {
			return err
		}
	}
	fields := map[string]any{"job": name, "command": env.Command}
	if !env.Fire.IsZero() {
		fields[FieldFire] = env.Fire.UTC().Format(time.RFC3339)
	}
	maps.Copy(fields, start)
	maps.Copy(fields, tr.checkpointsFile)
	if err := j.Audit(ctx, audit.EventJobStart, fields); err != nil {
		return err
	}
	for _, id := range undone {
		if err := j.Audit(ctx, audit.EventKeyRotationUndone, map[string]any{"key_id": id}); err != nil {
			return err
		}
	}
	// Rules anyone else may change are not applied: nothing is published
	// from them (an outside review; ConfigAccessProblems). The refusal is
	// a failed job of the log's, so that once the access is taken away
	// the log still says the rules were open to others (it said nothing:
	// an outside review).
	var out Outcome
	if problems := ConfigAccessProblems(l); len(problems) > 0 {
		for i := range problems {
			problems[i] += "; nothing was published"
		}
		err = &IntegrityError{Problems: problems}
	} else {
		out, err = work(ctx, j)
	}
	if err == nil && j.published.Load() {
		// Published: a signal now would have the job say it published
		// nothing. It finishes its records, seal and job_end instead
		// (a fraction of a second; a second signal still exits at once).
		ctx = context.WithoutCancel(ctx)
	}
	if err == nil {
		// The records of its steps are part of the work.
		err = j.steps.recorded()
	}
	if err != nil {
		state := StateFailed
		var blocked *BlockedError
		switch {
		case errors.As(err, &blocked):
			state = StateBlocked
		case ctx.Err() != nil && errors.Is(err, context.Canceled):
			state = StateInterrupted // SIGTERM/SIGINT: abandoned cleanly
		}
		fail := maps.Clone(j.about)
		if fail == nil {
			fail = map[string]any{}
		}
		maps.Copy(fail, map[string]any{"job": name, "state": state, "error": err.Error()})
		if aerr := j.Audit(context.WithoutCancel(ctx), audit.EventJobFail, fail); aerr != nil {
			err = errors.Join(err, aerr)
		}
		var integrity *IntegrityError
		if j.recordedSet.Load() && !errors.As(err, &integrity) {
			// The one line cron mails says it: a job that published,
			// recorded its files and then failed (its checkpoint on a
			// full disk) said only the failure, which reads as nothing
			// published (an outside review).
			err = &PublishedThenFailedError{Err: err}
		}
		return err
	}
	if j.storeOpened {
		problem, err := j.sealStore(ctx)
		if err != nil {
			return err
		}
		if problem != "" {
			out.Integrity = append(out.Integrity, problem)
		}
	}
	if out.State == "" {
		out.State = StateCompleted
	}
	end := map[string]any{"job": name, "state": out.State}
	maps.Copy(end, out.Fields)
	if len(out.Integrity) > 0 {
		end[FieldIntegrityProblems] = out.Integrity
	}
	if err := j.Audit(ctx, audit.EventJobEnd, end); err != nil {
		return err
	}
	if len(out.Integrity) > 0 {
		return &IntegrityError{Problems: out.Integrity, Published: j.published.Load()}
	}
	return nil
}

// Describe adds fields that name what the job is about, once its work
// knows them (the period a weekly job reviews, decided from its inputs),
// to those Run's start gave: a failed job's job_fail carries them, so that
// the log says what failed (a week's evidence said no review of the week
// was recorded, over the record of its failed job; an outside review). It
// must be called from the job's work, not from its steps' goroutines.
func (j *Job) Describe(fields map[string]any) {
	if j.about == nil {
		j.about = map[string]any{}
	}
	maps.Copy(j.about, fields)
}

// Entries is the audit log as the job opened and verified it. Callers
// must not change it.
func (j *Job) Entries() []audit.Entry { return j.trail.state.Entries }

// LogAtStart is the bytes of the lines of Entries, as the job read and
// verified them: what a job that ships the log (evidence export) ships,
// rather than the file read again unchecked.
func (j *Job) LogAtStart() []byte { return j.trail.state.Bytes() }

// Checkpoints are the signed checkpoints of the checkpoints file as the
// job verified them when it started, oldest first: each one's signature,
// and that each covers at least the entries of the one before.
func (j *Job) Checkpoints() []NamedCheckpoint { return j.trail.checkpoints }

// EntriesSoFar is the audit log as the job opened and verified it, with
// every entry the job appended since: the log as the job knows it to be,
// which it reads the log's record from rather than the file, read again
// unchecked.
func (j *Job) EntriesSoFar() []audit.Entry {
	j.ownMu.Lock()
	defer j.ownMu.Unlock()
	return slices.Concat(j.trail.state.Entries, j.own)
}

// Env is the environment the job runs in.
func (j *Job) Env() Env { return j.env }

// Audit appends one event to the audit log, tagged with the job's fields.
//
// It first waits for the records of the job's finished steps (steps.go),
// so the log holds the events in the order they happened; a record's
// error is not Audit's: the steps report it.
func (j *Job) Audit(ctx context.Context, event string, fields map[string]any) error {
	_ = j.steps.recorded()
	return j.append(ctx, event, fields)
}

// append is Audit without the wait: for the steps' own records. Once the
// job has published, a signal no longer cuts its records short.
func (j *Job) append(ctx context.Context, event string, fields map[string]any) error {
	if j.published.Load() {
		ctx = context.WithoutCancel(ctx)
	}
	maps.Copy(fields, j.fields)
	e, err := j.log.Append(ctx, event, fields)
	if errors.Is(err, audit.ErrCorrupt) {
		// Written under the job by someone without the key, or cut: the
		// log is refused, as a job refuses it at its start.
		return integrityErrorf("%v", err)
	}
	if err == nil {
		j.ownMu.Lock()
		j.own = append(j.own, e)
		j.ownMu.Unlock()
	}
	return err
}

// SignEntriesWith makes the job's later audit entries signed by sign
// instead of the key the job started with: for the job that rotates the
// key, whose last entries and checkpoint the new key signs.
func (j *Job) SignEntriesWith(sign func([]byte) []byte) { j.log.SignWith(sign) }

// OpenStore opens the store and ingests the ledger's new lines, recording
// the ingest in the audit log, so the job's queries see the ledger as it
// is now.
func (j *Job) OpenStore(ctx context.Context) (*store.Store, store.IngestResult, error) {
	return j.OpenStoreFrom(ctx, j.env.Layout.Ledger)
}

// CheckStoreOpens probes the store (Env.ProbeStore) and turns a damaged
// one into an integrity problem naming it: nothing is done with a store
// the engine cannot open without aborting. The store is derived from the
// ledger; moved away, the next job rebuilds it.
func CheckStoreOpens(ctx context.Context, env Env, dir *store.Dir) error {
	if env.ProbeStore == nil {
		return nil
	}
	err := env.ProbeStore(ctx, dir)
	if errors.Is(err, ErrStoreDamaged) {
		return &IntegrityError{Problems: []string{fmt.Sprintf(
			"%v; nothing was done with it: move it away (the next job rebuilds it from the ledger, checked against the audit log), then run 'ledgerlens verify all'", err)}}
	}
	return err
}

// StoreBusy is the error of an open of the store that another process's
// lock on the store file refused (store.IsLockConflict: an analyst
// reading it outside `ledgerlens query`, or with a tool of their own that
// opened it for writing). The store is not damaged, and the advice to
// move it away was the wrong remedy (an outside review): busy, as for the
// job lock — a *LockHeldError naming the holders when the kernel's lock
// table shows them (exit 75), else err with that said.
func StoreBusy(err error, storeFile string) error {
	var conflict *store.LockConflictError
	if errors.As(err, &conflict) && len(conflict.Holders) > 0 {
		return &LockHeldError{Path: storeFile, Lockers: conflict.Holders}
	}
	return fmt.Errorf("%w; another process holds a lock on the store file: the store is not damaged, do not move it away; end that process, then run the command again", err)
}

// openStoreDir opens the store's directory for the job (store.OpenDir),
// once: the job's open, its seal and its probe all go through it. A
// store where an earlier ledgerlens kept it is adopted first, which the
// job reports (adopted). A directory that cannot be trusted is an
// integrity problem: nothing is read from it.
func (j *Job) openStoreDir() (dir *store.Dir, adopted bool, err error) {
	if j.storeDir != nil {
		return j.storeDir, false, nil
	}
	l := j.env.Layout
	dir, err = store.OpenDir(l.StoreDir, true)
	if err == nil {
		if adopted, err = dir.Adopt(l.LegacyStoreFile); err != nil {
			dir.Close()
		}
	}
	if errors.Is(err, store.ErrUnsafeDir) {
		return nil, false, &IntegrityError{Problems: []string{err.Error()}}
	}
	if err != nil {
		return nil, false, err
	}
	if adopted {
		j.env.Log.Info("moved the store into a directory of its own; this job reads its rows back once", "from", l.Rel(l.LegacyStoreFile), "to", l.Rel(l.StoreFile))
	}
	j.storeDir = dir
	return dir, adopted, nil
}

// OpenStoreFrom is OpenStore with the ledger at ledgerPath.
func (j *Job) OpenStoreFrom(ctx context.Context, ledgerPath string) (*store.Store, store.IngestResult, error) {
	l := j.env.Layout
	// Before the store is opened: opening may migrate it to a new schema,
	// which rebuilds it from the ledger, and a missing ledger must leave
	// the store as it was. The append-only check's hashing of the prefix
	// the log says the store covers starts now, on one core, beside the
	// store's opening; the ingest compares it with the store's own record.
	lf, err := store.OpenLedgerFile(ledgerPath)
	if err != nil {
		return nil, store.IngestResult{}, err
	}
	defer lf.Close()
	lf.Prehash(ctx, j.loggedCovered())
	dir, adopted, err := j.openStoreDir()
	if err != nil {
		return nil, store.IngestResult{}, err
	}
	j.trusted = nil
	if !adopted {
		// A seal of files adopted from the earlier layout vouches for
		// bytes that lay where others could change them (store.Dir.Adopt).
		j.trusted = j.trustedChunks(ctx) // before the open, which changes the files
	}
	if j.trusted == nil {
		// Not the store the last job sealed: opened in a child first,
		// so a damaged file ends the child, not the job.
		if err := CheckStoreOpens(ctx, j.env, dir); err != nil {
			return nil, store.IngestResult{}, err
		}
	}
	opts := j.env.StoreOptions
	// The files the last job sealed hold the catalog its open checked.
	opts.CatalogVouched = j.trusted != nil
	st, err := dir.Open(ctx, opts)
	if errors.Is(err, store.ErrForeignObject) || errors.Is(err, store.ErrMetaEdited) {
		// Planted, like an edited row (docs/COMPLIANCE.md, "The store's
		// catalog"), or written where ledgerlens writes only what it has
		// checked: nothing is read from it or published.
		return nil, store.IngestResult{}, &IntegrityError{Problems: []string{err.Error()}}
	}
	if err != nil {
		if ctx.Err() == nil && store.IsLockConflict(err) {
			return nil, store.IngestResult{}, StoreBusy(err, j.env.Layout.StoreFile)
		}
		if ctx.Err() == nil {
			if remedy, ok := store.NotDamaged(err); ok {
				// Not damaged: moving a healthy store away over a
				// permission or a full disk costs a rebuild (an outside
				// review).
				err = fmt.Errorf("%w; %s", err, remedy)
			} else {
				err = fmt.Errorf("%w; if the store is damaged, move it away: the next job rebuilds it from the ledger, checked against the audit log", err)
			}
		}
		return nil, store.IngestResult{}, err
	}
	j.storeOpened = true
	if j.env.AfterStep != nil {
		j.env.AfterStep(ctx, StepStoreOpened)
	}
	st.Progress = j.env.Progress
	// The chunks the seal vouches for need not be read back to extend
	// their row digest either (store.Store.TrustedChunk).
	trusted := j.trusted
	st.TrustedChunk = func(chunk int64) bool { return trusted[chunk] }
	st.RecordedPrefix = j.recordedPrefix
	if err := j.reloadUnrecordedIngest(ctx, st, ledgerPath); err != nil {
		st.Close()
		return nil, store.IngestResult{}, err
	}
	if err := j.checkDerived(ctx, st, ledgerPath); err != nil {
		st.Close()
		return nil, store.IngestResult{}, err
	}
	if err := j.checkUnsealedStore(ctx, st); err != nil {
		st.Close()
		return nil, store.IngestResult{}, err
	}
	ing, err := st.IngestLedger(ctx, lf)
	err = codeBookProblem(j.env.Layout.Rel(j.env.Layout.StoreFile), err)
	if errors.Is(err, store.ErrLedgerChanged) {
		// The append-only ledger lost bytes under the job: an integrity
		// problem like an edit, though nothing was loaded to record.
		err = &IntegrityError{Problems: []string{err.Error() + "; nothing was loaded or published (run 'ledgerlens verify ledger')"}}
	}
	if err == nil {
		j.env.Log.Debug("ingest timings", "check", ing.CheckTime, "check_begun_early", ing.CheckBegunEarly,
			"load", ing.LoadTime, "duplicates", ing.DuplicatesTime, "commit", ing.CommitTime)
	}
	if err == nil && ing.CheckpointErr != nil {
		j.env.Log.Warn("the store's checkpoint after the ingest failed; the ingest stands and a later one checkpoints", "err", ing.CheckpointErr)
	}
	againstLog := false
	if err == nil && ing.Modified == nil {
		// A store that covers less than the log recorded (new, rebuilt,
		// or rolled back to an older copy) cannot tell an edit of those
		// bytes from new lines; the log can. Nor can a store whose
		// covered prefix is not the one the log's newest ingest recorded
		// (the log put back as it was before an ingest that detected an
		// edit: the store holds the edited bytes).
		ing.Modified, err = j.ledgerAgainstLog(ctx, ledgerPath, ing.OffsetFrom, ing.PriorPrefixSHA256)
		againstLog = ing.Modified != nil
	}
	if ing.Event == store.EventInitial || ing.Event == store.EventLedgerModified || againstLog {
		j.trusted = nil // every row was (re)loaded by this ingest
	}
	if err == nil && !againstLog {
		// (After a change the log shows, the chunk the append extends is
		// part of it: the change is recorded below, not refused here
		// without a record.)
		err = j.checkPriorChunk(ing.PriorChunk, ing.OffsetFrom)
	}
	var derived, bookkeeping string
	if err == nil {
		derived, err = st.DerivedDigest(ctx)
	}
	if err == nil {
		bookkeeping, err = st.BookkeepingDigest(ctx, math.MaxInt64)
	}
	if err == nil {
		// The rows this ingest loaded, by ledger chunk, are recorded so a
		// later job can tell a row edited in the store (CheckStoreRows),
		// and the digests of the derived tables and of the store's record
		// of its ingests so it can tell one of those edited
		// (checkDerived).
		err = j.recordIngest(ctx, l.Rel(ledgerPath), ing, ing.ChunkRowDigests, derived, bookkeeping)
	}
	if err != nil {
		st.Close()
		return nil, ing, err
	}
	return st, ing, nil
}

// chunkDigestsField is the ingest event's field holding the row digests of
// the chunks it loaded (store.ChunkDigests). An older log's
// "chunk_row_digests" were made another way and are not compared.
const chunkDigestsField = "chunk_row_sha256"

// recordIngest writes the ingest event, and a tamper_detected event when
// the ledger prefix changed.
func (j *Job) recordIngest(ctx context.Context, ledgerRel string, res store.IngestResult, digests map[int64]string, derived, bookkeeping string) error {
	fields := map[string]any{
		"ledger": ledgerRel, "ingest_seq": res.Seq, "ingest_event": res.Event,
		"offset_from": res.OffsetFrom, "offset_to": res.OffsetTo, "lines": res.Lines, "loaded": res.Loaded,
		"rejects": res.Rejected, "duplicates": res.Duplicates, "prefix_sha256": res.PrefixSHA256,
		derivedDigestField: derived, bookkeepingDigestField: bookkeeping,
	}
	// Recorded even when empty: an ingest that loaded no row still read
	// its bytes, and says so (recordingRanges).
	m := make(map[string]any, len(digests))
	for c, d := range digests {
		m[strconv.FormatInt(c, 10)] = d
		if j.chunkRefs == nil {
			j.chunkRefs = map[int64]string{}
		}
		j.chunkRefs[c] = d
	}
	fields[chunkDigestsField] = m
	if err := j.Audit(ctx, audit.EventIngest, fields); err != nil {
		return err
	}
	if m := res.Modified; m != nil {
		if err := j.Audit(ctx, audit.EventTamperDetected, map[string]any{
			"what": "ledger_modified", "ledger": ledgerRel, "byte_from": m.ByteFrom, "byte_to": m.ByteTo,
			"line_from": m.LineFrom, "line_to": m.LineTo,
		}); err != nil {
			return err
		}
	}
	return nil
}

// Signer loads the signing key; a missing key blocks the job with the
// command that makes one, followed by hint (", or pass --unsigned" where
// the job can run without signing).
func (j *Job) Signer(hint string) (*reports.Signer, error) {
	l := j.env.Layout
	s, err := loadRootKey(l)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &BlockedError{fmt.Errorf("no signing key at %s: create one with `ledgerlens keys generate --root %s`%s",
			filepath.Join(l.KeysDir, reports.PrivateKeyFile), l.Root, hint)}
	}
	if errors.Is(err, ErrIntegrity) {
		return nil, err
	}
	if err != nil {
		return nil, &BlockedError{err}
	}
	if err := CheckKeyPair(l, s); err != nil {
		return nil, err
	}
	return s, nil
}

// PublishRecord publishes one signed record write-once (revision 1) and
// records every file written in the audit log. A re-run completes what
// its predecessor wrote but did not record (Publisher.Recorded).
func (j *Job) PublishRecord(ctx context.Context, pub *reports.Publisher, base string, a reports.Artifact, siblings ...reports.Artifact) (reports.PublishResult, error) {
	if err := os.MkdirAll(pub.Dir, 0o755); err != nil {
		return reports.PublishResult{}, fmt.Errorf("create %s: %w", pub.Dir, err)
	}
	if pub.Recorded == nil {
		p := *pub
		p.Recorded = j.IsRecorded
		pub = &p
	}
	res, err := pub.Publish(ctx, base, 1, append([]reports.Artifact{a}, siblings...))
	if err != nil {
		return res, err
	}
	exts := []string{a.Ext}
	for _, s := range siblings {
		exts = append(exts, s.Ext)
	}
	return res, j.RecordPublished(ctx, pub.Dir, base, 1, res.Files, exts...)
}
