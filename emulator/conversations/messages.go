package conversations

import (
	"fmt"
	"github.com/flexemu/flexemu/emulator/eventtype"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Message (IM…) is one message in a conversation.
type Message struct {
	SID             string
	ConversationSID string
	ChatServiceSID  string
	Index           int // per conversation, from 0, never reused
	Author          string
	Body            string
	Attributes      string
	ParticipantSID  string // the participant Author names, if any
	MediaSIDs       []string
	ContentSID      string
	Delivery        *Delivery // nil when no messaging-channel recipient
	DateCreated     time.Time
	DateUpdated     time.Time
	// FromStudio marks a message a Studio flow posted; it never triggers
	// target-studio webhooks.
	FromStudio bool
	// Rev is the revision of the message's last change (see Change).
	Rev uint64
}

// Delivery summarises delivery to non-chat recipients (all|some|none).
type Delivery struct {
	Total                                      int
	Sent, Delivered, Read, Failed, Undelivered string
}

// CreateMessageParams adds a message.
type CreateMessageParams struct {
	SID        string // fixtures pin it; empty mints one
	Author     string // default "system"
	Body       string
	Attributes string
	MediaSIDs  []string
	ContentSID string
	// FromStudio is set by the Studio engine on messages a flow posts, so
	// they are not fed back into Studio.
	FromStudio  bool
	DateCreated time.Time
	DateUpdated time.Time
	Origin
}

// UpdateMessageParams changes a message; nil fields stay as they are.
type UpdateMessageParams struct {
	Author      *string
	Body        *string
	Attributes  *string
	DateCreated *time.Time
	DateUpdated *time.Time
	Origin
}

// AddMessage appends a message to a conversation. Adding to a closed
// conversation fails (400, code 20001); an inactive conversation becomes
// active again, and the conversation's timers restart. Post-event webhooks
// fire per p.Origin: always for SDK and channel origins (an agent's reply
// from Flex is Origin{Source: SourceSDK, ClientIdentity: identity}), for REST
// only with WebhookEnabled. AddMessage sends no pre-event: an SDK action that
// must honour onMessageAdd goes through PrepareMessage and Commit.
func (e *Engine) AddMessage(conversationSID string, p CreateMessageParams) (*Message, error) {
	c, err := e.conv(conversationSID)
	if err != nil {
		return nil, err
	}
	return e.addMessage(c, p)
}

func (e *Engine) addMessage(c *conversation, p CreateMessageParams) (*Message, error) {
	m, err := e.newMessage(c, p)
	if err != nil {
		return nil, err
	}
	from := c.State
	if c.State == StateInactive {
		e.setState(c, StateActive, reasonAPI)
		c.DateUpdated = e.now()
	}
	e.insertMessage(c, m)
	if from != c.State {
		e.emit(p.Origin, c, evConversationStateUpdated, stateParams(c, from, reasonAPI, e.now()), nil)
	}
	e.emitf(p.Origin, c, evMessageAdded, func() url.Values { return messageParams(c, m) }, m)
	return m.clone(), nil
}

// checkBody applies Twilio's Body limits: 32 KB for any message, and 1,600
// characters for one sent (not received) in a conversation with SMS or
// WhatsApp participants, the most those channels deliver.
func checkBody(c *conversation, body string, inbound bool) error {
	if len(body) > maxBodyBytes {
		return twilio.TooLarge(CodeBodyTooLong, "Body", len(body), maxBodyBytes, "bytes")
	}
	if inbound || len(body) <= maxSMSBodyChars {
		return nil
	}
	for _, x := range c.participants {
		if x.Binding != nil && (x.Binding.Type == "sms" || x.Binding.Type == "whatsapp") {
			if n := utf8.RuneCountInString(body); n > maxSMSBodyChars {
				return twilio.Fail(twilio.KindInvalid, CodeBodyTooLong,
					"Invalid Body: %d characters; the maximum is %d characters in a conversation with %s participants",
					n, maxSMSBodyChars, strings.ToUpper(x.Binding.Type))
			}
			return nil
		}
	}
	return nil
}

// newMessage validates p and builds (but does not store) the next message of c.
func (e *Engine) newMessage(c *conversation, p CreateMessageParams) (*Message, error) {
	if c.State == StateClosed {
		return nil, twilio.Fail(twilio.KindInvalid, CodeConversationIsClosed,
			"Conversation %s is closed: messages cannot be added to a closed conversation", c.SID)
	}
	attrs, err := normaliseAttributes("Attributes", p.Attributes, messageAttrs)
	if err != nil {
		return nil, err
	}
	if err := checkBody(c, p.Body, p.Origin.inbound()); err != nil {
		return nil, err
	}
	for _, s := range p.MediaSIDs {
		if !twilio.IsSID(s, "ME") {
			return nil, twilio.InvalidParam("MediaSid", "%q is not a Media SID (ME…)", s)
		}
	}
	if p.ContentSID != "" && !twilio.IsSID(p.ContentSID, "HX") {
		return nil, twilio.InvalidParam("ContentSid", "%q is not a Content SID (HX…)", p.ContentSID)
	}
	sid := p.SID
	if sid == "" {
		sid = twilio.NewSID("IM")
	} else if !twilio.IsSID(sid, "IM") {
		return nil, twilio.InvalidParam("Sid", "%q is not a Message SID (IM…)", sid)
	} else if findMessage(c, sid) != nil {
		return nil, twilio.Conflict(twilio.CodeConflict, "Message %s already exists", sid)
	}
	author := p.Author
	if author == "" {
		author = "system"
	}
	m := &Message{SID: sid, ConversationSID: c.SID, ChatServiceSID: c.ChatServiceSID, Index: c.nextIndex,
		Author: author, Body: p.Body, Attributes: attrs, MediaSIDs: cloneStrings(p.MediaSIDs), ContentSID: p.ContentSID,
		FromStudio: p.FromStudio}
	var recipients int
	for _, x := range c.participants {
		if x.Binding != nil && x.Binding.Address != "" && x.Binding.Address != author {
			recipients++
		}
	}
	if part := participantForAuthor(c, author); part != nil {
		m.ParticipantSID = part.SID
	}
	if recipients > 0 {
		m.Delivery = &Delivery{Total: recipients, Sent: "all", Delivered: "none", Read: "none", Failed: "none", Undelivered: "none"}
	}
	now := e.now()
	m.DateCreated, m.DateUpdated = now, now
	if !p.DateCreated.IsZero() {
		m.DateCreated = p.DateCreated.UTC()
	}
	if !p.DateUpdated.IsZero() {
		m.DateUpdated = p.DateUpdated.UTC()
	}
	return m, nil
}

// insertMessage stores m and records it, plus one message.sent entry per
// messaging-channel recipient (what the customer's phone would receive). A
// new message is activity: the conversation's timers restart.
func (e *Engine) insertMessage(c *conversation, m *Message) {
	c.messages = append(c.messages, m)
	c.nextIndex = m.Index + 1
	e.armTimers(c)
	refs := map[string]string{"conversation_sid": c.SID, "message_sid": m.SID, "author": m.Author}
	if m.ParticipantSID != "" {
		refs["participant_sid"] = m.ParticipantSID
	}
	e.record(eventtype.MessageCreated, m.SID, "message #"+strconv.Itoa(m.Index)+" by "+m.Author+" in conversation "+c.SID+": "+strconv.Quote(m.Body), refs)
	for _, x := range c.participants {
		b := x.Binding
		if b == nil || b.Address == "" || b.Address == m.Author {
			continue
		}
		e.record(eventtype.MessageSent, m.SID, b.Type+" message to "+b.Address+" from "+b.ProxyAddress+": "+strconv.Quote(m.Body),
			map[string]string{"conversation_sid": c.SID, "message_sid": m.SID, "participant_sid": x.SID,
				"channel_type": b.Type, "to": b.Address, "from": b.ProxyAddress})
	}
	e.addReceipts(c, m) // one delivery receipt per channel recipient (receipts.go)
	m.Rev = e.nextRev()
	c.Rev = m.Rev // the conversation's last message changed
	e.changed(Change{Kind: ChangeMessageAdded, Rev: m.Rev, ChatServiceSID: c.ChatServiceSID, ConversationSID: c.SID,
		ParticipantSID: m.ParticipantSID, Identity: m.Author, MessageSID: m.SID, MessageIndex: m.Index})
}

// Message returns one message of a conversation.
func (e *Engine) Message(conversationSID, messageSID string) (*Message, error) {
	c, err := e.conv(conversationSID)
	if err != nil {
		return nil, err
	}
	m := findMessage(c, messageSID)
	if m == nil {
		return nil, twilio.NotFound("/Conversations/" + c.SID + "/Messages/" + messageSID)
	}
	return m.clone(), nil
}

// Messages lists a conversation's messages by index, ascending unless desc.
func (e *Engine) Messages(conversationSID string, desc bool) ([]*Message, error) {
	c, err := e.conv(conversationSID)
	if err != nil {
		return nil, err
	}
	out := make([]*Message, len(c.messages))
	for i, m := range c.messages {
		if desc {
			out[len(c.messages)-1-i] = m.clone()
		} else {
			out[i] = m.clone()
		}
	}
	return out, nil
}

// MessagesSince returns a conversation's messages with an index of at least
// index, in index order: what a terminal client waiting for replies polls
// with the index after the last message it has seen.
func (e *Engine) MessagesSince(conversationSID string, index int) ([]*Message, error) {
	c, err := e.conv(conversationSID)
	if err != nil {
		return nil, err
	}
	out := []*Message{}
	for _, m := range c.messages {
		if m.Index >= index {
			out = append(out, m.clone())
		}
	}
	return out, nil
}

// UpdateMessage changes a message's author, body or attributes.
func (e *Engine) UpdateMessage(conversationSID, messageSID string, p UpdateMessageParams) (*Message, error) {
	c, err := e.conv(conversationSID)
	if err != nil {
		return nil, err
	}
	m := findMessage(c, messageSID)
	if m == nil {
		return nil, twilio.NotFound("/Conversations/" + c.SID + "/Messages/" + messageSID)
	}
	var attrs string
	if p.Attributes != nil {
		if attrs, err = normaliseAttributes("Attributes", *p.Attributes, messageAttrs); err != nil {
			return nil, err
		}
	}
	if p.Body != nil {
		if err := checkBody(c, *p.Body, false); err != nil {
			return nil, err
		}
	}
	if p.Author != nil {
		m.Author = *p.Author
		if m.Author == "" {
			m.Author = "system"
		}
		m.ParticipantSID = ""
		if part := participantForAuthor(c, m.Author); part != nil {
			m.ParticipantSID = part.SID
		}
	}
	if p.Body != nil {
		m.Body = *p.Body
	}
	if p.Attributes != nil {
		m.Attributes = attrs
	}
	if p.DateCreated != nil {
		m.DateCreated = p.DateCreated.UTC()
	}
	m.DateUpdated = e.now()
	if p.DateUpdated != nil {
		m.DateUpdated = p.DateUpdated.UTC()
	}
	e.record("message.updated", m.SID, fmt.Sprintf("message #%d in conversation %s updated", m.Index, c.SID),
		map[string]string{"conversation_sid": c.SID, "message_sid": m.SID})
	m.Rev = e.nextRev()
	e.changed(Change{Kind: ChangeMessageUpdated, Rev: m.Rev, ChatServiceSID: c.ChatServiceSID, ConversationSID: c.SID,
		ParticipantSID: m.ParticipantSID, Identity: m.Author, MessageSID: m.SID, MessageIndex: m.Index})
	params := messageParams(c, m)
	params.Set("DateUpdated", webhookTime(m.DateUpdated))
	e.emit(p.Origin, c, evMessageUpdated, params, nil)
	return m.clone(), nil
}

// DeleteMessage removes a message; its index is not reused.
func (e *Engine) DeleteMessage(conversationSID, messageSID string, o Origin) error {
	c, err := e.conv(conversationSID)
	if err != nil {
		return err
	}
	m := findMessage(c, messageSID)
	if m == nil {
		return twilio.NotFound("/Conversations/" + c.SID + "/Messages/" + messageSID)
	}
	for i, x := range c.messages {
		if x == m {
			c.messages = append(c.messages[:i], c.messages[i+1:]...)
			break
		}
	}
	e.record("message.deleted", m.SID, fmt.Sprintf("message #%d in conversation %s deleted", m.Index, c.SID),
		map[string]string{"conversation_sid": c.SID, "message_sid": m.SID})
	c.Rev = e.nextRev() // the conversation's last message may have changed
	e.changed(Change{Kind: ChangeMessageRemoved, Rev: c.Rev, ChatServiceSID: c.ChatServiceSID, ConversationSID: c.SID,
		ParticipantSID: m.ParticipantSID, Identity: m.Author, MessageSID: m.SID, MessageIndex: m.Index, Message: m.clone()})
	params := messageParams(c, m)
	params.Set("DateUpdated", webhookTime(m.DateUpdated))
	params.Set("DateRemoved", webhookTime(e.now()))
	e.emit(o, c, evMessageRemoved, params, nil)
	return nil
}

func findMessage(c *conversation, sid string) *Message {
	for _, m := range c.messages {
		if m.SID == sid {
			return m
		}
	}
	return nil
}

func (m *Message) clone() *Message {
	c := *m
	c.MediaSIDs = cloneStrings(m.MediaSIDs)
	if m.Delivery != nil {
		d := *m.Delivery
		c.Delivery = &d
	}
	return &c
}
