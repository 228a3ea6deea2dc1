package conversations

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/emulator/webhook"
)

// InboundParams is a message a customer sends on a channel: From is the
// customer's address, To the account's (e.g. "whatsapp:+14155238886").
type InboundParams struct {
	From, To, Body string
	Attributes     string // optional JSON for the message
}

// InboundResult is where an inbound message landed: the conversation, the
// customer's participant, the message, and whether the conversation was
// auto-created.
type InboundResult = Result

// inboundRoute is where an inbound message goes: an existing binding's
// conversation, or auto-creation through an address configuration.
type inboundRoute struct {
	conversationSID, participantSID string
	addressSID                      string
}

// maxStaleRetries bounds how often Inbound re-prepares a message whose route
// changed while its pre-event was out.
const maxStaleRetries = 3

// Inbound routes a channel message in one go: PrepareInbound, the pre-event
// (if any) delivered synchronously through env.Webhooks.Do, then Commit.
// It waits on the network, so call it only where no lock the user's
// pre-webhook handler needs is held (engine unit tests); the account runs
// the phases itself around its lock.
func (e *Engine) Inbound(p InboundParams) (*InboundResult, error) {
	for try := 1; ; try++ {
		pend, err := e.PrepareInbound(p)
		if err != nil {
			return nil, err
		}
		var answer *webhook.Delivery
		if pend.PreEvent != nil {
			del := e.env.Webhooks.Do(context.Background(), *pend.PreEvent)
			answer = &del
		}
		res, err := e.Commit(pend, answer)
		if errors.Is(err, ErrStale) && try < maxStaleRetries {
			continue
		}
		return res, err
	}
}

// PrepareInbound decides where a channel message goes the way Twilio does
// (docs §2.2), validates it, and builds its pre-event:
//  1. a participant in a non-closed conversation holding the pair From/To
//     gets the message appended to that conversation (pre-event
//     onMessageAdd);
//  2. else an address configuration for To with auto-creation enabled opens
//     a conversation (with the scoped webhook its type asks for), adds the
//     customer as a participant and the message as index 0 (pre-event
//     onConversationAdd only: no onParticipantAdd or onMessageAdd);
//  3. else Conversations does not capture the message: a 404 (code 20404)
//     and the caller falls back to the number's ordinary Messaging webhook.
//
// Inbound actions always fire webhooks, with Source the channel in upper
// case (SMS, WHATSAPP, …).
func (e *Engine) PrepareInbound(p InboundParams) (*Pending, error) {
	if p.From == "" {
		return nil, twilio.MissingParam("From")
	}
	if p.To == "" {
		return nil, twilio.MissingParam("To")
	}
	attrs, err := normaliseAttributes("Attributes", p.Attributes, messageAttrs)
	if err != nil {
		return nil, err
	}
	p.Attributes = attrs
	route, err := e.routeInbound(p.From, p.To)
	if err != nil {
		return nil, err
	}
	o := inboundOrigin(p.From)
	pend := &Pending{engine: e, kind: kindInbound, origin: o, inbound: route, in: p}
	refs := map[string]string{"from": p.From, "to": p.To}
	if route.conversationSID != "" {
		c := e.conversations[route.conversationSID]
		m, err := e.newMessage(c, inboundMessage(p, o))
		if err != nil {
			return nil, fmt.Errorf("inbound message from %s to %s: %w", p.From, p.To, err)
		}
		pend.Event, pend.conversationSID = evMessageAdd, c.SID
		refs["conversation_sid"], refs["participant_sid"] = c.SID, route.participantSID
		pend.PreEvent = e.preEvent(o, c.ChatServiceSID, evMessageAdd, preMessageParams(c, m), refs)
		return pend, nil
	}
	ac := e.addressBySID(route.addressSID)
	c, err := e.newConversation(CreateConversationParams{ChatServiceSID: ac.AutoCreation.ConversationServiceSID})
	if err != nil {
		return nil, fmt.Errorf("auto-creating a conversation for %s (address configuration %s): %w", p.To, ac.SID, err)
	}
	if _, err := e.checkBinding(p.From, p.To); err != nil {
		return nil, fmt.Errorf("inbound message from %s to %s: %w", p.From, p.To, err)
	}
	pend.Event = evConversationAdd
	refs["address_configuration_sid"] = ac.SID
	v := url.Values{}
	set(v, "MessagingServiceSid", c.MessagingServiceSID)
	set(v, "MessageBody", p.Body)
	v.Set("MessagingBinding.Address", p.From)
	v.Set("MessagingBinding.ProxyAddress", p.To)
	pend.PreEvent = e.preEvent(o, c.ChatServiceSID, evConversationAdd, v, refs)
	return pend, nil
}

