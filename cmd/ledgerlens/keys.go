package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ledgerlens/ledgerlens/pipeline"
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
	cmd.AddCommand(gen)
	return cmd
}

// runKeysGenerate creates the signing key pair and prints where it is.
func runKeysGenerate(ctx context.Context, a *app) error {
	info, err := pipeline.GenerateKey(ctx, a.env("keys generate", 0))
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "key id %s\nprivate key %s (mode 0600)\npublic key %s\n", info.KeyID, info.PrivatePath, info.PublicPath)
	return nil
}
