package main

import (
	"archive/zip"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/pipeline"
	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/evidence"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/reports"
)

func newEvidenceCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "evidence",
		Short: "Export verifiable compliance evidence bundles",
	}
	var opts EvidenceExportOptions
	export := &cobra.Command{
		Use:   "export",
		Short: "Bundle the range's reports, signatures, audit segment and baseline records into a signed zip",
		Long: `export writes a deterministic zip with every weekly and SLA report whose period
overlaps --from..--to (both inclusive) with their sidecars and signatures,
the public key, the audit log segment of the range with the hash it chains
from and its verification result, the baseline proposals, approvals and
notes of the range, and index.json + INDEX.md mapping each file to the
control it evidences. The zip gets a .sha256 sidecar and a .sig signature;
'ledgerlens verify F.zip' checks everything in it. The same range over the
same evidence gives the same bytes.`,
		Example: `  ledgerlens evidence export --from 2026-07-01 --to 2026-09-30 --out q3.zip
  ledgerlens verify q3.zip`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEvidenceExport(cmd.Context(), a, opts)

		},
	}
	f := export.Flags()
	f.StringVar(&opts.From, "from", "", "first day of the range (YYYY-MM-DD, configured time zone)")
	f.StringVar(&opts.To, "to", "", "last day of the range, inclusive (YYYY-MM-DD)")
	f.StringVar(&opts.Out, "out", "", "the bundle to write (F.zip; F.zip.sha256 and F.zip.sig beside it)")
	f.DurationVar(&opts.LockTimeout, "lock-timeout", 0, "wait this long for another job's lock before exiting 75")
	cmd.AddCommand(export)
	return cmd
}

// EvidenceExportOptions are the options of `ledgerlens evidence export`.
type EvidenceExportOptions struct {
	pipeline.EvidenceOptions
	LockTimeout time.Duration
}

// runEvidenceExport checks the range, runs the export job and prints the
// bundle's figures.
func runEvidenceExport(ctx context.Context, a *app, opts EvidenceExportOptions) error {
	if opts.From == "" || opts.To == "" || opts.Out == "" {
		return usagef("--from, --to and --out are required")
	}
	if !strings.HasSuffix(opts.Out, ".zip") {
		return usagef("--out %q: the bundle must be a .zip file", opts.Out)
	}
	if err := checkDayRange(opts.From, opts.To); err != nil {
		return err
	}
	res, err := pipeline.ExportEvidence(ctx, a.env("evidence export", opts.LockTimeout), opts.EvidenceOptions)
	if res == nil {
		return err
	}
	state := "written"
	if res.Noop {
		state = "already exported there by this root (no-op)"
		if h := res.Index.Audit.HeadSize; h > 0 {
			state += fmt.Sprintf(", at audit log size %d: export to another --out to state a newer head", h)
		}
	}
	c := res.Index.Counts
	fmt.Fprintf(a.stdout, "evidence bundle %s: %s\n  sha256 %s (%d bytes), signed by key %s\n", res.Path, state, res.SHA256, res.Bytes, res.Index.SigningKeyID)
	fmt.Fprintf(a.stdout, "  %d weekly reports, %d SLA reports, %d proposals, %d approvals, %d notes, %d ledger acknowledgments, %d audit entries, %d files\n",
		c.WeeklyReports, c.SLAReports, c.Proposals, c.Approvals, c.Notes, c.Acknowledgments, c.AuditEntries, c.Files)
	// Exported with the integrity problems its index states: err says
	// them, and the command exits 4.
	return err
}

