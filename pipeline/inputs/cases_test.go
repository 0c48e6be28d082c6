package inputs

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestLoadCasesAbsent(t *testing.T) {
	set, info, err := LoadCases(filepath.Join(t.TempDir(), "cases.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Present() || set.Cases == nil || len(set.Cases) != 0 {
		t.Fatalf("absent cases file: %+v %+v", set, info)
	}
}

func TestLoadCasesEmptyFile(t *testing.T) {
	path := writeFile(t, t.TempDir(), "cases.jsonl", "")
	set, info, err := LoadCases(path)
	if err != nil {
		t.Fatal(err)
	}
	// Present but empty: its digest is that of no bytes.
	if !info.Present() || info.SHA256 != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" || len(set.Cases) != 0 {
		t.Fatalf("empty cases file: %+v %+v", set, info)
	}
}

func TestLoadCasesSupersession(t *testing.T) {
	content := strings.Join([]string{
		`{"Case_ID":"CASE-2","Title":"spike","Severity":"SEV1","Status":"Open","Primary_Run_ID":"RUN-9","Created_At":"2026-01-06T10:00:00Z","Root_Cause":"Unknown"}`,
		`{"Case_ID":"CASE-1","Title":"pii","Severity":"SEV0","Status":"Investigating","Primary_Run_ID":"RUN-1","Related_Run_IDs":["RUN-2","RUN-3"],"Created_At":"2026-01-06T09:00:00+01:00"}`,
		``,
		// A later version replaces the whole record: Root_Cause is gone.
		`{"case_id":"CASE-2","title":"spike (rerun)","severity":"SEV1","status":"Resolved","primary_run_id":"RUN-9","created_at":"2026-01-06T10:00:00Z","resolved_at":"2026-01-08T12:30:00-05:00","acknowledged_at":"2026-01-06T10:20:00Z","updated_at":"2026-01-08T17:30:00Z","Rerun_Approved_At":"2026-01-07T00:00:00Z","Rerun_Approved_By":"O3-kim","Slack_Thread_URL":"ignored"}`,
		`{"Case_ID":"CASE-2","Title":"spike (final)","Severity":"SEV1","Status":"Resolved","Primary_Run_ID":"RUN-9","Related_Run_IDs":"RUN-10, RUN-11,","Created_At":"2026-01-06T10:00:00Z","Resolved_At":"2026-01-08T17:30:00Z","Rerun_Approved_At":"2026-01-07T00:00:00Z","Root_Cause":"Legit Load","Exposure_Band":"low","Category":"credits"}`,
	}, "\n") + "\n"
	path := writeFile(t, t.TempDir(), "cases.jsonl", content)
	set, info, err := LoadCases(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Bytes != int64(len(content)) || set.Lines != 4 || set.Superseded != 2 || set.PartialTailBytes != 0 {
		t.Fatalf("set = %+v, info = %+v", set, info)
	}
	want := []Case{
		{ID: "CASE-1", Title: "pii", Severity: "SEV0", Status: "Investigating", PrimaryRunID: "RUN-1",
			RelatedRunIDs: []string{"RUN-2", "RUN-3"}, CreatedAt: utc("2026-01-06T08:00:00Z"), Line: 2},
		{ID: "CASE-2", Title: "spike (final)", Category: "credits", Severity: "SEV1", ExposureBand: "low", Status: "Resolved",
			RootCause: "Legit Load", PrimaryRunID: "RUN-9", RelatedRunIDs: []string{"RUN-10", "RUN-11"},
			CreatedAt: utc("2026-01-06T10:00:00Z"), ResolvedAt: utc("2026-01-08T17:30:00Z"),
			RerunApprovedAt: utc("2026-01-07T00:00:00Z"), Line: 5},
	}
	if !reflect.DeepEqual(set.Cases, want) {
		t.Fatalf("cases =\n%+v\nwant\n%+v", set.Cases, want)
	}
	if c, ok := set.Get("CASE-1"); !ok || c.CreatedAt.Location() != time.UTC {
		t.Fatalf("Get(CASE-1) = %+v, %v; times must be UTC", c, ok)
	}
	if _, ok := set.Get("CASE-3"); ok {
		t.Fatal("Get found a case that does not exist")
	}
}

// The version in between is taken whole too: check its fields were parsed
// (both spellings, extensions) by loading only the first three lines.
func TestLoadCasesSnakeCaseAndExtensions(t *testing.T) {
	line := `{"case_id":"CASE-2","title":"spike","status":"Weird","root_cause":"Cosmic Rays","primary_run_id":"RUN-9","created_at":"2026-01-06T10:00:00Z","acknowledged_at":"2026-01-06T10:20:00.5Z","updated_at":"","rerun_approved_at":"2026-01-07T00:00:00Z","rerun_approved_by":"O3-kim","related_run_ids":null}` + "\n"
	set, err := ParseCases("cases.jsonl", []byte(line))
	if err != nil {
		t.Fatal(err)
	}
	c := set.Cases[0]
	if c.Status != "Weird" || c.RootCause != "Cosmic Rays" {
		t.Fatalf("unknown enumerations must be kept as given: %+v", c)
	}
	if !c.AcknowledgedAt.Equal(utc("2026-01-06T10:20:00.5Z")) || !c.UpdatedAt.IsZero() || c.RerunApprovedBy != "O3-kim" {
		t.Fatalf("case = %+v", c)
	}
	if c.RelatedRunIDs == nil || len(c.RelatedRunIDs) != 0 {
		t.Fatalf("related = %#v, want empty", c.RelatedRunIDs)
	}
}

func TestLoadCasesPartialLastLine(t *testing.T) {
	tests := []struct {
		name    string
		content string
		cases   int
		tail    int64
		want    Tail
	}{
		{"partial line counted, not loaded", `{"Case_ID":"A"}` + "\n" + `{"Case_ID":"B","Ti`, 1, 18, Tail{Line: 2, Bytes: 18}},
		{"complete unterminated object loaded", `{"Case_ID":"A"}` + "\n" + `{"Case_ID":"B"}`, 2, 0, Tail{Line: 2, Bytes: 15, Loaded: true}},
		{"complete unterminated object with CR loaded", `{"Case_ID":"A"}` + "\n" + `{"Case_ID":"B"} ` + "\r", 2, 0, Tail{Line: 2, Bytes: 17, Loaded: true}},
		{"unterminated array is not an object", `{"Case_ID":"A"}` + "\n" + `[1]`, 1, 3, Tail{Line: 2, Bytes: 3}},
		{"whitespace tail is nothing", `{"Case_ID":"A"}` + "\n  ", 1, 0, Tail{}},
		{"CRLF and BOM", "\xEF\xBB\xBF" + `{"Case_ID":"A"}` + "\r\n" + `{"Case_ID":"B"}` + "\r\n", 2, 0, Tail{}},
		{"single unterminated line loaded", `{"Case_ID":"A"}`, 1, 0, Tail{Line: 1, Bytes: 15, Loaded: true}},
		{"single unterminated line with BOM loaded", "\xEF\xBB\xBF" + `{"Case_ID":"A"}`, 1, 0, Tail{Line: 1, Bytes: 18, Loaded: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := ParseCases("cases.jsonl", []byte(tt.content))
			if err != nil {
				t.Fatal(err)
			}
			if len(set.Cases) != tt.cases || set.PartialTailBytes != tt.tail || set.Tail != tt.want {
				t.Fatalf("cases %d, tail %d %+v; want %d, %d %+v", len(set.Cases), set.PartialTailBytes, set.Tail, tt.cases, tt.tail, tt.want)
			}
		})
	}
}

// TestParseCasesUnterminatedInvalidRecord: a complete object on the last
// line is a record like any other, so an invalid one refuses the file with
// its line number rather than vanishing.
func TestParseCasesUnterminatedInvalidRecord(t *testing.T) {
	_, err := ParseCases("cases.jsonl", []byte(`{"Case_ID":"A"}`+"\n"+`{"Title":"no id"}`))
	var ie *Error
	if !errors.As(err, &ie) || ie.Line != 2 {
		t.Fatalf("err = %v, want an *Error at line 2", err)
	}
}

// TestParseCasesLinesEndingInCR: a file whose lines end in a carriage
// return alone, or whose last records are joined without line ends, was
// one line being written: no case loaded and the review run without
// them, exit 0. It is refused, naming the line where the line ends stop
// being line feeds.
func TestParseCasesLinesEndingInCR(t *testing.T) {
	for _, content := range []string{
		`{"Case_ID":"A"}` + "\r" + `{"Case_ID":"B"}` + "\r",
		`{"Case_ID":"A"}` + "\n" + `{"Case_ID":"B"}` + "\r" + `{"Case_ID":"C"}`,
		`{"Case_ID":"A"}` + "\n" + `{"Case_ID":"B"}{"Case_ID":"C"}`,
	} {
		_, err := ParseCases("cases.jsonl", []byte(content))
		var ie *Error
		first := strings.Count(content, "\n") + 1
		if !errors.As(err, &ie) || ie.Line != first || !strings.Contains(ie.Msg, "carriage return") && !strings.Contains(ie.Msg, "without line ends") {
			t.Errorf("%q: err = %v, want an *Error at line %d naming the line ends", content, err, first)
		}
	}
}

func TestParseCasesInvalid(t *testing.T) {
	const path = "runs/CREDIT_MONITORING/cases.jsonl"
	good := `{"Case_ID":"CASE-1","Created_At":"2026-01-06T10:00:00Z"}`
	tests := []struct {
		name  string
		lines []string
		line  int
		want  string
	}{
		{"not JSON", []string{good, `{"Case_ID": "CASE-2",`}, 2, path + ":2: invalid JSON"},
		{"not an object", []string{`["CASE-1"]`}, 1, path + ":1: want a JSON object, got array"},
		{"null line", []string{good, `null`}, 2, path + ":2: want a JSON object, got null"},
		{"missing Case_ID", []string{good, good, `{"Title":"x"}`}, 3, path + ":3: Case_ID: missing or empty"},
		{"empty case_id", []string{`{"case_id":"  "}`}, 1, path + ":1: Case_ID: missing or empty"},
		// Blank lines count towards the line number.
		{"bad timestamp after a blank line", []string{good, ``, `{"Case_ID":"CASE-2","Created_At":"2026-01-06 10:00"}`}, 3,
			path + `:3: Created_At: invalid timestamp "2026-01-06 10:00", want RFC 3339`},
		{"bad snake timestamp", []string{`{"case_id":"C","resolved_at":"yesterday"}`}, 1, path + `:1: resolved_at: invalid timestamp "yesterday"`},
		{"timestamp not a string", []string{`{"Case_ID":"C","Updated_At":1767700000}`}, 1, path + ":1: Updated_At: want a string, got number"},
		{"title not a string", []string{`{"Case_ID":"C","Title":17}`}, 1, path + ":1: Title: want a string, got number"},
		{"case id not a string", []string{`{"Case_ID":17}`}, 1, path + ":1: Case_ID: want a string, got number"},
		{"related ids wrong type", []string{`{"Case_ID":"C","Related_Run_IDs":7}`}, 1, path + ":1: Related_Run_IDs: want an array of run ids or a comma-separated string, got number"},
		{"related id not a string", []string{`{"Case_ID":"C","Related_Run_IDs":["R1",2]}`}, 1, path + ":1: Related_Run_IDs[1]: want a string, got number"},
		{"conflicting spellings", []string{`{"Case_ID":"C","case_id":"D"}`}, 1, path + ":1: case_id: conflicts with Case_ID"},
		{"one spelling twice", []string{good, `{"Case_ID":"CASE-1201","Case_ID":"CASE-X"}`}, 2, path + ":2: Case_ID: appears twice"},
		// Decoded, CASE-\xff1 and CASE-\xfe1 were one case, the later line
		// replacing the earlier; CASE-Z\u0000a and CASE-Z\u0000b were one
		// in the store (an outside review).
		{"id not UTF-8", []string{good, "{\"Case_ID\":\"CASE-\xff1\"}"}, 2, path + ":2: text at column 18 holds bytes that are not UTF-8"},
		{"U+0000 in an id", []string{`{"Case_ID":"CASE-Z\u0000a"}`}, 1, path + ":1: text at column 19 holds U+0000"},
		{"U+0000 in a run id", []string{`{"Case_ID":"C","Primary_Run_ID":"RUN-1\u0000-x"}`}, 1, "holds U+0000"},
		{"unpaired surrogate", []string{`{"Case_ID":"CASE-\udc00"}`}, 1, "holds an unpaired surrogate escape"},
		{"high surrogate alone", []string{`{"Case_ID":"CASE-\ud800x"}`}, 1, "holds an unpaired surrogate escape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCases(path, []byte(strings.Join(tt.lines, "\n")+"\n"))
			wantErr(t, err, path, tt.want)
			var ie *Error
			errors.As(err, &ie)
			if ie.Line != tt.line {
				t.Fatalf("Line = %d, want %d", ie.Line, tt.line)
			}
		})
	}
}

