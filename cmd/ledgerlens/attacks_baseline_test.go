package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/baselines"
)

// Attacks on the maker-checker flow of baseline updates
// (docs/COMPLIANCE.md), by someone who can write runs/BASELINE_UPDATES
// and config/credit-baselines.json but holds neither the signing key nor
// another person's approver key. Each ran with exit 0 and left every
// verifier passing before 'baseline approve' finished only approvals the
// signed log records, and refused to approve on top of a baselines file
// edited outside the flow.

// baselineRoot is a fixture root with a signing key, approvers alice and
// bob, and a healthy run of the fixture's baseline candidate an hour ago
// (so that its 14-day stability can be shown at the real clock). It
// returns the root, the scenario and alice's and bob's private keys.
func baselineRoot(t *testing.T) (root, scenario, alice, bob string) {
	t.Helper()
	root = copyFixture(t)
	scenario = fixtureCandidate(t)
	mustRun(t, "--root", root, "keys", "generate")
	alice, bob = approverKeys(t, root)
	appendRecentRun(t, root, scenario, time.Now().Add(-time.Hour))
	return root, scenario, alice, bob
}

func propose(t *testing.T, root, scenario, key, asOf string) string {
	t.Helper()
	r := ledgerlens(t, []string{"SSH_AUTH_SOCK="}, "--root", root, "baseline", "propose", "--scenario", scenario,
		"--sign-with", key, "--as-of", asOf, "--rationale", "stable")
	if r.code != 0 {
		t.Fatalf("propose: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

// proposeApproved has alice propose a baseline for scenario as of asOf and
// bob approve it, and returns the proposal's id.
func proposeApproved(t *testing.T, root, scenario, alice, bob, asOf string) string {
	t.Helper()
	id := propose(t, root, scenario, alice, asOf)
	if r := approve(t, root, id, "--sign-with", bob); r.code != 0 {
		t.Fatalf("approve %s: exit %d\n%s", id, r.code, r.stderr)
	}
	return id
}

func approve(t *testing.T, root, id string, args ...string) result {
	t.Helper()
	return ledgerlens(t, []string{"SSH_AUTH_SOCK="}, append([]string{"--root", root, "baseline", "approve", id}, args...)...)
}

func baselinesFile(root string) string { return filepath.Join(root, "config", "credit-baselines.json") }

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestAttackPlantedApprovalRecord: the proposer writes an approval of her
// own proposal herself — for another scenario, at a value of her choosing,
// signed with her own approver key, with no host signature — and anyone
// then runs 'baseline approve'. It was taken for an interrupted approval
// and applied; once the two planted files were removed every verifier
// passed. A record the log does not record as approved is now refused
// (exit 4), and the baselines file is left as it was.
func TestAttackPlantedApprovalRecord(t *testing.T) {
	root, scenario, alice, _ := baselineRoot(t)
	id := propose(t, root, scenario, alice, "2026-03-02T00:00:00Z")
	dir := filepath.Join(root, "runs", "BASELINE_UPDATES")
	recs, err := baselines.LoadRecords(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := recs.Proposal(id)
	if !ok {
		t.Fatalf("no proposal %s", id)
	}
	var file struct {
		Baselines []struct {
			ScenarioID string `json:"scenario_id"`
		} `json:"baselines"`
	}
	before := readFile(t, baselinesFile(root))
	if err := json.Unmarshal(before, &file); err != nil {
		t.Fatal(err)
	}
	victim := ""
	for _, b := range file.Baselines {
		if b.ScenarioID != scenario {
			victim = b.ScenarioID
			break
		}
	}
	if victim == "" {
		t.Fatal("the fixture's baselines hold no other scenario")
	}
	at := time.Now().UTC().Truncate(time.Second)
	planted := baselines.Approval{
		Schema: baselines.ApprovalSchema, ApprovalID: baselines.ApprovalID("alice", at),
		ProposalID: id, ProposalFile: baselines.ProposalBase(id) + ".json", ScenarioID: victim,
		NewBaseline: 1e6, SampleSize: p.SampleSize, WindowDays: p.WindowDays, ProposedBy: p.ProposedBy, ProposedAt: p.ProposedAt,
		ApprovedBy: "alice", ApprovedAt: at.Format(time.RFC3339), Note: "update_2099-01-01.md",
	}
	data, err := baselines.Marshal(planted)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, baselines.ApprovalBase(id)+".json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ssh-keygen", "-q", "-Y", "sign", "-f", alice, "-n", "ledgerlens-baseline", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -Y sign: %v\n%s", err, out)
	}
	if err := os.Rename(path+".sig", filepath.Join(dir, baselines.ApprovalBase(id)+baselines.SignatureExt)); err != nil {
		t.Fatal(err)
	}

	r := approve(t, root, id)
	if r.code != 4 || !strings.Contains(r.stderr, "records no approval") || !strings.Contains(r.stderr, "not written by 'baseline approve'") {
		t.Fatalf("approve over a planted approval record: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !bytes.Equal(readFile(t, baselinesFile(root)), before) {
		t.Fatal("the planted approval changed the baselines file")
	}
	if _, err := os.Stat(filepath.Join(dir, "update_2099-01-01.md")); err == nil {
		t.Fatal("the planted approval's update note was published")
	}
	// Nor does it take the proposal off the maker-checker clock (baseline
	// list, the reports' overdue approvals).
	r = ledgerlens(t, nil, "--root", root, "baseline", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "1 proposals awaiting approval") || !strings.Contains(r.stderr, baselines.ApprovalBase(id)+".json") {
		t.Fatalf("baseline list beside a planted approval: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestAttackPlantedReportSteersCandidates: `baseline propose
// --candidates` proposes the candidates of the newest weekly report. A
// file put in the output directory under a weekly report's name, with a
// later week, was that report: signed proposals named it as their source.
// Only reports the record of publication names count now.
func TestAttackPlantedReportSteersCandidates(t *testing.T) {
	root, scenario, alice, _ := baselineRoot(t)
	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek)
	planted := fmt.Sprintf(`{"period_start":"%[1]sT00:00:00Z","period_end":"%[1]sT00:00:00Z","revision":1,
"inputs":{"ledger":{"bytes_covered":1}},"policy":{"baseline_window_days":30},
"baseline_candidates":[{"scenario_id":%[2]q,"run_count":99,"cv":0.01,"review":"ok"}]}`,
		mustParseDay(t, focusWeek).AddDate(0, 0, 14).Format(time.DateOnly), scenario)
	if err := os.WriteFile(filepath.Join(reviews(root), "weekly_x.json"), []byte(planted), 0o644); err != nil {
		t.Fatal(err)
	}
	r := ledgerlens(t, []string{"SSH_AUTH_SOCK="}, "--root", root, "baseline", "propose", "--candidates", "--sign-with", alice)
	if r.code != 0 && r.code != 3 {
		t.Fatalf("propose --candidates: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	matches, err := filepath.Glob(filepath.Join(root, "runs", "BASELINE_UPDATES", "proposal_*.json"))
	if err != nil || len(matches) == 0 {
		t.Fatalf("no proposal written (%v)\n%s%s", err, r.stdout, r.stderr)
	}
	for _, m := range matches {
		var p struct {
			Source struct{ Report string } `json:"source"`
		}
		if err := json.Unmarshal(readFile(t, m), &p); err != nil {
			t.Fatal(err)
		}
		if want := "weekly_" + focusWeek + ".json"; p.Source.Report != want {
			t.Errorf("%s proposes from %q, want the published %s", filepath.Base(m), p.Source.Report, want)
		}
	}
}

// TestAttackReplayAppliedApproval: once a later approval Y of the same
// scenario is in force, running 'baseline approve X' again for the old,
// applied approval X — with no key — reverted the baseline to X's, exit
// 0, and every verifier passed. The log records X applied: it is refused.
func TestAttackReplayAppliedApproval(t *testing.T) {
	root, scenario, alice, bob := baselineRoot(t)
	x := proposeApproved(t, root, scenario, alice, bob, "2026-03-02T00:00:00Z")
	y := propose(t, root, scenario, alice, "2026-02-16T00:00:00Z")
	if r := approve(t, root, y, "--sign-with", bob); r.code != 0 {
		t.Fatalf("approve Y: exit %d\n%s", r.code, r.stderr)
	}
	inForce := readFile(t, baselinesFile(root))

	r := approve(t, root, x)
	if r.code != 1 || !strings.Contains(r.stderr, "already approved") {
		t.Fatalf("approve X again: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !bytes.Equal(readFile(t, baselinesFile(root)), inForce) {
		t.Fatal("replaying X changed the baselines in force")
	}
	mustRun(t, "--root", root, "verify", "all")
}

// TestAttackApprovalFilesDeletedThenApprovedAgain: once proposal X was
// approved and applied, whoever may write runs/BASELINE_UPDATES deletes
// X's approval files. `baseline list` showed X pending again, and a second
// checker's `baseline approve X` applied it a second time, exit 0: only
// the files on disk were consulted. The log records X approved: the
// listing leaves X out and names it on stderr, the approval is refused
// (exit 4) naming the missing record, the baselines file is left as it
// was, and the weekly and SLA jobs exit 4 naming the record.
func TestAttackApprovalFilesDeletedThenApprovedAgain(t *testing.T) {
	root, scenario, alice, bob := baselineRoot(t)
	x := proposeApproved(t, root, scenario, alice, bob, "2026-03-02T00:00:00Z")
	inForce := readFile(t, baselinesFile(root))
	approvals, err := filepath.Glob(filepath.Join(root, "runs", "BASELINE_UPDATES", "approval_"+x+".*"))
	if err != nil || len(approvals) == 0 {
		t.Fatalf("no approval files of %s: %v", x, err)
	}
	for _, f := range approvals {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	// The listing does not offer X for approval again, and says why
	// (exit 4: a record the log names is gone).
	list := ledgerlens(t, nil, "--root", root, "baseline", "list")
	if list.code != exitIntegrity || strings.Contains(list.stdout, x) || !strings.Contains(list.stderr, "records as approved has no approval record") || !strings.Contains(list.stderr, x) {
		t.Fatalf("baseline list with X's approval files deleted: exit %d\n%s%s", list.code, list.stdout, list.stderr)
	}
	r := approve(t, root, x, "--sign-with", bob)
	if r.code != 4 || !strings.Contains(r.stderr, "already approved") || !strings.Contains(r.stderr, "is missing") || !strings.Contains(r.stderr, "by bob") {
		t.Fatalf("approve X again with its approval files deleted: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !bytes.Equal(readFile(t, baselinesFile(root)), inForce) {
		t.Fatal("approving X again changed the baselines in force")
	}
	mustFail(t, 4, []string{"approval_" + x}, "--root", root, "verify", "all")
	// The weekly and SLA jobs, which read the records for their
	// maker-checker items, ended 0: they publish and exit 4, naming the
	// record.
	for _, args := range [][]string{{"report", "weekly", "--week", focusWeek}, {"report", "sla", "--month", focusWeek[:7]}} {
		r = ledgerlens(t, nil, append([]string{"--root", root, "--quiet"}, args...)...)
		if r.code != 4 || !strings.Contains(r.stderr, "baseline record runs/BASELINE_UPDATES/approval_"+x+".json (baseline_approved at audit seq") {
			t.Fatalf("%v with X's approval record deleted: exit %d\n%s", args, r.code, r.stderr)
		}
	}
}

// TestAttackApprovalCopiedUnderAPendingName: anyone who may write
// runs/BASELINE_UPDATES copies an applied approval, with its sidecars
// and signatures, under a pending proposal's name. The weekly job,
// `baseline list` and `baseline approve` stopped with exit 1 ("approves
// proposal …, so it belongs in …"): a way to block the review and the
// maker-checker flow that read as a bug (an outside review). The copy is
// a planted file, as any record the log does not hold: the weekly job
// leaves it out and publishes, `baseline list` names it and keeps the
// proposal pending, `baseline approve` refuses to write over it (exit 4)
// and verify all names it (exit 4).
func TestAttackApprovalCopiedUnderAPendingName(t *testing.T) {
	root, scenario, alice, bob := baselineRoot(t)
	x := proposeApproved(t, root, scenario, alice, bob, "2026-03-02T00:00:00Z")
	y := propose(t, root, scenario, alice, "2026-03-03T00:00:00Z")
	dir := filepath.Join(root, "runs", "BASELINE_UPDATES")
	files, err := filepath.Glob(filepath.Join(dir, "approval_"+x+".*"))
	if err != nil || len(files) < 2 {
		t.Fatalf("approval files of %s: %v %v", x, files, err)
	}
	for _, f := range files {
		copyFile(t, f, filepath.Join(dir, strings.Replace(filepath.Base(f), x, y, 1)))
	}
	planted := "approval_" + y + ".json"
	r := ledgerlens(t, nil, "--root", root, "--quiet", "report", "weekly", "--week", focusWeek)
	if r.code != 0 {
		t.Errorf("the weekly job beside a planted approval: exit %d, want 0\n%s", r.code, r.stderr)
	}
	r = ledgerlens(t, nil, "--root", root, "baseline", "list")
	if r.code != 0 || !strings.Contains(r.stdout, y) || !strings.Contains(r.stderr, planted) {
		t.Errorf("baseline list beside a planted approval: exit %d, want 0 listing %s pending and naming %s\n%s%s", r.code, y, planted, r.stdout, r.stderr)
	}
	before := readFile(t, baselinesFile(root))
	r = approve(t, root, y, "--sign-with", bob)
	if r.code != exitIntegrity || !strings.Contains(r.stderr, planted+" is there, but it is not a record of proposal "+y+" that the audit log holds (a planted file)") {
		t.Errorf("approve %s over a planted approval: exit %d, want %d\n%s", y, r.code, exitIntegrity, r.stderr)
	}
	if !bytes.Equal(readFile(t, baselinesFile(root)), before) {
		t.Error("the refused approval changed the baselines file")
	}
	mustFail(t, exitIntegrity, []string{planted}, "--root", root, "verify", "all")
}

// TestAttackRecordedProposalDamaged: a pending proposal the audit log
// records, overwritten with bytes that do not read as a record. With
// such files no longer stopping the jobs (exit 1), `baseline list` said
// "0 proposals awaiting approval", exit 0, and `baseline approve` that
// there was no such proposal (a review of this stop's fixes). Both name
// the record the log holds, exit 4, as the weekly job and verify all do.
func TestAttackRecordedProposalDamaged(t *testing.T) {
	root, scenario, alice, bob := baselineRoot(t)
	y := propose(t, root, scenario, alice, "2026-03-02T00:00:00Z")
	path := filepath.Join(root, "runs", "BASELINE_UPDATES", "proposal_"+y+".json")
	if err := os.WriteFile(path, []byte(`{"broken`), 0o644); err != nil {
		t.Fatal(err)
	}
	want := "proposal_" + y + ".json (baseline_proposed at audit seq"
	r := ledgerlens(t, nil, "--root", root, "baseline", "list")
	if r.code != exitIntegrity || !strings.Contains(r.stdout+r.stderr, want) || !strings.Contains(r.stdout+r.stderr, "no longer reads as the record the log recorded") {
		t.Errorf("baseline list with a recorded proposal damaged: exit %d, want %d naming it\n%s%s", r.code, exitIntegrity, r.stdout, r.stderr)
	}
	r = approve(t, root, y, "--sign-with", bob)
	if r.code != exitIntegrity || !strings.Contains(r.stderr, want) {
		t.Errorf("approve a damaged proposal: exit %d, want %d naming it\n%s", r.code, exitIntegrity, r.stderr)
	}
	mustFail(t, exitIntegrity, []string{"proposal_" + y}, "--root", root, "verify", "all")
}

// TestAttackProposalEditedAfterApproval: a proposal record edited after
// its approval fails the weekly job (exit 4), said once: the job's check
// of the directory and its read of the records both found it, and its
// one stderr line said it twice (an outside review).
func TestAttackProposalEditedAfterApproval(t *testing.T) {
	root, scenario, alice, bob := baselineRoot(t)
	x := proposeApproved(t, root, scenario, alice, bob, "2026-03-02T00:00:00Z")
	path := filepath.Join(root, "runs", "BASELINE_UPDATES", "proposal_"+x+".json")
	data := readFile(t, path)
	if err := os.WriteFile(path, bytes.Replace(data, []byte(`"rationale": "stable"`), []byte(`"rationale": "stable "`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	r := ledgerlens(t, nil, "--root", root, "--quiet", "report", "weekly", "--week", focusWeek)
	if n := strings.Count(r.stderr, "proposal_"+x+".json changed since baseline_proposed"); r.code != exitIntegrity || n != 1 {
		t.Errorf("the weekly job after a proposal was edited: exit %d, want %d saying it once (%d times)\n%s", r.code, exitIntegrity, n, r.stderr)
	}
}

// TestAttackApprovalOverHandEdit: after an approval, someone edits another
// scenario's baseline by hand (which verify all names), then has any
// approval — a fresh one, or the applied one run again after making it
// look unapplied — applied on top. The signed baseline_applied entry then
// recorded the edited file, and verify all passed. Approving on top of a
// file edited outside the flow is now refused (exit 4), the file kept.
func TestAttackApprovalOverHandEdit(t *testing.T) {
	root, scenario, alice, bob := baselineRoot(t)
	x := proposeApproved(t, root, scenario, alice, bob, "2026-03-02T00:00:00Z")
	// Proposed before the edit: a proposal is refused on top of one
	// (TestAttackReportsFromBaselinesEditedThenRestored).
	y := propose(t, root, scenario, alice, "2026-02-16T00:00:00Z")
	if err := changeFirstBaseline(baselinesFile(root)); err != nil {
		t.Fatal(err)
	}
	edited := readFile(t, baselinesFile(root))
	mustFail(t, 4, []string{"changed outside the maker-checker flow"}, "--root", root, "verify", "all")

	r := approve(t, root, y, "--sign-with", bob)
	if r.code != 4 || !strings.Contains(r.stderr, "changed outside the maker-checker flow") || !strings.Contains(r.stderr, "refusing to approve") {
		t.Fatalf("approve on top of a hand edit: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := approve(t, root, x); r.code != 1 || !strings.Contains(r.stderr, "already approved") {
		t.Fatalf("approve X again on top of a hand edit: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !bytes.Equal(readFile(t, baselinesFile(root)), edited) {
		t.Fatal("an approval changed the hand-edited baselines file")
	}
	mustFail(t, 4, []string{"changed outside the maker-checker flow"}, "--root", root, "verify", "all")
}

// TestProposeCandidatesTwice: `baseline propose --candidates` run again
// (a retried cron line, a second person) wrote a new signed proposal for
// every candidate each time, piling up duplicates for the checker. A
// candidate whose proposal from the same report awaits approval is not
// proposed again; its id is printed again, so the ids piped to `baseline
// approve` are the same.
func TestProposeCandidatesTwice(t *testing.T) {
	root, _, alice, _ := baselineRoot(t)
	mustRun(t, "--root", root, "report", "weekly", "--week", focusWeek)
	propose := func() (ids []string) {
		t.Helper()
		r := ledgerlens(t, []string{"SSH_AUTH_SOCK="}, "--root", root, "baseline", "propose", "--candidates", "--sign-with", alice)
		if r.code != 0 {
			t.Fatalf("propose --candidates: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		return strings.Fields(r.stdout)
	}
	first := propose()
	if len(first) == 0 {
		t.Fatal("no candidate proposed")
	}
	// A proposal made in the same second is the same record (a no-op);
	// a retry comes later.
	time.Sleep(1100 * time.Millisecond)
	again := propose()
	slices.Sort(first)
	slices.Sort(again)
	if !slices.Equal(first, again) {
		t.Errorf("ids of the second run %v, want the first run's %v", again, first)
	}
	matches, _ := filepath.Glob(filepath.Join(root, "runs", "BASELINE_UPDATES", "proposal_*.json"))
	if len(matches) != len(first) {
		t.Errorf("%d proposals on disk after two runs, want %d", len(matches), len(first))
	}
	mustRun(t, "--root", root, "verify", "all")
}

// TestAttackBaselineRecordsDeleted: whoever may write
// runs/BASELINE_UPDATES deletes the files of a pending proposal, or of an
// applied approval. `baseline verify` checked the records left, which
// verified: exit 0. It now also holds the directory to the records the
// audit log names, and exits 4 naming each, in its one stderr line under
// --quiet too (which said only how many records failed).
func TestAttackBaselineRecordsDeleted(t *testing.T) {
	root, scenario, alice, bob := baselineRoot(t)
	x := proposeApproved(t, root, scenario, alice, bob, "2026-03-02T00:00:00Z")
	before := copyRoot(t, root) // before the pending proposal
	y := propose(t, root, scenario, alice, "2026-03-03T00:00:00Z")
	mustRun(t, "--root", root, "baseline", "verify")
	// Genuine, signed records the log does not name, put beside the
	// others: they passed, exit 0 (a review).
	t.Run("a signed record the log does not name", func(t *testing.T) {
		for _, ext := range []string{".json", ".sshsig"} {
			copyFile(t, filepath.Join(root, "runs", "BASELINE_UPDATES", "proposal_"+y+ext), filepath.Join(before, "runs", "BASELINE_UPDATES", "proposal_"+y+ext))
		}
		mustFail(t, 4, []string{"proposal_" + y + ".json: the audit log records no such record (planted)"}, "--root", before, "baseline", "verify")
	})
	updates := func(r string) string { return filepath.Join(r, "runs", "BASELINE_UPDATES") }
	remove := func(t *testing.T, r, glob string) {
		files, err := filepath.Glob(filepath.Join(updates(r), glob))
		if err != nil || len(files) == 0 {
			t.Fatalf("no files %s: %v", glob, err)
		}
		for _, f := range files {
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
		}
	}
	auditLog := func(r string) string { return filepath.Join(r, ".ledgerlens", "audit.jsonl") }
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, r string)
		want   string // in the first FAILED line and the --quiet stderr line
	}{
		{"a pending proposal", func(t *testing.T, r string) { remove(t, r, "proposal_"+y+".*") },
			"baseline record runs/BASELINE_UPDATES/proposal_" + y + ".json (baseline_proposed at audit seq"},
		{"an applied approval", func(t *testing.T, r string) { remove(t, r, "approval_"+x+".*") },
			"baseline record runs/BASELINE_UPDATES/approval_" + x + ".json (baseline_approved at audit seq"},
		// The log's lines that name it removed too, or the whole log: it
		// was read as it was found, and the command passed (an outside
		// review). It is now held to its chain and signed checkpoints.
		{"a pending proposal and its line in the log", func(t *testing.T, r string) {
			remove(t, r, "proposal_"+y+".*")
			var kept []string
			for _, line := range strings.SplitAfter(string(readFile(t, auditLog(r))), "\n") {
				if !strings.Contains(line, "proposal_"+y) {
					kept = append(kept, line)
				}
			}
			if err := os.WriteFile(auditLog(r), []byte(strings.Join(kept, "")), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "audit log"},
		{"a pending proposal and the whole log", func(t *testing.T, r string) {
			remove(t, r, "proposal_"+y+".*")
			if err := os.Remove(auditLog(r)); err != nil {
				t.Fatal(err)
			}
		}, "audit log"},
		// Under another proposal's name, or a file that is no record: the
		// command stopped there, exit 1, and checked nothing else.
		{"a proposal under another name", func(t *testing.T, r string) {
			other := "BP-20991231-000000000000"
			for _, ext := range []string{".json", ".sshsig"} {
				if err := os.Rename(filepath.Join(updates(r), "proposal_"+y+ext), filepath.Join(updates(r), "proposal_"+other+ext)); err != nil {
					t.Fatal(err)
				}
			}
		}, "proposal_BP-20991231-000000000000.json: baseline record"},
		{"a file that is no record", func(t *testing.T, r string) {
			if err := os.WriteFile(filepath.Join(updates(r), "proposal_BP-20991231-000000000001.json"), []byte("{"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "proposal_BP-20991231-000000000001.json: baseline record"},
		// A FIFO under a record's name hung the command (and the weekly
		// job); a directory in place of a record the log names made it
		// exit 1 (a second outside review).
		{"a FIFO under a record's name", func(t *testing.T, r string) {
			if err := syscall.Mkfifo(filepath.Join(updates(r), "proposal_BP-20991231-000000000002.json"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "proposal_BP-20991231-000000000002.json: "},
		{"a directory in place of a record", func(t *testing.T, r string) {
			remove(t, r, "approval_"+x+".json")
			if err := os.Mkdir(filepath.Join(updates(r), "approval_"+x+".json"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, "baseline record runs/BASELINE_UPDATES/approval_" + x + ".json (baseline_approved at audit seq"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := copyRoot(t, root)
			tc.change(t, r)
			v := mustFail(t, 4, []string{tc.want}, "--root", r, "baseline", "verify")
			if !strings.Contains(v.stdout, "FAILED  "+tc.want) {
				t.Errorf("baseline verify's FAILED lines:\n%s", v.stdout)
			}
			if tc.name == "a file that is no record" && !strings.Contains(v.stdout, "OK      proposal_"+y+".json signed by alice") {
				t.Errorf("the other records were not checked:\n%s", v.stdout)
			}
			q := cron(t, r, "baseline", "verify")
			if q.code != 4 || !strings.Contains(q.stderr, tc.want) || len(stderrLines(q)) != 1 {
				t.Errorf("--quiet baseline verify: exit %d, want 4 and one stderr line naming %q:\n%s", q.code, tc.want, q.stderr)
			}
		})
	}
	// The keys directory moved away, a pending proposal deleted and the
	// log cut back to before it: the people's signatures of what is left
	// verify, but the log cannot be checked against its checkpoints. It
	// passed, with a warning (a second outside review); it cannot say the
	// records are whole: exit 1.
	r := copyRoot(t, root)
	remove(t, r, "proposal_"+y+".*")
	trail := string(readFile(t, auditLog(r)))
	cut := strings.LastIndex(trail[:strings.Index(trail, "proposal_"+y)], "\n") + 1
	if err := os.WriteFile(auditLog(r), []byte(trail[:cut]), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(r, ".ledgerlens", "keys"), filepath.Join(r, ".ledgerlens", "keys.away")); err != nil {
		t.Fatal(err)
	}
	mustFail(t, 1, []string{"cannot be checked without"}, "--root", r, "baseline", "verify")
	// A compliance team with the public key and a checkpoint kept
	// elsewhere gives them: the cut is found, exit 4.
	witness := t.TempDir()
	copyFile(t, filepath.Join(root, ".ledgerlens", "audit.checkpoints"), filepath.Join(witness, "audit.checkpoints"))
	os.Remove(filepath.Join(r, ".ledgerlens", "audit.checkpoints"))
	mustFail(t, 4, []string{"audit log"}, "--root", r, "baseline", "verify",
		"--pubkey", filepath.Join(r, ".ledgerlens", "keys.away", "signing.pub"), "--checkpoint", filepath.Join(witness, "audit.checkpoints"))
}

// TestAttackBaselinesEditedBeforeAnSLAReport: after an approval, the
// baselines file edited by hand (every median ×1000 moves the
// observation clocks). The weekly job refused it, but the SLA job never
// held the file to the newest approval: its report, computed from the
// edit, was published, signed, exit 0, and once the file was put back no
// verifier found it (an outside review). It refuses it too, exit 4.
func TestAttackBaselinesEditedBeforeAnSLAReport(t *testing.T) {
	root, scenario, alice, bob := baselineRoot(t)
	proposeApproved(t, root, scenario, alice, bob, "2026-03-02T00:00:00Z")
	if err := changeFirstBaseline(baselinesFile(root)); err != nil {
		t.Fatal(err)
	}
	mustFail(t, 4, []string{"changed outside the maker-checker flow"}, "--root", root, "report", "sla", "--month", focusWeek[:7])
}

// TestAttackBaselinesEditedWhileTheWeeklyJobReads plays on the real
// binary the race an outside review won with inotify: after an
// approval, the baselines file edited by hand, the weekly job started,
// and the applied file put back once the job has read its inputs (the
// job stands stopped there, LEDGERLENS_FAULT=stop-after:inputs_loaded).
// The job checked a second read of the file against the newest approval
// and published a report computed from the edit, signed, exit 0. It
// checks the bytes it read: exit 4, naming the edit.
func TestAttackBaselinesEditedWhileTheWeeklyJobReads(t *testing.T) {
	root, scenario, alice, bob := baselineRoot(t)
	proposeApproved(t, root, scenario, alice, bob, "2026-03-02T00:00:00Z")
	applied := readFile(t, baselinesFile(root))
	if err := changeFirstBaseline(baselinesFile(root)); err != nil {
		t.Fatal(err)
	}
	job := startStopped(t, "inputs_loaded", "--root", root, "report", "weekly", "--week", focusWeek, "--supersede")
	if err := os.WriteFile(baselinesFile(root), applied, 0o644); err != nil {
		t.Fatal(err)
	}
	rest, err := job.Continue(t)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 4 || !strings.Contains(rest, "changed outside the maker-checker flow") {
		t.Fatalf("the weekly job over baselines edited while it read them: %v, want exit 4 naming the edit\n%s", err, rest)
	}
}

// TestAttackReportsFromBaselinesEditedThenRestored: after an approval,
// the baselines file edited by hand, the weekly and SLA jobs run, and
// the applied file put back. Each job published its report, computed
// from the edit, signed, then exited 4; once the file was back, `verify
// all` exited 0, and the signed reports computed from thresholds nobody
// approved stood as evidence. `baseline propose` signed the edit's
// value as the baseline in force, exit 0. Nothing is published from
// such a file: each exits 4 naming the edit, and nothing is added under
// runs/.
func TestAttackReportsFromBaselinesEditedThenRestored(t *testing.T) {
	root, scenario, alice, bob := baselineRoot(t)
	proposeApproved(t, root, scenario, alice, bob, "2026-03-02T00:00:00Z")
	applied := readFile(t, baselinesFile(root))
	if err := changeFirstBaseline(baselinesFile(root)); err != nil {
		t.Fatal(err)
	}
	before := filesUnder(t, filepath.Join(root, "runs"))
	for _, args := range [][]string{
		{"report", "weekly", "--week", focusWeek},
		{"report", "sla", "--month", focusWeek[:7]},
		{"baseline", "propose", "--scenario", scenario, "--sign-with", alice, "--as-of", "2026-02-16T00:00:00Z", "--rationale", "stable"},
	} {
		r := ledgerlens(t, []string{"SSH_AUTH_SOCK="}, append([]string{"--root", root}, args...)...)
		if r.code != 4 || !strings.Contains(r.stderr, "changed outside the maker-checker flow") {
			t.Errorf("%s over hand-edited baselines: exit %d, want 4 naming the edit\n%s%s", strings.Join(args[:2], " "), r.code, r.stdout, r.stderr)
		}
	}
	if added, _ := diffSorted(filesUnder(t, filepath.Join(root, "runs")), before); len(added) > 0 {
		t.Errorf("published from hand-edited baselines: %v", added)
	}
	if err := os.WriteFile(baselinesFile(root), applied, 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--root", root, "verify", "all")
}

// filesUnder lists the regular files under dir, relative to it, sorted.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		files = append(files, rel)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// diffSorted returns what the sorted lists a and b do not share: in a
// only, then in b only.
func diffSorted(a, b []string) (onlyA, onlyB []string) {
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok {
			onlyA = append(onlyA, x)
		}
	}
	for _, x := range b {
		if _, ok := slices.BinarySearch(a, x); !ok {
			onlyB = append(onlyB, x)
		}
	}
	return onlyA, onlyB
}
