package job

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// TestCheckOutputDir: an output directory of its own is accepted, inside
// the root or out of it; the filesystem's root, the working root and any
// directory overlapping one the jobs keep other files in are refused,
// also through a link; so is any directory inside another root.
func TestCheckOutputDir(t *testing.T) {
	root := t.TempDir()
	l := inputs.NewLayout(root)
	for _, d := range []string{l.StateDir, filepath.Dir(l.Config), filepath.Dir(l.Ledger)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(t.TempDir(), "state")
	if err := os.Symlink(l.StateDir, link); err != nil {
		t.Fatal(err)
	}
	// Another root on the host, and a link into its state directory:
	// reports published there failed its next job and its daily check,
	// or lay beside its signing key, exit 0 (an outside review).
	other := t.TempDir()
	if err := os.MkdirAll(filepath.Join(other, ".ledgerlens", "keys"), 0o755); err != nil {
		t.Fatal(err)
	}
	intoOther := filepath.Join(t.TempDir(), "keys")
	if err := os.Symlink(filepath.Join(other, ".ledgerlens", "keys"), intoOther); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dir string
		ok  bool
	}{
		{"runs/CREDIT_REVIEWS", true},
		{"reviews", true},
		{t.TempDir(), true},
		{"/", false},
		{".", false},
		{root, false},
		{".ledgerlens", false},
		{".ledgerlens/reviews", false},
		{"runs", false},
		{"runs/CREDIT_MONITORING", false},
		{"config", false},
		{"runs/BASELINE_UPDATES", false},
		{link, false},
		{filepath.Join(link, "x"), false},
		{filepath.Join(other, "runs", "CREDIT_REVIEWS"), false},
		{intoOther, false},
	} {
		err := checkOutputDir(l, tc.dir)
		if (err == nil) != tc.ok {
			t.Errorf("output_dir %q: %v, want accepted %v", tc.dir, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "give a directory of its own") && !strings.Contains(err.Error(), "give a directory of this root's own") {
			t.Errorf("output_dir %q: %v", tc.dir, err)
		}
	}
}
