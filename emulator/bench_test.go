package emulator_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/remote"
)

// capacity is alice's chat capacity in benchmarks (TaskRouter's maximum);
// the account is reset every capacity iterations, off the timer, so every
// measured message ends in a pending reservation.
const capacity = 1000

// benchEmulator is the default account with alice able to take many chats.
func benchEmulator(b *testing.B) *emulator.Emulator {
	return startedEmulator(b, manyChatsFixture(b, capacity))
}

func reserved(tr *emulator.Trace) bool {
	for _, e := range tr.Entries {
		if e.Type == "reservation.created" {
			return true
		}
	}
	return false
}

// BenchmarkInboundToReservation measures one new customer conversation going
// through Conversations, Studio, Flex and TaskRouter to a pending
// reservation, in process.
func BenchmarkInboundToReservation(b *testing.B) {
	emu := benchEmulator(b)
	acct := emu.Account()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i > 0 && i%capacity == 0 {
			b.StopTimer()
			if err := acct.Reset(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		tr, err := acct.Inbound(ctx, emulator.InboundParams{From: fmt.Sprintf("whatsapp:+1555%07d", i), Body: "hello"})
		if err != nil {
			b.Fatal(err)
		}
		if !reserved(tr) {
			b.Fatalf("iteration %d ended without a reservation", i)
		}
	}
}

// BenchmarkInboundToReservationHTTP is the same hop chain driven over HTTP
// through the control API, as `send` does.
func BenchmarkInboundToReservationHTTP(b *testing.B) {
	emu := benchEmulator(b)
	c := remote.New(emu.URL())
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i > 0 && i%capacity == 0 {
			b.StopTimer()
			if err := c.Reset(ctx); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		tr, err := c.Inbound(ctx, emulator.InboundParams{From: fmt.Sprintf("whatsapp:+1555%07d", i), Body: "hello"})
		if err != nil {
			b.Fatal(err)
		}
		if !reserved(tr) {
			b.Fatalf("iteration %d ended without a reservation", i)
		}
	}
}
