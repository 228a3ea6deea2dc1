package conversations

import (
	"github.com/flexemu/flexemu/emulator/twilio"
)

// Roles, service Configuration and its Notifications: handlers and views.

type roleView struct {
	SID            string   `json:"sid"`
	AccountSID     string   `json:"account_sid"`
	ChatServiceSID string   `json:"chat_service_sid"`
	FriendlyName   string   `json:"friendly_name"`
	Type           string   `json:"type"`
	Permissions    []string `json:"permissions"`
	DateCreated    string   `json:"date_created"`
	DateUpdated    string   `json:"date_updated"`
	URL            string   `json:"url"`
}

func (e *Engine) roleView(r *twilio.Request, s scope, role *Role) roleView {
	perms := role.Permissions
	if perms == nil {
		perms = []string{}
	}
	return roleView{SID: role.SID, AccountSID: e.env.AccountSID, ChatServiceSID: role.ChatServiceSID,
		FriendlyName: role.FriendlyName, Type: role.Type, Permissions: perms,
		DateCreated: twilio.Time(role.DateCreated), DateUpdated: twilio.Time(role.DateUpdated),
		URL: r.URL(s.prefix + "/Roles/" + role.SID)}
}

func listRoles(e *Engine, r *twilio.Request) (any, error) {
	s, err := resolveScope(e, r)
	if err != nil {
		return nil, err
	}
	list, err := e.Roles(s.service)
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL(s.prefix+"/Roles"), "roles", list,
		func(role *Role) any { return e.roleView(r, s, role) }, maxUsersPageSize)
}

func createRole(e *Engine, r *twilio.Request) (any, error) {
	s, err := resolveScope(e, r)
	if err != nil {
		return nil, err
	}
	name, err := r.Form.Required("FriendlyName")
	if err != nil {
		return nil, err
	}
	typ, err := r.Form.Required("Type")
	if err != nil {
		return nil, err
	}
	role, err := e.CreateRole(s.service, CreateRoleParams{FriendlyName: name, Type: typ, Permissions: r.Form.Strings("Permission")})
	if err != nil {
		return nil, err
	}
	return e.roleView(r, s, role), nil
}

