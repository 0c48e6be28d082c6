package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/pipeline"
	"github.com/ledgerlens/ledgerlens/pipeline/atomicfile"
	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/reconcile"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
	"github.com/ledgerlens/ledgerlens/schedules"
)

func newVerifyCmd(a *app) *cobra.Command {
	var (
		pubPath        string
		lockTimeout    time.Duration
		trustBundleKey bool
		kept           []string // verify all --checkpoint
		bundleKept     []string // verify --checkpoint, for bundles
		want           bundleRequirement
	)
	loadPub := func() (ed25519.PublicKey, error) { return loadPublicKey(a, pubPath) }
	cmd := &cobra.Command{
		Use:         "verify FILE...",
		Annotations: noRoot,
		Short:       "Check published files' SHA-256 sidecars and Ed25519 signatures",
		Long: `verify checks each FILE against FILE.sha256 and FILE.sig, offline, with the
public key --pubkey names or, when --root names the working root, the root's
.ledgerlens/keys/signing.pub (with a warning: anyone who can write the root
can replace it). A key in the working directory is not used unless --root
names it. It says which check failed for which file and exits 4 if any did.
A report must name the key that signed it (signing_key_id); a rejects file
must hold what the weekly report of its week and revision beside it counts
and samples. A FILE ending in .zip is an evidence bundle: its own sidecar
and signature and every file and audit entry inside it are checked; without
--pubkey or the root's key a bundle is refused unless --trust-bundle-key
accepts the key shipped inside it.
A genuine bundle of another range verifies too: --from and --to require
each bundle to cover that range, and --complete a report for every week of
it (or of the bundle's own range without them). A genuine older export of
the range verifies too: --checkpoint requires each bundle to come from a
log that extends a checkpoint you kept: the witness copy taken when you
asked for the bundle (report weekly --keep-head, audit verify --keep-head)
proves it is not an older export of the range; the audit/head of the bundle delivered before, only
that it is no older than that one.

A FILE under the working root must also be what the audit log records as
published under its name, and a report's report_id, period and revision
must match its file name.

Subcommands check the ledger's append-only property, the store's rows and
everything at once.`,
		Example: `  ledgerlens verify --pubkey /path/to/your/signing.pub weekly_2026-11-16.json weekly_2026-11-16.xlsx
  ledgerlens --root . verify runs/CREDIT_REVIEWS/weekly_2026-11-16.json
  ledgerlens verify --pubkey signing.pub --from 2026-07-01 --to 2026-09-30 --complete q3.zip
  ledgerlens verify --pubkey signing.pub --checkpoint q2-head.checkpoint q3.zip
  ledgerlens verify ledger
  ledgerlens verify store
  ledgerlens verify all`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd.Context(), a, VerifyOptions{PubKey: pubPath, Files: args, TrustBundleKey: trustBundleKey, Require: want,
				Kept: bundleKept, RootGiven: cmd.Flags().Changed("root")})
		},
	}
	cmd.PersistentFlags().StringVar(&pubPath, "pubkey", "", "public key PEM (default <root>/.ledgerlens/keys/signing.pub: for files and bundles only when --root names the root)")
	cmd.PersistentFlags().DurationVar(&lockTimeout, "lock-timeout", defaultReadLockTimeout,
		"verify ledger, store, all: wait this long while a job holds the store before exiting 75")
	cmd.Flags().StringVar(&want.From, "from", "", "require each evidence bundle to cover the range from this day (YYYY-MM-DD, in the bundle's time zone)")
	cmd.Flags().StringVar(&want.To, "to", "", "require each evidence bundle to cover the range to this day, inclusive (YYYY-MM-DD)")
	cmd.Flags().BoolVar(&want.Complete, "complete", false, "require a report in each evidence bundle for every week of the range (--from/--to, else the bundle's own)")
	cmd.Flags().StringArrayVar(&bundleKept, "checkpoint", nil, "require each evidence bundle to have been exported from a log that extends this checkpoint you kept (a signed note or checkpoint lines: an earlier bundle's audit/head, a witness copy); repeatable")
	cmd.Flags().BoolVar(&trustBundleKey, "trust-bundle-key", false, "check an evidence bundle with the public key inside it when no other key is at hand (a warning names its key id: compare it with the id you obtained out of band)")

	ledgerCmd := &cobra.Command{
		Use:     "ledger",
		Short:   "Check that the ledger prefix the store loaded is unchanged (append-only)",
		Example: `  ledgerlens --root /srv/ledger verify ledger`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerifyLedger(cmd.Context(), a, lockTimeout)
		},
	}
	storeCmd := &cobra.Command{
		Use:   "store",
		Short: "Re-derive the rows of the ledger prefix the store covers and compare them with the store, row by row",
		Long: `store checks the DuckDB store against the ledger it was loaded from: the
ledger prefix the store covers must be unchanged (as verify ledger checks), and
every row re-derived from that prefix must equal the store's row (a digest of
every column). An edited, deleted or planted row is named by its ledger line.
A missing store while the audit log records ingests is a problem too.`,
		Example: `  ledgerlens --root /srv/ledger verify store`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerifyStore(cmd.Context(), a, lockTimeout)
		},
	}
	var metricsFile string
	allCmd := &cobra.Command{
		Use:   "all",
		Short: "The daily integrity check: ledger, store, audit log against its checkpoints, outputs against the record of publication",
		Example: `  ledgerlens --root /srv/ledger verify all
  ledgerlens --root /srv/ledger verify all --quiet --metrics-file /var/lib/node_exporter/textfile/ledgerlens.prom
  ledgerlens verify all --pubkey /etc/ledgerlens/signing.pub --checkpoint witness/2026-11-16.checkpoint`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// A --metrics-file refused is said after the check, which it
			// must not stop: a tampered root would exit 2, not 4 (an
			// outside review).
			metricsErr := checkMetricsFile(a, metricsFile)
			started := time.Now()
			problems, err := func() (int, error) {
				if pubPath == "" && job.MissingPublicKeyProblem(a.layout()) != nil {
					// The root had a key and signing.pub is gone: every other
					// check still runs (signatures aside), and the key problem
					// is listed with theirs (SigningKeyProblems), notified too.
					return runVerifyAll(cmd.Context(), a, nil, true, lockTimeout, kept...)
				}
				pub, err := loadPub()
				if pubPath == "" && errors.Is(err, job.ErrUnsafeKeysDir) {
					// Keys someone else put in the root's place: nothing is
					// checked with them, everything else is, and the keys
					// directory is listed with the problems
					// (SigningKeyProblems), notified too.
					return runVerifyAll(cmd.Context(), a, nil, true, lockTimeout, kept...)
				}
				if err != nil {
					return -1, err
				}
				return runVerifyAll(cmd.Context(), a, pub, pubPath == "", lockTimeout, kept...)
			}()
			if metricsErr != nil {
				if err != nil {
					return errors.Join(err, fmt.Errorf("nothing was written to it: %v", metricsErr))
				}
				return metricsErr
			}
			return recordIntegrityCheck(a, metricsFile, started, problems, err)
		},
	}
	allCmd.Flags().StringVar(&metricsFile, "metrics-file", "", "merge this check's Prometheus textfile metrics (the integrity-check series the alert rules read) into this file")
	allCmd.Flags().StringArrayVar(&kept, "checkpoint", nil, "also check the audit log against this kept checkpoint file (repeatable)")
	cmd.AddCommand(ledgerCmd, storeCmd, allCmd)
	return cmd
}

func newAuditCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Inspect the tamper-evident audit log",
	}
	var opts AuditVerifyOptions
	verify := &cobra.Command{
		Use:   "verify [FILE]",
		Short: "Walk the hash chain of .ledgerlens/audit.jsonl and check it against every signed checkpoint",
		Long: `verify walks the hash chain of the audit log and names the first broken entry,
then checks the log against every signed checkpoint it can find: the
checkpoints file (.ledgerlens/audit.checkpoints), the audit_checkpoint of every
published report, and each --checkpoint FILE an auditor kept. A log shorter
than, or inconsistent with, any checkpoint fails, naming the checkpoint. A
FILE argument checks that log (an exported copy) against --checkpoint only.

--keep-head FILE then writes the newest signed checkpoint the check
accepted to FILE, a new file outside the root: a witness copy. A
checkpoints file someone has added an older checkpoint to, for a witness
to copy in place of the newest, fails the check, and nothing is written.
It copies what the files say when it runs; the copy a job keeps
(report weekly --keep-head) is the checkpoint the job signed.`,
		Example: `  ledgerlens --root /srv/ledger audit verify
  ledgerlens --root /srv/ledger audit verify --checkpoint witness/2026-11-15.checkpoint --keep-head witness/2026-11-16.checkpoint
  ledgerlens audit verify --checkpoint kept/2026-11-16.checkpoint
  ledgerlens audit verify exported/audit.jsonl --checkpoint kept.checkpoint --pubkey signing.pub`,
		Args:        cobra.MaximumNArgs(1),
		Annotations: noRootWithFile,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Path = args[0]
			}
			return runAuditVerify(cmd.Context(), a, opts)
		},
	}
	verify.Flags().StringArrayVar(&opts.Kept, "checkpoint", nil, "also check against this kept checkpoint file (the signed note, or checkpoint lines); repeatable")
	verify.Flags().StringVar(&opts.PubKey, "pubkey", "", "public key PEM that signed the checkpoints (default <root>/.ledgerlens/keys/signing.pub)")
	verify.Flags().StringVar(&opts.KeepHead, "keep-head", "", "once the log verifies, write its newest signed checkpoint to this new file, outside the root (the witness copy)")
	cmd.AddCommand(verify)
	return cmd
}

// runVerifyAll is `verify all`: the integrity check, read-only (nothing
// written; the lock is held only so that a running job is waited for, not
// mistaken for a problem), printing every problem it finds. pub checks
// signatures and checkpoints (nil: sidecars only); kept are checkpoint
// files an auditor kept.
//
// With the root's own key (no --pubkey), or on a root that holds a
// private key, the check is the host's, and it also reports what every
// job would refuse the signing key for (job.SigningKeyProblems). An
// auditor's check of a copy without the private key, with a key obtained
// out of band, is about the evidence alone.
func runVerifyAll(ctx context.Context, a *app, pub ed25519.PublicKey, ownKey bool, lockTimeout time.Duration, kept ...string) (problems int, err error) {
	lk, err := a.readLock(ctx, "verify all", lockTimeout)
	if err != nil {
		return -1, err
	}
	rep, err := pipeline.CheckIntegrity(ctx, a.env("verify all", 0), pub, kept...)
	// Released before notifying: delivery takes the lock to audit itself.
	lk.Release()
	if err != nil {
		return -1, err
	}
	if _, err := os.Lstat(filepath.Join(a.layout().KeysDir, reports.PrivateKeyFile)); ownKey || err == nil {
		keyProblems := job.SigningKeyProblems(a.layout(), rep.AuditCheck.State.Entries)
		if pub == nil {
			// signing.pub is gone from a root that had a key: that is the
			// key problem, whether or not this account may read the
			// private key (SigningKeyProblems passes over one it may
			// not), and it explains the signatures left unchecked.
			if err := job.MissingPublicKeyProblem(a.layout()); err != nil {
				keyProblems = []string{err.Error()}
			}
			rep.Problems = append(keyProblems, rep.Problems...)
		} else {
			rep.Problems = append(rep.Problems, keyProblems...)
		}
	}
	// What keeps the jobs' account from writing the store, said to that
	// account (job.StoreAccessProblems), as its key is.
	rep.Problems = append(rep.Problems, job.StoreAccessProblems(a.layout())...)
	// And who else may change the rules the jobs apply.
	rep.Problems = append(rep.Problems, job.ConfigAccessProblems(a.layout())...)
	ledger := "append-only"
	switch {
	case !rep.StoreFound:
		ledger = "no store"
	case rep.StoreDamaged:
		ledger = "not checked: the store is DAMAGED or its directory UNSAFE (the problems below say which)"
	case rep.LedgerNotAFile:
		ledger = "NOT A FILE"
	case rep.LedgerMissing:
		ledger = "MISSING"
	case !rep.Ledger.Intact:
		ledger = "MODIFIED"
	case rep.StoreBusy:
		ledger = "as the audit log records it; not checked against the store, which another process holds locked"
	case rep.StoreOutdated:
		ledger = "as the audit log records it; not checked against the store, which an earlier ledgerlens wrote"
	case rep.LedgerUnchecked:
		ledger = "as the audit log records it; not checked against the store, whose record of it does not hold together (below)"
	case len(rep.Unacknowledged) > 0:
		ledger = fmt.Sprintf("MODIFIED earlier, %d modifications not acknowledged", len(rep.Unacknowledged))
	case len(rep.UnacknowledgedDuplicates) > 0:
		ledger = fmt.Sprintf("append-only, %d conflicting duplicates not acknowledged", len(rep.UnacknowledgedDuplicates))
	}
	// Which key the signatures were checked with: an OK that did not say
	// left a reader unsure what it vouched for (an outside review).
	key := "none: signatures and checkpoints not checked"
	if pub != nil {
		key = reports.KeyID(pub) + " (--pubkey)"
		if ownKey {
			key = reports.KeyID(pub) + " (the root's own " + filepath.Join(a.layout().KeysDir, reports.PublicKeyFile) + ")"
		}
	}
	fmt.Fprintf(a.stdout, "ledger: %s\naudit: %d entries, %d signed checkpoints checked\nartifacts: %d checked\nkey: %s\n",
		ledger, rep.Audit.Entries, len(rep.AuditCheck.Checkpoints), len(rep.Artifacts), key)
	a.printFailed(rep.Problems)
	if !rep.OK() {
		_ = a.notifyIntegrity(ctx, rep.Problems, "verify all: notify", notifyLog) // logged and audited
		return len(rep.Problems), checkFailed("integrity check failed: %s", summarize(rep.Problems))
	}
	if err := rep.Incomplete(); err != nil {
		return -1, err // a check that could not run to the end: exit 1
	}
	fmt.Fprintln(a.stdout, "OK")
	return 0, nil
}

