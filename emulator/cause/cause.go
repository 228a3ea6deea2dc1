// Package cause makes causality data: every piece of work an account does
// carries the ID of what caused it (an inbound message, a REST call, a
// control action), and that ID is inherited by the timeline entries it
// writes, the webhooks it sends, the timers it arms and the reactions to
// webhook answers. A trace is then the timeline filtered by one ID, and a
// caller waits for its own work only, never for an unrelated conversation's
// slow webhook receiver.
package cause

import (
	"context"
	"sync"
	"sync/atomic"
)

// ID identifies one cause; 0 means none.
type ID uint64

// Tracker hands out IDs, knows the cause of the work that holds the account
// lock right now, and counts each cause's work still in flight (queued
// webhook deliveries, reactions to their answers). It is safe for concurrent
// use; its memory is bounded by the work in flight, not by history.
type Tracker struct {
	next    atomic.Uint64
	current atomic.Uint64

	mu       sync.Mutex
	work     map[ID]*work
	subjects map[string]*hold
}

type work struct {
	n    int
	idle chan struct{} // closed when n drops to 0
}

type hold struct {
	id ID
	n  int
}

// NewTracker returns an empty tracker.
func NewTracker() *Tracker {
	return &Tracker{work: map[ID]*work{}, subjects: map[string]*hold{}}
}

// New returns a fresh cause ID.
func (t *Tracker) New() ID { return ID(t.next.Add(1)) }

// Current is the cause of the work holding the account lock. Read it only
// while holding that lock: anywhere else it names someone else's work.
func (t *Tracker) Current() ID { return ID(t.current.Load()) }

// Enter makes id the current cause; the returned func restores the previous
// one. Only the holder of the account lock calls it.
func (t *Tracker) Enter(id ID) (restore func()) {
	prev := t.current.Swap(uint64(id))
	return func() { t.current.Store(prev) }
}

// Begin records one more piece of work in flight for id and returns the
// func that ends it (idempotent). Cause 0 is not tracked.
func (t *Tracker) Begin(id ID) (done func()) {
	if id == 0 {
		return func() {}
	}
	t.mu.Lock()
	w := t.work[id]
	if w == nil {
		w = &work{idle: make(chan struct{})}
		t.work[id] = w
	}
	w.n++
	t.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			t.mu.Lock()
			defer t.mu.Unlock()
			w.n--
			if w.n == 0 {
				close(w.idle)
				delete(t.work, id)
			}
		})
	}
}

// Busy reports whether id has work in flight.
func (t *Tracker) Busy(id ID) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.work[id] != nil
}

// Wait blocks until id has no work in flight or ctx ends. Work that id's
// work starts before finishing (a webhook answer's reaction) keeps it busy.
func (t *Tracker) Wait(ctx context.Context, id ID) error {
	for {
		t.mu.Lock()
		w := t.work[id]
		t.mu.Unlock()
		if w == nil {
			return nil
		}
		select {
		case <-w.idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Hold records that id is waiting on the outside world about subject (a
// webhook about conversation CH… is out), so that a REST call on that
// subject made meanwhile, typically by the user's webhook handler, can be
// adopted into id's chain. The returned func releases the hold.
func (t *Tracker) Hold(id ID, subject string) (release func()) {
	if id == 0 || subject == "" {
		return func() {}
	}
	t.mu.Lock()
	h := t.subjects[subject]
	if h == nil || h.id != id {
		h = &hold{id: id}
		t.subjects[subject] = h
	}
	h.n++
	t.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			t.mu.Lock()
			defer t.mu.Unlock()
			h.n--
			if h.n == 0 && t.subjects[subject] == h {
				delete(t.subjects, subject)
			}
		})
	}
}

// Holding reports whether any subject is held: a cheap check before
// looking for subjects in a request.
func (t *Tracker) Holding() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.subjects) > 0
}

// Holder returns the cause holding subject, if any.
func (t *Tracker) Holder(subject string) (ID, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if h := t.subjects[subject]; h != nil {
		return h.id, true
	}
	return 0, false
}
