package conversations

import (
	"fmt"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// ServiceConfiguration is /v1/Services/{IS}/Configuration: the roles a
// service hands out by default and whether reachability is on.
type ServiceConfiguration struct {
	ChatServiceSID                    string
	DefaultConversationCreatorRoleSID string
	DefaultConversationRoleSID        string
	DefaultChatServiceRoleSID         string
	ReachabilityEnabled               bool
}

// UpdateServiceConfigurationParams changes a service's configuration; nil
// fields stay as they are. Role SIDs must name roles of the service of the
// right type (conversation roles for the first two, a service role last).
type UpdateServiceConfigurationParams struct {
	DefaultConversationCreatorRoleSID *string
	DefaultConversationRoleSID        *string
	DefaultChatServiceRoleSID         *string
	ReachabilityEnabled               *bool
}

// ServiceConfiguration returns a service's configuration ("" = default service).
func (e *Engine) ServiceConfiguration(serviceSID string) (ServiceConfiguration, error) {
	s, err := e.service(serviceSID)
	if err != nil {
		return ServiceConfiguration{}, err
	}
	return e.serviceConfiguration(s), nil
}

func (e *Engine) serviceConfiguration(s *Service) ServiceConfiguration {
	return ServiceConfiguration{ChatServiceSID: s.SID, DefaultConversationCreatorRoleSID: s.DefaultConversationCreatorRoleSID,
		DefaultConversationRoleSID: s.DefaultConversationRoleSID, DefaultChatServiceRoleSID: s.DefaultChatServiceRoleSID,
		ReachabilityEnabled: e.directory().reachability[s.SID]}
}

// UpdateServiceConfiguration changes a service's default roles or
// reachability. New participants and users get the new defaults.
func (e *Engine) UpdateServiceConfiguration(serviceSID string, p UpdateServiceConfigurationParams) (ServiceConfiguration, error) {
	s, err := e.service(serviceSID)
	if err != nil {
		return ServiceConfiguration{}, err
	}
	for _, ref := range []struct {
		param string
		sid   *string
		typ   string
	}{
		{"DefaultConversationCreatorRoleSid", p.DefaultConversationCreatorRoleSID, RoleTypeConversation},
		{"DefaultConversationRoleSid", p.DefaultConversationRoleSID, RoleTypeConversation},
		{"DefaultChatServiceRoleSid", p.DefaultChatServiceRoleSID, RoleTypeService},
	} {
		if ref.sid != nil {
			if err := e.checkRoleRef(ref.param, s.SID, *ref.sid, ref.typ); err != nil {
				return ServiceConfiguration{}, err
			}
		}
	}
	if p.DefaultConversationCreatorRoleSID != nil {
		s.DefaultConversationCreatorRoleSID = *p.DefaultConversationCreatorRoleSID
	}
	if p.DefaultConversationRoleSID != nil {
		s.DefaultConversationRoleSID = *p.DefaultConversationRoleSID
	}
	if p.DefaultChatServiceRoleSID != nil {
		s.DefaultChatServiceRoleSID = *p.DefaultChatServiceRoleSID
	}
	if p.ReachabilityEnabled != nil {
		e.directory().reachability[s.SID] = *p.ReachabilityEnabled
	}
	s.DateUpdated = e.now()
	c := e.serviceConfiguration(s)
	e.record("service_configuration.updated", s.SID, fmt.Sprintf("service %s configuration: conversation role %s, creator role %s, service role %s, reachability %t",
		s.SID, c.DefaultConversationRoleSID, c.DefaultConversationCreatorRoleSID, c.DefaultChatServiceRoleSID, c.ReachabilityEnabled),
		map[string]string{"chat_service_sid": s.SID, "default_conversation_role_sid": c.DefaultConversationRoleSID,
			"default_conversation_creator_role_sid": c.DefaultConversationCreatorRoleSID,
			"default_chat_service_role_sid":         c.DefaultChatServiceRoleSID})
	return c, nil
}

// NotificationConfiguration is /v1/Services/{IS}/Configuration/Notifications:
// push notification settings. They are stored and echoed; the emulator
// sends no pushes.
type NotificationConfiguration struct {
	LogEnabled              bool
	NewMessage              NotificationSetting
	AddedToConversation     NotificationSetting
	RemovedFromConversation NotificationSetting
}

// NotificationSetting is one push notification type's settings.
type NotificationSetting struct {
	Enabled           bool
	Template          string // "" renders as null
	Sound             string // "" renders as null
	BadgeCountEnabled bool   // new_message only
	// WithMedia is new_message's with_media block.
	WithMediaEnabled  bool
	WithMediaTemplate string
}

// UpdateNotificationParams changes notification settings; nil fields stay
// as they are.
type UpdateNotificationParams struct {
	LogEnabled                      *bool
	NewMessageEnabled               *bool
	NewMessageTemplate              *string
	NewMessageSound                 *string
	NewMessageBadgeCountEnabled     *bool
	NewMessageWithMediaEnabled      *bool
	NewMessageWithMediaTemplate     *string
	AddedToConversationEnabled      *bool
	AddedToConversationTemplate     *string
	AddedToConversationSound        *string
	RemovedFromConversationEnabled  *bool
	RemovedFromConversationTemplate *string
	RemovedFromConversationSound    *string
}

// Notifications returns a service's push notification configuration.
func (e *Engine) Notifications(serviceSID string) (NotificationConfiguration, error) {
	s, err := e.service(serviceSID)
	if err != nil {
		return NotificationConfiguration{}, err
	}
	if n := e.directory().notifications[s.SID]; n != nil {
		return *n, nil
	}
	return NotificationConfiguration{}, nil
}

// UpdateNotifications changes a service's push notification configuration.
func (e *Engine) UpdateNotifications(serviceSID string, p UpdateNotificationParams) (NotificationConfiguration, error) {
	s, err := e.service(serviceSID)
	if err != nil {
		return NotificationConfiguration{}, err
	}
	n, _ := e.Notifications(s.SID)
	setB := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	setS := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	setB(&n.LogEnabled, p.LogEnabled)
	setB(&n.NewMessage.Enabled, p.NewMessageEnabled)
	setS(&n.NewMessage.Template, p.NewMessageTemplate)
	setS(&n.NewMessage.Sound, p.NewMessageSound)
	setB(&n.NewMessage.BadgeCountEnabled, p.NewMessageBadgeCountEnabled)
	setB(&n.NewMessage.WithMediaEnabled, p.NewMessageWithMediaEnabled)
	setS(&n.NewMessage.WithMediaTemplate, p.NewMessageWithMediaTemplate)
	setB(&n.AddedToConversation.Enabled, p.AddedToConversationEnabled)
	setS(&n.AddedToConversation.Template, p.AddedToConversationTemplate)
	setS(&n.AddedToConversation.Sound, p.AddedToConversationSound)
	setB(&n.RemovedFromConversation.Enabled, p.RemovedFromConversationEnabled)
	setS(&n.RemovedFromConversation.Template, p.RemovedFromConversationTemplate)
	setS(&n.RemovedFromConversation.Sound, p.RemovedFromConversationSound)
	e.directory().notifications[s.SID] = &n
	e.record("notifications.updated", s.SID, fmt.Sprintf("service %s push notifications: new message %t, added %t, removed %t",
		s.SID, n.NewMessage.Enabled, n.AddedToConversation.Enabled, n.RemovedFromConversation.Enabled),
		map[string]string{"chat_service_sid": s.SID})
	return n, nil
}

// DeleteService removes a Conversation Service with its conversations
// (through DeleteConversation, without webhooks), users and roles. The
// account's default service and a service an address configuration
// auto-creates into cannot be deleted (400 naming what holds it).
func (e *Engine) DeleteService(sid string) error {
	s, ok := e.services[sid]
	if !ok {
		return twilio.NotFound("/Services/" + sid)
	}
	if sid == e.config.DefaultChatServiceSID {
		return twilio.BadRequest("Conversation Service %s is the account's default_chat_service_sid and cannot be deleted; "+
			"set another default in /v1/Configuration first", sid)
	}
	for _, a := range e.addresses {
		if a.AutoCreation.ConversationServiceSID == sid {
			return twilio.BadRequest("Conversation Service %s is used by address configuration %s (%s) and cannot be deleted", sid, a.SID, a.Address)
		}
	}
	var convs []string
	for _, c := range e.convOrder {
		if c.ChatServiceSID == sid {
			convs = append(convs, c.SID)
		}
	}
	for _, c := range convs {
		if err := e.DeleteConversation(c, Origin{}); err != nil {
			return fmt.Errorf("delete service %s: %w", sid, err)
		}
	}
	d := e.directory()
	users := d.userOrder[:0]
	for _, u := range d.userOrder {
		if u.ChatServiceSID == sid {
			delete(d.users, u.SID)
		} else {
			users = append(users, u)
		}
	}
	d.userOrder = users
	roles := d.roleOrder[:0]
	for _, r := range d.roleOrder {
		if r.ChatServiceSID == sid {
			delete(d.roles, r.SID)
		} else {
			roles = append(roles, r)
		}
	}
	d.roleOrder = roles
	delete(d.defaultRoles, sid)
	delete(d.notifications, sid)
	delete(d.reachability, sid)
	delete(e.serviceHooks, sid)
	delete(e.services, sid)
	for i, x := range e.serviceOrder {
		if x == s {
			e.serviceOrder = append(e.serviceOrder[:i], e.serviceOrder[i+1:]...)
			break
		}
	}
	e.record("service.deleted", sid, fmt.Sprintf("conversation service %s %q deleted with %d conversations", sid, s.FriendlyName, len(convs)),
		map[string]string{"chat_service_sid": sid, "friendly_name": s.FriendlyName})
	return nil
}
