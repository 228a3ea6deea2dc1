package conversations

import (
	"testing"
)

func TestInboundRouting(t *testing.T) {
	type step struct {
		from, to string
		// closeConv closes the conversation step closeConv-1 landed in before
		// this step runs (0: none).
		closeConv int
		wantCode  int // Twilio error code; 0 for success
		created   bool
		index     int
		// sameAs is the 1-based step whose conversation this one must reuse;
		// 0 means a conversation no earlier step used.
		sameAs   int
		wantType string
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, e *Engine)
		steps []step
	}{
		{
			name: "first message auto-creates a whatsapp conversation",
			steps: []step{
				{from: waCustomer, to: waProxy, created: true, index: 0, wantType: "whatsapp"},
			},
		},
		{
			name: "second message from the same pair lands in the same conversation",
			steps: []step{
				{from: waCustomer, to: waProxy, created: true, index: 0, wantType: "whatsapp"},
				{from: waCustomer, to: waProxy, index: 1, sameAs: 1, wantType: "whatsapp"},
				{from: waCustomer, to: waProxy, index: 2, sameAs: 1, wantType: "whatsapp"},
			},
		},
		{
			name: "after close the pair opens a new conversation",
			steps: []step{
				{from: waCustomer, to: waProxy, created: true, index: 0, wantType: "whatsapp"},
				{from: waCustomer, to: waProxy, closeConv: 1, created: true, index: 0, wantType: "whatsapp"},
				{from: waCustomer, to: waProxy, index: 1, sameAs: 2, wantType: "whatsapp"},
			},
		},
		{
			name: "another customer to the same address gets their own conversation",
			steps: []step{
				{from: waCustomer, to: waProxy, created: true, wantType: "whatsapp"},
				{from: "whatsapp:+15005550007", to: waProxy, created: true, wantType: "whatsapp"},
			},
		},
		{
			name: "sms binding from a plain number",
			steps: []step{
				{from: smsCust, to: smsProxy, created: true, wantType: "sms"},
				{from: smsCust, to: smsProxy, index: 1, sameAs: 1, wantType: "sms"},
			},
		},
		{
			name:  "unknown To is not captured",
			steps: []step{{from: waCustomer, to: "whatsapp:+19995550000", wantCode: 20404}},
		},
		{
			name: "auto-creation disabled is not captured",
			setup: func(t *testing.T, e *Engine) {
				mustAddress(t, e, CreateAddressConfigurationParams{Type: "sms", Address: "+14155230000",
					AutoCreation: AutoCreationParams{Enabled: ptr(false)}})
			},
			steps: []step{{from: smsCust, to: "+14155230000", wantCode: 20404}},
		},
		{
			name: "a binding added over REST routes without any address configuration",
			setup: func(t *testing.T, e *Engine) {
				c, err := e.CreateConversation(CreateConversationParams{FriendlyName: "outbound"})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.AddParticipant(c.SID, CreateParticipantParams{Address: "+15005550999", ProxyAddress: "+14155230001"}); err != nil {
					t.Fatal(err)
				}
			},
			steps: []step{{from: "+15005550999", to: "+14155230001", index: 0, wantType: "sms"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newTestEngine(t)
			mustAddress(t, e, CreateAddressConfigurationParams{Type: "whatsapp", Address: waProxy, AutoCreation: defaultAutoCreation()})
			mustAddress(t, e, CreateAddressConfigurationParams{Type: "sms", Address: smsProxy, AutoCreation: defaultAutoCreation()})
			if tc.setup != nil {
				tc.setup(t, e)
			}
			convs := make([]string, len(tc.steps))
			for i, s := range tc.steps {
				if s.closeConv > 0 {
					if _, err := e.UpdateConversation(convs[s.closeConv-1], UpdateConversationParams{State: ptr(StateClosed)}); err != nil {
						t.Fatalf("step %d: close: %v", i+1, err)
					}
				}
				res, err := e.Inbound(InboundParams{From: s.from, To: s.to, Body: "hello"})
				if code, _ := errCode(t, err); code != s.wantCode {
					t.Fatalf("step %d: error code %d (%v), want %d", i+1, code, err, s.wantCode)
				}
				if err != nil {
					continue
				}
				convs[i] = res.Conversation.SID
				if res.Created != s.created {
					t.Errorf("step %d: Created = %v, want %v", i+1, res.Created, s.created)
				}
				if res.Message.Index != s.index {
					t.Errorf("step %d: index = %d, want %d", i+1, res.Message.Index, s.index)
				}
				if res.Message.Author != s.from || res.Message.ParticipantSID != res.Participant.SID {
					t.Errorf("step %d: author %q participant %q, want %q and %q", i+1, res.Message.Author, res.Message.ParticipantSID, s.from, res.Participant.SID)
				}
				b := res.Participant.Binding
				if b == nil || b.Type != s.wantType || b.Address != s.from || b.ProxyAddress != s.to || res.Participant.Identity != "" {
					t.Errorf("step %d: binding %+v, want %s %s/%s", i+1, b, s.wantType, s.from, s.to)
				}
				if res.Conversation.State != StateActive {
					t.Errorf("step %d: state %q", i+1, res.Conversation.State)
				}
				if s.sameAs > 0 && convs[i] != convs[s.sameAs-1] {
					t.Errorf("step %d: conversation %s, want step %d's %s", i+1, convs[i], s.sameAs, convs[s.sameAs-1])
				}
				for j := 0; s.sameAs == 0 && j < i; j++ {
					if convs[j] == convs[i] {
						t.Errorf("step %d: reused step %d's conversation %s, want a new one", i+1, j+1, convs[i])
					}
				}
			}
		})
	}
}

