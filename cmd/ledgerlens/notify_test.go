package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestReportWeeklyNotifies runs `report weekly` against a local webhook:
// the publication is announced once with its action list, an identical
// re-run posts nothing, the --quiet run prints nothing, and a receiver
// that fails leaves the publication in place and fails the command only
// with --require-notify. The URL appears in no output, file or audit entry.
func TestReportWeeklyNotifies(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		code := status
		mu.Unlock()
		w.WriteHeader(code)
	}))
	defer srv.Close()
	posts := func() int { mu.Lock(); defer mu.Unlock(); return len(bodies) }

	root := copyFixture(t)
	cfg := `{"webhooks": [{"name": "ops-review", "url_env": "LL_TEST_HOOK", "timeout_seconds": 2, "retries": 1}]}`
	if err := os.WriteFile(filepath.Join(root, "config", "ledgerlens.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	url := srv.URL + "/hooks/SECRET-TOKEN-1234"
	env := []string{"LL_TEST_HOOK=" + url}

	r := ledgerlens(t, env, "--root", root, "report", "weekly", "--week", focusWeek, "--unsigned", "--require-notify")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "action required (") || !strings.Contains(r.stdout, "SEV0  Quarantine the run") {
		t.Errorf("stdout lacks the action list:\n%s", r.stdout)
	}
	if posts() != 1 {
		t.Fatalf("%d posts, want 1", posts())
	}
	var msg struct {
		Text   string            `json:"text"`
		Blocks []json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(bodies[0]), &msg); err != nil || !strings.Contains(msg.Text, focusWeek) || len(msg.Blocks) < 4 {
		t.Errorf("payload %v: %s", err, bodies[0])
	}
	if !strings.Contains(bodies[0], "weekly_"+focusWeek+".json") {
		t.Errorf("payload does not name the published JSON: %s", bodies[0])
	}

	// Identical re-run: no-op, nothing posted, nothing printed with -q.
	r = ledgerlens(t, env, "--root", root, "-q", "report", "weekly", "--week", focusWeek, "--unsigned", "--require-notify")
	if r.code != 0 || r.stdout != "" || posts() != 1 {
		t.Fatalf("re-run: exit %d, %d posts, stdout %q\n%s", r.code, posts(), r.stdout, r.stderr)
	}

	// A failing receiver: a new week is published all the same; the exit
	// status is 0 without --require-notify and 1 with it.
	mu.Lock()
	status = http.StatusInternalServerError
	mu.Unlock()
	prev := previousWeek(t)
	r = ledgerlens(t, env, "--root", root, "report", "weekly", "--week", prev, "--unsigned")
	if r.code != 0 {
		t.Fatalf("failed notification without --require-notify: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(reviews(root), "weekly_"+prev+".json")); err != nil {
		t.Fatalf("publication missing after a failed notification: %v", err)
	}
	// The metrics said the run succeeded (last_status 1) while the
	// command exited 1: they were written before the notification.
	prom := filepath.Join(t.TempDir(), "ledgerlens.prom")
	r = ledgerlens(t, env, "--root", root, "report", "weekly", "--week", prev, "--unsigned", "--require-notify", "--metrics-file", prom)
	if r.code != 1 || !strings.Contains(r.stderr, "HTTP 500") {
		t.Fatalf("failed notification with --require-notify: exit %d\n%s", r.code, r.stderr)
	}
	if metrics := string(readFile(t, prom)); !strings.Contains(metrics, series("ledgerlens_job_last_status", "weekly-review", root)+" 0") {
		t.Errorf("metrics of a run that exited 1 on its notification:\n%s", metrics)
	}
	if _, err := os.Stat(filepath.Join(reviews(root), "weekly_"+prev+".json")); err != nil {
		t.Fatalf("publication removed: %v", err)
	}

	trail, err := os.ReadFile(filepath.Join(root, ".ledgerlens", "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"event":"notify_sent"`, `"event":"notify_failed"`, `"status":500`, `"status":200`} {
		if !strings.Contains(string(trail), want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
	// The secret is nowhere on disk or in any output.
	out := r.stdout + r.stderr
	if strings.Contains(out, "SECRET-TOKEN") || strings.Contains(string(trail), "SECRET-TOKEN") {
		t.Error("the webhook URL leaked into the output or the audit log")
	}
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".jsonl") && strings.Contains(p, "CREDIT_MONITORING") {
			return err
		}
		if b, _ := os.ReadFile(p); strings.Contains(string(b), "SECRET-TOKEN") {
			t.Errorf("%s contains the webhook URL", p)
		}
		return nil
	})
}

// TestWebhookDeliveriesKeepTheLogSigned: on a root with a signing key, a
// delivery was appended to the audit log unsigned, after the job's last
// checkpoint, so every later job exited 4 ("appended by someone without
// the signing key") and audit verify failed, while the job that notified
// exited 0. Deliveries are now a job of their own, signed and
// checkpointed; a failed one is said on stderr also under --quiet.
func TestWebhookDeliveriesKeepTheLogSigned(t *testing.T) {
	var mu sync.Mutex
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(status)
	}))
	defer srv.Close()
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	cfg := `{"webhooks": [{"name": "ops", "url_env": "LL_TEST_HOOK", "timeout_seconds": 2, "retries": 0}]}`
	if err := os.WriteFile(filepath.Join(root, "config", "ledgerlens.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"LL_TEST_HOOK=" + srv.URL + "/hook"}

	if r := ledgerlens(t, env, "--root", root, "-q", "report", "weekly", "--week", focusWeek, "--require-notify"); r.code != 0 {
		t.Fatalf("weekly job with a delivered notification: exit %d\n%s", r.code, r.stderr)
	}
	mustRun(t, "--root", root, "audit", "verify")

	mu.Lock()
	status = http.StatusInternalServerError
	mu.Unlock()
	prev := previousWeek(t)
	r := ledgerlens(t, env, "--root", root, "-q", "report", "weekly", "--week", prev)
	if r.code != 0 || !strings.Contains(r.stderr, "notification not delivered") || !strings.Contains(r.stderr, "HTTP 500") {
		t.Fatalf("weekly job with a failed notification, --quiet: exit %d, stderr %q", r.code, r.stderr)
	}
	mustRun(t, "--root", root, "audit", "verify")
	mustRun(t, "--root", root, "verify", "all")
	mu.Lock()
	status = http.StatusOK
	mu.Unlock()
	if r := ledgerlens(t, env, "--root", root, "-q", "report", "weekly", "--week", weekBefore(t, prev), "--require-notify"); r.code != 0 {
		t.Fatalf("the next weekly job: exit %d\n%s", r.code, r.stderr)
	}
	trail, err := os.ReadFile(filepath.Join(root, ".ledgerlens", "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"event":"notify_sent"`, `"event":"notify_failed"`, `"job":"notify"`} {
		if !strings.Contains(string(trail), want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
}

// previousWeek is the Monday before the fixture's focus week.
func previousWeek(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		PreviousWeek string `json:"previous_week"`
	}
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	return e.PreviousWeek
}

// TestReportSLANotifies: the monthly SLA publication is announced like the
// weekly one, once per published report.
func TestReportSLANotifies(t *testing.T) {
	root := copyFixture(t)
	url, received := jsonWebhook(t, root, 1)
	env := []string{"LL_TEST_HOOK=" + url + "/hooks/SECRET-TOKEN-5678"}
	for range 2 {
		r := ledgerlens(t, env, "--root", root, "report", "sla", "--month", "2026-02", "--unsigned", "--require-notify")
		if r.code != 0 {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
	bodies := received()
	if len(bodies) != 1 {
		t.Fatalf("%d posts for one SLA report published and re-run, want 1", len(bodies))
	}
	var msg struct {
		Event    string `json:"event"`
		ReportID string `json:"report_id"`
	}
	if err := json.Unmarshal([]byte(bodies[0]), &msg); err != nil {
		t.Fatalf("%v: %s", err, bodies[0])
	}
	if !strings.Contains(bodies[0], "sla_published") || !strings.Contains(bodies[0], "SLA_2026-02") || !strings.Contains(bodies[0], "sla_2026-02.json") {
		t.Errorf("payload does not announce the SLA report: %s", bodies[0])
	}
	if strings.Contains(bodies[0], "SECRET-TOKEN") {
		t.Error("the payload carries the webhook URL")
	}
}

// jsonWebhook starts a receiver that records every body posted to it and
// configures root's only webhook, "ops" (JSON, its URL in LL_TEST_HOOK,
// retries as given), to post there. It returns the receiver's URL and
// what it has received so far.
func jsonWebhook(t *testing.T, root string, retries int) (url string, received func() []string) {
	t.Helper()
	var (
		mu     sync.Mutex
		bodies []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	cfg := fmt.Sprintf(`{"webhooks": [{"name": "ops", "format": "json", "url_env": "LL_TEST_HOOK", "timeout_seconds": 2, "retries": %d}]}`, retries)
	if err := os.WriteFile(filepath.Join(root, "config", "ledgerlens.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv.URL, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(bodies)
	}
}
