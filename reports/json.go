package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// MarshalWeekly renders the report as deterministic JSON: struct field order
// is the key order, maps are sorted by encoding/json, numbers were rounded
// when the model was built, and nothing here reads the clock. Two spaces of
// indentation and a final newline, so diffs and jq both read well. It is
// IndentWeekly of MarshalWeeklyCompact.
func MarshalWeekly(w *Weekly) ([]byte, error) {
	compact, err := MarshalWeeklyCompact(w)
	if err != nil {
		return nil, err
	}
	return IndentWeekly(compact)
}

// MarshalWeeklyCompact encodes the report model without indentation (and
// without escaping HTML characters, as the report does not), with a final
// newline: what a job checkpoints, and what IndentWeekly turns into the
// report's bytes without encoding the model a second time.
//
// The spike runs are nearly all of a large report (58 of 59 MB at ten
// million runs). encoding/json builds a value in one buffer grown by
// doubling and then copies it out, touching about three times the
// output's size in fresh memory; so the rest of the model is encoded with
// an empty list in their place, and the runs one by one into that place,
// in a buffer sized once from the first run. The bytes are encoding/json's
// either way (TestMarshalWeeklyCompactIsEncodingJSON).
func MarshalWeeklyCompact(w *Weekly) ([]byte, error) {
	if len(w.SpikeRuns) == 0 {
		return encodeCompact(w)
	}
	shell := *w
	shell.SpikeRuns = []SpikeRun{}
	head, err := encodeCompact(&shell)
	if err != nil {
		return nil, err
	}
	slot := []byte(`"spike_runs":[`)
	at := bytes.Index(head, append(slot, ']'))
	if at < 0 || bytes.Count(head, slot) != 1 {
		return encodeCompact(w) // no single place to put them: encode as a whole
	}
	at += len(slot)
	var item bytes.Buffer
	enc := json.NewEncoder(&item)
	enc.SetEscapeHTML(false)
	var out []byte
	for i := range w.SpikeRuns {
		item.Reset()
		// A pointer, as the runs are addressable in the slice.
		if err := enc.Encode(&w.SpikeRuns[i]); err != nil {
			return nil, fmt.Errorf("render report JSON: %w", err)
		}
		run := bytes.TrimSuffix(item.Bytes(), []byte{'\n'})
		if out == nil {
			out = make([]byte, 0, len(head)+(len(run)+1)*len(w.SpikeRuns)*9/8)
			out = append(out, head[:at]...)
		} else {
			out = append(out, ',')
		}
		out = append(out, run...)
	}
	return append(out, head[at:]...), nil
}

// encodeCompact is encoding/json's compact encoding of w, as
// MarshalWeeklyCompact's doc says.
func encodeCompact(w *Weekly) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(w); err != nil {
		return nil, fmt.Errorf("render report JSON: %w", err)
	}
	return b.Bytes(), nil
}

// IndentWeekly indents MarshalWeeklyCompact's output as MarshalWeekly
// does; the result is byte for byte MarshalWeekly's (encoding/json's
// Encoder indents the same way). It indents with indentJSON, and with
// json.Indent (which says what is wrong) should the bytes not be
// encoding/json's compact output.
func IndentWeekly(compact []byte) ([]byte, error) {
	// Room for the indented report, which is about 1.3 times the compact
	// one. Made here with make, fresh memory is not cleared first, so only
	// the pages the output fills are touched; grown by appending, all of
	// them are (BENCHMARKS.md, page faults).
	buf := make([]byte, 0, 2*len(compact))
	if out, ok := indentJSON(buf, compact); ok {
		return out, nil
	}
	b := bytes.NewBuffer(buf)
	if err := json.Indent(b, compact, "", "  "); err != nil {
		return nil, fmt.Errorf("render report JSON: %w", err)
	}
	return b.Bytes(), nil
}

// ReportHead is the beginning of a published weekly report: enough to know
// which week it covers and how much of the ledger it saw.
type ReportHead struct {
	PeriodStart string
	Revision    int
	Inputs      Inputs
}

// ReadReportHead decodes only the leading keys of a weekly report, up to and
// including "inputs", without reading the (possibly large) rest.
func ReadReportHead(r io.Reader) (ReportHead, error) {
	var h ReportHead
	dec := json.NewDecoder(r)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return h, fmt.Errorf("not a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return h, err
		}
		key, _ := tok.(string)
		switch key {
		case "period_start":
			err = dec.Decode(&h.PeriodStart)
		case "revision":
			err = dec.Decode(&h.Revision)
		case "inputs":
			return h, dec.Decode(&h.Inputs)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return h, fmt.Errorf("key %s: %w", key, err)
		}
	}
	return h, fmt.Errorf("no inputs key")
}
