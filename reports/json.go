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
func MarshalWeeklyCompact(w *Weekly) ([]byte, error) {
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
// Encoder indents the same way).
func IndentWeekly(compact []byte) ([]byte, error) {
	// json.Indent wants room for twice the input. Made here with make,
	// fresh memory is not cleared first, so only the pages the output
	// fills are touched; grown by Indent itself, all of them are
	// (BENCHMARKS.md, page faults).
	b := bytes.NewBuffer(make([]byte, 0, 2*len(compact)))
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
