package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/reports"
)

// secretPath is the secret part of the test webhook URL: it must appear in
// no log line, error, audit entry or payload.
const secretPath = "/services/T0001/B0002/SECRET-TOKEN-9f8e7d"

// receiver is a local webhook endpoint recording what it was sent. Its
// responses are scripted: statuses[i] answers the i-th request (200 once
// they run out); delay holds every response back.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	bodies   [][]byte
	paths    []string
	statuses []int
	delay    time.Duration
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		n := len(r.bodies)
		r.bodies = append(r.bodies, body)
		r.paths = append(r.paths, req.URL.Path)
		status, delay := http.StatusOK, r.delay
		if n < len(r.statuses) {
			status = r.statuses[n]
		}
		r.mu.Unlock()
		if req.Header.Get("Content-Type") != "application/json" {
			status = http.StatusUnsupportedMediaType
		}
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-req.Context().Done():
				return
			}
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) url() string { return r.srv.URL + secretPath }

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

func (r *receiver) body(i int) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bodies[i]
}

// env is a working root with a log that keeps every line.
type env struct {
	layout inputs.Layout
	logs   *bytes.Buffer
	vars   map[string]string
}

func newEnv(t *testing.T) *env {
	root := t.TempDir()
	return &env{layout: inputs.NewLayout(root), logs: &bytes.Buffer{}, vars: map[string]string{}}
}

// options deliver to hooks, recording in the root's audit log as a job
// would (unsigned here: the package records through whatever it is given;
// the signed path is pipeline.Notify's).
func (e *env) options(hooks ...inputs.Webhook) Options {
	return Options{
		Layout: e.layout, Hooks: hooks, LookupEnv: func(k string) (string, bool) { v, ok := e.vars[k]; return v, ok },
		Log:     slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Backoff: 10 * time.Millisecond,
		Entries: e.loggedEntries(),
		Record: func(ctx context.Context, event string, fields map[string]any) error {
			if err := os.MkdirAll(e.layout.StateDir, 0o750); err != nil {
				return err
			}
			l, err := audit.Open(e.layout.AuditLog, nil)
			if err != nil {
				return err
			}
			_, err = l.Append(ctx, event, fields)
			return err
		},
	}
}

// loggedEntries are the entries of the root's audit log so far (none when
// there is no log yet), as a job would hold them.
func (e *env) loggedEntries() []audit.Entry {
	st, err := audit.Load(e.layout.AuditLog)
	if err != nil {
		return nil
	}
	return st.Entries
}

