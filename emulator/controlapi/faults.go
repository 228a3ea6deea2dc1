package controlapi

import (
	"github.com/flexemu/flexemu/emulator/eventtype"
	"github.com/flexemu/flexemu/emulator/timeline"
)

// FaultSpec declares an injected fault, as the control API, the fixture's
// faults section and the Godog steps write it. A route fault (Path set)
// makes matching product API calls answer Twilio's error Code with HTTP
// Status, after Delay, or just be delayed; a webhook fault (URL set) makes
// deliveries to matching URLs fail, time out or be slowed (Mode).
type FaultSpec struct {
	// Product is a product's path prefix ("taskrouter"); "" matches every
	// product unless Path names one.
	Product string `json:"product,omitempty"`
	// Method is an HTTP method; "" or "*" matches any.
	Method string `json:"method,omitempty"`
	// Path is the API path pattern: "/v1/Workspaces/*/Tasks", where * is one
	// path segment and a final ** any number of them. It may start with a
	// product's Twilio host ("https://taskrouter.twilio.com/v1/…") or its
	// emulator prefix ("/taskrouter/v1/…").
	Path string `json:"path,omitempty"`
	// Status and Code are the error answered; either alone implies the
	// other for Twilio's 20xxx codes (429 ⇄ 20429).
	Status  int    `json:"status,omitempty"`
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`

	// URL is the webhook target pattern: the delivery's URL without its
	// query, where * matches any run of characters.
	URL string `json:"url,omitempty"`
	// Mode is fail, timeout or slow.
	Mode string `json:"mode,omitempty"`
	// Body is what a failing webhook target seems to answer.
	Body string `json:"body,omitempty"`

	// Delay is a Go or ISO 8601 duration ("2s", "PT2S"), at most a minute.
	Delay string `json:"delay,omitempty"`
	// Times is how many matching calls or delivery attempts the fault
	// takes; 0 means every one until the fault is removed.
	Times int `json:"times,omitempty"`
}

// Fault is a declared fault and how often it struck.
type Fault struct {
	ID string `json:"id"`
	// Kind is "route" or "webhook".
	Kind string `json:"kind"`
	FaultSpec
	// Hits counts the calls or attempts the fault changed.
	Hits int `json:"hits"`
	// Remaining is how many more it will change; absent when Times is 0.
	Remaining *int `json:"remaining,omitempty"`
	// Fixture marks a fault the fixture declares: Reset re-applies it.
	Fixture bool `json:"fixture,omitempty"`
}

// Fault kinds.
const (
	FaultRoute   = "route"
	FaultWebhook = "webhook"
)

// KindFault marks a timeline entry recording an injected fault.
const KindFault = timeline.KindFault

// FaultInjected is the Type of every injected fault's timeline entry; its
// refs name the fault (fault_id), what it struck (method and path, or url
// and event) and how (status, code, mode, delay).
const FaultInjected = eventtype.FaultInjected