// recordIntegrityCheck merges a verify all run into --metrics-file, if
// given, as the integrity-check job's series: the alert rules' "integrity
// check not succeeded for 2 days" and "integrity problem" read them, and a
// root checked from cron rather than `schedule run` wrote none, so the
// alert had nothing to fire on (an outside review). problems is how many
// the check found, -1 when it could not run to the end. It returns err,
// joined with a failure to write the file.
func recordIntegrityCheck(a *app, path string, started time.Time, problems int, err error) error {
	if path == "" {
		return err
	}
	rr := schedules.RunResult{Started: started, Finished: time.Now(), Err: err}
	if problems >= 0 {
		rr.Stats = integrityCheckStats(problems)
	}
	if merr := recordRun(a, path, schedules.JobIntegrityCheck, rr); merr != nil {
		return errors.Join(err, merr)
	}
	return err
}

// loadPublicKey reads the public key signatures are checked with: pubPath,
// else the working root's.
func loadPublicKey(a *app, pubPath string) (ed25519.PublicKey, error) {
	if pubPath != "" {
		return reports.LoadPublicKey(pubPath)
	}
	pub, err := job.RootPublicKey(a.layout())
	if pub == nil && err == nil {
		return nil, fmt.Errorf("no public key at %s: pass --pubkey PATH (signatures cannot be checked without it)", filepath.Join(a.layout().KeysDir, reports.PublicKeyFile))
	}
	return pub, err
}

// verifyingKey is the key published files and bundles are checked with:
// --pubkey, else the key of the root --root names (rootGiven), else nil
// (for a bundle, its own, if --trust-bundle-key accepts it). The working
// directory's key is not taken unasked: a forged bundle, or report,
// dropped into a delivery folder with a planted
// .ledgerlens/keys/signing.pub beside it verified, exit 0, for a team that
// ran the check there (two outside reviews). source names where the key
// came from.
func verifyingKey(a *app, pubPath string, rootGiven bool) (pub ed25519.PublicKey, source string, err error) {
	if pubPath != "" {
		pub, err := reports.LoadPublicKey(pubPath)
		return pub, "--pubkey " + pubPath, err
	}
	if !rootGiven {
		return nil, "", nil
	}
	pub, err = job.RootPublicKey(a.layout())
	if pub == nil || err != nil {
		return nil, "", err
	}
	return pub, filepath.Join(a.layout().KeysDir, reports.PublicKeyFile), nil
}

// VerifyOptions are the options of `ledgerlens verify FILE...`.
type VerifyOptions struct {
	PubKey string   // "" is the working root's key
	Files  []string // published files and evidence bundles (.zip)
	// TrustBundleKey checks a bundle with its own key when no other is at
	// hand (with a warning naming it); without it such a bundle fails.
	TrustBundleKey bool
	// Require is what each bundle must cover, beyond verifying.
	Require bundleRequirement
	// RootGiven is true when --root named the working root: only then
	// is its key used for a bundle (bundleKey).
	RootGiven bool
	// Kept are checkpoint files the reader kept; each bundle must have
	// been exported from a log that extends every checkpoint they hold
	// (evidence.Result.CheckKept).
	Kept []string
}

// runVerify checks each file's sidecar and signature, that a file under
// the root is the recorded artifact for its name, and each evidence bundle
// inside out, printing one line per file. It stops at the next file, or
// the next member of a bundle, when ctx ends.
func runVerify(ctx context.Context, a *app, opts VerifyOptions) error {
	// Evidence bundles (.zip) are checked inside out by evidence.go.
	var bundles, files []string
	for _, p := range opts.Files {
		if isBundle(p) {
			bundles = append(bundles, p)
		} else {
			files = append(files, p)
		}
	}
	if err := opts.Require.check(); err != nil {
		return err
	}
	if opts.Require.set() && len(files) > 0 {
		return usagef("--from, --to and --complete apply to evidence bundles; %s is not one", files[0])
	}
	if len(opts.Kept) > 0 && len(files) > 0 {
		return usagef("--checkpoint applies to evidence bundles (and to verify all); %s is not one", files[0])
	}
	// The root's log is held to its checkpoints once, for the files and
	// the bundles both.
	old, err := a.retiredKeysFor(ctx, opts)
	if err != nil {
		return err
	}
	failed, unchecked, err := verifyBundles(ctx, a, bundles, opts, old)
	if err != nil {
		return err
	}
	failures, unread, err := verifyFiles(ctx, a, files, opts, old)
	if err != nil {
		return err
	}
	total := len(files) + len(bundles)
	if len(failures) > 0 || failed > unchecked {
		found := failed - unchecked + len(failures)
		first := ""
		if len(failures) > 0 {
			first = ": " + summarize(failures)
		}
		return checkFailed("%d of %d files failed verification%s", found, total, first)
	}
	if n := unchecked + len(unread); n > 0 {
		first := ""
		if len(unread) > 0 {
			first = ": " + summarize(unread)
		}
		return fmt.Errorf("%d of %d files were not checked: no file to read or no public key to check it with%s", n, total, first)
	}
	return nil
}

