// Package emulatortest starts a private flexemu for a Go test and stops it
// when the test ends, the way miniredis.RunT does.
package emulatortest

import (
	"github.com/flexemu/flexemu/emulator"
)

// TB is the part of testing.TB that Run needs.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Run starts an emulator on a free loopback port with a manual clock (unless
// opts say otherwise) and registers Close with t.Cleanup.
func Run(t TB, opts ...emulator.Option) *emulator.Emulator {
	t.Helper()
	emu, err := emulator.New(append([]emulator.Option{emulator.WithAddr("127.0.0.1:0")}, opts...)...)
	if err != nil {
		t.Fatalf("flexemu: %v", err)
	}
	if err := emu.Start(); err != nil {
		t.Fatalf("flexemu: %v", err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	return emu
}
