package steps

import (
	"context"
	"strings"
	"time"
)

var emulatorSteps = []stepDef{
	{pattern: `^the emulator is running with the default fixture$`, fn: (*World).runningWithDefaultFixture, starts: true,
		doc: "a fresh emulator (or a reset of the one WithURL names) from the embedded default fixture"},
	{pattern: `^the emulator is running with the fixture "([^"]+)"$`, fn: (*World).runningWithFixture, starts: true,
		doc: `a fresh emulator from a shipped fixture ("sales-support.yaml") or a fixture file path`},
	{pattern: `^(\d+) (second|seconds|minute|minutes) pass(?:es)?$`, fn: (*World).timePasses,
		doc: "advances the virtual clock, firing the timers due (reservation timeouts, conversation timers…)"},
}

func (w *World) runningWithDefaultFixture(ctx context.Context) error { return w.start("") }

func (w *World) runningWithFixture(ctx context.Context, name string) error { return w.start(name) }

func (w *World) timePasses(ctx context.Context, n int, unit string) error {
	d := time.Duration(n) * time.Second
	if strings.HasPrefix(unit, "minute") {
		d = time.Duration(n) * time.Minute
	}
	return w.Control.Advance(ctx, d)
}
