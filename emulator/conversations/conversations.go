package conversations

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Conversation (CH…) is a thread of messages between participants.
type Conversation struct {
	SID                 string
	ChatServiceSID      string
	MessagingServiceSID string
	FriendlyName        string // "" renders as null
	UniqueName          string // "" renders as null
	Attributes          string // JSON text, "{}" by default
	State               string // active, inactive or closed
	Timers              Timers
	DateCreated         time.Time
	DateUpdated         time.Time
	// Rev is the revision of the last change to the conversation or its
	// latest message (see Change).
	Rev uint64
}

// CreateConversationParams creates a conversation.
type CreateConversationParams struct {
	SID            string // fixtures pin it; empty mints one
	ChatServiceSID string // empty: the default service
	FriendlyName   string
	UniqueName     string
	Attributes     string
	// MessagingServiceSID defaults to the account's default Messaging Service.
	MessagingServiceSID string
	State               string // default active
	// Timers default to the account's DefaultInactiveTimer/DefaultClosedTimer.
	Timers      TimerParams
	DateCreated time.Time
	DateUpdated time.Time
	Origin
}

// UpdateConversationParams changes a conversation; nil fields stay as they
// are. Setting State to closed frees the conversation's bindings for good.
type UpdateConversationParams struct {
	FriendlyName        *string
	UniqueName          *string
	Attributes          *string
	MessagingServiceSID *string
	State               *string
	// Timers restart from now when set.
	Timers      TimerParams
	DateCreated *time.Time
	DateUpdated *time.Time
	Origin
}

// ListConversationsParams filters a conversation list.
type ListConversationsParams struct {
	ChatServiceSID string // empty: the default service
	State          string
	// StartDate/EndDate bound date_created (inclusive); zero means open.
	StartDate, EndDate time.Time
}

// CodeUniqueNameExists is returned (HTTP 409) when a unique_name is already
// taken in the service (Twilio's code for this case is unconfirmed).
const CodeUniqueNameExists = 50353

// conversation is the stored form: the public record plus its children.
type conversation struct {
	Conversation
	participants []*Participant
	messages     []*Message
	webhooks     []*Webhook
	nextIndex    int
	timers       convTimers
}

func (c *conversation) snapshot() *Conversation {
	s := c.Conversation
	return &s
}

// CreateConversation opens a conversation in a service.
func (e *Engine) CreateConversation(p CreateConversationParams) (*Conversation, error) {
	c, err := e.newConversation(p)
	if err != nil {
		return nil, err
	}
	e.insertConversation(c)
	e.emit(p.Origin, c, evConversationAdded, conversationParams(c, false), nil)
	return c.snapshot(), nil
}

// newConversation validates p and builds (but does not store) a conversation.
func (e *Engine) newConversation(p CreateConversationParams) (*conversation, error) {
	svc := p.ChatServiceSID
	if svc == "" {
		svc = e.config.DefaultChatServiceSID
	} else if _, ok := e.services[svc]; !ok {
		return nil, twilio.NotFound("/Services/" + svc)
	}
	attrs, err := normaliseAttributes("Attributes", p.Attributes, conversationAttrs)
	if err != nil {
		return nil, err
	}
	state := p.State
	if state == "" {
		state = StateActive
	}
	if err := checkState(state); err != nil {
		return nil, err
	}
	if err := checkTimers(p.Timers); err != nil {
		return nil, err
	}
	timers := Timers{}
	if d := p.Timers.Inactive; d != nil {
		timers.Inactive = *d
	} else if d := e.config.DefaultInactiveTimer; d != nil {
		timers.Inactive = *d
	}
	if d := p.Timers.Closed; d != nil {
		timers.Closed = *d
	} else if d := e.config.DefaultClosedTimer; d != nil {
		timers.Closed = *d
	}
	ms := p.MessagingServiceSID
	if ms == "" {
		ms = e.config.DefaultMessagingServiceSID
	} else if !twilio.IsSID(ms, "MG") {
		return nil, twilio.InvalidParam("MessagingServiceSid", "%q is not a Messaging Service SID (MG…)", ms)
	}
	if p.UniqueName != "" {
		if err := e.checkUniqueName(svc, p.UniqueName, ""); err != nil {
			return nil, err
		}
	}
	sid := p.SID
	if sid == "" {
		sid = twilio.NewSID("CH")
	} else if !twilio.IsSID(sid, "CH") {
		return nil, twilio.InvalidParam("Sid", "%q is not a Conversation SID (CH…)", sid)
	} else if _, dup := e.conversations[sid]; dup {
		return nil, twilio.Conflict(twilio.CodeConflict, "Conversation %s already exists", sid)
	}
	now := e.now()
	created, updated := now, now
	if !p.DateCreated.IsZero() {
		created = p.DateCreated.UTC()
	}
	if !p.DateUpdated.IsZero() {
		updated = p.DateUpdated.UTC()
	}
	return &conversation{Conversation: Conversation{SID: sid, ChatServiceSID: svc, MessagingServiceSID: ms,
		FriendlyName: p.FriendlyName, UniqueName: p.UniqueName, Attributes: attrs, State: state, Timers: timers,
		DateCreated: created, DateUpdated: updated}}, nil
}

