package main

import (
	"testing"
	"time"
)

func TestSLAPeriod(t *testing.T) {
	asuncion, err := time.LoadLocation("America/Asuncion")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		fire time.Time
		want string
	}{
		{time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC), "2026-11"},
		{time.Date(2027, 1, 1, 6, 0, 0, 0, time.UTC), "2026-12"},
		// 2023-10-01 has no 00:00 in Asuncion: the month still began on
		// the 1st, and the month before it is September.
		{time.Date(2023, 10, 2, 6, 0, 0, 0, asuncion), "2023-09"},
	}
	for _, tt := range tests {
		if got := slaPeriod(tt.fire); got != tt.want {
			t.Errorf("slaPeriod(%s) = %s, want %s", tt.fire, got, tt.want)
		}
	}
}
