package job

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/ledgerlens/ledgerlens/pipeline/atomicfile"
)

// checkpoint is the on-disk progress of one job run
// (.ledgerlens/checkpoints/<job run id>/): each finished step's output and a
// state file listing the finished steps. It exists only while the run is
// unfinished; a completed run removes it, so a later re-run starts afresh
// and finds its result already published.
type checkpoint struct {
	dir   string
	state checkpointState
}

type checkpointState struct {
	JobRunID string `json:"job_run_id"`
	// Job, Period and LedgerSHA256 are the run's key (RunKey) in part:
	// LedgerSHA256 is the ledger prefix the store covered, which tells a
	// later run whether this one can still resume (removeAbandoned).
	// Checkpoints made before they were recorded lack them.
	Job          string `json:"job,omitempty"`
	Period       string `json:"period,omitempty"`
	LedgerSHA256 string `json:"ledger_sha256,omitempty"`
	// AuditHeadAtStart is the audit head when the run first started: a
	// resumed run reports the same head, so its JSON is byte-identical to
	// an uninterrupted run's.
	AuditHeadAtStart string `json:"audit_head_at_start"`
	// AuditCheckpoint is the signed checkpoint the anchor is taken from.
	AuditCheckpoint *string  `json:"audit_checkpoint,omitempty"`
	Done            []string `json:"done"`
}

// openCheckpoint opens the checkpoint of the run key k
// (<root>/<RunID(k)>/), creating its directory for a first attempt.
func openCheckpoint(root string, k RunKey) (*checkpoint, error) {
	id := RunID(k)
	c := &checkpoint{dir: filepath.Join(root, id), state: checkpointState{
		JobRunID: id, Job: k.Job, Period: k.Period, LedgerSHA256: k.LedgerSHA,
	}}
	data, err := os.ReadFile(filepath.Join(c.dir, "state.json"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(c.dir, 0o750); err != nil {
			return nil, fmt.Errorf("create checkpoint %s: %w", c.dir, err)
		}
		return c, nil
	case err != nil:
		return nil, fmt.Errorf("read checkpoint %s: %w", c.dir, err)
	}
	if err := json.Unmarshal(data, &c.state); err != nil {
		return nil, fmt.Errorf("checkpoint %s/state.json is corrupt (remove the directory to start the run afresh): %w", c.dir, err)
	}
	return c, nil
}

// discard forgets a finished step whose saved output cannot be trusted,
// so it is redone.
func (c *checkpoint) discard(step string) error {
	c.state.Done = slices.DeleteFunc(c.state.Done, func(s string) bool { return s == step })
	return c.writeState()
}

// output returns a finished step's saved output.
func (c *checkpoint) output(step, file string) ([]byte, bool, error) {
	if !slices.Contains(c.state.Done, step) {
		return nil, false, nil
	}
	data, err := os.ReadFile(filepath.Join(c.dir, file))
	if err != nil {
		return nil, false, fmt.Errorf("checkpoint of step %s: %w", step, err)
	}
	return data, true, nil
}

// save stores a step's output, then marks the step finished: a crash
// between the two leaves the step unfinished, never finished without output.
func (c *checkpoint) save(step, file string, data []byte) error {
	if err := atomicfile.WriteFile(filepath.Join(c.dir, file), data, 0o640); err != nil {
		return fmt.Errorf("checkpoint step %s: %w", step, err)
	}
	c.state.Done = append(c.state.Done, step)
	return c.writeState()
}

// markDone marks a derived step finished (StepSpec.Derived): its output
// is not saved.
func (c *checkpoint) markDone(step string) error {
	c.state.Done = append(c.state.Done, step)
	return c.writeState()
}

func (c *checkpoint) writeState() error {
	data, err := json.MarshalIndent(c.state, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(c.dir, "state.json"), append(data, '\n'), 0o640); err != nil {
		return fmt.Errorf("checkpoint state: %w", err)
	}
	return nil
}

// complete removes the checkpoint of a finished run, and then the
// checkpoints no run can resume any more (removeAbandoned), whose ids it
// returns.
func (c *checkpoint) complete() ([]string, error) {
	if err := os.RemoveAll(c.dir); err != nil {
		return nil, fmt.Errorf("remove finished checkpoint %s: %w", c.dir, err)
	}
	return removeAbandoned(filepath.Dir(c.dir), c.state.LedgerSHA256)
}

// maxStateSize bounds the state.json removeAbandoned reads: a state lists
// a few step names and two digests.
const maxStateSize = 64 << 10

// removeAbandoned removes, from the checkpoints directory root, the
// checkpoints of runs that can no longer resume, and returns their ids.
// A run's id covers the ledger prefix the store covered (RunKey), and the
// store only ever grows: once a run has completed on a prefix, a checkpoint
// recorded on another one would resume only if the store went back to a
// shorter ledger, which never happens. Such a checkpoint is left by a run
// that was killed and then overtaken by a longer ledger, and holds its
// analysis and prepared renderings (tens of megabytes at millions of runs)
// for nothing.
//
// It keeps every checkpoint of the same prefix (another job, period or
// option may still resume it), any without a recorded prefix (made before
// it was recorded) and anything that is not a checkpoint: an entry that is
// not a directory, a directory not named as its state.json says, or one
// whose state.json is missing, oversized or unreadable. It does not follow
// symbolic links. Only the holder of the state directory's lock may call
// it: a live run's checkpoint is always on the current prefix, and no other
// job runs meanwhile.
func removeAbandoned(root, ledgerSHA string) ([]string, error) {
	if ledgerSHA == "" {
		return nil, nil
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("list checkpoints %s: %w", root, err)
	}
	var removed []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		st, ok := readState(filepath.Join(dir, "state.json"))
		if !ok || st.JobRunID != e.Name() || st.LedgerSHA256 == "" || st.LedgerSHA256 == ledgerSHA {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			return removed, fmt.Errorf("remove abandoned checkpoint %s: %w", dir, err)
		}
		removed = append(removed, e.Name())
	}
	return removed, nil
}

// readState reads a checkpoint's state file for removeAbandoned; ok is
// false for anything but a regular file of at most maxStateSize bytes
// holding a state.
func readState(path string) (checkpointState, bool) {
	var st checkpointState
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return st, false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() || fi.Size() > maxStateSize {
		return st, false
	}
	data, err := io.ReadAll(io.LimitReader(f, maxStateSize+1))
	if err != nil || len(data) > maxStateSize || json.Unmarshal(data, &st) != nil {
		return st, false
	}
	return st, true
}
