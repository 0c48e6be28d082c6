package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/pipeline"
	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

func newVerifyCmd(a *app) *cobra.Command {
	var (
		pubPath     string
		lockTimeout time.Duration
	)
	loadPub := func() (ed25519.PublicKey, error) { return loadPublicKey(a, pubPath) }
	cmd := &cobra.Command{
		Use:         "verify FILE...",
		Annotations: noRoot,
		Short:       "Check published files' SHA-256 sidecars and Ed25519 signatures",
		Long: `verify checks each FILE against FILE.sha256 and FILE.sig, offline, with the
public key from .ledgerlens/keys/signing.pub or --pubkey. It says which check
failed for which file and exits 1 if any did. A FILE ending in .zip is an
evidence bundle: its own sidecar and signature and every file and audit entry
inside it are checked (with the bundled key when no other is at hand).

Subcommands check the ledger's append-only property and everything at once.`,
		Example: `  ledgerlens verify runs/CREDIT_REVIEWS/weekly_2026-11-16.json runs/CREDIT_REVIEWS/weekly_2026-11-16.xlsx
  ledgerlens verify --pubkey signing.pub weekly_2026-11-16.json
  ledgerlens verify ledger
  ledgerlens verify all`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(a, VerifyOptions{PubKey: pubPath, Files: args})
		},
	}
	cmd.PersistentFlags().StringVar(&pubPath, "pubkey", "", "public key PEM (default <root>/.ledgerlens/keys/signing.pub)")
	cmd.PersistentFlags().DurationVar(&lockTimeout, "lock-timeout", defaultReadLockTimeout,
		"verify ledger, verify all: wait this long while a job holds the store before exiting 75")

	ledgerCmd := &cobra.Command{
		Use:     "ledger",
		Short:   "Check that the ledger prefix the store loaded is unchanged (append-only)",
		Example: `  ledgerlens --root /srv/ledger verify ledger`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerifyLedger(cmd.Context(), a, lockTimeout)
		},
	}
	allCmd := &cobra.Command{
		Use:   "all",
		Short: "The daily integrity check: ledger append-only, audit chain, every published artifact",
		Example: `  ledgerlens --root /srv/ledger verify all
  ledgerlens verify all --pubkey /etc/ledgerlens/signing.pub`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			pub, err := loadPub()
			if err != nil {
				return err
			}
			return runVerifyAll(cmd.Context(), a, pub, lockTimeout)
		},
	}
	cmd.AddCommand(ledgerCmd, allCmd)
	return cmd
}

func newAuditCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Inspect the tamper-evident audit log",
	}
	verify := &cobra.Command{
		Use:   "verify [FILE]",
		Short: "Walk the hash chain of .ledgerlens/audit.jsonl and name the first broken entry",
		Example: `  ledgerlens --root /srv/ledger audit verify
  ledgerlens audit verify exported/audit.jsonl`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := ""
			if len(args) == 1 {
				path = args[0]
			}
			return runAuditVerify(a, path)
		},
	}
	cmd.AddCommand(verify)
	return cmd
}

// runVerifyAll is `verify all`: the integrity check, read-only (nothing
// written; the lock is held only so that a running job is waited for, not
// mistaken for a problem), printing every problem it finds. pub checks
// signatures (nil: sidecars only).
func runVerifyAll(ctx context.Context, a *app, pub ed25519.PublicKey, lockTimeout time.Duration) error {
	lk, err := a.readLock(ctx, "verify all", lockTimeout)
	if err != nil {
		return err
	}
	rep, err := pipeline.CheckIntegrity(ctx, a.env("verify all", 0), pub)
	// Released before notifying: delivery takes the lock to audit itself.
	lk.Release()
	if err != nil {
		return err
	}
	ledgerState := "append-only"
	switch {
	case !rep.Ledger.Intact:
		ledgerState = "MODIFIED"
	case len(rep.Unacknowledged) > 0:
		ledgerState = fmt.Sprintf("MODIFIED earlier, %d modifications not acknowledged", len(rep.Unacknowledged))
	}
	fmt.Fprintf(a.stdout, "ledger: %s\naudit: %d entries\nartifacts: %d checked\n",
		ledgerState, rep.Audit.Entries, len(rep.Artifacts))
	for _, p := range rep.Problems {
		fmt.Fprintf(a.stdout, "FAILED  %s\n", p)
	}
	if !rep.OK() {
		_ = a.notifyIntegrity(ctx, rep.Problems, "verify all: notify", false) // logged and audited
		return fmt.Errorf("integrity check failed: %d problems", len(rep.Problems))
	}
	fmt.Fprintln(a.stdout, "OK")
	return nil
}

