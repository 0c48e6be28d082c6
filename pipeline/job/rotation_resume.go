package job

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ledgerlens/ledgerlens/pipeline/atomicfile"
	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/reports"
)

// A key rotation (`keys rotate`) works in a staging directory beside the
// keys, RotationStaging: the new pair is made there, the old private key
// is linked there as RetiringKeyFile before the new pair replaces it, and
// the directory is removed once key_rotated is in the log. A rotation
// killed before then leaves the directory behind, and with it the old
// private key, without which no rotation could ever be recorded (the old
// key signs it). The next job settles it first (resumeRotation).
const (
	rotationStagingPrefix = ".rotate-"
	// RetiringKeyFile is the old private key, set aside in the staging
	// directory for as long as the rotation is not recorded.
	RetiringKeyFile = "retiring.key"
)

// RotationStaging is the staging directory of a rotation away from the
// key oldID.
func RotationStaging(l inputs.Layout, oldID string) string {
	return filepath.Join(l.KeysDir, rotationStagingPrefix+oldID)
}

// resumeRotation settles every rotation a kill left unfinished; Run calls
// it under the lock, before the log is opened. A rotation the log records
// (a key_rotated entry the retiring key signed) is finished: its staging
// directory goes. One it does not record is undone: the old pair is put
// back in place, as it was before the rotation began, and the operator
// runs `keys rotate` again. A staging directory without a retiring key
// (killed before the old key was set aside) is removed when the pair in
// place is still the key it names; any other is left alone for the
// operator, and the pair in place is checked as always. It returns the ids
// of the keys put back, for Run to record once the log is open.
func resumeRotation(env Env) (undone []string, err error) {
	l := env.Layout
	dirs, err := filepath.Glob(filepath.Join(l.KeysDir, rotationStagingPrefix+"*"))
	if err != nil {
		return nil, err
	}
	for _, staging := range dirs {
		retiring := filepath.Join(staging, RetiringKeyFile)
		old, err := reports.LoadSigner(retiring)
		if errors.Is(err, fs.ErrNotExist) {
			if s, err := RootSigner(l); err == nil && s != nil && staging == RotationStaging(l, s.KeyID()) {
				if err := os.RemoveAll(staging); err != nil {
					return undone, fmt.Errorf("interrupted key rotation: %w", err)
				}
			}
			continue
		}
		if err != nil {
			return undone, fmt.Errorf("interrupted key rotation %s: %w", l.Rel(staging), err)
		}
		recorded, err := rotationRecorded(l, old.Public())
		if err != nil {
			return undone, fmt.Errorf("interrupted key rotation %s: %w", l.Rel(staging), err)
		}
		if !recorded {
			// Only the key the trail was last vouched for with is put
			// back: a key planted here by someone without it is left
			// alone (and the pair in place is checked as always).
			if ok, err := signedNewestCheckpoint(l, old.Public()); err != nil || !ok {
				if err == nil {
					err = fmt.Errorf("%s is key %s, which did not sign the newest audit checkpoint: not undone (restore the key pair by hand)", l.Rel(retiring), old.KeyID())
				}
				return undone, integrityErrorf("interrupted key rotation: %v", err)
			}
			// The public half first: killed between the two, the
			// retiring key is still there and this runs again.
			pubPEM, err := reports.PublicKeyPEM(old.Public())
			if err != nil {
				return undone, fmt.Errorf("interrupted key rotation: %w", err)
			}
			if err := atomicfile.WriteFile(filepath.Join(l.KeysDir, reports.PublicKeyFile), pubPEM, 0o644); err != nil {
				return undone, fmt.Errorf("undo interrupted key rotation: %w", err)
			}
			if err := os.Rename(retiring, filepath.Join(l.KeysDir, reports.PrivateKeyFile)); err != nil {
				return undone, fmt.Errorf("undo interrupted key rotation: %w", err)
			}
			if err := atomicfile.SyncDir(l.KeysDir); err != nil {
				return undone, fmt.Errorf("undo interrupted key rotation: %w", err)
			}
			env.Log.Warn("a key rotation was interrupted before the audit log recorded it: the previous key pair is back in place; run 'ledgerlens keys rotate' again",
				"key_id", old.KeyID())
			undone = append(undone, old.KeyID())
		}
		if err := os.RemoveAll(staging); err != nil {
			return undone, fmt.Errorf("interrupted key rotation: %w", err)
		}
	}
	return undone, nil
}

// signedNewestCheckpoint reports whether pub signed the newest checkpoint
// of the checkpoints file.
func signedNewestCheckpoint(l inputs.Layout, pub ed25519.PublicKey) (bool, error) {
	stored, err := audit.ReadCheckpoints(AuditCheckpointsFile(l))
	if err != nil || len(stored) == 0 {
		return false, err
	}
	v, err := audit.NewCheckpointVerifier(reports.KeyID(pub), pub)
	if err != nil {
		return false, err
	}
	_, err = audit.OpenCheckpoint([]byte(stored[len(stored)-1].Note), v)
	return err == nil, nil
}

// rotationRecorded reports whether the log holds a key_rotated entry
// retiring old: signed by old's statement (from_key_sig) and by the key
// it names as new. Nobody without those keys can make one up.
func rotationRecorded(l inputs.Layout, old ed25519.PublicKey) (bool, error) {
	st, err := audit.Load(l.AuditLog)
	if err != nil {
		return false, err
	}
	for _, e := range st.Entries {
		if from, to, ok := rotation(e); ok && from.Equal(old) && e.SignedBy(to) {
			return true, nil
		}
	}
	return false, nil
}