// TestParseCasesKeepsText: text that decodes as written is accepted: a
// surrogate pair, a real U+FFFD, an escaped backslash before "u0000".
func TestParseCasesKeepsText(t *testing.T) {
	lines := []string{`{"Case_ID":"CASE-\ud83d\ude00"}`, "{\"Case_ID\":\"CASE-\xef\xbf\xbd\"}", `{"Case_ID":"C","Title":"a\\u0000"}`}
	set, err := ParseCases("cases.jsonl", []byte(strings.Join(lines, "\n")+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Cases) != 3 {
		t.Fatalf("%d cases, want 3", len(set.Cases))
	}
}

// Repeating a field in both spellings with the same value is harmless.
func TestParseCasesAgreeingSpellings(t *testing.T) {
	set, err := ParseCases("c", []byte(`{"Case_ID":"C","case_id":"C","Title":null,"title":"t"}`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if set.Cases[0].ID != "C" || set.Cases[0].Title != "t" {
		t.Fatalf("case = %+v", set.Cases[0])
	}
}

func TestCaseRunIDs(t *testing.T) {
	set := CaseSet{Cases: []Case{
		{ID: "CASE-1", PrimaryRunID: "R1", RelatedRunIDs: []string{"R2", "R1", ""}},
		{ID: "CASE-2", PrimaryRunID: "R3", RelatedRunIDs: []string{"R2"}},
		{ID: "CASE-3", RelatedRunIDs: []string{"R4"}},
	}}
	if got := set.Cases[0].RunIDs(); !reflect.DeepEqual(got, []string{"R1", "R2"}) {
		t.Fatalf("RunIDs = %v", got)
	}
}
