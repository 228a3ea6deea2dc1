// Package timeline is the account's append-only record of everything that
// happened: API calls, state transitions and webhook deliveries, in order.
// The send CLI, the Godog steps and the control API all read it, so nobody
// has to scrape logs to learn what the emulator did.
package timeline

import (
	"context"
	"sync"
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
)

// Kind groups entries.
type Kind string

// Entry kinds.
const (
	KindAPI     Kind = "api"     // a REST or control API call was handled
	KindState   Kind = "state"   // a resource was created or changed state
	KindWebhook Kind = "webhook" // an outbound webhook was delivered (or failed)
)

// Entry is one thing that happened.
type Entry struct {
	Seq     int64     `json:"seq"`
	Time    time.Time `json:"time"`
	Kind    Kind      `json:"kind"`
	Product string    `json:"product"` // conversations, studio, flex, taskrouter, emulator
	// Type names the event in Twilio's words where Twilio has one:
	// "conversation.created", "reservation.created", "onMessageAdded".
	Type string `json:"type"`
	// SID is the resource the entry is about.
	SID string `json:"sid,omitempty"`
	// Refs holds related SIDs and names by field ("task_sid", "worker_name").
	Refs    map[string]string `json:"refs,omitempty"`
	Summary string            `json:"summary"`
}

// DefaultCapacity bounds memory: older entries are dropped first.
const DefaultCapacity = 100_000

// Timeline is safe for concurrent use.
type Timeline struct {
	mu       sync.Mutex
	clock    clock.Clock
	entries  []Entry // entries[i].Seq == first+i
	first    int64
	next     int64
	capacity int
	changed  chan struct{} // closed and replaced on every append
}

// New returns an empty timeline stamping entries with clk.
func New(clk clock.Clock) *Timeline {
	return &Timeline{clock: clk, first: 1, next: 1, capacity: DefaultCapacity, changed: make(chan struct{})}
}

// Append records e, stamping Seq and Time, and returns the stored entry.
func (t *Timeline) Append(e Entry) Entry {
	now := t.clock.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	e.Seq = t.next
	e.Time = now
	t.next++
	t.entries = append(t.entries, e)
	// Drop the oldest in chunks of a tenth of the capacity, so a full
	// timeline costs one copy per capacity/10 appends, not one per append.
	if len(t.entries) > t.capacity+t.capacity/10 {
		drop := len(t.entries) - t.capacity
		t.entries = append(t.entries[:0:0], t.entries[drop:]...)
		t.first += int64(drop)
	}
	close(t.changed)
	t.changed = make(chan struct{})
	return e
}

// Last returns the sequence number of the newest entry (0 if none).
func (t *Timeline) Last() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.next - 1
}

// Since returns a copy of the entries with Seq > seq.
func (t *Timeline) Since(seq int64) []Entry {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := seq - t.first + 1
	if i < 0 {
		i = 0
	}
	if i >= int64(len(t.entries)) {
		return []Entry{}
	}
	return append([]Entry(nil), t.entries[i:]...)
}

// Reset drops every entry; sequence numbers keep growing so readers holding
// an old cursor never see an entry twice.
func (t *Timeline) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.entries = nil
	t.first = t.next
}

// Wait blocks until an entry with Seq > after satisfies match, or ctx ends.
func (t *Timeline) Wait(ctx context.Context, after int64, match func(Entry) bool) (Entry, error) {
	for {
		t.mu.Lock()
		start := after - t.first + 1
		if start < 0 {
			start = 0
		}
		for i := start; i < int64(len(t.entries)); i++ {
			if match(t.entries[i]) {
				e := t.entries[i]
				t.mu.Unlock()
				return e, nil
			}
		}
		after = t.next - 1
		ch := t.changed
		t.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Entry{}, ctx.Err()
		}
	}
}
