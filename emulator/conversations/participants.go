package conversations

import (
	"fmt"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Participant (MB…) is a member of a conversation: a chat user (Identity) or
// a customer on a messaging channel (Binding).
type Participant struct {
	SID             string
	ConversationSID string
	ChatServiceSID  string
	Identity        string            // chat participants; "" renders as null
	Binding         *MessagingBinding // SMS/WhatsApp participants; nil for chat
	Attributes      string
	RoleSID         string
	DateCreated     time.Time
	DateUpdated     time.Time
	// Rev is the revision of the participant's last change, its read
	// horizon included (see Change).
	Rev uint64
}

// MessagingBinding is a participant's channel address pair. Inbound From
// matches Address, To matches ProxyAddress.
type MessagingBinding struct {
	Type             string // sms, whatsapp, messenger, rcs, …
	Address          string // the customer's address
	ProxyAddress     string // the account's address
	ProjectedAddress string // group MMS chat participants only
}

// CreateParticipantParams adds a participant: Identity for chat, or Address
// and ProxyAddress for a messaging channel.
type CreateParticipantParams struct {
	SID              string // fixtures pin it; empty mints one
	Identity         string
	Address          string // MessagingBinding.Address
	ProxyAddress     string // MessagingBinding.ProxyAddress
	ProjectedAddress string // MessagingBinding.ProjectedAddress
	Attributes       string
	RoleSID          string // default: the service's conversation role
	DateCreated      time.Time
	DateUpdated      time.Time
	Origin
}

// Conversations participant error codes.
const (
	CodeProxyAddressInvalid = 50408 // invalid proxy address
	CodeAddressEqualsProxy  = 50409 // address equals proxy address
	CodeProxyAddressEmpty   = 50412 // proxy address missing
	CodeBindingInUse        = 50416 // address pair already in a non-closed conversation
	CodeParticipantExists   = 50433 // identity already in this conversation
	// CodeConversationIsClosed is returned (HTTP 400) when adding a message or
	// participant to a closed conversation; Twilio's own code is unconfirmed.
	CodeConversationIsClosed = twilio.CodeInvalidParameter
)

const maxParticipantIdentityLen = 256

type bindingKey struct{ address, proxy string }

type bindingRef struct{ conversationSID, participantSID string }

// ChannelType derives a messaging channel from an address prefix:
// "whatsapp:+1…" is whatsapp, "messenger:…" messenger, "rcs:…" rcs,
// "gbm:…" gbm, "urn:mbid:…" apple, anything else sms.
func ChannelType(address string) string {
	if strings.HasPrefix(address, "urn:mbid:") {
		return "apple"
	}
	if i := strings.IndexByte(address, ':'); i > 0 {
		switch p := strings.ToLower(address[:i]); p {
		case "whatsapp", "messenger", "rcs", "gbm":
			return p
		}
	}
	return "sms"
}

// AddParticipant adds a participant to a conversation. A messaging binding's
// address pair may belong to only one non-closed conversation (50416); an
// identity may join a conversation once (50433).
func (e *Engine) AddParticipant(conversationSID string, p CreateParticipantParams) (*Participant, error) {
	c, err := e.conv(conversationSID)
	if err != nil {
		return nil, err
	}
	part, err := e.newParticipant(c, p)
	if err != nil {
		return nil, err
	}
	e.insertParticipant(c, part)
	e.emit(p.Origin, c, evParticipantAdded, participantParams(part), nil)
	return part.clone(), nil
}

// newParticipant validates p against c and builds (but does not store) a participant.
func (e *Engine) newParticipant(c *conversation, p CreateParticipantParams) (*Participant, error) {
	if c.State == StateClosed {
		return nil, twilio.Fail(twilio.KindInvalid, CodeConversationIsClosed,
			"Conversation %s is closed: participants cannot be added to a closed conversation", c.SID)
	}
	attrs, err := normaliseAttributes("Attributes", p.Attributes, participantAttrs)
	if err != nil {
		return nil, err
	}
	if p.RoleSID != "" {
		if err := e.checkParticipantRoleRef(c.ChatServiceSID, p.RoleSID); err != nil {
			return nil, err
		}
	}
	part := &Participant{ConversationSID: c.SID, ChatServiceSID: c.ChatServiceSID, Attributes: attrs, RoleSID: p.RoleSID}
	switch {
	case p.Identity != "" && p.Address != "":
		return nil, twilio.InvalidParam("Identity", "a participant has either Identity or MessagingBinding.Address, not both")
	case p.Identity != "":
		if len(p.Identity) > maxParticipantIdentityLen {
			return nil, twilio.InvalidParam("Identity", "must be at most %d characters", maxParticipantIdentityLen)
		}
		for _, x := range c.participants {
			if x.Identity == p.Identity {
				return nil, twilio.Fail(twilio.KindConflict, CodeParticipantExists,
					"Participant with identity %q already exists in conversation %s (%s)", p.Identity, c.SID, x.SID)
			}
		}
		part.Identity = p.Identity
		if p.ProjectedAddress != "" {
			part.Binding = &MessagingBinding{Type: "sms", ProjectedAddress: p.ProjectedAddress}
		}
	case p.Address != "":
		b, err := e.checkBinding(p.Address, p.ProxyAddress)
		if err != nil {
			return nil, err
		}
		part.Binding = b
	default:
		return nil, twilio.BadRequest("Either Identity or MessagingBinding.Address (with MessagingBinding.ProxyAddress) is required")
	}
	if part.RoleSID == "" {
		if svc, ok := e.services[c.ChatServiceSID]; ok {
			part.RoleSID = svc.DefaultConversationRoleSID
		}
	}
	sid := p.SID
	if sid == "" {
		sid = twilio.NewSID("MB")
	} else if !twilio.IsSID(sid, "MB") {
		return nil, twilio.InvalidParam("Sid", "%q is not a Participant SID (MB…)", sid)
	} else if findParticipant(c, sid) != nil {
		return nil, twilio.Conflict(twilio.CodeConflict, "Participant %s already exists", sid)
	}
	part.SID = sid
	now := e.now()
	part.DateCreated, part.DateUpdated = now, now
	if !p.DateCreated.IsZero() {
		part.DateCreated = p.DateCreated.UTC()
	}
	if !p.DateUpdated.IsZero() {
		part.DateUpdated = p.DateUpdated.UTC()
	}
	return part, nil
}

// checkBinding validates an address pair and that no non-closed conversation holds it.
func (e *Engine) checkBinding(address, proxy string) (*MessagingBinding, error) {
	if proxy == "" {
		return nil, twilio.Fail(twilio.KindInvalid, CodeProxyAddressEmpty,
			"MessagingBinding.ProxyAddress is required with MessagingBinding.Address")
	}
	if address == proxy {
		return nil, twilio.Fail(twilio.KindInvalid, CodeAddressEqualsProxy,
			"MessagingBinding.Address and MessagingBinding.ProxyAddress must differ (both are %s)", address)
	}
	typ := ChannelType(address)
	if ChannelType(proxy) != typ {
		return nil, twilio.Fail(twilio.KindInvalid, CodeProxyAddressInvalid,
			"MessagingBinding.ProxyAddress %q is not a %s address like MessagingBinding.Address %q", proxy, typ, address)
	}
	if len(proxy) > 256 {
		return nil, twilio.Fail(twilio.KindInvalid, CodeProxyAddressInvalid, "MessagingBinding.ProxyAddress is longer than 256 characters")
	}
	switch typ {
	case "sms":
		if !isE164(address) {
			return nil, twilio.InvalidParam("MessagingBinding.Address", "%q is not an E.164 phone number", address)
		}
		if !isE164(proxy) && !isShortCode(proxy) {
			return nil, twilio.Fail(twilio.KindInvalid, CodeProxyAddressInvalid,
				"MessagingBinding.ProxyAddress %q is not an E.164 phone number or short code", proxy)
		}
	case "whatsapp":
		if !isE164(strings.TrimPrefix(address, "whatsapp:")) {
			return nil, twilio.InvalidParam("MessagingBinding.Address", "%q is not a WhatsApp address (whatsapp:+15551234567)", address)
		}
		if !isE164(strings.TrimPrefix(proxy, "whatsapp:")) {
			return nil, twilio.Fail(twilio.KindInvalid, CodeProxyAddressInvalid,
				"MessagingBinding.ProxyAddress %q is not a WhatsApp address (whatsapp:+15551234567)", proxy)
		}
	}
	if ref, taken := e.bindings[bindingKey{address, proxy}]; taken {
		return nil, twilio.Fail(twilio.KindConflict, CodeBindingInUse,
			"A binding for this participant and proxy address already exists in Conversation %s (participant %s): %s / %s",
			ref.conversationSID, ref.participantSID, address, proxy)
	}
	return &MessagingBinding{Type: typ, Address: address, ProxyAddress: proxy}, nil
}

func (e *Engine) insertParticipant(c *conversation, part *Participant) {
	c.participants = append(c.participants, part)
	refs := map[string]string{"conversation_sid": c.SID, "participant_sid": part.SID}
	who := part.Identity
	if part.Identity != "" {
		refs["identity"] = part.Identity
	}
	if b := part.Binding; b != nil && b.Address != "" {
		e.bindings[bindingKey{b.Address, b.ProxyAddress}] = bindingRef{c.SID, part.SID}
		refs["address"], refs["proxy_address"], refs["channel_type"] = b.Address, b.ProxyAddress, b.Type
		who = b.Type + " " + b.Address + " via " + b.ProxyAddress
	}
	e.record("participant.created", part.SID, "participant "+part.SID+" ("+who+") joined conversation "+c.SID, refs)
	e.participantChanged(c, part, ChangeParticipantAdded, "")
}

// Participant returns one participant of a conversation by MB SID or by
// identity (Twilio accepts either in the {Sid} path segment).
func (e *Engine) Participant(conversationSID, participantSID string) (*Participant, error) {
	c, err := e.conv(conversationSID)
	if err != nil {
		return nil, err
	}
	p := participantRef(c, participantSID)
	if p == nil {
		return nil, twilio.NotFound("/Conversations/" + c.SID + "/Participants/" + participantSID)
	}
	return p.clone(), nil
}

// Participants lists a conversation's participants in joining order.
func (e *Engine) Participants(conversationSID string) ([]*Participant, error) {
	c, err := e.conv(conversationSID)
	if err != nil {
		return nil, err
	}
	out := make([]*Participant, 0, len(c.participants))
	for _, p := range c.participants {
		out = append(out, p.clone())
	}
	return out, nil
}

// RemoveParticipant removes a participant (MB SID or identity), freeing its binding.
func (e *Engine) RemoveParticipant(conversationSID, participantSID string, o Origin) error {
	c, err := e.conv(conversationSID)
	if err != nil {
		return err
	}
	part := participantRef(c, participantSID)
	if part == nil {
		return twilio.NotFound("/Conversations/" + c.SID + "/Participants/" + participantSID)
	}
	for i, x := range c.participants {
		if x == part {
			c.participants = append(c.participants[:i], c.participants[i+1:]...)
			break
		}
	}
	e.unbind(c, part)
	e.record("participant.deleted", part.SID, fmt.Sprintf("participant %s left conversation %s", part.SID, c.SID),
		map[string]string{"conversation_sid": c.SID, "participant_sid": part.SID})
	if len(e.changeListeners) > 0 {
		e.changed(Change{Kind: ChangeParticipantRemoved, Rev: e.nextRev(), ChatServiceSID: c.ChatServiceSID, ConversationSID: c.SID,
			ParticipantSID: part.SID, Identity: part.Identity, Participant: part.clone()})
	}
	params := participantParams(part)
	params.Set("DateUpdated", webhookTime(part.DateUpdated))
	params.Set("DateRemoved", webhookTime(e.now()))
	e.emit(o, c, evParticipantRemoved, params, nil)
	return nil
}

// CustomerBinding returns the first messaging-binding participant of a
// conversation: the customer's channel, address and the account's address.
func (e *Engine) CustomerBinding(conversationSID string) (channelType, address, proxyAddress string, ok bool) {
	c, found := e.conversations[conversationSID]
	if !found {
		return "", "", "", false
	}
	if b := customerBinding(c); b != nil {
		return b.Type, b.Address, b.ProxyAddress, true
	}
	return "", "", "", false
}

func customerBinding(c *conversation) *MessagingBinding {
	for _, p := range c.participants {
		if p.Binding != nil && p.Binding.Address != "" {
			return p.Binding
		}
	}
	return nil
}

func (e *Engine) unbind(c *conversation, p *Participant) {
	if p.Binding == nil || p.Binding.Address == "" {
		return
	}
	k := bindingKey{p.Binding.Address, p.Binding.ProxyAddress}
	if ref, ok := e.bindings[k]; ok && ref.conversationSID == c.SID && ref.participantSID == p.SID {
		delete(e.bindings, k)
	}
}

func (e *Engine) unbindAll(c *conversation) {
	for _, p := range c.participants {
		e.unbind(c, p)
	}
}

func findParticipant(c *conversation, sid string) *Participant {
	for _, p := range c.participants {
		if p.SID == sid {
			return p
		}
	}
	return nil
}

// participantRef resolves a Participant path reference: the MB SID or, as
// Twilio's {Sid} allows, the chat participant's identity.
func participantRef(c *conversation, ref string) *Participant {
	if p := findParticipant(c, ref); p != nil {
		return p
	}
	return participantByIdentity(c, ref)
}

// participantForAuthor finds the participant a message author names: a chat
// identity or a binding address.
func participantForAuthor(c *conversation, author string) *Participant {
	for _, p := range c.participants {
		if p.Identity != "" && p.Identity == author {
			return p
		}
		if p.Binding != nil && p.Binding.Address != "" && p.Binding.Address == author {
			return p
		}
	}
	return nil
}

func (p *Participant) clone() *Participant {
	c := *p
	if p.Binding != nil {
		b := *p.Binding
		c.Binding = &b
	}
	return &c
}
