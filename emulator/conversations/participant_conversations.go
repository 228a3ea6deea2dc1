package conversations

import (
	"github.com/flexemu/flexemu/emulator/twilio"
)

// ParticipantConversation is one conversation a participant (found by chat
// identity or channel address) belongs to, with that participant.
type ParticipantConversation struct {
	Conversation *Conversation
	Participant  *Participant
	// UserSID is the service user whose identity the participant has, if any.
	UserSID string
}

// ParticipantConversationsParams selects a participant by exactly one of
// Identity or Address, in a service ("" = the default service).
type ParticipantConversationsParams struct {
	ChatServiceSID string
	Identity       string
	Address        string // MessagingBinding.Address, e.g. whatsapp:+1…
}

// ParticipantConversations lists, in conversation creation order, every
// conversation of the service (any state) with a participant of the given
// identity or messaging address.
func (e *Engine) ParticipantConversations(p ParticipantConversationsParams) ([]*ParticipantConversation, error) {
	s, err := e.service(p.ChatServiceSID)
	if err != nil {
		return nil, err
	}
	switch {
	case p.Identity == "" && p.Address == "":
		return nil, twilio.BadRequest("Either Identity or Address is required")
	case p.Identity != "" && p.Address != "":
		return nil, twilio.InvalidParam("Address", "give either Identity or Address, not both")
	case len(p.Identity) > maxParticipantIdentityLen:
		return nil, twilio.InvalidParam("Identity", "must be at most %d characters", maxParticipantIdentityLen)
	}
	out := []*ParticipantConversation{}
	for _, c := range e.convOrder {
		if c.ChatServiceSID != s.SID {
			continue
		}
		for _, x := range c.participants {
			if (p.Identity != "" && x.Identity == p.Identity) ||
				(p.Address != "" && x.Binding != nil && x.Binding.Address == p.Address) {
				pc := &ParticipantConversation{Conversation: c.snapshot(), Participant: x.clone()}
				if u := e.userByIdentity(s.SID, x.Identity); u != nil && x.Identity != "" {
					pc.UserSID = u.SID
				}
				out = append(out, pc)
				break
			}
		}
	}
	return out, nil
}
