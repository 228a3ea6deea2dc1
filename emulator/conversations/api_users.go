package conversations

import (
	"strconv"
	"strings"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Users, User Conversations and Participant Conversations: handlers and views.

const maxUsersPageSize = 50 // users, user conversations, participant conversations, roles, receipts

type userView struct {
	SID            string            `json:"sid"`
	AccountSID     string            `json:"account_sid"`
	ChatServiceSID string            `json:"chat_service_sid"`
	RoleSID        *string           `json:"role_sid"`
	Identity       string            `json:"identity"`
	FriendlyName   *string           `json:"friendly_name"`
	Attributes     string            `json:"attributes"`
	IsOnline       *bool             `json:"is_online"`
	IsNotifiable   *bool             `json:"is_notifiable"`
	DateCreated    string            `json:"date_created"`
	DateUpdated    string            `json:"date_updated"`
	URL            string            `json:"url"`
	Links          map[string]string `json:"links"`
}

// userView renders a user. is_online and is_notifiable are null in lists and
// while the service's reachability is off, as on Twilio; otherwise false
// (no SDK client is ever connected to the emulator).
func (e *Engine) userView(r *twilio.Request, s scope, u *User, single bool) userView {
	base := r.URL(s.prefix + "/Users/" + u.SID)
	v := userView{SID: u.SID, AccountSID: e.env.AccountSID, ChatServiceSID: u.ChatServiceSID, RoleSID: twilio.NullString(u.RoleSID),
		Identity: u.Identity, FriendlyName: twilio.NullString(u.FriendlyName), Attributes: u.Attributes,
		DateCreated: twilio.Time(u.DateCreated), DateUpdated: twilio.Time(u.DateUpdated), URL: base,
		Links: map[string]string{"user_conversations": base + "/Conversations"}}
	if single && e.Reachable(u.ChatServiceSID) {
		f := false
		v.IsOnline, v.IsNotifiable = &f, &f
	}
	return v
}

func listUsers(e *Engine, r *twilio.Request) (any, error) {
	s, err := resolveScope(e, r)
	if err != nil {
		return nil, err
	}
	list, err := e.Users(s.service)
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL(s.prefix+"/Users"), "users", list,
		func(u *User) any { return e.userView(r, s, u, false) }, maxUsersPageSize)
}

func createUser(e *Engine, r *twilio.Request) (any, error) {
	s, err := resolveScope(e, r)
	if err != nil {
		return nil, err
	}
	identity, err := r.Form.Required("Identity")
	if err != nil {
		return nil, err
	}
	p := CreateUserParams{Identity: identity, Origin: origin(r)}
	p.FriendlyName, _ = r.Form.String("FriendlyName")
	p.Attributes, _ = r.Form.String("Attributes")
	p.RoleSID, _ = r.Form.String("RoleSid")
	u, err := e.CreateUser(s.service, p)
	if err != nil {
		return nil, err
	}
	return e.userView(r, s, u, true), nil
}

