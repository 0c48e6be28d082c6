package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAttackTextTheStoreCutsShort: text that a JSON reader keeps whole
// but the store does not. The engine's side tables, filled through bound
// parameters, ended text at U+0000, and the side inputs decoded bytes that
// are not UTF-8 as U+FFFD, so distinct values merged with nothing said:
// a ledger status "Success\u0000x" counted as "Success"; a baseline
// "X\u0000old" beside "X" counted every run of X twice; two cases whose
// ids differ only in bytes that are not UTF-8 became one, the later
// replacing the earlier (an outside review). The ledger line is now a
// reject, and the side inputs are refused naming the file and line.
func TestAttackTextTheStoreCutsShort(t *testing.T) {
	day := mustParseDay(t, focusWeek).AddDate(0, 0, 2)
	t.Run("ledger", func(t *testing.T) {
		root := copyFixture(t)
		line := appendLedgerLines(t, root, fmt.Sprintf(
			`{"run_id":"NUL-1","timestamp":%q,"scenario_id":"NUL_S","status":"Success\u0000x","credits_total":5}`,
			day.Add(10*time.Hour).Format(time.RFC3339)))
		r := cron(t, root, "report", "weekly", "--week", focusWeek, "--unsigned")
		rejects := string(readFile(t, filepath.Join(reviews(root), "rejects_cumulative_"+focusWeek+".jsonl")))
		if !strings.Contains(rejects, fmt.Sprintf(`"line_no":%d,`, line)) || !strings.Contains(rejects, `"reason":"nul_in_text: status holds U+0000`) {
			t.Errorf("the line holding U+0000 is not a reject (exit %d):\n%s\n%s", r.code, r.stderr, rejects)
		}
	})
	t.Run("baselines", func(t *testing.T) {
		root := copyFixture(t)
		path := filepath.Join(root, "config", "credit-baselines.json")
		var doc map[string]any
		if err := json.Unmarshal(readFile(t, path), &doc); err != nil {
			t.Fatal(err)
		}
		entries := doc["baselines"].([]any)
		twin := map[string]any{}
		for k, v := range entries[0].(map[string]any) {
			twin[k] = v
		}
		twin["scenario_id"] = twin["scenario_id"].(string) + "\x00old"
		doc["baselines"] = append(entries, twin)
		data, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r := cron(t, root, "report", "weekly", "--week", focusWeek, "--unsigned")
		if r.code != 1 || !strings.Contains(r.stderr, "credit-baselines.json:") || !strings.Contains(r.stderr, "U+0000") {
			t.Errorf("a baseline whose id holds U+0000: exit %d, want 1 naming the file and line\n%s", r.code, r.stderr)
		}
		if entries, _ := os.ReadDir(reviews(root)); len(entries) != 0 {
			t.Errorf("%d files published from the baselines", len(entries))
		}
	})
	t.Run("cases", func(t *testing.T) {
		root := copyFixture(t)
		path := filepath.Join(root, "runs", "CREDIT_MONITORING", "cases.jsonl")
		data := readFile(t, path)
		n := strings.Count(string(data), "\n")
		for _, id := range []string{"CASE-\xff1", "CASE-\xfe1"} {
			data = append(data, fmt.Sprintf(`{"Case_ID":"%s","Title":"t","Severity":"SEV1","Status":"Investigating","Created_At":"2026-01-06T10:00:00Z"}`+"\n", id)...)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r := cron(t, root, "report", "weekly", "--week", focusWeek, "--unsigned")
		if want := fmt.Sprintf("cases.jsonl:%d:", n+1); r.code != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "not UTF-8") {
			t.Errorf("two case ids that are not UTF-8: exit %d, want 1 naming %s\n%s", r.code, want, r.stderr)
		}
	})
}

