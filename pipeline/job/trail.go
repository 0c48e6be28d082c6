package job

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/ledgerlens/ledgerlens/pipeline/atomicfile"
	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/reports"
)

// integrityErrorf is an integrity problem of the evidence itself: an audit
// log that is edited, truncated or inconsistent with a signed checkpoint, a
// signing key that does not match signing.pub, a store that does not match
// the ledger. It matches ErrIntegrity (exit 4); jobs refuse to extend or
// publish from such state.
func integrityErrorf(format string, args ...any) error {
	return &IntegrityError{Problems: []string{fmt.Sprintf(format, args...)}}
}

// AuditCheckpointsFile is where jobs append the signed checkpoints of the
// audit log: .ledgerlens/audit.checkpoints.
func AuditCheckpointsFile(l inputs.Layout) string {
	return filepath.Join(l.StateDir, "audit.checkpoints")
}

// CheckKeyPair refuses a private key whose public half is not signing.pub:
// everything it signed would fail verification afterwards.
func CheckKeyPair(l inputs.Layout, s *reports.Signer) error {
	pub, err := RootPublicKey(l)
	if err != nil {
		return fmt.Errorf("signing key check: %w", err)
	}
	if pub == nil {
		// Without signing.pub no check of the log or of a checkpoint could
		// be made, and the job would sign over whatever the log now holds.
		return &IntegrityError{Problems: []string{publicKeyMissing(l, "refusing to sign: ", " (key "+s.KeyID()+")")}}
	}
	if !pub.Equal(s.Public()) {
		return integrityErrorf("refusing to sign: the private key %s is key %s but the public key %s is key %s; signatures would not verify (restore the matching pair)",
			l.Rel(filepath.Join(l.KeysDir, reports.PrivateKeyFile)), s.KeyID(), l.Rel(filepath.Join(l.KeysDir, reports.PublicKeyFile)), reports.KeyID(pub))
	}
	return nil
}

// publicKeyMissing is the problem of a private key without signing.pub
// beside it; which names the key, when it was read.
func publicKeyMissing(l inputs.Layout, lead, which string) string {
	return fmt.Sprintf("%s%s is missing beside the private key %s%s; restore it (it is the out-of-band key the reports are verified with)",
		lead, l.Rel(filepath.Join(l.KeysDir, reports.PublicKeyFile)), l.Rel(filepath.Join(l.KeysDir, reports.PrivateKeyFile)), which)
}

// MissingPublicKeyProblem says why a root's signing.pub is missing, for a
// check that would otherwise only ask for another key (verify all without
// --pubkey): beside the private key, it is what every job refuses to sign
// for; with the whole keys directory gone while the audit log records a
// key, what every job is blocked on (checkKeyNotLost); with a keys
// directory someone else put in place, that (ErrUnsafeKeysDir). Each
// fails the check.
// It is nil while signing.pub is there, and on a root that never had a
// key (an unsigned one), where asking for a key is the right answer.
func MissingPublicKeyProblem(l inputs.Layout) error {
	if _, err := os.Lstat(filepath.Join(l.KeysDir, reports.PublicKeyFile)); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	// A keys directory someone else put in place is that problem, whatever
	// it holds.
	if err := CheckKeysDir(l); errors.Is(err, ErrUnsafeKeysDir) {
		return err
	}
	if _, err := os.Lstat(filepath.Join(l.KeysDir, reports.PrivateKeyFile)); err == nil {
		return errors.New(publicKeyMissing(l, "every job refuses to sign: ", ""))
	}
	st, err := audit.Load(l.AuditLog)
	if err != nil {
		return fmt.Errorf("signing key check: %w", err)
	}
	if err := checkKeyNotLost(l, st.Entries); err != nil {
		return fmt.Errorf("%w; to check a copy of the root without its keys, pass --pubkey PATH", err)
	}
	return nil
}

// CheckpointVerifier returns the verifier of audit checkpoints signed by pub.
func CheckpointVerifier(pub ed25519.PublicKey) (note.Verifier, error) {
	return audit.NewCheckpointVerifier(reports.KeyID(pub), pub)
}

