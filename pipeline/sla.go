package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/baselines"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/reconcile"
	"github.com/ledgerlens/ledgerlens/pipeline/slareport"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

// SLAOptions select the month and publication behaviour of an SLA report.
type SLAOptions struct {
	// Month is YYYY-MM; "" means the month before AsOf (or Env.Now).
	Month string
	// AsOf fixes "now": the default month, and whether an item not yet
	// done is overdue or still pending.
	AsOf      time.Time
	Unsigned  bool
	Supersede bool
	// KeepPublished makes a result that differs from the published
	// revision keep that revision, as a no-op run, instead of failing: the
	// scheduler, which never supersedes, retrying a fire whose report an
	// earlier attempt published (its announcement failed) after the ledger
	// grew, which changes every period's result, failed at every retry and
	// never told the receivers (an outside review). A month kept so can be
	// superseded by hand (report sla --supersede).
	KeepPublished bool
}

// SLAResult says what an SLA job did.
type SLAResult struct {
	JobRunID string
	Month    string
	Report   *reports.SLA
	Noop     bool
	Revision int
	JSONPath string
	XLSXPath string
	// integrity are the unacknowledged integrity problems the job ends
	// with, read while the store is open.
	integrity []string
}

// RunSLA publishes the monthly SLA report, sla_<YYYY-MM>.json and .xlsx,
// with the weekly report's integrity: deterministic content, sidecars,
// signatures, write-once with --supersede revisions, checkpointed steps and
// every step in the audit log.
func RunSLA(ctx context.Context, env job.Env, opts SLAOptions) (*SLAResult, error) {
	var res *SLAResult
	err := job.Run(ctx, env, job.NameSLAReport, map[string]any{"month": opts.Month},
		func(ctx context.Context, j *job.Job) (job.Outcome, error) {
			var (
				err   error
				found []string
			)
			res, err = runSLA(ctx, j, opts, env.Log, &found)
			if err != nil && len(found) > 0 {
				// A failure after the problems were found (a result that
				// differs from the published one) must not hide them:
				// exit 4, as for the weekly review (it exited 1, naming
				// only the failure: an outside review).
				res = nil
				return job.Outcome{}, job.WithProblems(err, found)
			}
			if err != nil {
				return job.Outcome{}, err
			}
			// Published; an unacknowledged ledger modification or
			// conflicting duplicate still fails the job (exit 4), as for
			// the weekly review.
			return job.Outcome{Fields: map[string]any{"month": res.Month, "revision": res.Revision, "noop": res.Noop,
				"breaches": len(res.Report.Breaches)}, Integrity: res.integrity}, nil
		})
	if errors.Is(err, job.ErrIntegrity) {
		return res, err
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// runSLA is the SLA job's work, step by step: the inputs and the month,
// the clocks' sources, the store with the integrity problems the job ends
// with, the checkpointed steps (analyse, render_json and render_xlsx,
// publish), or, when the published revision already holds the result, a
// no-op. found receives the integrity problems once they are known, for
// a failure after that to report them too.
func runSLA(ctx context.Context, j *job.Job, opts SLAOptions, log *slog.Logger, found *[]string) (*SLAResult, error) {
	r := &slaJob{lj: j, opts: opts, log: log}
	l := j.Env().Layout
	if err := r.loadInputs(ctx); err != nil {
		return nil, err
	}
	if err := r.readClockSources(); err != nil {
		return nil, err
	}
	signer, err := j.PublishingSigner(opts.Unsigned) // before the ingest, as for the weekly job
	if err != nil {
		return nil, err
	}
	st, ing, err := j.OpenStore(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	integrity, err := r.integrityProblems(ctx, st)
	if err != nil {
		return nil, err
	}
	*found = integrity
	// The store's rows must be the rows the ingests loaded, as for the
	// weekly job (docs/COMPLIANCE.md). The report's clocks may start
	// before the month and end after it, so every chunk is checked (those
	// the store seal vouches for are not read back).
	if err := j.CheckStoreRows(ctx, st, time.Time{}, time.Time{}); err != nil {
		return nil, err
	}

	if err := r.startSteps(ctx, ing); err != nil {
		return nil, err
	}
	runID := r.steps.RunID()

	pubDir := l.Resolve(r.in.Config.OutputDir)
	pub := &reports.Publisher{Dir: pubDir, Signer: signer, Recorded: j.IsRecorded}
	base := "sla_" + r.month.Label()
	res := &SLAResult{JobRunID: runID, Month: r.month.Label(), integrity: integrity}

	s, err := r.analyseStep(ctx, st, ing, pub, base, signer)
	if err != nil {
		return nil, err
	}
	res.Report, res.Revision = s, s.Revision

	if s.Revision == 0 {
		return r.completeNoop(ctx, pub, base, res)
	}
	jsonBytes, xlsxBytes, err := r.renderStep(ctx, s, signer)
	if err != nil {
		return nil, err
	}
	if err := r.publishStep(ctx, pub, base, s.Revision, jsonBytes, xlsxBytes, res); err != nil {
		return nil, err
	}
	return res, r.steps.Complete()
}

// slaJob is one execution of the SLA job: the runner's job (lj), the
// options, and what its first steps read and decided, for the steps
// after them.
type slaJob struct {
	lj   *job.Job
	opts SLAOptions
	log  *slog.Logger
	// in, loc, asOf and month are the inputs, the time zone, "now" and
	// the month reported (loadInputs).
	in    *job.Inputs
	loc   *time.Location
	asOf  time.Time
	month slareport.Month
	// recs, pubs and auditStart are what the clocks read besides the
	// input files: the baseline records as the audit log records them,
	// its publish events and the time of its first entry
	// (readClockSources).
	recs       *baselines.Records
	pubs       []slareport.Publication
	auditStart time.Time
	// steps are the run's checkpointed steps (startSteps).
	steps *job.Steps
}

// loadInputs reads the job's inputs, holds the baselines to their newest
// approval, and decides the time zone, "now" and the month, which must
// have ended: publication is write-once. It must not open the store: a
// job refused here ingests nothing.
func (r *slaJob) loadInputs(ctx context.Context) error {
	env := r.lj.Env()
	in, err := r.lj.LoadInputs(ctx)
	if err != nil {
		return err
	}
	if err := r.lj.EditedBaselinesError(in); err != nil {
		return err
	}
	loc, err := in.Config.Location()
	if err != nil {
		return job.Blocked(err)
	}
	asOf := r.opts.AsOf
	if asOf.IsZero() {
		asOf = env.Now()
	}
	month := slareport.PreviousMonth(asOf, loc)
	if r.opts.Month != "" {
		if month, err = slareport.ParseMonth(r.opts.Month, loc); err != nil {
			return job.Blocked(err)
		}
	}
	if month.End.After(asOf) {
		// Publication is write-once: a month's report made before its end
		// would have to be superseded by the real one.
		return &job.PeriodNotEndedError{Period: month.Label(), End: month.End, Now: asOf}
	}
	r.in, r.loc, r.asOf, r.month = in, loc, asOf, month
	return nil
}

// readClockSources reads what the clocks read besides the input files:
// the baseline records, held to their record in the audit log (a record
// not as recorded fails the job as an integrity problem), and the audit
// log's publish events and first time (publications). It reads the log
// as the job verified it, never the file again.
func (r *slaJob) readClockSources() error {
	recs, err := baselines.LoadRecords(r.lj.Env().Layout.BaselineUpdatesDir)
	if err != nil {
		return job.Blocked(err)
	}
	if problems := recs.NotAsRecorded(r.lj.Entries()); len(problems) > 0 {
		return &job.IntegrityError{Problems: problems}
	}
	if recs, _, err = recs.Recorded(r.lj.Entries()); err != nil {
		return err
	}
	pubs, auditStart, err := publications(r.lj.Entries())
	if err != nil {
		return job.Blocked(err)
	}
	r.recs, r.pubs, r.auditStart = recs, pubs, auditStart
	return nil
}

// integrityProblems returns the unacknowledged integrity problems the job
// ends with, read while the store is open: the ledger's, the baseline
// records' and the baselines'. It must not fail the job for them: the
// report is published, and the job's outcome carries them.
func (r *slaJob) integrityProblems(ctx context.Context, st *store.Store) ([]string, error) {
	integrity, err := r.lj.IntegrityProblems(ctx, st)
	if err != nil {
		return nil, err
	}
	// The maker-checker clocks read the baseline records, as the weekly
	// review's items do.
	recordsProblems, err := r.lj.BaselineRecordsProblems()
	if err != nil {
		return nil, err
	}
	integrity = append(integrity, recordsProblems...)
	// And its observation clocks read the baselines, as the weekly
	// review's figures do: the file itself is held to the newest approval
	// before anything else (EditedBaselinesError); here the record of
	// the flow. The SLA job did not check the file, and a report computed
	// from edited baselines was published, signed, exit 0 (an outside
	// review).
	integrity = append(integrity, r.lj.BaselinesProblems(r.in)...)
	return integrity, nil
}

// startSteps starts (or resumes) the run's checkpointed steps into
// r.steps. The run id covers everything the result depends on, so a
// resumed run only reuses checkpoints of the same computation.
func (r *slaJob) startSteps(ctx context.Context, ing store.IngestResult) error {
	files := append([]reports.InputFile{}, r.in.Files...)
	files = append(files, reports.InputFile{Role: "clock_sources", SHA256: clockSourcesDigest(r.recs, r.pubs, r.auditStart)})
	if r.asOf.Before(r.month.End.Add(slareport.ObservationTarget + 4*24*time.Hour)) {
		// Items may still be pending: the result depends on "now".
		files = append(files, reports.InputFile{Role: "as_of", SHA256: r.asOf.UTC().Format(time.RFC3339Nano)})
	}
	steps, err := r.lj.StartSteps(ctx, job.RunKey{Job: job.NameSLAReport, Period: r.month.Label(), LedgerSHA: ing.PrefixSHA256,
		Unsigned: r.opts.Unsigned, Supersede: r.opts.Supersede, Files: files})
	if err != nil {
		return err
	}
	r.steps = steps
	return nil
}

// analyseStep runs the analyse step: the report model (slareport.Compute)
// with how it was made, its inputs and its key, and its revision decided
// (slaRevision); revision 0 when the published revision stands. A resumed
// run decodes the saved model.
func (r *slaJob) analyseStep(ctx context.Context, st *store.Store, ing store.IngestResult,
	pub *reports.Publisher, base string, signer *reports.Signer) (*reports.SLA, error) {
	env := r.lj.Env()
	l := env.Layout
	in := r.in
	var s reports.SLA
	if err := r.steps.Step(ctx, job.StepAnalyse, "sla.model.json", func() ([]byte, error) {
		m, err := slareport.Compute(ctx, st.Conn(), slareport.Input{
			Month: r.month, AsOf: r.asOf, Config: in.Config, Policy: in.Policy, Baselines: in.Baselines,
			Cases: in.Cases.Cases, Incidents: in.Incidents.Incidents, Records: r.recs,
			Publications: r.pubs, AuditStart: r.auditStart,
		})
		if err != nil {
			return nil, err
		}
		m.Generator = reports.Generator{Name: "ledgerlens", Version: env.Version}
		m.AuditHeadAtStart = r.steps.HeadAtStart()
		m.AuditCheckpoint = r.steps.AnchorCheckpoint()
		lines, err := st.CoveredLines(ctx)
		if err != nil {
			return nil, err
		}
		m.Inputs = reports.Inputs{
			Ledger:    reports.LedgerInput{Path: l.Rel(l.Ledger), SHA256: ing.PrefixSHA256, BytesCovered: ing.OffsetTo, LinesCovered: lines},
			Baselines: "file",
			Policy:    "file",
		}
		if m.Inputs.Files, err = slaInputFiles(l, in.Files, m); err != nil {
			return nil, err
		}
		if in.DefaultPolicy {
			m.Inputs.Policy = "built-in default (docs/RULES.md, Policy)"
		}
		if signer != nil {
			id := signer.KeyID()
			m.SigningKeyID = &id
		}
		if err := slaRevision(r.lj, pub, base, m, r.opts.Supersede, r.opts.KeepPublished, r.log); err != nil {
			return nil, err
		}
		return json.Marshal(m)
	}, func(b []byte) error { return json.Unmarshal(b, &s) }); err != nil {
		return nil, err
	}
	return &s, nil
}

// completeNoop ends a run whose result the published revision already
// holds: res names that revision (and its report, when it reads), the
// rest of the publication is held to its record, the no-op is audited and
// the steps complete. It must not publish anything.
func (r *slaJob) completeNoop(ctx context.Context, pub *reports.Publisher, base string, res *SLAResult) (*SLAResult, error) {
	p := job.LatestPublished[reports.SLA](pub, base)
	res.Noop, res.Revision, res.JSONPath, res.XLSXPath = true, p.Revision, p.JSONPath, p.XLSXPath
	if p.Report != nil {
		res.Report = p.Report // else the result computed, which it holds
	}
	// Only the report was compared, as for the weekly review.
	if err := reconcile.PublicationsUnchanged(r.lj.Env().Layout, r.lj.Entries(), base); err != nil {
		return nil, err
	}
	if err := r.lj.AuditNoop(ctx, res.JSONPath, r.opts.KeepPublished); err != nil {
		return nil, err
	}
	return res, r.steps.Complete()
}

// renderStep runs the render_json and render_xlsx steps and returns the
// report's and the workbook's bytes. The JSON and the workbook are
// rendered from the same model at once (neither changes it).
func (r *slaJob) renderStep(ctx context.Context, s *reports.SLA, signer *reports.Signer) ([]byte, []byte, error) {
	var jsonBytes, xlsxBytes []byte
	if err := r.steps.Concurrent(ctx, job.StepSpec{
		Name: job.StepRenderJSON, File: "sla.json",
		Fn:   func() ([]byte, error) { return reports.MarshalSLA(s) },
		Load: func(b []byte) error { jsonBytes = b; return nil },
	}, job.StepSpec{
		Name: job.StepRenderXLSX, File: "sla.xlsx",
		Fn: func() ([]byte, error) {
			var buf bytes.Buffer
			err := reports.RenderSLAWorkbook(ctx, s, reports.WorkbookOptions{Location: r.loc, Signed: signer != nil}, &buf)
			return buf.Bytes(), err
		},
		Load: func(b []byte) error { xlsxBytes = b; return nil },
	}); err != nil {
		return nil, nil, err
	}
	return jsonBytes, xlsxBytes, nil
}

// publishStep runs the publish step: the report pair of revision rev
// written (signed when pub has a key), recorded in the audit log and its
// publication audited; a resumed run whose publication was done only
// fills in res's paths.
func (r *slaJob) publishStep(ctx context.Context, pub *reports.Publisher, base string, rev int, jsonBytes, xlsxBytes []byte, res *SLAResult) error {
	l := r.lj.Env().Layout
	pubDir := pub.Dir
	return r.steps.Publish(ctx, "published.json", func() ([]byte, error) {
		if err := os.MkdirAll(pubDir, 0o755); err != nil {
			return nil, fmt.Errorf("create output directory: %w", err)
		}
		pres, err := pub.Publish(ctx, base, rev, []reports.Artifact{{Ext: ".json", Data: jsonBytes}, {Ext: ".xlsx", Data: xlsxBytes}})
		if err != nil {
			return nil, err
		}
		if err := r.lj.RecordPublished(ctx, pubDir, base, rev, pres.Files, ".json", ".xlsx"); err != nil {
			return nil, err
		}
		if err := r.lj.Audit(ctx, audit.EventPublish, map[string]any{
			"base": base, "revision": rev, "primary": l.Rel(pres.Primary.Path), "sha256": pres.Primary.SHA256,
			"key_id": pres.KeyID}); err != nil {
			return nil, err
		}
		return json.Marshal(pres.Files)
	}, func([]byte) error {
		res.JSONPath = filepath.Join(pubDir, reports.Name(base, rev, ".json"))
		res.XLSXPath = filepath.Join(pubDir, reports.Name(base, rev, ".xlsx"))
		return nil
	})
}

// slaInputFiles lists the report's input files: the job's inputs and the
// baseline records its maker-checker items rest on, each with its hash.
func slaInputFiles(l inputs.Layout, files []reports.InputFile, s *reports.SLA) ([]reports.InputFile, error) {
	out := append([]reports.InputFile{}, files...)
	add := func(role, name string) error {
		path := filepath.Join(l.BaselineUpdatesDir, name)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("sla report: %w", err)
		}
		out = append(out, reports.InputFile{Role: role, Path: l.Rel(path), Bytes: int64(len(data)), SHA256: reports.SHA256Hex(data)})
		return nil
	}
	for _, it := range s.MakerChecker {
		if err := add("baseline_proposal", baselines.ProposalBase(it.ProposalID)+".json"); err != nil {
			return nil, err
		}
		if it.ApprovalID != nil {
			if err := add("baseline_approval", baselines.ApprovalBase(it.ProposalID)+".json"); err != nil {
				return nil, err
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Role != out[j].Role {
			return out[i].Role < out[j].Role
		}
		return out[i].Path < out[j].Path
	})
	return out, nil
}

// slaRevision decides the revision as the weekly job does: 1 when nothing
// is published, 0 (no-op) when the newest revision holds the same result
// (the audit head at start aside) or, with keep, whatever it holds;
// newest+1 with supersede, else an error.
func slaRevision(j *job.Job, pub *reports.Publisher, base string, s *reports.SLA, supersede, keep bool, log *slog.Logger) error {
	latest, err := pub.Latest(base)
	if err != nil {
		return err
	}
	if err := j.CheckPublishedFilesPresent(pub.Dir, base, latest); err != nil {
		return err
	}
	set := func(rev int) {
		s.Revision, s.Supersedes = rev, nil
		if rev > 1 {
			prev := reports.Name(base, rev-1, ".json")
			s.Supersedes = &prev
		}
	}
	if latest == 0 {
		set(1)
		return nil
	}
	set(latest)
	data, err := pub.Read(base, latest, ".json")
	if err != nil {
		return err
	}
	var old reports.SLA
	if err := json.Unmarshal(data, &old); err != nil {
		return fmt.Errorf("read published %s: %w", reports.Name(base, latest, ".json"), err)
	}
	// As for the weekly review: what says how the run was made is not
	// compared (reports.Provenance.SetHowMade).
	old.SetHowMade(s.Provenance)
	a, err := reports.MarshalSLA(&old)
	if err != nil {
		return err
	}
	b, err := reports.MarshalSLA(s)
	if err != nil {
		return err
	}
	if bytes.Equal(a, b) {
		*s = reports.SLA{} // revision 0: already published
		return nil
	}
	if err := j.CheckNewestRevisionRecorded(pub.Dir, base, latest); err != nil {
		return err
	}
	if keep && !supersede {
		// Said, not silent: a scheduled run kept what a command would
		// have refused (an outside review).
		log.Warn("the month is already published and this run's result differs: kept as published; report sla --supersede publishes a revision",
			"report", filepath.Join(pub.Dir, reports.Name(base, latest, ".json")))
		*s = reports.SLA{} // revision 0: the published one stands
		return nil
	}
	if !supersede {
		return fmt.Errorf("%s is already published and this run's result differs; nothing was written: rerun with --supersede to publish revision %d: %w",
			filepath.Join(pub.Dir, reports.Name(base, latest, ".json")), latest+1, reports.ErrAlreadyPublished)
	}
	set(latest + 1)
	return nil
}

// publications reads the publish events of entries, the audit log as the
// job verified it, for the operator-review clock, and the time of its
// first entry. The file is not read again: a second read was checked for
// its chain alone, so forged publish entries, chained, could mark clocks
// as met in a signed report (an outside review).
func publications(entries []audit.Entry) ([]slareport.Publication, time.Time, error) {
	var out []slareport.Publication
	var start time.Time
	for i, e := range entries {
		t, err := e.Timestamp()
		if err != nil {
			return nil, time.Time{}, err
		}
		if i == 0 {
			start = t
		}
		if e.Event != audit.EventPublish {
			continue
		}
		base, _ := e.Fields["base"].(string)
		rev := 1
		if n, ok := e.Fields["revision"].(json.Number); ok {
			if v, err := strconv.Atoi(n.String()); err == nil {
				rev = v
			}
		}
		out = append(out, slareport.Publication{Base: base, Revision: rev, Time: t, Seq: e.Seq, Hash: e.Hash})
	}
	return out, start, nil
}

// clockSourcesDigest hashes what the clocks read besides the input files:
// the baseline records and the publication events.
func clockSourcesDigest(recs *baselines.Records, pubs []slareport.Publication, auditStart time.Time) string {
	h := sha256.New()
	fmt.Fprintf(h, "audit_start %s\n", auditStart.UTC().Format(time.RFC3339Nano))
	for _, p := range recs.Proposals {
		fmt.Fprintf(h, "proposal %s %s\n", p.ProposalID, p.ProposedAt)
	}
	for _, a := range recs.Approvals {
		fmt.Fprintf(h, "approval %s %s %s\n", a.ProposalID, a.ApprovalID, a.ApprovedAt)
	}
	for _, p := range pubs {
		fmt.Fprintf(h, "publish %s %d %d %s\n", p.Base, p.Revision, p.Seq, p.Time.UTC().Format(time.RFC3339Nano))
	}
	return hex.EncodeToString(h.Sum(nil))
}
