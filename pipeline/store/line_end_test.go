package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

func TestCheckUnterminated(t *testing.T) {
	for _, tc := range []struct {
		name string
		tail []byte
		why  string // "": a line being written
		at   int64
	}{
		{"nothing", nil, "", 0},
		{"a line being written", []byte(`{"Run_ID":"R-1","Times`), "", 0},
		{"CR LF half written", []byte("{\"Run_ID\":\"R-1\"}\r"), "", 0},
		{"a line ended by CR alone", []byte("{\"Run_ID\":\"R-1\"}\r{\"Run"), inputs.UnfinishedCR, 700 + 16},
		{"CR then nothing but CR", []byte("{}\r\r"), inputs.UnfinishedCR, 702},
		{"NUL bytes a crash left", []byte("\x00\x00\x00\x00"), inputs.UnfinishedNUL, 700},
		{"a NUL before a CR", []byte("{\x00}\r{}"), inputs.UnfinishedNUL, 701},
		{"records joined without line ends", []byte(`{"Run_ID":"R-1"}{"Run_ID":"R-2"}{`), inputs.UnfinishedJoined, 716},
		{"a whole record, its line feed to come", []byte(`{"Run_ID":"R-1"} `), "", 0},
		{"a record, then a stray byte (a reject once its line feed comes)", []byte("{\"Run_ID\":\"R-1\"}\xa0"), "", 0},
		{"values that are no records", []byte(`12 34`), "", 0},
		{"a line as long as a line may be, then half of CR LF", append(bytes.Repeat([]byte("x"), inputs.MaxLineBytes), '\r'), "", 0},
		{"a line as long as a line may be", bytes.Repeat([]byte("x"), inputs.MaxLineBytes), "", 0},
		{"a byte longer", bytes.Repeat([]byte("x"), inputs.MaxLineBytes+1), inputs.UnfinishedTooLong, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkUnterminated(tc.tail, 7, 700)
			var le *LineEndError
			if tc.why == "" {
				if err != nil {
					t.Fatalf("want no error, got %v", err)
				}
				return
			}
			if !errors.As(err, &le) || le.Why != tc.why || le.Line != 7 || le.Offset != 700 || le.At != tc.at {
				t.Fatalf("want a LineEndError %s at line 7, byte 700 (at %d), got %#v", tc.why, tc.at, err)
			}
		})
	}
}

// TestUnterminatedTail: the verifiers' reading of a ledger's last bytes
// finds what the ingest stops on, at the same line and byte.
func TestUnterminatedTail(t *testing.T) {
	const covered = "{\"a\":1}\n{\"a\":2}\n"
	for _, tc := range []struct {
		name     string
		appended string
		why      string
		line, at int64
	}{
		{"nothing appended", "", "", 0, 0},
		{"complete lines appended", "{\"a\":3}\n", "", 0, 0},
		{"a line being written", "{\"a\":3}\n{\"a\"", "", 0, 0},
		{"lines ended by CR alone", "{\"a\":3}\n{\"a\":4}\r{\"a\":5}\r", inputs.UnfinishedCR, 4, int64(len(covered)) + 8 + 7},
		{"zeros", "{\"a\":3}\n\x00\x00", inputs.UnfinishedNUL, 4, int64(len(covered)) + 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ledger.jsonl")
			if err := os.WriteFile(path, []byte(covered+tc.appended), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			le, err := unterminatedTail(context.Background(), f, int64(len(covered)), 2, int64(len(covered)+len(tc.appended)))
			if err != nil {
				t.Fatal(err)
			}
			if tc.why == "" {
				if le != nil {
					t.Fatalf("want nothing, got %v", le)
				}
				return
			}
			if le == nil || le.Why != tc.why || le.Line != tc.line || le.At != tc.at {
				t.Fatalf("want %s at line %d, byte %d; got %#v", tc.why, tc.line, tc.at, le)
			}
		})
	}
}
