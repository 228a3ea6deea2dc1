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

	"github.com/flexemu/flexemu/emulator/cause"
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
	// Later runs f soon, on another goroutine, under the account lock, as
	// part of cause c, unless the engines were reset in between. Engines use
	// it (through Answered) to act on a webhook's answer (an assignment
	// callback's instruction, an HTTP widget's response) without ever holding
	// the lock while waiting on the network, where the user's handler may be
	// calling back into the API. Nil in engine unit tests: see ForTest.
	Later func(c cause.ID, f func())
}

// Answered runs f, under the account lock, as part of the cause of the
// webhook delivery d (what sent the request), or at once when no Later is
// set (unit tests that drive an engine from one goroutine). It is how an
// engine acts on a webhook's answer: called from the delivery's OnResponse,
// off the lock, where the account's current cause belongs to whoever holds
// the lock (or nobody), so the delivery's own cause is carried explicitly
// and the reaction stays in its trace.
func (e Env) Answered(d webhook.Delivery, f func()) {
	if e.Later == nil {
		f()
		return
	}
	e.Later(d.Request.Cause, f)
}

// Now is a shortcut for e.Clock.Now().
func (e Env) Now() time.Time { return e.Clock.Now() }

// Record appends a state entry to the timeline.
func (e Env) Record(product, typ, sid, summary string, refs map[string]string) {
	e.Timeline.Append(timeline.Entry{Kind: timeline.KindState, Product: product, Type: typ,
		SID: sid, Refs: refs, Summary: summary})
}
