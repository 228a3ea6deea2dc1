package conversations

import (
	"net/http"
	"testing"
)

func TestAddParticipantRules(t *testing.T) {
	cases := []struct {
		name string
		// setup runs on two fresh conversations a and b; the participant is then added to b.
		setup      func(t *testing.T, e *Engine, a, b string)
		p          CreateParticipantParams
		wantCode   int
		wantStatus int
	}{
		{name: "chat participant", p: CreateParticipantParams{Identity: "alice"}},
		{name: "sms participant", p: CreateParticipantParams{Address: smsCust, ProxyAddress: smsProxy}},
		{name: "whatsapp participant", p: CreateParticipantParams{Address: waCustomer, ProxyAddress: waProxy}},
		{
			name: "pair already bound in another active conversation",
			setup: func(t *testing.T, e *Engine, a, _ string) {
				mustParticipant(t, e, a, CreateParticipantParams{Address: waCustomer, ProxyAddress: waProxy})
			},
			p: CreateParticipantParams{Address: waCustomer, ProxyAddress: waProxy}, wantCode: 50416, wantStatus: http.StatusConflict,
		},
		{
			name: "pair bound in an inactive conversation still conflicts",
			setup: func(t *testing.T, e *Engine, a, _ string) {
				mustParticipant(t, e, a, CreateParticipantParams{Address: waCustomer, ProxyAddress: waProxy})
				mustUpdate(t, e, a, UpdateConversationParams{State: ptr(StateInactive)})
			},
			p: CreateParticipantParams{Address: waCustomer, ProxyAddress: waProxy}, wantCode: 50416, wantStatus: http.StatusConflict,
		},
		{
			name: "pair freed by closing the other conversation",
			setup: func(t *testing.T, e *Engine, a, _ string) {
				mustParticipant(t, e, a, CreateParticipantParams{Address: waCustomer, ProxyAddress: waProxy})
				mustUpdate(t, e, a, UpdateConversationParams{State: ptr(StateClosed)})
			},
			p: CreateParticipantParams{Address: waCustomer, ProxyAddress: waProxy},
		},
		{
			name: "pair freed by removing the participant",
			setup: func(t *testing.T, e *Engine, a, _ string) {
				p := mustParticipant(t, e, a, CreateParticipantParams{Address: waCustomer, ProxyAddress: waProxy})
				if err := e.RemoveParticipant(a, p.SID, Origin{}); err != nil {
					t.Fatal(err)
				}
			},
			p: CreateParticipantParams{Address: waCustomer, ProxyAddress: waProxy},
		},
		{
			name: "pair freed by deleting the other conversation",
			setup: func(t *testing.T, e *Engine, a, _ string) {
				mustParticipant(t, e, a, CreateParticipantParams{Address: waCustomer, ProxyAddress: waProxy})
				if err := e.DeleteConversation(a, Origin{}); err != nil {
					t.Fatal(err)
				}
			},
			p: CreateParticipantParams{Address: waCustomer, ProxyAddress: waProxy},
		},
		{
			name: "same customer through another proxy address is fine",
			setup: func(t *testing.T, e *Engine, a, _ string) {
				mustParticipant(t, e, a, CreateParticipantParams{Address: smsCust, ProxyAddress: smsProxy})
			},
			p: CreateParticipantParams{Address: smsCust, ProxyAddress: "+14155230002"},
		},
		{
			name: "same identity twice in a conversation",
			setup: func(t *testing.T, e *Engine, _, b string) {
				mustParticipant(t, e, b, CreateParticipantParams{Identity: "alice"})
			},
			p: CreateParticipantParams{Identity: "alice"}, wantCode: 50433, wantStatus: http.StatusConflict,
		},
		{
			name: "same identity in two conversations is fine",
			setup: func(t *testing.T, e *Engine, a, _ string) {
				mustParticipant(t, e, a, CreateParticipantParams{Identity: "alice"})
			},
			p: CreateParticipantParams{Identity: "alice"},
		},
		{name: "missing proxy address", p: CreateParticipantParams{Address: smsCust}, wantCode: 50412, wantStatus: 400},
		{name: "address equals proxy", p: CreateParticipantParams{Address: smsCust, ProxyAddress: smsCust}, wantCode: 50409, wantStatus: 400},
		{name: "channel mismatch", p: CreateParticipantParams{Address: waCustomer, ProxyAddress: smsProxy}, wantCode: 50408, wantStatus: 400},
		{name: "neither identity nor address", p: CreateParticipantParams{}, wantCode: 20001, wantStatus: 400},
		{name: "both identity and address", p: CreateParticipantParams{Identity: "a", Address: smsCust, ProxyAddress: smsProxy}, wantCode: 20001, wantStatus: 400},
		{name: "invalid attributes", p: CreateParticipantParams{Identity: "a", Attributes: "{"}, wantCode: 20001, wantStatus: 400},
		{
			name: "closed conversation",
			setup: func(t *testing.T, e *Engine, _, b string) {
				mustUpdate(t, e, b, UpdateConversationParams{State: ptr(StateClosed)})
			},
			p: CreateParticipantParams{Identity: "alice"}, wantCode: 20001, wantStatus: 400,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newTestEngine(t)
			a, _ := e.CreateConversation(CreateConversationParams{})
			b, _ := e.CreateConversation(CreateConversationParams{})
			if tc.setup != nil {
				tc.setup(t, e, a.SID, b.SID)
			}
			before, _ := e.Participants(b.SID)
			p, err := e.AddParticipant(b.SID, tc.p)
			code, status := errCode(t, err)
			if code != tc.wantCode || (err != nil && status != tc.wantStatus) {
				t.Fatalf("AddParticipant: code %d status %d (%v), want %d/%d", code, status, err, tc.wantCode, tc.wantStatus)
			}
			after, _ := e.Participants(b.SID)
			if err != nil {
				if len(after) != len(before) {
					t.Errorf("failed AddParticipant changed the participant list: %d → %d", len(before), len(after))
				}
				return
			}
			if len(after) != len(before)+1 || after[len(after)-1].SID != p.SID {
				t.Errorf("participant %s not stored", p.SID)
			}
			if p.RoleSID == "" {
				t.Error("participant has no default role")
			}
		})
	}
}

