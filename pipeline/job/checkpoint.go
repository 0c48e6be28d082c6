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
	dir      string
	key      RunKey
	stateDir string // stateDirID
	state    checkpointState
	// foreign describes a state.json found in the directory that is not
	// this run's (another run id, job, period or ledger prefix): a
	// checkpoint copied or planted under this run's id, which StartSteps
	// records and discards. Empty when the state is this run's or new.
	foreign string
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
	// StateDir identifies the state directory the run's root keeps
	// (stateDirID): a checkpoints directory mounted into two roots holds
	// both roots' checkpoints, and each prunes only its own.
	StateDir string `json:"state_dir,omitempty"`
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
	stateDir, err := stateDirID(root)
	if err != nil {
		return nil, err
	}
	c := &checkpoint{dir: filepath.Join(root, id), key: k, stateDir: stateDir}
	c.state = c.fresh()
	f, err := os.OpenFile(filepath.Join(c.dir, "state.json"), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(c.dir, 0o750); err != nil {
			return nil, fmt.Errorf("create checkpoint %s: %w", c.dir, err)
		}
		return c, nil
	case err != nil:
		return nil, fmt.Errorf("checkpoint %s/state.json cannot be read (remove the directory to start the run afresh): %w", c.dir, err)
	}
	err = decodeState(f, &c.state)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s/state.json is corrupt (remove the directory to start the run afresh): %w", c.dir, err)
	}
	// A state from before job, period and prefix were recorded leaves
	// them as fresh() set them; one that records others is not this run's.
	if st := c.state; st.JobRunID != id || st.Job != k.Job || st.Period != k.Period || st.LedgerSHA256 != k.LedgerSHA {
		c.foreign = fmt.Sprintf("job_run_id %q, job %q, period %q, ledger_sha256 %q", st.JobRunID, st.Job, st.Period, st.LedgerSHA256)
	}
	return c, nil
}

// maxStateSize bounds a checkpoint's state.json: a state lists a few step
// names and four identifiers.
const maxStateSize = 64 << 10

// decodeState reads the state file f into st; fields the file lacks keep
// st's values. f must be a regular file of at most maxStateSize bytes
// holding a state: a FIFO or a device in its place (opened without
// blocking and without following a link) is refused, not read for ever.
func decodeState(f *os.File, st *checkpointState) error {
	fi, err := f.Stat()
	switch {
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	case fi.Size() > maxStateSize:
		return fmt.Errorf("%d bytes, more than a state holds", fi.Size())
	}
	data, err := io.ReadAll(io.LimitReader(f, maxStateSize+1))
	if err != nil {
		return err
	}
	if len(data) > maxStateSize {
		return fmt.Errorf("more than %d bytes, more than a state holds", maxStateSize)
	}
	return json.Unmarshal(data, st)
}

// fresh is the state of a first attempt of the checkpoint's run.
func (c *checkpoint) fresh() checkpointState {
	return checkpointState{JobRunID: RunID(c.key), Job: c.key.Job, Period: c.key.Period, LedgerSHA256: c.key.LedgerSHA, StateDir: c.stateDir}
}

// stateDirID identifies the state directory holding the checkpoints
// directory root (its parent) by device and inode: the same directory
// however it is reached, and different for two roots even when one
// checkpoints directory is mounted into both. The checkpoints directory
// need not exist yet.
func stateDirID(root string) (string, error) {
	state := filepath.Dir(root)
	fi, err := os.Stat(state)
	if err != nil {
		return "", fmt.Errorf("state directory %s: %w", state, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", nil // no identity here: nothing is pruned
	}
	return fmt.Sprintf("%d:%d", st.Dev, st.Ino), nil
}

// restart forgets a foreign state: the run starts afresh in the directory,
// overwriting whatever outputs it holds as its steps finish.
func (c *checkpoint) restart() error {
	c.state, c.foreign = c.fresh(), ""
	return c.writeState()
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

// complete removes the checkpoint of a finished run: its state first, so
// that a kill part-way through the removal leaves a directory the next
// run starts afresh in, never a state naming finished steps whose outputs
// are already gone (the re-run failed: "checkpoint of step render_xlsx:
// … no such file or directory"). It mirrors save's order.
func (c *checkpoint) complete() error {
	if err := os.Remove(filepath.Join(c.dir, "state.json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove finished checkpoint %s: %w", c.dir, err)
	}
	if err := os.RemoveAll(c.dir); err != nil {
		return fmt.Errorf("remove finished checkpoint %s: %w", c.dir, err)
	}
	return nil
}
