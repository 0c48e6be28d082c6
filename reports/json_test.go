package reports

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestMarshalWeeklyIsIndentedCompact: the report's bytes are the same
// whether the model is encoded with indentation in one go or encoded
// compactly (as a job checkpoints it) and indented afterwards, on a model
// whose text holds what encoders treat specially: HTML characters,
// quotes, control characters and non-ASCII text.
func TestMarshalWeeklyIsIndentedCompact(t *testing.T) {
	w := sampleWeekly(smallSample)
	w.Notes = append(w.Notes, `a <b> & "c"`+"\t\x01 é ✓ \u2028")
	want := encodingJSON(t, w, "  ")
	got, err := MarshalWeekly(w)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("MarshalWeekly differs from encoding with indentation:\n%s\nwant\n%s", got, want)
	}
	compact, err := MarshalWeeklyCompact(w)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(compact, []byte("\n  ")) || !bytes.HasSuffix(compact, []byte("}\n")) {
		t.Fatalf("MarshalWeeklyCompact is not one line and a newline: %.200s", compact)
	}
}

// TestMarshalWeeklyCompactIsEncodingJSON: encoding the spike runs one by
// one into the place the rest of the model leaves for them gives exactly
// encoding/json's bytes for the whole model, whatever the list holds.
func TestMarshalWeeklyCompactIsEncodingJSON(t *testing.T) {
	special := func(w *Weekly) {
		w.SpikeRuns[0].RunID = `RUN-<1> & "2" ` + "\u2028\x01"
		w.SpikeRuns[len(w.SpikeRuns)-1].RiskFlags = []string{`"spike_runs":[]`, "é"}
		w.Notes = append(w.Notes, `"spike_runs":[`)
	}
	tests := []struct {
		name   string
		change func(w *Weekly)
	}{
		{"sample", func(*Weekly) {}},
		{"text encoders treat specially", special},
		{"one run", func(w *Weekly) { w.SpikeRuns = w.SpikeRuns[:1] }},
		{"none (empty list)", func(w *Weekly) { w.SpikeRuns = []SpikeRun{} }},
		{"none (nil)", func(w *Weekly) { w.SpikeRuns = nil }},
		{"a focus week of a million runs", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := sampleWeekly(smallSample)
			if tt.change == nil {
				w = sampleWeekly(focusWeek1M())
				special(w)
			} else {
				tt.change(w)
			}
			want := encodingJSON(t, w, "")
			got, err := MarshalWeeklyCompact(w)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				i := 0
				for i < min(len(got), len(want)) && got[i] == want[i] {
					i++
				}
				t.Fatalf("differs from encoding/json at byte %d of %d: got %.80q, want %.80q", i, len(want), got[max(i-20, 0):], want[max(i-20, 0):])
			}
		})
	}
}

// encodingJSON is encoding/json's encoding of w in one go, as the report
// wants it (no HTML escaping), indented by indent ("" for compact).
func encodingJSON(t *testing.T, w *Weekly, indent string) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(w); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