// verifyBundles checks evidence bundles for `ledgerlens verify F.zip`: the
// bundle's own sidecar and signature, then everything inside it
// (evidence.Verify). The key is --pubkey, else the key of the root --root
// names, else the one inside the bundle when --trust-bundle-key accepts it
// (said so in the output). It prints one line per problem and returns how
// many bundles failed, and how many of those were left unchecked, for want
// of a key or of a file to read (a check that could not run, not evidence
// found wrong).
func verifyBundles(ctx context.Context, a *app, paths []string, opts VerifyOptions, old retiredKeys) (failed, unchecked int, err error) {
	kept, err := audit.ReadKept(opts.Kept)
	if err != nil {
		return 0, 0, fmt.Errorf("verify --checkpoint: %w", err)
	}
	for _, path := range paths {
		if err := ctx.Err(); err != nil {
			return failed, unchecked, err
		}
		pub, source, err := verifyingKey(a, opts.PubKey, opts.RootGiven)
		if err != nil {
			return failed, unchecked, err
		}
		// With a root, a bundle exported before a key rotation verifies
		// with the key its log says that rotation retired (old; it
		// failed with the current key, exit 4, while verify FILE passed
		// the same reports: a review of this stop's fixes).
		fromRoot := pub != nil && opts.PubKey == ""
		v, err := verifyBundle(ctx, a, path, pub, source, fromRoot, opts.TrustBundleKey, opts.Require, kept, old)
		if err != nil {
			return failed, unchecked, err
		}
		switch v {
		case bundleUnchecked:
			unchecked++
			failed++
		case bundleFailed:
			failed++
		}
	}
	return failed, unchecked, nil
}

// bundleVerdict is what verifyBundle found of one bundle.
type bundleVerdict int

const (
	bundleOK        bundleVerdict = iota
	bundleFailed                  // a problem found: the evidence is not as signed
	bundleUnchecked               // no key to check it with, or not a regular file it can open
)

