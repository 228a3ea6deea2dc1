package conversations

import (
	"net/http"
	"reflect"
	"testing"
)

func TestConversationWithParticipants(t *testing.T) {
	e, _ := newTestEngine(t)
	c, parts, err := e.CreateConversationWithParticipants(CreateConversationParams{FriendlyName: "Case", UniqueName: "case-1"},
		[]CreateParticipantParams{{Identity: "agent"}, {Address: waCustomer, ProxyAddress: waProxy, Attributes: `{"vip":true}`}})
	if err != nil {
		t.Fatal(err)
	}
	if c.FriendlyName != "Case" || c.State != StateActive || len(parts) != 2 || parts[1].Binding.Type != "whatsapp" ||
		parts[1].Attributes != `{"vip":true}` {
		t.Fatalf("created %+v %+v", c, parts)
	}
	// The binding now routes inbound messages into the new conversation.
	res, err := e.Inbound(InboundParams{From: waCustomer, To: waProxy, Body: "hello"})
	if err != nil || res.Conversation.SID != c.SID || res.Created {
		t.Fatalf("inbound after CWP: %+v %v", res, err)
	}
}

func TestConversationWithParticipantsIsAllOrNothing(t *testing.T) {
	cases := []struct {
		name         string
		conv         CreateConversationParams
		parts        []CreateParticipantParams
		code, status int
		mention      string
	}{
		{name: "pair in use elsewhere", parts: []CreateParticipantParams{{Identity: "agent"}, {Address: waCustomer, ProxyAddress: waProxy}},
			code: CodeBindingsInUse, status: http.StatusConflict, mention: "#2"},
		{name: "pair repeated in the request", parts: []CreateParticipantParams{{Address: smsCust, ProxyAddress: smsProxy}, {Address: smsCust, ProxyAddress: smsProxy}},
			code: CodeBindingsInUse, status: http.StatusConflict, mention: smsCust},
		{name: "identity repeated in the request", parts: []CreateParticipantParams{{Identity: "agent"}, {Identity: "agent"}},
			code: CodeParticipantExists, status: http.StatusConflict, mention: "Participant #2"},
		{name: "bad participant attributes", parts: []CreateParticipantParams{{Identity: "a", Attributes: "{"}},
			code: 20001, status: 400, mention: "Attributes"},
		{name: "participant without identity or address", parts: []CreateParticipantParams{{Attributes: "{}"}},
			code: 20001, status: 400, mention: "Participant #1"},
		{name: "missing proxy address", parts: []CreateParticipantParams{{Address: smsCust}},
			code: CodeProxyAddressEmpty, status: 400, mention: "ProxyAddress"},
		{name: "too many participants", parts: make([]CreateParticipantParams, 11), code: 20001, status: 400, mention: "Participant"},
		{name: "bad conversation attributes", conv: CreateConversationParams{Attributes: "nope"}, parts: []CreateParticipantParams{{Identity: "a"}},
			code: 20001, status: 400, mention: "Attributes"},
		{name: "closed conversation", conv: CreateConversationParams{State: StateClosed}, parts: []CreateParticipantParams{{Identity: "a"}},
			code: CodeConversationIsClosed, status: 400, mention: "closed"},
		{name: "unique name taken", conv: CreateConversationParams{UniqueName: "taken"}, code: CodeUniqueNameExists, status: http.StatusConflict, mention: "taken"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newTestEngine(t)
			held := newConv(t, e, CreateConversationParams{UniqueName: "taken"})
			if _, err := e.AddParticipant(held.SID, CreateParticipantParams{Address: waCustomer, ProxyAddress: waProxy}); err != nil {
				t.Fatal(err)
			}
			mark, bindings := e.env.Timeline.Last(), len(e.bindings)
			_, _, err := e.CreateConversationWithParticipants(tc.conv, tc.parts)
			wantErr(t, err, tc.code, tc.status, tc.mention)
			if list, _ := e.Conversations(ListConversationsParams{}); len(list) != 1 {
				t.Errorf("%d conversations after a failed request, want 1", len(list))
			}
			if e.env.Timeline.Last() != mark || len(e.bindings) != bindings {
				t.Error("a failed request left timeline entries or bindings")
			}
		})
	}
}

