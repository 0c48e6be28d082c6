package pipeline

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/reconcile"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

// IntegrityReport is the daily integrity check (docs/COMPLIANCE.md,
// "Integrity"): the ledger's append-only check, the audit chain against
// every signed checkpoint, and the output directories reconciled with the
// record of publication.
type IntegrityReport struct {
	Ledger store.LedgerCheck
	// LedgerMissing: the ledger file the store covers is gone (a lost
	// mount, not an edit), or is not a file to read (LedgerNotAFile);
	// Ledger is then not checked.
	LedgerMissing bool
	// LedgerNotAFile: what stands at the ledger's path is not a regular
	// file (a FIFO, a directory), which every job stops on.
	LedgerNotAFile bool
	StoreFound     bool
	// StoreDamaged: the store could not be read: opening it ended the
	// probing process (job.CheckStoreOpens), or its directory is not its
	// owner's alone (store.ErrUnsafeDir); nothing in it was checked.
	StoreDamaged bool
	// LedgerUnchecked: the store's record of the ledger it covers does not
	// hold together (store.ErrStateEdited, or unreadable), so the ledger
	// was held only to the audit log's record, not to the store's.
	LedgerUnchecked bool
	// StoreOutdated: an earlier ledgerlens wrote the store, and no job has
	// brought it up to date since (store.ErrOlderSchema): it was not
	// checked, which is not a problem of the evidence; the ledger was
	// held to the audit log's record, and every other check ran. A
	// verifier that finds nothing else still cannot say OK (exit 1).
	StoreOutdated bool
	// StoreBusy: another process holds a lock on the store file (an
	// analyst's own client that opened it for writing), so it could not
	// be opened: it was not checked, the ledger was held to the audit
	// log's record, and every other check ran. A verifier that finds
	// nothing else says the store is busy (exit 75).
	StoreBusy bool
	// Rows compares the store's rows with rows re-derived from the ledger
	// prefix it covers (RowsChecked false when the prefix itself changed).
	Rows        store.RowCheck
	RowsChecked bool
	Audit       audit.Result
	AuditCheck  reconcile.AuditCheck
	Artifacts   []reports.FileCheck
	// Unacknowledged are the ledger modifications detected earlier (the
	// store since rebuilt) that no operator has acknowledged yet.
	Unacknowledged []job.LedgerModification
	// UnacknowledgedDuplicates are the conflicting duplicates in the store
	// that no operator has acknowledged yet.
	UnacknowledgedDuplicates []job.LedgerDuplicate
	Problems                 []string
	// outdated is StoreOutdated's error, busy StoreBusy's, for
	// Incomplete.
	outdated, busy error
}

// OK reports whether every check passed.
func (r IntegrityReport) OK() bool { return len(r.Problems) == 0 }

// Incomplete is what a check that found no problem could not check (nil:
// it checked everything): a store an earlier ledgerlens wrote.
func (r IntegrityReport) Incomplete() error {
	if r.StoreOutdated {
		return fmt.Errorf("no problem found, but the store was not checked until a job brings it up to date: %w", r.outdated)
	}
	if r.StoreBusy {
		return fmt.Errorf("no problem found, but the store was not checked: %w", r.busy)
	}
	return nil
}

