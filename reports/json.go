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
// indentation and a final newline, so diffs and jq both read well; HTML
// characters are not escaped. The bytes are encoding/json's
// (TestMarshalWeeklyIsEncodingJSON).
//
// The spike runs are nearly all of a large report (58 of 79 MB at ten
// million runs). encoding/json encodes a value compactly, then indents it
// in a second pass that runs every byte through its validating scanner,
// in buffers grown by doubling; at ten million runs that was a third of a
// second on the path between the analysis and the signatures. So the rest
// of the model is encoded by encoding/json with an empty list in their
// place, and the runs are written into that place by appendSpikeRun, in
// a buffer sized once from the first run.
func MarshalWeekly(w *Weekly) ([]byte, error) {
	if len(w.SpikeRuns) == 0 {
		return encodeIndented(w)
	}
	shell := *w
	shell.SpikeRuns = []SpikeRun{}
	head, err := encodeIndented(&shell)
	if err != nil {
		return nil, err
	}
	// A raw line break is never inside a JSON string: this is the key.
	slot := []byte("\n  \"spike_runs\": []")
	at := bytes.Index(head, slot)
	if at < 0 || bytes.Count(head, slot) != 1 {
		return encodeIndented(w) // no single place to put them: encode as a whole
	}
	at += len(slot) - 1 // before the closing bracket
	first, ok := appendSpikeRun(nil, &w.SpikeRuns[0])
	if !ok {
		return encodeIndented(w) // encoding/json says what it refuses
	}
	out := make([]byte, 0, len(head)+(len(first)+1)*len(w.SpikeRuns)*9/8)
	out = append(out, head[:at]...)
	out = append(out, first...)
	for i := 1; i < len(w.SpikeRuns); i++ {
		out = append(out, ',')
		if out, ok = appendSpikeRun(out, &w.SpikeRuns[i]); !ok {
			return encodeIndented(w)
		}
	}
	out = append(out, "\n  "...)
	return append(out, head[at:]...), nil
}

// encodeIndented is encoding/json's encoding of w as MarshalWeekly's doc
// says.
func encodeIndented(w *Weekly) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(w); err != nil {
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
