package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	twclient "github.com/twilio/twilio-go/client"
	conversations "github.com/twilio/twilio-go/rest/conversations/v1"

	"github.com/flexemu/flexemu/emulator"
	conv "github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/emulatortest"
	"github.com/flexemu/flexemu/emulator/twilioclient"
	"github.com/flexemu/flexemu/emulator/webhook"
)

// TestPreEventHandlerCallsTheAPI is the deadlock guard: the user's pre-event
// handler calls the emulator's REST API back before answering (as a real
// backend looking up the conversation would), and its answer still modifies
// the action. Inbound must not hold the account lock while it waits.
func TestPreEventHandlerCallsTheAPI(t *testing.T) {
	emu := emulatortest.Run(t)
	info := emu.Info(emu.URL())
	client := twilioclient.New(emu.URL(), info.AccountSID, info.AuthToken)
	validator := twclient.NewRequestValidator(info.AuthToken)

	var mu sync.Mutex
	var seen []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		params := map[string]string{}
		for k := range r.PostForm {
			params[k] = r.PostForm.Get(k)
		}
		ok := validator.Validate("http://"+r.Host+r.URL.RequestURI(), params, r.Header.Get("X-Twilio-Signature"))
		// Call back into the API while Twilio (the emulator) waits for us.
		list, err := client.ConversationsV1.ListConversation(&conversations.ListConversationParams{})
		mu.Lock()
		seen = append(seen, r.Form.Get("EventType"))
		mu.Unlock()
		if err != nil || !ok {
			http.Error(w, "lookup failed", http.StatusInternalServerError)
			return
		}
		switch r.Form.Get("EventType") {
		case "onConversationAdd":
			_ = json.NewEncoder(w).Encode(map[string]string{"friendly_name": "existing: " + strconv.Itoa(len(list))})
		case "onMessageAdd":
			_ = json.NewEncoder(w).Encode(map[string]string{"body": strings.ToUpper(r.Form.Get("Body"))})
		}
	}))
	defer hook.Close()
	if _, err := client.ConversationsV1.UpdateConfigurationWebhook((&conversations.UpdateConfigurationWebhookParams{}).
		SetPreWebhookUrl(hook.URL + "/pre?tenant=7").SetFilters([]string{"onConversationAdd", "onMessageAdd"})); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	first, err := emu.Account().Inbound(ctx, emulator.InboundParams{Body: "hello"})
	if err != nil {
		t.Fatalf("first inbound: %v", err)
	}
	second, err := emu.Account().Inbound(ctx, emulator.InboundParams{Body: "still there?"})
	if err != nil {
		t.Fatalf("second inbound: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("inbound stalled: the account lock was held while waiting for the pre-event")
	}
	c, err := client.ConversationsV1.FetchConversation(first.ConversationSID)
	if err != nil || c.FriendlyName == nil || *c.FriendlyName != "existing: 0" {
		t.Errorf("auto-created conversation %+v, %v; want the pre-event's friendly_name", c, err)
	}
	m, err := client.ConversationsV1.FetchConversationMessage(second.ConversationSID, second.MessageSID)
	if err != nil || *m.Body != "STILL THERE?" {
		t.Errorf("second message %+v, %v; want the pre-event's body", m, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(seen, ",") != "onConversationAdd,onMessageAdd" {
		t.Errorf("pre-events %v", seen)
	}
}

// TestRejectedInboundAndRetriedPostEvents: through the whole emulator, a
// 403 from the pre-event drops the message (nothing created, the reason on
// the timeline and in the error); a post-event receiver failing twice is
// retried to success while routing carries on; the control API's delivery
// log shows every attempt.
func TestRejectedInboundAndRetriedPostEvents(t *testing.T) {
	emu := emulatortest.Run(t)
	emu.Account().Webhooks().SetPolicy(webhook.Policy{Timeout: time.Second, MaxAttempts: 3})
	info := emu.Info(emu.URL())
	client := twilioclient.New(emu.URL(), info.AccountSID, info.AuthToken)

	var mu sync.Mutex
	reject, postFailures := true, 2
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.URL.Path == "/pre" && reject:
			http.Error(w, "not today", http.StatusForbidden)
		case r.URL.Path == "/post" && postFailures > 0:
			postFailures--
			http.Error(w, "busy", http.StatusInternalServerError)
		}
	}))
	defer hook.Close()
	if _, err := client.ConversationsV1.UpdateConfigurationWebhook((&conversations.UpdateConfigurationWebhookParams{}).
		SetPreWebhookUrl(hook.URL + "/pre").SetPostWebhookUrl(hook.URL + "/post").
		SetFilters([]string{"onConversationAdd", "onMessageAdded"})); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err := emu.Account().Inbound(ctx, emulator.InboundParams{Body: "spam"})
	if !errors.Is(err, conv.ErrRejected) || !strings.Contains(err.Error(), "403") {
		t.Fatalf("rejected inbound error = %v", err)
	}
	if list, _ := client.ConversationsV1.ListConversation(&conversations.ListConversationParams{}); len(list) != 0 {
		t.Fatalf("%d conversations after a rejected auto-creation", len(list))
	}
	var dropped bool
	for _, e := range emu.Account().Timeline().Since(0) {
		dropped = dropped || (e.Type == "pre_event.rejected" && e.Refs["status"] == "403")
	}
	if !dropped {
		t.Error("no pre_event.rejected entry on the timeline")
	}

	mu.Lock()
	reject = false
	mu.Unlock()
	tr, err := emu.Account().Inbound(ctx, emulator.InboundParams{Body: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	emu.Account().Settle(ctx, 5*time.Second)
	var routed bool
	for _, e := range emu.Account().Timeline().Since(0) {
		routed = routed || e.Type == "reservation.created"
	}
	if !routed {
		t.Error("a failing post-event receiver stopped routing: no reservation")
	}

	resp, err := http.Get(emu.URL() + "/emulator/v1/webhooks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var log struct {
		Deliveries []webhook.Delivery `json:"deliveries"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&log); err != nil {
		t.Fatal(err)
	}
	var pre, post []string
	for _, d := range log.Deliveries {
		switch d.Request.Event {
		case "onConversationAdd":
			pre = append(pre, strconv.Itoa(d.Status))
		case "onMessageAdded":
			if d.Request.Params.Get("ConversationSid") != tr.ConversationSID {
				t.Errorf("onMessageAdded for %s", d.Request.Params.Get("ConversationSid"))
			}
			post = append(post, strconv.Itoa(d.Attempt)+":"+strconv.Itoa(d.Status))
			if (d.Status == 500 && !strings.Contains(d.ResponseBody, "busy")) || d.LatencyMS <= 0 || d.Signature == "" {
				t.Errorf("attempt %d record lacks body, latency or signature: %+v", d.Attempt, d)
			}
		}
	}
	if strings.Join(pre, ",") != "403,200" || strings.Join(post, ",") != "1:500,2:500,3:200" {
		t.Errorf("delivery log: pre %v, post %v; want 403,200 and 1:500,2:500,3:200", pre, post)
	}
}

// TestConversationTimersOnTheAccountClock: default timers fire on the
// emulator's virtual clock, under the account lock.
func TestConversationTimersOnTheAccountClock(t *testing.T) {
	emu := emulatortest.Run(t)
	info := emu.Info(emu.URL())
	client := twilioclient.New(emu.URL(), info.AccountSID, info.AuthToken)
	if _, err := client.ConversationsV1.UpdateConfiguration((&conversations.UpdateConfigurationParams{}).
		SetDefaultInactiveTimer("PT5M").SetDefaultClosedTimer("PT10M")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tr, err := emu.Account().Inbound(ctx, emulator.InboundParams{Body: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	state := func() string {
		c, err := client.ConversationsV1.FetchConversation(tr.ConversationSID)
		if err != nil {
			t.Fatal(err)
		}
		return *c.State
	}
	emu.Account().Advance(5 * time.Minute)
	if s := state(); s != "inactive" {
		t.Fatalf("after 5 minutes: %s, want inactive", s)
	}
	emu.Account().Advance(5 * time.Minute)
	if s := state(); s != "closed" {
		t.Fatalf("after 10 minutes: %s, want closed", s)
	}
	next, err := emu.Account().Inbound(ctx, emulator.InboundParams{Body: "back again"})
	if err != nil || !next.CreatedConversation || next.ConversationSID == tr.ConversationSID {
		t.Fatalf("after close: %+v, %v; want a new conversation", next, err)
	}
}
