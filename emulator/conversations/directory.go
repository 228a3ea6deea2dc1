package conversations

import (
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// directory holds the resources that hang off services and messages without
// being part of a conversation's own record: users, roles, push
// credentials, delivery receipts, per-participant read state and the
// per-service configuration the core Service type does not carry. It is
// created on first use, so the core engine needs only one field for it.
type directory struct {
	users     map[string]*User // by SID
	userOrder []*User          // creation order, all services

	roles        map[string]*Role // by SID
	roleOrder    []*Role
	defaultRoles map[string]bool // service SID → built-in roles materialised

	credentials     map[string]*Credential
	credentialOrder []*Credential

	receipts map[string][]*Receipt // by message SID, in recipient order
	reads    map[string]*readState // by participant SID

	notifications map[string]*NotificationConfiguration // by service SID
	reachability  map[string]bool                       // by service SID
}

// readState is what a participant has read and how it is notified; Twilio
// exposes it on the Participant and on the User Conversation.
type readState struct {
	LastReadMessageIndex *int
	LastReadTimestamp    *time.Time
	NotificationLevel    string // default or muted
}

// directory returns the engine's directory, creating it on first use.
func (e *Engine) directory() *directory {
	if e.dir == nil {
		e.dir = &directory{
			users:         map[string]*User{},
			roles:         map[string]*Role{},
			defaultRoles:  map[string]bool{},
			credentials:   map[string]*Credential{},
			receipts:      map[string][]*Receipt{},
			reads:         map[string]*readState{},
			notifications: map[string]*NotificationConfiguration{},
			reachability:  map[string]bool{},
		}
	}
	return e.dir
}

// readStateOf returns a copy of a participant's read state (zero when none
// was ever set).
func (e *Engine) readStateOf(participantSID string) readState {
	rs, ok := e.directory().reads[participantSID]
	if !ok {
		return readState{NotificationLevel: "default"}
	}
	c := *rs
	if rs.LastReadMessageIndex != nil {
		v := *rs.LastReadMessageIndex
		c.LastReadMessageIndex = &v
	}
	if rs.LastReadTimestamp != nil {
		v := *rs.LastReadTimestamp
		c.LastReadTimestamp = &v
	}
	return c
}

// setReadState stores a participant's read state.
func (e *Engine) setReadState(participantSID string, rs readState) {
	c := rs
	e.directory().reads[participantSID] = &c
}

// serviceSIDOrDefault maps "" to the account's default service.
func (e *Engine) serviceSIDOrDefault(sid string) string {
	if sid == "" {
		return e.config.DefaultChatServiceSID
	}
	return sid
}

// readView renders a participant's read horizon for its REST view.
func (e *Engine) readView(participantSID string) (*int, *string) {
	rs := e.readStateOf(participantSID)
	var ts *string
	if rs.LastReadTimestamp != nil {
		ts = twilio.TimePtr(*rs.LastReadTimestamp)
	}
	return rs.LastReadMessageIndex, ts
}
