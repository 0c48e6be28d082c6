package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/pipeline"
	"github.com/ledgerlens/ledgerlens/reports"
)

func newKeysCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the Ed25519 signing key pair",
	}
	gen := &cobra.Command{
		Use:   "generate",
		Short: "Create .ledgerlens/keys/signing.key (PKCS #8, mode 0600) and signing.pub (SPKI)",
		Example: `  ledgerlens --root /srv/ledger keys generate
  # verify later without ledgerlens:
  openssl pkey -pubin -in .ledgerlens/keys/signing.pub -noout -text`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runKeysGenerate(cmd.Context(), a)
		},
	}
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Replace the signing key pair, keeping the old public key under .ledgerlens/keys/retired/",
		Long: `rotate checks the audit log with the current key, keeps the current public
key as .ledgerlens/keys/retired/<key id>.pub, puts a new pair in its place,
records key_rotated and signs a checkpoint of the whole log with the new key.
The old private key is removed. Reports signed before the rotation verify
with the current key and the root (verify --root R --pubkey CURRENT FILE):
the root's audit log vouches for the retired key, and only for files
published before its rotation. A retired key given alone as --pubkey vouches
for anything it signed, a leaked key's forgery too. A key pair replaced by hand is
refused by every later job (exit 4): entries that no checkpoint of the
current key covers must carry its signature.`,
		Example: `  ledgerlens --root /srv/ledger keys rotate
  # a report signed before the rotation:
  ledgerlens --root /srv/ledger verify --pubkey signing.pub /srv/ledger/runs/CREDIT_REVIEWS/weekly_2026-11-16.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runKeysRotate(cmd.Context(), a)
		},
	}
	cmd.AddCommand(gen, rotate)
	return cmd
}

// runKeysRotate replaces the signing key pair and prints the new one.
func runKeysRotate(ctx context.Context, a *app) error {
	return a.printKey(pipeline.RotateKey(ctx, a.env("keys rotate", 0)))
}

// runKeysGenerate creates the signing key pair and prints where it is.
func runKeysGenerate(ctx context.Context, a *app) error {
	return a.printKey(pipeline.GenerateKey(ctx, a.env("keys generate", 0)))
}

// printKey prints a key pair made by generate or rotate.
func (a *app) printKey(info reports.KeyInfo, err error) error {
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "key id %s\nprivate key %s (mode 0600)\npublic key %s\n", info.KeyID, info.PrivatePath, info.PublicPath)
	return nil
}
