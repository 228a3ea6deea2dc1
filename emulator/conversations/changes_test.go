package conversations

import (
	"reflect"
	"testing"
	"time"
)

// feed records the change feed of e.
func feed(e *Engine) *[]Change {
	var got []Change
	e.Subscribe(func(c Change) { got = append(got, c) })
	return &got
}

func kinds(cs []Change) []ChangeKind {
	out := make([]ChangeKind, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Kind)
	}
	return out
}

func TestChangeFeedEveryOrigin(t *testing.T) {
	e, _ := newTestEngine(t)
	mustAddress(t, e, CreateAddressConfigurationParams{Type: "whatsapp", Address: waProxy, AutoCreation: defaultAutoCreation()})
	got := feed(e)

	// A channel message auto-creates a conversation: conversation, customer, message.
	in, err := e.Inbound(InboundParams{From: waCustomer, To: waProxy, Body: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	want := []ChangeKind{ChangeConversationAdded, ChangeParticipantAdded, ChangeMessageAdded}
	if !reflect.DeepEqual(kinds(*got), want) {
		t.Fatalf("inbound changes = %v, want %v", kinds(*got), want)
	}
	ch := in.Conversation.SID
	if m := (*got)[2]; m.ConversationSID != ch || m.MessageIndex != 0 || m.MessageSID != in.Message.SID || m.Identity != waCustomer {
		t.Fatalf("message change = %+v", m)
	}

	// REST (no webhooks) still reports: participant, SDK message, update, read horizon, removal.
	*got = nil
	alice, err := e.AddParticipant(ch, CreateParticipantParams{Identity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	pend, err := e.PrepareMessage(ch, CreateMessageParams{Author: "alice", Body: "hi", Origin: Origin{Source: SourceSDK, ClientIdentity: "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Commit(pend, nil)
	if err != nil {
		t.Fatal(err)
	}
	body := "edited"
	if _, err := e.UpdateMessage(ch, res.Message.SID, UpdateMessageParams{Body: &body}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateUser("", CreateUserParams{Identity: "alice"}); err != nil {
		t.Fatal(err)
	}
	idx := 1
	if _, err := e.UpdateUserConversation("", "alice", ch, UpdateUserConversationParams{LastReadMessageIndex: &idx}); err != nil {
		t.Fatal(err)
	}
	if err := e.DeleteMessage(ch, res.Message.SID, Origin{}); err != nil {
		t.Fatal(err)
	}
	closed := StateClosed
	if _, err := e.UpdateConversation(ch, UpdateConversationParams{State: &closed}); err != nil {
		t.Fatal(err)
	}
	if err := e.RemoveParticipant(ch, alice.SID, Origin{}); err != nil {
		t.Fatal(err)
	}
	if err := e.DeleteConversation(ch, Origin{}); err != nil {
		t.Fatal(err)
	}
	want = []ChangeKind{ChangeParticipantAdded, ChangeMessageAdded, ChangeMessageUpdated, ChangeUserAdded, ChangeReadHorizonChanged,
		ChangeMessageRemoved, ChangeConversationUpdated, ChangeParticipantRemoved, ChangeConversationRemoved}
	if !reflect.DeepEqual(kinds(*got), want) {
		t.Fatalf("changes = %v, want %v", kinds(*got), want)
	}
	var last uint64
	for _, c := range *got {
		if c.Rev <= last {
			t.Fatalf("revisions do not increase: %+v after %d", c, last)
		}
		last = c.Rev
	}
	if e.Revision() != last {
		t.Fatalf("Revision() = %d, want %d", e.Revision(), last)
	}
	if pr := (*got)[0]; pr.Identity != "alice" || pr.ParticipantSID != alice.SID {
		t.Fatalf("participant added = %+v", pr)
	}
	if rm := (*got)[5]; rm.Message == nil || rm.Message.Body != "edited" || rm.MessageIndex != 1 {
		t.Fatalf("message removed = %+v", rm)
	}
	if rm := (*got)[7]; rm.Participant == nil || rm.Participant.Identity != "alice" {
		t.Fatalf("participant removed = %+v", rm)
	}
	if rm := (*got)[8]; rm.Conversation == nil || rm.Conversation.State != StateClosed || len(rm.Participants) != 1 {
		t.Fatalf("conversation removed = %+v", rm)
	}
}

func TestChangeFeedTimerAndRevisions(t *testing.T) {
	e, _ := newTestEngine(t)
	clk := e.env.Clock
	d := 2 * time.Minute
	c, err := e.CreateConversation(CreateConversationParams{Timers: TimerParams{Inactive: &d}})
	if err != nil {
		t.Fatal(err)
	}
	got := feed(e)
	if adv, ok := clk.(interface{ Advance(time.Duration) }); ok {
		adv.Advance(3 * time.Minute)
	} else {
		t.Skip("test clock cannot advance")
	}
	if want := []ChangeKind{ChangeConversationUpdated}; !reflect.DeepEqual(kinds(*got), want) {
		t.Fatalf("timer changes = %v, want %v", kinds(*got), want)
	}
	after, _ := e.Conversation(c.SID)
	if after.State != StateInactive || after.Rev != (*got)[0].Rev || after.Rev <= c.Rev {
		t.Fatalf("conversation after timer = %+v (rev before %d)", after, c.Rev)
	}
	p, err := e.AddParticipant(c.SID, CreateParticipantParams{Identity: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if ps := e.IdentityConversations("", "bob"); len(ps) != 1 || ps[0].Participant.SID != p.SID || ps[0].NotificationLevel != "default" {
		t.Fatalf("IdentityConversations = %+v", ps)
	}
	m, err := e.AddMessage(c.SID, CreateMessageParams{Author: "bob", Body: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if byIdx, err := e.MessageByIndex(c.SID, m.Index); err != nil || byIdx.SID != m.SID || byIdx.Rev != m.Rev {
		t.Fatalf("MessageByIndex = %+v, %v", byIdx, err)
	}
	if conv, _ := e.Conversation(c.SID); conv.Rev != m.Rev {
		t.Fatalf("conversation rev %d, want the last message's %d", conv.Rev, m.Rev)
	}
}
