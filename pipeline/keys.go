package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ledgerlens/ledgerlens/pipeline/atomicfile"
	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
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
	if _, err := os.Stat(filepath.Join(l.KeysDir, reports.PrivateKeyFile)); errors.Is(err, fs.ErrNotExist) {
		if err := checkNoEarlierKey(l); err != nil {
			return reports.KeyInfo{}, err
		}
	}
	if err := job.CreateKeysDir(l); err != nil {
		return reports.KeyInfo{}, err
	}
	info, err := reports.GenerateKey(l.KeysDir, rand.Reader)
	if err != nil {
		return info, err
	}
	log, err := audit.Open(l.AuditLog, env.Now)
	if err != nil {
		return info, err
	}
	sign, err := job.EntrySigner(l)
	if err != nil {
		return info, err
	}
	log.SignWith(sign)
	if _, err = log.Append(context.WithoutCancel(ctx), audit.EventKeyGenerated, map[string]any{
		"key_id": info.KeyID, "public_key": l.Rel(info.PublicPath)}); err != nil {
		return info, err
	}
	return info, job.SealTrail(env, "keys generate")
}

// checkNoEarlierKey refuses a first key for a root whose log already
// records one (key_generated, key_rotated) or holds signed checkpoints: its
// pair was moved away or lost, and a new one would sign a checkpoint over
// a log nobody checked, while every later job refuses the old key's
// checkpoints anyway.
func checkNoEarlierKey(l inputs.Layout) error {
	// A log whose chain does not hold may hide a key_generated entry.
	chain, err := audit.VerifyFile(l.AuditLog)
	if err != nil {
		return fmt.Errorf("keys generate: %w", err)
	}
	if !chain.OK() {
		return job.Blocked(fmt.Errorf("keys generate: the audit log %s does not verify (%v): a first key is made only for a log that holds together; restore the log and the key pair",
			l.Rel(l.AuditLog), chain.Err()))
	}
	st, err := audit.Load(l.AuditLog)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("keys generate: %w", err)
	}
	if st != nil {
		for _, e := range st.Entries {
			if e.Event == audit.EventKeyGenerated || e.Event == audit.EventKeyRotated {
				id, _ := e.Fields["key_id"].(string)
				if id == "" {
					id, _ = e.Fields["to_key_id"].(string)
				}
				return job.Blocked(fmt.Errorf("keys generate: the audit log already records signing key %s (%s at audit seq %d): restore that key pair under %s (keys rotate replaces a key you hold); if it is lost, start a new root — what it signed stays verifiable with its public key",
					id, e.Event, e.Seq, l.Rel(l.KeysDir)))
			}
		}
	}
	cps, err := audit.ReadCheckpoints(job.AuditCheckpointsFile(l))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("keys generate: %w", err)
	}
	if len(cps) > 0 {
		return job.Blocked(fmt.Errorf("keys generate: %s holds %d signed checkpoints of an earlier key: restore that key pair under %s; if it is lost, start a new root",
			l.Rel(job.AuditCheckpointsFile(l)), len(cps), l.Rel(l.KeysDir)))
	}
	// Nothing in the state directory names a key, but signed files in the
	// output directories say one existed: the state directory was lost
	// (a mount that did not come up, a restore that missed it), and a new
	// key would start a new audit chain beside them.
	// The default reports directory too: output_dir may have been
	// pointed elsewhere since.
	dir, signed, err := job.PublishedFiles(l, reports.SignatureExt)
	if err != nil {
		return fmt.Errorf("keys generate: %w", err)
	}
	if len(signed) > 0 {
		return job.Blocked(fmt.Errorf("keys generate: %s holds %d signed files (%s, …) that no audit log here records: the state directory %s was lost, moved or not mounted; restore it (its audit log and key pair) — to start a new history instead, move the published files away first",
			l.Rel(dir), len(signed), signed[0], l.Rel(l.StateDir)))
	}
	return nil
}

