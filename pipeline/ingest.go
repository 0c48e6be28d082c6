package pipeline

import (
	"context"

	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
)

// RunIngest loads new ledger lines into the store as the ingest job: under
// the lock, bracketed by job_start and job_end, with the ingest (and any
// tamper detection) recorded in the audit log. Invalid or missing inputs
// block it as they block every job. ledgerPath "" is the layout's ledger.
func RunIngest(ctx context.Context, env job.Env, ledgerPath string) (store.IngestResult, error) {
	l := env.Layout
	if ledgerPath == "" {
		ledgerPath = l.Ledger
	}
	var res store.IngestResult
	err := job.Run(ctx, env, job.NameIngest, map[string]any{"ledger": l.Rel(ledgerPath)},
		func(ctx context.Context, j *job.Job) (job.Outcome, error) {
			// The ingest reads only the ledger, but it is held to the
			// inputs as every job is (docs/RULES.md, "Inputs"): a missing
			// mount or an invalid configuration (whose time zone the store
			// keeps) is said now, not at the next report.
			if _, err := j.LoadInputs(ctx); err != nil {
				return job.Outcome{}, err
			}
			st, ing, err := j.OpenStoreFrom(ctx, ledgerPath)
			res = ing
			if err != nil {
				return job.Outcome{}, err
			}
			problems, err := j.IntegrityProblems(ctx, st)
			if cerr := st.Close(); err == nil {
				err = cerr
			}
			return job.Outcome{Fields: map[string]any{"ingest_event": ing.Event, "loaded": ing.Loaded,
				"rejects": ing.Rejected, "duplicates": ing.Duplicates}, Integrity: problems}, err
		})
	return res, err
}
