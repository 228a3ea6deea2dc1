package conversations

import "testing"

func TestDeliveryReceipts(t *testing.T) {
	e, _ := newTestEngine(t)
	c := newConv(t, e, CreateConversationParams{})
	wa, _ := e.AddParticipant(c.SID, CreateParticipantParams{Address: waCustomer, ProxyAddress: waProxy})
	sms, _ := e.AddParticipant(c.SID, CreateParticipantParams{Address: smsCust, ProxyAddress: smsProxy})
	e.AddParticipant(c.SID, CreateParticipantParams{Identity: "agent"})

	cases := []struct {
		name   string
		author string
		want   []string // participant SIDs with a receipt, in order
	}{
		{name: "agent reply reaches both channel participants", author: "agent", want: []string{wa.SID, sms.SID}},
		{name: "customer's own message is not delivered back to them", author: waCustomer, want: []string{sms.SID}},
		{name: "system message", author: "", want: []string{wa.SID, sms.SID}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := e.AddMessage(c.SID, CreateMessageParams{Author: tc.author, Body: "hi"})
			if err != nil {
				t.Fatal(err)
			}
			rs, err := e.Receipts(c.SID, m.SID)
			if err != nil || len(rs) != len(tc.want) {
				t.Fatalf("Receipts = %+v, %v; want %d", rs, err, len(tc.want))
			}
			if m.Delivery == nil || m.Delivery.Total != len(rs) {
				t.Errorf("delivery summary %+v disagrees with %d receipts", m.Delivery, len(rs))
			}
			for i, r := range rs {
				if r.ParticipantSID != tc.want[i] || r.Status != ReceiptStatusSent || r.MessageSID != m.SID ||
					r.ConversationSID != c.SID || r.ErrorCode != nil || r.ChannelMessageSID[:2] != "SM" ||
					!r.DateCreated.Equal(m.DateCreated) {
					t.Errorf("receipt %d: %+v", i, r)
				}
				if got, err := e.Receipt(c.SID, m.SID, r.SID); err != nil || got.SID != r.SID {
					t.Errorf("Receipt(%s) = %+v, %v", r.SID, got, err)
				}
			}
		})
	}

	chat := newConv(t, e, CreateConversationParams{})
	e.AddParticipant(chat.SID, CreateParticipantParams{Identity: "a"})
	m, _ := e.AddMessage(chat.SID, CreateMessageParams{Author: "a", Body: "chat only"})
	if rs, err := e.Receipts(chat.SID, m.SID); err != nil || len(rs) != 0 {
		t.Errorf("chat-only message receipts = %+v, %v", rs, err)
	}
	_, err := e.Receipts(c.SID, "IM00000000000000000000000000000000")
	wantErr(t, err, 20404, 404, "IM00000000000000000000000000000000")
	_, err = e.Receipt(chat.SID, m.SID, "DY00000000000000000000000000000000")
	wantErr(t, err, 20404, 404, "/Receipts/DY00000000000000000000000000000000")
}