// verifyBundle checks one bundle and prints its line; it says whether the
// bundle verified. The bundle's own sidecar and signature are checked
// before anything inside it is expanded: a bundle the key did not sign
// could be made to expand into gigabytes (a zip bomb), so its contents are
// read only once the signature vouches for them. Only a regular file is
// read (a FIFO would hang the check, a link to /dev/zero fill memory).
func verifyBundle(ctx context.Context, a *app, path string, pub ed25519.PublicKey, source string, fromRoot, trustBundleKey bool, want bundleRequirement, kept []audit.KeptCheckpoint, old retiredKeys) (bundleVerdict, error) {
	f, err := inputs.OpenRegular(path)
	if err != nil {
		fmt.Fprintf(a.stdout, "FAILED  %s: %v\n", path, err)
		return bundleUnchecked, nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return bundleFailed, fmt.Errorf("verify: %w", err)
	}
	if pub == nil {
		// No key of our own. A self-consistent bundle from any host
		// verifies with its own key, so the bundled key is used only
		// when asked for, with a warning naming it.
		bundled, err := evidence.BundledPublicKey(f, fi.Size())
		if err != nil {
			fmt.Fprintf(a.stdout, "FAILED  %s: %v\n", path, err)
			return bundleFailed, nil
		}
		if !trustBundleKey {
			fmt.Fprintf(a.stdout, "FAILED  %s: no public key to check it with: pass --pubkey with the key obtained out of band (docs/COMPLIANCE.md), or --trust-bundle-key to accept the bundled key %s (the working directory's key is used only when --root names it)\n", path, reports.KeyID(bundled))
			return bundleUnchecked, nil
		}
		fmt.Fprintf(a.stderr, "WARNING: %s: trusting the public key shipped inside the bundle, key id %s: compare it with the key id obtained out of band; a bundle from any host verifies with its own key\n", path, reports.KeyID(bundled))
		pub = bundled
		source = "the bundled keys/signing.pub, trusted by --trust-bundle-key"
	}
	outer, err := reports.VerifyOpenFile(f, path, pub)
	if errors.Is(err, reports.ErrVerification) && outer.Signature.Status == reports.CheckFailed {
		if k, check, ok := old.signed(f, path); ok {
			pub, outer, err = k.Public, check, nil
			source = fmt.Sprintf("retired by the rotation at audit seq %d; the root's audit log records this bundle exported before it", k.RetiredAt)
		}
	}
	if err != nil && !errors.Is(err, reports.ErrVerification) {
		// A companion that is not a regular file (a FIFO, a link to a
		// device) is named on the bundle's line, as the bundle itself
		// would be, and the other bundles are still checked.
		fmt.Fprintf(a.stdout, "FAILED  %s: %v\n", path, err)
		return bundleUnchecked, nil
	}
	p := outer.Problems()
	if len(p) == 0 {
		// The key that signed it may be a retired one, or the root may
		// vouch for nothing (retiredKeys.problem): a bundle a leaked key
		// signed after its rotation passed with that key, as an auditor
		// holds it from before the rotation (an outside review).
		if bound := old.problem(outer); bound != "" {
			p = []string{bound}
		}
	}
	if len(p) > 0 {
		fmt.Fprintf(a.stdout, "FAILED  %s: %s (key %s, %s); its contents were not read: only a bundle its own signature vouches for is expanded\n", path, problemCount(len(p)), reports.KeyID(pub), source)
		for _, p := range p {
			fmt.Fprintf(a.stdout, "  %s: %s\n", filepath.Base(path), p)
		}
		return bundleFailed, nil
	}
	res, err := evidence.Verify(ctx, f, fi.Size(), pub)
	if err != nil {
		fmt.Fprintf(a.stdout, "FAILED  %s: %v\n", path, err)
		return bundleFailed, nil
	}
	for _, k := range kept {
		res.CheckKept(k.Source, k.Note)
	}
	var problems []string
	for _, p := range res.Problems {
		problems = append(problems, p.String())
	}
	if len(problems) == 0 {
		// Only a bundle that verifies is weighed against the range asked
		// for: an unverified index says nothing.
		problems = want.problems(res.Index)
	}
	if len(problems) > 0 {
		fmt.Fprintf(a.stdout, "FAILED  %s: %s (key %s, %s)\n", path, problemCount(len(problems)), res.KeyID, source)
		for _, p := range problems {
			fmt.Fprintf(a.stdout, "  %s\n", p)
		}
		return bundleFailed, nil
	}
	ix := res.Index
	if len(ix.IntegrityProblems) > 0 {
		// Genuine, and saying the ledger its reports were computed from
		// changed: the verifier does not pass it (an outside review).
		fmt.Fprintf(a.stdout, "FAILED  %s: its signed index states %s with the ledger found when it was exported (key %s, %s): the ledger the reports were computed from is not as the audit log records it; the reports stand as published\n",
			path, problemCount(len(ix.IntegrityProblems)), res.KeyID, source)
		for _, p := range ix.IntegrityProblems {
			fmt.Fprintf(a.stdout, "  %s\n", p)
		}
		return bundleFailed, nil
	}
	missing := 0
	for _, p := range ix.Periods {
		if p.Status != evidence.PeriodPresent {
			missing++
		}
	}
	// The range and the weeks missing from it are on the line: a genuine
	// bundle of another range, renamed, verifies too.
	// And how far the log had grown when it was exported, which a reader
	// compares with what they hold (--checkpoint does it for them).
	head := "no head stated (exported before v4)"
	if res.Head != nil {
		head = fmt.Sprintf("exported at audit log size %d", res.Head.Size)
		if res.Kept > 0 {
			head += fmt.Sprintf(", which extends the %d kept checkpoints given", res.Kept)
		}
	}
	fmt.Fprintf(a.stdout, "OK      %s: range %s to %s, %d weeks (%d missing), %d files, %d signatures, audit entries %d (seq %d–%d) chain from %s, %s; key %s (%s)\n",
		path, ix.Range.From, ix.Range.To, len(ix.Periods), missing, res.Files, res.Signed, ix.Audit.Entries, ix.Audit.FirstSeq, ix.Audit.LastSeq, shortHash(ix.Audit.PrevHash), head, res.KeyID, source)
	if fromRoot {
		fmt.Fprintf(a.stderr, "WARNING: %s: checked with the working root's key %s (%s), which anyone who can write the root can replace: pass --pubkey with the key obtained out of band (docs/COMPLIANCE.md)\n", path, res.KeyID, source)
	}
	if !evidence.HoldsAcknowledgments(ix) {
		fmt.Fprintf(a.stdout, "        %s is a %s bundle: it holds no acknowledgment records, so what its reports say of acknowledged ledger edits was not checked\n", path, ix.Schema)
	}
	return bundleOK, nil
}

