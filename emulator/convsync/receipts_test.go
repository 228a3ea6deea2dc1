package convsync

import (
	"testing"

	"github.com/flexemu/flexemu/emulator/conversations"
)

// AIM 16: an agent's message to a WhatsApp customer has the engine's
// delivery receipt, as the SDK's DetailedDeliveryReceipt reads it; the
// customer's own message has none; an unknown message is a 404.
func TestMessageReceiptsOverAIM(t *testing.T) {
	f := newFixture(t)
	ch := f.newConversation(1)
	var svc, customerMsg, customerPart string
	var agentMsg *conversations.Message
	var want []*conversations.Receipt
	f.engine(func(e *conversations.Engine) {
		svc = e.DefaultServiceSID()
		msgs, err := e.Messages(ch, false)
		if err != nil {
			t.Fatal(err)
		}
		customerMsg = msgs[0].SID
		parts, err := e.Participants(ch)
		if err != nil {
			t.Fatal(err)
		}
		customerPart = parts[0].SID
		if agentMsg, err = e.AddMessage(ch, conversations.CreateMessageParams{Author: "alice", Body: "Hi, how can I help?"}); err != nil {
			t.Fatal(err)
		}
		if want, err = e.Receipts(ch, agentMsg.SID); err != nil || len(want) != 1 {
			t.Fatalf("engine receipts = %v, %v; want one", want, err)
		}
	})
	_, c := f.open("alice")
	base := "/Client/v2/Services/" + svc + "/Conversations/" + ch + "/Messages/"

	got := must(t, c, "GET", base+agentMsg.SID+"/Receipts", nil)
	list, _ := got["delivery_receipts"].([]any)
	if len(list) != 1 || got["meta"] == nil {
		t.Fatalf("receipts of the agent's message = %v, want one and a meta", got)
	}
	r := list[0].(map[string]any)
	for k, v := range map[string]any{"sid": want[0].SID, "message_sid": agentMsg.SID, "conversation_sid": ch,
		"channel_message_sid": want[0].ChannelMessageSID, "participant_sid": customerPart, "status": "sent", "error_code": nil} {
		if r[k] != v {
			t.Errorf("receipt %s = %v, want %v", k, r[k], v)
		}
	}
	if r["date_created"] == nil || r["date_updated"] == nil {
		t.Errorf("receipt without dates: %v", r)
	}

	if got := must(t, c, "GET", base+customerMsg+"/Receipts", nil); len(got["delivery_receipts"].([]any)) != 0 {
		t.Errorf("the customer's own message has receipts: %v", got)
	}
	if status, out := call(t, c, "GET", base+"IM00000000000000000000000000000000/Receipts", nil); status != 404 {
		t.Errorf("receipts of an unknown message = %d %v, want 404", status, out)
	}
}
