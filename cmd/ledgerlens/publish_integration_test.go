package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPublishOnAFullDiskIsAllOrNothing publishes into a real tmpfs too small
// for the publication set: the job fails, leaves no part of the set (no
// rejects file, sidecar, signature or workbook without its report) that
// `verify all` could take for a publication, and a re-run once there is room
// publishes the whole set.
func TestPublishOnAFullDiskIsAllOrNothing(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	out := filepath.Join(root, "runs", "CREDIT_REVIEWS")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=48k", "tmpfs", out).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s)", err, strings.TrimSpace(string(b)))
	}
	t.Cleanup(func() { exec.Command("umount", out).Run() })

	r := cron(t, root, "report", "weekly", "--week", focusWeek)
	wantExit(t, r, 1, "publish on a full disk")
	if !strings.Contains(r.stderr, "no space left on device") {
		t.Errorf("stderr does not name the full disk:\n%s", r.stderr)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("a failed publish left %v", names)
	}
	if r := ledgerlens(t, nil, "--root", root, "verify", "all"); r.code != 0 {
		t.Fatalf("verify all after the failed publish: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	if b, err := exec.Command("mount", "-o", "remount,size=64m", out).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v: %s", err, b)
	}
	r = cron(t, root, "report", "weekly", "--week", focusWeek)
	wantExit(t, r, 0, "re-run with room")
	for _, name := range []string{"weekly_" + focusWeek + ".json", "weekly_" + focusWeek + ".xlsx", "rejects_cumulative_" + focusWeek + ".jsonl"} {
		for _, ext := range []string{"", ".sha256", ".sig"} {
			if _, err := os.Stat(filepath.Join(out, name+ext)); err != nil {
				t.Errorf("after the re-run: %v", err)
			}
		}
	}
	if r := ledgerlens(t, nil, "--root", root, "verify", "all"); r.code != 0 {
		t.Fatalf("verify all after the re-run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
