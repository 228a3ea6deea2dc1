package conversations

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twilio/twilio-go/client"

	"github.com/flexemu/flexemu/emulator/timeline"
	"github.com/flexemu/flexemu/emulator/webhook"
)

// preHook is a pre-event receiver answering with a fixed status and body
// after an optional delay, recording each request and whether its
// X-Twilio-Signature validates with twilio-go.
type preHook struct {
	*httptest.Server
	status int
	body   string
	delay  time.Duration

	mu  sync.Mutex
	got []hook
}

func newPreHook(t *testing.T, authToken string, status int, body string, delay time.Duration) *preHook {
	t.Helper()
	ph := &preHook{status: status, body: body, delay: delay}
	validator := client.NewRequestValidator(authToken)
	ph.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		params := map[string]string{}
		for k, v := range r.PostForm {
			params[k] = v[0]
		}
		ok := validator.Validate("http://"+r.Host+r.URL.RequestURI(), params, r.Header.Get("X-Twilio-Signature"))
		ph.mu.Lock()
		ph.got = append(ph.got, hook{Path: r.URL.Path, Method: r.Method, Params: params, SignatureOK: ok})
		ph.mu.Unlock()
		if ph.delay > 0 {
			select {
			case <-time.After(ph.delay):
			case <-r.Context().Done():
				return
			}
		}
		if ph.body != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(ph.status)
		_, _ = w.Write([]byte(ph.body))
	}))
	t.Cleanup(ph.Close)
	return ph
}

func (ph *preHook) requests() []hook {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	return append([]hook(nil), ph.got...)
}

