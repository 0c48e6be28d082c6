//go:build unix && !linux

package hostlimits

// machineMemory is not known here.
func machineMemory() uint64 { return 0 }