// verifyFiles checks each published file's sidecar and signature, and
// that a file under the root is the recorded artifact for its name,
// printing one line per file. It returns the files found changed and
// those it could not read, each with its problems.
//
// The key is the one --pubkey names or, when --root names the working
// root, the root's own, with a warning (verifyingKey): the working
// directory's .ledgerlens/keys/signing.pub is not used unasked, for a
// forged report dropped into a folder beside a planted key verified
// there, OK, exit 0 (an outside review). A report must name the key
// that signed it (signing_key_id), and a rejects file must hold what the
// report beside it says it does (reconcile.RejectsAgainstReport).
func verifyFiles(ctx context.Context, a *app, files []string, opts VerifyOptions, old retiredKeys) (failures, unread []string, err error) {
	if len(files) == 0 {
		return nil, nil, nil
	}
	pub, source, err := verifyingKey(a, opts.PubKey, opts.RootGiven)
	if err != nil {
		return nil, nil, err
	}
	if pub == nil {
		if opts.RootGiven {
			return nil, nil, fmt.Errorf("no public key at %s: pass --pubkey PATH (signatures cannot be checked without it)", filepath.Join(a.layout().KeysDir, reports.PublicKeyFile))
		}
		return nil, nil, fmt.Errorf("no key to check %s with: pass --pubkey with the key you were given out of band (or --root naming the working root whose key to use); a .ledgerlens/keys/signing.pub in the working directory is not used unless --root names it, as anyone can put one beside the files (docs/COMPLIANCE.md)", files[0])
	}
	if opts.PubKey == "" {
		fmt.Fprintf(a.stderr, "WARNING: checked with the working root's key %s (%s), which anyone who can write the root can replace: pass --pubkey with the key obtained out of band (docs/COMPLIANCE.md)\n", reports.KeyID(pub), source)
	}
	// With a root, the keys its rotations retired, as its audit log
	// chains them back from the key (retiredKeysFor): a file published
	// before a rotation failed, exit 4, though verify all passed it; and
	// it still did with the key given by --pubkey, the check the guide
	// recommends (outside reviews).
	keys := []ed25519.PublicKey{pub}
	for _, k := range old.keys {
		keys = append(keys, k.Public)
	}
	l := a.layout()
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		// Read once: the key id and the rejects' counts below are read
		// from the bytes whose signature was checked.
		check, data, err := reports.VerifyFileData(path, keys...)
		if err != nil && !errors.Is(err, reports.ErrVerification) {
			// Not read (missing, not a regular file): said, and the other
			// files still checked, so that a tampered one is not lost
			// behind it (it was: an outside review).
			unread = append(unread, fmt.Sprintf("%s: %v", path, err))
			fmt.Fprintf(a.stdout, "FAILED  %s\n", unread[len(unread)-1])
			continue
		}
		recorded, err := reconcile.File(l, path, data, job.OutputDirs(l))
		if err != nil {
			return nil, nil, err
		}
		problems := append(check.Problems(), recorded...)
		named := reportKeyID(path, data)
		switch {
		case len(problems) == 0 && named != "" && named != check.KeyID:
			problems = append(problems, fmt.Sprintf("the report names signing key %s (signing_key_id), but its signature is by key %s: signed by another key than the one it names", named, check.KeyID))
		case len(problems) == 0:
			// A retired key vouches only for what was published before
			// its rotation: a key that leaked, the reason to rotate,
			// re-signed a later report and passed (an outside review).
			if p := old.problem(check); p != "" {
				problems = append(problems, p)
			}
		case check.Signature.Status == reports.CheckFailed && named != "" && !slices.ContainsFunc(keys, func(k ed25519.PublicKey) bool { return reports.KeyID(k) == named }):
			// Which key the report says signed it tells a report from
			// before a rotation from a forgery (an outside review).
			problems = append(problems, fmt.Sprintf("the report names signing key %s (signing_key_id), which is neither the key checked with nor one its rotations retired%s", named, retiredHint(opts)))
		}
		bound := ""
		if len(problems) == 0 {
			rp, found, err := reconcile.RejectsAgainstReport(path, data, keys...)
			if err == nil && !found && isRejectsFile(path) {
				// Its signature holds, but nothing names the week and
				// revision it belongs to: alone, another publication's
				// rejects file passed under this name (an outside review).
				err = errors.New("no weekly report of its week and revision beside it, and nothing but its name ties a rejects file to a week: verify it in the folder of its report")
			}
			if err != nil {
				// Not checked to the end: said, and the other files still
				// checked (an unreadable report beside it stopped them all).
				unread = append(unread, fmt.Sprintf("%s: %v", path, err))
				fmt.Fprintf(a.stdout, "FAILED  %s\n", unread[len(unread)-1])
				continue
			}
			problems = append(problems, rp...)
			if found {
				bound = ", matches its report"
			}
		}
		if len(problems) > 0 {
			failures = append(failures, path+": "+strings.Join(problems, "; "))
			fmt.Fprintf(a.stdout, "FAILED  %s\n", failures[len(failures)-1])
			continue
		}
		// What the signed bytes say they are: a report copied under
		// another name (weekly_2026-01-19 (1).json holding the week
		// before) printed only its digest and key (an outside review).
		what := ""
		if id := reconcile.Identity(path, data); id.ReportID != "" {
			what = "report " + id.String() + ", "
		}
		fmt.Fprintf(a.stdout, "OK      %s (%ssha256 %s, signed by key %s%s)\n", path, what, check.SHA256, check.KeyID, bound)
	}
	return failures, unread, nil
}

// retiredFrom is the keys the rotations of own, the root's key, retired
// as entries chain them, from given on (given first, then the keys
// retired before it); nil when given is not one of them.
func retiredFrom(entries []audit.Entry, given, own ed25519.PublicKey) []job.RetiredKey {
	chain := job.RetiredKeysAt(entries, own)
	for i, k := range chain {
		if k.Public.Equal(given) {
			return chain[i:]
		}
	}
	return nil
}

// warnRetired says that k, given by --pubkey, was retired, and which key
// is current.
func warnRetired(w io.Writer, k job.RetiredKey, own ed25519.PublicKey) {
	fmt.Fprintf(w, "WARNING: key %s given by --pubkey was retired by the rotation at audit seq %d of the root's audit log, which holds with its current key %s: it vouches only for what the log records before that rotation; obtain the current key out of band (docs/COMPLIANCE.md)\n",
		reports.KeyID(k.Public), k.RetiredAt, reports.KeyID(own))
}

// neitherKey is the problem of a key given by --pubkey that is neither
// the root's key own nor one its rotations retired.
func neitherKey(given, own ed25519.PublicKey) string {
	return fmt.Sprintf("key %s given by --pubkey is neither the root's key %s nor one its rotations retired", reports.KeyID(given), reports.KeyID(own))
}

// retiredKeys are the keys a root's rotations retired, with the root's
// record of publication that says what each signed before its rotation.
type retiredKeys struct {
	keys    []job.RetiredKey
	records map[string]reconcile.Record
	// broken says why the root --root names cannot vouch for any file
	// (retiredKeysFor; "" when it can).
	broken string
}

