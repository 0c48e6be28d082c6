package ledger

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/fixtures"
)

// fixtureLines generates the small fixture ledger of the brief (3,000 runs,
// six weeks) and returns its lines without newlines.
func fixtureLines(tb testing.TB) [][]byte {
	tb.Helper()
	dir := tb.TempDir()
	_, err := fixtures.Generate(context.Background(), fixtures.Options{
		Runs: 3000, Weeks: 6, Start: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), Seed: 1, Out: dir,
	})
	if err != nil {
		tb.Fatalf("generate fixtures: %v", err)
	}
	f, err := os.Open(filepath.Join(dir, "runs", "CREDIT_MONITORING", "ledger.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	for sc.Scan() {
		lines = append(lines, bytes.Clone(sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(lines) < 3000 {
		tb.Fatalf("fixture ledger has %d lines, want at least 3000", len(lines))
	}
	return lines
}

// compareFastSlow runs both decoders on line as Parse would and fails t when
// the fast one decides differently from encoding/json. It reports whether
// the fast decoder decided (rather than deferring to encoding/json).
func compareFastSlow(t testing.TB, line []byte) bool {
	t.Helper()
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return false // Parse rejects these before either decoder runs
	}
	// Both decoders share normalise and its timestamp decoder; hold the
	// latter to time.Parse, the reference it replaces.
	var w wireRecord
	if json.Unmarshal(trimmed, &w) == nil && w.Timestamp != nil {
		ts := strings.TrimSpace(*w.Timestamp)
		got, ok := parseTimestamp(ts)
		want, err := time.Parse(time.RFC3339Nano, ts)
		if ok != (err == nil) || ok && got != want.UTC() {
			t.Fatalf("timestamp %q: got %v (%v), time.Parse %v (%v)", ts, got, ok, want.UTC(), err)
		}
	}
	var fr Record
	ferr, ok := parseFast(trimmed, &fr)
	if !ok {
		return false
	}
	sr, serr := parseSlow(trimmed)
	switch {
	case ferr == nil && serr == nil:
		if diff := recordDiff(fr, sr); diff != "" {
			t.Fatalf("records differ for %q: %s\nfast: %+v\nslow: %+v", line, diff, fr, sr)
		}
	case ferr == nil || serr == nil:
		t.Fatalf("accept/reject differ for %q: fast %v, slow %v", line, ferr, serr)
	default:
		var fe, se *RejectError
		if !errors.As(ferr, &fe) || !errors.As(serr, &se) {
			t.Fatalf("errors are not rejects for %q: fast %v, slow %v", line, ferr, serr)
		}
		if fe.Code != se.Code || fe.Detail == "" {
			t.Fatalf("reject differs for %q: fast %v, slow %v", line, ferr, serr)
		}
	}
	return true
}

// recordDiff names the first field in which a and b differ, or returns "".
// Fields compare by reflect.DeepEqual (which tells nil from empty risk
// flags and compares pointed-to values) and floats also by bit pattern, as
// DeepEqual takes -0 for 0.
func recordDiff(a, b Record) string {
	if !reflect.DeepEqual(a, b) {
		va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
		for i := 0; i < va.NumField(); i++ {
			if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
				return "field " + va.Type().Field(i).Name
			}
		}
		return "records"
	}
	floats := []struct {
		name string
		a, b *float64
	}{
		{"CreditsTotal", &a.CreditsTotal, &b.CreditsTotal},
		{"CreditsIn", a.CreditsIn, b.CreditsIn},
		{"CreditsOut", a.CreditsOut, b.CreditsOut},
		{"BaselineExpectedCredits", a.BaselineExpectedCredits, b.BaselineExpectedCredits},
		{"VarianceMultiplier", a.VarianceMultiplier, b.VarianceMultiplier},
	}
	for _, f := range floats {
		if f.a != nil && f.b != nil && math.Float64bits(*f.a) != math.Float64bits(*f.b) {
			return "bits of " + f.name
		}
	}
	return ""
}

const base = `"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1`

// trickyLines are hand-written inputs for the differential tests and the
// fuzz corpus: everything the fast decoder must get exactly right or leave
// to encoding/json.
var trickyLines = []string{
	`{` + base + `}`,
	`{ ` + base + ` }`,
	"{\t\"Run_ID\" :\r\n\"R\" , \"Timestamp\"\t:\"2026-11-16T00:00:00Z\",\"Scenario_ID\":\"S\",\"Credits_Total\":1\n}",
	" \t{" + base + "}\r",
	"\xef\xbb\xbf{" + base + "}",
	"\u00a0{" + base + "}\u2028",
	`{` + base + `}x`,
	`{` + base + `} {}`,
	`{` + base + `,}`,
	`{,` + base + `}`,
	`{` + base,
	`{` + base + `,"Model":"m`,
	`{` + base + `,"Model":"m\`,
	`{` + base + `,"Model":"m\u00`,
	`{` + base + `,"Model"`,
	`{` + base + `,"Model":`,
	`{` + base + `,"Model"  "m"}`,
	`{}`,
	`{ }`,
	`{"run_id":"R","timestamp":"2026-11-16T00:00:00.123456789+05:30","scenario_name":" Nightly ","credits_total":0}`,
	`{"RUN_ID":"R","TIMESTAMP":"2026-11-16T00:00:00Z","SCENARIO_ID":"S","CREDITS_TOTAL":1}`,
	`{"rUn_Id":"R","timeStamp":"2026-11-16T00:00:00Z","sCENARIO_id":"S","credits_TOTAL":1}`,
	"{\"ris\u212a_flags\":[\"x\"]," + base + "}", // KELVIN SIGN folds to k
	"{\"\u017fcenario_id\":\"S2\"," + base + "}", // LONG S folds to s
	`{"Run\u005fID":"R2",` + base + `}`,
	`{"Run_ID":"A",` + base + `,"Run_ID":"B"}`,
	`{` + base + `,"Credits_Total":null}`,
	`{` + base + `,"Credits_Total":2,"Credits_Total":3.5}`,
	`{` + base + `,"Model":"m","model":null}`,
	`{` + base + `,"Risk_Flags":["a","b"],"risk_flags":["c"]}`,
	`{` + base + `,"Risk_Flags":["a",null],"risk_flags":["c"]}`,
	`{` + base + `,"Risk_Flags":["a"],"risk_flags":null}`,
	`{` + base + `,"Risk_Flags":[]}`,
	`{` + base + `,"Risk_Flags":[ ]}`,
	`{` + base + `,"Risk_Flags":[""]}`,
	`{` + base + `,"Risk_Flags":["",""]}`,
	`{` + base + `,"Risk_Flags":[null]}`,
	`{` + base + `,"Risk_Flags":[1]}`,
	`{` + base + `,"Risk_Flags":["a",]}`,
	`{` + base + `,"Risk_Flags":["a" "b"]}`,
	`{` + base + `,"Risk_Flags":{}}`,
	`{` + base + `,"Risk_Flags":"retry_loop"}`,
	`{` + base + `,"Risk_Flags":[["a"]]}`,
	`{` + base + `,"extra":{"a":[1,2,{"b":null}],"c":"\u00e9\n"},"more":[[],{}],"n":-1.5e-3,"t":true,"f":false,"z":null}`,
	`{` + base + `,"extra":{"a":[1,2,{"b":nul}]}}`,
	`{` + base + `,"extra":[1,2,]}`,
	`{` + base + `,"extra":{"a" 1}}`,
	`{` + base + `,"extra":{1:2}}`,
	`{` + base + `,"extra":"\x01"}`,
	`{` + base + `,"extra":"\q"}`,
	`{` + base + `,"extra":01}`,
	`{` + base + `,"extra":1.}`,
	`{` + base + `,"extra":.5}`,
	`{` + base + `,"extra":+1}`,
	`{` + base + `,"extra":1e}`,
	`{` + base + `,"extra":-}`,
	`{` + base + `,"extra":tru}`,
	`{` + base + `,"extra":True}`,
	`{` + base + `,"extra":NaN}`,
	`{` + base + `,"extra":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
	`{` + base + `,"extra":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":-0}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":-0.0}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1E2}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1e+2}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1e-400}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1e999}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":-1e999}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1,"Credits_In":1e999}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1,"Variance_Multiplier":1e999}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":0.1}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":123456789012345}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1234567890123456}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":0.1234567890123456789}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":9007199254740993}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":0.0000000000000000000001}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":00}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":01}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":"1"}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":true}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":-5}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1,"Credits_Out":-0.01}`,
	`{` + base + `,"Input_Tokens":12,"Output_Tokens":-0,"retry_count":9223372036854775807,"input_item_count":-9223372036854775808}`,
	`{` + base + `,"retry_count":9223372036854775808}`,
	`{` + base + `,"retry_count":1.0}`,
	`{` + base + `,"retry_count":1e2}`,
	`{` + base + `,"retry_count":"1"}`,
	`{` + base + `,"retry_count":123456789012345678}`,
	`{` + base + `,"retry_count":1234567890123456789}`,
	`{` + base + `,"has_max_items_config":false,"has_idempotency_key":true,"is_batch_job":null,"is_backfill":false}`,
	`{` + base + `,"is_backfill":0}`,
	`{` + base + `,"is_backfill":"true"}`,
	`{` + base + `,"is_backfill":fals}`,
	`{` + base + `,"Model":7}`,
	`{` + base + `,"Model":{"a":1}}`,
	`{` + base + `,"Model":["m"]}`,
	`{` + base + `,"Model":true}`,
	`{"Run_ID":7,"Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"  ","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"R","Timestamp":" 2026-11-16T00:00:00Z ","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16 00:00:00Z","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"R","Timestamp":"2026-02-30T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T24:00:00Z","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:60Z","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00,5Z","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16t00:00:00z","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00+24:00","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00-00:00","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00.1234567891Z","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"R","Timestamp":"0000-01-01T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"R","Timestamp":"\u0032026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"R","Timestamp":"` + strings.Repeat("x", 100) + `","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_Name":"N","Credits_Total":1}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"","Scenario_Name":"","Credits_Total":1}`,
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S"}`,
	`{"Run_ID":"R\"\\\/\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"\ud83d","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"\ud83dx","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"\ude00\ud83d","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"\ud83d\ud83d\ude00","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"\ud83d\u0041","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"\ud83d\n","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"\uD83D\uDE00\uFFFD\u0000","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"\ud83d\u12","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`,
	`{"Run_ID":"\u12G4","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`,
	"{\"Run_ID\":\"a\xffb\xc3\",\"Timestamp\":\"2026-11-16T00:00:00Z\",\"Scenario_ID\":\"S\xed\xa0\x80\",\"Credits_Total\":1}",
	"{\"Run_ID\":\"\xe2\x82\xac\xef\xbf\xbd\xf0\x9f\x98\x80\",\"Timestamp\":\"2026-11-16T00:00:00Z\",\"Scenario_ID\":\"S\",\"Credits_Total\":1}",
	"{\"Run_ID\":\"a\tb\",\"Timestamp\":\"2026-11-16T00:00:00Z\",\"Scenario_ID\":\"S\",\"Credits_Total\":1}",
	"{\"Run_ID\":\"a\x7fb\",\"Timestamp\":\"2026-11-16T00:00:00Z\",\"Scenario_ID\":\"S\",\"Credits_Total\":1}",
	"{\"unknown\xff\":1," + base + "}",
	`{"credits_total":500000,"Credits_Total":5,"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S"}`,
	`{"credits_total":5,"Credits_Total":5.0,"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S"}`,
	`{` + base + `,"Model":"m","model":"m","MODEL":"n"}`,
	`{` + base + `,"Risk_Flags":["a",null],"risk_flags":["a",null]}`,
	`{` + base + `,"Risk_Flags":[null,"a"],"risk_flags":["a",null]}`,
	`{` + base + `,"has_idempotency_key":true,"Has_Idempotency_Key":false}`,
	`{` + base + `,"retry_count":1,"Retry_Count":1}`,
	"{\"Run_ID\":\"R-\xff\",\"Timestamp\":\"2026-11-16T00:00:00Z\",\"Scenario_ID\":\"S\",\"Credits_Total\":1}",
	"{\"Run_ID\":\"R-\xff\",\"run_id\":\"R-\xfe\",\"Timestamp\":\"2026-11-16T00:00:00Z\",\"Scenario_ID\":\"S\",\"Credits_Total\":1}",
	"{\"Run_ID\":\"R\",\"Timestamp\":\"2026-11-16T00:00:00Z\",\"Scenario_Name\":\"N\xc3\",\"Credits_Total\":1}",
	"{\"Notion_Case_ID\":\"C\\udc00\"," + base + "}",
	"{\"unknown\\n\":1," + base + "}",
	"{\"\":1," + base + "}",
	`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1,"Notion_Case_ID":"C-1","Owner":"o","Prompt_Version":"v","Deployment_Timestamp":"x"}`,
}

