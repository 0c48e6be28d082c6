package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigOthersMayWrite: the rules the jobs apply (the severity
// multipliers, the baselines, the SLO targets, who may approve) are files
// under config/. An outside review gave them to another account, which
// lowered the multipliers or the SLO target, or listed its own keys as
// two approvers: the weekly job published from them, and verify all and
// the offline checks passed. The threat model trusts only the account
// that runs the jobs; a configuration another account may write is now
// refused by every job (exit 4, nothing published) and named by verify
// all (exit 4), as sshd's StrictModes refuses such a file.
func TestConfigOthersMayWrite(t *testing.T) {
	for _, tt := range []struct {
		name, path string // path under the root
		change     func(path string) error
		want       string
	}{
		{"the policy owned by another account", "config/sintraprime-policy.json",
			func(p string) error { return os.Chown(p, 65534, 65534) }, "is owned by nobody (uid 65534), not by the account that runs the jobs"},
		{"the configuration directory writable by every account", "config",
			func(p string) error { return os.Chmod(p, 0o777) }, "is writable by every account (mode 0777)"},
		{"the baselines writable by a group not their owner's own", "config/credit-baselines.json",
			func(p string) error {
				if err := os.Chown(p, 0, 65534); err != nil {
					return err
				}
				return os.Chmod(p, 0o664)
			}, "is writable by group"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := copyRoot(t, publishedRoot(t))
			if err := tt.change(filepath.Join(root, filepath.FromSlash(tt.path))); err != nil {
				t.Fatal(err)
			}
			r := cron(t, root, "report", "weekly", "--week", nextWeek(t))
			if r.code != exitIntegrity || !strings.Contains(r.stderr, tt.path+" "+tt.want) || !strings.Contains(r.stderr, "nothing was published") {
				t.Errorf("the weekly job: exit %d, want %d naming %s\n%s", r.code, exitIntegrity, tt.path, r.stderr)
			}
			if _, err := os.Stat(weeklyPath(root, nextWeek(t), 1, ".json")); err == nil {
				t.Error("a report was published from rules another account may write")
			}
			mustFail(t, exitIntegrity, []string{tt.path + " " + tt.want}, "--root", root, "verify", "all")
		})
	}
	// The root as the jobs leave it passes.
	root := copyRoot(t, publishedRoot(t))
	mustRun(t, "--root", root, "verify", "all")
}