// retiredKeysFor are the keys the rotations of the root --root names (or
// whose key is used) retired, as its audit log chains them back from the
// verifying key (job.RetiredKeysAt), and the log's record of
// publication, by which a retired key vouches only for files published
// before its rotation. The log must hold to its chain and to its signed
// checkpoints first: an edited log could date a forgery before the
// rotation. When it does not, or this account may not read it, none is
// used and a warning says why (the verifying key then vouches alone);
// with no root, no key or no log there are none.
//
// A key given by --pubkey that is not the root's own is held to the
// root's key, as audit verify and baseline verify hold it (holdLogKey):
// it vouches only as one of the keys that key's rotations retired, for
// what the log records published before its rotation, with the keys
// retired before it. When the log does not hold with the root's key,
// cannot be read, or lacks the key given, the root vouches for nothing,
// and every file and bundle fails: --root asked it to. It was checked
// with the log alone, and a leaked retired key's forgery passed, exit 0,
// where the log did not hold with it, was moved aside or was rewritten
// with that key (outside reviews).
func (a *app) retiredKeysFor(ctx context.Context, opts VerifyOptions) (retiredKeys, error) {
	if len(opts.Files) == 0 || (opts.PubKey != "" && !opts.RootGiven) {
		return retiredKeys{}, nil
	}
	pub, _, err := verifyingKey(a, opts.PubKey, opts.RootGiven)
	if err != nil || pub == nil {
		return retiredKeys{}, nil // said where each file or bundle is checked
	}
	l := a.layout()
	const nothing = ": the root --root names vouches for nothing"
	held, key := holdLogKey(l, opts.PubKey, pub, a.stderr)
	if held.problem != "" {
		return retiredKeys{broken: held.problem + nothing}, nil
	}
	if _, err := os.Lstat(l.AuditLog); held.given == nil && errors.Is(err, fs.ErrNotExist) {
		return retiredKeys{}, nil
	}
	ac, err := reconcile.Audit(ctx, l, job.OutputDirs(l)[0], key, nil)
	switch {
	case err != nil && ctx.Err() != nil:
		return retiredKeys{}, err
	case err != nil && held.given != nil:
		return retiredKeys{broken: fmt.Sprintf("the root's audit log, which would say whether its rotations retired key %s, cannot be read (%v)%s", reports.KeyID(held.given), err, nothing)}, nil
	case err != nil:
		// Not this account's to read (an analyst's): the files are
		// still checked, with the key alone.
		fmt.Fprintf(a.stderr, "WARNING: the root's audit log cannot be read (%v): no key its rotations retired is used\n", err)
		return retiredKeys{}, nil
	case held.given != nil:
		if problems := append(ac.Problems, held.problems(ac.State.Entries, ac.OK(), a.stderr)...); len(problems) > 0 {
			return retiredKeys{broken: summarize(problems) + nothing + "; run 'ledgerlens verify all'"}, nil
		}
		return retiredKeys{keys: retiredFrom(ac.State.Entries, held.given, held.own), records: reconcile.Records(ac.State.Entries)}, nil
	case !ac.OK():
		fmt.Fprintf(a.stderr, "WARNING: the root's audit log does not hold (%s): no key its rotations retired is used; run 'ledgerlens verify all'\n", summarize(ac.Problems))
		return retiredKeys{}, nil
	}
	return retiredKeys{keys: job.RetiredKeysAt(ac.State.Entries, key), records: reconcile.Records(ac.State.Entries)}, nil
}

// rootKeyFor is the root's own key, which a key given by --pubkey is
// held to (holdLogKey), or nil with a problem or a
// warning saying why there is none. A keys directory that cannot be
// trusted is a problem, as every job refuses it; so is one this account
// cannot open though it owns the state directory (the jobs' own account,
// or root), or one owned by another account than the state directory's:
// moved aside or replaced by someone who may write the state directory,
// it let a leaked retired key's forgery pass with that key alone, exit 0
// (outside reviews). A keys directory an analyst may not read, or a copy
// of a root without its signing.pub (an analyst's cp -a cannot copy it),
// is only a warning when the log records a key: the key given then
// vouches alone. Failing those failed every genuine file checked with
// the right key (a review).
func rootKeyFor(l inputs.Layout) (own ed25519.PublicKey, problem, warning string) {
	own, err := job.RootPublicKey(l)
	switch {
	case errors.Is(err, job.ErrUnsafeKeysDir):
		return nil, fmt.Sprintf("the root's keys directory, which says which key is current, cannot be trusted (%v)", err), ""
	case err == nil && own != nil:
		return own, "", ""
	case err != nil:
		var keys, state syscall.Stat_t
		if syscall.Lstat(l.KeysDir, &keys) == nil && syscall.Stat(l.StateDir, &state) == nil {
			uid := uint32(os.Geteuid())
			switch {
			case keys.Uid != state.Uid:
				return nil, fmt.Sprintf("the root's keys directory is owned by uid %d, not by the state directory's owner (uid %d), and cannot be read (%v)", keys.Uid, state.Uid, err), ""
			case uid == 0 || uid == state.Uid:
				return nil, fmt.Sprintf("the root's keys directory cannot be read by the account that owns it (%v)", err), ""
			}
		}
	}
	st, lerr := audit.Load(l.AuditLog)
	if lerr != nil {
		return nil, "", ""
	}
	for _, e := range st.Entries {
		// A key made by hand leaves no key_generated entry, but signs
		// the entries (a review forged a root so).
		if e.Event == audit.EventKeyGenerated || e.Event == audit.EventKeyRotated || e.Sig != "" {
			why := "is missing"
			if err != nil {
				why = fmt.Sprintf("cannot be read (%v)", err)
			}
			return nil, "", fmt.Sprintf("the root's public key (%s) %s, though its audit log records a key: the key given by --pubkey vouches alone, and a key retired since, leaked, is not told from the current one", l.Rel(filepath.Join(l.KeysDir, reports.PublicKeyFile)), why)
		}
	}
	return nil, "", ""
}

// heldLogKey is a key given by --pubkey for checking the root's own log,
// held to the root's key (holdLogKey): with the key given alone, a log a
// leaked retired key rewrote passed, and the genuine log of a rotated
// root failed as tampered with (outside reviews).
type heldLogKey struct {
	given, own ed25519.PublicKey // own is set when given is not it
	problem    string            // the keys directory's (rootKeyFor)
}

// holdLogKey returns the key to check the root's log with, pub given by
// --pubkey path ("" for none): the root's own key when pub is not it, so
// that the key given must then be one its rotations retired. A warning
// rootKeyFor gives goes to stderr.
func holdLogKey(l inputs.Layout, path string, pub ed25519.PublicKey, stderr io.Writer) (heldLogKey, ed25519.PublicKey) {
	if path == "" || pub == nil {
		return heldLogKey{}, pub
	}
	own, problem, warning := rootKeyFor(l)
	if warning != "" {
		fmt.Fprintf(stderr, "WARNING: %s\n", warning)
	}
	if own != nil && !own.Equal(pub) {
		return heldLogKey{given: pub, own: own, problem: problem}, own
	}
	return heldLogKey{problem: problem}, pub
}

// problems are the held key's problems with the log whose entries were
// checked (holds: with no problem of its own): the keys directory's, and
// a key given that is not in the root's key's rotation chain; a key in it
// is warned of.
func (h heldLogKey) problems(entries []audit.Entry, holds bool, stderr io.Writer) []string {
	var out []string
	if h.problem != "" {
		out = append(out, h.problem)
	}
	switch chain := retiredFrom(entries, h.given, h.own); {
	case h.given == nil:
	case !holds:
		out = append(out, fmt.Sprintf("key %s given by --pubkey is not the root's key %s, which the log is held to", reports.KeyID(h.given), reports.KeyID(h.own)))
	case chain == nil:
		out = append(out, neitherKey(h.given, h.own))
	default:
		warnRetired(stderr, chain[0], h.own)
	}
	return out
}

