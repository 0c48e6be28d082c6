package reports

import (
	"bytes"
	"encoding/json"
	"testing"
)

// jsonIndent is json.Indent's result for src, with the report's indentation.
func jsonIndent(src []byte) ([]byte, error) {
	var b bytes.Buffer
	err := json.Indent(&b, src, "", "  ")
	return b.Bytes(), err
}

// TestIndentJSONIsJSONIndent: on encoding/json's compact output indentJSON
// gives json.Indent's bytes, and on anything else it declines, leaving dst
// as it was, so that IndentWeekly falls back to json.Indent and its error.
func TestIndentJSONIsJSONIndent(t *testing.T) {
	report, err := MarshalWeeklyCompact(sampleWeekly(focusWeek1M()))
	if err != nil {
		t.Fatal(err)
	}
	indented := []struct {
		name string
		src  string
	}{
		{"number", `-1.5e+10`},
		{"literals", `[true,false,null]`},
		{"string", `"a"`},
		{"empty object and array", `{"a":{},"b":[],"c":[{}],"d":[[]]}`},
		{"nesting", `{"a":[1,{"b":[2,3],"c":{"d":null}}],"e":"f"}`},
		{"punctuation in strings", `{"{[,:]}":"}],:[{","q":"\"{\\","b":"\\","c":"\\\""}`},
		{"escapes and non-ASCII", `["\u003c\u2028\t\n","é✓","\ud83d\ude00"]`},
		{"trailing whitespace kept", "{\"a\":1}\n \t\r\n"},
		{"a report of the focus week of a million runs", string(report)},
	}
	for _, tt := range indented {
		t.Run(tt.name, func(t *testing.T) {
			want, err := jsonIndent([]byte(tt.src))
			if err != nil {
				t.Fatalf("json.Indent: %v", err)
			}
			want = append([]byte("kept:"), want...)
			got, ok := indentJSON([]byte("kept:"), []byte(tt.src))
			if !ok {
				t.Fatal("declined encoding/json's compact output")
			}
			if !bytes.Equal(got, want) {
				i := 0
				for i < min(len(got), len(want)) && got[i] == want[i] {
					i++
				}
				t.Fatalf("differs from json.Indent at byte %d: got %.60q, want %.60q", i, got[max(i-20, 0):], want[max(i-20, 0):])
			}
		})
	}

	declined := []struct {
		name string
		src  string
	}{
		{"empty", ``},
		{"only whitespace", " \n"},
		{"leading whitespace", ` {"a":1}`},
		{"space between tokens", `{"a": 1}`},
		{"newline between tokens", "[1,\n2]"},
		{"unclosed object", `{"a":1`},
		{"unclosed string", `["a]`},
		{"escaped closing quote", `["a\"]`},
		{"raw control character in a string", "[\"a\x01\"]"},
		{"raw newline in a string", "[\"a\nb\"]"},
		{"mismatched brackets", `[1}`},
		{"closing without opening", `]`},
		{"comma at the top level", `1,2`},
		{"colon in an array", `[1:2]`},
		{"two values", `{}{}`},
		{"two literals", `1 2`},
		{"byte that starts no token", `[#]`},
		{"text after the value", `{}x`},
	}
	for _, tt := range declined {
		t.Run("declines "+tt.name, func(t *testing.T) {
			got, ok := indentJSON([]byte("kept:"), []byte(tt.src))
			if ok {
				t.Fatalf("indented %q as %q; want it declined", tt.src, got)
			}
			if string(got) != "kept:" {
				t.Fatalf("dst changed to %q", got)
			}
			// IndentWeekly then gives json.Indent's answer.
			want, wantErr := jsonIndent([]byte(tt.src))
			out, err := IndentWeekly([]byte(tt.src))
			if (err != nil) != (wantErr != nil) || err == nil && !bytes.Equal(out, want) {
				t.Fatalf("IndentWeekly = %q, %v; json.Indent = %q, %v", out, err, want, wantErr)
			}
		})
	}
}

// FuzzIndentJSON: for any valid JSON, indentJSON indents its compact form
// as json.Indent does; for any bytes at all it does not panic, and what it
// accepts and json.Indent also accepts, it indents the same way.
func FuzzIndentJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":"c\"d"}],"e":{}}`, `[]`, `"x"`, "[1, 2]\n", `{"a":tru}`, `["\\"]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		got, ok := indentJSON(nil, src)
		want, err := jsonIndent(src)
		if ok && err == nil && !bytes.Equal(got, want) {
			t.Fatalf("indentJSON(%q) = %q, json.Indent = %q", src, got, want)
		}
		if !json.Valid(src) {
			return
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, src); err != nil {
			t.Fatal(err)
		}
		got, ok = indentJSON(nil, compact.Bytes())
		want, err = jsonIndent(compact.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if !ok || !bytes.Equal(got, want) {
			t.Fatalf("compact %q: indentJSON = %q, %v; json.Indent = %q", compact.Bytes(), got, ok, want)
		}
	})
}
