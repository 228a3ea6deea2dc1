package emulator_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/timeline"
	"github.com/flexemu/flexemu/emulator/webhook"
)

// Memory bound of a long-running emulator (docs/fidelity.md, "Limits"): the
// rotating logs have fixed caps, and what users can query costs at most
// soakPerConversation per conversation (with its first message and whole
// chain) and soakPerMessage per further message.
const (
	soakLogs            = timeline.DefaultMaxBytes + webhook.MaxLogBytes
	soakPerConversation = 16 << 10
	soakPerMessage      = 2 << 10
	soakFixed           = 16 << 20 // runtime, fixture, HTTP machinery, slack
)

// TestSoakMemoryIsBounded sends FLEXEMU_SOAK_MESSAGES inbound messages
// (3,000 by default; `make soak` sends 100,000, a day of heavy development)
// with a webhook receiver on every conversation: a new conversation every
// tenth message, the rest into open ones. The timeline and the delivery log
// rotate within their byte caps, and the heap stays under the documented
// bound for the state users can still query.
func TestSoakMemoryIsBounded(t *testing.T) {
	if raceEnabled {
		t.Skip("heap figures are meaningless under -race")
	}
	n := 3000
	if v := os.Getenv("FLEXEMU_SOAK_MESSAGES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 10 {
			t.Fatalf("FLEXEMU_SOAK_MESSAGES=%q is not a count of at least 10", v)
		}
	}
	emu := startedEmulator(t, manyChatsFixture(t, 1000))
	acct := emu.Account()
	rx := newHangingReceiver(t)
	globalPostWebhook(t, acct, rx.srv.URL)
	ctx := context.Background()
	var base runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&base)
	start := time.Now()
	opened := 0
	for i := 0; i < n; i++ {
		customer := i / 10
		if i%10 == 0 {
			opened++
		}
		if _, err := acct.Inbound(ctx, emulator.InboundParams{From: fmt.Sprintf("whatsapp:+1555%07d", customer), Body: "soak " + strconv.Itoa(i)}); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if (i+1)%(n/5) == 0 {
			var m runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m)
			t.Logf("%6d messages, %5d conversations: heap %5.1f MiB, timeline %5.1f MiB (%d entries), %v",
				i+1, opened, mib(m.HeapAlloc), mib(uint64(acct.Timeline().Bytes())), acct.Timeline().Len(), time.Since(start).Round(time.Second))
		}
	}
	acct.Settle(ctx, 30*time.Second)
	var end runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&end)
	if b := acct.Timeline().Bytes(); b > timeline.DefaultMaxBytes+timeline.DefaultMaxBytes/8 {
		t.Errorf("timeline holds %.1f MiB, over its cap", mib(uint64(b)))
	}
	if d := len(acct.Webhooks().Deliveries()); d > webhook.MaxLog+webhook.MaxLog/8 {
		t.Errorf("delivery log holds %d deliveries, over its cap", d)
	}
	bound := uint64(soakFixed + soakLogs + opened*soakPerConversation + (n-opened)*soakPerMessage)
	t.Logf("after %d messages in %d conversations: heap %.1f MiB (bound %.1f MiB), %.0f B/message",
		n, opened, mib(end.HeapAlloc), mib(bound), float64(end.HeapAlloc-min(end.HeapAlloc, base.HeapAlloc))/float64(n))
	if end.HeapAlloc > bound {
		t.Errorf("heap %.1f MiB is over the documented bound %.1f MiB", mib(end.HeapAlloc), mib(bound))
	}
	// What users can query stays: every conversation's messages.
	err := acct.Do(func(e *emulator.Engines) error {
		convs, err := e.Conversations.Conversations(conversations.ListConversationsParams{})
		if err != nil {
			return err
		}
		if len(convs) != opened {
			return fmt.Errorf("%d conversations kept, want %d", len(convs), opened)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
