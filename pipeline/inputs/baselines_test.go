package inputs

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// baselinesWithExtras has unknown keys at both levels, entries out of
// order, a nested unknown value and numbers in various spellings.
const baselinesWithExtras = `{
  "version": "1.0",
  "updated_at": "2026-01-04T09:00:00Z",
  "owner_team": "ops",
  "baselines": [
    {"scenario_id": "REPORT_DAILY", "median_credits": 310.25, "calculated_at": "2026-01-01T00:00:00Z",
     "sample_size": 28, "last_updated": "2026-01-01T00:00:00Z", "approved_by": "O3-kim",
     "history": [{"median_credits": 300, "at": "2025-12-01T00:00:00Z"}]},
    {"scenario_id": "BINDER_EXPORT_WEEKLY", "median_credits": 1250.50, "calculated_at": "2024-01-23T10:00:00+00:00",
     "sample_size": 28.0, "last_updated": "2024-01-23T10:00:00+00:00"},
    {"notes": "manual baseline <see runbook> & co", "scenario_id": "EMAIL_SEND", "median_credits": 0, "sample_size": 0}
  ],
  "annotations": {"z": 1, "a": [true, null]}
}
`

func TestLoadBaselinesAbsent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credit-baselines.json")
	b, info, err := LoadBaselines(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Present() || len(b.Entries) != 0 {
		t.Fatalf("absent file: %+v, %+v", b, info)
	}
	if _, ok := b.Get("X"); ok {
		t.Fatal("Get found a baseline in an empty set")
	}
	// An empty set still renders a valid file.
	var v map[string]any
	if err := json.Unmarshal(b.Marshal(), &v); err != nil {
		t.Fatalf("empty set renders invalid JSON: %v", err)
	}
}

func TestLoadBaselines(t *testing.T) {
	path := writeFile(t, t.TempDir(), "config/credit-baselines.json", baselinesWithExtras)
	b, info, err := LoadBaselines(path)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Present() || info.Bytes != int64(len(baselinesWithExtras)) {
		t.Fatalf("FileInfo = %+v", info)
	}
	var ids []string
	for _, e := range b.Entries {
		ids = append(ids, e.ScenarioID)
	}
	if got := strings.Join(ids, ","); got != "BINDER_EXPORT_WEEKLY,EMAIL_SEND,REPORT_DAILY" {
		t.Fatalf("entries not sorted by scenario_id: %s", got)
	}
	e, ok := b.Get("BINDER_EXPORT_WEEKLY")
	if !ok || e.MedianCredits != 1250.5 || e.SampleSize != 28 || e.CalculatedAt != "2024-01-23T10:00:00+00:00" {
		t.Fatalf("Get = %+v, %v", e, ok)
	}
	m := b.Medians()
	if len(m) != 3 || m["REPORT_DAILY"] != 310.25 || m["EMAIL_SEND"] != 0 {
		t.Fatalf("Medians = %v", m)
	}
}

func TestBaselinesRoundTripKeepsUnknownFields(t *testing.T) {
	b, err := ParseBaselines("b.json", []byte(baselinesWithExtras))
	if err != nil {
		t.Fatal(err)
	}
	out := b.Marshal()
	golden(t, "baselines_roundtrip.golden.json", out)

	// Parsing the output and rendering it again changes nothing.
	b2, err := ParseBaselines("b.json", out)
	if err != nil {
		t.Fatal(err)
	}
	if again := b2.Marshal(); !bytes.Equal(again, out) {
		t.Fatalf("second round trip differs:\n%s\nvs\n%s", again, out)
	}
	// Unknown values survive with their content, not just their keys.
	var doc struct {
		OwnerTeam   string          `json:"owner_team"`
		Annotations json.RawMessage `json:"annotations"`
		Baselines   []map[string]json.RawMessage
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OwnerTeam != "ops" || compact(doc.Annotations) != `{"z":1,"a":[true,null]}` {
		t.Fatalf("top-level extras lost: %+v", doc)
	}
	rd := doc.Baselines[2]
	if compact(rd["history"]) != `[{"median_credits":300,"at":"2025-12-01T00:00:00Z"}]` || string(rd["approved_by"]) != `"O3-kim"` {
		t.Fatalf("entry extras lost: %s", out)
	}
	if string(doc.Baselines[1]["notes"]) != `"manual baseline <see runbook> & co"` {
		t.Fatalf("HTML-escaped or lost: %s", doc.Baselines[1]["notes"])
	}
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "invalid: " + string(raw)
	}
	return b.String()
}

