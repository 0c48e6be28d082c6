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
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(w); err != nil {
		t.Fatal(err)
	}
	got, err := MarshalWeekly(w)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("MarshalWeekly differs from encoding with indentation:\n%s\nwant\n%s", got, want.Bytes())
	}
	compact, err := MarshalWeeklyCompact(w)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(compact, []byte("\n  ")) || !bytes.HasSuffix(compact, []byte("}\n")) {
		t.Fatalf("MarshalWeeklyCompact is not one line and a newline: %.200s", compact)
	}
}