// loadPublicKey reads the public key signatures are checked with: pubPath,
// else the working root's.
func loadPublicKey(a *app, pubPath string) (ed25519.PublicKey, error) {
	p := pubPath
	if p == "" {
		p = filepath.Join(a.layout().KeysDir, reports.PublicKeyFile)
	}
	pub, err := reports.LoadPublicKey(p)
	if err != nil {
		if pubPath == "" && errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no public key at %s: pass --pubkey PATH (signatures cannot be checked without it)", p)
		}
		return nil, err
	}
	return pub, nil
}

// VerifyOptions are the options of `ledgerlens verify FILE...`.
type VerifyOptions struct {
	PubKey string   // "" is the working root's key
	Files  []string // published files and evidence bundles (.zip)
}

// runVerify checks each file's sidecar and signature, and each evidence
// bundle inside out, printing one line per file.
func runVerify(a *app, opts VerifyOptions) error {
	// Evidence bundles (.zip) are checked inside out by evidence.go.
	var bundles, files []string
	for _, p := range opts.Files {
		if strings.HasSuffix(p, ".zip") {
			bundles = append(bundles, p)
		} else {
			files = append(files, p)
		}
	}
	failed, err := verifyBundles(a, bundles, opts.PubKey)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		if failed > 0 {
			return fmt.Errorf("%d of %d evidence bundles failed verification", failed, len(bundles))
		}
		return nil
	}
	pub, err := loadPublicKey(a, opts.PubKey)
	if err != nil {
		return err
	}
	for _, path := range files {
		check, err := reports.VerifyFile(path, pub)
		if err != nil && !errors.Is(err, reports.ErrVerification) {
			return err
		}
		if check.OK() {
			fmt.Fprintf(a.stdout, "OK      %s (sha256 %s, signed by key %s)\n", path, check.SHA256, check.KeyID)
			continue
		}
		failed++
		fmt.Fprintf(a.stdout, "FAILED  %s: %s\n", path, strings.Join(check.Problems(), "; "))
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files failed verification", failed, len(files)+len(bundles))
	}
	return nil
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
	st, err := store.Open(ctx, l.StoreFile, store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.VerifyLedger(ctx, l.Ledger)
	if err != nil {
		return err
	}
	if !res.Intact {
		m := res.Modified
		return fmt.Errorf("ledger %s is not append-only: already-loaded bytes %d–%d (lines %d–%d) changed",
			l.Ledger, m.ByteFrom, m.ByteTo, m.LineFrom, m.LineTo)
	}
	// A modification found earlier (the store has since been rebuilt
	// from the changed ledger) fails until acknowledged.
	mods, err := job.LedgerModifications(l.AuditLog)
	if err != nil {
		return err
	}
	if pending := job.Unacknowledged(mods); len(pending) > 0 {
		for _, m := range pending {
			fmt.Fprintf(a.stdout, "FAILED  %s\n", m.Problem())
		}
		return fmt.Errorf("ledger %s: %d unacknowledged modifications", l.Ledger, len(pending))
	}
	fmt.Fprintf(a.stdout, "OK      %s: the %d bytes loaded are unchanged; %d bytes appended since\n",
		l.Ledger, res.CoveredBytes, res.AppendedBytes)
	return nil
}

// runAuditVerify walks the audit log's hash chain (path "" is the working
// root's log).
func runAuditVerify(a *app, path string) error {
	if path == "" {
		path = a.layout().AuditLog
	}
	res, err := audit.VerifyFile(path)
	if err != nil {
		return err
	}
	if !res.OK() {
		return fmt.Errorf("audit log %s: %w", path, res.Err())
	}
	fmt.Fprintf(a.stdout, "OK      %s: %d entries, head seq %d hash %s\n", path, res.Entries, res.HeadSeq, res.HeadHash)
	return nil
}
