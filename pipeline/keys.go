package pipeline

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/reports"
)

// GenerateKey creates the signing key pair under the state directory and
// records the key_generated event. It refuses to replace an existing key.
func GenerateKey(ctx context.Context, env job.Env) (reports.KeyInfo, error) {
	l := env.Layout
	if err := os.MkdirAll(l.StateDir, 0o750); err != nil {
		return reports.KeyInfo{}, fmt.Errorf("create state directory: %w", err)
	}
	info, err := reports.GenerateKey(l.KeysDir, rand.Reader)
	if err != nil {
		return info, err
	}
	log, err := audit.Open(l.AuditLog, env.Now)
	if err != nil {
		return info, err
	}
	if _, err = log.Append(context.WithoutCancel(ctx), audit.EventKeyGenerated, map[string]any{
		"key_id": info.KeyID, "public_key": l.Rel(info.PublicPath)}); err != nil {
		return info, err
	}
	return info, job.SealTrail(env, "keys generate")
}
