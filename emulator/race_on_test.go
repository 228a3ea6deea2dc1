//go:build race

package emulator_test

// raceEnabled reports a -race build, whose shadow memory and instrumented
// allocations make heap measurements meaningless.
const raceEnabled = true