// CheckIntegrity runs every integrity check over the working root and lists
// every problem found, not only the first. pub is the public key for
// signatures and checkpoints (nil: sidecars only, and any checkpoint is a
// problem). kept are checkpoint files an auditor kept. It takes no lock and
// writes nothing: every check only reads (`verify all`). RunIntegrity is
// the same check as a job.
func CheckIntegrity(ctx context.Context, env job.Env, pub ed25519.PublicKey, kept ...string) (IntegrityReport, error) {
	l := env.Layout
	var rep IntegrityReport
	dirs := job.OutputDirs(l)
	ac, err := reconcile.Audit(ctx, l, dirs[0], pub, kept)
	if err != nil {
		return rep, err
	}
	rep.AuditCheck, rep.Audit = ac, ac.State.Chain
	if env.AfterStep != nil {
		env.AfterStep(ctx, job.StepAuditLoaded)
	}
	rep.Problems = append(rep.Problems, job.PendingRotationProblems(l)...)
	rep.Problems = append(rep.Problems, ac.Problems...)
	// Inputs the jobs would refuse — invalid, or missing after an earlier
	// job read them — are found here, not at the next report: a
	// configuration read as the defaults would leave the output directory
	// it names unchecked, and a missing mount would block Monday's job.
	rep.Problems = append(rep.Problems, job.InputsProblems(l, ac.State.Entries, env.Now())...)
	rep.Problems = append(rep.Problems, job.RetiredKeyProblems(l, ac.State.Entries, pub)...)

	var dups []store.ConflictingDuplicate
	st, damaged, err := OpenStoreToCheck(ctx, env)
	var held *job.LockHeldError
	if errors.As(err, &held) {
		// Busy, not damaged: every other check still runs, the ledger
		// held to the log's record (returning here hid a tampered report
		// behind the lock's exit 75: an outside review).
		rep.StoreBusy, rep.busy, rep.StoreFound, rep.LedgerUnchecked, rep.Ledger.Intact = true, err, true, true, true
		err = nil
	}
	if err != nil {
		return rep, err
	}
	// A damaged store is listed with every other problem, not instead of
	// them.
	rep.Problems = append(rep.Problems, damaged...)
	rep.StoreDamaged = len(damaged) > 0
	rep.StoreFound = rep.StoreDamaged || rep.StoreBusy || st != nil
	if st != nil {
		rep.Ledger, err = st.VerifyLedger(ctx, l.Ledger)
		unreadable := false
		var notAFile *inputs.NotRegularError
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// Listed with the other problems; the rows cannot be checked.
			rep.Problems = append(rep.Problems, err.Error())
			rep.LedgerMissing, rep.Ledger.Intact, err = true, false, nil
		case errors.As(err, &notAFile):
			// As a missing ledger: every job stops on it. Returned, it
			// made the check one that could not run (exit 1), and the
			// problems found beside it went unsaid (an outside review).
			rep.Problems = append(rep.Problems, fmt.Sprintf("ledger %s: %v: every job stops on it", l.Rel(l.Ledger), notAFile))
			rep.LedgerMissing, rep.LedgerNotAFile, rep.Ledger.Intact, err = true, true, false, nil
		case err != nil && ctx.Err() == nil && countEvents(ac.State.Entries, audit.EventIngest) == 0:
			// Nothing was ever recorded as loaded: a first ingest
			// interrupted before its commit leaves a store without its
			// tables, which the next job builds. Nothing to check.
			rep.StoreFound, unreadable, err = false, true, nil
		case errors.Is(err, store.ErrOlderSchema):
			// An upgrade, not an edit: the store is not checked, and
			// every other check still runs (returning here dropped the
			// problems found beside it: an outside review).
			rep.StoreOutdated, rep.LedgerUnchecked, unreadable = true, true, true
			rep.Ledger.Intact, rep.outdated, err = true, err, nil
		case err != nil && ctx.Err() == nil:
			// A store whose own record of what it loaded does not hold
			// together was edited or damaged: one problem, and the rest of
			// the check goes on, every other problem listed.
			rep.Problems = append(rep.Problems, fmt.Sprintf("store %s cannot be checked against the ledger (%v): it was edited or damaged",
				l.Rel(l.StoreFile), err))
			rep.Ledger.Intact, rep.LedgerUnchecked, unreadable, err = true, true, true, nil
		case err == nil && rep.Ledger.Intact:
			rep.Rows, err = st.VerifyRows(ctx, l.Ledger)
			rep.RowsChecked = err == nil
		}
		if err == nil && !rep.LedgerMissing && !unreadable {
			// A store rebuilt from an edited ledger re-derives to itself:
			// the rows the log records as loaded tell it apart.
			var problems []string
			problems, err = job.StoreRowsAgainstLog(ctx, ac.State.Entries, st, l.Rel(l.StoreFile))
			rep.Problems = append(rep.Problems, problems...)
		}
		if err == nil && !unreadable {
			var p string
			p, err = job.StoreBookkeepingAgainstLog(ctx, ac.State.Entries, st, l.Rel(l.StoreFile))
			if p != "" {
				rep.Problems = append(rep.Problems, p)
			}
		}
		if err == nil && !unreadable {
			dups, err = st.ConflictingDuplicates(ctx)
		}
		st.Close()
		if err != nil {
			return rep, err
		}
		if m := rep.Ledger.Modified; m != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("ledger %s: already-loaded bytes %d–%d (lines %d–%d) changed",
				l.Rel(l.Ledger), m.ByteFrom, m.ByteTo, m.LineFrom, m.LineTo))
		}
		if u := rep.Ledger.Unloadable; u != nil {
			rep.Problems = append(rep.Problems, u.Problem(l.Rel(l.Ledger)))
		}
		if p := StoreProblem(l.Rel(l.StoreFile), rep.Rows); rep.RowsChecked && p != "" {
			rep.Problems = append(rep.Problems, p)
		}
		// The bytes the log records as ingested are checked against the
		// log whatever the store covers: a store rolled back to an older
		// copy covers fewer, and one rebuilt from an edited ledger agrees
		// with the edit.
		if !rep.LedgerMissing && rep.Ledger.Modified == nil {
			m, err := job.LedgerAgainstLog(ctx, ac.State.Entries, l.Ledger, 0, "")
			if err != nil {
				return rep, err
			}
			if m != nil {
				rep.Ledger.Intact = false
				why := "the store agrees with them: it was rebuilt from the changed ledger"
				if rep.Ledger.CoveredBytes < m.ByteTo {
					why = fmt.Sprintf("the store covers only %d of them (rolled back?)", rep.Ledger.CoveredBytes)
				}
				rep.Problems = append(rep.Problems, fmt.Sprintf("ledger %s: bytes %d–%d differ from what the audit log records as ingested, and %s",
					l.Rel(l.Ledger), m.ByteFrom, m.ByteTo, why))
			}
		}
	} else if n := countEvents(ac.State.Entries, audit.EventIngest); n > 0 && !rep.StoreDamaged && !rep.StoreBusy {
		rep.Problems = append(rep.Problems, fmt.Sprintf("store %s is missing, but the audit log records %d ingests into it: it was deleted or moved",
			l.Rel(l.StoreFile), n))
	}
	if rep.StoreDamaged || rep.StoreOutdated || rep.StoreBusy || (!rep.StoreFound && countEvents(ac.State.Entries, audit.EventIngest) > 0) {
		// Without a store to compare, the ledger is still held to what
		// the log records as ingested: it needs only the two.
		if m, err := job.LedgerAgainstLog(ctx, ac.State.Entries, l.Ledger, 0, ""); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return rep, err
		} else if m != nil {
			rep.Ledger.Intact = false
			rep.Problems = append(rep.Problems, fmt.Sprintf("ledger %s: bytes %d–%d differ from what the audit log records as ingested (the store could not be compared)",
				l.Rel(l.Ledger), m.ByteFrom, m.ByteTo))
		}
	}

	// A modification stays a problem after the store was rebuilt from the
	// changed ledger, and a conflicting duplicate stays one, until an
	// operator acknowledges it.
	// From the log the audit check verified, never read again: an entry
	// rewritten in place between two reads hid a modification.
	rec := job.LedgerRecordOf(ac.State.Entries)
	rep.Unacknowledged = job.Unacknowledged(rec.Modifications)
	for _, d := range rec.Duplicates(dups) {
		if d.Ack == nil {
			rep.UnacknowledgedDuplicates = append(rep.UnacknowledgedDuplicates, d)
		}
	}
	rep.Problems = append(rep.Problems, rec.Problems(l.Rel(l.Ledger), dups)...)
	if p, err := job.BaselinesProblems(l, ac.State.Entries); err != nil {
		rep.Problems = append(rep.Problems, err.Error())
	} else {
		rep.Problems = append(rep.Problems, p...)
	}

	// Every directory the log records a publication in, not only the
	// configured ones: pointing output_dir elsewhere must not hide a
	// deletion in the old directory.
	checked, problems, err := reconcile.Dirs(l, ac.State.Entries, reconcile.WithRecordedDirs(l, dirs, ac.State.Entries), pub)
	if err != nil {
		return rep, err
	}
	rep.Artifacts = checked
	rep.Problems = append(rep.Problems, problems...)
	return rep, ctx.Err()
}

