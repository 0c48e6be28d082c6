package main

import (
	"bytes"
	"os"
	"os/exec"
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
// that runs the jobs; a configuration another account may write, through
// its owner, its mode, an ACL, a directory above it or a link, is now
// refused by every job (exit 4, nothing published) and named by verify
// all (exit 4), as sshd's StrictModes refuses such a file. A review of
// the first version wrote through the jobs' own group, which the docs
// have analysts join, through an ACL, and through a link into another
// account's directory; a review of the second through a link in a
// directory of its own pointing elsewhere, and found a checkout written
// under a umask of 002 (its owner's private group) refused.
func TestConfigOthersMayWrite(t *testing.T) {
	for _, tt := range []struct {
		name, path string // the path named, under the root
		change     func(t *testing.T, root string)
		want       string
	}{
		{"the policy owned by another account", "config/sintraprime-policy.json",
			func(t *testing.T, root string) {
				chown(t, filepath.Join(root, "config", "sintraprime-policy.json"), 65534, 65534)
			},
			"is owned by nobody (uid 65534), not by the jobs' account (root)"},
		{"the configuration directory writable by every account", "config",
			func(t *testing.T, root string) { chmod(t, filepath.Join(root, "config"), 0o777) }, "is writable by every account (mode 0777)"},
		{"the baselines writable by a group others are in", "config/credit-baselines.json",
			func(t *testing.T, root string) {
				chown(t, filepath.Join(root, "config", "credit-baselines.json"), 0, 65534)
				chmod(t, filepath.Join(root, "config", "credit-baselines.json"), 0o664)
			}, "is writable by group"},
		{"the working root writable by a group others are in", "",
			func(t *testing.T, root string) {
				chown(t, root, 0, 65534)
				chmod(t, root, 0o775)
			}, "is writable by group"},
		{"the policy a link into another account's directory", "elsewhere",
			func(t *testing.T, root string) {
				dir := filepath.Join(root, "elsewhere")
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				policy := filepath.Join(root, "config", "sintraprime-policy.json")
				if err := os.Rename(policy, filepath.Join(dir, "policy.json")); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(filepath.Join(dir, "policy.json"), policy); err != nil {
					t.Fatal(err)
				}
				chown(t, dir, 65534, 65534)
			}, "is owned by nobody (uid 65534)"},
		{"the configuration a link through a link in another account's directory", "hop",
			func(t *testing.T, root string) {
				hop, real := filepath.Join(root, "hop"), filepath.Join(root, "real")
				if err := os.Rename(filepath.Join(root, "config"), real); err != nil {
					t.Fatal(err)
				}
				if err := os.Mkdir(hop, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(real, filepath.Join(hop, "config")); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(filepath.Join(hop, "config"), filepath.Join(root, "config")); err != nil {
					t.Fatal(err)
				}
				chown(t, hop, 65534, 65534)
			}, "is owned by nobody (uid 65534)"},
		{"the policy a link another account owns", "config/sintraprime-policy.json",
			func(t *testing.T, root string) {
				policy := filepath.Join(root, "config", "sintraprime-policy.json")
				kept := filepath.Join(root, "kept-policy.json")
				if err := os.Rename(policy, kept); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(kept, policy); err != nil {
					t.Fatal(err)
				}
				if err := os.Lchown(policy, 65534, 65534); err != nil {
					t.Fatal(err)
				}
			}, "is a link owned by nobody (uid 65534), not by the jobs' account (root)"},
		{"an ACL lets another account write the policy", "config/sintraprime-policy.json",
			func(t *testing.T, root string) {
				if _, err := exec.LookPath("setfacl"); err != nil {
					t.Skip("setfacl not on PATH")
				}
				if out, err := exec.Command("setfacl", "-m", "u:65534:rw", filepath.Join(root, "config", "sintraprime-policy.json")).CombinedOutput(); err != nil {
					t.Skipf("setfacl: %v %s", err, out)
				}
			}, "is writable by nobody (uid 65534), whom an ACL names"},
		{"the configuration directory sticky and writable by every account", "config",
			// Nobody may replace the jobs' files in it, but anyone may
			// create one that is missing (config/approvers here): it
			// passed (an outside review).
			func(t *testing.T, root string) { chmod(t, filepath.Join(root, "config"), 0o777|os.ModeSticky) },
			"is writable by every account (mode 1777), where a configuration file lies"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := copyRoot(t, publishedRoot(t))
			tt.change(t, root)
			named := filepath.Join(root, filepath.FromSlash(tt.path)) + " " + tt.want
			r := cron(t, root, "report", "weekly", "--week", nextWeek(t))
			if r.code != exitIntegrity || !strings.Contains(r.stderr, named) || !strings.Contains(r.stderr, "nothing was published") {
				t.Errorf("the weekly job: exit %d, want %d saying %q\n%s", r.code, exitIntegrity, named, r.stderr)
			}
			if _, err := os.Stat(weeklyPath(root, nextWeek(t), 1, ".json")); err == nil {
				t.Error("a report was published from rules another account may write")
			}
			// The refusal is in the log: once the access is taken away,
			// nothing else would say the rules were open to others.
			if log := readFile(t, filepath.Join(root, ".ledgerlens", "audit.jsonl")); !bytes.Contains(log, []byte(`"event":"job_fail"`)) || !bytes.Contains(log, []byte("changes the rules the jobs apply")) {
				t.Error("the audit log does not record the refusal")
			}
			// Whoever may write the configuration also chose the webhooks
			// told of it: said (it was not: an outside review).
			mustFail(t, exitIntegrity, []string{named, "the webhooks are listed in a configuration others may write"}, "--root", root, "verify", "all")
			// The scheduler reads its jobs' times there: moved to a day
			// that never comes, no job ran, nothing said (an outside
			// review).
			mustFail(t, exitIntegrity, []string{named}, "--root", root, "schedule", "list")
		})
	}
	// A checkout written under a umask of 002, group-writable by the
	// owner's private group, passes (it was refused: a review); so does
	// one whose ACL lets another group read it (refused for any ACL: an
	// outside review).
	private := copyRoot(t, publishedRoot(t))
	chmod(t, private, 0o775)
	chmod(t, filepath.Join(private, "config"), 0o775)
	chmod(t, filepath.Join(private, "config", "sintraprime-policy.json"), 0o664)
	mustRun(t, "--root", private, "verify", "all")
	if _, err := exec.LookPath("setfacl"); err == nil {
		if out, err := exec.Command("setfacl", "-m", "g:65534:r", filepath.Join(private, "config", "sintraprime-policy.json")).CombinedOutput(); err != nil {
			t.Fatalf("setfacl: %v %s", err, out)
		}
		mustRun(t, "--root", private, "verify", "all")
	}
	// The root as the jobs leave it passes; so does one whose jobs run
	// under another account than root, checked by root (sudo verify
	// all called that account "another account": a review).
	root := copyRoot(t, publishedRoot(t))
	mustRun(t, "--root", root, "verify", "all")
	if out, err := exec.Command("chown", "-R", "65534:65534", root).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v %s", err, out)
	}
	chmod(t, root, 0o755)
	r := ledgerlens(t, nil, "--root", root, "verify", "all")
	if strings.Contains(r.stdout+r.stderr, "rules the jobs apply") {
		t.Errorf("root's verify all of a root the jobs' account (nobody) owns: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func chown(t *testing.T, path string, uid, gid int) {
	t.Helper()
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
