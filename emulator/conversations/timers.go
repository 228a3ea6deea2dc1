package conversations

import (
	"fmt"
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// Timers are a conversation's state timers (timers.inactive and
// timers.closed). Both count from the conversation's last activity: its
// creation, a timer or state change, or a new message, which restarts them.
type Timers struct {
	// Inactive moves an active conversation to inactive after this long
	// without a new message; 0 means no inactive timer.
	Inactive time.Duration
	// Closed closes an active or inactive conversation after this long
	// without a new message; 0 means no closed timer.
	Closed time.Duration
	// DateInactive and DateClosed are when the pending timers fire (the
	// representation's timers.date_inactive and timers.date_closed); zero
	// when that timer is not pending.
	DateInactive time.Time
	DateClosed   time.Time
}

// TimerParams are the Timers.Inactive and Timers.Closed parameters; nil
// leaves a timer as it is (on creation: the account's default timer).
type TimerParams struct {
	Inactive *time.Duration
	Closed   *time.Duration
}

// timerOrigin is the origin of timer-driven changes: the system, reported
// with Source API and webhooks on (Twilio's Source value here is undocumented).
var timerOrigin = Origin{Source: SourceAPI, WebhookEnabled: true}

// reasonTimer and reasonAPI are onConversationStateUpdated's Reason values.
const (
	reasonAPI   = "API"
	reasonTimer = "TIMER"
)

// checkTimers validates Timers.* against Twilio's minimums and flexemu's
// maximum.
func checkTimers(p TimerParams) error {
	if err := checkTimer("Timers.Inactive", p.Inactive, minInactiveTimer); err != nil {
		return err
	}
	return checkTimer("Timers.Closed", p.Closed, minClosedTimer)
}

// checkTimer checks one timer parameter (nil: not sent) against [min, maxTimer].
func checkTimer(param string, d *time.Duration, min time.Duration) error {
	switch {
	case d == nil:
	case *d < min:
		return twilio.InvalidParam(param, "%s is shorter than the minimum of %s", twilio.FormatISODuration(*d), twilio.DescribeDuration(min))
	case *d > maxTimer:
		return twilio.InvalidParam(param, "%s is longer than the maximum of %s", twilio.FormatISODuration(*d), twilio.DescribeDuration(maxTimer))
	}
	return nil
}

// convTimers are the clock timers behind a conversation's Timers.
type convTimers struct {
	inactive, closed clock.Timer
	// gen is bumped whenever the timers are re-armed or stopped, so a
	// callback that was already due when that happened does nothing.
	gen int
	// inactiveSeq and closedSeq are when (in Engine.timerSeq) each pending
	// timer was armed: timers due at the same instant fire in arming order,
	// which a snapshot keeps (snapshot.go).
	inactiveSeq, closedSeq uint64
}

// armTimers (re)starts c's timers from now, as a new message does: the
// inactive timer only while c is active, the closed timer until c is closed.
func (e *Engine) armTimers(c *conversation) {
	e.stopTimers(c)
	if c.State == StateClosed {
		return
	}
	now := e.now()
	if d := c.Timers.Inactive; d > 0 && c.State == StateActive {
		c.Timers.DateInactive = now.Add(d)
		e.armTimer(c, StateInactive, d)
	}
	if d := c.Timers.Closed; d > 0 {
		c.Timers.DateClosed = now.Add(d)
		e.armTimer(c, StateClosed, d)
	}
}

// armTimer starts c's timer towards state, due in d (at once on the next
// clock advance when d <= 0, as a restored timer that was already due).
func (e *Engine) armTimer(c *conversation, state string, d time.Duration) {
	gen := c.timers.gen
	e.timerSeq++
	t := e.env.Clock.AfterFunc(d, func() { e.timerFired(c, gen, state) })
	if state == StateInactive {
		c.timers.inactive, c.timers.inactiveSeq = t, e.timerSeq
	} else {
		c.timers.closed, c.timers.closedSeq = t, e.timerSeq
	}
}

// stopTimers cancels c's pending timers and clears their dates.
func (e *Engine) stopTimers(c *conversation) {
	c.timers.gen++
	for _, t := range []clock.Timer{c.timers.inactive, c.timers.closed} {
		if t != nil {
			t.Stop()
		}
	}
	c.timers.inactive, c.timers.closed = nil, nil
	c.Timers.DateInactive, c.Timers.DateClosed = time.Time{}, time.Time{}
}

// timerFired moves c to state when its timer is still current: the
// conversation may have been deleted, closed, or had a message reset its
// timers while the callback was due.
func (e *Engine) timerFired(c *conversation, gen int, state string) {
	if e.conversations[c.SID] != c || c.timers.gen != gen || c.State == StateClosed {
		return
	}
	if state == StateInactive && c.State != StateActive {
		return
	}
	from := c.State
	now := e.now()
	c.DateUpdated = now
	if state == StateInactive {
		c.timers.inactive = nil
		c.Timers.DateInactive = time.Time{}
	}
	e.setState(c, state, reasonTimer)
	e.record("conversation.updated", c.SID, fmt.Sprintf("conversation %s %s by timer", c.SID, state),
		map[string]string{"conversation_sid": c.SID, "chat_service_sid": c.ChatServiceSID, "state": c.State, "reason": reasonTimer})
	e.conversationChanged(c, ChangeConversationUpdated)
	e.emit(timerOrigin, c, evConversationUpdated, conversationParams(c, true), nil)
	e.emit(timerOrigin, c, evConversationStateUpdated, stateParams(c, from, reasonTimer, now), nil)
}
