package inputs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// runbookPolicy is config/sintraprime-policy.json as the runbook ships it.
const runbookPolicy = `{"version":"1.0",
 "severity_policy":{"sev0":{"multiplier":10,"pii_or_regulatory":true,"action":"quarantine"},"sev1":{"multiplier":5,"action":"case_and_alert"},"sev2":{"multiplier":2,"action":"weekly_review"},"sev3":{"multiplier":1.5,"action":"log"},"sev4":{"multiplier":0,"action":"log"}},
 "risk_flags":{"retry_loop":{"misconfig_weight":3,"legit_weight":0},"unbounded_iterator":{"misconfig_weight":4,"legit_weight":0},"missing_idempotency":{"misconfig_weight":4,"legit_weight":0},"sudden_prompt_growth":{"misconfig_weight":2,"legit_weight":0},"batch_job":{"misconfig_weight":0,"legit_weight":3},"backfill_mode":{"misconfig_weight":0,"legit_weight":4}},
 "review_windows":{"credit_review_days":7,"baseline_window_days":30,"healthy_run_statuses":["Success"]}}
`

func TestLoadPolicyRunbookFileEqualsDefault(t *testing.T) {
	path := writeFile(t, t.TempDir(), "config/sintraprime-policy.json", runbookPolicy)
	p, info, err := LoadPolicy(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, DefaultPolicy()) {
		t.Fatalf("runbook policy = %+v\nwant the built-in default %+v", p, DefaultPolicy())
	}
	sum := sha256.Sum256([]byte(runbookPolicy))
	if !info.Present() || info.Path != path || info.Bytes != int64(len(runbookPolicy)) || info.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("FileInfo = %+v", info)
	}
}

func TestLoadPolicyAbsentUsesDefault(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config", "sintraprime-policy.json")
	p, info, err := LoadPolicy(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, DefaultPolicy()) {
		t.Fatalf("absent policy gave %+v", p)
	}
	if info.Present() || info.Path != path || info.Bytes != 0 {
		t.Fatalf("FileInfo of an absent file = %+v", info)
	}
}

func TestLoadPolicyUnreadable(t *testing.T) {
	dir := t.TempDir() // a directory where the file should be
	_, _, err := LoadPolicy(dir)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("error %v does not name %s", err, dir)
	}
}

func TestDefaultPolicyIsFresh(t *testing.T) {
	a := DefaultPolicy()
	a.RiskFlags["retry_loop"] = FlagWeights{Misconfig: 99}
	a.ReviewWindows.HealthyRunStatuses[0] = "Failed"
	b := DefaultPolicy()
	if b.RiskFlags["retry_loop"].Misconfig != 3 || b.ReviewWindows.HealthyRunStatuses[0] != "Success" {
		t.Fatal("DefaultPolicy shares state between calls")
	}
}