func TestInboundAutoCreationShape(t *testing.T) {
	e, _ := newTestEngine(t)
	other, err := e.CreateService(CreateServiceParams{FriendlyName: "Bots"})
	if err != nil {
		t.Fatal(err)
	}
	mustAddress(t, e, CreateAddressConfigurationParams{Type: "whatsapp", Address: waProxy, AutoCreation: AutoCreationParams{
		Enabled: ptr(true), Type: ptr("webhook"), ConversationServiceSID: &other.SID,
		WebhookURL: ptr("https://bot.example.com/conv"), WebhookMethod: ptr("post"),
		WebhookFilters: []string{"onParticipantAdded", "onMessageAdded"}}})
	res, err := e.Inbound(InboundParams{From: waCustomer, To: waProxy, Body: "Hi there"})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Conversation
	if c.ChatServiceSID != other.SID || c.FriendlyName != "" || c.UniqueName != "" || c.Attributes != "{}" ||
		c.MessagingServiceSID != e.Configuration().DefaultMessagingServiceSID {
		t.Errorf("conversation = %+v", c)
	}
	hooks, _ := e.Webhooks(c.SID)
	if len(hooks) != 1 || hooks[0].Target != "webhook" || hooks[0].URL != "https://bot.example.com/conv" ||
		hooks[0].Method != "post" || len(hooks[0].Filters) != 2 {
		t.Fatalf("scoped webhooks = %+v", hooks)
	}
	if _, err := e.ServiceConversation("", c.SID); err == nil {
		t.Error("conversation in a non-default service is visible on the default-service paths")
	}
	if got, _ := e.ServiceConversation(other.SID, c.SID); got == nil {
		t.Error("conversation not found in its own service")
	}
	typ, addr, proxy, ok := e.CustomerBinding(c.SID)
	if !ok || typ != "whatsapp" || addr != waCustomer || proxy != waProxy {
		t.Errorf("CustomerBinding = %q %q %q %v", typ, addr, proxy, ok)
	}
}

func TestInboundStudioAutoCreationAttachesStudioWebhook(t *testing.T) {
	e, _ := newTestEngine(t)
	flow := "FW" + "0123456789abcdef0123456789abcdef"
	mustAddress(t, e, CreateAddressConfigurationParams{Type: "sms", Address: smsProxy, AutoCreation: AutoCreationParams{
		Enabled: ptr(true), Type: ptr("studio"), StudioFlowSID: &flow, StudioRetryCount: ptr(3)}})
	res, err := e.Inbound(InboundParams{From: smsCust, To: smsProxy, Body: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	hooks, _ := e.Webhooks(res.Conversation.SID)
	if len(hooks) != 1 || hooks[0].Target != "studio" || hooks[0].FlowSID != flow {
		t.Fatalf("scoped webhooks = %+v", hooks)
	}
}

func TestInboundReactivatesInactiveConversation(t *testing.T) {
	e, _ := newTestEngine(t)
	mustAddress(t, e, CreateAddressConfigurationParams{Type: "sms", Address: smsProxy, AutoCreation: defaultAutoCreation()})
	first, err := e.Inbound(InboundParams{From: smsCust, To: smsProxy, Body: "one"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.UpdateConversation(first.Conversation.SID, UpdateConversationParams{State: ptr(StateInactive)}); err != nil {
		t.Fatal(err)
	}
	second, err := e.Inbound(InboundParams{From: smsCust, To: smsProxy, Body: "two"})
	if err != nil {
		t.Fatal(err)
	}
	if second.Created || second.Conversation.SID != first.Conversation.SID || second.Conversation.State != StateActive {
		t.Errorf("second = %+v created=%v", second.Conversation, second.Created)
	}
}

func TestInboundValidation(t *testing.T) {
	e, _ := newTestEngine(t)
	cases := []struct {
		p    InboundParams
		code int
	}{
		{InboundParams{To: smsProxy}, 20001},
		{InboundParams{From: smsCust}, 20001},
		{InboundParams{From: smsCust, To: smsProxy, Attributes: "{nope"}, 20001},
	}
	for _, tc := range cases {
		if code, _ := errCode(t, func() error { _, err := e.Inbound(tc.p); return err }()); code != tc.code {
			t.Errorf("Inbound(%+v) code %d, want %d", tc.p, code, tc.code)
		}
	}
}
