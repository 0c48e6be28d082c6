package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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

// TestPublishIntoAnUnusualOutputDirectory: a job prepares the report and
// the workbook in its checkpoint directory and renames them into the
// output directory. An operator's output directory may not take such a
// rename as it takes a file made in it: a bind mount of the same disk
// refuses it (EXDEV), and a setgid directory gives its group only to
// files made in it. Either way the job must publish the whole set, with
// every file as a file made there would be, and `verify all` must pass.
func TestPublishIntoAnUnusualOutputDirectory(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("bind mounts and another group need root")
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, root, out string) (gid int)
	}{
		{"bind mount of the same disk", func(t *testing.T, root, out string) int {
			elsewhere := filepath.Join(root, "elsewhere")
			if err := os.Mkdir(elsewhere, 0o755); err != nil {
				t.Fatal(err)
			}
			if b, err := exec.Command("mount", "--bind", elsewhere, out).CombinedOutput(); err != nil {
				t.Skipf("cannot bind-mount here (%v: %s)", err, strings.TrimSpace(string(b)))
			}
			t.Cleanup(func() { exec.Command("umount", out).Run() })
			return os.Getegid()
		}},
		{"setgid directory of another group", func(t *testing.T, root, out string) int {
			gid := os.Getegid() + 1
			if err := os.Chown(out, -1, gid); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(out, 0o775|os.ModeSetgid); err != nil {
				t.Fatal(err)
			}
			return gid
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := copyFixture(t)
			mustRun(t, "--root", root, "keys", "generate")
			out := reviews(root)
			if err := os.MkdirAll(out, 0o755); err != nil {
				t.Fatal(err)
			}
			gid := tt.setup(t, root, out)
			r := cron(t, root, "report", "weekly", "--week", focusWeek)
			wantExit(t, r, 0, "publish into "+tt.name)
			for _, name := range []string{"weekly_" + focusWeek + ".json", "weekly_" + focusWeek + ".xlsx"} {
				for _, ext := range []string{"", ".sha256", ".sig"} {
					st, err := os.Stat(filepath.Join(out, name+ext))
					if err != nil {
						t.Errorf("published set: %v", err)
						continue
					}
					if g := int(st.Sys().(*syscall.Stat_t).Gid); g != gid {
						t.Errorf("%s%s has group %d, want %d as a file made in the directory", name, ext, g, gid)
					}
				}
			}
			if r := ledgerlens(t, nil, "--root", root, "verify", "all"); r.code != 0 {
				t.Fatalf("verify all: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}
