package conversations

import (
	"fmt"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// User (US…) is a Conversations SDK identity in a service: the chat side of
// participants whose Identity matches it.
type User struct {
	SID            string
	ChatServiceSID string
	RoleSID        string // a service role
	Identity       string
	FriendlyName   string // "" renders as null
	Attributes     string
	DateCreated    time.Time
	DateUpdated    time.Time
	// Rev is the revision of the user's last change (see Change).
	Rev uint64
}

// CreateUserParams creates a user.
type CreateUserParams struct {
	SID          string // fixtures pin it; empty mints one
	Identity     string
	FriendlyName string
	Attributes   string
	RoleSID      string // default: the service's default_chat_service_role_sid
	Origin              // REST with X-Twilio-Webhook-Enabled: true fires onUserAdded
}

// UpdateUserParams changes a user; nil fields stay as they are.
type UpdateUserParams struct {
	FriendlyName *string
	Attributes   *string
	RoleSID      *string
	Origin       // REST with X-Twilio-Webhook-Enabled: true fires onUserUpdated
}

// User error codes.
const (
	CodeUserExists           = 50201 // identity already taken in the service (HTTP 409)
	CodeIdentityLooksLikeSID = 50206 // identity matches the US… SID pattern
)

const maxUserIdentityLen = 256

// CreateUser adds a user to a service ("" = the default service) and fires
// onUserAdded when the origin allows post-events.
func (e *Engine) CreateUser(serviceSID string, p CreateUserParams) (*User, error) {
	s, err := e.service(serviceSID)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(p.Identity) == "" {
		return nil, twilio.MissingParam("Identity")
	}
	if len(p.Identity) > maxUserIdentityLen {
		return nil, twilio.InvalidParam("Identity", "must be at most %d characters", maxUserIdentityLen)
	}
	if twilio.IsSID(p.Identity, "US") {
		return nil, twilio.Fail(twilio.KindInvalid, CodeIdentityLooksLikeSID,
			"Invalid Identity: %q matches the User SID pattern US[0-9a-f]{32}", p.Identity)
	}
	attrs, err := normaliseAttributes("Attributes", p.Attributes, userAttrs)
	if err != nil {
		return nil, err
	}
	role := p.RoleSID
	if role == "" {
		role = s.DefaultChatServiceRoleSID
	} else if err := e.checkRoleRef("RoleSid", s.SID, role, RoleTypeService); err != nil {
		return nil, err
	}
	if u := e.userByIdentity(s.SID, p.Identity); u != nil {
		return nil, twilio.Conflict(CodeUserExists, "User with identity %q already exists in service %s (%s)", p.Identity, s.SID, u.SID)
	}
	d := e.directory()
	sid := p.SID
	if sid == "" {
		sid = twilio.NewSID("US")
	} else if !twilio.IsSID(sid, "US") {
		return nil, twilio.InvalidParam("Sid", "%q is not a User SID (US…)", sid)
	} else if d.users[sid] != nil {
		return nil, twilio.Conflict(twilio.CodeConflict, "User %s already exists", sid)
	}
	now := e.now()
	u := &User{SID: sid, ChatServiceSID: s.SID, RoleSID: role, Identity: p.Identity, FriendlyName: p.FriendlyName,
		Attributes: attrs, DateCreated: now, DateUpdated: now}
	d.users[sid] = u
	d.userOrder = append(d.userOrder, u)
	e.record("user.created", sid, fmt.Sprintf("user %s (%s) created in service %s", p.Identity, sid, s.SID),
		map[string]string{"user_sid": sid, "chat_service_sid": s.SID, "identity": p.Identity, "role_sid": role})
	e.userChanged(u, ChangeUserAdded)
	e.emitService(p.Origin, s.SID, evUserAdded, userParams(u, e.Reachable(s.SID)), map[string]string{"user_sid": sid, "identity": u.Identity})
	c := *u
	return &c, nil
}

func (e *Engine) userByIdentity(serviceSID, identity string) *User {
	for _, u := range e.directory().userOrder {
		if u.ChatServiceSID == serviceSID && u.Identity == identity {
			return u
		}
	}
	return nil
}

// user resolves a path reference to a user: its SID or its identity, within
// the service ("" = the default service).
func (e *Engine) user(serviceSID, ref string) (*User, error) {
	s, err := e.service(serviceSID)
	if err != nil {
		return nil, err
	}
	if u := e.directory().users[ref]; u != nil && u.ChatServiceSID == s.SID {
		return u, nil
	}
	if u := e.userByIdentity(s.SID, ref); u != nil && ref != "" {
		return u, nil
	}
	return nil, twilio.NotFound(servicePath(serviceSID, "/Users/"+ref))
}

// User returns a user by SID or identity.
func (e *Engine) User(serviceSID, sidOrIdentity string) (*User, error) {
	u, err := e.user(serviceSID, sidOrIdentity)
	if err != nil {
		return nil, err
	}
	c := *u
	return &c, nil
}

// Users lists a service's users in creation order.
func (e *Engine) Users(serviceSID string) ([]*User, error) {
	s, err := e.service(serviceSID)
	if err != nil {
		return nil, err
	}
	out := []*User{}
	for _, u := range e.directory().userOrder {
		if u.ChatServiceSID == s.SID {
			c := *u
			out = append(out, &c)
		}
	}
	return out, nil
}

// UpdateUser changes a user's friendly name, attributes or service role and
// fires onUserUpdated when the origin allows post-events.
func (e *Engine) UpdateUser(serviceSID, sidOrIdentity string, p UpdateUserParams) (*User, error) {
	u, err := e.user(serviceSID, sidOrIdentity)
	if err != nil {
		return nil, err
	}
	var attrs string
	if p.Attributes != nil {
		if attrs, err = normaliseAttributes("Attributes", *p.Attributes, userAttrs); err != nil {
			return nil, err
		}
	}
	if p.RoleSID != nil && *p.RoleSID != "" {
		if err := e.checkRoleRef("RoleSid", u.ChatServiceSID, *p.RoleSID, RoleTypeService); err != nil {
			return nil, err
		}
	}
	if p.FriendlyName != nil {
		u.FriendlyName = *p.FriendlyName
	}
	if p.Attributes != nil {
		u.Attributes = attrs
	}
	if p.RoleSID != nil && *p.RoleSID != "" {
		u.RoleSID = *p.RoleSID
	}
	u.DateUpdated = e.now()
	e.record("user.updated", u.SID, fmt.Sprintf("user %s (%s) updated", u.Identity, u.SID),
		map[string]string{"user_sid": u.SID, "chat_service_sid": u.ChatServiceSID, "identity": u.Identity, "role_sid": u.RoleSID})
	e.userChanged(u, ChangeUserUpdated)
	e.emitService(p.Origin, u.ChatServiceSID, evUserUpdated, userParams(u, e.Reachable(u.ChatServiceSID)),
		map[string]string{"user_sid": u.SID, "identity": u.Identity})
	c := *u
	return &c, nil
}

// DeleteUser removes a user. Its participants stay in their conversations,
// as on Twilio, where a participant outlives the SDK user behind it.
func (e *Engine) DeleteUser(serviceSID, sidOrIdentity string) error {
	u, err := e.user(serviceSID, sidOrIdentity)
	if err != nil {
		return err
	}
	d := e.directory()
	delete(d.users, u.SID)
	for i, x := range d.userOrder {
		if x == u {
			d.userOrder = append(d.userOrder[:i], d.userOrder[i+1:]...)
			break
		}
	}
	e.record("user.deleted", u.SID, fmt.Sprintf("user %s (%s) deleted", u.Identity, u.SID),
		map[string]string{"user_sid": u.SID, "chat_service_sid": u.ChatServiceSID, "identity": u.Identity})
	return nil
}

// Reachable reports whether a service has reachability indicators on; a
// user's is_online and is_notifiable are null while it is off.
func (e *Engine) Reachable(serviceSID string) bool {
	return e.directory().reachability[e.serviceSIDOrDefault(serviceSID)]
}

// --- User Conversations ---

// UserConversation is a conversation a user takes part in, seen from the
// user: the conversation, the user's participant and its read state.
type UserConversation struct {
	Conversation         *Conversation
	Participant          *Participant
	UserSID              string
	LastReadMessageIndex *int
	UnreadMessagesCount  *int // null until a read horizon is set
	NotificationLevel    string
}

// UpdateUserConversationParams changes the user's read state and
// notification level in one conversation; nil fields stay as they are.
type UpdateUserConversationParams struct {
	NotificationLevel    *string // default or muted
	LastReadMessageIndex *int
	// ClearLastReadMessageIndex sets last_read_message_index back to null
	// (an empty LastReadMessageIndex parameter).
	ClearLastReadMessageIndex bool
	LastReadTimestamp         *time.Time
}

// UserConversations lists the conversations of the user's service in which
// a participant has the user's identity, in conversation creation order.
func (e *Engine) UserConversations(serviceSID, userRef string) ([]*UserConversation, error) {
	u, err := e.user(serviceSID, userRef)
	if err != nil {
		return nil, err
	}
	out := []*UserConversation{}
	for _, c := range e.convOrder {
		if c.ChatServiceSID != u.ChatServiceSID {
			continue
		}
		if p := participantByIdentity(c, u.Identity); p != nil {
			out = append(out, e.userConversation(c, p, u))
		}
	}
	return out, nil
}

// userConvRefs resolves the user, conversation (SID or unique name) and the
// user's participant in it, or a 404 for the User Conversation path.
func (e *Engine) userConvRefs(serviceSID, userRef, convRef string) (*User, *conversation, *Participant, error) {
	u, err := e.user(serviceSID, userRef)
	if err != nil {
		return nil, nil, nil, err
	}
	notFound := twilio.NotFound(servicePath(serviceSID, "/Users/"+userRef+"/Conversations/"+convRef))
	c, err := e.lookup(serviceSID, convRef)
	if err != nil {
		return nil, nil, nil, notFound
	}
	p := participantByIdentity(c, u.Identity)
	if p == nil {
		return nil, nil, nil, notFound
	}
	return u, c, p, nil
}

// UserConversation returns one conversation of a user.
func (e *Engine) UserConversation(serviceSID, userRef, convRef string) (*UserConversation, error) {
	u, c, p, err := e.userConvRefs(serviceSID, userRef, convRef)
	if err != nil {
		return nil, err
	}
	return e.userConversation(c, p, u), nil
}

// UpdateUserConversation sets the user's notification level or read horizon
// in a conversation; the read horizon is the participant's, so it also
// shows on the Participant resource.
func (e *Engine) UpdateUserConversation(serviceSID, userRef, convRef string, p UpdateUserConversationParams) (*UserConversation, error) {
	u, c, part, err := e.userConvRefs(serviceSID, userRef, convRef)
	if err != nil {
		return nil, err
	}
	if p.NotificationLevel != nil && *p.NotificationLevel != "default" && *p.NotificationLevel != "muted" {
		return nil, twilio.InvalidParam("NotificationLevel", "%q is not one of default, muted", *p.NotificationLevel)
	}
	if p.LastReadMessageIndex != nil && *p.LastReadMessageIndex < 0 {
		return nil, twilio.InvalidParam("LastReadMessageIndex", "must not be negative")
	}
	rs := e.readStateOf(part.SID)
	if p.NotificationLevel != nil {
		rs.NotificationLevel = *p.NotificationLevel
	}
	applyReadHorizon(&rs, p.LastReadMessageIndex, p.ClearLastReadMessageIndex, p.LastReadTimestamp)
	e.setReadState(part.SID, rs)
	e.record("user_conversation.updated", c.SID, fmt.Sprintf("user %s in conversation %s: notification level %s, last read %s",
		u.Identity, c.SID, rs.NotificationLevel, indexString(rs.LastReadMessageIndex)),
		map[string]string{"user_sid": u.SID, "conversation_sid": c.SID, "participant_sid": part.SID, "identity": u.Identity})
	e.participantChanged(c, part, ChangeReadHorizonChanged, "")
	return e.userConversation(c, part, u), nil
}

// LeaveUserConversation removes the user's participant from a conversation.
func (e *Engine) LeaveUserConversation(serviceSID, userRef, convRef string, o Origin) error {
	_, c, p, err := e.userConvRefs(serviceSID, userRef, convRef)
	if err != nil {
		return err
	}
	return e.RemoveParticipant(c.SID, p.SID, o)
}

func (e *Engine) userConversation(c *conversation, p *Participant, u *User) *UserConversation {
	rs := e.readStateOf(p.SID)
	uc := &UserConversation{Conversation: c.snapshot(), Participant: p.clone(), UserSID: u.SID,
		LastReadMessageIndex: rs.LastReadMessageIndex, NotificationLevel: rs.NotificationLevel}
	if rs.LastReadMessageIndex != nil {
		n := 0
		for _, m := range c.messages {
			if m.Index > *rs.LastReadMessageIndex {
				n++
			}
		}
		uc.UnreadMessagesCount = &n
	}
	return uc
}

// applyReadHorizon updates a read state from optional parameters.
func applyReadHorizon(rs *readState, index *int, clear bool, ts *time.Time) {
	switch {
	case clear:
		rs.LastReadMessageIndex = nil
	case index != nil:
		v := *index
		rs.LastReadMessageIndex = &v
	}
	if ts != nil {
		v := ts.UTC()
		rs.LastReadTimestamp = &v
	}
}

func indexString(i *int) string {
	if i == nil {
		return "none"
	}
	return fmt.Sprint(*i)
}

func participantByIdentity(c *conversation, identity string) *Participant {
	if identity == "" {
		return nil
	}
	for _, p := range c.participants {
		if p.Identity == identity {
			return p
		}
	}
	return nil
}