func TestParseFastAgreesOnTrickyLines(t *testing.T) {
	for _, line := range trickyLines {
		compareFastSlow(t, []byte(line))
		// Parse itself must give a coded reject or a complete record.
		if _, err := Parse([]byte(line)); err != nil {
			var rej *RejectError
			if !errors.As(err, &rej) || rej.Code == "" {
				t.Fatalf("Parse(%q): error is not a coded reject: %v", line, err)
			}
		}
	}
}

// TestParseFastDecidesFixtureLines checks that the fast decoder agrees with
// encoding/json on every line of a generated ledger and that it decides
// every line encoding/json accepts itself (a fast path that defers the
// common shapes would be correct but slow).
func TestParseFastDecidesFixtureLines(t *testing.T) {
	lines := fixtureLines(t)
	var accepted, rejected int
	for i, line := range lines {
		decided := compareFastSlow(t, line)
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) == 0 || trimmed[0] != '{' {
			rejected++
			continue
		}
		if _, err := parseSlow(trimmed); err != nil {
			rejected++
			continue
		}
		accepted++
		if !decided {
			t.Errorf("line %d: fast decoder deferred an accepted line: %.200q", i+1, line)
		}
	}
	if accepted < 3000 || rejected == 0 {
		t.Fatalf("fixture ledger: %d accepted, %d rejected lines; want ≥ 3000 and some rejects", accepted, rejected)
	}
}

