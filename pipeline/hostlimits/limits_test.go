package hostlimits

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limits Limits
		want   string // "" for no error
	}{
		{"unlimited", Limits{Unlimited, Unlimited, Unlimited}, ""},
		{"the least that works", Limits{MinOpenFiles, MinAddressSpace, MinStack}, ""},
		{"common defaults", Limits{1024, Unlimited, 8 << 20}, ""},
		{"open files one short", Limits{MinOpenFiles - 1, Unlimited, Unlimited}, "open files (ulimit -n) is 63; ledgerlens needs at least 64"},
		{"open files where the engine aborts", Limits{10, Unlimited, Unlimited}, "open files (ulimit -n) is 10"},
		{"address space one byte short", Limits{Unlimited, MinAddressSpace - 1, Unlimited}, "address space (ulimit -v) is 4095 MiB; ledgerlens needs at least 4096 MiB"},
		{"address space where the runtime crashes", Limits{Unlimited, 2 << 30, Unlimited}, "address space (ulimit -v) is 2048 MiB"},
		{"both: open files named first", Limits{10, 1 << 30, Unlimited}, "open files (ulimit -n) is 10"},
		{"stack where the engine's threads crashed", Limits{Unlimited, Unlimited, 64 << 10}, "stack size (ulimit -s) is 64 KiB; ledgerlens needs at least 256 KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.limits.check()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("check: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("check passed; want %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("check: %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}
