package conversations

import (
	"fmt"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Service is a Conversation Service (IS…): the container conversations,
// users and roles live in.
type Service struct {
	SID          string
	FriendlyName string
	DateCreated  time.Time
	DateUpdated  time.Time
	// DefaultConversationRoleSID is the role new participants get when the
	// request names none (Twilio fills role_sid this way).
	DefaultConversationRoleSID        string
	DefaultConversationCreatorRoleSID string
	DefaultChatServiceRoleSID         string
}

// CreateServiceParams creates a Conversation Service.
type CreateServiceParams struct {
	SID          string // fixtures pin it; empty mints one
	FriendlyName string
}

// Configuration is the account-level /v1/Configuration singleton.
type Configuration struct {
	DefaultChatServiceSID      string
	DefaultMessagingServiceSID string
	// Timers new conversations get; nil when not configured.
	DefaultInactiveTimer *time.Duration
	DefaultClosedTimer   *time.Duration
}

// UpdateConfigurationParams changes the account configuration; nil fields
// stay as they are.
type UpdateConfigurationParams struct {
	DefaultChatServiceSID      *string
	DefaultMessagingServiceSID *string
	DefaultInactiveTimer       *time.Duration
	DefaultClosedTimer         *time.Duration
}

// Timer bounds. Twilio documents the minimums (1 minute inactive, 10
// minutes closed); it documents no maximum, so flexemu caps both at 365 days
// (docs/fidelity.md, "Limits").
const (
	minInactiveTimer = time.Minute
	minClosedTimer   = 10 * time.Minute
	maxTimer         = 365 * 24 * time.Hour
)

// CreateService adds a Conversation Service.
func (e *Engine) CreateService(p CreateServiceParams) (*Service, error) {
	if p.FriendlyName == "" {
		return nil, twilio.MissingParam("FriendlyName")
	}
	if len(p.FriendlyName) > 256 {
		return nil, twilio.InvalidParam("FriendlyName", "must be at most 256 characters")
	}
	sid := p.SID
	if sid == "" {
		sid = twilio.NewSID("IS")
	} else if !twilio.IsSID(sid, "IS") {
		return nil, twilio.InvalidParam("Sid", "%q is not a Conversation Service SID (IS…)", sid)
	} else if _, dup := e.services[sid]; dup {
		return nil, twilio.Conflict(twilio.CodeConflict, "Conversation Service %s already exists", sid)
	}
	now := e.now()
	s := &Service{SID: sid, FriendlyName: p.FriendlyName, DateCreated: now, DateUpdated: now,
		DefaultConversationRoleSID:        twilio.NewSID("RL"),
		DefaultConversationCreatorRoleSID: twilio.NewSID("RL"),
		DefaultChatServiceRoleSID:         twilio.NewSID("RL"),
	}
	e.services[sid] = s
	e.serviceOrder = append(e.serviceOrder, s)
	e.record("service.created", sid, fmt.Sprintf("conversation service %s %q created", sid, s.FriendlyName),
		map[string]string{"chat_service_sid": sid, "friendly_name": s.FriendlyName})
	c := *s
	return &c, nil
}

// Service returns a Conversation Service by SID.
func (e *Engine) Service(sid string) (*Service, error) {
	s, ok := e.services[sid]
	if !ok {
		return nil, twilio.NotFound("/Services/" + sid)
	}
	c := *s
	return &c, nil
}

// Services lists the account's Conversation Services in creation order.
func (e *Engine) Services() []*Service {
	out := make([]*Service, 0, len(e.serviceOrder))
	for _, s := range e.serviceOrder {
		c := *s
		out = append(out, &c)
	}
	return out
}

// DefaultServiceSID is the service the un-prefixed /v1/Conversations
// endpoints and auto-creation without a service operate on.
func (e *Engine) DefaultServiceSID() string { return e.config.DefaultChatServiceSID }

// Configuration returns a copy of the account configuration.
func (e *Engine) Configuration() Configuration {
	c := e.config
	if d := c.DefaultInactiveTimer; d != nil {
		v := *d
		c.DefaultInactiveTimer = &v
	}
	if d := c.DefaultClosedTimer; d != nil {
		v := *d
		c.DefaultClosedTimer = &v
	}
	return c
}

// UpdateConfiguration changes the default service, messaging service or
// default timers; new conversations start with the default timers, existing
// ones keep theirs.
func (e *Engine) UpdateConfiguration(p UpdateConfigurationParams) (Configuration, error) {
	if p.DefaultChatServiceSID != nil {
		if _, ok := e.services[*p.DefaultChatServiceSID]; !ok {
			return Configuration{}, twilio.InvalidParam("DefaultChatServiceSid", "no Conversation Service %s in this account", *p.DefaultChatServiceSID)
		}
	}
	if p.DefaultMessagingServiceSID != nil && !twilio.IsSID(*p.DefaultMessagingServiceSID, "MG") {
		return Configuration{}, twilio.InvalidParam("DefaultMessagingServiceSid", "%q is not a Messaging Service SID (MG…)", *p.DefaultMessagingServiceSID)
	}
	if err := checkTimer("DefaultInactiveTimer", p.DefaultInactiveTimer, minInactiveTimer); err != nil {
		return Configuration{}, err
	}
	if err := checkTimer("DefaultClosedTimer", p.DefaultClosedTimer, minClosedTimer); err != nil {
		return Configuration{}, err
	}
	if p.DefaultChatServiceSID != nil {
		e.config.DefaultChatServiceSID = *p.DefaultChatServiceSID
	}
	if p.DefaultMessagingServiceSID != nil {
		e.config.DefaultMessagingServiceSID = *p.DefaultMessagingServiceSID
	}
	if p.DefaultInactiveTimer != nil {
		d := *p.DefaultInactiveTimer
		e.config.DefaultInactiveTimer = &d
	}
	if p.DefaultClosedTimer != nil {
		d := *p.DefaultClosedTimer
		e.config.DefaultClosedTimer = &d
	}
	e.record("configuration.updated", "", fmt.Sprintf("conversations configuration: default service %s, messaging service %s",
		e.config.DefaultChatServiceSID, e.config.DefaultMessagingServiceSID),
		map[string]string{"chat_service_sid": e.config.DefaultChatServiceSID, "messaging_service_sid": e.config.DefaultMessagingServiceSID})
	return e.Configuration(), nil
}
