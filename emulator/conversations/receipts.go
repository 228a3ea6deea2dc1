package conversations

import (
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Receipt (DY…) is a message's delivery receipt for one messaging-channel
// recipient. The emulator hands messages to the channel at once and no
// phone reports back, so every receipt stays "sent"; it matches the
// message's delivery summary (sent: all).
type Receipt struct {
	SID               string
	ConversationSID   string
	ChatServiceSID    string
	MessageSID        string
	ParticipantSID    string
	ChannelMessageSID string // the channel's message SID (SM…)
	Status            string // sent
	ErrorCode         *int
	DateCreated       time.Time
	DateUpdated       time.Time
}

// ReceiptStatusSent is the status of a message handed to the channel.
const ReceiptStatusSent = "sent"

// addReceipts creates one receipt per messaging-channel recipient of m (the
// participants the message.sent timeline entries name). insertMessage
// calls it after storing m.
func (e *Engine) addReceipts(c *conversation, m *Message) {
	var out []*Receipt
	for _, x := range c.participants {
		b := x.Binding
		if b == nil || b.Address == "" || b.Address == m.Author {
			continue
		}
		out = append(out, &Receipt{SID: twilio.NewSID("DY"), ConversationSID: c.SID, ChatServiceSID: c.ChatServiceSID,
			MessageSID: m.SID, ParticipantSID: x.SID, ChannelMessageSID: twilio.NewSID("SM"), Status: ReceiptStatusSent,
			DateCreated: m.DateCreated, DateUpdated: m.DateCreated})
	}
	if len(out) > 0 {
		e.directory().receipts[m.SID] = out
	}
}

// Receipts lists a message's delivery receipts in participant order; a
// message with no channel recipients has none.
func (e *Engine) Receipts(conversationSID, messageSID string) ([]*Receipt, error) {
	if _, err := e.Message(conversationSID, messageSID); err != nil {
		return nil, err
	}
	rs := e.directory().receipts[messageSID]
	out := make([]*Receipt, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.clone())
	}
	return out, nil
}

// Receipt returns one delivery receipt of a message.
func (e *Engine) Receipt(conversationSID, messageSID, sid string) (*Receipt, error) {
	if _, err := e.Message(conversationSID, messageSID); err != nil {
		return nil, err
	}
	for _, r := range e.directory().receipts[messageSID] {
		if r.SID == sid {
			return r.clone(), nil
		}
	}
	return nil, twilio.NotFound("/Conversations/" + conversationSID + "/Messages/" + messageSID + "/Receipts/" + sid)
}

func (r *Receipt) clone() *Receipt {
	c := *r
	if r.ErrorCode != nil {
		v := *r.ErrorCode
		c.ErrorCode = &v
	}
	return &c
}
