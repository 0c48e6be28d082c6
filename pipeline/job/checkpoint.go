package job

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

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
	// AuditHeadAtStart is the audit head when the run first started: a
	// resumed run reports the same head, so its JSON is byte-identical to
	// an uninterrupted run's.
	AuditHeadAtStart string `json:"audit_head_at_start"`
	// AuditCheckpoint is the signed checkpoint the anchor is taken from.
	AuditCheckpoint *string  `json:"audit_checkpoint,omitempty"`
	Done            []string `json:"done"`
}

func openCheckpoint(root, id string) (*checkpoint, error) {
	c := &checkpoint{dir: filepath.Join(root, id), state: checkpointState{JobRunID: id}}
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

// complete removes the checkpoint of a finished run.
func (c *checkpoint) complete() error {
	if err := os.RemoveAll(c.dir); err != nil {
		return fmt.Errorf("remove finished checkpoint %s: %w", c.dir, err)
	}
	return nil
}
