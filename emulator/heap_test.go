package emulator_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"

	"github.com/flexemu/flexemu/emulator"
)

// heapConversations is how many inbound conversations the heap measurement
// keeps alive: enough that per-conversation retained heap dominates the
// emulator's fixed cost and GC noise.
const heapConversations = 1000

// heapBudget is the retained heap one inbound conversation may cost with its
// whole chain (participant, message, Studio execution and steps, Flex
// interaction, channel and invite, TaskRouter task, reservation and events,
// timeline entries) at steady state.
const heapBudget = 16 << 10

// heapEmulator is the default account with alice able to take
// heapConversations chats; it is not started: Inbound runs in process.
func heapEmulator(tb testing.TB) *emulator.Emulator {
	tb.Helper()
	emu, err := emulator.New(emulator.WithAddr("127.0.0.1:0"), emulator.WithFixture(manyChatsFixture(tb, heapConversations)))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = emu.Close() })
	return emu
}

// heapPerConversation runs heapConversations inbound conversations to a
// pending reservation and answers the heap they retain after a GC, in bytes
// per conversation. When FLEXEMU_HEAPPROFILE names a file, an in-use heap
// profile is written there after the run.
func heapPerConversation(tb testing.TB) float64 {
	tb.Helper()
	profile := os.Getenv("FLEXEMU_HEAPPROFILE")
	if profile != "" {
		// Record every allocation so the profile attributes bytes exactly
		// rather than by 512 KiB samples.
		defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
		runtime.MemProfileRate = 1
	}
	emu := heapEmulator(tb)
	acct := emu.Account()
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < heapConversations; i++ {
		tr, err := acct.Inbound(ctx, emulator.InboundParams{From: fmt.Sprintf("whatsapp:+1555%07d", i), Body: "hello"})
		if err != nil {
			tb.Fatal(err)
		}
		if !endsReserved(tr) {
			tb.Fatalf("conversation %d ended without a reservation", i)
		}
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			tb.Fatal(err)
		}
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			tb.Fatal(err)
		}
		if err := f.Close(); err != nil {
			tb.Fatal(err)
		}
	}
	runtime.KeepAlive(emu)
	runtime.KeepAlive(acct)
	return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / heapConversations
}

// BenchmarkHeapPerConversation reports the heap one inbound conversation
// retains with its whole chain. Run it once:
//
//	go test -run '^$' -bench HeapPerConversation -benchtime=1x ./emulator/
func BenchmarkHeapPerConversation(b *testing.B) {
	var per float64
	for i := 0; i < b.N; i++ {
		per = heapPerConversation(b)
	}
	b.ReportMetric(per, "B/conversation")
}

// endsReserved reports whether a trace reached a TaskRouter reservation.
func endsReserved(tr *emulator.Trace) bool {
	for _, e := range tr.Entries {
		if e.Type == "reservation.created" {
			return true
		}
	}
	return false
}

// TestHeapPerConversation guards the budget: one inbound conversation with
// its whole chain, timeline entries included, retains at most heapBudget.
func TestHeapPerConversation(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector inflates memory")
	}
	if testing.Short() {
		t.Skip("runs a thousand conversations")
	}
	per := heapPerConversation(t)
	t.Logf("retained heap: %.0f B/conversation", per)
	if per > heapBudget {
		t.Errorf("retained heap is %.0f B/conversation, over the %d B budget", per, heapBudget)
	}
}