func TestMessageAuthorMatchesParticipant(t *testing.T) {
	e, _ := newTestEngine(t)
	c, _ := e.CreateConversation(CreateConversationParams{})
	agent := mustParticipant(t, e, c.SID, CreateParticipantParams{Identity: "agent"})
	cust := mustParticipant(t, e, c.SID, CreateParticipantParams{Address: smsCust, ProxyAddress: smsProxy})
	cases := []struct {
		author, wantAuthor, wantParticipant string
		wantDelivery                        bool
	}{
		{"agent", "agent", agent.SID, true},
		{smsCust, smsCust, cust.SID, false},
		{"", "system", "", true},
		{"stranger", "stranger", "", true},
	}
	for i, tc := range cases {
		m, err := e.AddMessage(c.SID, CreateMessageParams{Author: tc.author, Body: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if m.Index != i || m.Author != tc.wantAuthor || m.ParticipantSID != tc.wantParticipant || (m.Delivery != nil) != tc.wantDelivery {
			t.Errorf("message %d = index %d author %q participant %q delivery %v", i, m.Index, m.Author, m.ParticipantSID, m.Delivery)
		}
	}
	// Indexes are never reused, even after a delete.
	msgs, _ := e.Messages(c.SID, false)
	if err := e.DeleteMessage(c.SID, msgs[len(msgs)-1].SID, Origin{}); err != nil {
		t.Fatal(err)
	}
	m, _ := e.AddMessage(c.SID, CreateMessageParams{Body: "after delete"})
	if m.Index != len(cases) {
		t.Errorf("index after delete = %d, want %d", m.Index, len(cases))
	}
	desc, _ := e.Messages(c.SID, true)
	if desc[0].SID != m.SID {
		t.Errorf("desc order starts with %d", desc[0].Index)
	}
}

func TestClosedConversation(t *testing.T) {
	e, _ := newTestEngine(t)
	c, _ := e.CreateConversation(CreateConversationParams{})
	mustUpdate(t, e, c.SID, UpdateConversationParams{State: ptr(StateClosed)})
	if code, status := errCode(t, func() error { _, err := e.AddMessage(c.SID, CreateMessageParams{Body: "late"}); return err }()); code != 20001 || status != 400 {
		t.Errorf("message to closed conversation: %d/%d", code, status)
	}
	if code, _ := errCode(t, func() error {
		_, err := e.UpdateConversation(c.SID, UpdateConversationParams{State: ptr(StateActive)})
		return err
	}()); code != 20001 {
		t.Errorf("reopening: code %d", code)
	}
}

func mustParticipant(t *testing.T, e *Engine, conv string, p CreateParticipantParams) *Participant {
	t.Helper()
	part, err := e.AddParticipant(conv, p)
	if err != nil {
		t.Fatalf("AddParticipant(%s, %+v): %v", conv, p, err)
	}
	return part
}

func mustUpdate(t *testing.T, e *Engine, conv string, p UpdateConversationParams) {
	t.Helper()
	if _, err := e.UpdateConversation(conv, p); err != nil {
		t.Fatalf("UpdateConversation(%s): %v", conv, err)
	}
}
