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

// SettleRotations is resumeRotation for `keys rotate` itself, when it
// could not record the rotation: the pair it put in place goes back
// before the job's end signs its checkpoint with it. It returns the ids of
// the keys put back.
func SettleRotations(env Env) ([]string, error) { return resumeRotation(env) }

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
		// Only what keys rotate itself leaves is settled: a directory
		// holding a regular key file. A symbolic link is never followed
		// (it could name the signing key itself, or anything else).
		if fi, err := os.Lstat(staging); err != nil || !fi.IsDir() {
			continue
		}
		fi, err := os.Lstat(retiring)
		if errors.Is(err, fs.ErrNotExist) {
			if s, err := RootSigner(l); err == nil && s != nil && staging == RotationStaging(l, s.KeyID()) {
				if err := removeUnrecordedRetired(l, s.KeyID()); err != nil {
					return undone, err
				}
				if err := os.RemoveAll(staging); err != nil {
					return undone, fmt.Errorf("interrupted key rotation: %w", err)
				}
			}
			continue
		}
		if err != nil {
			return undone, fmt.Errorf("interrupted key rotation %s: %w", l.Rel(staging), err)
		}
		if !fi.Mode().IsRegular() {
			return undone, integrityErrorf("interrupted key rotation: %s is not a regular file: not undone (settle it by hand)", l.Rel(retiring))
		}
		old, err := reports.LoadSigner(retiring)
		if err != nil {
			return undone, fmt.Errorf("interrupted key rotation %s: %w", l.Rel(staging), err)
		}
		st, err := audit.Load(l.AuditLog)
		if err != nil {
			return undone, fmt.Errorf("interrupted key rotation %s: %w", l.Rel(staging), err)
		}
		current, _ := reports.LoadSigner(filepath.Join(l.KeysDir, reports.PrivateKeyFile))
		switch {
		case rotationRecorded(st.Entries, old.Public()):
			// Finished: the old key goes with the staging directory.
		case current != nil && current.Public().Equal(old.Public()):
			// Killed before the new pair replaced the old one: nothing
			// to undo.
		default:
			// Only the key the log itself names as the signing key is
			// put back: someone without it cannot make one up.
			if !logNamesSigningKey(st.Entries, old.Public()) {
				return undone, integrityErrorf("interrupted key rotation: %s is key %s, which is not the signing key the audit log names (key_generated and the key_rotated entries after it): not undone (restore the key pair by hand)",
					l.Rel(retiring), old.KeyID())
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
			env.Log.Error("a key rotation was interrupted before the audit log recorded it: the previous key pair is back in place; run 'ledgerlens keys rotate' again (the old key is still the signing key)",
				"key_id", old.KeyID())
			undone = append(undone, old.KeyID())
		}
		if !rotationRecorded(st.Entries, old.Public()) {
			if err := removeUnrecordedRetired(l, old.KeyID()); err != nil {
				return undone, err
			}
		}
		if err := os.RemoveAll(staging); err != nil {
			return undone, fmt.Errorf("interrupted key rotation: %w", err)
		}
	}
	return undone, nil
}

// removeUnrecordedRetired removes the copy of key id's public key that an
// interrupted rotation kept under RetiredKeysDir before the log recorded
// it, unless a key_rotated entry names id as retired: the key is not
// retired, and verify all holds that directory to the rotations the log
// records (RetiredKeyProblems).
func removeUnrecordedRetired(l inputs.Layout, id string) error {
	st, err := audit.Load(l.AuditLog)
	if err != nil {
		return fmt.Errorf("interrupted key rotation: %w", err)
	}
	for _, e := range st.Entries {
		if e.Event == audit.EventKeyRotated && e.Fields["from_key_id"] == id {
			return nil
		}
	}
	if err := os.Remove(filepath.Join(RetiredKeysDir(l.KeysDir), id+".pub")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("interrupted key rotation: %w", err)
	}
	return nil
}

// rotationRecorded reports whether entries hold a key_rotated entry
// retiring old: signed by old's statement (from_key_sig) and by the key
// it names as new. Nobody without those keys can make one up.
func rotationRecorded(entries []audit.Entry, old ed25519.PublicKey) bool {
	for _, e := range entries {
		if from, to, ok := rotation(e); ok && from.Equal(old) && e.SignedBy(to) {
			return true
		}
	}
	return false
}

// logNamesSigningKey reports whether key is the signing key the log
// names: the key its key_generated entry names (key_id) and is signed by,
// followed through every key_rotated entry after it that the key it
// retires and the key it names both signed. Forging that means rewriting
// the log from its first entry, which every checkpoint made since, and
// each report's own, would contradict.
func logNamesSigningKey(entries []audit.Entry, key ed25519.PublicKey) bool {
	// The first key's public half is in the first rotation away from it,
	// or, before any rotation, it is key itself.
	candidates := []ed25519.PublicKey{key}
	for _, e := range entries {
		if from, _, ok := rotation(e); ok {
			candidates = append(candidates, from)
		}
	}
	var cur ed25519.PublicKey
	for i, e := range entries {
		if e.Event != audit.EventKeyGenerated {
			continue
		}
		id, _ := e.Fields["key_id"].(string)
		for _, c := range candidates {
			if reports.KeyID(c) == id && e.SignedBy(c) {
				cur = c
				break
			}
		}
		if cur == nil {
			return false
		}
		for _, r := range entries[i+1:] {
			if from, to, ok := rotation(r); ok && from.Equal(cur) && r.SignedBy(to) {
				cur = to
			}
		}
		return cur.Equal(key)
	}
	return false
}

// PendingRotationProblems says, for verify all, that a `keys rotate` was
// interrupted: until the next job settles it (resumeRotation), the key
// pair in place may be the new one the log does not know yet, and the
// signatures, checkpoints and entries checked against it fail. One line
// naming the rotation comes first, so those failures are read as what
// they are.
func PendingRotationProblems(l inputs.Layout) []string {
	dirs, err := filepath.Glob(filepath.Join(l.KeysDir, rotationStagingPrefix+"*"))
	if err != nil {
		return nil
	}
	var out []string
	for _, staging := range dirs {
		if fi, err := os.Lstat(staging); err == nil && fi.IsDir() {
			out = append(out, fmt.Sprintf("%s: a key rotation was interrupted; the next job undoes it (or finishes it, if the audit log records it), and the key problems listed with it may be its doing: run any job (e.g. 'ledgerlens ingest'), then 'ledgerlens keys rotate' if it was undone, then verify again",
				l.Rel(staging)))
		}
	}
	return out
}
