package conversations

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/emulator/webhook"
)

// Pre-events in two phases. Twilio sends a pre-event (onConversationAdd,
// onMessageAdd, onParticipantAdd, onConversationUpdate, onUserUpdate) to the service's or
// the global pre_webhook_url before it commits a channel or SDK action, waits
// up to 5 s, and rejects the action on a non-2xx answer or none; a 2xx JSON
// answer overrides fields of the action. The user's handler may call the
// REST API meanwhile, so the wait must not hold the account lock:
//
//	a.mu.Lock(); p, err := eng.PrepareInbound(in); a.mu.Unlock()  // decide, validate, build the pre-event
//	del := dispatcher.Do(ctx, *p.PreEvent)                         // only if p.PreEvent != nil
//	a.mu.Lock(); res, err := eng.Commit(p, &del); a.mu.Unlock()    // re-validate, apply, post-events
//
// Commit returns an error wrapping ErrStale when the state the action was
// prepared against changed during the wait in a way that changes where it
// goes (prepare it again), and one wrapping ErrRejected (and a 403
// *twilio.Error) when the pre-event blocked it.

// ErrRejected marks an action a pre-event webhook blocked: it answered
// non-2xx, did not answer in time, or could not be reached. Nothing was
// created or changed; an inbound message is dropped.
var ErrRejected = errors.New("rejected by the pre-event webhook")

// ErrStale marks a pending action whose routing changed while its pre-event
// was out (a conversation was closed, a binding taken, the engine reset):
// prepare it again.
var ErrStale = errors.New("state changed while the pre-event was pending")

// CodeRejectedByPreEvent is the Twilio code (HTTP 403) returned for an
// action a pre-event blocked. Twilio's own code for this is undocumented.
const CodeRejectedByPreEvent = 20403

type pendingKind int

const (
	kindInbound pendingKind = iota
	kindMessage
	kindParticipant
	kindConversation
	kindConversationUpdate
	kindUserUpdate
)

// Pending is a channel or SDK action waiting for its pre-event verdict.
// Build one with PrepareInbound, PrepareMessage, PrepareParticipant,
// PrepareConversation, PrepareConversationUpdate or PrepareUserUpdate, then
// Commit it.
type Pending struct {
	// PreEvent is the pre-event webhook to deliver synchronously, outside
	// the account lock, before Commit; nil when none is configured for the
	// action (or the origin is REST): Commit at once with a nil answer.
	PreEvent *webhook.Request
	// Event is the pre-event this action is subject to (onMessageAdd…),
	// whether or not a webhook is configured for it.
	Event string

	engine *Engine
	kind   pendingKind
	origin Origin

	inbound inboundRoute
	in      InboundParams

	conversationSID string
	message         CreateMessageParams
	participant     CreateParticipantParams
	create          CreateConversationParams
	update          UpdateConversationParams

	userServiceSID string // the user's service
	userSID        string
	userIdentity   string
	userUpdate     UpdateUserParams
}

// Result is what a committed action produced; fields that do not apply are nil.
type Result struct {
	Conversation *Conversation
	Participant  *Participant // inbound: the customer's participant
	Message      *Message
	Created      bool  // a conversation was created (inbound auto-creation, PrepareConversation)
	User         *User // PrepareUserUpdate: the updated user
}

// PrepareMessage validates an SDK (or channel) message for conversationSID
// and builds its onMessageAdd pre-event. With a REST origin Commit simply
// runs AddMessage.
func (e *Engine) PrepareMessage(conversationSID string, p CreateMessageParams) (*Pending, error) {
	c, err := e.conv(conversationSID)
	if err != nil {
		return nil, err
	}
	m, err := e.newMessage(c, p)
	if err != nil {
		return nil, err
	}
	pend := &Pending{engine: e, kind: kindMessage, origin: p.Origin, Event: evMessageAdd, conversationSID: c.SID, message: p}
	pend.PreEvent = e.preEvent(p.Origin, c.ChatServiceSID, evMessageAdd, preMessageParams(c, m),
		map[string]string{"conversation_sid": c.SID, "participant_sid": m.ParticipantSID, "author": m.Author})
	return pend, nil
}

// PrepareParticipant validates an SDK participant add and builds its
// onParticipantAdd pre-event.
func (e *Engine) PrepareParticipant(conversationSID string, p CreateParticipantParams) (*Pending, error) {
	c, err := e.conv(conversationSID)
	if err != nil {
		return nil, err
	}
	part, err := e.newParticipant(c, p)
	if err != nil {
		return nil, err
	}
	pend := &Pending{engine: e, kind: kindParticipant, origin: p.Origin, Event: evParticipantAdd, conversationSID: c.SID, participant: p}
	params := participantParams(part)
	params.Del("ParticipantSid")
	params.Del("DateCreated")
	pend.PreEvent = e.preEvent(p.Origin, c.ChatServiceSID, evParticipantAdd, params,
		map[string]string{"conversation_sid": c.SID, "identity": part.Identity})
	return pend, nil
}

