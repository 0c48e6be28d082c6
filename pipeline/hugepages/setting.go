package hugepages

import (
	"fmt"
	"os"
	"strings"
)

// EnvVar turns the advice on for a process when it is "on".
const EnvVar = "LEDGERLENS_HUGEPAGES"

// modePath is where Linux states its transparent huge page mode.
const modePath = "/sys/kernel/mm/transparent_hugepage/enabled"

// Check returns an error when LEDGERLENS_HUGEPAGES holds anything but
// "on", "off" or nothing: the wrapper reads it before main runs and treats
// every value but "on" as off, so a mistyped "1" or "true" would leave
// the advice off without a word.
func Check() error {
	switch v := os.Getenv(EnvVar); v {
	case "", "on", "off":
		return nil
	default:
		return fmt.Errorf("%s=%q: want on or off", EnvVar, v)
	}
}

// KernelMode returns the kernel's transparent huge page mode ("always",
// "madvise" or "never"), or "" when the kernel does not say (no THP
// support, or not Linux).
func KernelMode() string {
	b, err := os.ReadFile(modePath)
	if err != nil {
		return ""
	}
	return selectedMode(string(b))
}

// selectedMode returns the bracketed choice of a sysfs mode list such as
// "always [madvise] never", or "" when none is bracketed.
func selectedMode(list string) string {
	for _, f := range strings.Fields(list) {
		if len(f) > 2 && strings.HasPrefix(f, "[") && strings.HasSuffix(f, "]") {
			return f[1 : len(f)-1]
		}
	}
	return ""
}
