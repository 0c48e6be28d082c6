//go:build !race

package reports

// raceEnabled is true in a build with the race detector, whose own
// allocations make heap measurements meaningless.
const raceEnabled = false