// NamedCheckpoint is a signed checkpoint and where it was found.
type NamedCheckpoint struct {
	Source     string
	Checkpoint audit.Checkpoint
}

// StoredCheckpoints opens every checkpoint of the checkpoints file with
// pub, or, for one made before a rotation, with the key that rotation
// retired (RetiredKeys of entries, the verified log). A checkpoint that
// does not verify, whose key no rotation retired, or that covers fewer
// entries than one before it in the file, is a problem.
func StoredCheckpoints(l inputs.Layout, pub ed25519.PublicKey, entries []audit.Entry) ([]NamedCheckpoint, []string, error) {
	out, problems, _, err := storedCheckpoints(l, pub, entries)
	return out, problems, err
}

// storedCheckpoints is StoredCheckpoints, with what job_start records of
// the file's bytes as it read them (checkpointsFileRecord). The file's
// lines must also be those the newest job_start found
// (CheckpointsFileProblem).
func storedCheckpoints(l inputs.Layout, pub ed25519.PublicKey, entries []audit.Entry) ([]NamedCheckpoint, []string, map[string]any, error) {
	path := AuditCheckpointsFile(l)
	stored, data, err := audit.ReadCheckpointsFile(path)
	if errors.Is(err, audit.ErrCheckpoint) {
		// An edited checkpoints file is evidence tampered with, not a
		// failure to read it.
		return nil, nil, nil, &IntegrityError{Problems: []string{err.Error()}}
	}
	if err != nil {
		return nil, nil, nil, err
	}
	record := checkpointsFileRecord(data)
	var problems []string
	if p := CheckpointsFileProblem(l.Rel(path), entries, data); p != "" {
		problems = append(problems, p)
	}
	if len(stored) == 0 || pub == nil {
		return nil, problems, record, nil
	}
	v, err := CheckpointVerifier(pub)
	if err != nil {
		return nil, nil, nil, err
	}
	var out []NamedCheckpoint
	// Jobs only ever append checkpoints, each covering at least the
	// entries of the one before; a job extends the log from the last. An
	// older genuine line appended after newer ones would have the log
	// truncated to it pass (TestAttackOlderCheckpointAppended).
	for _, s := range stored {
		src := fmt.Sprintf("%s line %d", l.Rel(path), s.Line)
		cv, retiredAt := v, int64(0)
		if o := audit.NoteOrigin(s.Note); strings.HasPrefix(o, audit.OriginPrefix) && o != v.Name() {
			// Signed by another key: one a rotation it signed retired, or
			// the key pair was replaced by hand.
			if cv, retiredAt = RetiredVerifier(o, entries, pub); cv == nil {
				problems = append(problems, fmt.Sprintf("%s: signed by %s, which no rotation signed by that key retired: the signing key was replaced (restore it, or rotate with `ledgerlens keys rotate`)", src, o))
				continue
			}
		}
		c, err := audit.OpenCheckpoint([]byte(s.Note), cv)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", src, err))
			continue
		}
		if p := RetiredCheckpointProblem(src, audit.NoteOrigin(s.Note), c.Size, retiredAt); p != "" {
			problems = append(problems, p)
			continue
		}
		if n := len(out); n > 0 {
			if p := CheckpointOrderProblem(src, c, out[n-1]); p != "" {
				problems = append(problems, p)
				continue
			}
		}
		out = append(out, NamedCheckpoint{Source: src, Checkpoint: c})
	}
	return out, problems, record, nil
}

// CheckpointOrderProblem is the problem of the checkpoints file's line
// src, checkpoint c, following the verified line before it ("" for
// none): jobs only ever append checkpoints, each covering at least the
// entries of the one before.
func CheckpointOrderProblem(src string, c audit.Checkpoint, before NamedCheckpoint) string {
	if c.Size >= before.Checkpoint.Size {
		return ""
	}
	return fmt.Sprintf("%s: covers %d entries, fewer than the %d of %s before it: checkpoints are only appended, each covering at least the entries of the one before; the file was edited (run 'ledgerlens audit verify')",
		src, c.Size, before.Checkpoint.Size, before.Source)
}