// routeInbound applies the routing rule without changing anything.
func (e *Engine) routeInbound(from, to string) (inboundRoute, error) {
	if ref, ok := e.bindings[bindingKey{from, to}]; ok {
		return inboundRoute{conversationSID: ref.conversationSID, participantSID: ref.participantSID}, nil
	}
	ac := e.addressByAddress(to)
	if ac == nil || !ac.AutoCreation.Enabled {
		why := "no address configuration"
		if ac != nil {
			why = "address configuration " + ac.SID + " has auto-creation disabled"
		}
		return inboundRoute{}, notCaptured(from, to, why)
	}
	return inboundRoute{addressSID: ac.SID}, nil
}

// commitInbound re-routes the message (the pre-event's handler may have
// closed the conversation or another message may have opened one) and
// commits it where it was prepared to go, with the pre-event's overrides.
func (e *Engine) commitInbound(p *Pending, ov overrides) (*Result, error) {
	route, err := e.routeInbound(p.in.From, p.in.To)
	if err != nil || route != p.inbound {
		return nil, fmt.Errorf("inbound message from %s to %s: %w", p.in.From, p.in.To, ErrStale)
	}
	msg := inboundMessage(p.in, p.origin)
	if route.conversationSID != "" {
		ov.message(&msg)
		c := e.conversations[route.conversationSID]
		part := findParticipant(c, route.participantSID)
		m, err := e.addMessage(c, msg)
		if err != nil {
			return nil, fmt.Errorf("inbound message from %s to %s: %w", p.in.From, p.in.To, err)
		}
		return &Result{Conversation: c.snapshot(), Participant: part.clone(), Message: m}, nil
	}
	ac := e.addressBySID(route.addressSID)
	cp := CreateConversationParams{ChatServiceSID: ac.AutoCreation.ConversationServiceSID}
	if err := ov.conversation(&cp); err != nil {
		return nil, err
	}
	return e.autoCreate(ac, p.in.From, p.in.To, cp, msg)
}

// autoCreate validates everything first, then creates conversation, scoped
// webhook, participant and message, then fires onConversationAdded →
// onParticipantAdded → onMessageAdded.
func (e *Engine) autoCreate(ac *AddressConfiguration, from, to string, cp CreateConversationParams, mp CreateMessageParams) (*InboundResult, error) {
	c, err := e.newConversation(cp)
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
	if m.Author == from {
		m.ParticipantSID = part.SID // the author is the customer, who is not stored yet
	}

	e.insertConversation(c)
	if hook != nil {
		e.insertWebhook(c, hook)
	}
	e.insertParticipant(c, part)
	e.insertMessage(c, m)
	e.record("conversation.auto_created", c.SID, "inbound "+part.Binding.Type+" from "+from+" to "+to+" opened conversation "+c.SID,
		map[string]string{"conversation_sid": c.SID, "address_configuration_sid": ac.SID, "participant_sid": part.SID,
			"message_sid": m.SID, "address": from, "proxy_address": to})

	// The events' parameters are built only if a webhook delivers them.
	e.emitf(mp.Origin, c, evConversationAdded, func() url.Values {
		added := conversationParams(c, false)
		added.Set("MessagingBinding.Address", from)
		added.Set("MessagingBinding.ProxyAddress", to)
		set(added, "MessageBody", m.Body)
		return added
	}, nil)
	e.emitf(mp.Origin, c, evParticipantAdded, func() url.Values { return participantParams(part) }, nil)
	e.emitf(mp.Origin, c, evMessageAdded, func() url.Values { return messageParams(c, m) }, m)
	return &InboundResult{Conversation: c.snapshot(), Participant: part.clone(), Message: m.clone(), Created: true}, nil
}

func inboundOrigin(from string) Origin { return Origin{Source: strings.ToUpper(ChannelType(from))} }

func inboundMessage(p InboundParams, o Origin) CreateMessageParams {
	return CreateMessageParams{Author: p.From, Body: p.Body, Attributes: p.Attributes, Origin: o}
}

func notCaptured(from, to, why string) error {
	return twilio.Fail(twilio.KindNotFound, twilio.CodeNotFound,
		"Conversations did not capture the message from %s to %s: no open conversation has this address pair and %s for %s",
		from, to, why, to)
}
