//go:build !ledgerlens_faults

package main

import "testing"

// TestReleaseBuildHasNoFaultHook: a binary built without the tests' tag
// (as `make build` builds it) has no crash-test hook, whatever the
// environment says: whoever sets a job's environment could otherwise
// kill or hang it at a chosen step (an outside review).
func TestReleaseBuildHasNoFaultHook(t *testing.T) {
	for _, spec := range []string{"kill-after:analyse", "hang-after:publish", "pause-after:render_json", "stop-after:analyse"} {
		t.Setenv("LEDGERLENS_FAULT", spec)
		if faultHook() != nil {
			t.Fatalf("LEDGERLENS_FAULT=%s gave a release build a fault hook", spec)
		}
	}
}