// trail is the audit log as a job found it, verified.
type trail struct {
	log   *audit.Log
	state *audit.State
	// signedSize is how many entries the newest signed checkpoint covers
	// (0: none): what lies beyond it is not vouched for by any signature.
	signedSize int64
	// vouched is how many entries a signed checkpoint covers, stored or
	// carried by a report: every entry past it must carry the key's
	// signature, when the job starts and when it signs its checkpoint.
	vouched int64
	// anchor is the report's audit anchor: the chain head at the newest
	// signed checkpoint (or, on a root without checkpoints, at the last
	// job_end/job_fail), and that checkpoint's signed note. Only finished
	// jobs move it, never a killed attempt, so a re-run after SIGKILL at any
	// point reports the same anchor as an uninterrupted run
	// (docs/COMPLIANCE.md).
	anchorHead string
	anchorNote *string
	// checkpoints are the checkpoints file's, as verified (StoredCheckpoints).
	checkpoints []NamedCheckpoint
	// checkpointsFile is what job_start records of that file's bytes
	// (checkpointsFileRecord).
	checkpointsFile map[string]any
}

// openTrail prepares a job's appends to the audit log: it repairs a torn
// last line (recording audit_tail_repaired), verifies the whole chain and
// checks the log against the newest signed checkpoint, so an edited or
// truncated log is refused (ErrIntegrity) instead of extended.
// The caller holds the lock.
func openTrail(ctx context.Context, env Env) (*trail, error) {
	l := env.Layout
	sign, err := EntrySigner(l)
	if err != nil {
		return nil, err
	}
	if sign == nil {
		// A root without a key pair: unsigned, unless its log records
		// one (read here, before anything is written to it).
		prior, err := audit.Load(l.AuditLog) // no entries when there is no log
		if err != nil {
			return nil, err
		}
		if err := checkKeyNotLost(l, prior.Entries); err != nil {
			return nil, err
		}
	}
	if _, err := audit.RepairTornTail(context.WithoutCancel(ctx), l.AuditLog, env.Now, sign); err != nil {
		return nil, err
	}
	st, err := audit.Load(l.AuditLog)
	if err != nil {
		return nil, err
	}
	if !st.Chain.OK() {
		return nil, integrityErrorf("audit log %s: %v; refusing to extend it (run 'ledgerlens audit verify')", l.Rel(l.AuditLog), st.Chain.Err())
	}
	pub, err := RootPublicKey(l)
	if err != nil {
		return nil, err
	}
	cps, problems, cpRecord, err := storedCheckpoints(l, pub, st.Entries)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, &IntegrityError{Problems: problems}
	}
	// The checkpoints the published reports carry vouch for the log too,
	// so deleting the checkpoints file does not let a truncated log be
	// extended.
	var vouched int64 // entries a signed checkpoint covers
	if carried, ok := newestCarried(l, pub); ok {
		if err := st.Check(carried.Source, carried.Checkpoint); err != nil {
			return nil, &IntegrityError{Problems: []string{err.Error() + "; refusing to extend the log (run 'ledgerlens audit verify')"}}
		}
		vouched = carried.Checkpoint.Size
	}
	t := &trail{state: st, anchorHead: audit.ZeroHash, checkpoints: cps, checkpointsFile: cpRecord}
	if n := len(cps); n > 0 {
		newest := cps[n-1]
		if err := st.Check(newest.Source, newest.Checkpoint); err != nil {
			return nil, &IntegrityError{Problems: []string{err.Error() + "; refusing to extend the log (run 'ledgerlens audit verify')"}}
		}
		if size := newest.Checkpoint.Size; size > 0 {
			t.anchorHead = st.Entries[size-1].Hash
			t.signedSize = size
		}
		note := string(newest.Checkpoint.Note)
		t.anchorNote = &note
		vouched = max(vouched, newest.Checkpoint.Size)
	} else {
		for i := len(st.Entries) - 1; i >= 0; i-- {
			if ev := st.Entries[i].Event; ev == audit.EventJobEnd || ev == audit.EventJobFail {
				t.anchorHead = st.Entries[i].Hash
				break
			}
		}
	}
	// Entries beyond every signed checkpoint must each be signed: a job
	// signing its checkpoint over entries appended without the key would
	// vouch for them (docs/COMPLIANCE.md, "Integrity").
	if pub != nil {
		if p := audit.UnsignedProblem(l.Rel(l.AuditLog), UnsignedAfter(st.Entries, vouched, pub), vouched, reports.KeyID(pub)); p != "" {
			return nil, integrityErrorf("%s; refusing to extend the log or sign a checkpoint over them (run 'ledgerlens audit verify')", p)
		}
	}
	t.vouched = vouched
	if env.AfterStep != nil {
		env.AfterStep(ctx, StepAuditLoaded)
	}
	// From the state just verified, not from a second read of the file:
	// an entry appended in between is checked at the first append.
	if t.log, err = st.Log(env.Now); err != nil {
		return nil, err
	}
	t.log.SignWith(sign)
	return t, nil
}

