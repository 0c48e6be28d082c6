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
	"strings"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/review"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

// Env is what every job needs from its host: where things are, how to log,
// what time it is and who is running.
type Env struct {
	Layout      inputs.Layout
	Log         *slog.Logger
	Now         func() time.Time
	Version     string
	Command     string        // for the lock holder record, e.g. "report weekly"
	LockTimeout time.Duration // how long to wait for another job's lock
	// StoreOptions tune DuckDB (memory limit, threads).
	StoreOptions store.Options
	// Progress, when set, receives ingest progress (bytes done of total),
	// for a progress bar on a terminal.
	Progress func(done, total int64)
	// AfterStep, when set, is called after each checkpointed step is saved.
	// It is the fault-injection point of the crash tests (SIGKILL or pause
	// right after a given step); production runs leave it nil.
	AfterStep func(ctx context.Context, step string)
}

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
}

// Weekly job steps, in order (SPEC §10). Each one after ingest saves its
// output under the job run's checkpoint directory, so a re-executed job
// resumes at the first unfinished step.
const (
	StepAnalyse    = "analyse"
	StepRenderJSON = "render_json"
	StepRenderXLSX = "render_xlsx"
	StepSign       = "sign"
	StepPublish    = "publish"
)

// Job states recorded in the audit log.
const (
	StateCompleted        = "completed"
	StateFailed           = "failed"
	StateBlocked          = "blocked"
	StateAwaitingApproval = "awaiting_approval"
)

// RunWeekly runs the weekly credit review job end to end.
func RunWeekly(ctx context.Context, env Env, opts WeeklyOptions) (*WeeklyResult, error) {
	var res *WeeklyResult
	err := runLocked(ctx, env, JobWeeklyReview, nil, func(ctx context.Context, lj *lockedJob) (jobOutcome, error) {
		j := &weeklyJob{env: env, opts: opts, job: lj}
		r, err := j.run(ctx)
		if err != nil {
			return jobOutcome{}, err
		}
		res = r
		out := jobOutcome{fields: map[string]any{"period": r.Period.Label(), "revision": r.Revision, "noop": r.Noop}}
		if r.Report != nil {
			out.fields["findings"] = len(r.Report.PolicyViolations)
		}
		return out, nil
	})
	return res, err
}

// weeklyJob is one execution of the weekly job.
type weeklyJob struct {
	env   Env
	opts  WeeklyOptions
	job   *lockedJob
	steps *stepRunner
}