// signed returns the retired key that signed the open file f at path, and
// its check, when the root's log records a file with its bytes published
// before that key's rotation.
func (r retiredKeys) signed(f *os.File, path string) (job.RetiredKey, reports.FileCheck, bool) {
	for _, k := range r.keys {
		check, err := reports.VerifyOpenFile(f, path, k.Public)
		if err == nil && r.problem(check) == "" {
			return k, check, true
		}
	}
	return job.RetiredKey{}, reports.FileCheck{}, false
}

// problem says when check's key is one of r's and no file with check's
// bytes was recorded as published before that key's rotation ("" when
// the key is not retired, or one was).
//
// Only an artifact's record counts (reconcile.RetiredKeyVouches). When
// the root vouches for nothing (broken), that is the problem of every
// file.
func (r retiredKeys) problem(check reports.FileCheck) string {
	if r.broken != "" {
		return r.broken
	}
	for _, k := range r.keys {
		if reports.KeyID(k.Public) != check.KeyID {
			continue
		}
		if reconcile.RetiredKeyVouches(r.records, k, check.SHA256) {
			return ""
		}
		return fmt.Sprintf("signed by key %s, retired by the rotation at audit seq %d, but the root's audit log records no file with these bytes published before it: a retired key vouches only for what it signed before its retirement (a leaked key's forgery)", check.KeyID, k.RetiredAt)
	}
	return ""
}

// retiredHint says how to check a file signed before a rotation, when
// the keys a root's rotations retired were not at hand.
func retiredHint(opts VerifyOptions) string {
	if opts.RootGiven {
		return ""
	}
	return " (a file published before a key rotation verifies with --root naming its working root, whose audit log vouches for the keys its rotations retired, or inside an evidence bundle)"
}

// reportKeyID is the signing_key_id a JSON report at path, whose bytes
// are data, names; "" for any other file (or a report without one).
func reportKeyID(path string, data []byte) string {
	if filepath.Ext(path) != ".json" {
		return ""
	}
	var r struct {
		SigningKeyID string `json:"signing_key_id"`
	}
	if json.Unmarshal(data, &r) != nil {
		return ""
	}
	return r.SigningKeyID
}

// isRejectsFile reports whether path is named like a published rejects
// file.
func isRejectsFile(path string) bool {
	return strings.HasPrefix(filepath.Base(path), "rejects") && filepath.Ext(path) == ".jsonl"
}

// runVerifyLedger checks that the ledger prefix the store loaded is
// unchanged.
func runVerifyLedger(ctx context.Context, a *app, lockTimeout time.Duration) error {
	l := a.layout()
	lk, err := a.readLock(ctx, "verify ledger", lockTimeout)
	if err != nil {
		return err
	}
	defer lk.Release()
	st, trail, err := a.openStoreToVerify(ctx, "verify ledger")
	if errors.Is(err, fs.ErrNotExist) {
		// As verify store says (it exited 1 naming the missing store
		// file on a root where no job had run).
		return a.nothingLoaded(": nothing of the ledger was loaded yet")
	}
	if err != nil {
		return err
	}
	defer st.Close()
	res, p, err := a.ledgerAsLoaded(ctx, st, "")
	if err != nil {
		return err
	}
	if !res.Intact {
		return a.failOne("%s", p)
	}
	// The bytes the audit log records as ingested must hash as it
	// recorded, even where the store agrees with them (a store rebuilt
	// from an edited ledger does), and when the store's record of them
	// does not hold together (p): the ledger may have changed with it.
	problems := []string{}
	if p != "" {
		problems = append(problems, p)
	}
	if u := res.Unloadable; u != nil {
		problems = append(problems, u.Problem(l.Ledger))
	}
	if m, err := job.LedgerAgainstLog(ctx, trail.Entries, l.Ledger, 0, ""); err != nil {
		return err
	} else if m != nil {
		problems = append(problems, fmt.Sprintf("ledger %s is not append-only: bytes %d–%d differ from what the audit log records as ingested (the store was rebuilt from the changed ledger, rolled back, or edited with it)",
			l.Ledger, m.ByteFrom, m.ByteTo))
	}
	if len(problems) > 0 {
		a.printFailed(problems)
		return checkFailed("%s", summarize(problems))
	}
	// A modification found earlier (the store has since been rebuilt
	// from the changed ledger) and a conflicting duplicate fail until
	// acknowledged.
	pending, err := job.LedgerProblems(ctx, job.LedgerRecordOf(trail.Entries), l.Rel(l.Ledger), st)
	if err != nil {
		return err
	}
	if len(pending) > 0 {
		a.printFailed(pending)
		return checkFailed("ledger %s: %d unacknowledged integrity problems (modifications or conflicting duplicates)", l.Ledger, len(pending))
	}
	fmt.Fprintf(a.stdout, "OK      %s: the %d bytes loaded are unchanged; %d bytes appended since\n",
		l.Ledger, res.CoveredBytes, res.AppendedBytes)
	return nil
}

// runVerifyStore re-derives the store's rows from the ledger prefix it
// covers and compares them row by row; a missing store while the audit
// log records ingests is a problem.
func runVerifyStore(ctx context.Context, a *app, lockTimeout time.Duration) error {
	l := a.layout()
	lk, err := a.readLock(ctx, "verify store", lockTimeout)
	if err != nil {
		return err
	}
	defer lk.Release()
	st, trail, err := a.openStoreToVerify(ctx, "verify store")
	if errors.Is(err, fs.ErrNotExist) {
		return a.nothingLoaded("")
	}
	if err != nil {
		return err
	}
	defer st.Close()
	if _, p, err := a.ledgerAsLoaded(ctx, st, ", so the store's rows cannot be re-derived"); err != nil {
		return err
	} else if p != "" {
		return a.failOne("%s", p)
	}
	rows, err := st.VerifyRows(ctx, l.Ledger)
	if err != nil {
		return err
	}
	if p := pipeline.StoreProblem(l.StoreFile, rows); p != "" {
		return a.failOne("%s", p)
	}
	// A store rebuilt from an edited ledger re-derives to itself: the
	// rows the audit log records as loaded tell it apart.
	problems, err := job.StoreRowsAgainstLog(ctx, trail.Entries, st, l.StoreFile)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		a.printFailed(problems)
		return checkFailed("store %s: %d ledger chunks differ from what the audit log records as loaded", l.StoreFile, len(problems))
	}
	if p, err := job.StoreBookkeepingAgainstLog(ctx, trail.Entries, st, l.StoreFile); err != nil {
		return err
	} else if p != "" {
		return a.failOne("%s", p)
	}
	fmt.Fprintf(a.stdout, "OK      %s: %d rows, and its duplicates, rejects and field counts, equal those re-derived from the ledger's first %d bytes\n", l.StoreFile, rows.Rows, rows.CoveredBytes)
	return nil
}

