package conversations

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// InboundParams is a message a customer sends on a channel: From is the
// customer's address, To the account's (e.g. "whatsapp:+14155238886").
type InboundParams struct {
	From, To, Body string
	Attributes     string // optional JSON for the message
}

// InboundResult is where an inbound message landed.
type InboundResult struct {
	Conversation *Conversation
	Participant  *Participant // the customer's participant
	Message      *Message
	Created      bool // a new conversation was auto-created
}

// Inbound routes a channel message the way Twilio does (docs §2.2):
//  1. a participant in a non-closed conversation holding the pair From/To
//     gets the message appended to that conversation;
//  2. else an address configuration for To with auto-creation enabled opens
//     a conversation (with the scoped webhook its type asks for), adds the
//     customer as a participant and the message as index 0;
//  3. else Conversations does not capture the message: Inbound returns a 404
//     (code 20404) and the caller falls back to the number's ordinary
//     Messaging webhook.
//
// Inbound actions always fire webhooks, with Source the channel in upper
// case (SMS, WHATSAPP, …).
func (e *Engine) Inbound(p InboundParams) (*InboundResult, error) {
	if p.From == "" {
		return nil, twilio.MissingParam("From")
	}
	if p.To == "" {
		return nil, twilio.MissingParam("To")
	}
	attrs, err := normaliseAttributes("Attributes", p.Attributes)
	if err != nil {
		return nil, err
	}
	channel := ChannelType(p.From)
	o := Origin{Source: strings.ToUpper(channel)}
	msg := CreateMessageParams{Author: p.From, Body: p.Body, Attributes: attrs, Origin: o}

	if ref, ok := e.bindings[bindingKey{p.From, p.To}]; ok {
		c := e.conversations[ref.conversationSID]
		part := findParticipant(c, ref.participantSID)
		m, err := e.addMessage(c, msg)
		if err != nil {
			return nil, fmt.Errorf("inbound message from %s to %s: %w", p.From, p.To, err)
		}
		return &InboundResult{Conversation: c.snapshot(), Participant: part.clone(), Message: m}, nil
	}

	ac := e.addressByAddress(p.To)
	if ac == nil || !ac.AutoCreation.Enabled {
		why := "no address configuration"
		if ac != nil {
			why = "address configuration " + ac.SID + " has auto-creation disabled"
		}
		return nil, twilio.NewError(http.StatusNotFound, twilio.CodeNotFound,
			"Conversations did not capture the message from %s to %s: no open conversation has this address pair and %s for %s",
			p.From, p.To, why, p.To)
	}
	return e.autoCreate(ac, p.From, p.To, msg)
}

// autoCreate validates everything first, then creates conversation, scoped
// webhook, participant and message, then fires onConversationAdded →
// onParticipantAdded → onMessageAdded.
func (e *Engine) autoCreate(ac *AddressConfiguration, from, to string, mp CreateMessageParams) (*InboundResult, error) {
	c, err := e.newConversation(CreateConversationParams{ChatServiceSID: ac.AutoCreation.ConversationServiceSID})
	if err != nil {
		return nil, fmt.Errorf("auto-creating a conversation for %s (address configuration %s): %w", to, ac.SID, err)
	}
	var hook *Webhook
	switch ac.AutoCreation.Type {
	case "webhook":
		hook, err = e.newWebhook(c, CreateWebhookParams{Target: "webhook", URL: ac.AutoCreation.WebhookURL,
			Method: ac.AutoCreation.WebhookMethod, Filters: ac.AutoCreation.WebhookFilters})
	case "studio":
		hook, err = e.newWebhook(c, CreateWebhookParams{Target: "studio", FlowSID: ac.AutoCreation.StudioFlowSID})
	}
	if err != nil {
		return nil, fmt.Errorf("auto-creation webhook of address configuration %s: %w", ac.SID, err)
	}
	part, err := e.newParticipant(c, CreateParticipantParams{Address: from, ProxyAddress: to})
	if err != nil {
		return nil, fmt.Errorf("inbound message from %s to %s: %w", from, to, err)
	}
	m, err := e.newMessage(c, mp)
	if err != nil {
		return nil, fmt.Errorf("inbound message from %s to %s: %w", from, to, err)
	}
	m.ParticipantSID = part.SID // the author is the customer, who is not stored yet

	e.insertConversation(c)
	if hook != nil {
		e.insertWebhook(c, hook)
	}
	e.insertParticipant(c, part)
	e.insertMessage(c, m)
	e.record("conversation.auto_created", c.SID, fmt.Sprintf("inbound %s from %s to %s opened conversation %s", part.Binding.Type, from, to, c.SID),
		map[string]string{"conversation_sid": c.SID, "address_configuration_sid": ac.SID, "participant_sid": part.SID,
			"message_sid": m.SID, "address": from, "proxy_address": to})

	added := conversationParams(c, false)
	added.Set("MessagingBinding.Address", from)
	added.Set("MessagingBinding.ProxyAddress", to)
	set(added, "MessageBody", m.Body)
	e.emit(mp.Origin, c, evConversationAdded, added, nil)
	e.emit(mp.Origin, c, evParticipantAdded, participantParams(part), nil)
	e.emit(mp.Origin, c, evMessageAdded, messageParams(c, m), m)
	return &InboundResult{Conversation: c.snapshot(), Participant: part.clone(), Message: m.clone(), Created: true}, nil
}
