package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/baselines"
	"github.com/ledgerlens/ledgerlens/pipeline/evidence"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/reconcile"
	"github.com/ledgerlens/ledgerlens/reports"
)

// EvidenceOptions select an evidence export.
type EvidenceOptions struct {
	From, To string // YYYY-MM-DD, inclusive, in the configured zone
	Out      string // the bundle's path; must end in .zip
}

// EvidenceResult says what an export did.
type EvidenceResult struct {
	Path   string
	SHA256 string
	Bytes  int64
	// Noop is true when the same bundle was already at Path.
	Noop  bool
	Index *evidence.Index
}

// ExportEvidence builds the evidence bundle of docs/COMPLIANCE.md, "The evidence bundle" and publishes it
// write-once at opts.Out with a .sha256 sidecar and a .sig signature. It
// holds the lock while it reads, so no job publishes half-way through the
// export, and records the export in the audit log. A range that ends before
// today never contains the export's own events. The bundle states the
// log's head when it was exported, so an export after the log has grown
// differs in that; exporting again to a path that holds this root's export
// of the same range is a no-op. A ledger the log no longer vouches for is
// exported all the same, its problems in the bundle's index: the result
// is returned then with the *job.IntegrityError that names them.
func ExportEvidence(ctx context.Context, env job.Env, opts EvidenceOptions) (*EvidenceResult, error) {
	// One path for the bundle throughout, made absolute once: the record
	// names a bundle outside the root by its absolute path, and a relative
	// --out, resolved against the root by the publisher's record lookups,
	// missed them when --root named another directory: a retried export
	// over a replaced signature said "no-op", exit 0, and recorded the
	// replaced bytes (an outside review).
	if abs, err := filepath.Abs(opts.Out); err == nil {
		opts.Out = abs
	}
	dir, file := filepath.Split(opts.Out)
	base, ok := strings.CutSuffix(file, ".zip")
	if !ok || base == "" || strings.HasPrefix(base, ".") {
		return nil, fmt.Errorf("evidence export: --out %q must name a .zip file", opts.Out)
	}
	if dir == "" {
		dir = "."
	}
	// Not beside the keys, the audit log, the ledger or the configuration:
	// a bundle is a copy for delivery, and those directories hold what the
	// root's own checks read.
	l := env.Layout
	if out, err := inputs.RealPath(dir); err == nil {
		for _, kept := range l.OwnDirs() {
			if k, err := inputs.RealPath(kept); err == nil && inputs.Within(out, k) {
				return nil, fmt.Errorf("evidence export: --out %s is inside %s, which holds the root's own state, ledger or configuration: export elsewhere", opts.Out, l.Rel(kept))
			}
		}
	}
	res := &EvidenceResult{}
	err := job.Run(ctx, env, job.NameEvidenceExport, map[string]any{"from": opts.From, "to": opts.To},
		func(ctx context.Context, j *job.Job) (job.Outcome, error) {
			cfg, _, err := inputs.LoadConfig(l.Config)
			if err != nil {
				return job.Outcome{}, job.Blocked(err)
			}
			loc, err := cfg.Location()
			if err != nil {
				return job.Outcome{}, job.Blocked(err)
			}
			reviewsDir := l.Resolve(cfg.OutputDir)
			start, end, err := evidence.Span(opts.From, opts.To, loc)
			if err != nil {
				return job.Outcome{}, job.Blocked(err)
			}
			if now := env.Now(); end.After(now) {
				return job.Outcome{}, &job.RangeNotEndedError{From: opts.From, To: opts.To, End: end, Now: now}
			}
			signer, err := j.Signer("")
			if err != nil {
				return job.Outcome{}, err
			}
			// A bundle presents what the reports directory holds as the
			// range's evidence: with a week's newest revision deleted, it
			// would present the one before as the week's report. So every
			// file of the range the record of publication names must be
			// on disk with its recorded bytes first.
			inRange := func(rel string) bool { return evidence.Covers(path.Base(rel), start, end, loc) }
			if problems, err := reconcile.Recorded(l, reconcile.Records(j.Entries()), inRange); err != nil {
				return job.Outcome{}, err
			} else if len(problems) > 0 {
				listed := problems[:min(len(problems), 2)]
				if more := len(problems) - len(listed); more > 0 {
					listed = append(slices.Clone(listed), fmt.Sprintf("%d more", more))
				}
				return job.Outcome{}, &job.IntegrityError{Problems: []string{fmt.Sprintf(
					"evidence export refused: the range's reports differ from the record of publication (%s); nothing was exported: restore the files, then run 'ledgerlens verify all'",
					strings.Join(listed, "; "))}}
			}
			// The ledger the range's reports were computed from, as the
			// log holds it to: a change of its loaded bytes made after a
			// week was published, or detected by a later job, was in no
			// bundle, which verified OK (an outside review).
			problems, err := j.LedgerProblemsAgainstLog(ctx)
			if err != nil {
				return job.Outcome{}, err
			}
			// The signing key's public half, which j.Signer found to be
			// signing.pub's, encoded as signing.pub holds it: the keys
			// directory is not read again.
			pubPEM, err := reports.PublicKeyPEM(signer.Public())
			if err != nil {
				return job.Outcome{}, job.Blocked(fmt.Errorf("evidence export: the public key must be bundled: %w", err))
			}
			// The log and its checkpoints as the job verified them, not
			// read again: a forged entry appended after the check, and
			// an unsigned checkpoints line claiming to cover it, were
			// taken into a signed bundle's index (an outside review).
			stored := j.Checkpoints()
			notes := make([]string, len(stored))
			for i, c := range stored {
				notes[i] = string(c.Checkpoint.Note)
			}
			if env.AfterStep != nil {
				env.AfterStep(ctx, job.StepBundleBuilding)
			}
			data, idx, err := evidence.Build(ctx, evidence.Source{
				Checkpoints: notes,
				From:        opts.From, To: opts.To, Loc: loc,
				Root:               l.Root,
				ReviewsDir:         reviewsDir,
				EarlierReviewsDirs: earlierReviewsDirs(l, reviewsDir, j.Entries()),
				BaselineUpdatesDir: l.BaselineUpdatesDir,
				Approvers:          baselines.ApproversPath(l.Baselines),
				AuditLog:           j.LogAtStart(),
				PublicKeyPEM:       pubPEM,
				Signer:             signer,
				RetiredKeys:        j.RetiredKeys(signer.Public()),
				IntegrityProblems:  problems,
				WeeklyJob:          job.NameWeeklyReview,
				Generator:          reports.Generator{Name: "ledgerlens", Version: env.Version},
			})
			if env.AfterStep != nil {
				env.AfterStep(ctx, job.StepBundleBuilt)
			}
			if err != nil {
				// A record the range's reports cite (an acknowledgment), or
				// a baseline record, missing or changed since its record, is
				// an integrity problem.
				return job.Outcome{}, job.NotAsRecorded(err, "exported")
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return job.Outcome{}, fmt.Errorf("evidence export: %w", err)
			}
			pub := &reports.Publisher{Dir: dir, Signer: signer, Primary: ".zip", Recorded: j.IsRecorded}
			pres, err := pub.Publish(ctx, base, 1, []reports.Artifact{{Ext: ".zip", Data: data}})
			if err != nil {
				if errors.Is(err, reports.ErrAlreadyPublished) {
					// Not the bundle this root last exported there: another
					// root's, put in its place (bundles may be moved away),
					// or this one's changed. Either way it is not replaced.
					out := opts.Out // absolute, as the record names it
					if rec := j.RecordedDigest(out); rec != "" {
						sum, size, derr := reports.FileDigest(out)
						if derr == nil && sum != rec {
							return job.Outcome{}, fmt.Errorf("%s holds sha256 %s, not the bundle this root exported there (sha256 %s): another root's bundle, or this one changed since it was exported; it is never overwritten: export to another --out: %w",
								opts.Out, sum, rec, reports.ErrAlreadyPublished)
						}
						// This root's export of the same range, when the log
						// was shorter (a bundle states the log's head when it
						// was exported, so a later export differs in it): it
						// stands, and a retried export is a no-op, once its
						// sidecar and signature are found as recorded too.
						// Only while it states the same problems with the
						// ledger: a clean bundle left in place of one that
						// states a change, or the reverse, passed for the
						// export asked for (an outside review).
						prev, same := exportedThere(out, opts)
						if same && !slices.Equal(prev.IntegrityProblems, problems) {
							if len(problems) > 0 {
								return job.Outcome{}, &job.IntegrityError{Problems: append(slices.Clone(problems), fmt.Sprintf(
									"%s: an export of the range made before these problems were found or while others stood; it is never overwritten: export to another --out, whose bundle states them", opts.Out))}
							}
							same = false // the problems it states are gone: below, export elsewhere
						}
						if derr == nil && same {
							// A recorded companion deleted was skipped as
							// "published unsigned", and the retried export
							// said the bundle was there, exit 0, without
							// its signature (an outside review).
							for _, ext := range []string{reports.SidecarExt, reports.SignatureExt} {
								if j.RecordedDigest(out+ext) == "" {
									continue
								}
								if _, err := os.Lstat(out + ext); errors.Is(err, fs.ErrNotExist) {
									return job.Outcome{}, &job.IntegrityError{Problems: []string{fmt.Sprintf(
										"%s: recorded as published with the bundle, but it is missing: restore it (or export to another --out), then check the bundle with 'ledgerlens verify --pubkey KEY %s'", out+ext, out)}}
								}
							}
							if err := j.RecordPublished(ctx, dir, base, 1, nil, ".zip"); err != nil {
								return job.Outcome{}, err
							}
							res.Path, res.SHA256, res.Bytes, res.Noop, res.Index = out, sum, size, true, prev
							return job.Outcome{Fields: map[string]any{"path": l.Rel(res.Path), "sha256": res.SHA256, "noop": true,
								"files": prev.Counts.Files, "audit_entries": prev.Counts.AuditEntries}, Integrity: problems}, nil
						}
					}
					// Not the publisher's message, whose advice (--supersede)
					// is for reports: a bundle has no revisions.
					return job.Outcome{}, fmt.Errorf("%s exists with different content and evidence bundles are never overwritten: export to another --out (the range's evidence has changed since it was exported): %w", opts.Out, reports.ErrAlreadyPublished)
				}
				return job.Outcome{}, err
			}
			if err := j.RecordPublished(ctx, dir, base, 1, pres.Files, ".zip"); err != nil {
				return job.Outcome{}, err
			}
			res.Path, res.SHA256, res.Bytes = pres.Primary.Path, pres.Primary.SHA256, pres.Primary.Bytes
			res.Noop, res.Index = pres.Identical, idx
			// Exported all the same, the problems in its index; the job
			// fails while they stand (exit 4), as a weekly job does.
			return job.Outcome{Fields: map[string]any{"path": l.Rel(res.Path), "sha256": res.SHA256, "noop": res.Noop,
				"files": idx.Counts.Files, "audit_entries": idx.Counts.AuditEntries}, Integrity: problems}, nil
		})
	if err != nil && res.Path != "" {
		return res, err // exported, with the problems its index states (exit 4)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// exportedThere returns the index of the bundle at path, and whether it
// is a bundle of opts' range (the caller has found it to be the bundle the
// audit log records this root exported there).
func exportedThere(path string, opts EvidenceOptions) (*evidence.Index, bool) {
	f, err := inputs.OpenRegular(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, false
	}
	idx, err := evidence.ReadIndex(f, fi.Size())
	if err != nil {
		return nil, false
	}
	return idx, idx.Range.From == opts.From && idx.Range.To == opts.To
}

// earlierReviewsDirs are the directories besides reviewsDir that the
// record of publication in entries names reports in (an output_dir
// changed since), without the baseline updates directory.
func earlierReviewsDirs(l inputs.Layout, reviewsDir string, entries []audit.Entry) []string {
	var out []string
	for _, d := range reconcile.WithRecordedDirs(l, []string{reviewsDir}, entries)[1:] {
		if d != l.BaselineUpdatesDir {
			out = append(out, d)
		}
	}
	return out
}
