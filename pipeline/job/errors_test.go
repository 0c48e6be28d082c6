package job

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

// TestWithProblems: a job's failure keeps the problems found before it
// (exit 4), and a problem both it and they name is said once.
func TestWithProblems(t *testing.T) {
	changed := "baseline record r.json changed since baseline_proposed at audit seq 3 recorded it (sha256 a, recorded b): restore it"
	other := "weekly_x.json: missing"
	for _, tt := range []struct {
		name     string
		err      error
		problems []string
		want     []string // the integrity problems the result carries; nil: err as it was
	}{
		{"no problems", errors.New("disk full"), nil, nil},
		{"an ordinary failure", errors.New("disk full"), []string{changed}, []string{changed}},
		{"the same problem twice", fmt.Errorf("analyse: %w", &IntegrityError{Problems: []string{changed}}), []string{changed, other}, []string{changed, other}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := WithProblems(tt.err, tt.problems)
			var ie *IntegrityError
			switch {
			case tt.want == nil:
				if got != tt.err {
					t.Errorf("got %v, want %v", got, tt.err)
				}
			case !errors.As(got, &ie) || !slices.Equal(ie.Problems, tt.want):
				t.Errorf("got %v, want the problems %q", got, tt.want)
			case !errors.Is(got, ErrIntegrity) || !errors.Is(got, tt.err):
				t.Errorf("got %v, want an integrity problem wrapping %v", got, tt.err)
			}
		})
	}
}