func fetchUser(e *Engine, r *twilio.Request) (any, error) {
	s, err := resolveScope(e, r)
	if err != nil {
		return nil, err
	}
	u, err := e.User(s.service, r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return e.userView(r, s, u, true), nil
}

func updateUser(e *Engine, r *twilio.Request) (any, error) {
	s, err := resolveScope(e, r)
	if err != nil {
		return nil, err
	}
	u, err := e.UpdateUser(s.service, r.Path("Sid"), UpdateUserParams{FriendlyName: r.Form.OptString("FriendlyName"),
		Attributes: r.Form.OptString("Attributes"), RoleSID: r.Form.OptString("RoleSid"), Origin: origin(r)})
	if err != nil {
		return nil, err
	}
	return e.userView(r, s, u, true), nil
}

func deleteUser(e *Engine, r *twilio.Request) (any, error) {
	s, err := resolveScope(e, r)
	if err != nil {
		return nil, err
	}
	return nil, e.DeleteUser(s.service, r.Path("Sid"))
}

// --- User Conversations ---

type conversationLinks struct {
	Participant  string `json:"participant"`
	Conversation string `json:"conversation"`
}

type userConversationView struct {
	AccountSID           string            `json:"account_sid"`
	ChatServiceSID       string            `json:"chat_service_sid"`
	ConversationSID      string            `json:"conversation_sid"`
	UnreadMessagesCount  *int              `json:"unread_messages_count"`
	LastReadMessageIndex *int              `json:"last_read_message_index"`
	ParticipantSID       string            `json:"participant_sid"`
	UserSID              string            `json:"user_sid"`
	FriendlyName         *string           `json:"friendly_name"`
	ConversationState    string            `json:"conversation_state"`
	Timers               map[string]string `json:"timers"`
	Attributes           string            `json:"attributes"`
	DateCreated          string            `json:"date_created"`
	DateUpdated          string            `json:"date_updated"`
	CreatedBy            *string           `json:"created_by"`
	NotificationLevel    string            `json:"notification_level"`
	UniqueName           *string           `json:"unique_name"`
	URL                  string            `json:"url"`
	Links                conversationLinks `json:"links"`
}

// userConversationView renders a User Conversation; its dates, names and
// timers are the conversation's (timers as the Conversation resource shows them).
func (e *Engine) userConversationView(r *twilio.Request, s scope, uc *UserConversation) userConversationView {
	c := uc.Conversation
	conv := r.URL(s.prefix + "/Conversations/" + c.SID)
	return userConversationView{AccountSID: e.env.AccountSID, ChatServiceSID: c.ChatServiceSID, ConversationSID: c.SID,
		UnreadMessagesCount: uc.UnreadMessagesCount, LastReadMessageIndex: uc.LastReadMessageIndex,
		ParticipantSID: uc.Participant.SID, UserSID: uc.UserSID, FriendlyName: twilio.NullString(c.FriendlyName),
		ConversationState: c.State, Timers: e.conversationView(r, s, c).Timers, Attributes: c.Attributes,
		DateCreated: twilio.Time(c.DateCreated), DateUpdated: twilio.Time(c.DateUpdated),
		NotificationLevel: uc.NotificationLevel, UniqueName: twilio.NullString(c.UniqueName),
		URL:   r.URL(s.prefix + "/Users/" + uc.UserSID + "/Conversations/" + c.SID),
		Links: conversationLinks{Participant: conv + "/Participants/" + uc.Participant.SID, Conversation: conv}}
}

func listUserConversations(e *Engine, r *twilio.Request) (any, error) {
	s, err := resolveScope(e, r)
	if err != nil {
		return nil, err
	}
	u, err := e.User(s.service, r.Path("UserSid"))
	if err != nil {
		return nil, err
	}
	list, err := e.UserConversations(s.service, u.SID)
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL(s.prefix+"/Users/"+u.SID+"/Conversations"), "conversations", list,
		func(uc *UserConversation) any { return e.userConversationView(r, s, uc) }, maxUsersPageSize)
}

func fetchUserConversation(e *Engine, r *twilio.Request) (any, error) {
	s, err := resolveScope(e, r)
	if err != nil {
		return nil, err
	}
	uc, err := e.UserConversation(s.service, r.Path("UserSid"), r.Path("ConversationSid"))
	if err != nil {
		return nil, err
	}
	return e.userConversationView(r, s, uc), nil
}

func updateUserConversation(e *Engine, r *twilio.Request) (any, error) {
	s, err := resolveScope(e, r)
	if err != nil {
		return nil, err
	}
	p := UpdateUserConversationParams{NotificationLevel: r.Form.OptString("NotificationLevel")}
	if p.LastReadMessageIndex, p.ClearLastReadMessageIndex, err = optNullableIndex(r, "LastReadMessageIndex"); err != nil {
		return nil, err
	}
	if p.LastReadTimestamp, err = optTime(r, "LastReadTimestamp"); err != nil {
		return nil, err
	}
	uc, err := e.UpdateUserConversation(s.service, r.Path("UserSid"), r.Path("ConversationSid"), p)
	if err != nil {
		return nil, err
	}
	return e.userConversationView(r, s, uc), nil
}

func deleteUserConversation(e *Engine, r *twilio.Request) (any, error) {
	s, err := resolveScope(e, r)
	if err != nil {
		return nil, err
	}
	return nil, e.LeaveUserConversation(s.service, r.Path("UserSid"), r.Path("ConversationSid"), origin(r))
}

