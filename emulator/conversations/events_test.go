package conversations

import (
	"reflect"
	"testing"
)

func TestInboundWebhooks(t *testing.T) {
	e, ev := newTestEngine(t)
	rc := newReceiver(t, ev.AuthToken)
	if _, err := e.UpdateWebhookConfiguration(UpdateWebhookConfigurationParams{PostWebhookURL: ptr(rc.URL + "/post"),
		Filters: []string{"onConversationAdded", "onParticipantAdded", "onMessageAdded"}}); err != nil {
		t.Fatal(err)
	}
	mustAddress(t, e, CreateAddressConfigurationParams{Type: "whatsapp", Address: waProxy, AutoCreation: AutoCreationParams{
		Enabled: ptr(true), Type: ptr("webhook"), WebhookURL: ptr(rc.URL + "/scoped"), WebhookMethod: ptr("POST"),
		WebhookFilters: []string{"onParticipantAdded", "onMessageAdded"}}})

	res, err := e.Inbound(InboundParams{From: waCustomer, To: waProxy, Body: "Hi there"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Inbound(InboundParams{From: waCustomer, To: waProxy, Body: "Still there?"}); err != nil {
		t.Fatal(err)
	}
	_ = ev.Webhooks.Wait(t.Context())

	post, scoped := rc.at("/post"), rc.at("/scoped")
	if got, want := eventTypes(post), []string{"onConversationAdded", "onParticipantAdded", "onMessageAdded", "onMessageAdded"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("global events %v, want %v", got, want)
	}
	if got, want := eventTypes(scoped), []string{"onParticipantAdded", "onMessageAdded", "onMessageAdded"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("scoped events %v, want %v", got, want)
	}
	for _, h := range append(post, scoped...) {
		if !h.SignatureOK {
			t.Errorf("%s %s: X-Twilio-Signature does not validate", h.Path, h.Params["EventType"])
		}
		if h.Method != "POST" || h.Params["AccountSid"] != ev.AccountSID || h.Params["Source"] != "WHATSAPP" ||
			h.Params["ChatServiceSid"] != e.DefaultServiceSID() || h.Params["ConversationSid"] != res.Conversation.SID {
			t.Errorf("%s %s: common params %v", h.Path, h.Params["EventType"], h.Params)
		}
	}

	common := []string{"AccountSid", "EventType", "ChatServiceSid", "Source"}
	scopedExtra := []string{"WebhookSid", "WebhookType", "RetryCount", "InstanceSid", "ChannelSid", "ChannelAttributes"}
	want := map[string][]string{
		"onConversationAdded": {"ConversationSid", "DateCreated", "State", "Attributes", "MessagingServiceSid",
			"MessagingBinding.Address", "MessagingBinding.ProxyAddress", "MessageBody"},
		"onParticipantAdded": {"ConversationSid", "ParticipantSid", "DateCreated", "RoleSid", "Attributes",
			"MessagingBinding.Type", "MessagingBinding.Address", "MessagingBinding.ProxyAddress"},
		"onMessageAdded": {"ConversationSid", "MessageSid", "MessagingServiceSid", "Index", "DateCreated", "Body",
			"Author", "ParticipantSid", "Attributes"},
	}
	for i, h := range post[:3] {
		if got, w := keys(h.Params), setOf(append(common, want[h.Params["EventType"]]...)...); !reflect.DeepEqual(got, w) {
			t.Errorf("global #%d %s params %v, want %v", i, h.Params["EventType"], got, w)
		}
	}
	for i, h := range scoped[:2] {
		w := setOf(append(append(common, scopedExtra...), want[h.Params["EventType"]]...)...)
		if h.Params["EventType"] == "onMessageAdded" {
			w["From"], w["To"] = true, true
		}
		if got := keys(h.Params); !reflect.DeepEqual(got, w) {
			t.Errorf("scoped #%d %s params %v, want %v", i, h.Params["EventType"], got, w)
		}
	}
	hooks, _ := e.Webhooks(res.Conversation.SID)
	msg := scoped[1].Params
	checks := map[string]string{"WebhookSid": hooks[0].SID, "WebhookType": "webhook", "RetryCount": "0",
		"Index": "0", "Author": waCustomer, "From": waCustomer, "Body": "Hi there", "ParticipantSid": res.Participant.SID,
		"MessageSid": res.Message.SID, "Attributes": "{}", "ChannelSid": res.Conversation.SID, "To": res.Conversation.SID,
		"InstanceSid": e.DefaultServiceSID(), "DateCreated": "2026-01-05T09:00:00.000Z"}
	for k, v := range checks {
		if msg[k] != v {
			t.Errorf("scoped onMessageAdded %s = %q, want %q", k, msg[k], v)
		}
	}
	if post[0].Params["MessageBody"] != "Hi there" || post[0].Params["State"] != "active" ||
		post[0].Params["MessagingBinding.Address"] != waCustomer || post[0].Params["MessagingBinding.ProxyAddress"] != waProxy {
		t.Errorf("onConversationAdded params %v", post[0].Params)
	}
	if post[1].Params["MessagingBinding.Type"] != "whatsapp" {
		t.Errorf("onParticipantAdded binding type %q", post[1].Params["MessagingBinding.Type"])
	}
	if scoped[2].Params["Index"] != "1" || scoped[2].Params["Body"] != "Still there?" {
		t.Errorf("second message params %v", scoped[2].Params)
	}
}

func TestRESTOriginNeedsWebhookEnabled(t *testing.T) {
	e, ev := newTestEngine(t)
	rc := newReceiver(t, ev.AuthToken)
	if _, err := e.UpdateWebhookConfiguration(UpdateWebhookConfigurationParams{PostWebhookURL: ptr(rc.URL + "/post"),
		Method: ptr("POST"), Filters: []string{"onMessageAdded", "onConversationUpdated", "onConversationStateUpdated"}}); err != nil {
		t.Fatal(err)
	}
	c, _ := e.CreateConversation(CreateConversationParams{})
	cases := []struct {
		o     Origin
		fires bool
	}{
		{Origin{}, false},
		{Origin{Source: SourceAPI}, false},
		{Origin{Source: SourceAPI, WebhookEnabled: true}, true},
		{Origin{Source: SourceSDK}, true},
	}
	for _, tc := range cases {
		before := len(rc.at("/post"))
		if _, err := e.AddMessage(c.SID, CreateMessageParams{Body: "x", Origin: tc.o}); err != nil {
			t.Fatal(err)
		}
		_ = ev.Webhooks.Wait(t.Context())
		if got := len(rc.at("/post")) - before; (got == 1) != tc.fires {
			t.Errorf("origin %+v: %d webhooks, fires=%v", tc.o, got, tc.fires)
		}
	}
	// Closing with the header: onConversationUpdated then onConversationStateUpdated.
	before := len(rc.at("/post"))
	mustUpdate(t, e, c.SID, UpdateConversationParams{State: ptr(StateClosed), Origin: Origin{Source: SourceAPI, WebhookEnabled: true}})
	_ = ev.Webhooks.Wait(t.Context())
	got := rc.at("/post")[before:]
	if types := eventTypes(got); !reflect.DeepEqual(types, []string{"onConversationUpdated", "onConversationStateUpdated"}) {
		t.Fatalf("close events %v", types)
	}
	st := got[1].Params
	if st["StateFrom"] != "active" || st["StateTo"] != "closed" || st["Reason"] != "API" || st["Source"] != "API" {
		t.Errorf("state params %v", st)
	}
}

func TestTriggerWebhook(t *testing.T) {
	e, ev := newTestEngine(t)
	rc := newReceiver(t, ev.AuthToken)
	c, _ := e.CreateConversation(CreateConversationParams{})
	if _, err := e.CreateWebhook(c.SID, CreateWebhookParams{Target: "trigger", URL: rc.URL + "/trigger", Method: "GET",
		Triggers: []string{"agent", "help"}}); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"hello", "I need HELP!", "agentless", "agent please"} {
		if _, err := e.AddMessage(c.SID, CreateMessageParams{Body: body, Origin: Origin{Source: SourceSDK}}); err != nil {
			t.Fatal(err)
		}
	}
	_ = ev.Webhooks.Wait(t.Context())
	var bodies []string
	for _, h := range rc.at("/trigger") {
		if h.Method != "GET" {
			t.Errorf("trigger method %s", h.Method)
		}
		bodies = append(bodies, h.Params["Body"])
	}
	if len(bodies) != 2 {
		t.Errorf("trigger fired for %v, want the HELP and agent messages", bodies)
	}
}

func TestMatchesTrigger(t *testing.T) {
	cases := []struct {
		body string
		want bool
	}{
		{"help", true}, {"Help!", true}, {"I need help.", true}, {"helpful", false}, {"", false}, {"call an AGENT", true},
	}
	for _, tc := range cases {
		if got := matchesTrigger(tc.body, []string{"help", "agent"}); got != tc.want {
			t.Errorf("matchesTrigger(%q) = %v", tc.body, got)
		}
	}
}

// fakeStudio records calls; on each call it runs act, which may re-enter the engine.
type fakeStudio struct {
	calls []MessageAdded
	flows []string
	hooks []string
	act   func(ev MessageAdded, webhookSID string)
}

func (f *fakeStudio) ConversationMessageAdded(flowSID, webhookSID string, ev MessageAdded) {
	f.calls = append(f.calls, ev)
	f.flows = append(f.flows, flowSID)
	f.hooks = append(f.hooks, webhookSID)
	if f.act != nil {
		f.act(ev, webhookSID)
	}
}

func TestStudioHandler(t *testing.T) {
	e, ev := newTestEngine(t)
	rc := newReceiver(t, ev.AuthToken)
	flow := "FW0123456789abcdef0123456789abcdef"
	mustAddress(t, e, CreateAddressConfigurationParams{Type: "whatsapp", Address: waProxy, AutoCreation: AutoCreationParams{
		Enabled: ptr(true), Type: ptr("studio"), StudioFlowSID: &flow}})
	studio := &fakeStudio{}
	e.SetStudioHandler(studio)
	studio.act = func(m MessageAdded, webhookSID string) {
		// The flow answers (must not re-enter Studio), and on the second
		// customer message hands off to Flex, removing its webhook.
		if _, err := e.AddMessage(m.ConversationSID, CreateMessageParams{Body: "echo: " + m.Body, Origin: Origin{Source: SourceAPI, WebhookEnabled: true}}); err != nil {
			t.Errorf("flow reply: %v", err)
		}
		if len(studio.calls) == 2 {
			if err := e.DeleteWebhook(m.ConversationSID, webhookSID); err != nil {
				t.Errorf("hand-off: %v", err)
			}
			// A second scoped webhook added during hand-off sees later messages.
			if _, err := e.CreateWebhook(m.ConversationSID, CreateWebhookParams{Target: "webhook", URL: rc.URL + "/flex",
				Filters: []string{"onMessageAdded"}}); err != nil {
				t.Errorf("flex webhook: %v", err)
			}
		}
	}
	if _, err := e.UpdateConversation(mustInbound(t, e, "Hi").Conversation.SID,
		UpdateConversationParams{Attributes: ptr(`{"pre_engagement_data":{"friendlyName":"Ann"}}`)}); err != nil {
		t.Fatal(err)
	}
	second := mustInbound(t, e, "Still there?")
	mustInbound(t, e, "Hello?")
	_ = ev.Webhooks.Wait(t.Context())

	if len(studio.calls) != 2 {
		t.Fatalf("studio called %d times, want 2 (not for its own replies, not after hand-off)", len(studio.calls))
	}
	got := studio.calls[1]
	want := MessageAdded{AccountSID: ev.AccountSID, ChatServiceSID: e.DefaultServiceSID(), ConversationSID: second.Conversation.SID,
		MessageSID: second.Message.SID, MessagingServiceSID: second.Conversation.MessagingServiceSID,
		ParticipantSID: second.Participant.SID, Author: waCustomer, Body: "Still there?", Attributes: "{}", Source: "WHATSAPP",
		Index: 2, DateCreated: second.Message.DateCreated,
		ConversationAttributes: map[string]any{"pre_engagement_data": map[string]any{"friendlyName": "Ann"}},
		ChannelType:            "whatsapp", CustomerAddress: waCustomer, ProxyAddress: waProxy}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MessageAdded\n got %+v\nwant %+v", got, want)
	}
	if studio.flows[0] != flow || studio.hooks[0] != studio.hooks[1] {
		t.Errorf("flows %v hooks %v", studio.flows, studio.hooks)
	}
	msgs, _ := e.Messages(second.Conversation.SID, false)
	if len(msgs) != 5 { // Hi, echo, Still there?, echo, Hello?
		t.Errorf("%d messages, want 5", len(msgs))
	}
	if flex := rc.at("/flex"); len(flex) != 1 || flex[0].Params["Body"] != "Hello?" {
		t.Errorf("flex webhook got %v", eventTypes(flex))
	}
}

