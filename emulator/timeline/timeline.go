// Package timeline is the account's append-only record of everything that
// happened: API calls, state transitions and webhook deliveries, in order,
// each with the cause it belongs to. The send CLI, the Godog steps and the
// control API all read it, so nobody has to scrape logs to learn what the
// emulator did. It is a ring bounded in bytes: a developer leaves flexemu
// running all day, so the oldest entries go first.
package timeline

import (
	"context"
	"sort"
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
// dropped first. About 40,000 entries of an inbound chain's size.
const DefaultMaxBytes = 16 << 20

// record is an Entry as stored: refs as a flat sorted slice instead of a
// map, the time as nanoseconds, so a full timeline costs a third less.
type record struct {
	seq     int64
	at      int64
	cause   cause.ID
	kind    Kind
	product string
	typ     string
	sid     string
	summary string
	refs    []string // key, value, key, value… sorted by key
	size    int
}

// recordOverhead approximates a record's fixed cost (struct, slice header,
// string headers) for the byte bound.
const recordOverhead = 160

func newRecord(e Entry) record {
	r := record{seq: e.Seq, at: e.Time.UnixNano(), cause: e.Cause, kind: e.Kind, product: e.Product,
		typ: e.Type, sid: e.SID, summary: e.Summary}
	r.size = recordOverhead + len(e.Product) + len(e.Type) + len(e.SID) + len(e.Summary)
	if len(e.Refs) > 0 {
		keys := make([]string, 0, len(e.Refs))
		for k := range e.Refs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		r.refs = make([]string, 0, 2*len(keys))
		for _, k := range keys {
			v := e.Refs[k]
			r.refs = append(r.refs, k, v)
			r.size += 32 + len(k) + len(v)
		}
	}
	return r
}

func (r *record) entry() Entry {
	e := Entry{Seq: r.seq, Time: time.Unix(0, r.at).UTC(), Cause: r.cause, Kind: r.kind, Product: r.product,
		Type: r.typ, SID: r.sid, Summary: r.summary}
	if len(r.refs) > 0 {
		e.Refs = make(map[string]string, len(r.refs)/2)
		for i := 0; i+1 < len(r.refs); i += 2 {
			e.Refs[r.refs[i]] = r.refs[i+1]
		}
	}
	return e
}

// Timeline is safe for concurrent use.
type Timeline struct {
	clock  clock.Clock
	causes *cause.Tracker

	mu       sync.Mutex
	records  []record // records[i].seq == first+i
	first    int64
	next     int64
	bytes    int
	maxBytes int
	changed  chan struct{} // closed and replaced on every append
}

// New returns an empty timeline stamping entries with clk. Entries appended
// without a Cause get causes.Current(), the cause of the work holding the
// account lock; causes may be nil (no stamping).
func New(clk clock.Clock, causes *cause.Tracker) *Timeline {
	return &Timeline{clock: clk, causes: causes, first: 1, next: 1, maxBytes: DefaultMaxBytes, changed: make(chan struct{})}
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
	now := t.clock.Now()
	if e.Cause == 0 && t.causes != nil {
		e.Cause = t.causes.Current()
	}
	e.Time = now
	t.mu.Lock()
	defer t.mu.Unlock()
	e.Seq = t.next
	t.next++
	r := newRecord(e)
	t.records = append(t.records, r)
	t.bytes += r.size
	if t.bytes > t.maxBytes+t.maxBytes/8 {
		t.trim()
	}
	close(t.changed)
	t.changed = make(chan struct{})
	return e
}

// trim drops the oldest records until the timeline is back under its bound.
// Dropping an eighth at a time costs one copy per many appends.
func (t *Timeline) trim() {
	drop := 0
	for drop < len(t.records)-1 && t.bytes > t.maxBytes {
		t.bytes -= t.records[drop].size
		drop++
	}
	t.records = append(t.records[:0:0], t.records[drop:]...)
	t.first += int64(drop)
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
	return len(t.records)
}

// startIndex is the index of the first record with Seq > seq.
func (t *Timeline) startIndex(seq int64) int {
	i := seq - t.first + 1
	if i < 0 {
		return 0
	}
	if i > int64(len(t.records)) {
		return len(t.records)
	}
	return int(i)
}

// Since returns a copy of the entries with Seq > seq.
func (t *Timeline) Since(seq int64) []Entry {
	t.mu.Lock()
	defer t.mu.Unlock()
	rs := t.records[t.startIndex(seq):]
	out := make([]Entry, len(rs))
	for i := range rs {
		out[i] = rs[i].entry()
	}
	return out
}

// Caused returns up to max entries with Seq > seq caused by id, oldest
// first, and whether more were left out.
func (t *Timeline) Caused(seq int64, id cause.ID, max int) (entries []Entry, truncated bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	entries = []Entry{}
	for i := t.startIndex(seq); i < len(t.records); i++ {
		if t.records[i].cause != id {
			continue
		}
		if len(entries) == max {
			return entries, true
		}
		entries = append(entries, t.records[i].entry())
	}
	return entries, false
}

// Reset drops every entry; sequence numbers keep growing so readers holding
// an old cursor never see an entry twice.
func (t *Timeline) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.records = nil
	t.bytes = 0
	t.first = t.next
}

// Wait blocks until an entry with Seq > after satisfies match, or ctx ends.
func (t *Timeline) Wait(ctx context.Context, after int64, match func(Entry) bool) (Entry, error) {
	for {
		t.mu.Lock()
		for i := t.startIndex(after); i < len(t.records); i++ {
			if e := t.records[i].entry(); match(e) {
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
