// Package clock is the emulator's single source of "now" and of timers.
//
// No other package calls time.Now or time.Sleep: every timestamp, reservation
// timeout and conversation timer comes from a Clock, so tests and features can
// advance virtual time ("When 30 seconds pass") instead of sleeping.
package clock

import (
	"container/heap"
	"sync"
	"time"
)

// Clock tells the time and runs functions later. Implementations must be safe
// for concurrent use.
type Clock interface {
	Now() time.Time
	// AfterFunc runs f once after d of this clock's time has passed: in the
	// goroutine that advances the clock, or in a timer goroutine in real
	// mode; never inside AfterFunc itself, so callers may hold locks that f
	// takes. A manual clock runs an already-due f on its next Advance.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop cancels the call; it reports false if the call already ran or was stopped.
	Stop() bool
}

// Mode selects how virtual time moves.
type Mode string

const (
	// Manual time only moves when Advance or Set is called: the mode for tests.
	Manual Mode = "manual"
	// Real time follows the wall clock (plus whatever Advance added): the mode
	// for `emulator up`, so reservation timeouts fire while a developer watches.
	Real Mode = "real"
)

// Virtual is the emulator's clock: wall-clock or manual, and always advanceable.
type Virtual struct {
	mu        sync.Mutex
	mode      Mode
	base      time.Time // virtual time at wallStart
	wallStart time.Time
	offset    time.Duration // manual advances on top of wall time (Real mode)
	timers    timerHeap
	seq       uint64
	wake      *time.Timer // Real mode: fires at the next deadline
	firing    sync.Mutex  // serialises callback runs so timers fire in deadline order
}

// NewManual returns a clock frozen at start until advanced.
func NewManual(start time.Time) *Virtual {
	return &Virtual{mode: Manual, base: start.UTC()}
}

// NewReal returns a clock that follows the wall clock.
func NewReal() *Virtual {
	now := time.Now()
	return &Virtual{mode: Real, base: now.UTC(), wallStart: now}
}

// NewRealAt returns a clock that follows the wall clock from start on, so a
// restored emulator's real clock continues from the virtual time it saved.
func NewRealAt(start time.Time) *Virtual {
	return &Virtual{mode: Real, base: start.UTC(), wallStart: time.Now()}
}

// New returns a clock in the given mode; Manual clocks start at start.
func New(mode Mode, start time.Time) *Virtual {
	if mode == Real {
		return NewReal()
	}
	return NewManual(start)
}

// Mode reports how this clock moves.
func (c *Virtual) Mode() Mode { return c.mode }

// Now returns the current virtual time (UTC).
func (c *Virtual) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Virtual) nowLocked() time.Time {
	if c.mode == Real {
		return c.base.Add(time.Since(c.wallStart) + c.offset)
	}
	return c.base.Add(c.offset)
}

// AfterFunc schedules f to run once the clock reaches now+d.
func (c *Virtual) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	c.seq++
	t := &timer{c: c, at: c.nowLocked().Add(d), seq: c.seq, f: f, index: -1}
	heap.Push(&c.timers, t)
	c.rearmLocked()
	c.mu.Unlock()
	return t
}

// Advance moves the clock forward by d and runs, in deadline order, every
// timer that became due. It returns after those callbacks have run.
func (c *Virtual) Advance(d time.Duration) {
	if d < 0 {
		d = 0
	}
	c.mu.Lock()
	target := c.nowLocked().Add(d)
	c.mu.Unlock()
	c.fireUntil(target)
	c.mu.Lock()
	if now := c.nowLocked(); target.After(now) {
		c.offset += target.Sub(now)
	}
	c.rearmLocked()
	c.mu.Unlock()
}

// fireUntil runs timers due at or before target in deadline order, moving a
// manual clock to each deadline first so a callback sees the time it was due
// at and timers it schedules in turn fire if they fall before target.
func (c *Virtual) fireUntil(target time.Time) {
	c.firing.Lock()
	defer c.firing.Unlock()
	for {
		c.mu.Lock()
		if len(c.timers) == 0 || c.timers[0].at.After(target) {
			c.mu.Unlock()
			return
		}
		t := heap.Pop(&c.timers).(*timer)
		t.fired = true
		if now := c.nowLocked(); t.at.After(now) {
			c.offset += t.at.Sub(now)
		}
		c.mu.Unlock()
		t.f()
	}
}

// NextDeadline reports the earliest pending timer, if any.
func (c *Virtual) NextDeadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	return c.timers[0].at, true
}

// Pending reports how many timers are scheduled.
func (c *Virtual) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Stop releases the wall-clock wake-up timer (Real mode).
func (c *Virtual) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wake != nil {
		c.wake.Stop()
		c.wake = nil
	}
	c.timers = nil
}

// fireDue pops due timers one at a time and runs each outside c.mu, so a
// callback may schedule or stop timers. Timers added by a callback with a
// deadline already passed also fire in this loop.
func (c *Virtual) fireDue() {
	c.firing.Lock()
	defer c.firing.Unlock()
	for {
		c.mu.Lock()
		if len(c.timers) == 0 || c.timers[0].at.After(c.nowLocked()) {
			c.rearmLocked()
			c.mu.Unlock()
			return
		}
		t := heap.Pop(&c.timers).(*timer)
		t.fired = true
		c.mu.Unlock()
		t.f()
	}
}

// rearmLocked points the wall-clock wake-up at the next deadline (Real mode).
func (c *Virtual) rearmLocked() {
	if c.mode != Real {
		return
	}
	if c.wake != nil {
		c.wake.Stop()
		c.wake = nil
	}
	if len(c.timers) == 0 {
		return
	}
	d := c.timers[0].at.Sub(c.nowLocked())
	if d < 0 {
		d = 0
	}
	c.wake = time.AfterFunc(d, c.fireDue)
}

type timer struct {
	c     *Virtual
	at    time.Time
	seq   uint64
	f     func()
	index int
	fired bool
}

func (t *timer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.fired || t.index < 0 {
		return false
	}
	heap.Remove(&t.c.timers, t.index)
	t.c.rearmLocked()
	return true
}

type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*timer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	t.index = -1
	*h = old[:n-1]
	return t
}
