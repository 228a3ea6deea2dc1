package taskrouter

import (
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
)

// vtimer is an engine timer on the account clock, with what a snapshot
// needs to arm it again in another process: its absolute virtual deadline
// and its arming order. The clock fires timers with equal deadlines in the
// order they were armed, so a restored engine re-arms them sorted by
// (at, seq) to keep ties firing as they would have (snapshot.go).
type vtimer struct {
	t   clock.Timer
	at  time.Time
	seq uint64 // Engine.armSeq when armed
}

// after arms f to run d from now on the account clock.
func (e *Engine) after(d time.Duration, f func()) *vtimer {
	e.armSeq++
	return &vtimer{t: e.env.Clock.AfterFunc(d, f), at: e.env.Now().Add(d), seq: e.armSeq}
}

// rearm arms f at a stored deadline and arming order (Restore). A deadline
// already reached fires on the clock's next advance (the clock runs every
// timer whose deadline is not after the target, so a zero delay is due).
func (e *Engine) rearm(at time.Time, seq uint64, f func()) *vtimer {
	d := at.Sub(e.env.Now())
	if d < 0 {
		d = 0
	}
	return &vtimer{t: e.env.Clock.AfterFunc(d, f), at: at, seq: seq}
}

func stopTimer(t **vtimer) {
	if *t != nil {
		(*t).t.Stop()
		*t = nil
	}
}
