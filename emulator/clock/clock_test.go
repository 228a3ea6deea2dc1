package clock

import (
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestManualAdvanceFiresInDeadlineOrder(t *testing.T) {
	c := NewManual(t0)
	var got []string
	c.AfterFunc(30*time.Second, func() { got = append(got, "30s") })
	c.AfterFunc(10*time.Second, func() { got = append(got, "10s") })
	c.AfterFunc(10*time.Second, func() { got = append(got, "10s-second") })
	stopped := c.AfterFunc(20*time.Second, func() { got = append(got, "20s") })
	if !stopped.Stop() {
		t.Fatal("Stop on a pending timer reported false")
	}
	c.Advance(15 * time.Second)
	if want := []string{"10s", "10s-second"}; !equal(got, want) {
		t.Fatalf("after 15s fired %v, want %v", got, want)
	}
	if !c.Now().Equal(t0.Add(15 * time.Second)) {
		t.Fatalf("Now = %v", c.Now())
	}
	c.Advance(15 * time.Second)
	if want := []string{"10s", "10s-second", "30s"}; !equal(got, want) {
		t.Fatalf("after 30s fired %v, want %v", got, want)
	}
	if stopped.Stop() {
		t.Fatal("second Stop reported true")
	}
}

func TestCallbackMaySchedule(t *testing.T) {
	c := NewManual(t0)
	var got []time.Duration
	c.AfterFunc(time.Second, func() {
		got = append(got, c.Now().Sub(t0))
		c.AfterFunc(time.Second, func() { got = append(got, c.Now().Sub(t0)) })
	})
	c.Advance(5 * time.Second)
	if len(got) != 2 {
		t.Fatalf("chained timer fired %d times, want 2", len(got))
	}
	if c.Pending() != 0 {
		t.Fatalf("pending = %d", c.Pending())
	}
}

func TestRealModeFiresOnWallClock(t *testing.T) {
	c := NewReal()
	defer c.Stop()
	done := make(chan struct{})
	c.AfterFunc(time.Millisecond, func() { close(done) })
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("real-mode timer never fired")
	}
}

func TestRealModeAdvance(t *testing.T) {
	c := NewReal()
	defer c.Stop()
	fired := false
	c.AfterFunc(time.Hour, func() { fired = true })
	before := c.Now()
	c.Advance(2 * time.Hour)
	if !fired {
		t.Fatal("Advance past the deadline did not fire the timer")
	}
	if c.Now().Sub(before) < 2*time.Hour {
		t.Fatal("Advance did not move Now")
	}
}

func TestConcurrentUse(t *testing.T) {
	c := NewManual(t0)
	var mu sync.Mutex
	n := 0
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			c.AfterFunc(time.Second, func() { mu.Lock(); n++; mu.Unlock() })
		}()
		go func() { defer wg.Done(); _ = c.Now() }()
	}
	wg.Wait()
	c.Advance(time.Second)
	if n != 50 {
		t.Fatalf("fired %d, want 50", n)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
