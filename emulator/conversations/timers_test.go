package conversations

import (
	"strings"
	"testing"
	"time"
)

// TestStateTimers runs a customer conversation through its timers on a
// manual clock: messages reset the inactive timer and reactivate, the closed
// timer closes and frees the binding, and the next message opens a new
// conversation.
func TestStateTimers(t *testing.T) {
	e, ev := newTestEngine(t)
	clk := ev.Clock.(interface{ Advance(time.Duration) })
	rc := newReceiver(t, ev.AuthToken)
	if _, err := e.UpdateConfiguration(UpdateConfigurationParams{DefaultInactiveTimer: ptr(5 * time.Minute),
		DefaultClosedTimer: ptr(30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.UpdateWebhookConfiguration(UpdateWebhookConfigurationParams{PostWebhookURL: ptr(rc.URL + "/post"),
		Filters: []string{"onConversationUpdated", "onConversationStateUpdated"}}); err != nil {
		t.Fatal(err)
	}
	mustAddress(t, e, CreateAddressConfigurationParams{Type: "sms", Address: smsProxy, AutoCreation: defaultAutoCreation()})
	start := ev.Now()
	first, err := e.Inbound(InboundParams{From: smsCust, To: smsProxy, Body: "one"})
	if err != nil {
		t.Fatal(err)
	}
	sid := first.Conversation.SID
	if tm := first.Conversation.Timers; tm.Inactive != 5*time.Minute || !tm.DateInactive.Equal(start.Add(5*time.Minute)) ||
		!tm.DateClosed.Equal(start.Add(30*time.Minute)) {
		t.Fatalf("timers from the account defaults: %+v", tm)
	}
	state := func() Conversation {
		t.Helper()
		c, err := e.Conversation(sid)
		if err != nil {
			t.Fatal(err)
		}
		return *c
	}

	clk.Advance(4 * time.Minute)
	if _, err := e.Inbound(InboundParams{From: smsCust, To: smsProxy, Body: "two"}); err != nil {
		t.Fatal(err)
	}
	if c := state(); c.State != StateActive || !c.Timers.DateInactive.Equal(ev.Now().Add(5*time.Minute)) {
		t.Fatalf("a message did not reset the inactive timer: %+v", c)
	}
	clk.Advance(4 * time.Minute) // 8 min: inactive timer now due at 9
	if c := state(); c.State != StateActive {
		t.Fatalf("inactive too early: %s", c.State)
	}
	clk.Advance(time.Minute)
	if c := state(); c.State != StateInactive || !c.Timers.DateInactive.IsZero() || c.Timers.DateClosed.IsZero() {
		t.Fatalf("after the inactive timer: %+v", c)
	}
	// A new message reactivates and restarts both timers.
	if _, err := e.Inbound(InboundParams{From: smsCust, To: smsProxy, Body: "three"}); err != nil {
		t.Fatal(err)
	}
	if c := state(); c.State != StateActive || !c.Timers.DateClosed.Equal(ev.Now().Add(30*time.Minute)) {
		t.Fatalf("after a message while inactive: %+v", c)
	}
	clk.Advance(30 * time.Minute)
	if c := state(); c.State != StateClosed || !c.Timers.DateClosed.IsZero() {
		t.Fatalf("after the closed timer: %+v", c)
	}
	if _, err := e.AddMessage(sid, CreateMessageParams{Body: "late"}); err == nil {
		t.Error("a closed conversation accepted a message")
	}
	next, err := e.Inbound(InboundParams{From: smsCust, To: smsProxy, Body: "hello again"})
	if err != nil || !next.Created || next.Conversation.SID == sid {
		t.Fatalf("message after close = %+v, %v; want a new conversation", next, err)
	}

	_ = ev.Webhooks.Wait(t.Context())
	var got []string
	for _, h := range rc.at("/post") {
		if h.Params["ConversationSid"] != sid {
			continue
		}
		ev := h.Params["EventType"]
		if ev == evConversationStateUpdated {
			ev += "(" + h.Params["StateFrom"] + "→" + h.Params["StateTo"] + " " + h.Params["Reason"] + ")"
		}
		if !h.SignatureOK {
			t.Errorf("%s: bad signature", ev)
		}
		got = append(got, ev)
	}
	want := []string{
		"onConversationUpdated", "onConversationStateUpdated(active→inactive TIMER)",
		"onConversationStateUpdated(inactive→active API)",
		"onConversationUpdated", "onConversationStateUpdated(active→inactive TIMER)",
		"onConversationUpdated", "onConversationStateUpdated(inactive→closed TIMER)",
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("state webhooks\n got %v\nwant %v", got, want)
	}
}

func TestTimerParams(t *testing.T) {
	e, ev := newTestEngine(t)
	clk := ev.Clock.(interface{ Advance(time.Duration) })
	cases := []struct {
		name string
		p    TimerParams
		want string // error substring; "" for success
	}{
		{name: "inactive below 1 minute", p: TimerParams{Inactive: ptr(30 * time.Second)}, want: "Timers.Inactive"},
		{name: "closed below 10 minutes", p: TimerParams{Closed: ptr(9 * time.Minute)}, want: "Timers.Closed"},
		{name: "both at their minimums", p: TimerParams{Inactive: ptr(time.Minute), Closed: ptr(10 * time.Minute)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.CreateConversation(CreateConversationParams{Timers: tc.p})
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("create: %v, want %q", err, tc.want)
			}
			c, _ := e.CreateConversation(CreateConversationParams{})
			_, err = e.UpdateConversation(c.SID, UpdateConversationParams{Timers: tc.p})
			if (err == nil) != (tc.want == "") {
				t.Fatalf("update: %v, want %q", err, tc.want)
			}
		})
	}

	// Updating timers restarts them from now; deleting stops them.
	c, _ := e.CreateConversation(CreateConversationParams{Timers: TimerParams{Closed: ptr(10 * time.Minute)}})
	clk.Advance(9 * time.Minute)
	if _, err := e.UpdateConversation(c.SID, UpdateConversationParams{Timers: TimerParams{Inactive: ptr(2 * time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if got, _ := e.Conversation(c.SID); got.State != StateActive {
		t.Fatalf("old closed deadline still fired: %s", got.State)
	}
	clk.Advance(time.Minute)
	if got, _ := e.Conversation(c.SID); got.State != StateInactive {
		t.Fatalf("new inactive timer did not fire: %s", got.State)
	}
	// Setting a conversation inactive by hand keeps only its closed timer.
	d, _ := e.CreateConversation(CreateConversationParams{Timers: TimerParams{Inactive: ptr(time.Minute), Closed: ptr(10 * time.Minute)}})
	got, _ := e.UpdateConversation(d.SID, UpdateConversationParams{State: ptr(StateInactive)})
	if !got.Timers.DateInactive.IsZero() || got.Timers.DateClosed.IsZero() {
		t.Errorf("inactive by API: timers %+v", got.Timers)
	}
	if err := e.DeleteConversation(d.SID, Origin{}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour) // must not touch the deleted conversation
	if _, err := e.Conversation(d.SID); err == nil {
		t.Error("deleted conversation is back")
	}
}
