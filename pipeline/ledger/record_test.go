package ledger

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestParseSpellingsAgree(t *testing.T) {
	pascal := `{"Run_ID":"RUN-1","Timestamp":"2026-11-16T10:00:00+02:00","Scenario_Name":"Binder","Scenario_ID":"S-1","Job_Type":"BINDER_EXPORT","Status":"Success","Credits_Total":12.5,"Credits_In":10,"Credits_Out":2.5,"Model":"m","Input_Tokens":100,"Output_Tokens":20,"Artifacts_Link":"file:///a","Severity":"SEV4","Risk_Flags":["batch_job"],"Risk_Summary":"ok","Misconfig_Likelihood":"Low","Baseline_Expected_Credits":12,"Variance_Multiplier":1.0417,"retry_count":0,"has_max_items_config":true,"has_idempotency_key":false,"prompt_version":"v3","deployment_timestamp":"2026-11-01T00:00:00Z","is_batch_job":true,"is_backfill":false,"input_item_count":40}`
	snake := `{"run_id":"RUN-1","timestamp":"2026-11-16T08:00:00Z","scenario_name":"Binder","scenario_id":"S-1","job_type":"BINDER_EXPORT","status":"Success","credits_total":12.5,"credits_in":10,"credits_out":2.5,"model":"m","input_tokens":100,"output_tokens":20,"artifacts_link":"file:///a","severity":"SEV4","risk_flags":["batch_job"],"risk_summary":"ok","misconfig_likelihood":"Low","baseline_expected_credits":12,"variance_multiplier":1.0417,"retry_count":0,"has_max_items_config":true,"has_idempotency_key":false,"prompt_version":"v3","deployment_timestamp":"2026-11-01T00:00:00Z","is_batch_job":true,"is_backfill":false,"input_item_count":40}`
	a, err := Parse([]byte(pascal))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse([]byte(snake))
	if err != nil {
		t.Fatal(err)
	}
	if !a.Timestamp.Equal(time.Date(2026, 11, 16, 8, 0, 0, 0, time.UTC)) || a.Timestamp.Location() != time.UTC {
		t.Fatalf("timestamp not normalised to UTC: %v", a.Timestamp)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("spellings differ:\n%+v\n%+v", a, b)
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name, line, code string
	}{
		{"empty", ``, CodeInvalidJSON},
		{"garbage", `{"Run_ID": "x",`, CodeInvalidJSON},
		{"array", `[1,2]`, CodeInvalidJSON},
		{"null", `null`, CodeInvalidJSON},
		{"no run id", `{"Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`, CodeMissingField},
		{"blank run id", `{"Run_ID":"  ","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`, CodeMissingField},
		{"no timestamp", `{"Run_ID":"R","Scenario_ID":"S","Credits_Total":1}`, CodeMissingField},
		{"bad timestamp", `{"Run_ID":"R","Timestamp":"yesterday","Scenario_ID":"S","Credits_Total":1}`, CodeInvalidTimestamp},
		{"no scenario", `{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Credits_Total":1}`, CodeMissingField},
		{"no credits", `{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S"}`, CodeMissingField},
		{"string credits", `{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":"12"}`, CodeWrongType},
		{"negative credits", `{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":-5}`, CodeNegativeCredits},
		{"infinite credits", `{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1e999}`, CodeNonFiniteCredits},
		{"negative credits_in", `{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1,"Credits_In":-1}`, CodeNegativeCredits},
		{"credits beyond range", `{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1e35}`, CodeCreditsOutOfRange},
		{"credits just beyond range", `{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1000000000000000.5}`, CodeCreditsOutOfRange},
		{"credits_out beyond range", `{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1,"Credits_Out":2e15}`, CodeCreditsOutOfRange},
		{"numeric run id", `{"Run_ID":7,"Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`, CodeWrongType},
		{"flags not list", `{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1,"Risk_Flags":"retry_loop"}`, CodeWrongType},
		{"null flag", `{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1,"Risk_Flags":[null]}`, CodeWrongType},
		{"fractional tokens", `{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1,"Input_Tokens":1.5}`, CodeWrongType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.line))
			var rej *RejectError
			if !errors.As(err, &rej) {
				t.Fatalf("want reject %s, got %v", tt.code, err)
			}
			if rej.Code != tt.code {
				t.Fatalf("want code %s, got %s (%v)", tt.code, rej.Code, rej)
			}
		})
	}
}

func TestParseScenarioFallback(t *testing.T) {
	r, err := Parse([]byte(`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00.123456Z","Scenario_Name":"Nightly","Credits_Total":0}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.ScenarioID != "Nightly" || r.ScenarioName != "Nightly" {
		t.Fatalf("scenario fallback: %+v", r)
	}
	if r.HasMaxItemsConfig != nil || r.RiskFlags != nil {
		t.Fatalf("absent optional fields must stay nil: %+v", r)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`,
		`{"run_id":"R","timestamp":"2026-11-16T00:00:00+05:30","scenario_name":"S","credits_total":0,"risk_flags":["pii_exposure"]}`,
		`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1e999}`,
		`{"Run_ID":"R","Timestamp":"x","Scenario_ID":"S","Credits_Total":-1}`,
		`{"Run_ID":`, `[]`, ``, "\xff\xfe", `{"Run_ID":"R","Risk_Flags":[null]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := Parse(line)
		if err != nil {
			var rej *RejectError
			if !errors.As(err, &rej) || rej.Code == "" {
				t.Fatalf("error is not a coded reject: %v", err)
			}
			return
		}
		if r.RunID == "" || r.ScenarioID == "" || r.Timestamp.IsZero() {
			t.Fatalf("accepted record lacks required fields: %+v", r)
		}
		if r.CreditsTotal < 0 || r.CreditsTotal != r.CreditsTotal || r.CreditsTotal > MaxCredits {
			t.Fatalf("accepted invalid credits: %v", r.CreditsTotal)
		}
		if r.Timestamp.Location() != time.UTC {
			t.Fatalf("timestamp not UTC")
		}
	})
}

// TestParseCreditsAtTheLimit: MaxCredits itself is a credit value a run
// may record; the next representable one is not.
func TestParseCreditsAtTheLimit(t *testing.T) {
	for _, tc := range []struct {
		credits string
		ok      bool
	}{
		{"1e15", true},
		{"1000000000000000", true},
		{"999999999999999.99", true},
		{"1000000000000000.2", false},
		{"1.0000000000000002e15", false},
	} {
		r, err := Parse([]byte(`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":` + tc.credits + `}`))
		var rej *RejectError
		switch {
		case tc.ok && err != nil:
			t.Errorf("credits %s: %v", tc.credits, err)
		case !tc.ok && (!errors.As(err, &rej) || rej.Code != CodeCreditsOutOfRange):
			t.Errorf("credits %s: %v (%v), want a %s reject", tc.credits, err, r.CreditsTotal, CodeCreditsOutOfRange)
		}
	}
}
