package inputs

import (
	"encoding/json"
	"errors"
	"testing"
)

// TestJSONErrorPosition: the place of the byte encoding/json stopped at,
// for the readers that name it. The scheduler's state file had a helper
// of its own that counted the byte at fault too, so a line feed inside a
// string was placed on the line after it.
func TestJSONErrorPosition(t *testing.T) {
	tests := []struct {
		name      string
		data      string
		into      any
		line, col int
		ok        bool
	}{
		{"syntax error on the second line", "{\"a\": 1,\n  \"b\": x}", &map[string]any{}, 2, 8, true},
		{"a line feed inside a string", "{\"a\":\n\"x\ny\"}", &map[string]any{}, 2, 3, true},
		{"a value of the wrong type", "{\n\"a\": 1,\n\"b\": \"two\"\n}", &struct{ B int }{}, 3, 10, true},
		{"cut short: placed at its last byte", "{\"a\": [1, 2", &map[string]any{}, 1, 11, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := json.Unmarshal([]byte(tt.data), tt.into)
			if err == nil {
				t.Fatal("decoded")
			}
			line, col, ok := JSONErrorPosition([]byte(tt.data), err)
			if line != tt.line || col != tt.col || ok != tt.ok {
				t.Errorf("%v: got line %d column %d ok %t, want %d, %d, %t", err, line, col, ok, tt.line, tt.col, tt.ok)
			}
		})
	}
	if _, _, ok := JSONErrorPosition(nil, errors.New("read: no such file")); ok {
		t.Error("an error without an offset was placed")
	}
}
