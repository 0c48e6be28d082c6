package job

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/reports"
)

// reportDirs are the configured reports directory and, when output_dir
// names another, the default one: where published reports are looked for
// when the record of publication cannot say (it is lost, or not yet
// read).
func reportDirs(l inputs.Layout) []string {
	dirs := OutputDirs(l)[:1]
	if !slices.Contains(dirs, l.ReviewsDir) {
		dirs = append(dirs, l.ReviewsDir)
	}
	return dirs
}

// OutputDirs are the directories the record of publication covers: the
// configured reports directory and the baseline updates directory.
func OutputDirs(l inputs.Layout) []string {
	reviewsDir := l.ReviewsDir
	if cfg, _, err := inputs.LoadConfig(l.Config); err == nil {
		reviewsDir = l.Resolve(cfg.OutputDir)
	}
	return []string{reviewsDir, l.BaselineUpdatesDir}
}

// PublishingSigner returns what a publishing job (a weekly or SLA report)
// signs with: the root's signer, or nil with unsigned. It refuses unsigned
// on a root that has a signing key: every file it published would stay
// unsigned, and verify all would fail on it for good.
func (j *Job) PublishingSigner(unsigned bool) (*reports.Signer, error) {
	l := j.env.Layout
	if !unsigned {
		return j.Signer(", or pass --unsigned")
	}
	for _, f := range []string{reports.PrivateKeyFile, reports.PublicKeyFile} {
		if _, err := os.Lstat(filepath.Join(l.KeysDir, f)); err == nil {
			return nil, Blocked(fmt.Errorf("--unsigned on a root with a signing key (%s): its publications are signed, and verify all requires a signature on each; drop --unsigned",
				l.Rel(filepath.Join(l.KeysDir, f))))
		}
	}
	// A root whose key pair is missing while its log records one never
	// gets here: opening the trail refuses it (checkKeyNotLost).
	return nil, nil
}

// CheckRecordNotLost refuses, before any job opens the log (Run), a root
// with no audit log (or an empty one) and no public key whose output
// directories (the default reports directory too: output_dir may point
// elsewhere since) hold published files (their SHA-256 sidecars): the state
// directory was lost, moved or not mounted, and the job would start a
// second record of publication beside the first (`keys generate` refuses
// this case too). It writes nothing, so a refused job leaves no log that
// would let the next one through. With the public key still there, the
// job's own check of the log against the signed checkpoints (those the
// reports carry included) says more, and a log that is not a regular file
// is refused by its reader.
func CheckRecordNotLost(l inputs.Layout) error {
	if _, err := os.Lstat(filepath.Join(l.KeysDir, reports.PublicKeyFile)); err == nil {
		if _, err := os.Stat(l.AuditLog); err == nil || errors.Is(err, fs.ErrNotExist) {
			return nil
		}
	}
	return checkPublishedRecorded(l, "; nothing was published")
}

// CheckPublishedRecorded is CheckRecordNotLost without its trust in the
// public key: for a command that holds the log to no signed checkpoint
// (verify store, verify ledger), published files and no audit log, or
// an empty one, is the record lost, whatever else is left. With the keys
// directory kept, verify store said "OK no store and no ingest
// recorded" (an outside review).
func CheckPublishedRecorded(l inputs.Layout) error {
	return checkPublishedRecorded(l, "")
}

// checkPublishedRecorded is the check of both; consequence, said after the
// cause, is what the refusal means to the command: a job publishes
// nothing, a verifier's run changes nothing (it said "nothing was
// published" there too).
func checkPublishedRecorded(l inputs.Layout, consequence string) error {
	fi, err := os.Stat(l.AuditLog)
	switch {
	case err == nil && (fi.Size() > 0 || !fi.Mode().IsRegular()):
		return nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("audit log: %w", err)
	}
	dir, names, err := PublishedFiles(l, reports.SidecarExt)
	if err != nil || len(names) == 0 {
		return err
	}
	return &IntegrityError{Problems: []string{fmt.Sprintf(
		"%s holds published files (%s, …) but there is no audit log %s to record them: the state directory %s was lost, moved or not mounted%s — restore it (its audit log, checkpoints and key pair), then run 'ledgerlens verify all'",
		l.Rel(dir), names[0], l.Rel(l.AuditLog), l.Rel(l.StateDir), consequence)}}
}

// PublishedFiles looks for the companions with extension ext (a sidecar,
// a signature) of published files in the output directories, the default
// reports directory too (output_dir may point elsewhere since): what says
// a root has published when its state directory cannot (lost, moved, not
// mounted). It returns the first directory holding any, and their names.
func PublishedFiles(l inputs.Layout, ext string) (dir string, names []string, err error) {
	for _, dir := range append(reportDirs(l), l.BaselineUpdatesDir) {
		entries, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", nil, fmt.Errorf("list %s: %w", l.Rel(dir), err)
		}
		for _, n := range entries {
			if strings.HasSuffix(n.Name(), ext) && !strings.HasPrefix(n.Name(), ".") {
				names = append(names, n.Name())
			}
		}
		if len(names) > 0 {
			return dir, names, nil
		}
	}
	return "", nil, nil
}