// The runbook reads the file with
// jq '.baselines[] | select(.scenario_id == "X")'; the same selection done
// with encoding/json must find each entry with its runbook fields first.
func TestBaselinesMarshalShape(t *testing.T) {
	b, err := ParseBaselines("b.json", []byte(baselinesWithExtras))
	if err != nil {
		t.Fatal(err)
	}
	out := b.Marshal()
	if !bytes.HasSuffix(out, []byte("}\n")) || bytes.HasSuffix(out, []byte("\n\n")) {
		t.Fatal("want exactly one trailing newline")
	}
	if !bytes.Contains(out, []byte("\n  \"baselines\": [\n    {\n      \"scenario_id\"")) {
		t.Fatalf("not 2-space indented as expected:\n%s", out)
	}
	order := []string{`"version"`, `"updated_at"`, `"baselines"`, `"scenario_id": "REPORT_DAILY"`, `"median_credits": 310.25`,
		`"calculated_at"`, `"sample_size": 28`, `"last_updated"`, `"approved_by"`, `"history"`, `"annotations"`, `"owner_team"`}
	last := -1
	for _, k := range order {
		i := bytes.Index(out[last+1:], []byte(k))
		if i < 0 {
			t.Fatalf("%s missing or out of order in\n%s", k, out)
		}
		last += 1 + i
	}
	var doc struct {
		Baselines []struct {
			ScenarioID    string  `json:"scenario_id"`
			MedianCredits float64 `json:"median_credits"`
		} `json:"baselines"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, e := range doc.Baselines {
		if e.ScenarioID == "BINDER_EXPORT_WEEKLY" {
			found++
			if e.MedianCredits != 1250.5 {
				t.Fatalf("median = %v", e.MedianCredits)
			}
		}
	}
	if found != 1 {
		t.Fatalf("select(.scenario_id == \"BINDER_EXPORT_WEEKLY\") matched %d entries", found)
	}
}

func TestBaselinesUpsert(t *testing.T) {
	b, err := ParseBaselines("b.json", []byte(baselinesWithExtras))
	if err != nil {
		t.Fatal(err)
	}
	// Replace: known fields change, the entry's unknown fields stay unless
	// the new entry sets them.
	err = b.Upsert(Baseline{ScenarioID: "REPORT_DAILY", MedianCredits: 333.5, CalculatedAt: "2026-01-12T10:00:00Z",
		SampleSize: 30, LastUpdated: "2026-01-12T10:00:00Z", Extra: map[string]json.RawMessage{"approved_by": json.RawMessage(`"O3-lee"`)}})
	if err != nil {
		t.Fatal(err)
	}
	// Insert: lands in sorted position.
	if err := b.Upsert(Baseline{ScenarioID: "ANALYSIS_HOURLY", MedianCredits: 12}); err != nil {
		t.Fatal(err)
	}
	b.UpdatedAt = "2026-01-12T10:00:00Z"
	if len(b.Entries) != 4 || b.Entries[0].ScenarioID != "ANALYSIS_HOURLY" {
		t.Fatalf("entries = %+v", b.Entries)
	}
	e, _ := b.Get("REPORT_DAILY")
	if e.MedianCredits != 333.5 || string(e.Extra["approved_by"]) != `"O3-lee"` || e.Extra["history"] == nil {
		t.Fatalf("upserted entry = %+v", e)
	}
	golden(t, "baselines_upserted.golden.json", b.Marshal())
}

func TestBaselinesUpsertRefusesBadEntries(t *testing.T) {
	tests := []struct {
		name string
		e    Baseline
		want string
	}{
		{"empty id", Baseline{ScenarioID: " ", MedianCredits: 1}, "empty scenario_id"},
		{"negative", Baseline{ScenarioID: "A", MedianCredits: -1}, "median_credits must be finite and 0 or at least 1e-06, got -1"},
		{"below the six decimals", Baseline{ScenarioID: "A", MedianCredits: 5e-324}, "median_credits must be finite and 0 or at least 1e-06, got 5e-324"},
		{"NaN", Baseline{ScenarioID: "A", MedianCredits: math.NaN()}, "got NaN"},
		{"Inf", Baseline{ScenarioID: "A", MedianCredits: math.Inf(1)}, "got +Inf"},
		{"negative sample", Baseline{ScenarioID: "A", SampleSize: -2}, "sample_size must be ≥ 0"},
		{"extra shadows known", Baseline{ScenarioID: "A", Extra: map[string]json.RawMessage{"median_credits": json.RawMessage(`1`)}}, "shadows a known field"},
		{"extra invalid", Baseline{ScenarioID: "A", Extra: map[string]json.RawMessage{"x": json.RawMessage(`{`)}}, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &Baselines{}
			err := b.Upsert(tt.e)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Upsert error %v, want %q", err, tt.want)
			}
			if len(b.Entries) != 0 {
				t.Fatal("a refused entry was added")
			}
		})
	}
}

func TestParseBaselinesInvalid(t *testing.T) {
	const path = "config/credit-baselines.json"
	entry := func(body string) string { return `{"version":"1.0","baselines":[` + body + `]}` }
	ok := `{"scenario_id":"A","median_credits":1}`
	tests := []struct {
		name  string
		doc   string
		field string
		want  string
	}{
		{"negative median", entry(ok + `,{"scenario_id":"B","median_credits":-5}`),
			"baselines[1].median_credits", path + ": baselines[1].median_credits: must be ≥ 0, got -5"},
		{"missing median", entry(ok + `,{"scenario_id":"B"}`),
			"baselines[1].median_credits", "baselines[1].median_credits: missing"},
		{"null median", entry(`{"scenario_id":"B","median_credits":null}`),
			"baselines[0].median_credits", "baselines[0].median_credits: missing"},
		{"string median", entry(`{"scenario_id":"B","median_credits":"12"}`),
			"baselines[0].median_credits", "baselines[0].median_credits: want a number, got string"},
		// A run's multiple of 5e-324 was infinite: the weekly job failed
		// naming no file (an outside review).
		{"denormal median", entry(`{"scenario_id":"B","median_credits":5e-324}`),
			"baselines[0].median_credits", "baselines[0].median_credits: must be 0 or at least 1e-06 (credits are kept to six decimals), got 5e-324"},
		{"huge median", entry(`{"scenario_id":"B","median_credits":1e400}`),
			"baselines[0].median_credits", "baselines[0].median_credits: number 1e400 is out of range"},
		{"empty scenario id", entry(ok + `,{"scenario_id":"B","median_credits":1},{"scenario_id":"","median_credits":1}`),
			"baselines[2].scenario_id", "baselines[2].scenario_id: missing or empty"},
		{"missing scenario id", entry(`{"median_credits":1}`),
			"baselines[0].scenario_id", "baselines[0].scenario_id: missing or empty"},
		{"duplicate scenario id", entry(ok + `,{"scenario_id":"B","median_credits":2},{"scenario_id":"A","median_credits":3}`),
			"baselines[2].scenario_id", `baselines[2].scenario_id: duplicate of baselines[0] ("A")`},
		{"negative sample size", entry(`{"scenario_id":"A","median_credits":1,"sample_size":-1}`),
			"baselines[0].sample_size", "baselines[0].sample_size: must be ≥ 0, got -1"},
		{"fractional sample size", entry(`{"scenario_id":"A","median_credits":1,"sample_size":2.5}`),
			"baselines[0].sample_size", "baselines[0].sample_size: want a whole number, got 2.5"},
		{"timestamp not a string", entry(`{"scenario_id":"A","median_credits":1,"calculated_at":20240123}`),
			"baselines[0].calculated_at", "baselines[0].calculated_at: want a string, got number"},
		{"entry not an object", entry(`7`), "baselines[0]", "baselines[0]: want an object, got number"},
		{"baselines missing", `{"version":"1.0","baseline":[]}`, "baselines", path + ": baselines: missing"},
		{"baselines not an array", `{"baselines":{}}`, "baselines", "baselines: want an array, got object"},
		{"version not a string", `{"version":1,"baselines":[]}`, "version", "version: want a string, got number"},
		{"syntax", "{\n\"baselines\": [\n{\"scenario_id\": \"A\",, }\n]}", "", path + ":3: invalid JSON"},
		// X and X\u0000old were one baseline in the store: every run of X
		// counted twice (an outside review).
		{"U+0000 in a scenario id", "{\"baselines\": [\n" + ok + ",\n" + `{"scenario_id":"A\u0000old","median_credits":1}` + "]}", "",
			path + ":3: text at column 17 holds U+0000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBaselines(path, []byte(tt.doc))
			wantErr(t, err, path, tt.want)
			var ie *Error
			errors.As(err, &ie)
			if ie.Field != tt.field {
				t.Fatalf("Field = %q, want %q", ie.Field, tt.field)
			}
		})
	}
}