// PrepareConversation validates an SDK conversation create and builds its
// onConversationAdd pre-event.
func (e *Engine) PrepareConversation(p CreateConversationParams) (*Pending, error) {
	c, err := e.newConversation(p)
	if err != nil {
		return nil, err
	}
	pend := &Pending{engine: e, kind: kindConversation, origin: p.Origin, Event: evConversationAdd, create: p}
	v := url.Values{}
	set(v, "FriendlyName", c.FriendlyName)
	set(v, "UniqueName", c.UniqueName)
	v.Set("Attributes", c.Attributes)
	set(v, "MessagingServiceSid", c.MessagingServiceSID)
	pend.PreEvent = e.preEvent(p.Origin, c.ChatServiceSID, evConversationAdd, v, nil)
	return pend, nil
}

// PrepareConversationUpdate builds the onConversationUpdate pre-event of an
// SDK update to sid, carrying the values the update would leave.
func (e *Engine) PrepareConversationUpdate(sid string, p UpdateConversationParams) (*Pending, error) {
	c, err := e.conv(sid)
	if err != nil {
		return nil, err
	}
	next := *c
	if p.FriendlyName != nil {
		next.FriendlyName = *p.FriendlyName
	}
	if p.UniqueName != nil {
		next.UniqueName = *p.UniqueName
	}
	if p.Attributes != nil {
		if next.Attributes, err = normaliseAttributes("Attributes", *p.Attributes, conversationAttrs); err != nil {
			return nil, err
		}
	}
	if p.State != nil {
		if err := checkState(*p.State); err != nil {
			return nil, err
		}
		next.State = *p.State
	}
	if p.MessagingServiceSID != nil {
		next.MessagingServiceSID = *p.MessagingServiceSID
	}
	pend := &Pending{engine: e, kind: kindConversationUpdate, origin: p.Origin, Event: evConversationUpdate, conversationSID: c.SID, update: p}
	pend.PreEvent = e.preEvent(p.Origin, c.ChatServiceSID, evConversationUpdate, conversationParams(&next, true),
		map[string]string{"conversation_sid": c.SID})
	return pend, nil
}

// PrepareUserUpdate validates an SDK user's update of itself (its friendly
// name or attributes; "" service = the default one, the user by SID or
// identity) and builds its onUserUpdate pre-event, carrying the values the
// update would leave. Commit runs UpdateUser, which fires onUserUpdated.
// With a REST origin there is no pre-event.
func (e *Engine) PrepareUserUpdate(serviceSID, sidOrIdentity string, p UpdateUserParams) (*Pending, error) {
	u, err := e.user(serviceSID, sidOrIdentity)
	if err != nil {
		return nil, err
	}
	next := *u
	if p.FriendlyName != nil {
		next.FriendlyName = *p.FriendlyName
	}
	if p.Attributes != nil {
		if next.Attributes, err = normaliseAttributes("Attributes", *p.Attributes, userAttrs); err != nil {
			return nil, err
		}
	}
	if p.RoleSID != nil && *p.RoleSID != "" {
		if err := e.checkRoleRef("RoleSid", u.ChatServiceSID, *p.RoleSID, RoleTypeService); err != nil {
			return nil, err
		}
		next.RoleSID = *p.RoleSID
	}
	pend := &Pending{engine: e, kind: kindUserUpdate, origin: p.Origin, Event: evUserUpdate,
		userServiceSID: u.ChatServiceSID, userSID: u.SID, userIdentity: u.Identity, userUpdate: p}
	pend.PreEvent = e.preEvent(p.Origin, u.ChatServiceSID, evUserUpdate, userParams(&next, e.Reachable(u.ChatServiceSID)),
		map[string]string{"user_sid": u.SID, "identity": u.Identity})
	return pend, nil
}

