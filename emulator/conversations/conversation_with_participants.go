package conversations

import (
	"errors"
	"fmt"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// CodeBindingsInUse is ConversationWithParticipants' error when one or more
// participant/proxy address pairs are already in a non-closed conversation
// (or repeated in the request); HTTP 409 like 50416.
const CodeBindingsInUse = 50425

// MaxParticipantsPerRequest is Twilio's limit of Participant values in one
// ConversationWithParticipants request.
const MaxParticipantsPerRequest = 10

// CreateConversationWithParticipants opens a conversation and adds its
// participants in one step, all or nothing: every participant is validated
// against the new conversation and each other before anything is stored.
// The conversation's Origin also applies to the participants' events.
func (e *Engine) CreateConversationWithParticipants(p CreateConversationParams, parts []CreateParticipantParams) (*Conversation, []*Participant, error) {
	if len(parts) > MaxParticipantsPerRequest {
		return nil, nil, twilio.InvalidParam("Participant", "at most %d participants may be added in one request, got %d",
			MaxParticipantsPerRequest, len(parts))
	}
	c, err := e.newConversation(p)
	if err != nil {
		return nil, nil, err
	}
	pairs := map[bindingKey]int{}
	built := make([]*Participant, 0, len(parts))
	for i, pp := range parts {
		pp.Origin = p.Origin
		c.participants = built // duplicates within the request are checked like existing participants
		part, err := e.newParticipant(c, pp)
		c.participants = nil
		if err != nil {
			return nil, nil, participantError(i, err)
		}
		if b := part.Binding; b != nil && b.Address != "" {
			k := bindingKey{b.Address, b.ProxyAddress}
			if j, dup := pairs[k]; dup {
				return nil, nil, twilio.Conflict(CodeBindingsInUse,
					"Participant and proxy address pairs for one or more participants already in use: participants #%d and #%d are both %s / %s",
					j+1, i+1, b.Address, b.ProxyAddress)
			}
			pairs[k] = i
		}
		built = append(built, part)
	}
	e.insertConversation(c)
	e.emit(p.Origin, c, evConversationAdded, conversationParams(c, false), nil)
	out := make([]*Participant, 0, len(built))
	for _, part := range built {
		e.insertParticipant(c, part)
		e.emit(p.Origin, c, evParticipantAdded, participantParams(part), nil)
		out = append(out, part.clone())
	}
	return c.snapshot(), out, nil
}

// participantError names the failing Participant value (1-based) and turns
// a binding already in use (50416) into Twilio's batch code 50425.
func participantError(i int, err error) error {
	var te *twilio.Error
	if !errors.As(err, &te) {
		return fmt.Errorf("participant #%d: %w", i+1, err)
	}
	if te.Code == CodeBindingInUse {
		return twilio.Fail(twilio.KindConflict, CodeBindingsInUse,
			"Participant and proxy address pairs for one or more participants already in use: participant #%d: %s", i+1, te.Message)
	}
	return twilio.Fail(te.Kind(), te.Code, "Invalid Participant #%d: %s", i+1, te.Message)
}