func TestParsePolicyValid(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(string) string
		check func(t *testing.T, p Policy)
	}{
		{"unknown keys allowed", func(s string) string {
			return strings.Replace(s, `{"version":"1.0",`, `{"version":"1.0","notes":{"owner":"ops"},"sev5":1,`, 1)
		}, func(t *testing.T, p Policy) {
			if p.SeverityPolicy.Sev1.Multiplier != 5 {
				t.Fatalf("sev1 = %v", p.SeverityPolicy.Sev1.Multiplier)
			}
		}},
		{"sev4 absent is 0", func(s string) string {
			return strings.Replace(s, `,"sev4":{"multiplier":0,"action":"log"}`, ``, 1)
		}, func(t *testing.T, p Policy) {
			if p.SeverityPolicy.Sev4.Multiplier != 0 {
				t.Fatalf("sev4 = %v", p.SeverityPolicy.Sev4.Multiplier)
			}
		}},
		{"sev4 multiplier absent is 0", func(s string) string {
			return strings.Replace(s, `"sev4":{"multiplier":0,`, `"sev4":{`, 1)
		}, func(t *testing.T, p Policy) {
			if p.SeverityPolicy.Sev4.Multiplier != 0 || p.SeverityPolicy.Sev4.Action != "log" {
				t.Fatalf("sev4 = %+v", p.SeverityPolicy.Sev4)
			}
		}},
		{"pii_or_regulatory absent means required", func(s string) string {
			return strings.Replace(s, `"pii_or_regulatory":true,`, ``, 1)
		}, func(t *testing.T, p Policy) {
			if !p.SeverityPolicy.Sev0.PIIOrRegulatory {
				t.Fatalf("sev0 = %+v, want pii_or_regulatory true", p.SeverityPolicy.Sev0)
			}
		}},
		{"pii_or_regulatory false waives PII", func(s string) string {
			return strings.Replace(s, `"pii_or_regulatory":true`, `"pii_or_regulatory":false`, 1)
		}, func(t *testing.T, p Policy) {
			if p.SeverityPolicy.Sev0.PIIOrRegulatory {
				t.Fatalf("sev0 = %+v, want pii_or_regulatory false", p.SeverityPolicy.Sev0)
			}
		}},
		// Flag names are data, not keys this version reads: spellings that
		// differ in case are two flags.
		{"flags that differ in case are two flags", func(s string) string {
			return strings.Replace(s, `"batch_job":{`, `"Batch_Job":{"misconfig_weight":1,"legit_weight":0},"batch_job":{`, 1)
		}, func(t *testing.T, p Policy) {
			if p.RiskFlags["Batch_Job"].Misconfig != 1 || p.RiskFlags["batch_job"].Legit != 3 {
				t.Fatalf("risk flags = %v", p.RiskFlags)
			}
		}},
		{"risk_flags absent weighs nothing", func(s string) string {
			i := strings.Index(s, `"risk_flags"`)
			j := strings.Index(s, `"review_windows"`)
			return s[:i] + s[j:]
		}, func(t *testing.T, p Policy) {
			if got := p.MisconfigScore([]string{"retry_loop"}); got != 0 {
				t.Fatalf("score = %v", got)
			}
		}},
		// A look-alike of a key the file gives too is a key of its own; an
		// extension of a flag's name ("_v2", "_eu") names another flag;
		// pii_or_regulatory means nothing below sev0, misspelt or not.
		{"look-alikes beside what they resemble, extended flag names", func(s string) string {
			s = strings.Replace(s, `"action":"quarantine"`, `"action":"quarantine","actions":["page"]`, 1)
			s = strings.Replace(s, `"sev1":{"multiplier":5,`, `"sev1":{"multiplier":5,"pii_or_regulatry":true,`, 1)
			return strings.Replace(s, `"batch_job":{`, `"retry_loop_v2":{"misconfig_weight":1,"legit_weight":0},"regulatory_data_eu":{"misconfig_weight":0,"legit_weight":0},"batch_job":{`, 1)
		}, func(t *testing.T, p Policy) {
			if p.RiskFlags["retry_loop_v2"].Misconfig != 1 || p.SeverityPolicy.Sev0.Action != "quarantine" {
				t.Fatalf("policy = %+v", p)
			}
		}},
		// A key unlike any this version reads may be a later version's.
		{"unknown keys unlike known ones allowed", func(s string) string {
			s = strings.Replace(s, `"action":"quarantine"`, `"action":"quarantine","escalation_contact":"ops"`, 1)
			s = strings.Replace(s, `"batch_job":{`, `"gpu_burst":{"misconfig_weight":1,"legit_weight":0},"batch_job":{`, 1)
			return strings.Replace(s, `"retry_loop":{`, `"retry_loops":{"misconfig_weight":2,"legit_weight":0},"retry_loop":{`, 1)
		}, func(t *testing.T, p Policy) {
			if p.RiskFlags["gpu_burst"].Misconfig != 1 || p.RiskFlags["retry_loops"].Misconfig != 2 || p.RiskFlags["retry_loop"].Misconfig != 3 {
				t.Fatalf("risk flags = %v", p.RiskFlags)
			}
		}},
		{"whole-number floats", func(s string) string {
			return strings.Replace(s, `"credit_review_days":7`, `"credit_review_days":7.0`, 1)
		}, func(t *testing.T, p Policy) {
			if p.ReviewWindows.CreditReviewDays != 7 {
				t.Fatalf("days = %d", p.ReviewWindows.CreditReviewDays)
			}
		}},
		{"several healthy statuses", func(s string) string {
			return strings.Replace(s, `["Success"]`, `["Success","Escalated"]`, 1)
		}, func(t *testing.T, p Policy) {
			if got := p.ReviewWindows.HealthyRunStatuses; !slices.Equal(got, []string{"Success", "Escalated"}) {
				t.Fatalf("healthy = %v", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePolicy("p.json", []byte(tt.edit(runbookPolicy)))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, p)
		})
	}
}

