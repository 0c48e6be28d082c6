package reports

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// The indentation of a spike run in the report: the list is a key of the
// top-level object, each run an element of it, each of the run's keys one
// level deeper, each risk flag one more.
const (
	spikeRunIndent  = "\n    "
	spikeFieldBreak = ",\n      \""
	spikeFlagIndent = "\n        "
)

// appendSpikeRun appends r as an element of the report's spike_runs
// list: exactly what encoding/json, indenting by two spaces without
// escaping HTML, writes for it there, from the line break before its
// opening brace to its closing brace. It reports false, with b as it was,
// for a value encoding/json refuses (a float that is not finite), so that
// the caller encodes the model with encoding/json and returns its error.
//
// It writes every field of SpikeRun by hand: a field added to the type
// must be added here, or TestMarshalWeeklyIsEncodingJSON fails.
func appendSpikeRun(b []byte, r *SpikeRun) ([]byte, bool) {
	orig := len(b)
	ok := true
	float := func(f float64) {
		var fine bool
		if b, fine = appendJSONFloat(b, f); !fine {
			ok = false
		}
	}
	optFloat := func(f *float64) {
		if f == nil {
			b = append(b, "null"...)
			return
		}
		float(*f)
	}
	optString := func(s *string) {
		if s == nil {
			b = append(b, "null"...)
			return
		}
		b = appendJSONString(b, *s)
	}
	key := func(name string) {
		b = append(b, spikeFieldBreak...)
		b = append(b, name...)
		b = append(b, '"', ':', ' ')
	}
	b = append(b, spikeRunIndent...)
	b = append(b, "{\n      \"run_id\": "...)
	b = appendJSONString(b, r.RunID)
	key("timestamp")
	b = appendJSONString(b, r.Timestamp)
	key("scenario_id")
	b = appendJSONString(b, r.ScenarioID)
	key("credits_total")
	float(r.CreditsTotal)
	key("baseline")
	optFloat(r.Baseline)
	key("variance_multiplier")
	optFloat(r.VarianceMultiplier)
	key("recorded_variance_multiplier")
	optFloat(r.RecordedVarianceMultiplier)
	key("severity")
	optString(r.Severity)
	key("recorded_severity")
	optString(r.RecordedSeverity)
	key("misconfig_likelihood")
	b = appendJSONString(b, r.MisconfigLikelihood)
	key("misconfig_score")
	float(r.MisconfigScore)
	key("recorded_misconfig_likelihood")
	optString(r.RecordedMisconfig)
	key("risk_flags")
	switch {
	case r.RiskFlags == nil:
		b = append(b, "null"...)
	case len(r.RiskFlags) == 0:
		b = append(b, '[', ']')
	default:
		b = append(b, '[')
		for i, f := range r.RiskFlags {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, spikeFlagIndent...)
			b = appendJSONString(b, f)
		}
		b = append(b, "\n      ]"...)
	}
	key("status")
	b = appendJSONString(b, r.Status)
	key("case_id")
	optString(r.CaseID)
	key("artifacts_link")
	optString(r.ArtifactsLink)
	key("line_no")
	b = strconv.AppendInt(b, r.LineNo, 10)
	b = append(b, "\n    }"...)
	if !ok {
		return b[:orig], false
	}
	return b, true
}

// appendJSONFloat appends f as encoding/json writes a float64: like
// strconv's shortest form, in exponent notation below 1e-6 and from 1e21
// on, with a one-digit negative exponent unpadded. It reports false for a
// float that is not finite, which encoding/json refuses.
func appendJSONFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 → e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// appendJSONString appends s quoted as encoding/json writes a string
// without escaping HTML: a quote, a backslash and a control character
// escaped (\b, \f, \n, \r, \t, or \u00XX), an invalid UTF-8 byte as
// \ufffd, U+2028 and U+2029 as \u2028 and \u2029, every other byte as
// it is. Identifiers, timestamps and statuses are copied in one run.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