// TestParseAgreesOnEdits compares the decoders on every single-byte
// deletion, replacement and insertion of a few fixture lines of different
// shapes: the neighbourhood of real input, where a fast path that is
// almost right would show. (Run over every 97th fixture line with a wider
// byte set, 3 million variants, it found nothing either.)
func TestParseAgreesOnEdits(t *testing.T) {
	lines := fixtureLines(t)
	var picked [][]byte
	for _, shape := range []string{`"Risk_Flags":["`, `"owner":`, `"input_item_count":`} {
		for _, l := range lines {
			if bytes.Contains(l, []byte(shape)) {
				picked = append(picked, l)
				break
			}
		}
	}
	if len(picked) != 3 {
		t.Fatalf("fixture lines of every shape not found: %d", len(picked))
	}
	edits := []byte{'"', '\\', '}', ']', ',', ':', ' ', 0, 0x80, 'n', 'e', '-', '0'}
	for _, l := range picked {
		for i := range l {
			compareFastSlow(t, slices.Concat(l[:i], l[i+1:]))
			for _, c := range edits {
				replaced := bytes.Clone(l)
				replaced[i] = c
				compareFastSlow(t, replaced)
				compareFastSlow(t, slices.Concat(l[:i], []byte{c}, l[i:]))
			}
		}
	}
}

