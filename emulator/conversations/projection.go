package conversations

import (
	"strconv"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Read helpers for projections of the engine (the Conversations SDK's Sync
// objects, emulator/convsync): what one identity takes part in, read
// horizons, messages by index. They copy what they return.

// ReadHorizon is a participant's read state: the index of the last message
// it read (nil: none), when it was set, and its notification level.
type ReadHorizon struct {
	LastReadMessageIndex *int
	LastReadTimestamp    *time.Time
	NotificationLevel    string // default or muted
}

// Participation is one conversation an identity takes part in.
type Participation struct {
	Conversation *Conversation
	Participant  *Participant
	ReadHorizon
}

// ParticipantReadHorizon returns a participant's read state (the zero
// horizon, level "default", when none was ever set).
func (e *Engine) ParticipantReadHorizon(participantSID string) ReadHorizon {
	rs := e.readStateOf(participantSID)
	return ReadHorizon{LastReadMessageIndex: rs.LastReadMessageIndex, LastReadTimestamp: rs.LastReadTimestamp,
		NotificationLevel: rs.NotificationLevel}
}

// IdentityConversations lists the conversations of a service ("" = the
// default service) with a chat participant of that identity, in creation
// order, whether or not a User exists for it.
func (e *Engine) IdentityConversations(serviceSID, identity string) []*Participation {
	svc := e.serviceSIDOrDefault(serviceSID)
	out := []*Participation{}
	for _, c := range e.convOrder {
		if c.ChatServiceSID != svc {
			continue
		}
		if p := participantByIdentity(c, identity); p != nil {
			out = append(out, &Participation{Conversation: c.snapshot(), Participant: p.clone(),
				ReadHorizon: e.ParticipantReadHorizon(p.SID)})
		}
	}
	return out
}

// IdentityConversation returns the participation of identity in one
// conversation (by SID or unique name within the service), or a 404.
func (e *Engine) IdentityConversation(serviceSID, identity, convRef string) (*Participation, error) {
	c, err := e.lookup(serviceSID, convRef)
	if err != nil {
		return nil, err
	}
	p := participantByIdentity(c, identity)
	if p == nil {
		return nil, twilio.NotFound(servicePath(serviceSID, "/Users/"+identity+"/Conversations/"+convRef))
	}
	return &Participation{Conversation: c.snapshot(), Participant: p.clone(), ReadHorizon: e.ParticipantReadHorizon(p.SID)}, nil
}

// MessageByIndex returns the message of a conversation with that index.
func (e *Engine) MessageByIndex(conversationSID string, index int) (*Message, error) {
	c, err := e.conv(conversationSID)
	if err != nil {
		return nil, err
	}
	for _, m := range c.messages {
		if m.Index == index {
			return m.clone(), nil
		}
	}
	return nil, twilio.NotFound("/Conversations/" + c.SID + "/Messages/" + strconv.Itoa(index))
}

// LastMessage returns a conversation's latest message, or nil when it has none.
func (e *Engine) LastMessage(conversationSID string) *Message {
	c, ok := e.conversations[conversationSID]
	if !ok || len(c.messages) == 0 {
		return nil
	}
	return c.messages[len(c.messages)-1].clone()
}

// MessageCount is how many messages a conversation has (0 when unknown).
func (e *Engine) MessageCount(conversationSID string) int {
	if c, ok := e.conversations[conversationSID]; ok {
		return len(c.messages)
	}
	return 0
}

// ParticipantCount is how many participants a conversation has (0 when unknown).
func (e *Engine) ParticipantCount(conversationSID string) int {
	if c, ok := e.conversations[conversationSID]; ok {
		return len(c.participants)
	}
	return 0
}