// Commit applies a prepared action given its pre-event's answer (nil when
// p.PreEvent is nil): a non-2xx answer, or none, rejects it (ErrRejected);
// a 2xx JSON object overrides the fields Twilio lets a pre-event change.
// Everything is validated again first: the state may have moved on while
// the pre-event was out.
func (e *Engine) Commit(p *Pending, answer *webhook.Delivery) (*Result, error) {
	if p == nil || p.engine != e {
		return nil, fmt.Errorf("commit: %w (the account was reset)", ErrStale)
	}
	var ov overrides
	if p.PreEvent != nil {
		if answer == nil || !answer.OK() {
			return nil, e.reject(p, answer)
		}
		ov = parseOverrides(answer.ResponseBody)
	}
	wrap := func(err error) error {
		if err == nil || p.PreEvent == nil || len(ov) == 0 {
			return err
		}
		return fmt.Errorf("applying the %s answer: %w", p.Event, err)
	}
	switch p.kind {
	case kindInbound:
		res, err := e.commitInbound(p, ov)
		if err != nil && !errors.Is(err, ErrStale) {
			e.dropped(p, err)
		}
		return res, wrap(err)
	case kindMessage:
		mp := p.message
		ov.message(&mp)
		m, err := e.AddMessage(p.conversationSID, mp)
		if err != nil {
			return nil, wrap(err)
		}
		res := &Result{Message: m}
		if c, ok := e.conversations[p.conversationSID]; ok {
			res.Conversation = c.snapshot()
			if part := findParticipant(c, m.ParticipantSID); part != nil {
				res.Participant = part.clone()
			}
		}
		return res, nil
	case kindParticipant:
		pp := p.participant
		ov.participant(&pp)
		part, err := e.AddParticipant(p.conversationSID, pp)
		if err != nil {
			return nil, wrap(err)
		}
		c, _ := e.Conversation(p.conversationSID)
		return &Result{Conversation: c, Participant: part}, nil
	case kindConversation:
		cp := p.create
		if err := ov.conversation(&cp); err != nil {
			return nil, wrap(err)
		}
		c, err := e.CreateConversation(cp)
		if err != nil {
			return nil, wrap(err)
		}
		return &Result{Conversation: c, Created: true}, nil
	case kindConversationUpdate:
		up := p.update
		if err := ov.conversationUpdate(&up); err != nil {
			return nil, wrap(err)
		}
		c, err := e.UpdateConversation(p.conversationSID, up)
		if err != nil {
			return nil, wrap(err)
		}
		return &Result{Conversation: c}, nil
	case kindUserUpdate:
		up := p.userUpdate
		ov.userUpdate(&up)
		u, err := e.UpdateUser(p.userServiceSID, p.userSID, up)
		if err != nil {
			return nil, wrap(err)
		}
		return &Result{User: u}, nil
	}
	return nil, fmt.Errorf("commit: unknown pending action %d", p.kind)
}

// reject records and returns the rejection of p by its pre-event answer.
func (e *Engine) reject(p *Pending, answer *webhook.Delivery) error {
	why := "it was not sent"
	switch {
	case answer == nil:
	case answer.Status == 0:
		why = "no answer: " + answer.Error
	default:
		why = "it answered " + strconv.Itoa(answer.Status) + " " + http.StatusText(answer.Status)
	}
	what := p.describe()
	te := twilio.Fail(twilio.KindForbidden, CodeRejectedByPreEvent, "%s was rejected by the %s pre-event webhook %s: %s",
		what, p.Event, p.PreEvent.URL, why)
	refs := p.refs()
	refs["event"], refs["url"], refs["reason"] = p.Event, p.PreEvent.URL, why
	if answer != nil && answer.Status != 0 {
		refs["status"] = strconv.Itoa(answer.Status)
	}
	e.record("pre_event.rejected", p.subject(), fmt.Sprintf("%s rejected by %s → %s (%s)", what, p.Event, p.PreEvent.URL, why), refs)
	return fmt.Errorf("%w: %w", ErrRejected, te)
}

// dropped records an inbound message that could not be committed after its
// pre-event (an override was invalid, or the conversation refused it).
func (e *Engine) dropped(p *Pending, err error) {
	refs := p.refs()
	refs["reason"] = err.Error()
	e.record("inbound.dropped", p.conversationSID, fmt.Sprintf("%s dropped: %v", p.describe(), err), refs)
}

func (p *Pending) describe() string {
	switch p.kind {
	case kindInbound:
		return fmt.Sprintf("inbound %s message from %s to %s", ChannelType(p.in.From), p.in.From, p.in.To)
	case kindMessage:
		return "message by " + orSystem(p.message.Author) + " in conversation " + p.conversationSID
	case kindParticipant:
		return "participant for conversation " + p.conversationSID
	case kindConversation:
		return "new conversation"
	case kindUserUpdate:
		return "update of user " + p.userIdentity + " (" + p.userSID + ")"
	default:
		return "update of conversation " + p.conversationSID
	}
}

// subject is the SID the action is about, for the timeline.
func (p *Pending) subject() string {
	if p.kind == kindUserUpdate {
		return p.userSID
	}
	return p.conversationSID
}