// TestParseExpectedValues pins values that both decoders must produce, so
// that agreement alone cannot hide a shared mistake.
func TestParseExpectedValues(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	i := func(v int64) *int64 { return &v }
	b := func(v bool) *bool { return &v }
	ts := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		line string
		want Record
	}{
		{"escapes", `{"Run_ID":"R\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`,
			Record{RunID: "R\"\\/\b\f\n\r\tAé😀", Timestamp: ts, ScenarioID: "S", ScenarioName: "S", CreditsTotal: 1}},
		{"lone surrogates and invalid UTF-8 outside identifiers", "{\"Model\":\"\\ud83d\\u0041\xff\"," + base + "}",
			Record{RunID: "R", Timestamp: ts, ScenarioID: "S", ScenarioName: "S", CreditsTotal: 1, Model: "\uFFFDA\uFFFD"}},
		{"case variants and identical duplicates", `{"RUN_ID":"B","run_id":"B","TimeStamp":"2026-11-16T01:00:00+01:00","scenario_NAME":"N","CREDITS_TOTAL":2.5,"Credits_Total":2.50,"Model":null,"model":null,"Risk_Flags":["y","z"],"risk_flags":["y","z"]}`,
			Record{RunID: "B", Timestamp: ts, ScenarioID: "N", ScenarioName: "N", CreditsTotal: 2.5, RiskFlags: []string{"y", "z"}}},
		{"unicode key folding", "{\"ris\u212a_flags\":[]," + base + "}",
			Record{RunID: "R", Timestamp: ts, ScenarioID: "S", ScenarioName: "S", CreditsTotal: 1, RiskFlags: []string{}}},
		{"optional numbers and booleans", `{` + base + `,"Credits_In":0.5,"Credits_Out":1E2,"Baseline_Expected_Credits":-0,"Variance_Multiplier":12.345,"Input_Tokens":-3,"Output_Tokens":0,"retry_count":7,"input_item_count":40,"has_max_items_config":false,"has_idempotency_key":true,"is_batch_job":null,"is_backfill":false,"nested":{"a":[1,{"b":[]}]}}`,
			Record{RunID: "R", Timestamp: ts, ScenarioID: "S", ScenarioName: "S", CreditsTotal: 1,
				CreditsIn: f(0.5), CreditsOut: f(100), BaselineExpectedCredits: f(math.Copysign(0, -1)), VarianceMultiplier: f(12.345),
				InputTokens: i(-3), OutputTokens: i(0), RetryCount: i(7), InputItemCount: i(40),
				HasMaxItemsConfig: b(false), HasIdempotencyKey: b(true), IsBackfill: b(false)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !compareFastSlow(t, []byte(tt.line)) && !strings.ContainsRune(tt.line, '\u212a') {
				t.Errorf("fast decoder deferred a line it should decide")
			}
			got, err := Parse([]byte(tt.line))
			if err != nil {
				t.Fatal(err)
			}
			if diff := recordDiff(got, tt.want); diff != "" {
				t.Fatalf("%s\ngot  %+v\nwant %+v", diff, got, tt.want)
			}
		})
	}
}