// OpenStoreToCheck opens the store read-only for a check of it (verify
// all, store and ledger), in its directory (store.OpenDirToRead) and after
// reading it in a child process (job.CheckStoreOpens). A store the engine
// aborts on or cannot open, or whose directory cannot be trusted, is a
// problem (with st nil); no store is neither.
func OpenStoreToCheck(ctx context.Context, env job.Env) (st *store.Store, problems []string, err error) {
	l := env.Layout
	dir, err := store.OpenDirToRead(l.StoreDir, l.LegacyStoreFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, nil
	case errors.Is(err, store.ErrUnsafeDir):
		return nil, []string{err.Error()}, nil
	case err != nil:
		return nil, nil, err
	}
	if ok, err := dir.Exists(); err != nil || !ok {
		dir.Close()
		return nil, nil, err
	}
	err = job.CheckStoreOpens(ctx, env, dir)
	var ie *job.IntegrityError
	if errors.As(err, &ie) {
		dir.Close()
		return nil, ie.Problems, nil
	}
	if err != nil {
		dir.Close()
		return nil, nil, err
	}
	st, err = dir.OpenOwned(ctx, store.Options{ReadOnly: true})
	var busy *store.LockConflictError
	if errors.As(err, &busy) && len(busy.Holders) > 0 && ctx.Err() == nil {
		// Busy, not damaged: a verifier's false alarm went to the
		// webhooks with the daily check's exit 4 (an outside review).
		// Only with the holder in the kernel's lock table: a refusal
		// nobody can be seen holding is not taken for busy.
		return nil, nil, job.StoreBusy(err, l.StoreFile)
	}
	if err != nil && ctx.Err() == nil {
		return nil, []string{fmt.Sprintf("store %s cannot be opened (%v): if it is damaged, move it away (the next job rebuilds it from the ledger, checked against the audit log)",
			l.Rel(l.StoreFile), err)}, nil
	}
	return st, nil, err
}

