package job

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

// Inputs are the validated non-ledger inputs of a job and the record of
// which files they came from.
type Inputs struct {
	Policy    inputs.Policy
	Baselines *inputs.Baselines
	Cases     inputs.CaseSet
	Incidents inputs.IncidentSet
	Config    inputs.Config
	// Files lists each input file actually read, for the report.
	Files []reports.InputFile
	// DefaultPolicy is true when no policy file exists and the built-in
	// default policy (docs/RULES.md, "Policy") applied.
	DefaultPolicy bool
}

// SHA256 is the SHA-256 of the bytes of the input file of role that were
// read and parsed ("" when there was none): what a check of that file
// compares, rather than the file read again. A second read was checked
// while the job computed from the first: a baselines file edited and put
// back in between gave a report computed from the edit, signed, exit 0,
// and an approval applied on top of an edit (an outside review).
func (in *Inputs) SHA256(role string) string {
	for _, f := range in.Files {
		if f.Role == role {
			return f.SHA256
		}
	}
	return ""
}

// Read reports whether the input file of role was read (it exists).
func (in *Inputs) Read(role string) bool {
	return slices.ContainsFunc(in.Files, func(f reports.InputFile) bool { return f.Role == role })
}

// LoadInputs reads and validates config, policy, baselines, cases and
// incidents. Any invalid file blocks the job with an error naming the file
// and line or field.
func LoadInputs(l inputs.Layout) (*Inputs, error) {
	in := &Inputs{}
	record := func(role string, fi inputs.FileInfo) {
		if fi.Present() {
			in.Files = append(in.Files, reports.InputFile{Role: role, Path: l.Rel(fi.Path), Bytes: fi.Bytes, SHA256: fi.SHA256})
		}
	}
	var err error
	var fi inputs.FileInfo
	if in.Config, fi, err = inputs.LoadConfig(l.Config); err != nil {
		return nil, &BlockedError{err}
	}
	record("config", fi)
	if err := checkOutputDir(l, in.Config.OutputDir); err != nil {
		return nil, &BlockedError{fmt.Errorf("%s: output_dir: %w", l.Config, err)}
	}
	if in.Policy, fi, err = inputs.LoadPolicy(l.Policy); err != nil {
		return nil, &BlockedError{err}
	}
	in.DefaultPolicy = !fi.Present()
	record("policy", fi)
	if in.Baselines, fi, err = inputs.LoadBaselines(l.Baselines); err != nil {
		return nil, &BlockedError{err}
	}
	record(RoleBaselines, fi)
	if in.Cases, fi, err = inputs.LoadCases(l.Cases); err != nil {
		return nil, &BlockedError{err}
	}
	record("cases", fi)
	if in.Incidents, fi, err = inputs.LoadIncidents(l.Incidents); err != nil {
		return nil, &BlockedError{err}
	}
	record("incidents", fi)
	sort.Slice(in.Files, func(i, j int) bool { return in.Files[i].Role < in.Files[j].Role })
	return in, nil
}

// RoleBaselines is the baselines file's role in Inputs.Files (SHA256).
const RoleBaselines = "baselines"

// inputsFilesField is the inputs_read event's field holding the input
// files read, role → SHA-256.
const inputsFilesField = "files"

// emptyInput says, by role, what an operator who means to stop using an
// input file puts in its place: missing is never the same as empty.
var emptyInput = map[string]string{
	"config":    "a file holding {}",
	"policy":    "the policy it should now be (the built-in default is docs/RULES.md, Policy)",
	"baselines": `a file holding {"baselines": []}`,
	"cases":     "an empty file",
	"incidents": "an empty file",
}