func fetchRole(e *Engine, r *twilio.Request) (any, error) {
	s, err := resolveScope(e, r)
	if err != nil {
		return nil, err
	}
	role, err := e.Role(s.service, r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return e.roleView(r, s, role), nil
}

func updateRole(e *Engine, r *twilio.Request) (any, error) {
	s, err := resolveScope(e, r)
	if err != nil {
		return nil, err
	}
	role, err := e.UpdateRole(s.service, r.Path("Sid"), r.Form.Strings("Permission"))
	if err != nil {
		return nil, err
	}
	return e.roleView(r, s, role), nil
}

func deleteRole(e *Engine, r *twilio.Request) (any, error) {
	s, err := resolveScope(e, r)
	if err != nil {
		return nil, err
	}
	return nil, e.DeleteRole(s.service, r.Path("Sid"))
}

// --- /v1/Services/{ChatServiceSid}/Configuration ---

type serviceConfigurationView struct {
	ChatServiceSID                    string            `json:"chat_service_sid"`
	DefaultConversationCreatorRoleSID *string           `json:"default_conversation_creator_role_sid"`
	DefaultConversationRoleSID        *string           `json:"default_conversation_role_sid"`
	DefaultChatServiceRoleSID         *string           `json:"default_chat_service_role_sid"`
	ReachabilityEnabled               bool              `json:"reachability_enabled"`
	URL                               string            `json:"url"`
	Links                             map[string]string `json:"links"`
}

func (e *Engine) serviceConfigurationView(r *twilio.Request, c ServiceConfiguration) serviceConfigurationView {
	base := r.URL("/v1/Services/" + c.ChatServiceSID + "/Configuration")
	return serviceConfigurationView{ChatServiceSID: c.ChatServiceSID,
		DefaultConversationCreatorRoleSID: twilio.NullString(c.DefaultConversationCreatorRoleSID),
		DefaultConversationRoleSID:        twilio.NullString(c.DefaultConversationRoleSID),
		DefaultChatServiceRoleSID:         twilio.NullString(c.DefaultChatServiceRoleSID),
		ReachabilityEnabled:               c.ReachabilityEnabled, URL: base,
		Links: map[string]string{"notifications": base + "/Notifications", "webhooks": base + "/Webhooks"}}
}

func fetchServiceConfiguration(e *Engine, r *twilio.Request) (any, error) {
	c, err := e.ServiceConfiguration(r.Path("ChatServiceSid"))
	if err != nil {
		return nil, err
	}
	return e.serviceConfigurationView(r, c), nil
}

func updateServiceConfiguration(e *Engine, r *twilio.Request) (any, error) {
	c, err := e.UpdateServiceConfiguration(r.Path("ChatServiceSid"), UpdateServiceConfigurationParams{
		DefaultConversationCreatorRoleSID: r.Form.OptString("DefaultConversationCreatorRoleSid"),
		DefaultConversationRoleSID:        r.Form.OptString("DefaultConversationRoleSid"),
		DefaultChatServiceRoleSID:         r.Form.OptString("DefaultChatServiceRoleSid"),
		ReachabilityEnabled:               r.Form.OptBool("ReachabilityEnabled"),
	})
	if err != nil {
		return nil, err
	}
	return e.serviceConfigurationView(r, c), nil
}

// --- /v1/Services/{ChatServiceSid}/Configuration/Notifications ---

type notificationMediaView struct {
	Enabled  bool    `json:"enabled"`
	Template *string `json:"template"`
}

type notificationView struct {
	Enabled           bool                   `json:"enabled"`
	Template          *string                `json:"template"`
	Sound             *string                `json:"sound"`
	BadgeCountEnabled *bool                  `json:"badge_count_enabled,omitempty"`
	WithMedia         *notificationMediaView `json:"with_media,omitempty"`
}

type notificationsView struct {
	AccountSID              string           `json:"account_sid"`
	ChatServiceSID          string           `json:"chat_service_sid"`
	LogEnabled              bool             `json:"log_enabled"`
	NewMessage              notificationView `json:"new_message"`
	AddedToConversation     notificationView `json:"added_to_conversation"`
	RemovedFromConversation notificationView `json:"removed_from_conversation"`
	URL                     string           `json:"url"`
}

func (e *Engine) notificationsView(r *twilio.Request, serviceSID string, n NotificationConfiguration) notificationsView {
	plain := func(s NotificationSetting) notificationView {
		return notificationView{Enabled: s.Enabled, Template: twilio.NullString(s.Template), Sound: twilio.NullString(s.Sound)}
	}
	nm := plain(n.NewMessage)
	badge := n.NewMessage.BadgeCountEnabled
	nm.BadgeCountEnabled = &badge
	nm.WithMedia = &notificationMediaView{Enabled: n.NewMessage.WithMediaEnabled, Template: twilio.NullString(n.NewMessage.WithMediaTemplate)}
	return notificationsView{AccountSID: e.env.AccountSID, ChatServiceSID: serviceSID, LogEnabled: n.LogEnabled,
		NewMessage: nm, AddedToConversation: plain(n.AddedToConversation),
		RemovedFromConversation: plain(n.RemovedFromConversation),
		URL:                     r.URL("/v1/Services/" + serviceSID + "/Configuration/Notifications")}
}

func fetchNotifications(e *Engine, r *twilio.Request) (any, error) {
	svc := r.Path("ChatServiceSid")
	n, err := e.Notifications(svc)
	if err != nil {
		return nil, err
	}
	return e.notificationsView(r, svc, n), nil
}

func updateNotifications(e *Engine, r *twilio.Request) (any, error) {
	svc := r.Path("ChatServiceSid")
	f := r.Form
	n, err := e.UpdateNotifications(svc, UpdateNotificationParams{
		LogEnabled:                      f.OptBool("LogEnabled"),
		NewMessageEnabled:               f.OptBool("NewMessage.Enabled"),
		NewMessageTemplate:              f.OptString("NewMessage.Template"),
		NewMessageSound:                 f.OptString("NewMessage.Sound"),
		NewMessageBadgeCountEnabled:     f.OptBool("NewMessage.BadgeCountEnabled"),
		NewMessageWithMediaEnabled:      f.OptBool("NewMessage.WithMedia.Enabled"),
		NewMessageWithMediaTemplate:     f.OptString("NewMessage.WithMedia.Template"),
		AddedToConversationEnabled:      f.OptBool("AddedToConversation.Enabled"),
		AddedToConversationTemplate:     f.OptString("AddedToConversation.Template"),
		AddedToConversationSound:        f.OptString("AddedToConversation.Sound"),
		RemovedFromConversationEnabled:  f.OptBool("RemovedFromConversation.Enabled"),
		RemovedFromConversationTemplate: f.OptString("RemovedFromConversation.Template"),
		RemovedFromConversationSound:    f.OptString("RemovedFromConversation.Sound"),
	})
	if err != nil {
		return nil, err
	}
	return e.notificationsView(r, svc, n), nil
}