func (j *weeklyJob) run(ctx context.Context) (*WeeklyResult, error) {
	l := j.env.Layout
	in, err := LoadInputs(l)
	if err != nil {
		return nil, err
	}
	loc, err := in.Config.Location()
	if err != nil {
		return nil, &BlockedError{err}
	}
	period, err := j.period(loc)
	if err != nil {
		return nil, &BlockedError{err}
	}
	st, ing, err := j.job.openStore(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()

	var signer *reports.Signer
	if !j.opts.Unsigned {
		if signer, err = j.job.signer(", or pass --unsigned"); err != nil {
			return nil, err
		}
	}

	runID := jobRunID(JobWeeklyReview, period.Label(), ing.PrefixSHA256, in.Files, j.opts)
	if j.steps, err = startSteps(ctx, j.job, runID); err != nil {
		return nil, err
	}
	res := &WeeklyResult{JobRunID: runID, Period: period, Ingest: ing, Resumed: j.steps.resumed}

	pubDir := l.Resolve(in.Config.OutputDir)
	pub := &reports.Publisher{Dir: pubDir, Signer: signer}
	base := "weekly_" + period.Label()

	// analyse: the report model, with its revision decided.
	var w reports.Weekly
	if err := j.steps.step(ctx, StepAnalyse, "report.model.json", func() ([]byte, error) {
		m, err := j.analyse(ctx, st, in, period, pub, base, signer)
		if err != nil {
			return nil, err
		}
		return json.Marshal(m)
	}, func(b []byte) error { return json.Unmarshal(b, &w) }); err != nil {
		return nil, err
	}
	res.Report = &w
	res.Revision = w.Revision

	if w.Revision == 0 {
		// The published revision already holds this result: nothing to do.
		latest, _ := pub.Latest(base)
		res.Noop, res.Revision = true, latest
		res.JSONPath = filepath.Join(pubDir, reports.Name(base, latest, ".json"))
		if data, err := pub.Read(base, latest, ".json"); err == nil {
			var published reports.Weekly
			if json.Unmarshal(data, &published) == nil {
				res.Report = &published
			}
		}
		res.XLSXPath = filepath.Join(pubDir, reports.Name(base, latest, ".xlsx"))
		if err := j.job.audit(ctx, audit.EventPublishNoop, map[string]any{
			"path": l.Rel(res.JSONPath), "reason": "already published, identical"}); err != nil {
			return nil, err
		}
		return res, j.steps.complete()
	}

	var jsonBytes, xlsxBytes []byte
	if err := j.steps.step(ctx, StepRenderJSON, "report.json", func() ([]byte, error) {
		return reports.MarshalWeekly(&w)
	}, func(b []byte) error { jsonBytes = b; return nil }); err != nil {
		return nil, err
	}
	if err := j.steps.step(ctx, StepRenderXLSX, "report.xlsx", func() ([]byte, error) {
		var buf bytes.Buffer
		err := reports.RenderWorkbook(ctx, &w, reports.WorkbookOptions{Location: loc, Signed: signer != nil}, &buf)
		return buf.Bytes(), err
	}, func(b []byte) error { xlsxBytes = b; return nil }); err != nil {
		return nil, err
	}
	// sign: the signatures are made again at publication (Ed25519 is
	// deterministic, so they are the same bytes); this step records them
	// in the trail before anything is published.
	if err := j.steps.step(ctx, StepSign, "signatures.json", func() ([]byte, error) {
		sigs := map[string]string{"key_id": ""}
		if signer != nil {
			sigs["key_id"] = signer.KeyID()
			sigs["json"] = strings.TrimSpace(string(reports.SignatureBytes(signer.Sign(jsonBytes))))
			sigs["xlsx"] = strings.TrimSpace(string(reports.SignatureBytes(signer.Sign(xlsxBytes))))
		}
		return json.Marshal(sigs)
	}, func([]byte) error { return nil }); err != nil {
		return nil, err
	}

	if err := j.steps.step(ctx, StepPublish, "published.json", func() ([]byte, error) {
		files, err := j.publish(ctx, st, pub, base, w.Revision, jsonBytes, xlsxBytes, res)
		if err != nil {
			return nil, err
		}
		return json.Marshal(files)
	}, func(b []byte) error {
		res.JSONPath = filepath.Join(pubDir, reports.Name(base, w.Revision, ".json"))
		res.XLSXPath = filepath.Join(pubDir, reports.Name(base, w.Revision, ".xlsx"))
		if w.DataQuality.Rejected > 0 {
			res.RejectsPath = filepath.Join(pubDir, reports.Name("rejects_"+period.Label(), w.Revision, ".jsonl"))
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return res, j.steps.complete()
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
func (j *weeklyJob) analyse(ctx context.Context, st *store.Store, in *Inputs, period review.Period,
	pub *reports.Publisher, base string, signer *reports.Signer) (*reports.Weekly, error) {
	published, err := publishedWeeks(pub.Dir)
	if err != nil {
		return nil, err
	}
	approvals, err := loadApprovals(j.env.Layout, period.Loc) // maker-checker clock (baseline.go)
	if err != nil {
		return nil, err
	}
	w, err := review.Weekly(ctx, st, review.Input{
		Period:    period,
		Policy:    in.Policy,
		Baselines: in.Baselines,
		Cases:     in.Cases.Cases,
		Incidents: in.Incidents.Incidents,
		Config:    in.Config,
		Published: published,
		Approvals: approvals,
		Log:       j.env.Log,
	})
	if err != nil {
		return nil, err
	}
	l := j.env.Layout
	w.Generator = reports.Generator{Name: "ledgerlens", Version: j.env.Version}
	w.AuditHeadAtStart = j.steps.headAtStart()
	w.AuditCheckpoint = j.steps.anchorCheckpoint()
	w.Inputs.Ledger.Path = l.Rel(l.Ledger)
	w.Inputs.Files = in.Files
	if w.Inputs.Files == nil {
		w.Inputs.Files = []reports.InputFile{}
	}
	w.Inputs.Policy = "file"
	if in.DefaultPolicy {
		w.Inputs.Policy = "built-in default (SPEC §3)"
		w.Notes = append(w.Notes, "no policy file: the built-in default policy of SPEC §3 applied")
	}
	w.Inputs.Baselines = "file"
	if signer != nil {
		id := signer.KeyID()
		w.SigningKeyID = &id
	}

	latest, err := pub.Latest(base)
	if err != nil {
		return nil, err
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
// result as w. The audit head at job start is left out of the comparison:
// it records when the job ran, not what it found, and every run moves it.
func sameAsPublished(pub *reports.Publisher, base string, rev int, w *reports.Weekly) (bool, error) {
	data, err := pub.Read(base, rev, ".json")
	if err != nil {
		return false, err
	}
	var old reports.Weekly
	if err := json.Unmarshal(data, &old); err != nil {
		return false, fmt.Errorf("read published %s: %w", reports.Name(base, rev, ".json"), err)
	}
	old.AuditHeadAtStart = w.AuditHeadAtStart
	old.AuditCheckpoint = w.AuditCheckpoint
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
	jsonBytes, xlsxBytes []byte, res *WeeklyResult) ([]reports.PublishedFile, error) {
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
		rp := &reports.Publisher{Dir: pub.Dir, Signer: pub.Signer, Primary: ".jsonl"}
		rres, err := rp.Publish(ctx, "rejects_"+res.Period.Label(), rev, []reports.Artifact{{Ext: ".jsonl", Data: b.Bytes()}})
		if err != nil {
			return nil, err
		}
		written = append(written, rres.Files...)
	}
	pres, err := pub.Publish(ctx, base, rev, []reports.Artifact{{Ext: ".json", Data: jsonBytes}, {Ext: ".xlsx", Data: xlsxBytes}})
	if err != nil {
		return nil, err
	}
	written = append(written, pres.Files...)
	if res.Report.DataQuality.Rejected > 0 {
		if err := j.job.recordPublished(ctx, pub.Dir, "rejects_"+res.Period.Label(), rev, ".jsonl"); err != nil {
			return nil, err
		}
	}
	if err := j.job.recordPublished(ctx, pub.Dir, base, rev, ".json", ".xlsx"); err != nil {
		return nil, err
	}
	if err := j.job.audit(ctx, audit.EventPublish, map[string]any{
		"base": base, "revision": rev, "primary": l.Rel(pres.Primary.Path), "sha256": pres.Primary.SHA256,
		"key_id": pres.KeyID}); err != nil {
		return nil, err
	}
	return written, nil
}

// publishedWeeks finds the newest revision of every weekly report in dir,
// reading only the head of each file.
func publishedWeeks(dir string) ([]review.Published, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list published reports: %w", err)
	}
	newest := map[string]review.Published{}
	revs := map[string]int{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "weekly_") || !strings.HasSuffix(name, ".json") || e.IsDir() {
			continue
		}
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		head, err := reports.ReadReportHead(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read published report %s: %w", name, err)
		}
		start, err := time.Parse(time.RFC3339, head.PeriodStart)
		if err != nil {
			return nil, fmt.Errorf("published report %s: period_start: %w", name, err)
		}
		key := head.PeriodStart
		if head.Revision >= revs[key] {
			revs[key] = head.Revision
			newest[key] = review.Published{Week: start, File: name, BytesCovered: head.Inputs.Ledger.BytesCovered}
		}
	}
	out := make([]review.Published, 0, len(newest))
	for _, p := range newest {
		out = append(out, p)
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Week.Before(out[k].Week) })
	return out, nil
}

// jobRunID derives the job run's identity from what determines its result:
// the job, the period, the ledger prefix the store covers, every input
// file's digest and the options that change the output.
func jobRunID(job, period, ledgerSHA string, files []reports.InputFile, opts WeeklyOptions) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\nledger %s\nunsigned %t\nsupersede %t\n", job, period, ledgerSHA, opts.Unsigned, opts.Supersede)
	for _, f := range files {
		fmt.Fprintf(h, "%s %s %s\n", f.Role, f.Path, f.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
