package emulator_test

import (
	"runtime"
	"testing"

	"github.com/flexemu/flexemu/emulator"
)

// accountBudget is the retained heap of one idle account created with the
// default fixture (engines, clock, timeline, dispatcher).
const accountBudget = 128 << 10

// TestHeapPerAccount measures what an account costs before it does
// anything, and that the MaxAccounts bound holds with a clear error.
func TestHeapPerAccount(t *testing.T) {
	emu, err := emulator.New(emulator.WithAddr("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	n := emulator.MaxAccounts - 1
	for i := 0; i < n; i++ {
		if _, err := emu.CreateAccount(emulator.AccountParams{}); err != nil {
			t.Fatalf("account %d: %v", i+2, err)
		}
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
	t.Logf("retained heap per idle account: %.1f KB (%d accounts)", per/1024, n)
	if !raceEnabled && per > accountBudget {
		t.Errorf("an idle account retains %.1f KB, over the %d KB budget", per/1024, accountBudget>>10)
	}
	if _, err := emu.CreateAccount(emulator.AccountParams{}); twilioCode(err) != 20001 {
		t.Fatalf("account %d: %v, want Twilio's 400 (20001)", emulator.MaxAccounts+1, err)
	}
	if got := len(emu.Accounts()); got != emulator.MaxAccounts {
		t.Fatalf("%d accounts after the refusal, want %d", got, emulator.MaxAccounts)
	}
}
