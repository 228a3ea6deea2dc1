// Package inflight counts background work that tests and the control API
// wait on. Unlike sync.WaitGroup it may be waited on while work is being
// added, which is the normal case here (a webhook answer schedules more work).
package inflight

import (
	"context"
	"sync"
)

// Counter is safe for concurrent use; the zero value is ready.
type Counter struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0; nil while n == 0
}

// Add records one more piece of work.
func (c *Counter) Add() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == 0 {
		c.idle = make(chan struct{})
	}
	c.n++
}

// Done records that one piece of work finished.
func (c *Counter) Done() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n--
	if c.n == 0 {
		close(c.idle)
		c.idle = nil
	}
}

// Wait blocks until no work is in flight or ctx ends.
func (c *Counter) Wait(ctx context.Context) error {
	c.mu.Lock()
	ch := c.idle
	c.mu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Idle reports whether no work is in flight right now.
func (c *Counter) Idle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n == 0
}
