package hugepages

import (
	"fmt"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		value string
		ok    bool
	}{
		{"", true}, {"on", true}, {"off", true},
		{"0", false}, {"false", false}, {"OFF", false}, {"never", false},
	} {
		t.Run(fmt.Sprintf("%q", tc.value), func(t *testing.T) {
			t.Setenv(EnvVar, tc.value)
			err := Check()
			if (err == nil) != tc.ok {
				t.Fatalf("Check() with %s=%q = %v, want ok=%v", EnvVar, tc.value, err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), EnvVar) {
				t.Fatalf("error %q does not name %s", err, EnvVar)
			}
		})
	}
}

func TestSelectedMode(t *testing.T) {
	for list, want := range map[string]string{
		"always [madvise] never\n": "madvise",
		"[always] madvise never":   "always",
		"always madvise [never]":   "never",
		"always madvise never":     "",
		"[] madvise":               "",
		"":                         "",
	} {
		if got := selectedMode(list); got != want {
			t.Errorf("selectedMode(%q) = %q, want %q", list, got, want)
		}
	}
}