// insertConversation stores c and starts its state timers.
func (e *Engine) insertConversation(c *conversation) {
	e.conversations[c.SID] = c
	e.convOrder = append(e.convOrder, c)
	e.armTimers(c)
	refs := map[string]string{"conversation_sid": c.SID, "chat_service_sid": c.ChatServiceSID, "state": c.State}
	if c.FriendlyName != "" {
		refs["friendly_name"] = c.FriendlyName
	}
	if c.UniqueName != "" {
		refs["unique_name"] = c.UniqueName
	}
	e.record("conversation.created", c.SID, "conversation "+c.SID+" created ("+c.State+")", refs)
	e.conversationChanged(c, ChangeConversationAdded)
}

// Conversation returns a conversation by SID, in any service of the account
// (other products hold CH SIDs, not service paths).
func (e *Engine) Conversation(sid string) (*Conversation, error) {
	c, err := e.conv(sid)
	if err != nil {
		return nil, err
	}
	return c.snapshot(), nil
}

// ServiceConversation resolves a conversation the way a REST path does: by
// SID or unique_name within one service ("" for the default service).
func (e *Engine) ServiceConversation(serviceSID, sidOrUniqueName string) (*Conversation, error) {
	c, err := e.lookup(serviceSID, sidOrUniqueName)
	if err != nil {
		return nil, err
	}
	return c.snapshot(), nil
}

// Conversations lists conversations of one service in creation order.
func (e *Engine) Conversations(p ListConversationsParams) ([]*Conversation, error) {
	svc := p.ChatServiceSID
	if svc == "" {
		svc = e.config.DefaultChatServiceSID
	}
	if p.State != "" {
		if err := checkState(p.State); err != nil {
			return nil, err
		}
	}
	out := []*Conversation{}
	for _, c := range e.convOrder {
		if c.ChatServiceSID != svc || (p.State != "" && c.State != p.State) {
			continue
		}
		if (!p.StartDate.IsZero() && c.DateCreated.Before(p.StartDate)) || (!p.EndDate.IsZero() && c.DateCreated.After(p.EndDate)) {
			continue
		}
		out = append(out, c.snapshot())
	}
	return out, nil
}

// UpdateConversation changes a conversation's fields or state. A closed
// conversation cannot be reopened.
func (e *Engine) UpdateConversation(sid string, p UpdateConversationParams) (*Conversation, error) {
	c, err := e.conv(sid)
	if err != nil {
		return nil, err
	}
	var attrs string
	if p.Attributes != nil {
		if attrs, err = normaliseAttributes("Attributes", *p.Attributes, conversationAttrs); err != nil {
			return nil, err
		}
	}
	if p.State != nil {
		if err := checkState(*p.State); err != nil {
			return nil, err
		}
		if c.State == StateClosed && *p.State != StateClosed {
			return nil, twilio.InvalidParam("State", "conversation %s is closed and cannot be reopened", c.SID)
		}
	}
	if err := checkTimers(p.Timers); err != nil {
		return nil, err
	}
	if p.MessagingServiceSID != nil && !twilio.IsSID(*p.MessagingServiceSID, "MG") {
		return nil, twilio.InvalidParam("MessagingServiceSid", "%q is not a Messaging Service SID (MG…)", *p.MessagingServiceSID)
	}
	if p.UniqueName != nil && *p.UniqueName != "" {
		if err := e.checkUniqueName(c.ChatServiceSID, *p.UniqueName, c.SID); err != nil {
			return nil, err
		}
	}
	if p.FriendlyName != nil {
		c.FriendlyName = *p.FriendlyName
	}
	if p.UniqueName != nil {
		c.UniqueName = *p.UniqueName
	}
	if p.Attributes != nil {
		c.Attributes = attrs
	}
	if p.MessagingServiceSID != nil {
		c.MessagingServiceSID = *p.MessagingServiceSID
	}
	if p.DateCreated != nil {
		c.DateCreated = p.DateCreated.UTC()
	}
	c.DateUpdated = e.now()
	if p.DateUpdated != nil {
		c.DateUpdated = p.DateUpdated.UTC()
	}
	if p.Timers.Inactive != nil {
		c.Timers.Inactive = *p.Timers.Inactive
	}
	if p.Timers.Closed != nil {
		c.Timers.Closed = *p.Timers.Closed
	}
	from := c.State
	if p.State != nil {
		e.setState(c, *p.State, reasonAPI)
	}
	if p.Timers.Inactive != nil || p.Timers.Closed != nil {
		e.armTimers(c)
	}
	e.record("conversation.updated", c.SID, fmt.Sprintf("conversation %s updated", c.SID),
		map[string]string{"conversation_sid": c.SID, "chat_service_sid": c.ChatServiceSID, "state": c.State})
	e.conversationChanged(c, ChangeConversationUpdated)
	e.emit(p.Origin, c, evConversationUpdated, conversationParams(c, true), nil)
	if from != c.State {
		e.emit(p.Origin, c, evConversationStateUpdated, stateParams(c, from, reasonAPI, e.now()), nil)
	}
	return c.snapshot(), nil
}

