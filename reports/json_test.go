package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"testing"
)

// TestMarshalWeeklyIsEncodingJSON: the report's bytes, with its spike
// runs written into the place the rest of the model leaves for them, are
// exactly encoding/json's for the whole model, whatever the list and its
// runs hold — text encoders treat specially, floats at the edges of
// encoding/json's notations, absent and empty values.
func TestMarshalWeeklyIsEncodingJSON(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	s := func(v string) *string { return &v }
	special := func(w *Weekly) {
		w.SpikeRuns[0].RunID = `RUN-<1> & "2" \ ` + "\u2028\x01\t\n é ✓ \xff"
		w.SpikeRuns[len(w.SpikeRuns)-1].RiskFlags = []string{"\n  \"spike_runs\": []", "é"}
		w.Notes = append(w.Notes, "\n  \"spike_runs\": []", `a <b> & "c"`+"\t\x01 é ✓ \u2028")
	}
	tests := []struct {
		name   string
		change func(w *Weekly)
	}{
		{"sample", func(*Weekly) {}},
		{"text encoders treat specially", special},
		{"floats", func(w *Weekly) {
			for i, v := range []float64{0, math.Copysign(0, -1), 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 1.5e300, -2.5e-10, 431.52, 1.0 / 3, -7, 123456789012345678} {
				r := &w.SpikeRuns[i%len(w.SpikeRuns)]
				r.CreditsTotal, r.MisconfigScore, r.Baseline, r.VarianceMultiplier = v, -v, f(v/3), f(v*7)
			}
		}},
		{"absent and empty", func(w *Weekly) {
			r := &w.SpikeRuns[0]
			r.Baseline, r.VarianceMultiplier, r.RecordedVarianceMultiplier = nil, nil, nil
			r.Severity, r.RecordedSeverity, r.RecordedMisconfig, r.CaseID, r.ArtifactsLink = nil, nil, nil, nil, nil
			r.RiskFlags = nil
			r.RunID, r.Status = "", ""
			w.SpikeRuns[1].RiskFlags = []string{}
			w.SpikeRuns[1].Severity, w.SpikeRuns[1].CaseID = s(""), s("CASE-1")
			w.SpikeRuns[1].LineNo = -1
		}},
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
			want := encodingJSON(t, w, "  ")
			got, err := MarshalWeekly(w)
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

// TestMarshalWeeklyRefusesWhatEncodingJSONRefuses: a spike run with a
// float that is not finite gives encoding/json's error, not a report.
func TestMarshalWeeklyRefusesWhatEncodingJSONRefuses(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		for field, set := range map[string]func(r *SpikeRun){
			"credits_total":       func(r *SpikeRun) { r.CreditsTotal = v },
			"variance_multiplier": func(r *SpikeRun) { r.VarianceMultiplier = &v },
		} {
			w := sampleWeekly(smallSample)
			set(&w.SpikeRuns[len(w.SpikeRuns)-1])
			out, err := MarshalWeekly(w)
			var unsupported *json.UnsupportedValueError
			if !errors.As(err, &unsupported) || out != nil {
				t.Errorf("%s = %v: MarshalWeekly gave %d bytes and %v, want encoding/json's UnsupportedValueError", field, v, len(out), err)
			}
		}
	}
}

// FuzzAppendSpikeRun holds appendSpikeRun to encoding/json for any text
// and any number a run may hold.
func FuzzAppendSpikeRun(f *testing.F) {
	f.Add("RUN-000001", "2026-02-23T10:00:00Z", "critical", 431.52, 1e-7, int64(12), true)
	f.Add("\u2028\x00\"\\<>&", "\xff\xfe", "", 0.0, 1e21, int64(-5), false)
	f.Fuzz(func(t *testing.T, id, ts, flag string, credits, mult float64, line int64, withFlags bool) {
		if math.IsInf(credits, 0) || math.IsNaN(credits) || math.IsInf(mult, 0) || math.IsNaN(mult) {
			return
		}
		r := SpikeRun{RunID: id, Timestamp: ts, ScenarioID: flag + id, CreditsTotal: credits,
			VarianceMultiplier: &mult, Severity: &flag, MisconfigLikelihood: ts, MisconfigScore: -mult,
			Status: flag, ArtifactsLink: &id, LineNo: line}
		if withFlags {
			r.RiskFlags = []string{flag, id}
		}
		w := &Weekly{SpikeRuns: []SpikeRun{r, r}}
		got, err := MarshalWeekly(w)
		if err != nil {
			t.Fatal(err)
		}
		if want := encodingJSON(t, w, "  "); !bytes.Equal(got, want) {
			t.Fatalf("MarshalWeekly\n%s\nencoding/json\n%s", got, want)
		}
	})
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