func TestStudioSkipsFromStudioMessages(t *testing.T) {
	e, _ := newTestEngine(t)
	studio := &fakeStudio{}
	e.SetStudioHandler(studio)
	c, _ := e.CreateConversation(CreateConversationParams{})
	if _, err := e.CreateWebhook(c.SID, CreateWebhookParams{Target: "studio", FlowSID: "FW0123456789abcdef0123456789abcdef"}); err != nil {
		t.Fatal(err)
	}
	sdk := Origin{Source: SourceSDK}
	if _, err := e.AddMessage(c.SID, CreateMessageParams{Body: "from flow", FromStudio: true, Origin: sdk}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.AddMessage(c.SID, CreateMessageParams{Body: "from user", Origin: sdk}); err != nil {
		t.Fatal(err)
	}
	if len(studio.calls) != 1 || studio.calls[0].Body != "from user" {
		t.Errorf("studio calls %+v", studio.calls)
	}
	// ReplayAfter replays existing messages into a new studio webhook.
	replay := 0
	if _, err := e.CreateWebhook(c.SID, CreateWebhookParams{Target: "studio", FlowSID: "FW0123456789abcdef0123456789abcdee", ReplayAfter: &replay}); err != nil {
		t.Fatal(err)
	}
	if len(studio.calls) != 2 || studio.calls[1].Body != "from user" {
		t.Errorf("after replay studio calls %+v", studio.calls)
	}
}

func mustInbound(t *testing.T, e *Engine, body string) *InboundResult {
	t.Helper()
	res, err := e.Inbound(InboundParams{From: waCustomer, To: waProxy, Body: body})
	if err != nil {
		t.Fatalf("Inbound(%q): %v", body, err)
	}
	return res
}
