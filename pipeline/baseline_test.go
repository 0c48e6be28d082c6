package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/fixtures"
	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/baselines"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/reports"
)

// testClock is an injected "now" that tests move; each reading advances it
// a millisecond so audit entries stay in order.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func (c *testClock) Set(rfc3339 string) {
	t, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// signedRoot copies the fixture root and gives it a signing key; the
// returned env reads the clock.
func signedRoot(t *testing.T, clock *testClock) (string, job.Env) {
	t.Helper()
	root := copyRoot(t)
	env := testEnv(root)
	env.Now = clock.Now
	if _, err := reports.GenerateKey(env.Layout.KeysDir, bytes.NewReader(bytes.Repeat([]byte{42}, 32))); err != nil {
		t.Fatal(err)
	}
	acknowledgePlanted(t, env)
	return root, env
}

func publicKey(t *testing.T, env job.Env) []byte {
	t.Helper()
	pub, err := reports.LoadPublicKey(filepath.Join(env.Layout.KeysDir, reports.PublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// auditEvents returns the log's entries, checking its chain.
func auditEvents(t *testing.T, env job.Env) []audit.Entry {
	t.Helper()
	res, err := audit.VerifyFile(env.Layout.AuditLog)
	if err != nil || !res.OK() {
		t.Fatalf("audit log does not verify: %v %v", err, res.Err())
	}
	f, err := os.Open(env.Layout.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries, err := audit.ReadEntries(f)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// keys are SSH keys made by the stock ssh-keygen: alice and bob are in
// the root's config/approvers, mallory is not.
type keys struct{ alice, bob, mallory, approvers string }

func sshKeys(t *testing.T, l inputs.Layout) keys {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen not installed")
	}
	dir := t.TempDir()
	k := keys{approvers: baselines.ApproversPath(l.Baselines)}
	var lines string
	for _, name := range []string{"alice", "bob", "mallory"} {
		path := filepath.Join(dir, name)
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
		pub, _ := os.ReadFile(path + ".pub")
		if name != "mallory" {
			lines += name + ` namespaces="ledgerlens-baseline" ` + string(pub)
		}
		switch name {
		case "alice":
			k.alice = path
		case "bob":
			k.bob = path
		default:
			k.mallory = path
		}
	}
	if err := os.WriteFile(k.approvers, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	return k
}

func propose(t *testing.T, env job.Env, scenario, key, asOf string) baselines.Proposal {
	t.Helper()
	at, _ := time.Parse(time.RFC3339, asOf)
	res, err := ProposeBaselines(context.Background(), env, ProposeOptions{ScenarioID: scenario, AsOf: at,
		Rationale: "stable since the prompt change\nno incidents", Signing: baselines.Signing{KeyFile: key}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Proposals) != 1 {
		t.Fatalf("proposals %+v", res.Proposals)
	}
	return res.Proposals[0]
}

// setBaseline rewrites one baseline's median in the file, as an operator
// editing it by hand would, adding an annotation ledgerlens does not know.
func setBaseline(t *testing.T, l inputs.Layout, scenario string, median float64) {
	t.Helper()
	b, _, err := inputs.LoadBaselines(l.Baselines)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := b.Get(scenario)
	if !ok {
		t.Fatalf("no baseline for %s", scenario)
	}
	e.MedianCredits = median
	e.Extra = map[string]json.RawMessage{"owner_note": json.RawMessage(`"set by hand"`)}
	if err := b.Upsert(e); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l.Baselines, b.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// candidateRoot is a signed root (signedRoot) whose clock reads
// 2026-03-02T09:00:00Z, its people's SSH keys (sshKeys), and the
// fixtures' first baseline candidate.
func candidateRoot(t *testing.T) (fixtures.CandidateTruth, *testClock, job.Env, keys) {
	t.Helper()
	cand := expected(t).Injections.CandidateDetails[0]
	clock := &testClock{}
	clock.Set("2026-03-02T09:00:00Z")
	_, env := signedRoot(t, clock)
	return cand, clock, env, sshKeys(t, env.Layout)
}

func TestBaselineMakerChecker(t *testing.T) {
	cand, clock, env, k := candidateRoot(t)
	e := expected(t)
	l := env.Layout
	ctx := context.Background()
	focusEnd := "2026-03-02T00:00:00Z"
	asOf, _ := time.Parse(time.RFC3339, focusEnd)

	// calculate agrees with the weekly report's candidate over the same window.
	calc, err := CalculateBaseline(ctx, env, CalculateOptions{ScenarioID: cand.ScenarioID, AsOf: asOf})
	if err != nil {
		t.Fatal(err)
	}
	if !near(calc.Median, cand.ProposedBaseline) || calc.SampleSize != cand.SampleSize {
		t.Fatalf("calculate: %s; the candidate says %.2f from %d", calc, cand.ProposedBaseline, cand.SampleSize)
	}

	setBaseline(t, l, cand.ScenarioID, *cand.CurrentBaseline) // same median, plus an unknown field
	// The operator's starting baselines (before any approval, so not an
	// edit outside the flow) put another candidate's far from its median.
	other := e.Injections.CandidateDetails[1]
	setBaseline(t, l, other.ScenarioID, *other.CurrentBaseline/1.8)
	p := propose(t, env, cand.ScenarioID, k.alice, focusEnd)
	propPath := filepath.Join(l.BaselineUpdatesDir, baselines.ProposalBase(p.ProposalID)+".json")
	if _, err := reports.VerifyFile(propPath, publicKey(t, env)); err != nil {
		t.Fatalf("proposal is not signed: %v", err)
	}
	if p.OldBaseline == nil || *p.OldBaseline != *cand.CurrentBaseline || !near(p.NewBaseline, cand.ProposedBaseline) ||
		p.ProposedAt != "2026-03-02T09:00:00Z" {
		t.Fatalf("proposal %+v", p)
	}
	events := auditEvents(t, env)
	last := events[len(events)-1]
	if last.Event != audit.EventJobEnd || last.Fields["state"] != job.StateAwaitingApproval {
		t.Fatalf("propose ended with %s %v, want job_end awaiting_approval", last.Event, last.Fields)
	}

	before, _ := os.ReadFile(l.Baselines)
	t.Run("self-approval refused", func(t *testing.T) {
		_, err := ApproveBaseline(ctx, env, ApproveOptions{ProposalID: p.ProposalID, Signing: baselines.Signing{KeyFile: k.alice}})
		var refused *job.RefusedError
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), "two-person") {
			t.Fatalf("self-approval: %v", err)
		}
		if after, _ := os.ReadFile(l.Baselines); !bytes.Equal(before, after) {
			t.Fatal("a refused approval changed the baselines file")
		}
		events := auditEvents(t, env)
		if last := events[len(events)-1]; last.Event != audit.EventJobFail || last.Fields["state"] != job.StateBlocked {
			t.Errorf("refusal recorded as %s %v", last.Event, last.Fields)
		}
	})

	clock.Set("2026-03-02T10:15:00Z")
	makerChecker(t, env, k, p, before)
	res, err := ApproveBaseline(ctx, env, ApproveOptions{ProposalID: p.ProposalID, By: "bob", Signing: baselines.Signing{KeyFile: k.bob}})
	if err != nil {
		t.Fatal(err)
	}
	a := res.Approval
	t.Run("baselines file holds the approval", func(t *testing.T) {
		if _, err := exec.LookPath("jq"); err != nil {
			t.Skip("jq not on PATH")
		}
		out, err := exec.Command("jq", "-c", `.baselines[] | select(.scenario_id == "`+cand.ScenarioID+`")`, l.Baselines).Output()
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"scenario_id": cand.ScenarioID, "median_credits": a.NewBaseline, "calculated_at": p.ProposedAt,
			"sample_size": float64(a.SampleSize), "last_updated": a.ApprovedAt, "owner_note": "set by hand"}
		if len(got) != len(want) {
			t.Fatalf("jq gives %v, want %v", got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v, want %v (jq gives %s)", k, got[k], v, out)
			}
		}
		if a.ApprovedAt != "2026-03-02T10:15:00Z" || a.ApprovedBy != "bob" || a.ProposedBy != "alice" || a.Clock.Late {
			t.Errorf("approval %+v", a)
		}
	})
	t.Run("update note", func(t *testing.T) {
		note, err := os.ReadFile(res.NotePath)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(res.NotePath) != "update_2026-03-02.md" {
			t.Errorf("note at %s", res.NotePath)
		}
		for _, want := range []string{fmt.Sprintf("**Old Baseline:** %.2f credits", *cand.CurrentBaseline),
			fmt.Sprintf("**New Baseline:** %.2f credits", a.NewBaseline), fmt.Sprintf("**Change:** %+.1f%%", *a.ChangePct), "**Operator:** O3 bob", "**Approval:** " + a.ApprovalID, "- stable since the prompt change"} {
			if !strings.Contains(string(note), want) {
				t.Errorf("note lacks %q:\n%s", want, note)
			}
		}
		for _, f := range []string{res.NotePath, res.ApprovalPath} {
			if _, err := reports.VerifyFile(f, publicKey(t, env)); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		}
	})
	t.Run("audit trail", func(t *testing.T) {
		if seen := baselineEvents(t, env, p.ProposalID); seen != "baseline_proposed,baseline_approved,baseline_applied" {
			t.Errorf("baseline events %v", seen)
		}
	})
	t.Run("approving twice refused", func(t *testing.T) {
		if _, err := ApproveBaseline(ctx, env, ApproveOptions{ProposalID: p.ProposalID, Signing: baselines.Signing{KeyFile: k.bob}}); err == nil || !strings.Contains(err.Error(), "already approved") {
			t.Fatalf("second approval: %v", err)
		}
	})

	t.Run("recent SEV1 refused", func(t *testing.T) {
		sev1 := e.Injections.SEV1WithoutCase
		q := propose(t, env, sev1.ScenarioID, k.alice, focusEnd)
		_, err := ApproveBaseline(ctx, env, ApproveOptions{ProposalID: q.ProposalID, Signing: baselines.Signing{KeyFile: k.bob}})
		var refused *job.RefusedError
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), sev1.RunID) || !strings.Contains(err.Error(), "SEV1") {
			t.Fatalf("approval with a SEV1 run in the last 14 days: %v", err)
		}
	})

	t.Run("large change needs the flag", func(t *testing.T) {
		q := propose(t, env, other.ScenarioID, k.alice, focusEnd)
		if q.ChangePct == nil || *q.ChangePct < 50 || q.Review != "investigate" {
			t.Fatalf("proposal %+v", q)
		}
		mid, _ := os.ReadFile(l.Baselines)
		_, err := ApproveBaseline(ctx, env, ApproveOptions{ProposalID: q.ProposalID, Signing: baselines.Signing{KeyFile: k.bob}})
		var refused *job.RefusedError
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), "--force-large-change") {
			t.Fatalf("large change without the flag: %v", err)
		}
		// An approval interrupted before the baselines file was rewritten
		// (here: its directory made immutable) is finished, not refused, by
		// running it again; the log then records it approved once and
		// applied once.
		cfg := filepath.Dir(l.Baselines)
		if out, err := exec.Command("chattr", "+i", cfg).CombinedOutput(); err != nil {
			t.Skipf("cannot make a directory immutable here (%v: %s)", err, strings.TrimSpace(string(out)))
		}
		_, err = ApproveBaseline(ctx, env, ApproveOptions{ProposalID: q.ProposalID, ForceLargeChange: true, Signing: baselines.Signing{KeyFile: k.bob}})
		if out, cerr := exec.Command("chattr", "-i", cfg).CombinedOutput(); cerr != nil {
			t.Fatalf("chattr -i: %v %s", cerr, out)
		}
		if err == nil {
			t.Fatal("an approval that could not write the baselines file succeeded")
		}
		if now, _ := os.ReadFile(l.Baselines); !bytes.Equal(now, mid) {
			t.Fatal("the interrupted approval changed the baselines file")
		}
		res, err := ApproveBaseline(ctx, env, ApproveOptions{ProposalID: q.ProposalID, Signing: baselines.Signing{KeyFile: k.bob}})
		if err != nil || !res.Resumed {
			t.Fatalf("resumed approval: %+v %v", res, err)
		}
		if !res.Approval.Checks.LargeChange || !res.Approval.Checks.ForceLargeChange || filepath.Base(res.NotePath) != "update_2026-03-02-2.md" {
			t.Fatalf("forced approval %+v at %s", res.Approval.Checks, res.NotePath)
		}
		b, _, err := inputs.LoadBaselines(l.Baselines)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := b.Get(other.ScenarioID); !ok || got.MedianCredits != res.Approval.NewBaseline || got.LastUpdated != res.Approval.ApprovedAt {
			t.Fatalf("after the resumed approval %s holds %+v, want %.2f", other.ScenarioID, got, res.Approval.NewBaseline)
		}
		if seen := baselineEvents(t, env, q.ProposalID); seen != "baseline_proposed,baseline_approved,baseline_applied" {
			t.Errorf("baseline events %v", seen)
		}
		if _, err := ApproveBaseline(ctx, env, ApproveOptions{ProposalID: q.ProposalID, Signing: baselines.Signing{KeyFile: k.bob}}); err == nil || !strings.Contains(err.Error(), "already approved") {
			t.Fatalf("approving again after the resumed approval: %v", err)
		}
	})

	t.Run("a hand edit after an approval is an integrity problem", func(t *testing.T) {
		approved, _ := os.ReadFile(l.Baselines)
		defer os.WriteFile(l.Baselines, approved, 0o644)
		setBaseline(t, l, cand.ScenarioID, 20000)
		const phrase = "changed outside the maker-checker flow"
		rep, err := CheckIntegrity(ctx, env, publicKey(t, env))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(rep.Problems, func(p string) bool { return strings.Contains(p, phrase) }) {
			t.Errorf("verify all problems %q do not name the edited baselines", rep.Problems)
		}
		_, err = RunWeekly(ctx, env, WeeklyOptions{Week: "2026-02-23", Supersede: true})
		if !errors.Is(err, job.ErrIntegrity) || !strings.Contains(err.Error(), phrase) {
			t.Errorf("weekly job on edited baselines: %v", err)
		}
		os.WriteFile(l.Baselines, approved, 0o644)
		rep, err = CheckIntegrity(ctx, env, publicKey(t, env))
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(rep.Problems, func(p string) bool { return strings.Contains(p, phrase) }) {
			t.Errorf("the restored baselines are still a problem: %q", rep.Problems)
		}
	})

	t.Run("list", func(t *testing.T) {
		clock.Set("2026-03-04T12:00:00Z")
		ls, err := ListBaselines(env)
		if err != nil {
			t.Fatal(err)
		}
		// The SEV1 scenario's proposal, and bob's own that bob could not approve.
		var got []string
		for _, q := range ls.Pending {
			if q.Overdue {
				got = append(got, q.ProposedBy+":"+q.ScenarioID)
			}
		}
		if len(got) != 2 || !slices.Contains(got, "bob:"+e.Injections.CandidateDetails[0].ScenarioID) ||
			!slices.Contains(got, "alice:"+e.Injections.SEV1WithoutCase.ScenarioID) {
			t.Fatalf("overdue pending proposals %v", got)
		}
		if len(ls.Baselines) == 0 {
			t.Fatal("no baselines listed")
		}
	})
}

// baselineEvents lists the baseline_* events of proposalID in the audit
// log, in order, joined by commas.
func baselineEvents(t *testing.T, env job.Env, proposalID string) string {
	t.Helper()
	var seen []string
	for _, e := range auditEvents(t, env) {
		if strings.HasPrefix(e.Event, "baseline_") && e.Fields["proposal_id"] == proposalID {
			seen = append(seen, e.Event)
		}
	}
	return strings.Join(seen, ",")
}
