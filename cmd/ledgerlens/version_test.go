package main

import (
	"runtime/debug"
	"testing"
)

func TestVersionOf(t *testing.T) {
	rev := "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"tagged module", debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "v1.4.0"},
		{"vcs revision", debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "false"}}}, "dev+0123456789ab"},
		{"dirty tree", debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "true"}}}, "dev+0123456789ab-dirty"},
		{"nothing known", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
	}
	for _, tt := range tests {
		if got := versionOf(&tt.bi); got != tt.want {
			t.Errorf("%s: versionOf = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestNoopState: a re-run that finds its result published by another
// release says so, instead of "identical" alone (the version is not
// compared: an outside review found the message misleading).
func TestNoopState(t *testing.T) {
	for _, tc := range []struct{ publishedBy, want string }{
		{version(), "already published, identical (no-op)"},
		{"", "already published, identical (no-op)"},
		{"v0.9.0", "already published by ledgerlens v0.9.0, identical but for the generator version (no-op)"},
	} {
		if got := noopState(tc.publishedBy); got != tc.want {
			t.Errorf("noopState(%q) = %q, want %q", tc.publishedBy, got, tc.want)
		}
	}
}
