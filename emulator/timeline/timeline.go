// Package timeline is the account's append-only record of everything that
// happened: API calls, state transitions and webhook deliveries, in order,
// each with the cause it belongs to. The send CLI, the Godog steps and the
// control API all read it, so nobody has to scrape logs to learn what the
// emulator did. It is a ring bounded in bytes: a developer leaves flexemu
// running all day, so the oldest entries go first.
package timeline

import (
	"context"
	"sync"
	"time"

	"github.com/flexemu/flexemu/emulator/cause"
	"github.com/flexemu/flexemu/emulator/clock"
)

// Kind groups entries.
type Kind string

// Entry kinds.
const (
	KindAPI     Kind = "api"     // a REST or control API call was handled
	KindState   Kind = "state"   // a resource was created or changed state
	KindWebhook Kind = "webhook" // an outbound webhook was delivered (or failed)
	KindFault   Kind = "fault"   // an injected fault struck a request or a webhook
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
	// Cause is what this entry happened because of (an inbound message, a
	// REST call…): every entry of one customer message's chain shares it.
	Cause cause.ID `json:"cause,omitempty"`
}

// DefaultMaxBytes bounds the timeline's memory; the oldest entries are
// dropped first. About 60,000 entries of an inbound chain's size.
const DefaultMaxBytes = 16 << 20

// Timeline is safe for concurrent use.
type Timeline struct {
	clock  clock.Clock
	causes *cause.Tracker

	mu       sync.Mutex
	store    store // entries first … next-1
	first    int64
	next     int64
	bytes    int
	maxBytes int
	// changed is closed by the next append; nil while nobody waits, so an
	// append nobody waits for allocates no channel.
	changed chan struct{}
}

// New returns an empty timeline stamping entries with clk. Entries appended
// without a Cause get causes.Current(), the cause of the work holding the
// account lock; causes may be nil (no stamping).
func New(clk clock.Clock, causes *cause.Tracker) *Timeline {
	return &Timeline{clock: clk, causes: causes, first: 1, next: 1, maxBytes: DefaultMaxBytes}
}

// SetMaxBytes changes the byte bound (at least 64 KiB), dropping the oldest
// entries at the next append if the timeline is over it.
func (t *Timeline) SetMaxBytes(n int) {
	if n < 64<<10 {
		n = 64 << 10
	}
	t.mu.Lock()
	t.maxBytes = n
	t.mu.Unlock()
}

// Append records e, stamping Seq, Time and (if unset) Cause, and returns
// the stored entry. Callers that do not hold the account lock must set Cause.
func (t *Timeline) Append(e Entry) Entry {
	e.Time = t.clock.Now()
	if e.Cause == 0 && t.causes != nil {
		e.Cause = t.causes.Current()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e.Seq = t.next
	t.add(t.store.record(e))
	return e
}

// AppendPairs is Append for an entry whose Refs are given as key, value
// pairs sorted by key instead of a map: the timeline keeps the slice as it
// is, so recording costs no map and no sort (the server records one entry
// per API call). The caller must not change refs afterwards. e.Refs is
// ignored.
func (t *Timeline) AppendPairs(e Entry, refs []string) {
	e.Time = t.clock.Now()
	if e.Cause == 0 && t.causes != nil {
		e.Cause = t.causes.Current()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.add(t.store.pairsRecord(e, refs))
}

// add stores r as the next entry, dropping the oldest while over the bound;
// t.mu is held.
func (t *Timeline) add(r record) {
	t.next++
	t.store.push(r)
	t.bytes += int(r.size)
	for t.bytes > t.maxBytes && t.store.n > 1 {
		t.bytes -= t.store.dropOldest()
		t.first++
	}
	if t.changed != nil {
		close(t.changed)
		t.changed = nil
	}
}

// Last returns the sequence number of the newest entry (0 if none).
func (t *Timeline) Last() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.next - 1
}

// Bytes is the timeline's approximate size in memory.
func (t *Timeline) Bytes() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.bytes
}

// Len is how many entries the timeline holds.
func (t *Timeline) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.store.n
}

// startIndex is the index of the first record with Seq > seq.
func (t *Timeline) startIndex(seq int64) int {
	i := seq - t.first + 1
	if i < 0 {
		return 0
	}
	if i > int64(t.store.n) {
		return t.store.n
	}
	return int(i)
}

// Since returns a copy of the entries with Seq > seq.
func (t *Timeline) Since(seq int64) []Entry {
	t.mu.Lock()
	defer t.mu.Unlock()
	start := t.startIndex(seq)
	out := make([]Entry, 0, t.store.n-start)
	for i := start; i < t.store.n; i++ {
		out = append(out, t.store.entry(t.store.at(i), t.first+int64(i)))
	}
	return out
}

// Caused returns up to max entries with Seq > seq caused by id, oldest
// first, and whether more were left out.
func (t *Timeline) Caused(seq int64, id cause.ID, max int) (entries []Entry, truncated bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	start, n := t.startIndex(seq), 0
	for i := start; i < t.store.n; i++ {
		if t.store.at(i).cause == id {
			n++
		}
	}
	if n > max {
		n, truncated = max, true
	}
	entries = make([]Entry, 0, n)
	for i := start; i < t.store.n && len(entries) < n; i++ {
		if r := t.store.at(i); r.cause == id {
			entries = append(entries, t.store.entry(r, t.first+int64(i)))
		}
	}
	return entries, truncated
}

// Reset drops every entry; sequence numbers keep growing so readers holding
// an old cursor never see an entry twice.
func (t *Timeline) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.store.reset()
	t.bytes = 0
	t.first = t.next
}

// Wait blocks until an entry with Seq > after satisfies match, or ctx ends.
func (t *Timeline) Wait(ctx context.Context, after int64, match func(Entry) bool) (Entry, error) {
	for {
		t.mu.Lock()
		for i := t.startIndex(after); i < t.store.n; i++ {
			if e := t.store.entry(t.store.at(i), t.first+int64(i)); match(e) {
				t.mu.Unlock()
				return e, nil
			}
		}
		after = t.next - 1
		if t.changed == nil {
			t.changed = make(chan struct{})
		}
		ch := t.changed
		t.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Entry{}, ctx.Err()
		}
	}
}