// EntrySigner returns what signs a job's audit entries: the root's
// signing key, or nil on a root without one (which signs nothing).
func EntrySigner(l inputs.Layout) (func([]byte) []byte, error) {
	s, err := RootSigner(l)
	if s == nil || err != nil {
		return nil, err
	}
	return s.Sign, nil
}

// RootSigner loads the root's signing key, checked against signing.pub;
// nil (no error) on a root without one. A root with signing.pub but no
// private key is not a root without one: its log is signed, and entries a
// job appended without the key would be refused by every later job for
// good. That is a *BlockedError (exit 1) before anything is written: a
// key mount that did not come up, a key moved away.
func RootSigner(l inputs.Layout) (*reports.Signer, error) {
	s, err := loadRootKey(l)
	if errors.Is(err, fs.ErrNotExist) {
		keyPath := filepath.Join(l.KeysDir, reports.PrivateKeyFile)
		pubPath := filepath.Join(l.KeysDir, reports.PublicKeyFile)
		if _, perr := os.Lstat(pubPath); perr == nil {
			return nil, Blocked(fmt.Errorf("signing key %s is missing beside %s: restore it (a key mount that did not come up, a key moved away?); nothing was written: a job without it would append unsigned entries to a signed audit log, which every later job refuses",
				l.Rel(keyPath), l.Rel(pubPath)))
		}
		return nil, nil
	}
	if errors.Is(err, ErrIntegrity) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	if err := CheckKeyPair(l, s); err != nil {
		return nil, err
	}
	return s, nil
}

// SigningKeyProblems are the problems a job would refuse the root's
// signing key for (RootSigner): missing beside signing.pub, readable by
// others, or not the pair of signing.pub. verify all reports them, so the
// daily check fails before Monday's job does. A key this account may not
// read is not one: verify all may run as another user than the jobs.
func SigningKeyProblems(l inputs.Layout, entries []audit.Entry) []string {
	_, err := RootSigner(l)
	if errors.Is(err, fs.ErrPermission) {
		// Its mode is there for anyone to see: the jobs refuse a key
		// others can read, whoever runs this check.
		keyPath := filepath.Join(l.KeysDir, reports.PrivateKeyFile)
		fi, serr := os.Stat(keyPath)
		if serr == nil && fi.Mode().Perm()&0o077 != 0 {
			return []string{fmt.Sprintf("signing key %s has mode %04o: every job refuses a key readable or writable by group or others; fix it with: chmod 600 %s",
				l.Rel(keyPath), fi.Mode().Perm(), l.Rel(keyPath))}
		}
		// Another account (an auditor's) may not read the key, and is
		// told nothing of it. The account that owns the keys directory
		// runs the jobs: when that is this one, no job can sign either
		// (a key made mode 0000 stopped every job while this check
		// said OK: an outside review).
		if serr == nil && keysDirOwnedByThisAccount(l) {
			return []string{fmt.Sprintf("signing key %s cannot be read by the account that owns the keys directory and runs the jobs (this one; mode %04o): every job fails to sign; fix it with: chmod 600 %s",
				l.Rel(keyPath), fi.Mode().Perm(), l.Rel(keyPath))}
		}
		return nil
	}
	if err != nil {
		return []string{err.Error()}
	}
	if err := checkKeyNotLost(l, entries); err != nil {
		return []string{err.Error()}
	}
	return nil
}