// TestInboundPreEventVerdicts drives both pre-events of an inbound message
// (onConversationAdd for auto-creation, onMessageAdd into an existing
// conversation) through every kind of answer.
func TestInboundPreEventVerdicts(t *testing.T) {
	type want struct {
		rejected bool
		body     string // message body committed
		attrs    string // conversation (auto-create) or message (existing) attributes
		friendly string // auto-create only
		inactive time.Duration
		author   string // existing only; default the customer
	}
	cases := []struct {
		name        string
		status      int
		answer      string
		delay       time.Duration
		unreachable bool
		autoCreate  want
		existing    want
	}{
		{name: "2xx empty proceeds unchanged", status: 200,
			autoCreate: want{body: "Hi there", attrs: "{}"}, existing: want{body: "Still there?", attrs: "{}"}},
		{name: "2xx non-JSON proceeds unchanged", status: 204, answer: "",
			autoCreate: want{body: "Hi there", attrs: "{}"}, existing: want{body: "Still there?", attrs: "{}"}},
		{name: "2xx text proceeds unchanged", status: 200, answer: "ok thanks",
			autoCreate: want{body: "Hi there", attrs: "{}"}, existing: want{body: "Still there?", attrs: "{}"}},
		{name: "2xx JSON overrides the listed fields", status: 200,
			answer:     `{"friendly_name":"WA customer","attributes":"{\"src\":\"wa\"}","timers.inactive":"PT5M","body":"[redacted]","author":"moderator"}`,
			autoCreate: want{body: "Hi there", attrs: `{"src":"wa"}`, friendly: "WA customer", inactive: 5 * time.Minute},
			existing:   want{body: "[redacted]", attrs: `{"src":"wa"}`, author: "moderator"}},
		{name: "403 rejects", status: 403, answer: `{"message":"no"}`,
			autoCreate: want{rejected: true}, existing: want{rejected: true}},
		{name: "500 rejects", status: 500,
			autoCreate: want{rejected: true}, existing: want{rejected: true}},
		{name: "no answer in time rejects", status: 200, delay: 2 * time.Second,
			autoCreate: want{rejected: true}, existing: want{rejected: true}},
		{name: "unreachable rejects", unreachable: true,
			autoCreate: want{rejected: true}, existing: want{rejected: true}},
	}
	for _, tc := range cases {
		for _, existing := range []bool{false, true} {
			w, event := tc.autoCreate, evConversationAdd
			name := tc.name + "/auto-create"
			if existing {
				w, event, name = tc.existing, evMessageAdd, tc.name+"/existing conversation"
			}
			t.Run(name, func(t *testing.T) {
				e, ev := newTestEngine(t)
				ev.Webhooks.SetPolicy(webhook.Policy{Timeout: 150 * time.Millisecond, MaxAttempts: 1})
				post := newReceiver(t, ev.AuthToken)
				pre := newPreHook(t, ev.AuthToken, tc.status, tc.answer, tc.delay)
				preURL := pre.URL + "/pre?tenant=7"
				if tc.unreachable {
					preURL = "http://127.0.0.1:1/pre"
				}
				mustAddress(t, e, CreateAddressConfigurationParams{Type: "whatsapp", Address: waProxy, AutoCreation: defaultAutoCreation()})
				var first *InboundResult
				if existing {
					var err error
					if first, err = e.Inbound(InboundParams{From: waCustomer, To: waProxy, Body: "Hi there"}); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := e.UpdateWebhookConfiguration(UpdateWebhookConfigurationParams{PreWebhookURL: &preURL,
					PostWebhookURL: ptr(post.URL + "/post"),
					Filters:        []string{"onConversationAdd", "onMessageAdd", "onConversationAdded", "onMessageAdded"}}); err != nil {
					t.Fatal(err)
				}
				before := len(e.convOrder)
				body := "Hi there"
				if existing {
					body = "Still there?"
				}
				res, err := e.Inbound(InboundParams{From: waCustomer, To: waProxy, Body: body})
				_ = ev.Webhooks.Wait(t.Context())

				if !tc.unreachable {
					reqs := pre.requests()
					if len(reqs) != 1 {
						t.Fatalf("pre-hook got %d requests, want 1", len(reqs))
					}
					p := reqs[0].Params
					if !reqs[0].SignatureOK || p["EventType"] != event || p["Source"] != "WHATSAPP" || p["AccountSid"] != ev.AccountSID {
						t.Errorf("pre-event %v (signature ok %v)", p, reqs[0].SignatureOK)
					}
					if existing && (p["Body"] != body || p["Author"] != waCustomer || p["ParticipantSid"] != first.Participant.SID ||
						p["ConversationSid"] != first.Conversation.SID || p["MessageSid"] != "" || p["Index"] != "") {
						t.Errorf("onMessageAdd params %v", p)
					}
					if !existing && (p["MessageBody"] != body || p["MessagingBinding.Address"] != waCustomer ||
						p["MessagingBinding.ProxyAddress"] != waProxy || p["ConversationSid"] != "" || p["MessagingServiceSid"] == "") {
						t.Errorf("onConversationAdd params %v", p)
					}
				}
				delivered := ev.Webhooks.Deliveries()
				if len(delivered) == 0 || delivered[0].Request.Event != event {
					t.Errorf("delivery log %+v lacks the pre-event", delivered)
				}

				if w.rejected {
					if !errors.Is(err, ErrRejected) || res != nil {
						t.Fatalf("Inbound = %+v, %v; want ErrRejected", res, err)
					}
					if code, status := errCode(t, err); code != CodeRejectedByPreEvent || status != 403 {
						t.Errorf("rejection code %d status %d", code, status)
					}
					if len(e.convOrder) != before {
						t.Errorf("%d conversations after a rejection, want %d", len(e.convOrder), before)
					}
					if existing {
						if msgs, _ := e.Messages(first.Conversation.SID, false); len(msgs) != 1 {
							t.Errorf("%d messages after a rejected message, want 1", len(msgs))
						}
					} else if len(e.bindings) != 0 {
						t.Errorf("bindings %v after a rejected auto-creation", e.bindings)
					}
					for _, h := range post.at("/post") {
						if !existing || h.Params["Body"] == body {
							t.Errorf("post-event %s fired for a rejected action", h.Params["EventType"])
						}
					}
					if n := len(findEntries(ev.Timeline.Since(0), "pre_event.rejected")); n != 1 {
						t.Errorf("%d pre_event.rejected timeline entries, want 1", n)
					}
					return
				}
				if err != nil {
					t.Fatalf("Inbound: %v", err)
				}
				if res.Message.Body != w.body || res.Created == existing {
					t.Errorf("message %+v created=%v, want body %q", res.Message, res.Created, w.body)
				}
				if existing {
					author, partSID := waCustomer, first.Participant.SID
					if w.author != "" {
						author, partSID = w.author, ""
					}
					if res.Conversation.SID != first.Conversation.SID || res.Message.Attributes != w.attrs ||
						res.Message.Author != author || res.Message.ParticipantSID != partSID {
						t.Errorf("existing conversation result %+v / %+v", res.Conversation, res.Message)
					}
					return
				}
				c := res.Conversation
				if c.Attributes != w.attrs || c.FriendlyName != w.friendly || c.Timers.Inactive != w.inactive {
					t.Errorf("auto-created conversation %+v, want attributes %s friendly %q inactive %v", c, w.attrs, w.friendly, w.inactive)
				}
				if got := eventTypes(post.at("/post")); strings.Join(got, ",") != "onConversationAdded,onMessageAdded" {
					t.Errorf("post-events %v", got)
				}
			})
		}
	}
}

// findEntries returns the timeline entries of one type.
func findEntries(all []timeline.Entry, typ string) []timeline.Entry {
	var out []timeline.Entry
	for _, x := range all {
		if x.Type == typ {
			out = append(out, x)
		}
	}
	return out
}

// TestCommitRevalidates covers the state moving while a pre-event is out:
// the route changed (stale, prepare again), an override the conversation
// refuses (dropped), and a pending action from a reset engine.
func TestCommitRevalidates(t *testing.T) {
	e, ev := newTestEngine(t)
	mustAddress(t, e, CreateAddressConfigurationParams{Type: "sms", Address: smsProxy, AutoCreation: defaultAutoCreation()})
	pre := newPreHook(t, ev.AuthToken, 200, "", 0)
	if _, err := e.UpdateWebhookConfiguration(UpdateWebhookConfigurationParams{PreWebhookURL: ptr(pre.URL),
		Filters: []string{"onConversationAdd", "onMessageAdd"}}); err != nil {
		t.Fatal(err)
	}
	first, err := e.Inbound(InboundParams{From: smsCust, To: smsProxy, Body: "one"})
	if err != nil {
		t.Fatal(err)
	}
	ok := &webhook.Delivery{Status: 200}

	// The pre-hook's handler closes the conversation before answering.
	pend, err := e.PrepareInbound(InboundParams{From: smsCust, To: smsProxy, Body: "two"})
	if err != nil || pend.Event != evMessageAdd || pend.PreEvent == nil {
		t.Fatalf("PrepareInbound = %+v, %v", pend, err)
	}
	if _, err := e.UpdateConversation(first.Conversation.SID, UpdateConversationParams{State: ptr(StateClosed)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Commit(pend, ok); !errors.Is(err, ErrStale) {
		t.Fatalf("Commit after the conversation closed = %v, want ErrStale", err)
	}
	if msgs, _ := e.Messages(first.Conversation.SID, false); len(msgs) != 1 {
		t.Fatalf("stale commit added a message: %d messages", len(msgs))
	}
	// Prepared again, it opens a new conversation, as Twilio does after close.
	res, err := e.Inbound(InboundParams{From: smsCust, To: smsProxy, Body: "two"})
	if err != nil || !res.Created || res.Conversation.SID == first.Conversation.SID {
		t.Fatalf("after close: %+v, %v; want a new conversation", res, err)
	}

	// Two auto-creations raced: the second finds the binding taken.
	other := "+15005550123"
	a, _ := e.PrepareInbound(InboundParams{From: other, To: smsProxy, Body: "a"})
	b, _ := e.PrepareInbound(InboundParams{From: other, To: smsProxy, Body: "b"})
	if _, err := e.Commit(a, ok); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Commit(b, ok); !errors.Is(err, ErrStale) {
		t.Fatalf("second auto-creation = %v, want ErrStale", err)
	}

	// An override the engine refuses drops the message and says why.
	taken, _ := e.CreateConversation(CreateConversationParams{UniqueName: "taken"})
	c, _ := e.PrepareInbound(InboundParams{From: "+15005550124", To: smsProxy, Body: "c"})
	n := len(e.convOrder)
	if _, err := e.Commit(c, &webhook.Delivery{Status: 200, ResponseBody: `{"unique_name":"taken"}`}); err == nil ||
		!strings.Contains(err.Error(), "onConversationAdd") || !strings.Contains(err.Error(), taken.SID) {
		t.Fatalf("conflicting unique_name override = %v", err)
	}
	if _, err := e.Commit(c, &webhook.Delivery{Status: 200, ResponseBody: `{"timers.closed":"soon"}`}); err == nil ||
		!strings.Contains(err.Error(), "timers.closed") {
		t.Fatalf("bad timer override = %v", err)
	}
	if len(e.convOrder) != n || len(findEntries(ev.Timeline.Since(0), "inbound.dropped")) != 2 {
		t.Errorf("refused overrides created conversations or were not recorded")
	}

	// A pending action from before a reset never lands in the new engine.
	fresh := New(ev)
	if _, err := fresh.Commit(c, ok); !errors.Is(err, ErrStale) {
		t.Errorf("commit into another engine = %v, want ErrStale", err)
	}
}

// TestSDKPreEvents covers pre-events of SDK actions and their overrides,
// and that REST callers are not subject to them.
func TestSDKPreEvents(t *testing.T) {
	e, ev := newTestEngine(t)
	post := newReceiver(t, ev.AuthToken)
	answer := `{"body":"hello (moderated)","identity":"alice-2","role_sid":"RL00000000000000000000000000000001","friendly_name":"renamed","attributes":{"k":1},"timers":{"closed":"PT1H"}}`
	pre := newPreHook(t, ev.AuthToken, 200, answer, 0)
	if _, err := e.UpdateWebhookConfiguration(UpdateWebhookConfigurationParams{PreWebhookURL: ptr(pre.URL + "/pre"),
		PostWebhookURL: ptr(post.URL + "/post"),
		Filters:        []string{"onMessageAdd", "onParticipantAdd", "onConversationAdd", "onConversationUpdate", "onMessageAdded"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateRole("", CreateRoleParams{SID: "RL00000000000000000000000000000001", FriendlyName: "moderated",
		Type: RoleTypeConversation, Permissions: []string{"sendMessage"}}); err != nil {
		t.Fatal(err)
	}
	sdk := Origin{Source: SourceSDK, ClientIdentity: "alice"}
	run := func(p *Pending, err error) *Result {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if p.PreEvent == nil {
			t.Fatalf("%s: no pre-event for an SDK action", p.Event)
		}
		del := ev.Webhooks.Do(t.Context(), *p.PreEvent)
		res, err := e.Commit(p, &del)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	conv := run(e.PrepareConversation(CreateConversationParams{FriendlyName: "mine", Origin: sdk})).Conversation
	if conv.FriendlyName != "renamed" || conv.Attributes != `{"k":1}` || conv.Timers.Closed != time.Hour {
		t.Errorf("conversation with overrides %+v", conv)
	}
	part := run(e.PrepareParticipant(conv.SID, CreateParticipantParams{Identity: "alice", Origin: sdk})).Participant
	if part.Identity != "alice-2" || part.RoleSID != "RL00000000000000000000000000000001" {
		t.Errorf("participant with overrides %+v", part)
	}
	msg := run(e.PrepareMessage(conv.SID, CreateMessageParams{Author: "alice-2", Body: "hello", Origin: sdk})).Message
	if msg.Body != "hello (moderated)" || msg.ParticipantSID != part.SID {
		t.Errorf("message with overrides %+v", msg)
	}
	upd := run(e.PrepareConversationUpdate(conv.SID, UpdateConversationParams{FriendlyName: ptr("x"), Origin: sdk})).Conversation
	if upd.FriendlyName != "renamed" {
		t.Errorf("update with overrides %+v", upd)
	}
	_ = ev.Webhooks.Wait(t.Context())
	var events []string
	for _, h := range pre.requests() {
		events = append(events, h.Params["EventType"])
		if h.Params["Source"] != "SDK" || h.Params["ClientIdentity"] != "alice" || !h.SignatureOK {
			t.Errorf("%s: Source %q ClientIdentity %q signature %v", h.Params["EventType"], h.Params["Source"], h.Params["ClientIdentity"], h.SignatureOK)
		}
	}
	if strings.Join(events, ",") != "onConversationAdd,onParticipantAdd,onMessageAdd,onConversationUpdate" {
		t.Errorf("pre-events %v", events)
	}
	if got := post.at("/post"); len(got) != 1 || got[0].Params["Body"] != "hello (moderated)" || got[0].Params["ClientIdentity"] != "alice" {
		t.Errorf("onMessageAdded post-events %v", got)
	}

	// REST callers are not subject to pre-events, even with webhooks enabled.
	p, err := e.PrepareMessage(conv.SID, CreateMessageParams{Body: "rest", Origin: Origin{Source: SourceAPI, WebhookEnabled: true}})
	if err != nil || p.PreEvent != nil {
		t.Fatalf("REST PrepareMessage = %+v, %v; want no pre-event", p, err)
	}
	if res, err := e.Commit(p, nil); err != nil || res.Message.Body != "rest" {
		t.Fatalf("REST commit = %+v, %v", res, err)
	}
	// An unfiltered event gets no pre-event.
	if _, err := e.UpdateWebhookConfiguration(UpdateWebhookConfigurationParams{Filters: []string{"onMessageAdded"}}); err != nil {
		t.Fatal(err)
	}
	if p, _ := e.PrepareMessage(conv.SID, CreateMessageParams{Body: "sdk", Origin: sdk}); p.PreEvent != nil {
		t.Errorf("pre-event sent for an event not in the filters")
	}
	// Validation happens before any pre-event is sent.
	if _, err := e.PrepareMessage(conv.SID, CreateMessageParams{Attributes: "{", Origin: sdk}); err == nil {
		t.Error("PrepareMessage accepted bad attributes")
	}
}

// TestServiceWebhooksOverrideGlobal: a service with its own webhook
// configuration gets only those; other services keep the global ones.
func TestServiceWebhooksOverrideGlobal(t *testing.T) {
	e, ev := newTestEngine(t)
	rc := newReceiver(t, ev.AuthToken)
	svc, _ := e.CreateService(CreateServiceParams{FriendlyName: "Bots"})
	if _, err := e.UpdateWebhookConfiguration(UpdateWebhookConfigurationParams{PostWebhookURL: ptr(rc.URL + "/global"),
		Filters: []string{"onConversationAdded"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.UpdateServiceWebhookConfiguration(svc.SID, UpdateWebhookConfigurationParams{Filters: []string{"bogus"}}); err == nil {
		t.Error("service configuration accepted a bogus filter")
	}
	if _, err := e.UpdateServiceWebhookConfiguration("IS00000000000000000000000000000000", UpdateWebhookConfigurationParams{}); err == nil {
		t.Error("configuration of an unknown service")
	}
	// A service configuration without URLs does not take over.
	if _, err := e.UpdateServiceWebhookConfiguration(svc.SID, UpdateWebhookConfigurationParams{Method: ptr("get")}); err != nil {
		t.Fatal(err)
	}
	api := Origin{WebhookEnabled: true}
	if _, err := e.CreateConversation(CreateConversationParams{ChatServiceSID: svc.SID, Origin: api}); err != nil {
		t.Fatal(err)
	}
	got, err := e.UpdateServiceWebhookConfiguration(svc.SID, UpdateWebhookConfigurationParams{PostWebhookURL: ptr(rc.URL + "/service"),
		Filters: []string{"onConversationAdded"}})
	if err != nil || got.Method != "GET" || got.ChatServiceSID != svc.SID {
		t.Fatalf("service configuration %+v, %v", got, err)
	}
	if _, err := e.CreateConversation(CreateConversationParams{ChatServiceSID: svc.SID, Origin: api}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateConversation(CreateConversationParams{Origin: api}); err != nil {
		t.Fatal(err)
	}
	_ = ev.Webhooks.Wait(t.Context())
	if g, s := len(rc.at("/global")), rc.at("/service"); g != 2 || len(s) != 1 || s[0].Method != "GET" ||
		s[0].Params["ChatServiceSid"] != svc.SID || !s[0].SignatureOK {
		t.Errorf("global got %d (want 2: before the service took over, and the default service), service got %v", g, s)
	}
}