func TestParticipantConversations(t *testing.T) {
	e, _ := newTestEngine(t)
	u := newUser(t, e, "", CreateUserParams{Identity: "agent"})
	a := newConv(t, e, CreateConversationParams{})
	b := newConv(t, e, CreateConversationParams{})
	pa, _ := e.AddParticipant(a.SID, CreateParticipantParams{Address: waCustomer, ProxyAddress: waProxy})
	e.AddParticipant(a.SID, CreateParticipantParams{Identity: "agent"})
	e.AddParticipant(b.SID, CreateParticipantParams{Identity: "agent"})
	e.UpdateConversation(a.SID, UpdateConversationParams{State: ptr(StateClosed)})
	pb, _ := e.AddParticipant(b.SID, CreateParticipantParams{Address: waCustomer, ProxyAddress: waProxy})
	other, _ := e.CreateService(CreateServiceParams{FriendlyName: "Other"})
	oc := newConv(t, e, CreateConversationParams{ChatServiceSID: other.SID})
	e.AddParticipant(oc.SID, CreateParticipantParams{Identity: "agent"})

	byAddr, err := e.ParticipantConversations(ParticipantConversationsParams{Address: waCustomer})
	if err != nil || len(byAddr) != 2 || byAddr[0].Participant.SID != pa.SID || byAddr[1].Participant.SID != pb.SID ||
		byAddr[0].Conversation.State != StateClosed || byAddr[0].UserSID != "" {
		t.Fatalf("by address (closed ones included): %+v %v", byAddr, err)
	}
	byID, _ := e.ParticipantConversations(ParticipantConversationsParams{Identity: "agent"})
	if len(byID) != 2 || byID[0].UserSID != u.SID {
		t.Fatalf("by identity in the default service: %+v", byID)
	}
	if inOther, _ := e.ParticipantConversations(ParticipantConversationsParams{ChatServiceSID: other.SID, Identity: "agent"}); len(inOther) != 1 || inOther[0].UserSID != "" {
		t.Errorf("other service: %+v", inOther)
	}
	_, err = e.ParticipantConversations(ParticipantConversationsParams{})
	wantErr(t, err, 20001, 400, "Identity")
	_, err = e.ParticipantConversations(ParticipantConversationsParams{Identity: "a", Address: "b"})
	wantErr(t, err, 20001, 400, "Address")
}

