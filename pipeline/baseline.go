package pipeline

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/atomicfile"
	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/baselines"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/reconcile"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

// CalculateOptions select a baseline calculation.
type CalculateOptions struct {
	ScenarioID string
	// Days is the window length; 0 means the policy's baseline_window_days.
	Days int
	// AsOf ends the window (exclusive); zero means Env.Now.
	AsOf time.Time
}

// CalculateBaseline ingests the ledger (under the lock, so the store is
// current) and calculates a scenario's baseline: the runbook's
// `baseline-calculator calculate`.
func CalculateBaseline(ctx context.Context, env job.Env, opts CalculateOptions) (baselines.Calculation, error) {
	var calc baselines.Calculation
	err := job.Run(ctx, env, job.NameBaselineCalculate, map[string]any{"scenario_id": opts.ScenarioID},
		func(ctx context.Context, j *job.Job) (job.Outcome, error) {
			in, err := j.LoadInputs(ctx)
			if err != nil {
				return job.Outcome{}, err
			}
			st, err := openCheckedStore(ctx, j)
			if err != nil {
				return job.Outcome{}, err
			}
			defer st.Close()
			end, days := windowOf(env, in, opts.AsOf, opts.Days)
			if calc, err = baselines.Calculate(ctx, st.Conn(), opts.ScenarioID, end, days,
				in.Policy.ReviewWindows.HealthyRunStatuses); err != nil {
				return job.Outcome{}, err
			}
			return job.Outcome{Fields: map[string]any{"scenario_id": calc.ScenarioID, "median": calc.Median,
				"sample_size": calc.SampleSize}}, nil
		})
	return calc, err
}