// DeleteConversation removes a conversation with its participants, messages
// and webhooks, freeing its bindings.
func (e *Engine) DeleteConversation(sid string, o Origin) error {
	c, err := e.conv(sid)
	if err != nil {
		return err
	}
	e.unbindAll(c)
	e.stopTimers(c)
	delete(e.conversations, c.SID)
	for i, x := range e.convOrder {
		if x == c {
			e.convOrder = append(e.convOrder[:i], e.convOrder[i+1:]...)
			break
		}
	}
	e.record("conversation.deleted", c.SID, fmt.Sprintf("conversation %s deleted", c.SID),
		map[string]string{"conversation_sid": c.SID, "chat_service_sid": c.ChatServiceSID})
	if len(e.changeListeners) > 0 {
		parts := make([]*Participant, 0, len(c.participants))
		for _, p := range c.participants {
			parts = append(parts, p.clone())
		}
		e.changed(Change{Kind: ChangeConversationRemoved, Rev: e.nextRev(), ChatServiceSID: c.ChatServiceSID, ConversationSID: c.SID,
			Conversation: c.snapshot(), Participants: parts})
	}
	params := conversationParams(c, true)
	params.Set("DateRemoved", webhookTime(e.now()))
	e.emit(o, c, evConversationRemoved, params, nil)
	return nil
}

// setState moves a conversation to state and records the transition with
// its reason (API or TIMER). Closing releases the bindings and stops the
// timers for good; any other change not made by a timer restarts the timers
// (an inactive conversation keeps only its closed timer). Callers validate first.
func (e *Engine) setState(c *conversation, state, reason string) {
	from := c.State
	if from == state {
		return
	}
	c.State = state
	switch {
	case state == StateClosed:
		e.unbindAll(c)
		e.stopTimers(c)
	case reason != reasonTimer:
		e.armTimers(c)
	}
	e.record("conversation.state_updated", c.SID, fmt.Sprintf("conversation %s %s → %s (%s)", c.SID, from, state, reason),
		map[string]string{"conversation_sid": c.SID, "chat_service_sid": c.ChatServiceSID, "state_from": from, "state_to": state,
			"reason": reason})
}

// conv finds a conversation by SID in any service.
func (e *Engine) conv(sid string) (*conversation, error) {
	c, ok := e.conversations[sid]
	if !ok {
		return nil, twilio.NotFound("/Conversations/" + sid)
	}
	return c, nil
}

// lookup finds a conversation by SID or unique name within a service.
func (e *Engine) lookup(serviceSID, ref string) (*conversation, error) {
	scoped := serviceSID != ""
	if !scoped {
		serviceSID = e.config.DefaultChatServiceSID
	}
	notFound := func() error {
		if scoped {
			return twilio.NotFound("/Services/" + serviceSID + "/Conversations/" + ref)
		}
		return twilio.NotFound("/Conversations/" + ref)
	}
	if c, ok := e.conversations[ref]; ok {
		if c.ChatServiceSID != serviceSID {
			return nil, notFound()
		}
		return c, nil
	}
	for _, c := range e.convOrder {
		if c.ChatServiceSID == serviceSID && c.UniqueName == ref && ref != "" {
			return c, nil
		}
	}
	return nil, notFound()
}

func (e *Engine) checkUniqueName(serviceSID, name, self string) error {
	if len(name) > 256 {
		return twilio.InvalidParam("UniqueName", "must be at most 256 characters")
	}
	for _, c := range e.convOrder {
		if c.ChatServiceSID == serviceSID && c.UniqueName == name && c.SID != self {
			return twilio.Fail(twilio.KindConflict, CodeUniqueNameExists,
				"Conversation with unique name %q already exists (%s)", name, c.SID)
		}
	}
	return nil
}

func checkState(s string) error {
	switch s {
	case StateActive, StateInactive, StateClosed:
		return nil
	}
	return twilio.InvalidParam("State", "%q is not one of active, inactive, closed", s)
}

// attributesMap decodes conversation attributes for Studio's
// ChannelAttributes; non-object attributes give an empty map.
func attributesMap(s string) map[string]any {
	m := map[string]any{}
	if s == "{}" {
		return m
	}
	_ = json.Unmarshal([]byte(s), &m)
	if m == nil {
		m = map[string]any{}
	}
	return m
}