func (e *env) auditEntries(t *testing.T) []audit.Entry {
	t.Helper()
	res, err := audit.VerifyFile(e.layout.AuditLog)
	if err != nil || !res.OK() {
		t.Fatalf("audit chain: %+v %v", res, err)
	}
	f, err := os.Open(e.layout.AuditLog)
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

// noSecret fails when the secret URL leaked into the logs, the audit log or
// any of the strings given.
func (e *env) noSecret(t *testing.T, more ...string) {
	t.Helper()
	trail, _ := os.ReadFile(e.layout.AuditLog)
	for what, s := range map[string]string{"logs": e.logs.String(), "audit log": string(trail), "other": strings.Join(more, "\n")} {
		if strings.Contains(s, "SECRET-TOKEN") {
			t.Errorf("the webhook URL appears in the %s:\n%s", what, s)
		}
	}
}

func sampleReport() *reports.Weekly {
	return &reports.Weekly{
		Schema: reports.Schema, ReportID: "CREDIT_REVIEW_2026-02-23",
		PeriodStart: "2026-02-23T00:00:00Z", PeriodEnd: "2026-03-02T00:00:00Z",
		Provenance:       reports.Provenance{Revision: 1},
		SummaryStats:     reports.SummaryStats{TotalRuns: 6269, TotalCredits: 2338596.31, FailedRuns: 131},
		PolicyViolations: []reports.PolicyViolation{{Type: "sev0_not_quarantined", Severity: "SEV0"}},
		DataQuality:      reports.DataQuality{AppendOnly: reports.AppendOnly{Status: "ok"}, Rejected: 8},
		ActionRequired: []reports.ActionRequiredItem{
			{Severity: "SEV0", Kind: "sev0_not_quarantined", Subject: "RUN-000046144", Text: "Quarantine the run: RUN-000046144 — SEV0 run has status Success", Ref: "/policy_violations/0"},
			{Severity: "SEV1", Kind: "slo_freeze", Subject: "ledger-api", Text: "Error-budget freeze: ledger-api — 414.43 % of the March 2026 error budget consumed", Ref: "/reliability/services/0"},
			{Severity: "SEV3", Kind: "drift_significant", Subject: "DOC<&>", Text: "Significant drift: DOC<&>", Ref: "/drift/0"},
		},
	}
}

func sampleFiles() []File {
	return []File{
		{Path: "runs/CREDIT_REVIEWS/weekly_2026-02-23.json", SHA256: strings.Repeat("ab", 32)},
		{Path: "runs/CREDIT_REVIEWS/weekly_2026-02-23.xlsx", SHA256: strings.Repeat("cd", 32)},
	}
}

func TestSlackPayload(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	e.vars["SLACK_URL"] = rc.url()
	m := WeeklyMessage(sampleReport(), sampleFiles())
	res, err := Deliver(context.Background(), e.options(inputs.Webhook{Name: "ops-review", Format: inputs.WebhookSlack, URLEnv: "SLACK_URL", Timeout: time.Second, Retries: 2}), m)
	if err != nil || len(res) != 1 || res[0].Status != 200 || res[0].Attempts != 1 {
		t.Fatalf("Deliver = %+v, %v", res, err)
	}
	if rc.count() != 1 || rc.paths[0] != secretPath {
		t.Fatalf("receiver got %d posts on %q", rc.count(), rc.paths)
	}
	var msg struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type string `json:"type"`
			Text *struct {
				Type, Text string
			} `json:"text"`
			Fields []struct {
				Type, Text string
			} `json:"fields"`
			Elements []struct {
				Type, Text string
			} `json:"elements"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(rc.body(0), &msg); err != nil {
		t.Fatalf("payload is not JSON: %v\n%s", err, rc.body(0))
	}
	if !strings.Contains(msg.Text, "2026-02-23") || !strings.Contains(msg.Text, "3 item(s) need action (1 SEV0, 1 SEV1, 1 SEV3)") {
		t.Errorf("text %q", msg.Text)
	}
	var kinds []string
	for _, b := range msg.Blocks {
		kinds = append(kinds, b.Type)
	}
	if got := strings.Join(kinds, ","); got != "header,section,section,section,context" {
		t.Fatalf("blocks %s", got)
	}
	if h := msg.Blocks[0].Text; h.Type != "plain_text" || h.Text != "Weekly credit review 2026-02-23 (revision 1)" {
		t.Errorf("header %+v", h)
	}
	if p := msg.Blocks[1].Text.Text; !strings.Contains(p, "2026-02-23T00:00:00Z to 2026-03-02T00:00:00Z") {
		t.Errorf("period block %q", p)
	}
	var fields []string
	for _, f := range msg.Blocks[2].Fields {
		fields = append(fields, f.Text)
	}
	for _, want := range []string{"*Runs*\n6,269", "*Credits*\n2,338,596.31", "*Failed runs*\n131", "*Policy violations*\n1"} {
		if !strings.Contains(strings.Join(fields, "|"), want) {
			t.Errorf("headline fields %q lack %q", fields, want)
		}
	}
	actions := msg.Blocks[3].Text.Text
	if msg.Blocks[3].Text.Type != "mrkdwn" || !strings.HasPrefix(actions, "*Action required* (3)") {
		t.Errorf("action block %q", actions)
	}
	// Most severe first, one line each, mrkdwn escaped.
	i0 := strings.Index(actions, "*SEV0* Quarantine the run: RUN-000046144")
	i1 := strings.Index(actions, "*SEV1* Error-budget freeze: ledger-api")
	i3 := strings.Index(actions, "*SEV3* Significant drift: DOC&lt;&amp;&gt;")
	if i0 < 0 || i1 < i0 || i3 < i1 {
		t.Errorf("action lines out of order or missing:\n%s", actions)
	}
	var files []string
	for _, el := range msg.Blocks[4].Elements {
		files = append(files, el.Text)
	}
	if len(files) != 2 || !strings.Contains(files[0], "runs/CREDIT_REVIEWS/weekly_2026-02-23.json") || !strings.Contains(files[0], strings.Repeat("ab", 32)) {
		t.Errorf("files %q", files)
	}
	// Audited with the status; the URL nowhere.
	entries := e.auditEntries(t)
	last := entries[len(entries)-1]
	if last.Event != EventSent || last.Fields["receiver"] != "ops-review" || last.Fields["status"].(json.Number).String() != "200" ||
		last.Fields["key"] != "sha256:"+strings.Repeat("ab", 32) || last.Fields["about"] != EventPublished {
		t.Errorf("audit entry %+v", last)
	}
	e.noSecret(t, string(rc.body(0)))
}

func TestJSONPayload(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	e.vars["SIEM"] = rc.url()
	w := sampleReport()
	if _, err := Deliver(context.Background(), e.options(inputs.Webhook{Name: "siem", Format: inputs.WebhookJSON, URLEnv: "SIEM", Timeout: time.Second}), WeeklyMessage(w, sampleFiles())); err != nil {
		t.Fatal(err)
	}
	var p struct {
		Schema, Event, Key, Title string
		ReportID                  string `json:"report_id"`
		PeriodStart               string `json:"period_start"`
		Revision                  int
		Headline                  []Figure
		ActionRequired            []reports.ActionRequiredItem `json:"action_required"`
		Files                     []File
		Problems                  []string `json:"integrity_problems"`
	}
	dec := json.NewDecoder(bytes.NewReader(rc.body(0)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&struct {
		Schema         string                       `json:"schema"`
		Event          string                       `json:"event"`
		Key            string                       `json:"key"`
		Title          string                       `json:"title"`
		ReportID       string                       `json:"report_id"`
		PeriodStart    string                       `json:"period_start"`
		PeriodEnd      string                       `json:"period_end"`
		Revision       int                          `json:"revision"`
		Headline       []Figure                     `json:"headline"`
		ActionRequired []reports.ActionRequiredItem `json:"action_required"`
		Files          []File                       `json:"files"`
		Problems       []string                     `json:"integrity_problems"`
	}{}); err != nil {
		t.Fatalf("payload has unexpected fields: %v\n%s", err, rc.body(0))
	}
	if err := json.Unmarshal(rc.body(0), &p); err != nil {
		t.Fatal(err)
	}
	if p.Schema != PayloadSchema || p.Event != EventPublished || p.ReportID != w.ReportID || p.Revision != 1 ||
		p.PeriodStart != w.PeriodStart || p.Key != "sha256:"+strings.Repeat("ab", 32) {
		t.Errorf("payload head %+v", p)
	}
	if len(p.ActionRequired) != 3 || p.ActionRequired[0] != w.ActionRequired[0] || len(p.Files) != 2 || p.Files[1] != sampleFiles()[1] {
		t.Errorf("payload lists %+v %+v", p.ActionRequired, p.Files)
	}
	if len(p.Headline) == 0 || p.Headline[0] != (Figure{"Runs", "6,269"}) || p.Problems == nil || len(p.Problems) != 0 {
		t.Errorf("headline %+v problems %#v", p.Headline, p.Problems)
	}
}

func TestRetryOn500ThenSuccess(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, 500, 503)
	e.vars["URL"] = rc.url()
	started := time.Now()
	res, err := Deliver(context.Background(), e.options(inputs.Webhook{Name: "ops", Format: inputs.WebhookSlack, URLEnv: "URL", Timeout: time.Second, Retries: 3}), WeeklyMessage(sampleReport(), sampleFiles()))
	if err != nil || res[0].Attempts != 3 || res[0].Status != 200 || rc.count() != 3 {
		t.Fatalf("Deliver = %+v, %v; %d posts", res, err, rc.count())
	}
	// Backoff 10 ms then 20 ms.
	if d := time.Since(started); d < 30*time.Millisecond {
		t.Errorf("three attempts in %v: no backoff", d)
	}
	if !bytes.Equal(rc.body(0), rc.body(2)) {
		t.Error("a retry sent a different payload")
	}
	entries := e.auditEntries(t)
	if last := entries[len(entries)-1]; last.Event != EventSent || last.Fields["attempts"].(json.Number).String() != "3" {
		t.Errorf("audit %+v", last)
	}
	e.noSecret(t)
}

func TestRetriesAreBounded(t *testing.T) {
	for _, tc := range []struct {
		name         string
		statuses     []int
		retries      int
		wantAttempts int
		wantStatus   int
	}{
		{"5xx until retries run out", []int{500, 500, 500, 500}, 2, 3, 500},
		{"429 is retried", []int{429, 429}, 1, 2, 429},
		{"4xx is final", []int{404, 200}, 3, 1, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			rc := newReceiver(t, tc.statuses...)
			e.vars["URL"] = rc.url()
			res, err := Deliver(context.Background(), e.options(inputs.Webhook{Name: "ops", Format: inputs.WebhookJSON, URLEnv: "URL", Timeout: time.Second, Retries: tc.retries}), WeeklyMessage(sampleReport(), sampleFiles()))
			if !errors.Is(err, ErrFailed) {
				t.Fatalf("error %v, want ErrFailed", err)
			}
			if res[0].Attempts != tc.wantAttempts || rc.count() != tc.wantAttempts || res[0].Status != tc.wantStatus {
				t.Errorf("result %+v, %d posts; want %d attempts ending in %d", res[0], rc.count(), tc.wantAttempts, tc.wantStatus)
			}
			entries := e.auditEntries(t)
			last := entries[len(entries)-1]
			if last.Event != EventFailed || last.Fields["status"].(json.Number).String() != strconvI(tc.wantStatus) || last.Fields["error"] != "HTTP "+strconvI(tc.wantStatus) {
				t.Errorf("audit %+v", last)
			}
			e.noSecret(t, err.Error())
		})
	}
}

func strconvI(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestTimeout(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	rc.delay = 2 * time.Second
	e.vars["URL"] = rc.url()
	started := time.Now()
	res, err := Deliver(context.Background(), e.options(inputs.Webhook{Name: "slow", Format: inputs.WebhookSlack, URLEnv: "URL", Timeout: 100 * time.Millisecond, Retries: 1}), WeeklyMessage(sampleReport(), sampleFiles()))
	if !errors.Is(err, ErrFailed) || res[0].Status != 0 || res[0].Attempts != 2 {
		t.Fatalf("Deliver = %+v, %v", res, err)
	}
	if d := time.Since(started); d > 1500*time.Millisecond {
		t.Errorf("two 100 ms attempts took %v: the timeout did not apply", d)
	}
	if !strings.Contains(err.Error(), "timed out") {
		t.Errorf("error %q does not say it timed out", err)
	}
	entries := e.auditEntries(t)
	if last := entries[len(entries)-1]; last.Event != EventFailed || last.Fields["status"].(json.Number).String() != "0" {
		t.Errorf("audit %+v", last)
	}
	e.noSecret(t, err.Error())
}

// TestBudgetSharedByAllReceivers: each receiver may take its timeout
// times its tries, and the deliveries are made under the working root's
// lock: with the configuration's maxima one hanging receiver kept the
// daily check and every job out for most of an hour. All receivers now
// share Options.Budget (LockBudget under the lock); those still being
// tried when it runs out fail, recorded as such.
func TestBudgetSharedByAllReceivers(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	rc.delay = 2 * time.Second
	e.vars["URL"] = rc.url()
	opts := e.options(
		inputs.Webhook{Name: "slow", Format: inputs.WebhookJSON, URLEnv: "URL", Timeout: time.Second, Retries: 3},
		inputs.Webhook{Name: "slower", Format: inputs.WebhookJSON, URLEnv: "URL", Timeout: time.Second, Retries: 3},
	)
	opts.Budget = 300 * time.Millisecond
	started := time.Now()
	res, err := Deliver(context.Background(), opts, WeeklyMessage(sampleReport(), sampleFiles()))
	if d := time.Since(started); d > 1500*time.Millisecond {
		t.Errorf("two receivers sharing 300 ms took %v", d)
	}
	if !errors.Is(err, ErrFailed) || len(res) != 2 {
		t.Fatalf("Deliver = %+v, %v", res, err)
	}
	for _, r := range res {
		if r.Err == nil || !strings.Contains(r.Err.Error(), "out of time") {
			t.Errorf("%s: %v, want out of time", r.Receiver, r.Err)
		}
	}
	entries := e.auditEntries(t)
	if n := len(entries); n < 2 || entries[n-1].Event != EventFailed || entries[n-2].Event != EventFailed {
		t.Errorf("audit: %+v", entries)
	}
	if LockBudget > 10*time.Minute {
		t.Errorf("LockBudget %v is longer than the jobs' usual --lock-timeout can wait", LockBudget)
	}
}

func TestNoSecondPostForTheSameKey(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, 500) // the first attempt fails: the first delivery fails
	e.vars["URL"] = rc.url()
	hooks := []inputs.Webhook{{Name: "ops", Format: inputs.WebhookSlack, URLEnv: "URL", Timeout: time.Second, Retries: 0}}
	m := WeeklyMessage(sampleReport(), sampleFiles())
	if _, err := Deliver(context.Background(), e.options(hooks...), m); !errors.Is(err, ErrFailed) {
		t.Fatalf("first delivery: %v, want a failure", err)
	}
	// A re-run after a failure tries again …
	res, err := Deliver(context.Background(), e.options(hooks...), m)
	if err != nil || res[0].Skipped || rc.count() != 2 {
		t.Fatalf("re-run after a failure: %+v %v; %d posts", res, err, rc.count())
	}
	// … and once it got through, an identical re-run posts nothing.
	res, err = Deliver(context.Background(), e.options(hooks...), m)
	if err != nil || !res[0].Skipped || rc.count() != 2 {
		t.Fatalf("identical re-run: %+v %v; %d posts", res, err, rc.count())
	}
	// A new revision (another key) is announced; a new receiver gets the
	// old key.
	files := sampleFiles()
	files[0].SHA256 = strings.Repeat("ef", 32)
	if _, err := Deliver(context.Background(), e.options(hooks...), WeeklyMessage(sampleReport(), files)); err != nil || rc.count() != 3 {
		t.Fatalf("new key: %v; %d posts", err, rc.count())
	}
	hooks = append(hooks, inputs.Webhook{Name: "siem", Format: inputs.WebhookJSON, URLEnv: "URL", Timeout: time.Second})
	res, err = Deliver(context.Background(), e.options(hooks...), m)
	if err != nil || !res[0].Skipped || res[1].Skipped || rc.count() != 4 {
		t.Fatalf("new receiver: %+v %v; %d posts", res, err, rc.count())
	}
	var events []string
	for _, en := range e.auditEntries(t) {
		events = append(events, en.Event)
	}
	if got := strings.Join(events, ","); got != "notify_failed,notify_sent,notify_sent,notify_sent" {
		t.Errorf("audit events %s", got)
	}
	e.noSecret(t)
}

func TestWebhookURLSources(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	path := filepath.Join(e.layout.Root, "config", "ops.url")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(rc.url()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hook := inputs.Webhook{Name: "ops", Format: inputs.WebhookJSON, URLFile: "config/ops.url", Timeout: time.Second}
	m := IntegrityMessage([]string{"runs/CREDIT_REVIEWS/weekly_2026-02-23.json: SHA-256 differs from its sidecar"})

	// Readable by others: refused, recorded as a failure, nothing posted.
	_, err := Deliver(context.Background(), e.options(hook), m)
	if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "chmod 600") || rc.count() != 0 {
		t.Fatalf("0644 URL file: %v; %d posts", err, rc.count())
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Deliver(context.Background(), e.options(hook), m); err != nil || rc.count() != 1 {
		t.Fatalf("0600 URL file: %v; %d posts", err, rc.count())
	}
	var p struct {
		Event    string   `json:"event"`
		Problems []string `json:"integrity_problems"`
	}
	if err := json.Unmarshal(rc.body(0), &p); err != nil || p.Event != EventIntegrityProblem || len(p.Problems) != 1 {
		t.Errorf("integrity payload %s", rc.body(0))
	}

	// Unset variable, and a value that is not a URL: errors that name the
	// variable, never the value.
	e.vars["BAD"] = "not a url " + secretPath
	for _, h := range []inputs.Webhook{
		{Name: "unset", Format: inputs.WebhookSlack, URLEnv: "UNSET", Timeout: time.Second},
		{Name: "bad", Format: inputs.WebhookSlack, URLEnv: "BAD", Timeout: time.Second},
	} {
		_, err := Deliver(context.Background(), e.options(h), m)
		if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), h.Name) {
			t.Errorf("%s: %v", h.Name, err)
		} else {
			e.noSecret(t, err.Error())
		}
	}
	e.noSecret(t)
}

// TestWebhookSecretsOfTheHostAndTheFile: two ways a receiver's secret
// escaped its owner (an outside review). A secret carried in the host
// name appeared in the lookup error, on stderr and twice in the signed
// audit log: the host is now left out of every delivery error. And a
// URL file another account put in place (mode 0600, theirs) was read by
// a job run as root, which sent every notification to them: a URL file
// must be the running account's.
func TestWebhookSecretsOfTheHostAndTheFile(t *testing.T) {
	m := IntegrityMessage([]string{"a problem"})
	// A host name that carries the secret, plain or internationalised
	// (looked up, and named in the lookup's error, in its ASCII form).
	for _, host := range []string{"tok-8f3a9c2d77e1-secret.hooks.invalid", "tënant-8f3a9c2d77e1.invalid"} {
		e := newEnv(t)
		e.vars["HOSTED"] = "https://" + host + "/x"
		_, err := Deliver(context.Background(), e.options(inputs.Webhook{Name: "hosted", Format: inputs.WebhookJSON, URLEnv: "HOSTED", Timeout: 2 * time.Second}), m)
		if !errors.Is(err, ErrFailed) {
			t.Fatalf("a receiver whose host %s does not resolve: %v", host, err)
		}
		trail, _ := os.ReadFile(e.layout.AuditLog)
		for what, text := range map[string]string{"error": err.Error(), "logs": e.logs.String(), "audit log": string(trail)} {
			if strings.Contains(text, "8f3a9c2d77e1") {
				t.Errorf("the receiver's host %s appears in the %s:\n%s", host, what, text)
			}
		}
	}

	// A link in the URL file's place is not followed: checked by name and
	// read by name again, a link swapped in between was read.
	e := newEnv(t)
	rcLinked := newReceiver(t)
	real := filepath.Join(e.layout.Root, "real.url")
	if err := os.WriteFile(real, []byte(rcLinked.url()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(e.layout.Root, "linked.url")); err != nil {
		t.Fatal(err)
	}
	_, err := Deliver(context.Background(), e.options(inputs.Webhook{Name: "linked", Format: inputs.WebhookJSON, URLFile: "linked.url", Timeout: time.Second}), m)
	if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "symbolic link") || rcLinked.count() != 0 {
		t.Errorf("a URL file that is a link: %v; %d posts", err, rcLinked.count())
	}

	if os.Geteuid() != 0 {
		t.Skip("giving the URL file to another account needs root")
	}
	rc := newReceiver(t)
	path := filepath.Join(e.layout.Root, "theirs.url")
	if err := os.WriteFile(path, []byte(rc.url()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	_, err = Deliver(context.Background(), e.options(inputs.Webhook{Name: "filed", Format: inputs.WebhookJSON, URLFile: "theirs.url", Timeout: time.Second}), m)
	if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "belongs to uid 65534") || rc.count() != 0 {
		t.Errorf("another account's URL file: %v; %d posts", err, rc.count())
	}
}

// TestMutedReceiver: the runbook's kill switch sets the webhook's
// variable to nothing. That receiver is not posted, without a failure,
// and the log records it muted; an unset variable stays a failure, and
// the receiver is told once its variable is set again.
func TestMutedReceiver(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	hook := inputs.Webhook{Name: "ops", Format: inputs.WebhookSlack, URLEnv: "SLACK_WEBHOOK_URL_SEV2", Timeout: time.Second}
	m := IntegrityMessage([]string{"runs/CREDIT_REVIEWS/weekly_2026-02-23.json: SHA-256 differs from its sidecar"})
	for _, v := range []string{"", "  "} {
		e.vars[hook.URLEnv] = v
		res, err := Deliver(context.Background(), e.options(hook), m)
		if err != nil || len(res) != 1 || !res[0].Muted || rc.count() != 0 {
			t.Fatalf("variable set to %q: %v, %+v; %d posts", v, err, res, rc.count())
		}
	}
	var muted int
	for _, en := range e.auditEntries(t) {
		if en.Event == EventMuted && en.Fields["receiver"] == "ops" && en.Fields["url_env"] == hook.URLEnv {
			muted++
		}
		if en.Event == EventSent || en.Event == EventFailed {
			t.Errorf("a muted receiver recorded %s", en.Event)
		}
	}
	if muted != 2 {
		t.Errorf("%d notify_muted entries, want 2", muted)
	}
	if !strings.Contains(e.logs.String(), "muted") {
		t.Errorf("the mute is not logged:\n%s", e.logs)
	}

	delete(e.vars, hook.URLEnv)
	if _, err := Deliver(context.Background(), e.options(hook), m); !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "is not set") {
		t.Errorf("unset variable: %v, want a failure", err)
	}
	e.vars[hook.URLEnv] = rc.url()
	if _, err := Deliver(context.Background(), e.options(hook), m); err != nil || rc.count() != 1 {
		t.Errorf("variable set again: %v; %d posts, want 1", err, rc.count())
	}
}

func TestNoWebhooksNothingToDo(t *testing.T) {
	e := newEnv(t)
	res, err := Deliver(context.Background(), e.options(), WeeklyMessage(sampleReport(), sampleFiles()))
	if err != nil || res != nil {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := os.Stat(e.layout.AuditLog); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("no webhooks, yet the audit log was touched: %v", err)
	}
}

// TestUnrecordedDeliveryAsksNoLog: when no job could open the audit log
// (its check failed: what an integrity message may be about), a delivery
// is made without a record, and a notify_sent for the message's key in
// that unverified log — forged, to silence the alarm about the forgery —
// must not stop it: every receiver is told.
func TestUnrecordedDeliveryAsksNoLog(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	e.vars["URL"] = rc.url()
	hook := inputs.Webhook{Name: "ops", Format: inputs.WebhookJSON, URLEnv: "URL", Timeout: time.Second}
	m := IntegrityMessage([]string{"audit log: 1 entries carry no valid signature"})
	if _, err := Deliver(context.Background(), e.options(hook), m); err != nil || rc.count() != 1 {
		t.Fatalf("recorded delivery: %v; %d posts", err, rc.count())
	}
	// The log now holds notify_sent for m's key: a recorded delivery
	// skips the receiver, an unrecorded one does not.
	if _, err := Deliver(context.Background(), e.options(hook), m); err != nil || rc.count() != 1 {
		t.Fatalf("second recorded delivery: %v; %d posts, want no new one", err, rc.count())
	}
	unrecorded := e.options(hook)
	unrecorded.Record, unrecorded.Entries = nil, nil
	res, err := Deliver(context.Background(), unrecorded, m)
	if err != nil || rc.count() != 2 || len(res) != 1 || res[0].Skipped {
		t.Fatalf("unrecorded delivery: %v %+v; %d posts, want 2", err, res, rc.count())
	}
}
