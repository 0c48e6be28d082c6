package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/ledgerlens/ledgerlens/reports"
)

// TestAttackKeysDirectoryOfAnotherAccount: someone who may write the state
// directory and the output directory, but lacks the key, builds a root of
// their own from the same ledger under a key pair they made, then renames
// the keys directory and the store away and puts their keys, audit log,
// checkpoints and reports in place. Everything held together under their
// key: `verify all` on the host exited 0, and the next job signed its
// entries and checkpoint with their key, so from then on they could sign
// anything (an outside review). The keys directory is now read only when
// it is the jobs' account's alone (package ownerdir): `verify all` exits 4
// naming its owner, and a job exits 4 before it writes anything.
func TestAttackKeysDirectoryOfAnotherAccount(t *testing.T) {
	root := sharedRoot(t)
	if err := os.Chmod(reviews(root), 0o777); err != nil {
		t.Fatal(err)
	}
	// The attacker's own root: the same inputs, their own key.
	scratch := filepath.Join(sharedTemp(t), "scratch")
	if err := os.Mkdir(scratch, 0o755); err != nil {
		t.Fatal(err)
	}
	copyInto(t, fixtureDir, scratch)
	if out, err := exec.Command("chown", "-R", strconv.Itoa(nobody)+":"+strconv.Itoa(nobody), scratch).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v %s", err, out)
	}
	for _, args := range [][]string{{"keys", "generate"}, {"report", "weekly", "--week", prevWeek(t)}, {"report", "weekly", "--week", focusWeek}} {
		if r := ledgerlensAs(t, nobody, nil, nil, append([]string{"--root", scratch}, args...)...); r.code != 0 {
			t.Fatalf("the attacker's %v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
	theirs, err := reports.LoadPublicKey(filepath.Join(scratch, ".ledgerlens", "keys", reports.PublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	out, ok := asNobody(t, root, strings.ReplaceAll(`set -e
S=SCRATCH/.ledgerlens
cd .ledgerlens
mv keys keys.orig
mv store store.orig
if [ -d checkpoints ]; then mv checkpoints checkpoints.orig; fi
cp -rp $S/keys keys
if [ -d $S/checkpoints ]; then cp -rp $S/checkpoints checkpoints; fi
cp $S/audit.jsonl audit.jsonl.new && mv -f audit.jsonl.new audit.jsonl
cp $S/audit.checkpoints audit.checkpoints.new && mv -f audit.checkpoints.new audit.checkpoints
cd ../runs/CREDIT_REVIEWS
rm -f ./*
cp SCRATCH/runs/CREDIT_REVIEWS/* .
`, "SCRATCH", scratch))
	if !ok {
		t.Fatalf("the attacker could not put their state in place: %s", out)
	}

	checkpoints := filepath.Join(root, ".ledgerlens", "audit.checkpoints")
	before, err := os.ReadFile(checkpoints)
	if err != nil {
		t.Fatal(err)
	}
	r := ledgerlens(t, nil, "--root", root, "ingest") // the next job
	after, err := os.ReadFile(checkpoints)
	if err != nil {
		t.Fatal(err)
	}
	if r.code != 4 || !strings.Contains(r.stderr, "keys directory") {
		t.Errorf("a job over their keys: exit %d, want 4 naming the keys directory\n%s", r.code, r.stderr)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("the job signed a checkpoint over their log (their key is %s):\n%s", reports.KeyID(theirs), after[len(before):])
	}

	r = ledgerlens(t, nil, "--root", root, "verify", "all")
	if r.code != 4 || !strings.Contains(r.stderr+r.stdout, "keys directory") || !strings.Contains(r.stderr+r.stdout, "owned by uid 65534") {
		t.Errorf("verify all over their keys: exit %d, want 4 naming the keys directory's owner\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestKeysDirectoryFalseAlarms: two set-ups the keys directory's rules
// refused though nothing was wrong (an outside review). A keys directory
// on a file system of its own, as the docs advise for keys that must live
// elsewhere, holds root's lost+found: every job exited 4 saying someone
// had put the directory there. And `keys generate` in a state directory
// shared through a default ACL made a keys directory that took the ACL,
// then exited 4 on its own keys, as did every job after it. lost+found is
// allowed; a keys directory `keys generate` makes is claimed before any
// key is written in it.
func TestKeysDirectoryFalseAlarms(t *testing.T) {
	t.Run("lost+found on a mount of its own", func(t *testing.T) {
		root := openRoot(t)
		keys := filepath.Join(root, ".ledgerlens", "keys")
		// The account that runs the jobs is not root here: root's
		// lost+found is then another account's directory in its keys.
		for _, p := range []string{root, filepath.Join(root, ".ledgerlens")} {
			if err := os.Chown(p, nobody, nobody); err != nil {
				t.Fatal(err)
			}
		}
		if out, err := exec.Command("chown", "-R", strconv.Itoa(nobody)+":"+strconv.Itoa(nobody), root).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v %s", err, out)
		}
		if err := os.Mkdir(filepath.Join(keys, "lost+found"), 0o700); err != nil {
			t.Fatal(err)
		}
		if r := ledgerlensAs(t, nobody, nil, nil, "--root", root, "verify", "all"); r.code != 0 {
			t.Errorf("verify all with root's lost+found in the keys: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if err := os.Chmod(filepath.Join(keys, "lost+found"), 0o777); err != nil {
			t.Fatal(err)
		}
		if r := ledgerlensAs(t, nobody, nil, nil, "--root", root, "verify", "all"); r.code != 4 || !strings.Contains(r.stdout+r.stderr, "lost+found is owned by uid 0") {
			t.Errorf("a lost+found others can write: exit %d, want 4\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("keys generate under a default ACL", func(t *testing.T) {
		root := copyFixture(t)
		state := filepath.Join(root, ".ledgerlens")
		if err := os.Mkdir(state, 0o770); err != nil {
			t.Fatal(err)
		}
		acl := aclGivingGroup(nobody)
		for _, attr := range []string{"system.posix_acl_access", "system.posix_acl_default"} {
			if err := syscall.Setxattr(state, attr, acl, 0); err != nil {
				t.Skipf("no ACLs here: %v", err)
			}
		}
		mustRun(t, "--root", root, "keys", "generate")
		r := ledgerlens(t, nil, "--root", root, "report", "weekly", "--week", focusWeek)
		if r.code != 0 {
			t.Errorf("the first job after keys generate under a default ACL: exit %d\n%s", r.code, r.stderr)
		}
		mustRun(t, "--root", root, "verify", "all")
	})
}

// TestSigningKeyTheJobsCannotRead: a signing key its own account cannot
// read (made mode 0000, say) stopped every job ("permission denied")
// while verify all, run by the same account, said OK: it passes over a
// key it may not read, which an auditor's account never may (an outside
// review). Run by the account that owns the keys directory, the jobs'
// account, it now lists the key (exit 4); run by another account, which
// may not read the key by design, it says nothing of it, as before.
func TestSigningKeyTheJobsCannotRead(t *testing.T) {
	root := openRoot(t)
	if out, err := exec.Command("chown", "-R", strconv.Itoa(nobody)+":"+strconv.Itoa(nobody), root).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v %s", err, out)
	}
	if r := ledgerlensAs(t, nobody, nil, nil, "--root", root, "verify", "all"); r.code != 0 {
		t.Fatalf("the jobs' account's check before: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	key := filepath.Join(root, ".ledgerlens", "keys", reports.PrivateKeyFile)
	if err := os.Chmod(key, 0); err != nil {
		t.Fatal(err)
	}
	if r := ledgerlensAs(t, nobody, nil, nil, "--root", root, "report", "weekly", "--week", nextWeek(t)); r.code == 0 || !strings.Contains(r.stderr, "permission denied") {
		t.Fatalf("a job: exit %d, want it stopped on the key\n%s", r.code, r.stderr)
	}
	r := ledgerlensAs(t, nobody, nil, nil, "--root", root, "verify", "all")
	if r.code != 4 || !strings.Contains(r.stdout, "cannot be read by the account that owns the keys directory") {
		t.Errorf("the jobs' account's check: exit %d, want 4 naming the key\n%s%s", r.code, r.stdout, r.stderr)
	}
}
