package main

import (
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
			info, err := pipeline.GenerateKey(cmd.Context(), a.env("keys generate", 0))
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "key id %s\nprivate key %s (mode 0600)\npublic key %s\n", info.KeyID, info.PrivatePath, info.PublicPath)
			return nil
		},
	}
	cmd.AddCommand(gen)
	return cmd
}