// TestParseConflictsAndInvalidUTF8 pins the two rejects that keep a line
// from meaning different things to different readers: a field given twice
// with different values, and an identifier that is not UTF-8 (which
// decoding would merge with other ids). Both decoders must agree.
func TestParseConflictsAndInvalidUTF8(t *testing.T) {
	tests := []struct {
		name, line, code string
	}{
		{"two spellings, different values", `{"credits_total":500000,"Credits_Total":5,"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S"}`, CodeConflictingFields},
		{"two spellings, same value", `{"credits_total":5,"Credits_Total":5.0,"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S"}`, ""},
		{"one spelling repeated", `{"Run_ID":"A",` + base + `}`, CodeConflictingFields},
		{"value then null", `{` + base + `,"Model":"m","model":null}`, CodeConflictingFields},
		{"null twice", `{` + base + `,"Model":null,"model":null}`, ""},
		{"strings equal after unescaping", `{` + base + `,"Model":"\u006d","model":"m"}`, ""},
		{"booleans differ", `{` + base + `,"is_backfill":true,"Is_Backfill":false}`, CodeConflictingFields},
		{"integers differ", `{` + base + `,"retry_count":1,"Retry_Count":2}`, CodeConflictingFields},
		{"flag lists differ", `{` + base + `,"Risk_Flags":["a","b"],"risk_flags":["b","a"]}`, CodeConflictingFields},
		{"flag lists equal", `{` + base + `,"Risk_Flags":["a","b"],"risk_flags":["a","b"]}`, ""},
		{"flag lists with nulls", `{` + base + `,"Risk_Flags":["a",null],"risk_flags":[null,"a"]}`, CodeConflictingFields},
		{"invalid UTF-8 run id", "{\"Run_ID\":\"R-\xff\",\"Timestamp\":\"2026-11-16T00:00:00Z\",\"Scenario_ID\":\"S\",\"Credits_Total\":1}", CodeInvalidUTF8},
		{"unpaired surrogate run id", `{"Run_ID":"R-\ud800","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`, CodeInvalidUTF8},
		{"two invalid spellings of one id", "{\"Run_ID\":\"R-\xff\",\"run_id\":\"R-\xfe\",\"Timestamp\":\"2026-11-16T00:00:00Z\",\"Scenario_ID\":\"S\",\"Credits_Total\":1}", CodeInvalidUTF8},
		{"a real U+FFFD is valid", "{\"Run_ID\":\"R-\xef\xbf\xbd\",\"Timestamp\":\"2026-11-16T00:00:00Z\",\"Scenario_ID\":\"S\",\"Credits_Total\":1}", ""},
		{"escaped U+FFFD is valid", `{"Run_ID":"R-\ufffd","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`, ""},
		{"surrogate pair is valid", `{"Run_ID":"R-\ud83d\ude00","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`, ""},
		{"invalid scenario id", "{\"Run_ID\":\"R\",\"Timestamp\":\"2026-11-16T00:00:00Z\",\"Scenario_ID\":\"S\xed\xa0\x80\",\"Credits_Total\":1}", CodeInvalidUTF8},
		{"invalid scenario name as the id", "{\"Run_ID\":\"R\",\"Timestamp\":\"2026-11-16T00:00:00Z\",\"Scenario_Name\":\"N\xc3\",\"Credits_Total\":1}", CodeInvalidUTF8},
		{"invalid scenario name beside an id", "{\"Scenario_Name\":\"N\xc3\"," + base + "}", ""},
		{"invalid case id", "{\"Notion_Case_ID\":\"C\xff\"," + base + "}", CodeInvalidUTF8},
		{"invalid model is replaced", "{\"Model\":\"m\xff\"," + base + "}", ""},
		// The engine's side tables end text at U+0000: "Success\u0000x"
		// was counted as "Success" (an outside review).
		{"U+0000 in a status", `{"Status":"Success\u0000x",` + base + `}`, CodeNULInText},
		{"U+0000 in a run id", `{"Run_ID":"R\u0000A","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`, CodeNULInText},
		{"U+0000 in a scenario id", `{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S\u0000old","Credits_Total":1}`, CodeNULInText},
		{"U+0000 in a risk flag", `{"Risk_Flags":["a\u0000b"],` + base + `}`, CodeNULInText},
		{"U+0000 in a field this version does not read", `{"Approved_By":"m\u0000x",` + base + `}`, ""},
		{"an escaped backslash before u0000 is text", `{"Model":"m\\u0000",` + base + `}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			compareFastSlow(t, []byte(tt.line))
			_, err := Parse([]byte(tt.line))
			var rej *RejectError
			switch {
			case tt.code == "" && err != nil:
				t.Fatalf("want accepted, got %v", err)
			case tt.code != "" && (!errors.As(err, &rej) || rej.Code != tt.code):
				t.Fatalf("want %s, got %v", tt.code, err)
			}
		})
	}
}

// TestParseConflictOnFastPath: the common conflict (two spellings of a
// number) is decided by the fast decoder, not deferred.
func TestParseConflictOnFastPath(t *testing.T) {
	line := []byte(`{"credits_total":500000,"Credits_Total":5,"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S"}`)
	var r Record
	err, ok := parseFast(line, &r)
	var rej *RejectError
	if !ok || !errors.As(err, &rej) || rej.Code != CodeConflictingFields {
		t.Fatalf("parseFast = %v, %v; want a %s reject", err, ok, CodeConflictingFields)
	}
}

func TestParseRejectCodesOnFastPath(t *testing.T) {
	tests := []struct{ line, code string }{
		{`{"Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`, CodeMissingField},
		{`{"Run_ID":"R","Timestamp":"2026-13-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1}`, CodeInvalidTimestamp},
		{`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":-0.5}`, CodeNegativeCredits},
		{`{"Run_ID":"R","Timestamp":"2026-11-16T00:00:00Z","Scenario_ID":"S","Credits_Total":1e35}`, CodeCreditsOutOfRange},
		{`{` + base + `,"Risk_Flags":["a",null]}`, CodeWrongType},
	}
	for _, tt := range tests {
		trimmed := []byte(tt.line)
		var r Record
		err, ok := parseFast(trimmed, &r)
		if !ok {
			t.Fatalf("fast decoder deferred %q", tt.line)
		}
		var rej *RejectError
		if !errors.As(err, &rej) || rej.Code != tt.code {
			t.Fatalf("%q: want %s, got %v", tt.line, tt.code, err)
		}
	}
}

func TestLookupFieldMatchesWireTags(t *testing.T) {
	typ := reflect.TypeOf(wireRecord{})
	if typ.NumField() != int(numFields) {
		t.Fatalf("wireRecord has %d fields, the fast decoder knows %d", typ.NumField(), numFields)
	}
	for i := 0; i < typ.NumField(); i++ {
		tag := typ.Field(i).Tag.Get("json")
		f := lookupField([]byte(tag))
		if f == fUnknown || fieldNames[f] != tag {
			t.Fatalf("tag %q: lookupField gives %d", tag, f)
		}
		for _, variant := range []string{strings.ToUpper(tag), pascal(tag)} {
			if got := lookupField([]byte(variant)); got != f {
				t.Errorf("%q: lookupField gives %d, want %d", variant, got, f)
			}
			if got, end := matchKey([]byte(`{"`+variant+`":""}`), 2); got != f || end != 2+len(tag) {
				t.Errorf("%q: matchKey gives %d ending at %d, want %d", variant, got, end, f)
			}
		}
		for _, near := range []string{tag + "x", tag[1:], strings.ReplaceAll(tag, "_", "-"), strings.ReplaceAll(tag, "_", "\x7f")} {
			if near == tag {
				continue
			}
			if got := lookupField([]byte(near)); got != fUnknown {
				t.Errorf("%q: lookupField gives %s, want unknown", near, fieldNames[got])
			}
			if got, _ := matchKey([]byte(`{"`+near+`":""}`), 2); got != fUnknown {
				t.Errorf("%q: matchKey gives %s, want unknown", near, fieldNames[got])
			}
		}
	}
}

func pascal(tag string) string {
	parts := strings.Split(tag, "_")
	for i, p := range parts {
		parts[i] = strings.ToUpper(p[:1]) + p[1:]
	}
	return strings.Join(parts, "_")
}

// TestParseAllocations keeps a typical line to its budget: one string for
// all text fields, one block for the optional numbers, one risk-flags slice.
func TestParseAllocations(t *testing.T) {
	line := []byte(`{"Run_ID":"RUN-000000003","Timestamp":"2026-01-05T00:09:58Z","Scenario_Name":"Payment Analysis #8","Scenario_ID":"ANALYSIS_PAYMENT_008","Job_Type":"ANALYSIS","Status":"Success","Credits_Total":28.38,"Credits_In":15.95,"Credits_Out":12.43,"Model":"gpt-4.1-mini","Input_Tokens":2253,"Output_Tokens":563,"Artifacts_Link":"runs/CREDIT_MONITORING/2026-01-05/run_RUN-000000003.json","Severity":"SEV4","Risk_Flags":["batch_job"],"Misconfig_Likelihood":"Low","Baseline_Expected_Credits":33.07,"Variance_Multiplier":0.8582,"retry_count":0,"has_max_items_config":true,"has_idempotency_key":true,"prompt_version":"v2.1","deployment_timestamp":"2025-12-10T17:36:17Z","is_batch_job":false,"is_backfill":false,"input_item_count":103}`)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := Parse(line); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 3 {
		t.Fatalf("Parse allocates %.0f times per line, want ≤ 3", allocs)
	}
	minimal := []byte(`{` + base + `}`)
	allocs = testing.AllocsPerRun(200, func() {
		if _, err := Parse(minimal); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Fatalf("Parse allocates %.0f times for a line without optional fields, want ≤ 1", allocs)
	}
}

func FuzzParseAgrees(f *testing.F) {
	lines := fixtureLines(f)
	// Every 50th line keeps the seed corpus small but covers both
	// spellings, every optional-field mix and the malformed lines.
	for i, line := range lines {
		if i%50 == 0 || !bytes.HasPrefix(line, []byte(`{"`)) {
			f.Add(line)
		}
	}
	for _, line := range trickyLines {
		f.Add([]byte(line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		compareFastSlow(t, line)
		r, err := Parse(line)
		if err != nil {
			var rej *RejectError
			if !errors.As(err, &rej) || rej.Code == "" {
				t.Fatalf("error is not a coded reject: %v", err)
			}
			return
		}
		if r.RunID == "" || r.ScenarioID == "" || r.Timestamp.Location() != time.UTC {
			t.Fatalf("accepted record lacks required fields: %+v", r)
		}
	})
}