// ledgerAsLoaded checks that the ledger bytes the store loaded are
// unchanged (store.VerifyLedger), for verify ledger and verify store. It
// returns the problem found ("" when none): a changed prefix, followed by
// why that matters (then), or a store whose record of those bytes does not
// hold together. The check's result stays Intact in the second case: the
// ledger was not compared with the store.
func (a *app) ledgerAsLoaded(ctx context.Context, st *store.Store, then string) (store.LedgerCheck, string, error) {
	l := a.layout()
	res, err := st.VerifyLedger(ctx, l.Ledger)
	switch {
	case errors.Is(err, store.ErrStateEdited):
		res.Intact = true
		return res, fmt.Sprintf("store %s: %v", l.StoreFile, err), nil
	case err != nil:
		return res, "", err
	case !res.Intact:
		m := res.Modified
		return res, fmt.Sprintf("ledger %s is not append-only: already-loaded bytes %d–%d (lines %d–%d) changed%s",
			l.Ledger, m.ByteFrom, m.ByteTo, m.LineFrom, m.LineTo, then), nil
	}
	return res, "", nil
}

// missingStoreProblem is the problem of a store that is not there while
// the audit log's entries record ingests into it ("" when they record
// none).
func missingStoreProblem(l inputs.Layout, entries []audit.Entry) string {
	for _, e := range entries {
		if e.Event == audit.EventIngest {
			return fmt.Sprintf("store %s is missing, but the audit log records ingests into it (seq %d and later): it was deleted or moved", l.StoreFile, e.Seq)
		}
	}
	return ""
}

// AuditVerifyOptions are the options of `ledgerlens audit verify [FILE]`.
type AuditVerifyOptions struct {
	Path   string   // an exported log; "" is the working root's
	PubKey string   // "" is the working root's key (none: checkpoints cannot be checked)
	Kept   []string // checkpoint files an auditor kept
	// KeepHead is a new file to write the newest signed checkpoint to,
	// once the log verifies ("": none).
	KeepHead string
}

// runAuditVerify walks the audit log's hash chain and checks the log
// against every signed checkpoint it can find, printing every problem.
func runAuditVerify(ctx context.Context, a *app, opts AuditVerifyOptions) error {
	l := a.layout()
	if opts.KeepHead != "" {
		if opts.Path != "" {
			return usagef("--keep-head keeps the working root's newest checkpoint; %s is an exported log", opts.Path)
		}
		if err := checkNewFileOutside(l, "--keep-head", opts.KeepHead, "keep the witness copy off the root"); err != nil {
			return err
		}
	}
	var pub ed25519.PublicKey
	var err error
	if opts.PubKey != "" {
		pub, err = reports.LoadPublicKey(opts.PubKey)
	} else {
		pub, err = job.RootPublicKey(l) // nil: checkpoints cannot be checked
	}
	if err != nil {
		return err
	}
	path, cpFile, reviewsDir := l.AuditLog, job.AuditCheckpointsFile(l), job.OutputDirs(l)[0]
	if opts.Path != "" {
		// An exported log: no checkpoints file or reports beside it.
		path, cpFile, reviewsDir = opts.Path, "", ""
		// Named, it must be there: a mistyped path verified as an empty
		// log (an outside review).
		f, err := inputs.OpenRegular(path)
		if err != nil {
			return fmt.Errorf("audit log: %w", err)
		}
		err = notAWholeLog(a, f, path)
		f.Close()
		if err != nil {
			return err
		}
	}
	var held heldLogKey
	if opts.Path == "" {
		held, pub = holdLogKey(l, opts.PubKey, pub, a.stderr)
	}
	res, err := reconcile.AuditFiles(ctx, l, path, cpFile, reviewsDir, pub, opts.Kept)
	if err != nil {
		return err
	}
	res.Problems = append(res.Problems, held.problems(res.State.Entries, res.OK(), a.stderr)...)
	if !res.OK() {
		a.printFailed(res.Problems)
		if len(res.Problems) == 1 && res.Unchecked != "" {
			return fmt.Errorf("audit log %s: %s", path, res.Unchecked) // could not check: exit 1
		}
		return checkFailed("audit log %s: %s", path, summarize(res.Problems))
	}
	ch := res.State.Chain
	newest := "no signed checkpoint"
	if n := res.Newest(); n.Source != "" {
		newest = fmt.Sprintf("consistent with %d signed checkpoints (newest: size %d, %s)", len(res.Checkpoints), n.Checkpoint.Size, n.Source)
	}
	fmt.Fprintf(a.stdout, "OK      %s: %d entries, head seq %d hash %s; %s\n", path, ch.Entries, ch.HeadSeq, ch.HeadHash, newest)
	if opts.KeepHead != "" {
		n := res.Newest()
		if n.Source == "" {
			return fmt.Errorf("--keep-head %s: no signed checkpoint vouches for the log (no key, or none signed yet): nothing was written", opts.KeepHead)
		}
		if err := atomicfile.WriteNew(opts.KeepHead, n.Checkpoint.Note, 0o644); err != nil {
			return fmt.Errorf("--keep-head: %w", err)
		}
		fmt.Fprintf(a.stdout, "kept    %s: the newest signed checkpoint, size %d (%s)\n", opts.KeepHead, n.Checkpoint.Size, n.Source)
	}
	if res.Newest().Source == "" && ch.Entries > 0 {
		// The chain needs no key: without a signed checkpoint, a log cut
		// short or made up verifies as well as the real one.
		checked := "only its chain was checked, which anyone can make"
		if pub != nil {
			// Its entries' signatures were checked too (an outside review
			// found the warning said otherwise): what no key vouches for
			// is where the log ends.
			checked = "its chain and its entries' signatures were checked, but a copy cut short after any entry verifies as well"
		}
		fmt.Fprintf(a.stderr, "WARNING: %s: no signed checkpoint vouches for it: %s; pass --checkpoint with a checkpoint kept elsewhere (a witness copy, a bundle's audit/checkpoint) and --pubkey\n", path, checked)
	}
	return nil
}

// summarize is the error line of a check that found problems: the first
// in full, since cron mails only stderr and --quiet keeps the FAILED lines
// off stdout, and how many more there are.
func summarize(problems []string) string {
	switch len(problems) {
	case 0:
		return "no problems"
	case 1:
		return problems[0]
	}
	return fmt.Sprintf("%s; the first: %s (all of them on stdout without --quiet)", problemCount(len(problems)), problems[0])
}