// optNullableIndex parses a nullable message index: absent → (nil, false),
// empty or "null" → (nil, true) to clear it, else a non-negative integer.
func optNullableIndex(r *twilio.Request, name string) (*int, bool, error) {
	v, ok := r.Form.String(name)
	if !ok {
		return nil, false, nil
	}
	if v = strings.TrimSpace(v); v == "" || v == "null" {
		return nil, true, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return nil, false, twilio.InvalidParam(name, "%q is not a message index (a non-negative integer)", v)
	}
	return &n, false, nil
}

// --- Participant Conversations ---

type participantConversationBindingView struct {
	Address          *string `json:"address"`
	ProxyAddress     *string `json:"proxy_address"`
	Type             string  `json:"type"`
	Level            *string `json:"level"`
	Name             *string `json:"name"`
	ProjectedAddress *string `json:"projected_address"`
}

type participantConversationView struct {
	AccountSID                  string                              `json:"account_sid"`
	ChatServiceSID              string                              `json:"chat_service_sid"`
	ParticipantSID              string                              `json:"participant_sid"`
	ParticipantUserSID          *string                             `json:"participant_user_sid"`
	ParticipantIdentity         *string                             `json:"participant_identity"`
	ParticipantMessagingBinding *participantConversationBindingView `json:"participant_messaging_binding"`
	ConversationSID             string                              `json:"conversation_sid"`
	ConversationUniqueName      *string                             `json:"conversation_unique_name"`
	ConversationFriendlyName    *string                             `json:"conversation_friendly_name"`
	ConversationAttributes      string                              `json:"conversation_attributes"`
	ConversationDateCreated     string                              `json:"conversation_date_created"`
	ConversationDateUpdated     string                              `json:"conversation_date_updated"`
	ConversationCreatedBy       *string                             `json:"conversation_created_by"`
	ConversationState           string                              `json:"conversation_state"`
	ConversationTimers          map[string]string                   `json:"conversation_timers"`
	Links                       conversationLinks                   `json:"links"`
}

func (e *Engine) participantConversationView(r *twilio.Request, s scope, pc *ParticipantConversation) participantConversationView {
	c, p := pc.Conversation, pc.Participant
	conv := r.URL(s.prefix + "/Conversations/" + c.SID)
	v := participantConversationView{AccountSID: e.env.AccountSID, ChatServiceSID: c.ChatServiceSID, ParticipantSID: p.SID,
		ParticipantUserSID: twilio.NullString(pc.UserSID), ParticipantIdentity: twilio.NullString(p.Identity), ConversationSID: c.SID,
		ConversationUniqueName: twilio.NullString(c.UniqueName), ConversationFriendlyName: twilio.NullString(c.FriendlyName),
		ConversationAttributes: c.Attributes, ConversationDateCreated: twilio.Time(c.DateCreated),
		ConversationDateUpdated: twilio.Time(c.DateUpdated), ConversationState: c.State,
		ConversationTimers: e.conversationView(r, s, c).Timers,
		Links:              conversationLinks{Participant: conv + "/Participants/" + p.SID, Conversation: conv}}
	if b := p.Binding; b != nil {
		v.ParticipantMessagingBinding = &participantConversationBindingView{Address: twilio.NullString(b.Address),
			ProxyAddress: twilio.NullString(b.ProxyAddress), Type: b.Type, ProjectedAddress: twilio.NullString(b.ProjectedAddress)}
	}
	return v
}

func listParticipantConversations(e *Engine, r *twilio.Request) (any, error) {
	s, err := resolveScope(e, r)
	if err != nil {
		return nil, err
	}
	p := ParticipantConversationsParams{ChatServiceSID: s.service}
	p.Identity, _ = r.Form.String("Identity")
	p.Address, _ = r.Form.String("Address")
	list, err := e.ParticipantConversations(p)
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL(s.prefix+"/ParticipantConversations"), "conversations", list,
		func(pc *ParticipantConversation) any { return e.participantConversationView(r, s, pc) }, maxUsersPageSize)
}