// checkKeyNotLost refuses a root without a signing key pair whose audit
// log records one (key_generated, key_rotated): the whole keys directory
// missing (a mount that did not come up) is not an unsigned root, and
// entries appended without the key would leave the log refused for good.
func checkKeyNotLost(l inputs.Layout, entries []audit.Entry) error {
	if _, err := os.Lstat(filepath.Join(l.KeysDir, reports.PrivateKeyFile)); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	for i := len(entries) - 1; i >= 0; i-- {
		if e := entries[i]; e.Event == audit.EventKeyGenerated || e.Event == audit.EventKeyRotated {
			return Blocked(fmt.Errorf("no signing key in %s, but the audit log records one (%s, seq %d): restore the keys directory (a mount that did not come up?); nothing was written",
				l.Rel(l.KeysDir), e.Event, e.Seq))
		}
	}
	return nil
}

// recordedStepDigest returns the output_sha256 the log recorded for a
// step of a job run ("" when no attempt recorded it as done).
func (t *trail) recordedStepDigest(runID, step string) string {
	for i := len(t.state.Entries) - 1; i >= 0; i-- {
		e := t.state.Entries[i]
		if e.Event != audit.EventJobStep || e.Fields["job_run_id"] != runID || e.Fields["step"] != step || e.Fields["status"] != "done" {
			continue
		}
		if d, ok := e.Fields["output_sha256"].(string); ok {
			return d
		}
	}
	return ""
}

// SealTrail signs a checkpoint of the audit log as it now stands and
// appends it to the checkpoints file. Roots without a signing key (runs
// with --unsigned) get no checkpoint. It runs at the end of every job,
// completed, failed or blocked.
func SealTrail(env Env, job string) error { return sealTrail(env, job, nil) }

// sealTrail is SealTrail for a job that verified the log as tr when it
// started (nil: none did): only the lines appended since are read and
// verified again (audit.State.Extend), unless the lines tr verified
// changed, when the whole log is. The checkpoint then covers the entries
// the job's log vouches for (audit.Log.Checked), and only if each past
// those a signed checkpoint covered when the job started carries the
// key's signature: an entry appended without the key is an integrity
// problem, and no checkpoint is signed over it.
func sealTrail(env Env, job string, tr *trail) error {
	s, err := RootSigner(env.Layout)
	if s == nil || err != nil {
		if err == nil && env.KeepHead != "" {
			err = fmt.Errorf("--keep-head %s: the root has no signing key, so the job signed no checkpoint to keep", env.KeepHead)
		}
		return err
	}
	cp, err := writeCheckpoint(env, s, job, tr)
	if err != nil || env.KeepHead == "" {
		return err
	}
	// The checkpoint the job has just signed, from memory: copied from
	// the checkpoints file afterwards, it could be one someone put there
	// for the copy (an outside review).
	if err := atomicfile.WriteNew(env.KeepHead, cp.Note, 0o644); err != nil {
		return fmt.Errorf("--keep-head: the job's closing checkpoint (size %d) was signed but not kept: %w", cp.Size, err)
	}
	return nil
}