// problemCount is "1 problem" or "n problems".
func problemCount(n int) string {
	if n == 1 {
		return "1 problem"
	}
	return fmt.Sprintf("%d problems", n)
}

// failedCheck is a verification that ran and found the evidence changed,
// missing or made up. It matches job.ErrIntegrity, so the command exits 4
// as a job does for the same problem (docs/RULES.md, "Exit status"); a
// check that could not run at all (no key, not a root, an unreadable
// file) is an ordinary error, exit 1.
type failedCheck struct{ msg string }

func (e *failedCheck) Error() string { return e.msg }

// Is makes errors.Is(err, job.ErrIntegrity) true.
func (e *failedCheck) Is(target error) bool { return target == job.ErrIntegrity }

// checkFailed is a failedCheck with a formatted message.
func checkFailed(format string, args ...any) error {
	return &failedCheck{msg: fmt.Sprintf(format, args...)}
}

// failOne is the one problem a check found: written on a FAILED line, as
// every verifier's problems are, and returned as the command's error.
func (a *app) failOne(format string, args ...any) error {
	err := checkFailed(format, args...)
	a.printFailed([]string{err.Error()})
	return err
}

// printFailed writes each problem on a FAILED line of its own: the lines a
// reviewer reads, before the command's one-line error on stderr.
func (a *app) printFailed(problems []string) {
	for _, p := range problems {
		// Control characters escaped: a file planted with a line feed
		// in its name printed lines of its own, "OK" among them (a
		// review of this stop's fixes).
		fmt.Fprintf(a.stdout, "FAILED  %s\n", escapeControl(p))
	}
}

// auditLogProblems reads the root's audit log and holds it to its chain
// and to every signed checkpoint found (reconcile.Audit), with the
// root's public key when this account may read it (an analyst in the
// group may not: then the chain alone). It returns the log as read and
// its problems; checkpoints there is no key to check are not its problem
// here (verify all and audit verify say so).
func (a *app) auditLogProblems(ctx context.Context) (*audit.State, []string, error) {
	l := a.layout()
	pub, err := job.RootPublicKey(l)
	if errors.Is(err, fs.ErrPermission) {
		pub, err = nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	ac, err := reconcile.Audit(ctx, l, job.OutputDirs(l)[0], pub, nil)
	if err != nil {
		return nil, nil, err
	}
	var problems []string
	for _, p := range ac.Problems {
		if p != ac.Unchecked {
			problems = append(problems, p)
		}
	}
	return ac.State, problems, nil
}

// nothingLoaded is verify store's and verify ledger's answer on a root
// with no store and no ingest recorded: OK, with what adds, when the
// ledger is there to load; an error (exit 1) when it is not: missing is
// not empty.
func (a *app) nothingLoaded(what string) error {
	l := a.layout()
	if _, err := os.Stat(l.Ledger); err != nil {
		return fmt.Errorf("no store, no ingest recorded, and no ledger to read at %s: %w", l.Rel(l.Ledger), err)
	}
	fmt.Fprintf(a.stdout, "OK      no store and no ingest recorded%s\n", what)
	return nil
}

// openStoreToVerify opens the store read-only for a verify command
// (pipeline.OpenStoreToCheck): a damaged store, or one whose directory
// cannot be trusted, is a failed check (exit 4), said as such
// rather than as the engine's abort, and so is a missing store while the
// audit log records ingests into it (verify ledger exited 1 there, and
// verify store 4: an outside review), or published files with no audit
// log to record them (job.CheckPublishedRecorded). A missing store the log
// records no ingest into is an error wrapping fs.ErrNotExist. It returns
// the audit log as it verified it, which the command reads on.
func (a *app) openStoreToVerify(ctx context.Context, command string) (*store.Store, *audit.State, error) {
	// Published files with no record of them is a state directory lost,
	// as every job says: verify store said "OK no store and no ingest
	// recorded", and verify ledger named only the missing store file
	// (an outside review).
	var lost *job.IntegrityError
	if err := job.CheckPublishedRecorded(a.layout()); errors.As(err, &lost) {
		a.printFailed(lost.Problems)
		return nil, nil, checkFailed("%s", summarize(lost.Problems))
	} else if err != nil {
		return nil, nil, err
	}
	// The log the store is held to must hold together: its chain, and
	// against the signed checkpoints (the reports' too). A log cut to one
	// line, or replaced by a byte, beside published files made verify
	// store say "OK no store and no ingest recorded" (a review of this
	// stop's fixes).
	trail, problems, err := a.auditLogProblems(ctx)
	if err != nil {
		return nil, nil, err
	}
	if len(problems) > 0 {
		a.printFailed(problems)
		return nil, nil, checkFailed("%s", summarize(problems))
	}
	st, problems, err := pipeline.OpenStoreToCheck(ctx, a.env(command, 0))
	switch {
	case err != nil:
		return nil, nil, err
	case len(problems) > 0:
		a.printFailed(problems)
		return nil, nil, checkFailed("%s", summarize(problems))
	case st == nil:
		if p := missingStoreProblem(a.layout(), trail.Entries); p != "" {
			return nil, nil, a.failOne("%s", p)
		}
		return nil, nil, fmt.Errorf("store %s: %w", a.layout().StoreFile, fs.ErrNotExist)
	}
	return st, trail, nil
}

// notAWholeLog refuses, as a misuse (exit 2), an evidence bundle, which
// audit verify read as a log broken at its first line; and for a log that
// begins after seq 1, as a bundle's audit/segment.jsonl does, it says
// what that may be before the check fails it (exit 4: it may as well be a
// log cut at its head). Both were reported as a tampered log of genuine
// evidence, and nothing more (an outside review); `verify BUNDLE.zip`
// checks a segment against its bundle's checkpoint and proofs.
func notAWholeLog(a *app, f *os.File, path string) error {
	head := make([]byte, 4)
	if n, _ := f.ReadAt(head, 0); n == 4 && string(head) == "PK\x03\x04" {
		return usagef("%s is a zip archive, not an audit log: an evidence bundle is checked with 'ledgerlens verify --pubkey KEY %s'", path, path)
	}
	line, err := bufio.NewReader(io.NewSectionReader(f, 0, 1<<20)).ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("audit log %s: %w", path, err)
	}
	var first struct {
		Seq int64 `json:"seq"`
	}
	if json.Unmarshal(line, &first) == nil && first.Seq > 1 {
		fmt.Fprintf(a.stderr, "NOTE: %s begins at audit seq %d, not 1: a log whose first entries were removed, or a segment of one (an evidence bundle's audit/segment.jsonl, which 'ledgerlens verify --pubkey KEY BUNDLE.zip' checks against the bundle's checkpoint and proofs); audit verify checks a whole log\n", path, first.Seq)
	}
	return nil
}