func (p *Pending) refs() map[string]string {
	refs := map[string]string{}
	if p.conversationSID != "" {
		refs["conversation_sid"] = p.conversationSID
	}
	if p.kind == kindUserUpdate {
		refs["user_sid"], refs["identity"], refs["chat_service_sid"] = p.userSID, p.userIdentity, p.userServiceSID
	}
	if p.kind == kindInbound {
		refs["from"], refs["to"] = p.in.From, p.in.To
		if p.inbound.addressSID != "" {
			refs["address_configuration_sid"] = p.inbound.addressSID
		}
	}
	return refs
}

func orSystem(author string) string {
	if author == "" {
		return "system"
	}
	return author
}

// preMessageParams are onMessageAdd's parameters for a message not yet stored.
func preMessageParams(c *conversation, m *Message) url.Values {
	v := messageParams(c, m)
	v.Del("MessageSid")
	v.Del("Index")
	v.Del("DateCreated")
	return v
}

// overrides is a pre-event's 2xx JSON answer: snake_case keys, values as
// JSON strings (attributes may also be a JSON object). Keys Twilio does not
// document for the event are ignored.
type overrides map[string]json.RawMessage

// parseOverrides decodes a JSON object answer; anything else (empty, text,
// invalid JSON) means "proceed unchanged". A nested {"timers":{"inactive":…}}
// is read as timers.inactive.
func parseOverrides(body string) overrides {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(strings.TrimSpace(body)), &m); err != nil || len(m) == 0 {
		return nil
	}
	if raw, ok := m["timers"]; ok {
		var t map[string]json.RawMessage
		if json.Unmarshal(raw, &t) == nil {
			for k, v := range t {
				if _, dup := m["timers."+k]; !dup {
					m["timers."+k] = v
				}
			}
		}
	}
	return m
}

// str returns an override as text: a JSON string's value, or the raw JSON of
// any other value; nil when absent or null.
func (o overrides) str(key string) *string {
	raw, ok := o[key]
	if !ok {
		return nil
	}
	t := strings.TrimSpace(string(raw))
	if t == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return &s
	}
	return &t
}

// duration returns a timers.* override parsed as an ISO-8601 duration.
func (o overrides) duration(key string) (*time.Duration, error) {
	s := o.str(key)
	if s == nil {
		return nil, nil
	}
	d, err := twilio.ParseDurationParam(key, *s, 0, maxTimer)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func (o overrides) message(p *CreateMessageParams) {
	if v := o.str("body"); v != nil {
		p.Body = *v
	}
	if v := o.str("author"); v != nil {
		p.Author = *v
	}
	if v := o.str("attributes"); v != nil {
		p.Attributes = *v
	}
}

func (o overrides) participant(p *CreateParticipantParams) {
	if v := o.str("identity"); v != nil {
		p.Identity = *v
	}
	if v := o.str("role_sid"); v != nil {
		p.RoleSID = *v
	}
	if v := o.str("attributes"); v != nil {
		p.Attributes = *v
	}
}

func (o overrides) conversation(p *CreateConversationParams) error {
	if v := o.str("friendly_name"); v != nil {
		p.FriendlyName = *v
	}
	if v := o.str("unique_name"); v != nil {
		p.UniqueName = *v
	}
	if v := o.str("attributes"); v != nil {
		p.Attributes = *v
	}
	if v := o.str("state"); v != nil {
		p.State = *v
	}
	var err error
	if d, derr := o.duration("timers.inactive"); derr != nil {
		err = derr
	} else if d != nil {
		p.Timers.Inactive = d
	}
	if d, derr := o.duration("timers.closed"); derr != nil {
		err = derr
	} else if d != nil {
		p.Timers.Closed = d
	}
	return err
}

// userUpdate applies an onUserUpdate answer: friendly_name and attributes
// (what an SDK user may change of itself).
func (o overrides) userUpdate(p *UpdateUserParams) {
	if v := o.str("friendly_name"); v != nil {
		p.FriendlyName = v
	}
	if v := o.str("attributes"); v != nil {
		p.Attributes = v
	}
}

func (o overrides) conversationUpdate(p *UpdateConversationParams) error {
	for key, dst := range map[string]**string{"friendly_name": &p.FriendlyName, "unique_name": &p.UniqueName,
		"attributes": &p.Attributes, "state": &p.State} {
		if v := o.str(key); v != nil {
			*dst = v
		}
	}
	var err error
	if d, derr := o.duration("timers.inactive"); derr != nil {
		err = derr
	} else if d != nil {
		p.Timers.Inactive = d
	}
	if d, derr := o.duration("timers.closed"); derr != nil {
		err = derr
	} else if d != nil {
		p.Timers.Closed = d
	}
	return err
}
