package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/baselines"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/reconcile"
	"github.com/ledgerlens/ledgerlens/pipeline/review"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

// WeeklyOptions select the period and publication behaviour of a run.
type WeeklyOptions struct {
	// Week is the period's Monday as 2026-11-16 or 2026-W47; "" means the
	// last complete week before AsOf (or Env.Now).
	Week string
	// AsOf fixes "now" for choosing the default week (reproducible runs).
	AsOf time.Time
	// Unsigned publishes without .sig files (no key needed).
	Unsigned bool
	// Supersede publishes a new revision when the result differs from the
	// published one; without it a different result is refused.
	Supersede bool
	// Preliminary publishes a period that has not ended as
	// weekly_<date>.preliminary.json, marked preliminary (each differing
	// run a new revision); without it such a period is refused.
	Preliminary bool
	// KeepPublished makes a result that differs from the published
	// revision keep that revision, as a no-op run, instead of failing: the
	// scheduler, which never supersedes, retrying a fire whose report an
	// earlier attempt published (its announcement failed) after the ledger
	// grew, which changes every period's result, failed at every retry and
	// never told the receivers (an outside review). What the report
	// missed shows in later reports (late arrivals).
	KeepPublished bool
}

// WeeklyResult says what a weekly job did.
type WeeklyResult struct {
	JobRunID string
	Period   review.Period
	Report   *reports.Weekly
	// Noop is true when the same result was already published.
	Noop        bool
	Revision    int
	JSONPath    string
	XLSXPath    string
	RejectsPath string // "" when there are no rejects
	Ingest      store.IngestResult
	// Resumed lists the steps a resumed run found already done.
	Resumed []string
	// NewestRun is the timestamp of the newest run in the store before the
	// job's clock (zero when it has none), for the ledger-staleness
	// metric: one run stamped 9999 held the metric there, and the stale
	// alert could never fire again (an outside review).
	NewestRun time.Time
}

// RunWeekly runs the weekly credit review job end to end.
func RunWeekly(ctx context.Context, env job.Env, opts WeeklyOptions) (*WeeklyResult, error) {
	var res *WeeklyResult
	err := job.Run(ctx, env, job.NameWeeklyReview, opts.about(), func(ctx context.Context, lj *job.Job) (job.Outcome, error) {
		j := &weeklyJob{env: env, opts: opts, lj: lj}
		r, err := j.run(ctx)
		if err != nil && len(j.integrity) > 0 {
			// A failure after the problems were found (a result that
			// differs from the published one) must not hide them: exit 4.
			return job.Outcome{}, job.WithProblems(err, j.integrity)
		}
		if err != nil {
			return job.Outcome{}, err
		}
		res = r
		out := job.Outcome{Fields: map[string]any{"period": r.Period.Label(), "revision": r.Revision, "noop": r.Noop}}
		if r.Report != nil {
			out.Fields["findings"] = len(r.Report.PolicyViolations)
		}
		// The report, with its findings, is published; the job still fails
		// while a modification or conflicting duplicate is unacknowledged.
		out.Integrity = j.integrity
		return out, nil
	})
	return res, err
}

// about names the period a weekly job is for, when the options name it:
// a week given as a date or an ISO week is the same Monday in every time
// zone, so a job refused before it reads the configuration's zone still
// says which week it was for. The default week depends on that zone, and
// the job names it once decided (decidePeriod).
func (o WeeklyOptions) about() map[string]any {
	if o.Week == "" {
		return nil
	}
	p, err := review.ParseWeek(o.Week, time.UTC)
	if err != nil {
		return nil // the job refuses it, and says so
	}
	return periodFields(p, o.Preliminary)
}

// periodFields name a weekly job's period in its records: "period" as its
// job_end has it, and "preliminary" for a preliminary report's job, whose
// failure says nothing of the week's final report.
func periodFields(p review.Period, preliminary bool) map[string]any {
	f := map[string]any{"period": p.Label()}
	if preliminary {
		f["preliminary"] = true
	}
	return f
}