func TestParsePolicyInvalid(t *testing.T) {
	const path = "config/sintraprime-policy.json"
	r := func(old, new string) func(string) string {
		return func(s string) string {
			if !strings.Contains(s, old) {
				panic("test edit does not apply: " + old)
			}
			return strings.Replace(s, old, new, 1)
		}
	}
	tests := []struct {
		name  string
		edit  func(string) string
		field string
		want  string
	}{
		// encoding/json keeps the last of a repeated key: the policy
		// applied 9 while the file also said 5.
		{"repeated multiplier", r(`"sev1":{"multiplier":5`, `"sev1":{"multiplier":5,"multiplier":9`),
			"severity_policy.sev1.multiplier", path + ": severity_policy.sev1.multiplier: appears twice"},
		// Keys are case-sensitive and unknown ones are passed over, so
		// "SEV1" beside "sev1" applied nothing while it read as a change.
		{"level spelled in capitals beside the right one", r(`"sev1":{"multiplier":5`, `"SEV1":{"multiplier":7},"sev1":{"multiplier":5`),
			"severity_policy.SEV1", path + `: severity_policy.SEV1: is not a key this version reads: keys are case-sensitive, and this one is spelled "sev1"`},
		{"optional level spelled in capitals", r(`"sev4":{"multiplier":0`, `"SEV4":{"multiplier":0.5`),
			"severity_policy.SEV4", `spelled "sev4"`},
		{"window key in another case", r(`"credit_review_days"`, `"Credit_Review_Days"`),
			"review_windows.Credit_Review_Days", `spelled "credit_review_days"`},
		{"sev2 above sev1", r(`"sev2":{"multiplier":2`, `"sev2":{"multiplier":6`),
			"severity_policy.sev2.multiplier", path + ": severity_policy.sev2.multiplier: must be less than sev1 (5), got 6"},
		{"sev2 equal to sev1", r(`"sev2":{"multiplier":2`, `"sev2":{"multiplier":5`),
			"severity_policy.sev2.multiplier", "must be less than sev1 (5), got 5"},
		{"sev1 above sev0", r(`"sev1":{"multiplier":5`, `"sev1":{"multiplier":11`),
			"severity_policy.sev1.multiplier", "must be less than sev0 (10), got 11"},
		{"sev4 equal to sev3", r(`"sev4":{"multiplier":0`, `"sev4":{"multiplier":1.5`),
			"severity_policy.sev4.multiplier", "must be less than sev3 (1.5), got 1.5"},
		{"missing sev1 multiplier", r(`"sev1":{"multiplier":5,`, `"sev1":{`),
			"severity_policy.sev1.multiplier", path + ": severity_policy.sev1.multiplier: missing"},
		{"null multiplier", r(`"sev3":{"multiplier":1.5`, `"sev3":{"multiplier":null`),
			"severity_policy.sev3.multiplier", "severity_policy.sev3.multiplier: missing"},
		{"missing sev3 level", r(`"sev3":{"multiplier":1.5,"action":"log"},`, ``),
			"severity_policy.sev3.multiplier", "severity_policy.sev3.multiplier: missing"},
		{"missing severity_policy", func(s string) string {
			i := strings.Index(s, `"severity_policy"`)
			j := strings.Index(s, `"risk_flags"`)
			return s[:i] + s[j:]
		}, "severity_policy", path + ": severity_policy: missing"},
		{"zero sev0", r(`"sev0":{"multiplier":10`, `"sev0":{"multiplier":0`),
			"severity_policy.sev0.multiplier", "severity_policy.sev0.multiplier: must be > 0, got 0"},
		{"negative sev4", r(`"sev4":{"multiplier":0`, `"sev4":{"multiplier":-1`),
			"severity_policy.sev4.multiplier", "severity_policy.sev4.multiplier: must be ≥ 0, got -1"},
		{"string multiplier", r(`"sev1":{"multiplier":5`, `"sev1":{"multiplier":"5"`),
			"severity_policy.sev1.multiplier", "severity_policy.sev1.multiplier: want a number, got string"},
		{"level not an object", r(`"sev2":{"multiplier":2,"action":"weekly_review"}`, `"sev2":2`),
			"severity_policy.sev2", "severity_policy.sev2: want an object, got number"},
		{"huge number", r(`"sev0":{"multiplier":10`, `"sev0":{"multiplier":1e999`),
			"severity_policy.sev0.multiplier", "number 1e999 is out of range"},
		{"pii flag not boolean", r(`"pii_or_regulatory":true`, `"pii_or_regulatory":"yes"`),
			"severity_policy.sev0.pii_or_regulatory", "severity_policy.sev0.pii_or_regulatory: want true or false, got string"},
		{"negative misconfig weight", r(`"retry_loop":{"misconfig_weight":3`, `"retry_loop":{"misconfig_weight":-3`),
			"risk_flags.retry_loop.misconfig_weight", path + ": risk_flags.retry_loop.misconfig_weight: must be ≥ 0, got -3"},
		{"negative legit weight", r(`"legit_weight":4`, `"legit_weight":-4`),
			"risk_flags.backfill_mode.legit_weight", "risk_flags.backfill_mode.legit_weight: must be ≥ 0, got -4"},
		{"flag not an object", r(`"batch_job":{"misconfig_weight":0,"legit_weight":3}`, `"batch_job":[3]`),
			"risk_flags.batch_job", "risk_flags.batch_job: want an object, got array"},
		{"zero baseline window", r(`"baseline_window_days":30`, `"baseline_window_days":0`),
			"review_windows.baseline_window_days", "review_windows.baseline_window_days: must be between 1 and 3660 days, got 0"},
		{"fractional review days", r(`"credit_review_days":7`, `"credit_review_days":7.5`),
			"review_windows.credit_review_days", "review_windows.credit_review_days: want a whole number, got 7.5"},
		{"missing credit_review_days", r(`"credit_review_days":7,`, ``),
			"review_windows.credit_review_days", "review_windows.credit_review_days: missing"},
		{"no healthy statuses", r(`["Success"]`, `[]`),
			"review_windows.healthy_run_statuses", "review_windows.healthy_run_statuses: must name at least one status"},
		{"healthy status not a string", r(`["Success"]`, `["Success",1]`),
			"review_windows.healthy_run_statuses[1]", "review_windows.healthy_run_statuses[1]: want a non-empty string, got number"},
		{"missing review_windows", func(s string) string {
			i := strings.Index(s, `,
 "review_windows"`)
			return s[:i] + "}\n"
		}, "review_windows", "review_windows: missing"},
		// Unknown keys are passed over, so a misspelt key left its rule
		// at the default: SEV0 stayed guarded by the PII rule the file
		// meant to waive, and a flag's weight stayed 0.
		{"misspelt pii_or_regulatory", r(`"pii_or_regulatory":true`, `"pii_or_regulatry":false`),
			"severity_policy.sev0.pii_or_regulatry", path + `: severity_policy.sev0.pii_or_regulatry: is not a key this version reads; did you mean "pii_or_regulatory"? As written, severity_policy.sev0.pii_or_regulatory is not set (if "pii_or_regulatry" is a key of its own, give "pii_or_regulatory" as well)`},
		// A null right spelling is no spelling: the look-alike was passed
		// over beside it.
		{"misspelt pii_or_regulatory beside a null one", r(`"pii_or_regulatory":true`, `"pii_or_regulatory":null,"pii_or_regulatry":false`),
			"severity_policy.sev0.pii_or_regulatry", `did you mean "pii_or_regulatory"?`},
		{"pii_or_regulatory one level too high", r(`"sev0":{`, `"pii_or_regulatory":false,"sev0":{`),
			"severity_policy.pii_or_regulatory", "is read only under severity_policy.sev0, not here"},
		{"a level at the top", r(`"risk_flags"`, `"sev4":{"multiplier":0.5},"risk_flags"`),
			"sev4", "is read only under severity_policy, not here"},
		{"misspelt action", r(`"action":"quarantine"`, `"acton":"quarantine"`),
			"severity_policy.sev0.acton", `did you mean "action"?`},
		{"misspelt level", r(`"sev4":{"multiplier":0`, `"sev_4":{"multiplier":0.5`),
			"severity_policy.sev_4", `did you mean "sev4"?`},
		{"misspelt flag", r(`"retry_loop":{`, `"retry_lop":{`),
			"risk_flags.retry_lop", `did you mean "retry_loop"?`},
		{"flag in capitals", r(`"backfill_mode":{`, `"Backfill_Mode":{`),
			"risk_flags.Backfill_Mode", `did you mean "backfill_mode"?`},
		{"misspelt weight", r(`"batch_job":{"misconfig_weight":0,"legit_weight":3}`, `"batch_job":{"misconfig_weight":0,"legit_wieght":3}`),
			"risk_flags.batch_job.legit_wieght", `did you mean "legit_weight"?`},
		{"misspelt window", r(`"healthy_run_statuses"`, `"healthy-run-statuses"`),
			"review_windows.healthy-run-statuses", `did you mean "healthy_run_statuses"?`},
		{"misspelt section", r(`"risk_flags"`, `"risk_flag"`),
			"risk_flag", `did you mean "risk_flags"?`},
		{"top level array", func(string) string { return "[1,2]" }, "", path + ": want a JSON object at the top level, got array"},
		{"empty file", func(string) string { return "  \n" }, "", path + ": empty file, want a JSON object"},
		{"null document", func(string) string { return "null" }, "", path + ": want a JSON object at the top level, got null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePolicy(path, []byte(tt.edit(runbookPolicy)))
			wantErr(t, err, path, tt.want)
			var ie *Error
			errors.As(err, &ie)
			if ie.Field != tt.field {
				t.Fatalf("Field = %q, want %q", ie.Field, tt.field)
			}
		})
	}
}