// writeCheckpoint signs and appends a checkpoint of the log, read afresh
// or, given tr, extended from the state tr verified: of the entries tr's
// log vouches for, the last of which must still have the hash it wrote,
// or of the whole log without tr.
func writeCheckpoint(env Env, s *reports.Signer, job string, tr *trail) (audit.Checkpoint, error) {
	l := env.Layout
	var upTo int64
	var upToHash string
	var st *audit.State
	var err error
	if tr != nil {
		if upTo, upToHash, err = tr.log.Checked(); err != nil {
			if errors.Is(err, audit.ErrCorrupt) {
				return audit.Checkpoint{}, integrityErrorf("%v; no checkpoint signed", err)
			}
			return audit.Checkpoint{}, err
		}
		st, err = tr.state.Extend()
	} else {
		st, err = audit.Load(l.AuditLog)
	}
	if err != nil {
		return audit.Checkpoint{}, err
	}
	if !st.Chain.OK() {
		return audit.Checkpoint{}, integrityErrorf("audit log %s: %v; no checkpoint signed", l.Rel(l.AuditLog), st.Chain.Err())
	}
	signer, err := audit.NewCheckpointSigner(s.KeyID(), s.Public(), s.Sign)
	if err != nil {
		return audit.Checkpoint{}, err
	}
	size := st.Size()
	if tr != nil {
		if upTo > size || upTo > 0 && st.Entries[upTo-1].Hash != upToHash {
			return audit.Checkpoint{}, integrityErrorf("audit log %s: entry %d is not the one this job wrote or checked (hash %s): the log was rewritten while the job ran; no checkpoint signed",
				l.Rel(l.AuditLog), upTo, upToHash)
		}
		size = upTo
		if p := audit.UnsignedProblem(l.Rel(l.AuditLog), UnsignedAfter(st.Entries[:size], tr.vouched, s.Public()), tr.vouched, s.KeyID()); p != "" {
			return audit.Checkpoint{}, integrityErrorf("%s; no checkpoint signed", p)
		}
	}
	root, err := st.Tree.Root(size)
	if err != nil {
		return audit.Checkpoint{}, err
	}
	msg, err := audit.SignCheckpoint(signer, size, root)
	if err != nil {
		return audit.Checkpoint{}, err
	}
	if err := audit.AppendCheckpoint(AuditCheckpointsFile(l), msg, job, env.Now()); err != nil {
		return audit.Checkpoint{}, err
	}
	return audit.Checkpoint{Origin: signer.Name(), Size: size, Root: root, Note: msg}, nil
}

// newestCarried returns the largest checkpoint carried (audit_checkpoint)
// by a weekly or SLA report in the configured output directory that
// verifies with pub. Reports are read only up to that key, near their top.
// Unreadable reports and checkpoints that do not verify are left to
// `verify all`, which names them.
func newestCarried(l inputs.Layout, pub ed25519.PublicKey) (NamedCheckpoint, bool) {
	if pub == nil {
		return NamedCheckpoint{}, false
	}
	v, err := CheckpointVerifier(pub)
	if err != nil {
		return NamedCheckpoint{}, false
	}
	var best NamedCheckpoint
	found := false
	// The configured reports directory and the default one: output_dir
	// pointed at a new directory leaves the earlier reports where they
	// were, and with them the checkpoints they carry.
	for _, dir := range reportDirs(l) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".json") || !(strings.HasPrefix(name, "weekly_") || strings.HasPrefix(name, "sla_")) {
				continue
			}
			note, ok := topLevelString(filepath.Join(dir, name), "audit_checkpoint")
			if !ok {
				continue
			}
			c, err := audit.OpenCheckpoint([]byte(note), v)
			if err != nil || (found && c.Size <= best.Checkpoint.Size) {
				continue
			}
			best, found = NamedCheckpoint{Source: "report " + l.Rel(filepath.Join(dir, name)), Checkpoint: c}, true
		}
	}
	return best, found
}

// topLevelString reads a JSON object's top-level string key, stopping there.
func topLevelString(path, key string) (string, bool) {
	f, err := inputs.OpenRegular(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReader(f))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		if k, _ := tok.(string); k == key {
			var v *string
			if err := dec.Decode(&v); err != nil || v == nil {
				return "", false
			}
			return *v, true
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "", false
		}
	}
	return "", false
}
