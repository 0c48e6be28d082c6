package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
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
			l := a.layout()
			if err := os.MkdirAll(l.StateDir, 0o750); err != nil {
				return err
			}
			info, err := reports.GenerateKey(l.KeysDir, rand.Reader)
			if err != nil {
				return err
			}
			log, err := audit.Open(l.AuditLog, time.Now)
			if err != nil {
				return err
			}
			if _, err := log.Append(context.WithoutCancel(cmd.Context()), audit.EventKeyGenerated, map[string]any{
				"key_id": info.KeyID, "public_key": l.Rel(info.PublicPath)}); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "key id %s\nprivate key %s (mode 0600)\npublic key %s\n", info.KeyID, info.PrivatePath, info.PublicPath)
			return nil
		},
	}
	cmd.AddCommand(gen)
	return cmd
}