// A syntax error is located by line, as field paths are not known yet.
func TestParsePolicySyntaxErrorNamesLine(t *testing.T) {
	const path = "config/sintraprime-policy.json"
	b, err := DefaultPolicy().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	lines[5] = strings.Replace(lines[5], ",", ",,", 1) // line 6
	_, err = ParsePolicy(path, []byte(strings.Join(lines, "\n")))
	wantErr(t, err, path, path+":6: invalid JSON at column")
	var ie *Error
	errors.As(err, &ie)
	if ie.Line != 6 {
		t.Fatalf("Line = %d, want 6", ie.Line)
	}
}

// Every problem is reported, not just the first.
func TestParsePolicyReportsAllProblems(t *testing.T) {
	s := strings.Replace(runbookPolicy, `"sev2":{"multiplier":2`, `"sev2":{"multiplier":6`, 1)
	s = strings.Replace(s, `"retry_loop":{"misconfig_weight":3`, `"retry_loop":{"misconfig_weight":-3`, 1)
	s = strings.Replace(s, `"baseline_window_days":30`, `"baseline_window_days":-1`, 1)
	_, err := ParsePolicy("p.json", []byte(s))
	wantErr(t, err, "p.json",
		"p.json: severity_policy.sev2.multiplier: must be less than sev1",
		"p.json: risk_flags.retry_loop.misconfig_weight: must be ≥ 0",
		"p.json: review_windows.baseline_window_days: must be between 1 and 3660 days, got -1")
}