// LoadInputs is LoadInputs for the job, held to the record of what earlier
// jobs read: an input file the newest inputs_read entry names that is now
// missing — a missing mount, a deleted file — blocks the job instead of
// being read as no cases, no incidents, no baselines or the default
// policy, which would change every figure the job publishes. What the job
// read is recorded when it differs from that entry.
func (j *Job) LoadInputs(ctx context.Context) (*Inputs, error) {
	l := j.env.Layout
	in, err := LoadInputs(l)
	if err != nil {
		return nil, err
	}
	if j.env.AfterStep != nil {
		j.env.AfterStep(ctx, StepInputsLoaded)
	}
	now := in.digests()
	before, missing := missingInputs(in, j.trail.state.Entries)
	if missing != nil {
		// The ledger's directory holds the cases and incidents too: a
		// mount missing shows first as those, so the ledger is named
		// first when it is gone with them (TestCronLedgerMountMissing).
		if lerr := store.CheckLedger(l.Ledger); lerr != nil {
			missing = fmt.Errorf("%w; %w", lerr, missing)
		}
		return nil, &BlockedError{missing}
	}
	if !maps.EqualFunc(before, now, func(a, b any) bool { return a == b }) {
		if err := j.Audit(ctx, audit.EventInputsRead, map[string]any{inputsFilesField: now}); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// checkOutputDir refuses an output directory (output_dir, resolved against
// the root) that is the filesystem's root or the working root, or lies in
// a directory the jobs keep something else in — the state directory, the
// ledger's, the configuration's, the baseline updates' — or holds one of
// them: the reports would mix with files the record of publication does
// not name, and every later verify all would fail on them. Paths are
// compared as they really are, links followed.
func checkOutputDir(l inputs.Layout, dir string) error {
	out := realPath(l.Resolve(dir))
	if out == string(filepath.Separator) || out == realPath(l.Root) {
		return fmt.Errorf("%q is the root of the filesystem or of the working root: give a directory of its own", dir)
	}
	for _, kept := range append(l.OwnDirs(), l.BaselineUpdatesDir) {
		k := realPath(kept)
		if inputs.Within(out, k) || inputs.Within(k, out) {
			return fmt.Errorf("%q overlaps %s, which holds other files of the root: give a directory of its own", dir, l.Rel(kept))
		}
	}
	// Nor inside another root: reports published into its output
	// directory failed its next weekly job and its daily check, and
	// through a link they landed beside its signing key, exit 0 (an
	// outside review). query --out refuses the same.
	if other := inputs.EnclosingRoot(out); other != "" && other != realPath(l.Root) {
		return fmt.Errorf("%q is inside the ledgerlens root %s (it holds %s), not this one: give a directory of this root's own", dir, other, filepath.Join(other, inputs.StateDirName))
	}
	return nil
}

// realPath is inputs.RealPath, or path itself where that fails.
func realPath(path string) string {
	if real, err := inputs.RealPath(path); err == nil {
		return real
	}
	return path
}

// digests are the SHA-256 of each input file read, by role: the
// inputs_read entry's record.
func (in *Inputs) digests() map[string]any {
	now := make(map[string]any, len(in.Files))
	for _, f := range in.Files {
		now[f.Role] = f.SHA256
	}
	return now
}

// missingInputs compares in with the newest inputs_read entry of entries:
// it returns that entry's record (nil when there is none) and an error
// naming every file it records that in lacks (nil when none is missing).
func missingInputs(in *Inputs, entries []audit.Entry) (map[string]any, error) {
	var last *audit.Entry
	for i := len(entries) - 1; i >= 0 && last == nil; i-- {
		if entries[i].Event == audit.EventInputsRead {
			last = &entries[i]
		}
	}
	if last == nil {
		return nil, nil
	}
	before, _ := last.Fields[inputsFilesField].(map[string]any)
	now := in.digests()
	var missing []string
	for _, role := range slices.Sorted(maps.Keys(before)) {
		if _, ok := now[role]; !ok {
			missing = append(missing, fmt.Sprintf("the %s file, read at audit seq %d, is missing (restore it; to stop using it, put %s in its place)",
				role, last.Seq, emptyInput[role]))
		}
	}
	if len(missing) > 0 {
		return before, fmt.Errorf("inputs: %s: a missing file is never read as an empty one", strings.Join(missing, "; "))
	}
	return before, nil
}

// CheckReviewsSince refuses a weekly_reviews_since more than a week after
// now (a mistyped year): until that Monday no week without a published
// review would be listed, so the list would be off without a word. The
// Monday of next week is allowed, for a configuration written ahead of the
// week it starts. The weekly job and verify all (InputsProblems) apply
// it; the other jobs do not read the key.
func CheckReviewsSince(l inputs.Layout, cfg inputs.Config, now time.Time) error {
	if cfg.WeeklyReviewsSince == "" {
		return nil
	}
	loc, err := cfg.Location()
	if err != nil {
		return err
	}
	today := now.In(loc).Format(time.DateOnly)
	d, err := time.Parse(time.DateOnly, today)
	if err != nil {
		return err
	}
	nextMonday := d.AddDate(0, 0, 7-(int(d.Weekday())+6)%7).Format(time.DateOnly)
	if cfg.WeeklyReviewsSince > nextMonday {
		return fmt.Errorf("%s: weekly_reviews_since %s is more than a week ahead (today is %s): until then no week without a published review would be reported; give the Monday of the first week whose review is required",
			l.Rel(l.Config), cfg.WeeklyReviewsSince, today)
	}
	return nil
}

// InputsProblems is what the daily check (verify all) says of the inputs
// every job reads: a file that does not validate, one the newest
// inputs_read entry of entries names that is now missing — what would
// block the next job, found the morning before it (a missing mount) — and
// a weekly_reviews_since the weekly job refuses at now (CheckReviewsSince).
func InputsProblems(l inputs.Layout, entries []audit.Entry, now time.Time) []string {
	in, err := LoadInputs(l)
	if err != nil {
		return []string{err.Error()}
	}
	if err := CheckReviewsSince(l, in.Config, now); err != nil {
		return []string{err.Error()}
	}
	if _, err := missingInputs(in, entries); err != nil {
		return []string{err.Error()}
	}
	return nil
}
