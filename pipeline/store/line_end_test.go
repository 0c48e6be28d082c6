package store

import (
	"bytes"
	"errors"
	"testing"
)

func TestCheckUnterminated(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tail   []byte
		cr     bool
		tooBig bool
	}{
		{"nothing", nil, false, false},
		{"a line being written", []byte(`{"Run_ID":"R-1","Times`), false, false},
		{"CR LF half written", []byte("{\"Run_ID\":\"R-1\"}\r"), false, false},
		{"a line ended by CR alone", []byte("{\"Run_ID\":\"R-1\"}\r{\"Run"), true, false},
		{"CR then nothing but CR", []byte("{}\r\r"), true, false},
		{"a line as long as a line may be", bytes.Repeat([]byte("x"), MaxLineBytes), false, false},
		{"a byte longer", bytes.Repeat([]byte("x"), MaxLineBytes+1), false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkUnterminated(tc.tail, 7, 700)
			var le *LineEndError
			if !tc.cr && !tc.tooBig {
				if err != nil {
					t.Fatalf("want no error, got %v", err)
				}
				return
			}
			if !errors.As(err, &le) || le.CarriageReturn != tc.cr || le.Line != 7 || le.Offset != 700 {
				t.Fatalf("want a LineEndError (carriage return %v) at line 7, byte 700, got %#v", tc.cr, err)
			}
		})
	}
}