// TestManyDistinctOwners: 65,536 distinct values of one text column
// (an upstream that writes each user's address as the owner, or a hash
// per run as the prompt version) stopped every ingest and every report,
// past weeks' too, over valid lines, while verify all said OK (an outside
// review): the store kept such text as 16-bit codes. They load.
func TestManyDistinctOwners(t *testing.T) {
	root := copyFixture(t)
	ts := mustParseDay(t, focusWeek).AddDate(0, 0, 2).Add(10 * time.Hour).Format(time.RFC3339)
	const n = 1<<16 + 10
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf(`{"run_id":"OWN-%d","timestamp":%q,"scenario_id":"S","credits_total":1,"owner":"user-%d"}`, i, ts, i)
	}
	appendLedgerLines(t, root, lines...)
	r := cron(t, root, "report", "weekly", "--week", focusWeek, "--unsigned")
	if r.code == 1 || strings.Contains(r.stderr, "distinct values") {
		t.Fatalf("a ledger with %d distinct owners: exit %d\n%s", n, r.code, r.stderr)
	}
	out := ledgerlens(t, nil, "--root", root, "query", "--format", "csv", "SELECT count(DISTINCT owner) FROM runs WHERE run_id LIKE 'OWN-%'")
	if out.code != 0 || !strings.Contains(out.stdout, fmt.Sprint(n)) {
		t.Errorf("distinct owners in the store: exit %d\n%s%s", out.code, out.stdout, out.stderr)
	}
}

// TestNewestRunMetricWithARunFromTheFuture: one ledger line stamped
// 9999-12-31 set ledgerlens_ledger_newest_run_timestamp_seconds to it,
// and LedgerlensLedgerStale (last success minus newest run over 48 h)
// could never fire again, whatever stopped arriving (an outside review).
// The metric is the newest run before the job's clock.
func TestNewestRunMetricWithARunFromTheFuture(t *testing.T) {
	root := copyFixture(t)
	appendLedgerLines(t, root, `{"run_id":"FUTURE-1","timestamp":"9999-12-31T23:59:59Z","scenario_id":"S","credits_total":1}`)
	prom := filepath.Join(t.TempDir(), "ledgerlens.prom")
	r := cron(t, root, "report", "weekly", "--week", focusWeek, "--unsigned", "--metrics-file", prom)
	if r.code != 0 && r.code != 3 && r.code != 4 {
		t.Fatalf("weekly run: exit %d\n%s", r.code, r.stderr)
	}
	prefix := series("ledgerlens_ledger_newest_run_timestamp_seconds", "weekly-review", root) + " "
	for _, line := range strings.Split(string(readFile(t, prom)), "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			newest, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			if newest > float64(time.Now().Unix()) {
				t.Errorf("the newest run in the metrics is %s, after now", time.Unix(int64(newest), 0).UTC())
			}
			return
		}
	}
	t.Fatalf("no newest-run series in the metrics")
}

// TestVerifyAllAfterAnUpgrade: the first daily check after an upgrade
// to store version 10 called the intact store "edited or damaged", exited
// 4 and posted an integrity alarm to the webhooks (an outside review).
// A store an earlier ledgerlens wrote is not checked, which alone is a
// check that could not run to the end, exit 1, saying what brings it up
// to date; every other check still runs, and a problem beside it is
// exit 4 (the first fix returned early and dropped it: a second review).
func TestVerifyAllAfterAnUpgrade(t *testing.T) {
	t.Run("nothing else wrong", func(t *testing.T) {
		root := copyRoot(t, publishedRoot(t))
		version9Store(t, root)
		r := cron(t, root, "verify", "all")
		if r.code != 1 || strings.Contains(r.stderr, "edited or damaged") || !strings.Contains(r.stderr, "brings it up to date") {
			t.Fatalf("verify all on a store of version 9: exit %d, want 1 saying how to bring it up to date\n%s", r.code, r.stderr)
		}
		wantExit(t, cron(t, root, "ingest"), 0, "the first job after the upgrade")
		wantExit(t, cron(t, root, "verify", "all"), 0, "verify all after it")
	})
	t.Run("a published report edited beside it", func(t *testing.T) {
		root := copyRoot(t, publishedRoot(t))
		version9Store(t, root)
		report := weeklyPath(root, focusWeek, 1, ".json")
		data := readFile(t, report)
		if err := os.WriteFile(report, append(data, ' '), 0o644); err != nil {
			t.Fatal(err)
		}
		r := cron(t, root, "verify", "all")
		if r.code != 4 || !strings.Contains(r.stderr, "weekly_"+focusWeek+".json") {
			t.Fatalf("verify all on a store of version 9 and an edited report: exit %d, want 4 naming the report\n%s", r.code, r.stderr)
		}
	})
}