// weeklyJob is one execution of the weekly job.
type weeklyJob struct {
	env   job.Env
	opts  WeeklyOptions
	lj    *job.Job
	steps *job.Steps
	// integrity are the unacknowledged integrity problems the job ends
	// with; ledger and dups, what they were decided from (the audit log's
	// ledger record and the store's conflicting duplicates), which the
	// report lists too. Read once, while the store is open.
	integrity []string
	ledger    job.LedgerRecord
	dups      []store.ConflictingDuplicate
	now       time.Time // set for a preliminary run: the time it reports as of
}

// label names the publication: the period's Monday, with ".preliminary"
// for a period that has not ended.
func (j *weeklyJob) label(p review.Period) string {
	if j.opts.Preliminary {
		return p.Label() + ".preliminary"
	}
	return p.Label()
}

// run is the weekly job's work, step by step: the inputs and the period,
// the store with the integrity problems the job ends with, the
// checkpointed steps (analyse, render_json and render_xlsx, sign,
// publish), or, when the published revision already holds the result, a
// no-op. The store, a workbook started early and the artifacts prepared
// and not published are released on every way out, in that reverse order.
func (j *weeklyJob) run(ctx context.Context) (*WeeklyResult, error) {
	l := j.env.Layout
	in, loc, err := j.loadInputs(ctx)
	if err != nil {
		return nil, err
	}
	period, err := j.decidePeriod(loc)
	if err != nil {
		return nil, err
	}
	j.lj.Describe(periodFields(period, j.opts.Preliminary))
	// The key is checked before the ingest, which may take seconds: a job
	// that cannot sign says so at once.
	signer, err := j.lj.PublishingSigner(j.opts.Unsigned)
	if err != nil {
		return nil, err
	}
	st, ing, err := j.lj.OpenStore(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if err := j.readIntegrity(ctx, st, in); err != nil {
		return nil, err
	}
	// The store's rows must be the rows the ingests loaded
	// (docs/COMPLIANCE.md). Every chunk, as for the SLA report: the
	// review reads weeks before the period (the baseline and drift
	// windows, late arrivals, earlier weeks), and a row edited three
	// weeks back moved a proposed baseline while the job checked two
	// (an outside review). Those the store seal vouches for — after the
	// previous job, all of them — are not read back.
	if err := j.lj.CheckStoreRows(ctx, st, time.Time{}, time.Time{}); err != nil {
		return nil, err
	}

	res, err := j.startSteps(ctx, st, in, period, ing)
	if err != nil {
		return nil, err
	}
	pubDir := l.Resolve(in.Config.OutputDir)
	out := &weeklyOutput{
		pub:    &reports.Publisher{Dir: pubDir, Signer: signer, Staging: j.steps.Scratch(), Recorded: j.lj.IsRecorded},
		base:   "weekly_" + j.label(period),
		signer: signer,
		wbOpts: reports.WorkbookOptions{Location: loc, Signed: signer != nil, Links: reports.RelativeLinks(l.Root, pubDir)},
	}

	// A workbook started with the model is stopped on any way out.
	m := &weeklyModel{}
	defer m.stopWorkbook()
	if err := j.analyseStep(ctx, st, in, period, out, m); err != nil {
		return nil, err
	}
	res.Report = &m.w
	res.Revision = m.w.Revision
	// The store is only read from here on: its seal is hashed while the
	// report renders.
	j.lj.PrepareSeal(ctx)

	if m.w.Revision == 0 {
		return j.completeNoop(ctx, out, period, res)
	}

	// Whatever is prepared and not published is removed on the way out.
	var arts weeklyArtifacts
	defer j.discardUnpublished(&arts)
	if err := j.renderStep(ctx, out, m, &arts); err != nil {
		return nil, err
	}
	if err := j.signStep(ctx, signer, &arts); err != nil {
		return nil, err
	}
	if err := j.publishStep(ctx, st, out, period, &m.w, &arts, res); err != nil {
		return nil, err
	}
	return res, j.steps.Complete()
}

// loadInputs reads the job's inputs and holds them to what must be true
// before anything else is read: baselines as their newest approval left
// them, the reviews due since the configuration was made, and a valid
// time zone, which it returns. It must not open the store: a job refused
// here ingests nothing.
func (j *weeklyJob) loadInputs(ctx context.Context) (*job.Inputs, *time.Location, error) {
	in, err := j.lj.LoadInputs(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := j.lj.EditedBaselinesError(in); err != nil {
		return nil, nil, err
	}
	if err := job.CheckReviewsSince(j.env.Layout, in.Config, j.env.Now()); err != nil {
		return nil, nil, job.Blocked(err)
	}
	loc, err := in.Config.Location()
	if err != nil {
		return nil, nil, job.Blocked(err)
	}
	return in, loc, nil
}

// decidePeriod chooses the week the run reports (period) and holds it to
// the publication asked for: a period that has not ended only with
// --preliminary, one that has only without it. A preliminary run is
// always superseded by the next (j.opts.Supersede) and reports as of now
// (j.now), which this sets.
func (j *weeklyJob) decidePeriod(loc *time.Location) (review.Period, error) {
	period, err := j.period(loc)
	if err != nil {
		return review.Period{}, job.Blocked(err)
	}
	now := j.opts.AsOf
	if now.IsZero() {
		now = j.env.Now()
	}
	switch ended := !period.End.After(now); {
	case !ended && !j.opts.Preliminary:
		return review.Period{}, &job.PeriodNotEndedError{Period: period.Label(), End: period.End, Now: now,
			Preliminary: "weekly_" + period.Label() + ".preliminary.json"}
	case ended && j.opts.Preliminary:
		return review.Period{}, job.Blocked(fmt.Errorf("period %s has ended: publish its final report without --preliminary", period.Label()))
	case j.opts.Preliminary:
		j.opts.Supersede = true // a preliminary report is refreshed, never write-once
		j.now = now
	}
	return period, nil
}

// readIntegrity reads, once and while the store is open, what the job's
// integrity problems are decided from (the audit log's ledger record and
// the store's conflicting duplicates) and the problems themselves, the
// baselines' and their records' included, into j. The problems are set
// as they are found, so that a failure after them still reports them
// (RunWeekly); this must not fail the job for them.
func (j *weeklyJob) readIntegrity(ctx context.Context, st *store.Store, in *job.Inputs) error {
	l := j.env.Layout
	j.ledger = j.lj.LedgerRecord()
	var err error
	if j.dups, err = st.ConflictingDuplicates(ctx); err != nil {
		return err
	}
	j.integrity = j.ledger.Problems(l.Rel(l.Ledger), j.dups)
	j.integrity = append(j.integrity, j.lj.BaselinesProblems(in)...)
	recordsProblems, err := j.lj.BaselineRecordsProblems()
	if err != nil {
		return err
	}
	j.integrity = append(j.integrity, recordsProblems...)
	return nil
}

// startSteps starts (or resumes) the run's checkpointed steps, keyed by
// everything the result depends on (the period, the ingested ledger, the
// input files, the ledger record and the publication options), and
// returns the result they fill in, with the store's newest run before
// the job's clock.
func (j *weeklyJob) startSteps(ctx context.Context, st *store.Store, in *job.Inputs, period review.Period, ing store.IngestResult) (*WeeklyResult, error) {
	record, err := j.ledger.Digest()
	if err != nil {
		return nil, err
	}
	key := job.RunKey{Job: job.NameWeeklyReview, Period: j.label(period), LedgerSHA: ing.PrefixSHA256,
		Unsigned: j.opts.Unsigned, Supersede: j.opts.Supersede,
		Files: append(slices.Clip(in.Files), reports.InputFile{Role: "ledger_record", SHA256: record})}
	if j.steps, err = j.lj.StartSteps(ctx, key); err != nil {
		return nil, err
	}
	runID := j.steps.RunID()
	res := &WeeklyResult{JobRunID: runID, Period: period, Ingest: ing, Resumed: j.steps.Resumed()}
	if res.NewestRun, _, err = review.NewestRun(ctx, st, period.Start, j.env.Now()); err != nil {
		return nil, err
	}
	return res, nil
}

// weeklyOutput is where and how a run publishes: the publisher (the
// output directory, the key and the run's staging directory), the
// publication's base name, the key (nil for an unsigned run) and the
// workbook's options.
type weeklyOutput struct {
	pub    *reports.Publisher
	base   string
	signer *reports.Signer
	wbOpts reports.WorkbookOptions
}

// weeklyModel is what the analyse step leaves for the steps after it: the
// report model w, with its revision decided. A fresh run also keeps the
// model it computed (fresh), its encoding and that encoding's digest,
// which render_json publishes, and the workbook it started from the model
// (early); a resumed run has only w, decoded from the checkpoint.
type weeklyModel struct {
	w       reports.Weekly
	fresh   *reports.Weekly
	encoded []byte
	sum     []byte
	early   *workbookRender
}

// stopWorkbook stops the workbook started early, if there is one.
func (m *weeklyModel) stopWorkbook() {
	if m.early != nil {
		m.early.stop()
	}
}

// analyseStep runs the analyse step: the report model, with its revision
// decided (analyse), into m.
//
// The model is checkpointed as the report's JSON; a fresh run keeps
// the model it computed instead of decoding what it just encoded (the
// encoding is lossless: TestWeeklyModelSurvivesItsCheckpoint), and
// publishes those bytes instead of encoding the model again. A resumed
// run decodes and encodes the saved model. A fresh model to publish
// starts its workbook at once, so that the workbook (the longest
// rendering) overlaps the model's encoding; the render step then takes
// its bytes. The caller stops it on any way out (m.stopWorkbook). The
// encoding's digest is the step's, and the published report's when
// render_json publishes those bytes: hashed once for both.
func (j *weeklyJob) analyseStep(ctx context.Context, st *store.Store, in *job.Inputs, period review.Period, out *weeklyOutput, m *weeklyModel) error {
	return j.steps.Concurrent(ctx, job.StepSpec{Name: job.StepAnalyse, File: "report.model.json",
		Fn: func() ([]byte, error) {
			model, err := j.analyse(ctx, st, in, period, out.pub, out.base, out.signer)
			if err != nil {
				return nil, err
			}
			m.fresh = model
			if model.Revision != 0 {
				m.early = startWorkbook(ctx, model, out.wbOpts)
			}
			if m.encoded, err = reports.MarshalWeekly(model); err != nil {
				return nil, err
			}
			sum := sha256.Sum256(m.encoded)
			m.sum = sum[:]
			return m.encoded, nil
		},
		SHA256: func() string { return hex.EncodeToString(m.sum) },
		Load: func(b []byte) error {
			if m.fresh != nil {
				m.w = *m.fresh
				return nil
			}
			return json.Unmarshal(b, &m.w)
		},
	})
}

// completeNoop ends a run whose result the published revision already
// holds: res names that revision (and its report, when it reads), the
// rest of the publication is held to its record, the no-op is audited and
// the steps complete. It must not publish anything.
func (j *weeklyJob) completeNoop(ctx context.Context, out *weeklyOutput, period review.Period, res *WeeklyResult) (*WeeklyResult, error) {
	p := job.LatestPublished[reports.Weekly](out.pub, out.base)
	res.Noop, res.Revision, res.JSONPath, res.XLSXPath = true, p.Revision, p.JSONPath, p.XLSXPath
	if p.Report != nil {
		res.Report = p.Report // else the result computed, which it holds
	}
	// Only the report was compared: the rest of what was published
	// must still be as recorded.
	if err := reconcile.PublicationsUnchanged(j.env.Layout, j.lj.Entries(), out.base, reports.RejectsBase(j.label(period))); err != nil {
		return nil, err
	}
	if err := j.lj.AuditNoop(ctx, res.JSONPath, j.opts.KeepPublished); err != nil {
		return nil, err
	}
	return res, j.steps.Complete()
}

// weeklyArtifacts are the report and the workbook prepared for
// publication by the render steps and signed by the sign step.
type weeklyArtifacts struct {
	report, workbook reports.Artifact
}

// discardUnpublished removes what was prepared of arts and not published
// (reports.Artifact.Discard), saying so when it cannot; it must not fail
// the run.
func (j *weeklyJob) discardUnpublished(arts *weeklyArtifacts) {
	for _, a := range []reports.Artifact{arts.report, arts.workbook} {
		if err := a.Discard(); err != nil {
			j.env.Log.Warn("remove a prepared artifact that was not published", "error", err)
		}
	}
}

// renderStep runs the render_json and render_xlsx steps into arts.
//
// The JSON and the workbook are rendered from the same model at once
// (neither changes it). Each is prepared for publication as soon as it
// is rendered, while the other still renders: signed, hashed and
// written ahead into the run's checkpoint directory
// (reports.Publisher.Prepare; Steps.Scratch). The sign step takes
// those signatures, and the publish step moves the files into place.
// The caller removes whatever is prepared and not published on the way
// out (discardUnpublished).
func (j *weeklyJob) renderStep(ctx context.Context, out *weeklyOutput, m *weeklyModel, arts *weeklyArtifacts) error {
	sha256Of := func(a *reports.Artifact) func() string {
		return func() string { return hex.EncodeToString(a.SHA256) }
	}
	return j.steps.Concurrent(ctx, job.StepSpec{
		Name: job.StepRenderJSON, File: "report.json",
		// The report is the model's encoding, which the checkpoint keeps.
		Derived: true,
		Fn: func() ([]byte, error) {
			a := reports.Artifact{Ext: ".json", Data: m.encoded, SHA256: m.sum}
			if a.Data == nil {
				var err error
				if a.Data, err = reports.MarshalWeekly(&m.w); err != nil {
					return nil, err
				}
			}
			var err error
			arts.report, err = out.pub.Prepare(ctx, out.base, m.w.Revision, a)
			return a.Data, err
		},
		SHA256: sha256Of(&arts.report),
		Load:   func(b []byte) error { arts.report.Ext, arts.report.Data = ".json", b; return nil },
	}, job.StepSpec{
		Name: job.StepRenderXLSX, File: "report.xlsx",
		Fn: func() ([]byte, error) {
			var b []byte
			var err error
			if m.early != nil {
				// Started with the model: this step's duration is what
				// was left of it.
				b, err = m.early.wait()
			} else {
				b, err = renderWorkbook(ctx, &m.w, out.wbOpts)
			}
			if err != nil {
				return nil, err
			}
			arts.workbook, err = out.pub.Prepare(ctx, out.base, m.w.Revision, reports.Artifact{Ext: ".xlsx", Data: b})
			return b, err
		},
		SHA256: sha256Of(&arts.workbook),
		Load:   func(b []byte) error { arts.workbook.Ext, arts.workbook.Data = ".xlsx", b; return nil },
	})
}

// signStep runs the sign step, which records the signatures of arts in
// the trail before anything is published; the publication writes them.
//
// An artifact the run did not prepare (a resumed run's workbook comes
// from the checkpoint) is signed here; one it did was signed as it was
// prepared. A resumed run whose sign step was done uses that step's
// signatures if the key is still the one that made them; otherwise the
// artifacts are signed again with the current key.
func (j *weeklyJob) signStep(ctx context.Context, signer *reports.Signer, arts *weeklyArtifacts) error {
	var signed stepSignatures
	if err := j.steps.Step(ctx, job.StepSign, "signatures.json", func() ([]byte, error) {
		var sigs stepSignatures
		if signer != nil {
			var unsigned [][]byte
			var at []*reports.Artifact
			for _, a := range []*reports.Artifact{&arts.report, &arts.workbook} {
				if a.Sig == nil {
					unsigned, at = append(unsigned, a.Data), append(at, a)
				}
			}
			for i, sig := range signer.SignAll(unsigned...) {
				at[i].Sig = sig
			}
			sigs.KeyID = signer.KeyID()
			sigs.JSON = strings.TrimSpace(string(reports.SignatureBytes(arts.report.Sig)))
			sigs.XLSX = strings.TrimSpace(string(reports.SignatureBytes(arts.workbook.Sig)))
		}
		return json.Marshal(sigs)
	}, func(b []byte) error { return json.Unmarshal(b, &signed) }); err != nil {
		return err
	}
	if signer != nil && signed.KeyID == signer.KeyID() {
		var err error
		if arts.report.Sig, err = reports.ParseSignature([]byte(signed.JSON)); err != nil {
			return fmt.Errorf("sign step's signature of the report: %w", err)
		}
		if arts.workbook.Sig, err = reports.ParseSignature([]byte(signed.XLSX)); err != nil {
			return fmt.Errorf("sign step's signature of the workbook: %w", err)
		}
	}
	return nil
}

// publishStep runs the publish step: the rejects file and the report
// pair of arts, signed, written and recorded (publish); a resumed run
// whose publication was done only fills in res's paths.
func (j *weeklyJob) publishStep(ctx context.Context, st *store.Store, out *weeklyOutput, period review.Period, w *reports.Weekly,
	arts *weeklyArtifacts, res *WeeklyResult) error {
	pub, base := out.pub, out.base
	return j.steps.Publish(ctx, "published.json", func() ([]byte, error) {
		files, err := j.publish(ctx, st, pub, base, w.Revision, arts.report, arts.workbook, res)
		if err != nil {
			return nil, err
		}
		return json.Marshal(files)
	}, func(b []byte) error {
		res.JSONPath = filepath.Join(pub.Dir, reports.Name(base, w.Revision, ".json"))
		res.XLSXPath = filepath.Join(pub.Dir, reports.Name(base, w.Revision, ".xlsx"))
		if w.DataQuality.Rejected > 0 {
			res.RejectsPath = filepath.Join(pub.Dir, reports.Name(reports.RejectsBase(j.label(period)), w.Revision, ".jsonl"))
		}
		return nil
	})
}

func (j *weeklyJob) period(loc *time.Location) (review.Period, error) {
	if j.opts.Week != "" {
		return review.ParseWeek(j.opts.Week, loc)
	}
	now := j.opts.AsOf
	if now.IsZero() {
		now = j.env.Now()
	}
	return review.LastCompleteWeek(now, loc), nil
}

// analyse computes the model and decides its revision: 1 when nothing is
// published; 0 (no-op) when the newest published revision holds the same
// result; newest+1 with --supersede when it differs; an error otherwise.
func (j *weeklyJob) analyse(ctx context.Context, st *store.Store, in *job.Inputs, period review.Period,
	pub *reports.Publisher, base string, signer *reports.Signer) (*reports.Weekly, error) {
	// A missing mount, an emptied output directory or this week's
	// revisions deleted: said as such before the earlier weeks' reports
	// are read against their records (where they would be missing too).
	latest, err := pub.Latest(base)
	if err != nil {
		return nil, err
	}
	if err := j.lj.CheckPublishedFilesPresent(pub.Dir, base, latest); err != nil {
		return nil, err
	}
	published, err := reports.PublishedWeeks(j.lj.Recorded())
	if err != nil {
		return nil, job.NotAsRecorded(err, "published")
	}
	recs, err := baselines.LoadRecords(j.env.Layout.BaselineUpdatesDir)
	if err != nil {
		return nil, err
	}
	if problems := recs.NotAsRecorded(j.lj.Entries()); len(problems) > 0 {
		return nil, &job.IntegrityError{Problems: problems}
	}
	if recs, _, err = recs.Recorded(j.lj.Entries()); err != nil {
		return nil, err
	}
	approvals, err := recs.ReviewApprovals(period.Loc) // the maker-checker clock
	if err != nil {
		return nil, err
	}
	mods := make([]review.LoggedModification, len(j.ledger.Modifications))
	for i, m := range j.ledger.Modifications {
		mods[i] = review.LoggedModification{AuditSeq: m.AuditSeq, IngestSeq: m.IngestSeq, ByteFrom: m.ByteFrom, ByteTo: m.ByteTo, LineFrom: m.LineFrom, LineTo: m.LineTo}
		if a := m.Ack; a != nil {
			mods[i].Ack = &reports.LedgerAck{By: a.By, Reason: a.Reason, At: a.At, Record: a.Record}
		}
	}
	ldups := j.ledger.Duplicates(j.dups)
	conflicting := make([]reports.ConflictingDuplicate, len(ldups))
	for i, d := range ldups {
		conflicting[i] = reports.ConflictingDuplicate{LineNo: d.LineNo, FirstLineNo: d.FirstLineNo, RunID: d.RunID}
		if a := d.Ack; a != nil {
			conflicting[i].Acknowledgment = &reports.LedgerAck{By: a.By, Reason: a.Reason, At: a.At, Record: a.Record}
		}
	}
	w, err := review.Weekly(ctx, st, review.Input{
		Period:                period,
		Policy:                in.Policy,
		Baselines:             in.Baselines,
		Cases:                 in.Cases.Cases,
		Incidents:             in.Incidents.Incidents,
		Config:                in.Config,
		Published:             published,
		Approvals:             approvals,
		LedgerModifications:   mods,
		ConflictingDuplicates: conflicting,
		StaleAt:               j.now,
		Tails: []review.InputTail{{File: j.env.Layout.Rel(j.env.Layout.Cases), Tail: in.Cases.Tail},
			{File: j.env.Layout.Rel(j.env.Layout.Incidents), Tail: in.Incidents.Tail}},
		Log: j.env.Log,
	})
	if err != nil {
		return nil, err
	}
	l := j.env.Layout
	w.Generator = reports.Generator{Name: "ledgerlens", Version: j.env.Version}
	w.Preliminary = j.opts.Preliminary
	w.AuditHeadAtStart = j.steps.HeadAtStart()
	w.AuditCheckpoint = j.steps.AnchorCheckpoint()
	w.Inputs.Ledger.Path = l.Rel(l.Ledger)
	w.Inputs.Files = in.Files
	if w.Inputs.Files == nil {
		w.Inputs.Files = []reports.InputFile{}
	}
	w.Inputs.Policy = "file"
	if in.DefaultPolicy {
		w.Inputs.Policy = "built-in default (docs/RULES.md, Policy)"
		w.Notes = append(w.Notes, "no policy file: the built-in default policy of docs/RULES.md (Policy) applied")
	}
	w.Inputs.Baselines = "file"
	if !in.Read("baselines") {
		w.Inputs.Baselines = "none"
		w.Notes = append(w.Notes, "no baselines file: no scenario has a baseline, so no run is a spike and each scenario with runs is a missing_baseline violation (docs/RULES.md)")
	}
	if signer != nil {
		id := signer.KeyID()
		w.SigningKeyID = &id
	}

	if latest == 0 {
		w.Revision = 1
		return w, nil
	}
	setRevision(w, base, latest)
	same, err := sameAsPublished(pub, base, latest, w)
	if err != nil {
		return nil, err
	}
	if same {
		return &reports.Weekly{}, nil // revision 0: already published
	}
	if err := j.lj.CheckNewestRevisionRecorded(pub.Dir, base, latest); err != nil {
		return nil, err
	}
	if j.opts.KeepPublished && !j.opts.Supersede && !j.opts.Preliminary {
		// Said, not silent: a scheduled run kept what a command would
		// have refused (an outside review).
		j.env.Log.Warn("the week is already published and this run's result differs (late arrivals, changed inputs, or only a longer ledger): kept as published; report weekly --week "+j.label(period)+" --supersede publishes a revision",
			"report", filepath.Join(pub.Dir, reports.Name(base, latest, ".json")))
		return &reports.Weekly{}, nil // revision 0: the published one stands
	}
	if !j.opts.Supersede {
		path := filepath.Join(pub.Dir, reports.Name(base, latest, ".json"))
		return nil, fmt.Errorf("%s is already published and this run's result differs (for example after late arrivals or changed inputs); nothing was written: rerun with --supersede to publish revision %d: %w",
			path, latest+1, reports.ErrAlreadyPublished)
	}
	setRevision(w, base, latest+1)
	return w, nil
}

func setRevision(w *reports.Weekly, base string, rev int) {
	w.Revision = rev
	w.Supersedes = nil
	if rev > 1 {
		prev := reports.Name(base, rev-1, ".json")
		w.Supersedes = &prev
	}
}

// sameAsPublished reports whether revision rev on disk holds the same
// result as w. What says only how the run was made (the audit head at job
// start, which every run moves, and the rest of SetHowMade) is left out.
func sameAsPublished(pub *reports.Publisher, base string, rev int, w *reports.Weekly) (bool, error) {
	data, err := pub.Read(base, rev, ".json")
	if err != nil {
		return false, err
	}
	var old reports.Weekly
	if err := json.Unmarshal(data, &old); err != nil {
		return false, fmt.Errorf("read published %s: %w", reports.Name(base, rev, ".json"), err)
	}
	// What says how the run was made, not what it found, is not compared
	// (reports.Provenance.SetHowMade).
	old.SetHowMade(w.Provenance)
	if old.ActionRequired == nil {
		// Published before the report had an action-required list: the
		// list is derived from the rest, which is what is compared.
		old.ActionRequired = w.ActionRequired
	}
	a, err := reports.MarshalWeekly(&old)
	if err != nil {
		return false, err
	}
	b, err := reports.MarshalWeekly(w)
	if err != nil {
		return false, err
	}
	return bytes.Equal(a, b), nil
}

// publish writes the rejects file and then the report pair, signed, and
// records every written file in the audit log.
func (j *weeklyJob) publish(ctx context.Context, st *store.Store, pub *reports.Publisher, base string, rev int,
	report, workbook reports.Artifact, res *WeeklyResult) ([]reports.PublishedFile, error) {
	l := j.env.Layout
	if err := os.MkdirAll(pub.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	var written []reports.PublishedFile
	if res.Report.DataQuality.Rejected > 0 {
		rejects, err := review.Rejects(ctx, st, 0)
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		for _, r := range rejects {
			if err := enc.Encode(r); err != nil {
				return nil, err
			}
		}
		rp := &reports.Publisher{Dir: pub.Dir, Signer: pub.Signer, Primary: ".jsonl", Recorded: pub.Recorded}
		rres, err := rp.Publish(ctx, reports.RejectsBase(j.label(res.Period)), rev, []reports.Artifact{{Ext: ".jsonl", Data: b.Bytes()}})
		if err != nil {
			return nil, err
		}
		written = append(written, rres.Files...)
	}
	pres, err := pub.Publish(ctx, base, rev, []reports.Artifact{report, workbook})
	if err != nil {
		// All or nothing: the rejects file written above goes too, so a
		// failed publish leaves no part of the set (a re-run writes it
		// whole).
		if werr := reports.Withdraw(reports.PublishResult{Files: written}); werr != nil {
			return nil, fmt.Errorf("%w; %w", err, werr)
		}
		return nil, err
	}
	written = append(written, pres.Files...)
	// written holds the rejects file and the report's set, recorded as
	// one set: a recording that fails withdraws whatever of both the log
	// does not record, and the records it did write name the rest.
	set := []job.Publication{{Base: base, Exts: []string{".json", ".xlsx"}}}
	if res.Report.DataQuality.Rejected > 0 {
		set = append([]job.Publication{{Base: reports.RejectsBase(j.label(res.Period)), Exts: []string{".jsonl"}}}, set...)
	}
	if err := j.lj.RecordPublishedSet(ctx, pub.Dir, rev, written, set...); err != nil {
		return nil, err
	}
	if err := j.lj.Audit(ctx, audit.EventPublish, map[string]any{
		"base": base, "revision": rev, "primary": l.Rel(pres.Primary.Path), "sha256": pres.Primary.SHA256,
		"key_id": pres.KeyID}); err != nil {
		return nil, err
	}
	return written, nil
}

// stepSignatures is the sign step's output: the signing key's id and the
// report's and the workbook's signatures (".sig" text without its
// newline); all empty for an unsigned run, whose output is
// {"key_id":""}. The fields are in the order of their keys, so that the
// encoding is the one the step has always saved.
type stepSignatures struct {
	JSON  string `json:"json,omitempty"`
	KeyID string `json:"key_id"`
	XLSX  string `json:"xlsx,omitempty"`
}

// renderWorkbook renders the workbook of w.
func renderWorkbook(ctx context.Context, w *reports.Weekly, opts reports.WorkbookOptions) ([]byte, error) {
	var buf bytes.Buffer
	err := reports.RenderWorkbook(ctx, w, opts, &buf)
	return buf.Bytes(), err
}

// workbookRender is a workbook rendering in the background. w must not
// change while it runs.
type workbookRender struct {
	done   chan struct{}
	out    []byte
	err    error
	cancel context.CancelFunc
}

// startWorkbook starts rendering the workbook of w in the background.
func startWorkbook(ctx context.Context, w *reports.Weekly, opts reports.WorkbookOptions) *workbookRender {
	ctx, cancel := context.WithCancel(ctx)
	r := &workbookRender{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(r.done)
		r.out, r.err = renderWorkbook(ctx, w, opts)
	}()
	return r
}

// wait returns the rendered workbook once it is done.
func (r *workbookRender) wait() ([]byte, error) {
	<-r.done
	return r.out, r.err
}

// stop cancels the rendering if it still runs and waits for it to end.
func (r *workbookRender) stop() {
	r.cancel()
	<-r.done
}
