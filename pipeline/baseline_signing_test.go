package pipeline

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/baselines"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
)

// makerChecker runs approvals of p that the maker-checker rules refuse
// and checks that each names its reason and changes nothing.
func makerChecker(t *testing.T, env job.Env, k keys, p baselines.Proposal, before []byte) {
	t.Helper()
	ctx := context.Background()
	l := env.Layout
	bobsOwn := propose(t, env, p.ScenarioID, k.bob, "2026-03-02T00:00:00Z")
	approvers, _ := os.ReadFile(k.approvers)
	alicePub, _ := os.ReadFile(k.alice + ".pub")

	for _, tt := range []struct {
		name     string
		opts     ApproveOptions
		setup    func()
		want     string
		teardown func()
	}{
		{name: "bob approving bob's proposal", opts: ApproveOptions{ProposalID: bobsOwn.ProposalID, Signing: baselines.Signing{KeyFile: k.bob}},
			want: "bob proposed " + bobsOwn.ProposalID + " and cannot also approve it"},
		{name: "a key not in approvers", opts: ApproveOptions{ProposalID: p.ProposalID, Signing: baselines.Signing{KeyFile: k.mallory}},
			want: "is not listed in"},
		{name: "--by naming someone other than the key's owner", opts: ApproveOptions{ProposalID: p.ProposalID, By: "carol",
			Signing: baselines.Signing{KeyFile: k.bob}}, want: `--by "carol" names someone else`},
		{name: "alice's key listed again as alice2", opts: ApproveOptions{ProposalID: p.ProposalID, By: "alice2",
			Signing: baselines.Signing{KeyFile: k.alice}},
			setup: func() {
				os.WriteFile(k.approvers, append(append([]byte{}, approvers...), []byte(`alice2 namespaces="ledgerlens-baseline" `+string(alicePub))...), 0o644)
			},
			teardown: func() { os.WriteFile(k.approvers, approvers, 0o644) },
			want:     "the key that signed proposal"},
		{name: "a proposal whose SSH signature is gone", opts: ApproveOptions{ProposalID: p.ProposalID, Signing: baselines.Signing{KeyFile: k.bob}},
			setup: func() {
				sig := filepath.Join(l.BaselineUpdatesDir, baselines.ProposalBase(p.ProposalID)+baselines.SignatureExt)
				os.Rename(sig, sig+".moved")
			},
			teardown: func() {
				sig := filepath.Join(l.BaselineUpdatesDir, baselines.ProposalBase(p.ProposalID)+baselines.SignatureExt)
				os.Rename(sig+".moved", sig)
			},
			want: "has no SSH signature by its author"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			if tt.teardown != nil {
				defer tt.teardown()
			}
			_, err := ApproveBaseline(ctx, env, tt.opts)
			var refused *job.RefusedError
			if !errors.As(err, &refused) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a refusal containing %q", err, tt.want)
			}
			if after, _ := os.ReadFile(l.Baselines); !bytes.Equal(before, after) {
				t.Fatal("a refused approval changed the baselines file")
			}
			if _, err := os.Stat(filepath.Join(l.BaselineUpdatesDir, baselines.ApprovalBase(tt.opts.ProposalID)+".json")); err == nil {
				t.Fatal("a refused approval wrote an approval record")
			}
		})
	}
}

// stockSign signs file with the stock `ssh-keygen -Y sign`.
func stockSign(t *testing.T, key, file string) string {
	t.Helper()
	os.Remove(file + ".sig")
	if out, err := exec.Command("ssh-keygen", "-Y", "sign", "-f", key, "-n", baselines.Namespace, file).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -Y sign: %v\n%s", err, out)
	}
	return file + ".sig"
}

// stockVerify is docs/COMPLIANCE.md's check of who signed a record.
func stockVerify(t *testing.T, approvers, principal, dir, base string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, base+".json"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", approvers, "-I", principal, "-n", baselines.Namespace,
		"-s", filepath.Join(dir, base+baselines.SignatureExt))
	cmd.Stdin = bytes.NewReader(data)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -Y verify -I %s %s: %v\n%s", principal, base, err, out)
	}
}