// RotateKey replaces the signing key pair as a job: the audit log is
// verified with the current key first (every job does that), the current
// public key is kept under RetiredKeysDir, a new pair takes its place, and
// key_rotated is recorded and the log checkpointed with the new key, which
// thereby vouches for every entry before it (docs/COMPLIANCE.md,
// "Integrity"). The old private key is removed. A key pair swapped by
// hand instead is refused by every later job: entries no checkpoint of
// the current key covers must carry its signature.
func RotateKey(ctx context.Context, env job.Env) (reports.KeyInfo, error) {
	l := env.Layout
	var info reports.KeyInfo
	err := job.Run(ctx, env, job.NameKeysRotate, nil, func(ctx context.Context, j *job.Job) (job.Outcome, error) {
		// The old private key signs the rotation: without it nothing can
		// be retired (a pair replaced by someone without it is refused).
		old, err := job.RootSigner(l)
		if err != nil {
			return job.Outcome{}, err
		}
		if old == nil {
			return job.Outcome{}, job.Blocked(errors.New("no signing key to rotate: the current private key signs the rotation (run 'ledgerlens keys generate' on a root without one)"))
		}
		oldPub, oldID := old.Public(), old.KeyID()
		// The new pair is made beside the old one and moved into place;
		// the old public key is kept first, and the old private key is
		// set aside in the staging directory until key_rotated is
		// recorded, so no step loses either: a rotation killed before
		// then is undone by the next job (job.RotationStaging).
		staging := job.RotationStaging(l, oldID)
		if err := os.RemoveAll(staging); err != nil {
			return job.Outcome{}, err
		}
		next, err := reports.GenerateKey(staging, rand.Reader)
		if err != nil {
			return job.Outcome{}, err
		}
		retired := filepath.Join(job.RetiredKeysDir(l.KeysDir), oldID+".pub")
		if err := os.MkdirAll(filepath.Dir(retired), 0o700); err != nil {
			return job.Outcome{}, err
		}
		pubPEM, err := os.ReadFile(filepath.Join(l.KeysDir, reports.PublicKeyFile))
		if err != nil {
			return job.Outcome{}, err
		}
		if err := atomicfile.WriteFile(retired, pubPEM, 0o644); err != nil {
			return job.Outcome{}, err
		}
		if err := os.Link(filepath.Join(l.KeysDir, reports.PrivateKeyFile), filepath.Join(staging, job.RetiringKeyFile)); err != nil {
			return job.Outcome{}, fmt.Errorf("rotate signing key: set the old key aside: %w", err)
		}
		if err := atomicfile.SyncDir(staging); err != nil {
			return job.Outcome{}, err
		}
		for _, f := range []string{reports.PrivateKeyFile, reports.PublicKeyFile} {
			if err := os.Rename(filepath.Join(staging, f), filepath.Join(l.KeysDir, f)); err != nil {
				return job.Outcome{}, fmt.Errorf("rotate signing key: %w", err)
			}
		}
		if err := atomicfile.SyncDir(l.KeysDir); err != nil {
			return job.Outcome{}, err
		}
		s, err := reports.LoadSigner(filepath.Join(l.KeysDir, reports.PrivateKeyFile))
		if err != nil {
			return job.Outcome{}, err
		}
		j.SignEntriesWith(s.Sign)
		info = next
		info.PrivatePath = filepath.Join(l.KeysDir, reports.PrivateKeyFile)
		info.PublicPath = filepath.Join(l.KeysDir, reports.PublicKeyFile)
		if err := j.Audit(ctx, audit.EventKeyRotated, map[string]any{
			"from_key_id": oldID, "to_key_id": next.KeyID, "retired_public_key": l.Rel(retired),
			// The keys themselves, and the old key's word for the new one:
			// verify all checks what the old key signed with it.
			"from_public_key": base64.StdEncoding.EncodeToString(oldPub),
			"to_public_key":   base64.StdEncoding.EncodeToString(next.Public),
			"from_key_sig":    base64.StdEncoding.EncodeToString(old.Sign(audit.RotationStatement(oldID, next.KeyID, next.Public))),
		}); err != nil {
			// Not recorded (a full disk, say): the rotation is settled
			// now, as the next job would settle it, before this job's end
			// signs its checkpoint with the pair in place: the new key,
			// which no rotation in the log names, would have every later
			// job refuse the log.
			if _, serr := job.SettleRotations(env); serr != nil {
				return job.Outcome{}, errors.Join(err, serr)
			}
			if s, serr := job.RootSigner(l); serr == nil && s != nil {
				j.SignEntriesWith(s.Sign)
			}
			return job.Outcome{}, err
		}
		// Recorded: the old private key goes (a kill before this leaves it
		// for the next job, which finds the rotation recorded).
		if err := os.RemoveAll(staging); err != nil {
			return job.Outcome{}, fmt.Errorf("rotate signing key: remove the old key: %w", err)
		}
		return job.Outcome{Fields: map[string]any{"key_id": next.KeyID}}, nil
	})
	return info, err
}
