package emulator

import (
	"net/http"
	"strconv"
	"time"

	"github.com/flexemu/flexemu/emulator/cause"
	"github.com/flexemu/flexemu/emulator/controlapi"
	"github.com/flexemu/flexemu/emulator/timeline"
	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/emulator/webhook"
)

// KindFault marks a timeline entry recording an injected fault.
const KindFault = controlapi.KindFault

// FaultInjected is the Type of every injected fault's timeline entry.
const FaultInjected = controlapi.FaultInjected

// serveFaulted serves an authenticated product API call (the path below
// product) through the account's first matching route fault, if any: the
// fault's delay is waited with no lock held and ends with the request's
// context (client gone, emulator closing); then its error is answered, or,
// for a delay-only fault, next serves the call as usual.
func serveFaulted(next http.Handler, w http.ResponseWriter, r *http.Request, product string) {
	call, ok := r.Context().Value(apiCallKey{}).(*apiCall)
	if !ok {
		next.ServeHTTP(w, r)
		return
	}
	a := call.acct
	f, delay, hit := a.faults.claim(func(f *fault) bool { return f.matchesRoute(product, r.Method, r.URL.Path) })
	if !hit {
		next.ServeHTTP(w, r)
		return
	}
	// A call about a conversation whose webhook is out joins that
	// webhook's chain, as bind would have joined it.
	if a.causes.Holding() {
		if c, ok := a.conversationHolder(r.URL.Path); ok {
			call.cause = c
		}
	}
	a.recordRouteFault(f, call.cause, product, r.Method, r.URL.Path, delay)
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			twilio.WriteError(w, twilio.NewError(http.StatusServiceUnavailable, 20503,
				"the request ended during the %s delay injected by fault %s", delay, f.ID))
			return
		}
	}
	if f.Status == 0 {
		next.ServeHTTP(w, r)
		return
	}
	twilio.WriteError(w, twilio.NewError(f.Status, f.Code, "%s", f.Message))
}

// recordRouteFault puts a route fault that struck on the timeline, under
// the call's cause.
func (a *Account) recordRouteFault(f Fault, c cause.ID, product, method, path string, delay time.Duration) {
	summary := "fault " + f.ID + " on " + method + " " + path + ":"
	refs := map[string]string{"fault_id": f.ID, "method": method, "path": path, "hits": strconv.Itoa(f.Hits)}
	if delay > 0 {
		summary += " delayed " + delay.String()
		refs["delay"] = delay.String()
	}
	if f.Status != 0 {
		summary += " answered " + strconv.Itoa(f.Status) + " (Twilio error " + strconv.Itoa(f.Code) + ")"
		refs["status"], refs["code"] = strconv.Itoa(f.Status), strconv.Itoa(f.Code)
	}
	a.timeline.Append(timeline.Entry{Kind: KindFault, Product: product, Type: FaultInjected,
		Refs: refs, Summary: summary + remainingText(f), Cause: c})
}

// webhookFault is the account's webhook fault hook: it finds the first
// webhook fault matching a delivery attempt and records it on the timeline
// under the delivery's cause.
func (a *Account) webhookFault(req webhook.Request) webhook.Fault {
	f, delay, hit := a.faults.claim(func(f *fault) bool { return f.matchesURL(req.URL) })
	if !hit {
		return webhook.Fault{}
	}
	product := req.Product
	if product == "" {
		product = "emulator"
	}
	summary := "fault " + f.ID + " on " + req.Event + " → " + req.URL + ": "
	refs := map[string]string{"fault_id": f.ID, "url": req.URL, "mode": f.Mode, "event": req.Event, "hits": strconv.Itoa(f.Hits)}
	switch webhook.FaultMode(f.Mode) {
	case webhook.FaultFail:
		summary += "answered " + strconv.Itoa(f.Status) + " without delivering"
		refs["status"] = strconv.Itoa(f.Status)
	case webhook.FaultTimeout:
		summary += "timed out without delivering"
	case webhook.FaultSlow:
		summary += "slowed by " + delay.String()
		refs["delay"] = delay.String()
	}
	a.timeline.Append(timeline.Entry{Kind: KindFault, Product: product, Type: FaultInjected,
		Refs: refs, Summary: summary + remainingText(f), Cause: req.Cause})
	return webhook.Fault{Mode: webhook.FaultMode(f.Mode), Status: f.Status, Body: f.Body, Delay: delay}
}

func remainingText(f Fault) string {
	if f.Remaining == nil {
		return ""
	}
	return "; " + strconv.Itoa(*f.Remaining) + " left"
}

// resetFaults replaces the account's faults with the fixture's (declared
// afresh, hits at zero) and installs the webhook fault hook. Reset calls it
// under the account lock; the fault set has its own.
func (a *Account) resetFaults() error {
	fixed, err := compileFixtureFaults(a.fixture)
	if err != nil {
		return err
	}
	a.faults.replace(fixed)
	a.webhooks.SetFaults(a.webhookFault)
	return nil
}