func TestPolicyMisconfigScoreAndLikelihood(t *testing.T) {
	p := DefaultPolicy()
	tests := []struct {
		flags []string
		score float64
		want  string
	}{
		{nil, 0, LikelihoodLow},
		{[]string{"retry_loop", "unbounded_iterator"}, 7, LikelihoodHigh},
		{[]string{"missing_idempotency", "sudden_prompt_growth"}, 6, LikelihoodHigh},
		{[]string{"missing_idempotency"}, 4, LikelihoodMedium},
		{[]string{"retry_loop"}, 3, LikelihoodMedium},
		{[]string{"sudden_prompt_growth"}, 2, LikelihoodLow},
		{[]string{"retry_loop", "batch_job"}, 0, LikelihoodLow},
		{[]string{"backfill_mode", "unbounded_iterator", "retry_loop"}, 3, LikelihoodMedium},
		{[]string{"backfill_mode"}, -4, LikelihoodLow},
		{[]string{"retry_loop", "retry_loop"}, 3, LikelihoodMedium}, // counted once
		{[]string{"pii_exposure", "linear_scaling", "no_such_flag"}, 0, LikelihoodLow},
	}
	for _, tt := range tests {
		score := p.MisconfigScore(tt.flags)
		if score != tt.score {
			t.Errorf("MisconfigScore(%v) = %v, want %v", tt.flags, score, tt.score)
		}
		if got := p.Likelihood(score); got != tt.want {
			t.Errorf("Likelihood(%v) = %q, want %q", score, got, tt.want)
		}
	}
	for score, want := range map[float64]string{6: LikelihoodHigh, 5.99: LikelihoodMedium, 3: LikelihoodMedium, 2.99: LikelihoodLow} {
		if got := p.Likelihood(score); got != want {
			t.Errorf("Likelihood(%v) = %q, want %q", score, got, want)
		}
	}
}

func TestPolicyMarshalRoundTrip(t *testing.T) {
	b, err := DefaultPolicy().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "policy_default.golden.json", b)
	p, err := ParsePolicy("golden", b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, DefaultPolicy()) {
		t.Fatalf("round trip gave %+v", p)
	}
	// A policy that waives PII for SEV0 must say so explicitly.
	w := DefaultPolicy()
	w.SeverityPolicy.Sev0.PIIOrRegulatory = false
	b, err = w.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if p, err := ParsePolicy("w", b); err != nil || p.SeverityPolicy.Sev0.PIIOrRegulatory {
		t.Fatalf("waiver lost in round trip: %+v, %v", p.SeverityPolicy.Sev0, err)
	}
}