// TestBaselineSignedByHand is the flow for people who keep their keys to
// themselves: each prints the record, signs it with the stock ssh-keygen
// and hands the signature back. It also shows the stability guard needs
// data in its window.
func TestBaselineSignedByHand(t *testing.T) {
	cand, clock, env, k := candidateRoot(t)
	l := env.Layout
	ctx := context.Background()
	work := t.TempDir()
	asOf, _ := time.Parse(time.RFC3339, "2026-03-02T00:00:00Z")

	// The maker: print, sign with ssh-keygen, hand back.
	printed, err := ProposeBaselines(ctx, env, ProposeOptions{ScenarioID: cand.ScenarioID, AsOf: asOf, By: "alice",
		Rationale: "stable", Signing: baselines.Signing{PrintRecord: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(printed.Proposals) != 0 || !bytes.Contains(printed.Printed, []byte(`"proposed_by": "alice"`)) {
		t.Fatalf("--print-record: %s %+v", printed.Printed, printed.Proposals)
	}
	if entries, _ := os.ReadDir(l.BaselineUpdatesDir); len(entries) != 0 {
		t.Fatalf("--print-record wrote %d files", len(entries))
	}
	rec := filepath.Join(work, "proposal.json")
	os.WriteFile(rec, printed.Printed, 0o644)
	sig := stockSign(t, k.alice, rec)
	clock.Set("2026-03-02T09:05:00Z")
	res, err := ProposeBaselines(ctx, env, ProposeOptions{Signing: baselines.Signing{SignatureFile: sig}})
	if err != nil {
		t.Fatal(err)
	}
	p := res.Proposals[0]
	published, _ := os.ReadFile(res.Paths[0])
	if p.ProposedBy != "alice" || p.ProposedAt != "2026-03-02T09:00:00Z" || !bytes.Equal(published, printed.Printed) {
		t.Fatalf("hand-signed proposal %+v\n%s", p, published)
	}
	stockVerify(t, k.approvers, "alice", l.BaselineUpdatesDir, baselines.ProposalBase(p.ProposalID))
	// The docs' recipe, with a proposal pending and no approval yet: its
	// signature checked, and no error (a review of the recipe's fix).
	if out, err := recipeRunner(t, l)(); err != nil || strings.Count(out, `Good "ledgerlens-baseline" signature for alice`) != 1 {
		t.Fatalf("the recipe with a proposal pending: %v\n%s", err, out)
	}

	t.Run("vacuous stability window refused", func(t *testing.T) {
		// Months after the ledger's newest run: the 14 days hold no run,
		// so "no SEV0/SEV1" cannot be shown. (The proposal is too old to
		// approve by then as well, but the window is checked first.)
		clock.Set("2026-07-01T10:00:00Z")
		_, err := ApproveBaseline(ctx, env, ApproveOptions{ProposalID: p.ProposalID, Signing: baselines.Signing{KeyFile: k.bob}})
		var refused *job.RefusedError
		want := "no runs of " + cand.ScenarioID + " since 2026-06-30T10:00:00Z: stability over 14 days cannot be shown"
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), want) {
			t.Fatalf("got %v, want a refusal containing %q", err, want)
		}
	})

	// The checker, with data in the window: print, sign, tamper → refused;
	// sign the printed bytes → applied.
	clock.Set("2026-03-02T10:15:00Z")
	ap, err := ApproveBaseline(ctx, env, ApproveOptions{ProposalID: p.ProposalID, By: "bob", Signing: baselines.Signing{PrintRecord: true}})
	if err != nil {
		t.Fatal(err)
	}
	arec := filepath.Join(work, "approval.json")
	tampered := bytes.Replace(ap.Printed, []byte(`"new_baseline": `), []byte(`"new_baseline": 1`), 1)
	os.WriteFile(arec, tampered, 0o644)
	asig := stockSign(t, k.bob, arec)
	clock.Set("2026-03-02T10:20:00Z")
	_, err = ApproveBaseline(ctx, env, ApproveOptions{ProposalID: p.ProposalID, Signing: baselines.Signing{SignatureFile: asig}})
	if err == nil || !strings.Contains(err.Error(), "is not the record ledgerlens makes now") || !strings.Contains(err.Error(), "new_baseline") {
		t.Fatalf("a signed record with another baseline: %v", err)
	}
	os.WriteFile(arec, ap.Printed, 0o644) // the signature now covers other bytes
	if _, err = ApproveBaseline(ctx, env, ApproveOptions{ProposalID: p.ProposalID, Signing: baselines.Signing{SignatureFile: asig}}); err == nil ||
		!strings.Contains(err.Error(), "does not match the record's bytes") {
		t.Fatalf("a signature over different bytes: %v", err)
	}
	asig = stockSign(t, k.bob, arec)
	done, err := ApproveBaseline(ctx, env, ApproveOptions{ProposalID: p.ProposalID, Signing: baselines.Signing{SignatureFile: asig}})
	if err != nil {
		t.Fatal(err)
	}
	a := done.Approval
	if a.ApprovedBy != "bob" || a.ApprovedAt != "2026-03-02T10:15:00Z" || a.ProposerKey == "" || a.Checks.NewestRun == "" {
		t.Fatalf("approval %+v", a)
	}
	stockVerify(t, k.approvers, "bob", l.BaselineUpdatesDir, baselines.ApprovalBase(p.ProposalID))
	approvers, err := baselines.LoadApprovers(k.approvers)
	if err != nil {
		t.Fatal(err)
	}
	checks, err := baselines.VerifyRecords(l.BaselineUpdatesDir, approvers)
	if err != nil || len(checks) != 2 || !checks[0].OK() || !checks[1].OK() || checks[0].Fingerprint == checks[1].Fingerprint {
		t.Fatalf("VerifyRecords: %+v %v", checks, err)
	}
	b, _, _ := inputs.LoadBaselines(l.Baselines)
	if got, ok := b.Get(cand.ScenarioID); !ok || got.MedianCredits != a.NewBaseline || got.LastUpdated != a.ApprovedAt {
		t.Fatalf("baseline in force %+v", got)
	}
	stockRecipe(t, l, k)
}

// recipeRunner returns a function that runs docs/COMPLIANCE.md's check of
// who made and who approved each change, with stock OpenSSH and jq, on
// the records of the root in l (the test is skipped without those tools).
func recipeRunner(t *testing.T, l inputs.Layout) func() (string, error) {
	t.Helper()
	for _, tool := range []string{"bash", "jq", "sha256sum", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH", tool)
		}
	}
	doc := readOrFatal(t, filepath.Join("..", "docs", "COMPLIANCE.md"))
	_, section, _ := bytes.Cut(doc, []byte("### Checking who made and who approved each change"))
	_, block, _ := bytes.Cut(section, []byte("```sh\n"))
	script, _, ok := bytes.Cut(block, []byte("```"))
	if !ok || !bytes.HasPrefix(script, []byte("cd runs/BASELINE_UPDATES\n")) {
		t.Fatalf("no recipe in docs/COMPLIANCE.md:\n%s", script)
	}
	return func() (string, error) {
		cmd := exec.Command("bash", "-c", string(script))
		cmd.Dir = l.Root
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
}

// stockRecipe runs docs/COMPLIANCE.md's check of who made and who
// approved each change, with stock OpenSSH and jq, on the records of the
// root in l: it must pass them; pass them still once their keys are
// retired (valid-before=, as the docs advise; it failed every genuine
// record then); and fail, with a non-zero status, once a record changed
// (it ended 0 whatever failed: an outside review).
//
// And an approval signed with the proposer's own key, listed again under
// another name: the recipe printed both fingerprints for someone to
// compare, and ended 0 (an outside review).
func stockRecipe(t *testing.T, l inputs.Layout, k keys) {
	t.Helper()
	approvers := k.approvers
	run := recipeRunner(t, l)
	if out, err := run(); err != nil || strings.Count(out, `Good "ledgerlens-baseline" signature for`) != 2 || strings.Contains(out, "note:") {
		t.Fatalf("the recipe on genuine records: %v\n%s", err, out)
	}
	entries, err := filepath.Glob(filepath.Join(l.BaselineUpdatesDir, "approval_*.json"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("approval records %v %v", entries, err)
	}
	approval := entries[0]
	genuine, genuineSig := readOrFatal(t, approval), readOrFatal(t, strings.TrimSuffix(approval, ".json")+baselines.SignatureExt)
	listed := readOrFatal(t, approvers)
	alicePub := readOrFatal(t, k.alice+".pub")
	if err := os.WriteFile(approvers, append(append([]byte{}, listed...), []byte(`carol namespaces="ledgerlens-baseline" `+string(alicePub))...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(approval, bytes.Replace(genuine, []byte(`"approved_by": "bob"`), []byte(`"approved_by": "carol"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(stockSign(t, k.alice, approval), strings.TrimSuffix(approval, ".json")+baselines.SignatureExt); err != nil {
		t.Fatal(err)
	}
	if out, err := run(); err == nil || !strings.Contains(out, "one key on both sides") {
		t.Fatalf("the recipe on an approval signed with the proposer's key under another name: %v\n%s", err, out)
	}
	if err := os.WriteFile(approvers, listed, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(approval, genuine, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(strings.TrimSuffix(approval, ".json")+baselines.SignatureExt, genuineSig, 0o644); err != nil {
		t.Fatal(err)
	}
	// Both keys retired the day after the records were signed: the
	// approval was made under another version of the file, noted.
	retired := bytes.ReplaceAll(listed, []byte(`namespaces="ledgerlens-baseline"`), []byte(`namespaces="ledgerlens-baseline",valid-before="20260303Z"`))
	if err := os.WriteFile(approvers, retired, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run(); err != nil || strings.Count(out, `Good "ledgerlens-baseline" signature for`) != 2 || !strings.Contains(out, "note: approved under approvers file sha256") {
		t.Fatalf("the recipe on genuine records whose keys were retired since: %v\n%s", err, out)
	}
	// An approval record changed after it was signed.
	edited := bytes.Replace(genuine, []byte(`"approved_by": "bob"`), []byte(`"approved_by":  "bob"`), 1)
	if err := os.WriteFile(approval, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run(); err == nil {
		t.Fatalf("the recipe on an approval record changed after signing ended 0:\n%s", out)
	}
}

// TestBaselineIDsRefusedAtInput: an id that could add lines to a signed
// note never gets as far as a record.
func TestBaselineIDsRefusedAtInput(t *testing.T) {
	clock := &testClock{}
	clock.Set("2026-03-02T09:00:00Z")
	_, env := signedRoot(t, clock)
	forged := "AUDIT_BINDER_EXPORT\n- **Approved:** by FORGED-AUDITOR"
	ctx := context.Background()
	if _, err := ProposeBaselines(ctx, env, ProposeOptions{ScenarioID: forged, Signing: baselines.Signing{KeyFile: "unused"}}); err == nil ||
		!strings.Contains(err.Error(), "control character") {
		t.Errorf("propose with a newline in the scenario id: %v", err)
	}
	if _, err := CalculateBaseline(ctx, env, CalculateOptions{ScenarioID: forged}); err == nil || !strings.Contains(err.Error(), "control character") {
		t.Errorf("calculate with a newline in the scenario id: %v", err)
	}
	if _, err := ApproveBaseline(ctx, env, ApproveOptions{ProposalID: "BP-20260302-000000000000\n**Approved:** by X"}); err == nil ||
		!strings.Contains(err.Error(), "want BP-<yyyymmdd>-<12 hex digits>") {
		t.Errorf("approve with a newline in the proposal id: %v", err)
	}
	if entries, _ := os.ReadDir(env.Layout.BaselineUpdatesDir); len(entries) != 0 {
		t.Errorf("refused ids wrote %d files", len(entries))
	}
}

// TestApproveAfterAKeyRotation: a proposal still pending when `keys
// rotate` ran could never be approved: its host signature is the retired
// key's, and approve refused it as not verifying with the current key,
// exit 1, while verify all passed the root (an outside review). The key
// the rotation retired vouches for it, as the log records it with these
// bytes before the rotation; a proposal that key signed after it does not.
func TestApproveAfterAKeyRotation(t *testing.T) {
	cand, clock, env, k := candidateRoot(t)
	ctx := context.Background()
	p := propose(t, env, cand.ScenarioID, k.alice, "2026-03-02T00:00:00Z")
	if _, err := RotateKey(ctx, env); err != nil {
		t.Fatal(err)
	}
	clock.Set("2026-03-02T10:15:00Z")
	res, err := ApproveBaseline(ctx, env, ApproveOptions{ProposalID: p.ProposalID, Signing: baselines.Signing{KeyFile: k.bob}})
	if err != nil || res.Approval.ApprovedBy != "bob" {
		t.Fatalf("approve a proposal made before the rotation: %+v %v", res, err)
	}
}
