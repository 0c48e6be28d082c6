package pipeline

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/reports"
)

// TestRotateKeyKeepsJobsRunning: after `keys rotate` every entry is
// covered by a checkpoint of the new key, later entries carry its
// signature, the old public key is kept and the old private key is gone.
func TestRotateKeyKeepsJobsRunning(t *testing.T) {
	ctx := context.Background()
	env := testEnv(copyRoot(t))
	first, err := GenerateKey(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunIngest(ctx, env, env.Layout.Ledger); err != nil {
		wantPlanted(t, err)
	}
	next, err := RotateKey(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	if next.KeyID == first.KeyID {
		t.Fatal("the rotation kept the key")
	}
	retired := filepath.Join(job.RetiredKeysDir(env.Layout.KeysDir), first.KeyID+".pub")
	if old, err := reports.LoadPublicKey(retired); err != nil || !old.Equal(first.Public) {
		t.Fatalf("retired public key %s: %v", retired, err)
	}
	if _, err := RunIngest(ctx, env, env.Layout.Ledger); err != nil {
		wantPlanted(t, err) // the fixture's planted duplicate, nothing else
	}
	pub, err := job.RootPublicKey(env.Layout)
	if err != nil || !pub.Equal(next.Public) {
		t.Fatalf("signing.pub after the rotation: %v", err)
	}
	st, err := audit.Load(env.Layout.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	all, problems, err := job.StoredCheckpoints(env.Layout, pub, st.Entries)
	if err != nil || len(problems) > 0 {
		t.Fatalf("checkpoints after the rotation: problems %v, err %v", problems, err)
	}
	var cps []job.NamedCheckpoint // the new key's
	for _, c := range all {
		if c.Checkpoint.Origin == audit.Origin(next.KeyID) {
			cps = append(cps, c)
		}
	}
	if len(cps) != 2 || len(all) <= 2 {
		t.Fatalf("%d checkpoints of the new key (want the rotation's and the ingest's) of %d that verify (the old key's with the key the rotation retired)", len(cps), len(all))
	}
	var rotated bool
	for _, e := range st.Entries {
		switch {
		case e.Event == audit.EventKeyGenerated && !e.SignedBy(first.Public):
			t.Errorf("key_generated (seq %d) is not signed by the key it records", e.Seq)
		case e.Event == audit.EventKeyRotated:
			rotated = true
			if !e.SignedBy(next.Public) {
				t.Errorf("key_rotated (seq %d) is not signed by the new key", e.Seq)
			}
		}
	}
	if !rotated {
		t.Error("no key_rotated entry")
	}
	t.Run("the rotation checked by hand as the audit package documents", func(t *testing.T) {
		rotationRecipe(t, env.Layout.AuditLog, retired)
	})
	if seqs := job.UnsignedAfter(st.Entries, cps[len(cps)-1].Checkpoint.Size, pub); len(seqs) > 0 {
		t.Errorf("entries %v after the newest checkpoint are not signed by the new key", seqs)
	}
	if matches, _ := filepath.Glob(filepath.Join(env.Layout.KeysDir, ".rotate-*")); len(matches) > 0 {
		t.Errorf("staging left behind: %v", matches)
	}
	if _, err := os.Stat(filepath.Join(job.RetiredKeysDir(env.Layout.KeysDir), first.KeyID+".key")); err == nil {
		t.Error("the old private key was kept")
	}
}

// rotationRecipe runs pipeline/audit/doc.go's check, with jq and OpenSSL,
// of the old key's word for the new one in the key_rotated entry of the
// log at path, with the retired key oldPub: it must pass, and fail once
// the entry names another new key (the rotation's bytes were not
// documented anywhere: an outside review).
func rotationRecipe(t *testing.T, path, oldPub string) {
	t.Helper()
	for _, tool := range []string{"bash", "jq", "base64", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH", tool)
		}
	}
	var script strings.Builder
	in := false
	for _, line := range strings.Split(string(readOrFatal(t, filepath.Join("audit", "doc.go"))), "\n") {
		body, ok := strings.CutPrefix(line, "//\t")
		in = in && ok || ok && strings.HasPrefix(body, `jq -j '"ledgerlens/key-rotation`)
		if in {
			script.WriteString(body + "\n")
		} else if script.Len() > 0 {
			break
		}
	}
	if script.Len() == 0 {
		t.Fatal("no rotation recipe in pipeline/audit/doc.go")
	}
	var entry string
	for _, l := range strings.Split(string(readOrFatal(t, path)), "\n") {
		if strings.Contains(l, `"event":"key_rotated"`) {
			entry = l
		}
	}
	if entry == "" {
		t.Fatal("no key_rotated line in the log")
	}
	run := func(line string) ([]byte, error) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "old.pub"), readOrFatal(t, oldPub), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("bash", "-c", "set -e\n"+script.String())
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "line="+line)
		return cmd.CombinedOutput()
	}
	if out, err := run(entry); err != nil {
		t.Fatalf("the documented recipe on a genuine rotation: %v\n%s\n%s", err, script.String(), out)
	}
	forged := strings.Replace(entry, `"to_key_id":"`, `"to_key_id":"0`, 1)
	if out, err := run(forged); err == nil {
		t.Fatalf("the documented recipe on a rotation naming another key ended 0:\n%s", out)
	}
}