// isBundle reports whether path is an evidence bundle: named .zip in any
// case, or a ZIP archive holding an index.json whatever its name (a
// workbook is a ZIP archive too, without one), so that a bundle renamed is
// not checked as a plain file, its outer signature only.
func isBundle(path string) bool {
	if strings.EqualFold(filepath.Ext(path), ".zip") {
		return true
	}
	// Only a regular file is opened: a FIFO would block the open.
	f, err := inputs.OpenRegular(path)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil {
		return false
	}
	return slices.ContainsFunc(zr.File, func(f *zip.File) bool { return f.Name == evidence.IndexJSON })
}

func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}

// checkDayRange checks a --from/--to pair of days (YYYY-MM-DD); either may
// be empty (unbounded) where the command allows it.
func checkDayRange(from, to string) error {
	for _, f := range []struct{ flag, value string }{{"--from", from}, {"--to", to}} {
		if f.value == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, f.value); err != nil {
			return usagef("%s %q: want a date, YYYY-MM-DD", f.flag, f.value)
		}
	}
	// Days in this form order as strings do.
	if from != "" && to != "" && to < from {
		return usagef("--from %s is after --to %s: the range is empty", from, to)
	}
	return nil
}

// bundleRequirement is what `verify --from --to --complete` asks of each
// evidence bundle beyond its signatures: a bundle that verifies proves
// only its own range, which need not be the one asked for.
type bundleRequirement struct {
	From, To string // days (YYYY-MM-DD), inclusive; "" is the bundle's own end
	Complete bool   // a report for every week of the range
}

func (r bundleRequirement) set() bool { return r.From != "" || r.To != "" || r.Complete }

func (r bundleRequirement) check() error { return checkDayRange(r.From, r.To) }

// problems says where a verified bundle's index falls short of r.
func (r bundleRequirement) problems(ix *evidence.Index) []string {
	from, to := r.From, r.To
	if from == "" {
		from = ix.Range.From
	}
	if to == "" {
		to = ix.Range.To
	}
	var out []string
	// Filled from the bundle, an open end can leave the range empty
	// (--from after the bundle's end): nothing asked for is covered, and
	// an empty range would pass every check below.
	if to < from {
		given := "--from " + r.From
		if r.To != "" {
			given = "--to " + r.To
		}
		return append(out, fmt.Sprintf("the bundle covers %s to %s, none of the range %s requires", ix.Range.From, ix.Range.To, given))
	}
	if from < ix.Range.From || to > ix.Range.To {
		out = append(out, fmt.Sprintf("the bundle covers %s to %s, not the required %s to %s",
			ix.Range.From, ix.Range.To, from, to))
	}
	if !r.Complete {
		return out
	}
	var weeks, missing []string
	for _, p := range ix.Periods {
		// A week [Monday, Monday+6] counts when it overlaps the range.
		monday, err := time.Parse(time.DateOnly, p.Week)
		if err != nil {
			out = append(out, fmt.Sprintf("index.json: period week %q is not a date", p.Week))
			continue
		}
		if p.Week > to || monday.AddDate(0, 0, 6).Format(time.DateOnly) < from {
			continue
		}
		weeks = append(weeks, p.Week)
		if p.Status != evidence.PeriodPresent {
			missing = append(missing, p.Week)
		}
	}
	if len(missing) > 0 {
		verb := "have"
		if len(missing) == 1 {
			verb = "has"
		}
		out = append(out, fmt.Sprintf("%d of the %d weeks required %s no report: %s",
			len(missing), len(weeks), verb, strings.Join(missing, ", ")))
	}
	return out
}
