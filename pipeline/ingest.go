package pipeline

import (
	"context"
	"fmt"
	"os"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/lock"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
)

// RunIngest loads new ledger lines into the store under the job lock and
// records the ingest (and any tamper detection) in the audit log.
func RunIngest(ctx context.Context, env Env, ledgerPath string) (_ store.IngestResult, err error) {
	l := env.Layout
	if ledgerPath == "" {
		ledgerPath = l.Ledger
	}
	if err := os.MkdirAll(l.StateDir, 0o750); err != nil {
		return store.IngestResult{}, fmt.Errorf("create state directory: %w", err)
	}
	lk, err := lock.Acquire(ctx, l.LockFile, env.LockTimeout, lock.CurrentHolder(env.Command, env.Now()))
	if err != nil {
		return store.IngestResult{}, err
	}
	defer lk.Release()
	tr, err := openTrail(ctx, env)
	if err != nil {
		return store.IngestResult{}, err
	}
	log := tr.log
	defer func() {
		if serr := sealTrail(env, "ingest"); serr != nil {
			if err == nil {
				err = serr
			} else {
				env.Log.Warn("no audit checkpoint signed at the end of the failed job", "error", serr)
			}
		}
	}()
	st, err := store.Open(ctx, l.StoreFile, env.StoreOptions)
	if err != nil {
		return store.IngestResult{}, err
	}
	defer st.Close()
	st.Progress = env.Progress
	res, err := st.Ingest(ctx, ledgerPath)
	if err != nil {
		return res, err
	}
	if err := recordIngest(ctx, log, nil, l.Rel(ledgerPath), res); err != nil {
		return res, err
	}
	return res, st.Close()
}

// recordIngest writes the ingest event, and a tamper_detected event when the
// ledger prefix changed, tagging both with extra fields (the job run id).
func recordIngest(ctx context.Context, log *audit.Log, extra map[string]any, ledgerRel string, res store.IngestResult) error {
	with := func(m map[string]any) map[string]any {
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	if _, err := log.Append(ctx, audit.EventIngest, with(map[string]any{
		"ledger": ledgerRel, "ingest_seq": res.Seq, "ingest_event": res.Event,
		"offset_from": res.OffsetFrom, "offset_to": res.OffsetTo, "lines": res.Lines, "loaded": res.Loaded,
		"rejects": res.Rejected, "duplicates": res.Duplicates, "prefix_sha256": res.PrefixSHA256,
	})); err != nil {
		return err
	}
	if m := res.Modified; m != nil {
		if _, err := log.Append(ctx, audit.EventTamperDetected, with(map[string]any{
			"what": "ledger_modified", "ledger": ledgerRel, "byte_from": m.ByteFrom, "byte_to": m.ByteTo,
			"line_from": m.LineFrom, "line_to": m.LineTo,
		})); err != nil {
			return err
		}
	}
	return nil
}