func TestUpdateParticipant(t *testing.T) {
	e, _ := newTestEngine(t)
	c := newConv(t, e, CreateConversationParams{})
	cust, _ := e.AddParticipant(c.SID, CreateParticipantParams{Address: smsCust, ProxyAddress: smsProxy})
	agent, _ := e.AddParticipant(c.SID, CreateParticipantParams{Identity: "agent"})
	e.AddParticipant(c.SID, CreateParticipantParams{Identity: "bot"})
	busy := newConv(t, e, CreateConversationParams{})
	e.AddParticipant(busy.SID, CreateParticipantParams{Address: smsCust, ProxyAddress: "+14155550000"})

	cases := []struct {
		name         string
		sid          string
		p            UpdateParticipantParams
		code, status int
		mention      string
	}{
		{name: "identity taken", sid: agent.SID, p: UpdateParticipantParams{Identity: ptr("bot")}, code: CodeParticipantExists, status: http.StatusConflict, mention: "bot"},
		{name: "identity on a channel participant", sid: cust.SID, p: UpdateParticipantParams{Identity: ptr("x")}, code: 20001, status: 400, mention: "Identity"},
		{name: "proxy pair in use", sid: cust.SID, p: UpdateParticipantParams{ProxyAddress: ptr("+14155550000")}, code: CodeBindingInUse, status: http.StatusConflict, mention: busy.SID},
		{name: "proxy equals address", sid: cust.SID, p: UpdateParticipantParams{ProxyAddress: ptr(smsCust)}, code: CodeAddressEqualsProxy, status: 400, mention: "ProxyAddress"},
		{name: "proxy on a chat participant", sid: agent.SID, p: UpdateParticipantParams{ProxyAddress: ptr(smsProxy)}, code: 20001, status: 400, mention: "ProxyAddress"},
		{name: "bad attributes", sid: agent.SID, p: UpdateParticipantParams{Attributes: ptr("{")}, code: 20001, status: 400, mention: "Attributes"},
		{name: "negative read index", sid: agent.SID, p: UpdateParticipantParams{LastReadMessageIndex: ptr(-1)}, code: 20001, status: 400, mention: "LastReadMessageIndex"},
		{name: "unknown participant", sid: "MB00000000000000000000000000000000", code: 20404, status: 404, mention: "MB00000000000000000000000000000000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := e.Participants(c.SID)
			_, err := e.UpdateParticipant(c.SID, tc.sid, tc.p)
			wantErr(t, err, tc.code, tc.status, tc.mention)
			if after, _ := e.Participants(c.SID); !reflect.DeepEqual(before, after) {
				t.Errorf("failed update changed participants:\n%+v\n%+v", before, after)
			}
		})
	}

	// A new proxy address moves inbound routing to the new pair.
	up, err := e.UpdateParticipant(c.SID, cust.SID, UpdateParticipantParams{ProxyAddress: ptr("+14155550001"), Attributes: ptr(`{"a":1}`)})
	if err != nil || up.Binding.ProxyAddress != "+14155550001" || up.Binding.Address != smsCust || up.Attributes != `{"a":1}` {
		t.Fatalf("proxy update: %+v %v", up, err)
	}
	if res, err := e.Inbound(InboundParams{From: smsCust, To: "+14155550001", Body: "x"}); err != nil || res.Conversation.SID != c.SID {
		t.Errorf("inbound on the new pair: %+v %v", res, err)
	}
	if _, err := e.Inbound(InboundParams{From: smsCust, To: smsProxy, Body: "x"}); err == nil {
		t.Error("the old pair still routes")
	}
	up, err = e.UpdateParticipant(c.SID, agent.SID, UpdateParticipantParams{Identity: ptr("agent2"), LastReadMessageIndex: ptr(0)})
	if err != nil || up.Identity != "agent2" {
		t.Fatalf("identity update: %+v %v", up, err)
	}
	if rs := e.readStateOf(agent.SID); rs.LastReadMessageIndex == nil || *rs.LastReadMessageIndex != 0 {
		t.Errorf("read state %+v", rs)
	}
}

func TestDeleteService(t *testing.T) {
	e, _ := newTestEngine(t)
	wantErr(t, e.DeleteService(e.DefaultServiceSID()), 20001, 400, "default_chat_service_sid")
	wantErr(t, e.DeleteService("IS00000000000000000000000000000000"), 20404, 404, "/Services/IS00000000000000000000000000000000")

	svc, _ := e.CreateService(CreateServiceParams{FriendlyName: "Brand B"})
	addr := mustAddress(t, e, CreateAddressConfigurationParams{Type: "sms", Address: smsProxy,
		AutoCreation: AutoCreationParams{Enabled: ptr(true), Type: ptr("default"), ConversationServiceSID: &svc.SID}})
	wantErr(t, e.DeleteService(svc.SID), 20001, 400, addr.SID)
	if err := e.DeleteAddressConfiguration(addr.SID); err != nil {
		t.Fatal(err)
	}
	c := newConv(t, e, CreateConversationParams{ChatServiceSID: svc.SID})
	e.AddParticipant(c.SID, CreateParticipantParams{Address: waCustomer, ProxyAddress: waProxy})
	newUser(t, e, svc.SID, CreateUserParams{Identity: "u"})
	if err := e.DeleteService(svc.SID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Service(svc.SID); err == nil {
		t.Error("service still there")
	}
	if _, err := e.Conversation(c.SID); err == nil {
		t.Error("its conversation survived")
	}
	if len(e.bindings) != 0 || len(e.directory().users) != 0 {
		t.Errorf("bindings %v / users %v survived", e.bindings, e.directory().users)
	}
	for _, r := range e.directory().roleOrder {
		if r.ChatServiceSID == svc.SID {
			t.Errorf("role %s survived", r.SID)
		}
	}
	// The pair it held is free again.
	other := newConv(t, e, CreateConversationParams{})
	if _, err := e.AddParticipant(other.SID, CreateParticipantParams{Address: waCustomer, ProxyAddress: waProxy}); err != nil {
		t.Errorf("pair not freed: %v", err)
	}
}
