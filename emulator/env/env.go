// Package env holds what every product engine of one account is given: the
// account's identity, its clock, its timeline and its webhook dispatcher.
//
// Engines are not safe for concurrent use on their own: the account
// serialises every call into them with one mutex, and Clock.AfterFunc
// callbacks handed to an engine already run under that mutex. Webhook sends
// are non-blocking and may be made while it is held.
package env

import (
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/timeline"
	"github.com/flexemu/flexemu/emulator/webhook"
)

// Env is an account's shared machinery.
type Env struct {
	AccountSID string
	AuthToken  string
	Clock      clock.Clock
	Timeline   *timeline.Timeline
	Webhooks   *webhook.Dispatcher
}

// Now is a shortcut for e.Clock.Now().
func (e Env) Now() time.Time { return e.Clock.Now() }

// Record appends a state entry to the timeline.
func (e Env) Record(product, typ, sid, summary string, refs map[string]string) {
	e.Timeline.Append(timeline.Entry{Kind: timeline.KindState, Product: product, Type: typ,
		SID: sid, Refs: refs, Summary: summary})
}