// openCheckedStore opens the store for a baseline job and holds its rows
// to the audit log's record of them (job.Job.CheckStoreRows), as the
// report jobs do before they read them: a baseline calculated from an
// edited store's rows was signed in the job's record, exit 0 (an outside
// review), and a proposal or an approval's stability check reads the same
// rows.
func openCheckedStore(ctx context.Context, j *job.Job) (*store.Store, error) {
	st, _, err := j.OpenStore(ctx)
	if err != nil {
		return nil, err
	}
	if err := j.CheckStoreRows(ctx, st, time.Time{}, time.Time{}); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// windowOf resolves a calculation window's end and length from options,
// the clock and the policy.
func windowOf(env job.Env, in *job.Inputs, asOf time.Time, days int) (time.Time, int) {
	if asOf.IsZero() {
		asOf = env.Now()
	}
	if days <= 0 {
		days = in.Policy.ReviewWindows.BaselineWindowDays
	}
	return asOf, days
}

// ProposeOptions select what `baseline propose` proposes.
type ProposeOptions struct {
	// ScenarioID proposes one scenario's calculated baseline ...
	ScenarioID string
	// ... or Candidates proposes every baseline candidate of the newest
	// published weekly report, over that report's baseline window.
	Candidates bool
	By         string
	Rationale  string
	Days       int       // --scenario only; 0: the policy's window
	AsOf       time.Time // --scenario only: window end; zero: Env.Now
	// Signing is how the proposer signs (docs/COMPLIANCE.md): their key
	// must be in config/approvers; By only chooses among its principals.
	Signing baselines.Signing
}

// ProposeResult lists the proposals written.
type ProposeResult struct {
	Proposals []baselines.Proposal
	Paths     []string
	// Skipped names candidates that could not be proposed, with why.
	Skipped []string
	// Pending lists every proposal now awaiting approval.
	Pending []string
	// AlreadyPending are the candidates (--candidates) a proposal from the
	// same report already awaits approval for: not proposed again.
	AlreadyPending []baselines.Proposal
	// Printed is the record to sign (--print-record); nothing was written.
	Printed []byte
}

// ProposeBaselines writes signed baseline proposals (the maker's step) and
// records them in the audit log; the job ends in state awaiting_approval.
func ProposeBaselines(ctx context.Context, env job.Env, opts ProposeOptions) (*ProposeResult, error) {
	opts.Signing.By = opts.By
	signedByHand := opts.Signing.SignatureFile != "" || opts.Signing.PrintRecord
	switch {
	case signedByHand && opts.Candidates:
		return nil, errors.New("propose baseline: --print-record and --signature take one --scenario, not --candidates")
	case opts.Signing.SignatureFile == "" && (opts.ScenarioID == "") == !opts.Candidates:
		return nil, errors.New("propose baseline: give exactly one of a scenario id or --candidates")
	}
	if opts.ScenarioID != "" {
		if err := baselines.CheckID("scenario id", opts.ScenarioID); err != nil {
			return nil, fmt.Errorf("propose baseline: %w", err)
		}
	}
	res := &ProposeResult{}
	err := job.Run(ctx, env, job.NameBaselinePropose, map[string]any{"scenario_id": opts.ScenarioID, "candidates": opts.Candidates, "by": opts.By},
		func(ctx context.Context, j *job.Job) (job.Outcome, error) {
			l := env.Layout
			in, err := j.LoadInputs(ctx)
			if err != nil {
				return job.Outcome{}, err
			}
			// A proposal records the baseline in force as its old value.
			if err := j.EditedBaselinesError(in); err != nil {
				return job.Outcome{}, err
			}
			signer, err := j.Signer("")
			if err != nil {
				return job.Outcome{}, err
			}
			approvers, err := baselines.LoadApprovers(baselines.ApproversPath(l.Baselines))
			if err != nil {
				return job.Outcome{}, job.Blocked(err)
			}
			st, err := openCheckedStore(ctx, j)
			if err != nil {
				return job.Outcome{}, err
			}
			defer st.Close()
			now := env.Now()

			type target struct {
				scenario  string
				end       time.Time
				days      int
				src       baselines.ProposalSource
				rationale string
			}
			var targets []target
			if opts.Candidates {
				dir := l.Resolve(in.Config.OutputDir)
				w, name, sum, ok, err := reports.NewestWeekly(j.Recorded())
				if err != nil {
					return job.Outcome{}, job.NotAsRecorded(err, "proposed")
				}
				if !ok {
					return job.Outcome{}, job.Blocked(fmt.Errorf("no published weekly report in %s: --candidates proposes the baseline candidates of the newest one; run `ledgerlens report weekly` first", dir))
				}
				end, err := time.Parse(time.RFC3339, w.PeriodEnd)
				if err != nil {
					return job.Outcome{}, fmt.Errorf("%s: period_end: %w", name, err)
				}
				// A candidate of this report that a pending proposal from
				// it already covers is not proposed again: each run of
				// --candidates would otherwise add a set of duplicates
				// for the checker to wade through.
				recs, err := baselines.LoadRecords(l.BaselineUpdatesDir)
				if err != nil {
					return job.Outcome{}, err
				}
				if problems := recs.NotAsRecorded(j.Entries()); len(problems) > 0 {
					return job.Outcome{}, &job.IntegrityError{Problems: problems}
				}
				if recs, _, err = recs.Recorded(j.Entries()); err != nil {
					return job.Outcome{}, err
				}
				pendingFrom := map[string]baselines.Proposal{}
				for _, p := range recs.Pending() {
					if p.Source.ReportSHA256 != nil && *p.Source.ReportSHA256 == sum {
						pendingFrom[p.ScenarioID] = p
					}
				}
				for _, c := range w.BaselineCandidates {
					if p, ok := pendingFrom[c.ScenarioID]; ok {
						res.AlreadyPending = append(res.AlreadyPending, p)
						continue
					}
					why := fmt.Sprintf("Baseline candidate in %s (%d runs, CV %.4f, review %s)", name, c.RunCount, c.CV, c.Review)
					if opts.Rationale != "" {
						why += "\n" + opts.Rationale
					}
					targets = append(targets, target{c.ScenarioID, end, w.Policy.BaselineWindowDays,
						baselines.ProposalSource{Kind: baselines.SourceWeeklyCandidate, Report: &name, ReportSHA256: &sum}, why})
				}
			} else if signed, err := opts.Signing.ReadHandSigned("proposed_at", now); err != nil {
				return job.Outcome{}, refused(err)
			} else if signed != nil {
				// The record the proposer signed names its own window and
				// rationale; it is recalculated below and must come out the same.
				sp, err := baselines.ParseProposal(signed.Data)
				if err != nil {
					return job.Outcome{}, refused(err)
				}
				if opts.ScenarioID != "" && opts.ScenarioID != sp.ScenarioID {
					return job.Outcome{}, refused(fmt.Errorf("the signed record proposes %s, not %s", sp.ScenarioID, opts.ScenarioID))
				}
				end, err := time.Parse(time.RFC3339, sp.WindowEnd)
				if err != nil {
					return job.Outcome{}, refused(fmt.Errorf("the signed record's window_end %q: %w", sp.WindowEnd, err))
				}
				now = signed.At
				targets = append(targets, target{sp.ScenarioID, end, sp.WindowDays, sp.Source, sp.Rationale})
			} else {
				end, days := windowOf(env, in, opts.AsOf, opts.Days)
				targets = append(targets, target{opts.ScenarioID, end, days,
					baselines.ProposalSource{Kind: baselines.SourceCalculate}, opts.Rationale})
			}

			pub := &reports.Publisher{Dir: l.BaselineUpdatesDir, Signer: signer}
			for _, t := range targets {
				calc, err := baselines.Calculate(ctx, st.Conn(), t.scenario, t.end, t.days, in.Policy.ReviewWindows.HealthyRunStatuses)
				if err != nil {
					if opts.Candidates && errors.Is(err, baselines.ErrNoHealthyRuns) {
						res.Skipped = append(res.Skipped, err.Error())
						env.Log.Warn("baseline candidate skipped", "scenario_id", t.scenario, "reason", err)
						continue
					}
					return job.Outcome{}, err
				}
				var current *float64
				if b, ok := in.Baselines.Get(t.scenario); ok {
					current = &b.MedianCredits
				}
				var p baselines.Proposal
				sg, err := opts.Signing.Sign(ctx, approvers, now, func(principal string, _ []byte) ([]byte, error) {
					if p, err = baselines.NewProposal(calc, current, principal, t.rationale, now, t.src,
						reports.Generator{Name: "ledgerlens", Version: env.Version}, signer.KeyID()); err != nil {
						return nil, err
					}
					return baselines.Marshal(p)
				})
				if err != nil {
					return job.Outcome{}, refused(err)
				}
				if opts.Signing.PrintRecord {
					res.Printed = sg.Data
					return job.Outcome{Fields: map[string]any{"printed": p.ProposalID}}, nil
				}
				pr, err := j.PublishRecord(ctx, pub, baselines.ProposalBase(p.ProposalID), reports.Artifact{Ext: ".json", Data: sg.Data},
					reports.Artifact{Ext: baselines.SignatureExt, Data: sg.Signature})
				if err != nil {
					return job.Outcome{}, err
				}
				if err := j.Audit(ctx, audit.EventBaselineProposed, map[string]any{
					"proposal_id": p.ProposalID, "scenario_id": p.ScenarioID, "old_baseline": p.OldBaseline,
					"new_baseline": p.NewBaseline, "change_pct": p.ChangePct, "cv": p.CV, "sample_size": p.SampleSize,
					"proposed_by": p.ProposedBy, "proposer_key": sg.Identity.Fingerprint, "approvers_sha256": approvers.SHA256,
					"path": l.Rel(pr.Primary.Path), "sha256": pr.Primary.SHA256,
				}); err != nil {
					return job.Outcome{}, err
				}
				res.Proposals = append(res.Proposals, p)
				res.Paths = append(res.Paths, pr.Primary.Path)
			}
			recs, err := baselines.LoadRecords(l.BaselineUpdatesDir)
			if err != nil {
				return job.Outcome{}, err
			}
			res.Pending = []string{}
			for _, p := range recs.Pending() {
				res.Pending = append(res.Pending, p.ProposalID)
			}
			ids := []string{}
			for _, p := range res.Proposals {
				ids = append(ids, p.ProposalID)
			}
			state := job.StateCompleted
			if len(res.Pending) > 0 {
				state = job.StateAwaitingApproval
			}
			return job.Outcome{State: state, Fields: map[string]any{"proposals": ids, "pending": res.Pending,
				"skipped": len(res.Skipped)}}, nil
		})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ApproveOptions select an approval.
type ApproveOptions struct {
	ProposalID       string
	By               string
	ForceLargeChange bool
	// Signing is how the approver signs (docs/COMPLIANCE.md): their key
	// must be in config/approvers and differ from the proposer's.
	Signing baselines.Signing
}

// ApproveResult says what an approval did.
type ApproveResult struct {
	Approval     baselines.Approval
	ApprovalPath string
	NotePath     string
	// Resumed is true when the approval record already existed (an earlier
	// run was interrupted) and this run finished applying it.
	Resumed bool
	// Printed is the record to sign (--print-record); nothing was written.
	Printed []byte
}

// ApproveBaseline is the checker's step: it checks the two-person rule, the
// scenario's stability (no SEV0/SEV1 in the 14 days before now, recorded or
// recomputed against the baseline in force) and the size of the change,
// then writes the signed approval record, the update note, and rewrites
// config/credit-baselines.json atomically, recording each in the audit log.
//
// The approval record is written first: an interrupted run leaves an
// approval that is not yet applied, and running the same approval again
// finishes it instead of refusing.
func ApproveBaseline(ctx context.Context, env job.Env, opts ApproveOptions) (*ApproveResult, error) {
	if err := baselines.ValidProposalID(opts.ProposalID); err != nil {
		return nil, fmt.Errorf("approve baseline: %w", err)
	}
	opts.Signing.By = opts.By
	res := &ApproveResult{}
	err := job.Run(ctx, env, job.NameBaselineApprove, map[string]any{"proposal_id": opts.ProposalID, "by": opts.By},
		func(ctx context.Context, j *job.Job) (job.Outcome, error) {
			l := env.Layout
			in, err := j.LoadInputs(ctx)
			if err != nil {
				return job.Outcome{}, err
			}
			loc, err := in.Config.Location()
			if err != nil {
				return job.Outcome{}, job.Blocked(err)
			}
			signer, err := j.Signer("")
			if err != nil {
				return job.Outcome{}, err
			}
			approvers, err := baselines.LoadApprovers(baselines.ApproversPath(l.Baselines))
			if err != nil {
				return job.Outcome{}, job.Blocked(err)
			}
			recs, err := baselines.LoadRecords(l.BaselineUpdatesDir)
			if err != nil {
				return job.Outcome{}, err
			}
			p, ok := recs.Proposal(opts.ProposalID)
			if !ok {
				// A record the log names that no longer reads as it
				// recorded it: said, not taken for "no such proposal"
				// (a review of this stop's fixes).
				if problems := recs.NotAsRecorded(j.Entries()); len(problems) > 0 {
					return job.Outcome{}, &job.IntegrityError{Problems: problems}
				}
				pending := []string{}
				for _, q := range recs.Pending() {
					pending = append(pending, q.ProposalID)
				}
				return job.Outcome{}, job.Blocked(fmt.Errorf("no baseline proposal %q in %s (pending: %s)",
					opts.ProposalID, l.BaselineUpdatesDir, strings.Join(pending, ", ")))
			}
			// The checker approves what the maker signed: the proposal must
			// verify against our key before anything is changed.
			propPath := filepath.Join(l.BaselineUpdatesDir, baselines.ProposalBase(p.ProposalID)+".json")
			check, err := verifyProposal(j.Entries(), propPath, signer.Public())
			if err != nil {
				return job.Outcome{}, job.Blocked(fmt.Errorf("proposal %s does not verify, refusing to approve it: %w", p.ProposalID, err))
			}
			// ... and the maker is the person the proposal names, by their key.
			proposedAt, err := p.Time()
			if err != nil {
				return job.Outcome{}, err
			}
			maker, err := approvers.VerifySigner(l.BaselineUpdatesDir, baselines.ProposalBase(p.ProposalID), p.ProposedBy, proposedAt)
			if err != nil {
				return job.Outcome{}, refused(err)
			}

			a, existing := recs.Approval(p.ProposalID)
			approvalPath := filepath.Join(l.BaselineUpdatesDir, baselines.ApprovalBase(p.ProposalID)+".json")
			if e := j.ProposalApproval(p.ProposalID); !existing && e != nil {
				// The log, not the directory, records what was approved:
				// a proposal whose approval record was deleted is not
				// pending again
				// (TestAttackApprovalFilesDeletedThenApprovedAgain).
				return job.Outcome{}, &job.IntegrityError{Problems: []string{fmt.Sprintf(
					"proposal %s was already approved (%v by %v, audit seq %d), but its approval record %s is missing: the directory was edited; refusing to approve it again (run 'ledgerlens verify all')",
					p.ProposalID, e.Fields["approval_id"], e.Fields["approved_by"], e.Seq, l.Rel(approvalPath))}}
			}
			if _, err := os.Lstat(approvalPath); !existing && err == nil {
				// Something the log does not record holds the approval's
				// name (a planted copy of another approval): said as
				// what it is, not as a report "already published with
				// different content" (exit 1; an outside review).
				return job.Outcome{}, &job.IntegrityError{Problems: []string{fmt.Sprintf(
					"%s is there, but it is not a record of proposal %s that the audit log holds (a planted file): nothing was written; move it away, then approve again (run 'ledgerlens verify all')",
					l.Rel(approvalPath), p.ProposalID)}}
			}
			before := in.SHA256(job.RoleBaselines) // the bytes the approval is applied to
			var recorded *audit.Entry
			if existing {
				// Only an approval this command recorded, and has not
				// applied, is finished: a record found on disk is
				// otherwise anyone's.
				var done bool
				recorded, done = j.RecordedApproval(p.ProposalID, a.ApprovalID)
				if done {
					return job.Outcome{}, job.Blocked(fmt.Errorf("proposal %s was already approved (%s by %s at %s) and applied",
						p.ProposalID, a.ApprovalID, a.ApprovedBy, a.ApprovedAt))
				}
				if err := checkRecordedApproval(recorded, a, p, approvalPath, signer, check.SHA256, maker.Fingerprint); err != nil {
					return job.Outcome{}, err
				}
				approvedAt, err := a.Time()
				if err != nil {
					return job.Outcome{}, err
				}
				if _, err := approvers.VerifySigner(l.BaselineUpdatesDir, baselines.ApprovalBase(p.ProposalID), a.ApprovedBy, approvedAt); err != nil {
					return job.Outcome{}, refused(err)
				}
				res.Resumed = true
				env.Log.Info("finishing an interrupted approval", "proposal_id", p.ProposalID, "approval_id", a.ApprovalID)
			}
			// An approval applied on top of a baselines file edited outside
			// the flow would record the edit as approved. (A run that stopped
			// after writing the file is finished from it: checked below.)
			if recorded == nil || recorded.Fields[baselinesBeforeField] == nil {
				if problem := j.BaselinesFileProblem(in); problem != "" && !(recorded != nil && applied(in.Baselines, a)) {
					return job.Outcome{}, &job.IntegrityError{Problems: []string{problem + "; refusing to approve on top of it"}}
				}
			}

			pub := &reports.Publisher{Dir: l.BaselineUpdatesDir, Signer: signer}
			if !existing {
				now := env.Now()
				signed, err := opts.Signing.ReadHandSigned("approved_at", now)
				if err != nil {
					return job.Outcome{}, refused(err)
				}
				at := now.UTC().Truncate(time.Second)
				if signed != nil {
					at = signed.At
				}
				if at.Before(proposedAt) {
					return job.Outcome{}, refused(&baselines.Refusal{Reason: fmt.Sprintf(
						"the approval's time %s is before proposal %s was made (%s)", at.Format(time.RFC3339), p.ProposalID, p.ProposedAt)})
				}
				sg, err := opts.Signing.Sign(ctx, approvers, at, func(principal string, _ []byte) ([]byte, error) {
					if a, err = checkApproval(ctx, j, in, p, opts, recs, loc, check.SHA256, principal, at); err != nil {
						return nil, err
					}
					a.SigningKeyID = signer.KeyID()
					a.ProposerKey = maker.Fingerprint
					a.ApproversSHA256 = approvers.SHA256
					return baselines.Marshal(a)
				})
				if err != nil {
					return job.Outcome{}, refused(err)
				}
				if opts.Signing.PrintRecord {
					res.Printed = sg.Data
					return job.Outcome{State: job.StateAwaitingApproval, Fields: map[string]any{"printed": p.ProposalID}}, nil
				}
				if sg.Identity.Fingerprint == maker.Fingerprint {
					return job.Outcome{}, refused(&baselines.Refusal{Reason: fmt.Sprintf(
						"%s was signed with key %s, the key that signed proposal %s: the two-person rule needs the checker's own key",
						a.ApprovedBy, maker.Fingerprint, p.ProposalID)})
				}
				pr, err := j.PublishRecord(ctx, pub, baselines.ApprovalBase(p.ProposalID), reports.Artifact{Ext: ".json", Data: sg.Data},
					reports.Artifact{Ext: baselines.SignatureExt, Data: sg.Signature})
				if err != nil {
					return job.Outcome{}, err
				}
				after, err := appliedBaselines(in.Baselines, a)
				if err != nil {
					return job.Outcome{}, err
				}
				if err := j.Audit(ctx, audit.EventBaselineApproved, map[string]any{
					"proposal_id": p.ProposalID, "approval_id": a.ApprovalID, "scenario_id": a.ScenarioID,
					"old_baseline": a.OldBaseline, "new_baseline": a.NewBaseline, "change_pct": a.ChangePct,
					"proposed_by": a.ProposedBy, "approved_by": a.ApprovedBy, "force_large_change": a.Checks.ForceLargeChange,
					"proposer_key": maker.Fingerprint, "approver_key": sg.Identity.Fingerprint, "approvers_sha256": approvers.SHA256,
					"due_at": a.Clock.DueAt, "late": a.Clock.Late,
					"path": l.Rel(pr.Primary.Path), "sha256": pr.Primary.SHA256,
					baselinesBeforeField: before, baselinesAfterField: reports.SHA256Hex(after),
				}); err != nil {
					return job.Outcome{}, err
				}
			}
			res.Approval = a
			res.ApprovalPath = approvalPath

			res.NotePath = filepath.Join(l.BaselineUpdatesDir, a.Note)
			if _, err := os.Stat(res.NotePath); err != nil {
				note, err := baselines.RenderNote(a, loc)
				if err != nil {
					return job.Outcome{}, err
				}
				notePub := &reports.Publisher{Dir: l.BaselineUpdatesDir, Signer: signer, Primary: ".md"}
				if _, err := j.PublishRecord(ctx, notePub, strings.TrimSuffix(a.Note, ".md"), reports.Artifact{Ext: ".md", Data: note}); err != nil {
					return job.Outcome{}, err
				}
			}

			data, err := appliedBaselines(in.Baselines, a)
			if err != nil {
				return job.Outcome{}, err
			}
			if recorded != nil {
				if err := checkResumedBaselines(l, recorded, a, before, reports.SHA256Hex(data)); err != nil {
					return job.Outcome{}, err
				}
			}
			sum, err := writeBaselines(l, data)
			if err != nil {
				return job.Outcome{}, err
			}
			if err := j.Audit(ctx, audit.EventBaselineApplied, map[string]any{
				"proposal_id": a.ProposalID, "approval_id": a.ApprovalID, "scenario_id": a.ScenarioID,
				"median_credits": a.NewBaseline, "baselines": l.Rel(l.Baselines), "sha256": sum,
			}); err != nil {
				return job.Outcome{}, err
			}
			return job.Outcome{Fields: map[string]any{"proposal_id": a.ProposalID, "approval_id": a.ApprovalID,
				"late": a.Clock.Late, "resumed": res.Resumed}}, nil
		})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// checkApproval makes the maker-checker checks and builds the approval
// record; a failed check is a *job.RefusedError (the job is blocked).
func checkApproval(ctx context.Context, j *job.Job, in *job.Inputs, p baselines.Proposal, opts ApproveOptions,
	recs *baselines.Records, loc *time.Location, proposalSHA, approver string, approvedAt time.Time) (baselines.Approval, error) {
	refuse := func(format string, args ...any) (baselines.Approval, error) {
		return baselines.Approval{}, job.Blocked(&job.RefusedError{Reason: fmt.Sprintf(format, args...)})
	}
	if baselines.SamePerson(approver, p.ProposedBy) {
		return refuse("%s proposed %s and cannot also approve it: the two-person rule needs a second approver (O3) with their own key", approver, p.ProposalID)
	}
	current, has := in.Baselines.Get(p.ScenarioID)
	unchanged := !has && p.OldBaseline == nil ||
		has && p.OldBaseline != nil && math.Abs(current.MedianCredits-*p.OldBaseline) < 0.005
	if !unchanged {
		now := "none"
		if has {
			now = fmt.Sprintf("%.2f", current.MedianCredits)
		}
		return refuse("the baseline of %s changed since %s was proposed (proposal's old baseline %s, now %s): propose again",
			p.ScenarioID, p.ProposalID, fmtBaseline(p.OldBaseline), now)
	}

	st, err := openCheckedStore(ctx, j)
	if err != nil {
		return baselines.Approval{}, err
	}
	defer st.Close()
	from := approvedAt.Add(-baselines.StabilityWindow)
	stab, err := baselines.CheckStability(ctx, st.Conn(), baselines.HighSeverityQuery{
		ScenarioID: p.ScenarioID, From: from, To: approvedAt, Baselines: in.Baselines, Policy: in.Policy})
	if err != nil {
		return baselines.Approval{}, refused(err)
	}
	if high := stab.High; len(high) > 0 {
		var list []string
		for i, r := range high {
			if i == 5 {
				list = append(list, fmt.Sprintf("and %d more", len(high)-5))
				break
			}
			list = append(list, fmt.Sprintf("%s %s at %s (recorded %s, recomputed %s)", r.Severity(), r.RunID,
				r.Timestamp.Format(time.RFC3339), orNone(r.Recorded), orNone(r.Recomputed)))
		}
		return refuse("%s had %d SEV0/SEV1 run(s) in the 14 days before this approval: %s; the scenario is not stable",
			p.ScenarioID, len(high), strings.Join(list, "; "))
	}
	large := p.ChangePct != nil && math.Abs(*p.ChangePct) > baselines.LargeChangePct
	if large && !opts.ForceLargeChange {
		return refuse("%s changes the baseline of %s by %+.1f%%, more than %.0f%%: investigate, then approve with --force-large-change",
			p.ProposalID, p.ScenarioID, *p.ChangePct, baselines.LargeChangePct)
	}

	proposed, err := p.Time()
	if err != nil {
		return baselines.Approval{}, err
	}
	due := baselines.DueAt(proposed, loc)
	date := approvedAt.In(loc).Format(time.DateOnly)
	return baselines.Approval{
		Schema:         baselines.ApprovalSchema,
		ApprovalID:     baselines.ApprovalID(approver, approvedAt),
		ProposalID:     p.ProposalID,
		ProposalFile:   baselines.ProposalBase(p.ProposalID) + ".json",
		ProposalSHA256: proposalSHA,
		ScenarioID:     p.ScenarioID,
		OldBaseline:    p.OldBaseline,
		NewBaseline:    p.NewBaseline,
		ChangePct:      p.ChangePct,
		CV:             p.CV,
		SampleSize:     p.SampleSize,
		WindowDays:     p.WindowDays,
		Rationale:      p.Rationale,
		ProposedBy:     p.ProposedBy,
		ProposedAt:     p.ProposedAt,
		SampleNote:     p.SampleNote,
		ApprovedBy:     approver,
		ApprovedAt:     approvedAt.Format(time.RFC3339),
		Checks: baselines.ApprovalChecks{
			TwoPerson:         true,
			StabilityFrom:     from.UTC().Format(time.RFC3339),
			StabilityTo:       approvedAt.Format(time.RFC3339),
			NewestRun:         stab.NewestRun.Format(time.RFC3339),
			LargeChange:       large,
			ForceLargeChange:  opts.ForceLargeChange,
			BaselineUnchanged: true,
		},
		Clock:     baselines.ApprovalClock{DueAt: due.UTC().Format(time.RFC3339), Late: approvedAt.After(due)},
		Note:      recs.NextNote(date) + ".md",
		Generator: reports.Generator{Name: "ledgerlens", Version: j.Env().Version},
	}, nil
}

// applied reports whether the baselines in force already hold approval a.
func applied(b *inputs.Baselines, a baselines.Approval) bool {
	e, ok := b.Get(a.ScenarioID)
	return ok && e.LastUpdated == a.ApprovedAt && math.Abs(e.MedianCredits-a.NewBaseline) < 0.005
}

// appliedBaselines returns the baselines file with approval a's median
// in force, keeping every other entry and every unknown field; b is
// updated to match.
func appliedBaselines(b *inputs.Baselines, a baselines.Approval) ([]byte, error) {
	var calculated string
	if t, err := time.Parse(time.RFC3339, a.ProposedAt); err == nil {
		calculated = t.UTC().Format(time.RFC3339)
	}
	if err := b.Upsert(inputs.Baseline{
		ScenarioID:    a.ScenarioID,
		MedianCredits: a.NewBaseline,
		CalculatedAt:  calculated,
		SampleSize:    a.SampleSize,
		LastUpdated:   a.ApprovedAt,
	}); err != nil {
		return nil, err
	}
	b.UpdatedAt = a.ApprovedAt
	if b.Version == "" {
		b.Version = "1.0"
	}
	return b.Marshal(), nil
}

// writeBaselines replaces the baselines file with data atomically, keeping
// its mode, and returns data's SHA-256.
func writeBaselines(l inputs.Layout, data []byte) (string, error) {
	perm := os.FileMode(0o644)
	if fi, err := os.Stat(l.Baselines); err == nil {
		perm = fi.Mode().Perm()
	}
	if err := os.MkdirAll(filepath.Dir(l.Baselines), 0o755); err != nil {
		return "", fmt.Errorf("apply baseline: %w", err)
	}
	if err := atomicfile.WriteFile(l.Baselines, data, perm); err != nil {
		return "", fmt.Errorf("apply baseline: %w", err)
	}
	return reports.SHA256Hex(data), nil
}

// The baseline_approved entry's fields naming, by SHA-256 ("" for no
// file), the baselines file an approval applies to and the one it writes:
// an interrupted approval is finished only from one of the two.
const (
	baselinesBeforeField = "baselines_before_sha256"
	baselinesAfterField  = "baselines_after_sha256"
)

// verifyProposal checks the proposal at path with the root's key pub,
// or, for one signed before a key rotation, with the key the rotation
// retired, as the log entries chain it: only when they record it, with
// these bytes, published before that rotation
// (reconcile.RetiredKeyVouches). A proposal still pending when `keys
// rotate` ran could never be approved (an outside review); one the
// retired key signed after its rotation still fails.
func verifyProposal(entries []audit.Entry, path string, pub ed25519.PublicKey) (reports.FileCheck, error) {
	check, err := reports.VerifyFile(path, pub)
	if !errors.Is(err, reports.ErrVerification) || check.Signature.Status != reports.CheckFailed {
		return check, err
	}
	records := reconcile.Records(entries)
	for _, k := range job.RetiredKeysAt(entries, pub) {
		if c, kerr := reports.VerifyFile(path, k.Public); kerr == nil && reconcile.RetiredKeyVouches(records, k, c.SHA256) {
			return c, nil
		}
	}
	return check, err
}

// checkRecordedApproval accepts an approval record found on disk for
// finishing only if it is the one the log records as approved (by the
// record's SHA-256, with the host's signature over it), of the proposal as
// signed, made by someone other than the proposer with another key.
// Anything else was not written by 'baseline approve': an integrity
// problem, not an interrupted run.
func checkRecordedApproval(recorded *audit.Entry, a baselines.Approval, p baselines.Proposal, path string,
	signer *reports.Signer, proposalSHA, proposerKey string) error {
	bad := func(format string, args ...any) error {
		return &job.IntegrityError{Problems: []string{"baseline approval " + filepath.Base(path) + ": " +
			fmt.Sprintf(format, args...) + "; refusing to apply it (remove it, or restore the recorded one)"}}
	}
	if recorded == nil {
		return bad("the audit log records no approval %s of proposal %s: it was not written by 'baseline approve'", a.ApprovalID, p.ProposalID)
	}
	check, err := reports.VerifyFile(path, signer.Public())
	if err != nil {
		return bad("%v", err)
	}
	if want, _ := recorded.Fields["sha256"].(string); check.SHA256 != want {
		return bad("sha256 %s, but the approval recorded at audit seq %d is %s: it was changed", job.ShortSum(check.SHA256), recorded.Seq, job.ShortSum(want))
	}
	switch {
	case a.ProposalID != p.ProposalID || a.ScenarioID != p.ScenarioID || a.NewBaseline != p.NewBaseline || a.ProposalSHA256 != proposalSHA:
		return bad("it does not approve proposal %s as signed (scenario %s, median %.2f)", p.ProposalID, p.ScenarioID, p.NewBaseline)
	case baselines.SamePerson(a.ApprovedBy, p.ProposedBy) || recorded.Fields["approver_key"] == proposerKey:
		return bad("it is approved by the proposer, or with the proposer's key")
	}
	return nil
}

// checkResumedBaselines accepts finishing an interrupted approval only
// from the baselines file it was recorded to apply to or the one it
// writes (the run stopped after writing it), and only if finishing writes
// the file recorded: a file edited since would otherwise be recorded as
// approved. A record from a version that named neither passes; the
// caller's check of the file against the last approval applied stands.
func checkResumedBaselines(l inputs.Layout, recorded *audit.Entry, a baselines.Approval, current, after string) error {
	wantBefore, ok := recorded.Fields[baselinesBeforeField].(string)
	if !ok {
		return nil
	}
	wantAfter, _ := recorded.Fields[baselinesAfterField].(string)
	if (current == wantBefore || current == wantAfter) && after == wantAfter {
		return nil
	}
	return &job.IntegrityError{Problems: []string{fmt.Sprintf("baselines %s (sha256 %s) is neither the file approval %s was recorded to apply to (%s) nor the one it writes (%s): it was edited since; refusing to finish the approval",
		l.Rel(l.Baselines), job.ShortSum(current), a.ApprovalID, job.ShortSum(wantBefore), job.ShortSum(wantAfter))}}
}

func fmtBaseline(v *float64) string {
	if v == nil {
		return "none"
	}
	return fmt.Sprintf("%.2f", *v)
}

func orNone(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// PendingProposal is a proposal awaiting approval and its clock.
type PendingProposal struct {
	baselines.Proposal
	DueAt   time.Time
	Overdue bool
}

// BaselineListing is `baseline list`: the baselines in force and the
// proposals awaiting approval.
type BaselineListing struct {
	Baselines []inputs.Baseline
	Pending   []PendingProposal
	// Unrecorded names the proposal and approval files the audit log does
	// not record (planted, or changed since): they are left out.
	Unrecorded []string
	// NotAsRecorded says which records the log names are missing, or do
	// not read as it recorded them (Records.NotAsRecorded): left out too,
	// and the listing is not to be trusted.
	NotAsRecorded []string
	// ApprovalMissing are proposals without an approval record on disk
	// that the audit log records as approved (the record was deleted):
	// not pending, and left out of Pending.
	ApprovalMissing []MissingApproval
}

// MissingApproval is a proposal the log records as approved whose
// approval record is gone from the updates directory.
type MissingApproval struct {
	ProposalID string
	Approved   *audit.Entry // the log's baseline_approved entry
}

// ListBaselines reads the baselines file and the pending proposals. It
// only reads, so it takes no lock; "overdue" is judged at Env.Now.
func ListBaselines(env job.Env) (*BaselineListing, error) {
	l := env.Layout
	cfg, _, err := inputs.LoadConfig(l.Config)
	if err != nil {
		return nil, err
	}
	loc, err := cfg.Location()
	if err != nil {
		return nil, err
	}
	b, _, err := inputs.LoadBaselines(l.Baselines)
	if err != nil {
		return nil, err
	}
	recs, err := baselines.LoadRecords(l.BaselineUpdatesDir)
	if err != nil {
		return nil, err
	}
	// The listing takes no lock and runs no job: the log as it is on
	// disk says which records were made by the flow.
	st, err := audit.Load(l.AuditLog)
	if err != nil {
		return nil, err
	}
	changed := recs.NotAsRecorded(st.Entries)
	recs, left, err := recs.Recorded(st.Entries)
	if err != nil {
		return nil, err
	}
	out := &BaselineListing{Baselines: b.Entries, Unrecorded: left, NotAsRecorded: changed}
	now := env.Now()
	for _, p := range recs.Pending() {
		if e := job.ProposalApproval(st.Entries, p.ProposalID); e != nil {
			out.ApprovalMissing = append(out.ApprovalMissing, MissingApproval{ProposalID: p.ProposalID, Approved: e})
			continue
		}
		t, err := p.Time()
		if err != nil {
			return nil, err
		}
		due := baselines.DueAt(t, loc)
		out.Pending = append(out.Pending, PendingProposal{Proposal: p, DueAt: due, Overdue: now.After(due)})
	}
	return out, nil
}

// refused reports a maker-checker refusal from package baselines (a
// signature or identity not accepted, a stability that cannot be shown)
// as a *job.RefusedError that blocks the job; other errors pass unchanged.
func refused(err error) error {
	var r *baselines.Refusal
	var blocked *job.BlockedError
	if errors.As(err, &blocked) || !errors.As(err, &r) {
		return err
	}
	return job.Blocked(&job.RefusedError{Reason: r.Reason})
}