// StoreProblem describes a failed row check ("" when intact).
func StoreProblem(storeRel string, c store.RowCheck) string {
	if c.Intact() {
		return ""
	}
	if c.PrefixChanged {
		return fmt.Sprintf("store %s: the ledger's first %d bytes, which it covers, changed while they were read to re-derive its rows: the ledger is not append-only (run 'ledgerlens verify ledger')",
			storeRel, c.CoveredBytes)
	}
	var what []string
	if c.DifferCount > 0 || c.Rows != c.Derived {
		what = append(what, fmt.Sprintf("%d rows differ from the rows re-derived from the ledger's first %d bytes (store %d rows, ledger %d; ledger lines %v)",
			c.DifferCount, c.CoveredBytes, c.Rows, c.Derived, c.Differ))
	}
	if len(c.DerivedDiffer) > 0 {
		what = append(what, fmt.Sprintf("its %s differ from those re-derived from the ledger's first %d bytes",
			strings.Join(c.DerivedDiffer, ", "), c.CoveredBytes))
	}
	return fmt.Sprintf("store %s: %s: the store was edited", storeRel, strings.Join(what, "; "))
}

func countEvents(entries []audit.Entry, event string) int {
	n := 0
	for _, e := range entries {
		if e.Event == event {
			n++
		}
	}
	return n
}

// RunIntegrity is the daily integrity-check job: CheckIntegrity under the
// lock (so no job publishes half-way through the check), bracketed in the
// audit log. Problems found are the job's result, in job_end's problems
// field and in the report; they are not an error.
func RunIntegrity(ctx context.Context, env job.Env, pub ed25519.PublicKey) (IntegrityReport, error) {
	var rep IntegrityReport
	err := job.Run(ctx, env, job.NameIntegrityCheck, nil, func(ctx context.Context, j *job.Job) (job.Outcome, error) {
		var err error
		if rep, err = CheckIntegrity(ctx, env, pub); err != nil {
			return job.Outcome{}, err
		}
		problems := rep.Problems
		if problems == nil {
			problems = []string{}
		}
		// [] is a clean check (job.AfterLastCleanCheck).
		return job.Outcome{Fields: map[string]any{"artifacts": len(rep.Artifacts), job.FieldProblemsFound: problems}}, nil
	})
	return rep, err
}
