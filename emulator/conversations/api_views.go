package conversations

import (
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// JSON views: Twilio's snake_case representations, built fresh per request.

// scope says which endpoint family served a request: the default-service
// paths (/v1/Conversations…) or a service copy (/v1/Services/IS…/Conversations…),
// whose representations add chat_service_sid and use the service path.
type scope struct {
	service string // "" for the default-service paths
	prefix  string // "/v1" or "/v1/Services/IS…"
}

func (s scope) scopedSID(sid string) string {
	if s.service == "" {
		return ""
	}
	return sid
}

func durPtr(d *time.Duration) *string {
	if d == nil {
		return nil
	}
	s := twilio.FormatISODuration(*d)
	return &s
}

type serviceView struct {
	AccountSID   string            `json:"account_sid"`
	SID          string            `json:"sid"`
	FriendlyName *string           `json:"friendly_name"`
	DateCreated  string            `json:"date_created"`
	DateUpdated  string            `json:"date_updated"`
	URL          string            `json:"url"`
	Links        map[string]string `json:"links"`
}

func (e *Engine) serviceView(r *twilio.Request, s *Service) serviceView {
	base := r.URL("/v1/Services/" + s.SID)
	links := map[string]string{}
	for k, p := range map[string]string{"conversations": "Conversations", "users": "Users", "roles": "Roles",
		"bindings": "Bindings", "configuration": "Configuration", "participant_conversations": "ParticipantConversations",
		"conversation_with_participants": "ConversationWithParticipants"} {
		links[k] = base + "/" + p
	}
	return serviceView{AccountSID: e.env.AccountSID, SID: s.SID, FriendlyName: twilio.NullString(s.FriendlyName),
		DateCreated: twilio.Time(s.DateCreated), DateUpdated: twilio.Time(s.DateUpdated), URL: base, Links: links}
}

type configurationView struct {
	AccountSID                 string            `json:"account_sid"`
	DefaultChatServiceSID      string            `json:"default_chat_service_sid"`
	DefaultMessagingServiceSID string            `json:"default_messaging_service_sid"`
	DefaultInactiveTimer       *string           `json:"default_inactive_timer"`
	DefaultClosedTimer         *string           `json:"default_closed_timer"`
	URL                        string            `json:"url"`
	Links                      map[string]string `json:"links"`
}

func (e *Engine) configurationView(r *twilio.Request, c Configuration) configurationView {
	return configurationView{AccountSID: e.env.AccountSID, DefaultChatServiceSID: c.DefaultChatServiceSID,
		DefaultMessagingServiceSID: c.DefaultMessagingServiceSID, DefaultInactiveTimer: durPtr(c.DefaultInactiveTimer),
		DefaultClosedTimer: durPtr(c.DefaultClosedTimer), URL: r.URL("/v1/Configuration"),
		Links: map[string]string{
			"service":  r.URL("/v1/Services/" + c.DefaultChatServiceSID + "/Configuration"),
			"webhooks": r.URL("/v1/Configuration/Webhooks"),
		}}
}

type webhookConfigurationView struct {
	AccountSID     string   `json:"account_sid"`
	Method         *string  `json:"method"`
	Filters        []string `json:"filters"`
	PreWebhookURL  *string  `json:"pre_webhook_url"`
	PostWebhookURL *string  `json:"post_webhook_url"`
	Target         string   `json:"target"`
	URL            string   `json:"url"`
}

func (e *Engine) webhookConfigurationView(r *twilio.Request, w WebhookConfiguration) webhookConfigurationView {
	// An unset method is sent as POST, and Twilio reports it so: the spec
	// does not let it be null.
	return webhookConfigurationView{AccountSID: e.env.AccountSID, Method: twilio.NullString(orPOST(w.Method)), Filters: w.Filters,
		PreWebhookURL: twilio.NullString(w.PreWebhookURL), PostWebhookURL: twilio.NullString(w.PostWebhookURL), Target: w.Target,
		URL: r.URL("/v1/Configuration/Webhooks")}
}

type serviceWebhookConfigurationView struct {
	AccountSID     string   `json:"account_sid"`
	ChatServiceSID string   `json:"chat_service_sid"`
	PreWebhookURL  *string  `json:"pre_webhook_url"`
	PostWebhookURL *string  `json:"post_webhook_url"`
	Filters        []string `json:"filters"`
	Method         *string  `json:"method"`
	URL            string   `json:"url"`
}

func (e *Engine) serviceWebhookConfigurationView(r *twilio.Request, w WebhookConfiguration) serviceWebhookConfigurationView {
	return serviceWebhookConfigurationView{AccountSID: e.env.AccountSID, ChatServiceSID: w.ChatServiceSID,
		PreWebhookURL: twilio.NullString(w.PreWebhookURL), PostWebhookURL: twilio.NullString(w.PostWebhookURL), Filters: w.Filters,
		Method: twilio.NullString(orPOST(w.Method)), URL: r.URL("/v1/Services/" + w.ChatServiceSID + "/Configuration/Webhooks")}
}

type autoCreationView struct {
	Enabled                bool      `json:"enabled"`
	Type                   string    `json:"type,omitempty"`
	ConversationServiceSID string    `json:"conversation_service_sid,omitempty"`
	WebhookURL             *string   `json:"webhook_url,omitempty"`
	WebhookMethod          *string   `json:"webhook_method,omitempty"`
	WebhookFilters         *[]string `json:"webhook_filters,omitempty"`
	StudioFlowSID          *string   `json:"studio_flow_sid,omitempty"`
	StudioRetryCount       *int      `json:"studio_retry_count,omitempty"`
}

type addressView struct {
	AccountSID     string           `json:"account_sid"`
	SID            string           `json:"sid"`
	Address        string           `json:"address"`
	Type           string           `json:"type"`
	FriendlyName   *string          `json:"friendly_name"`
	AddressCountry *string          `json:"address_country"`
	AutoCreation   autoCreationView `json:"auto_creation"`
	DateCreated    string           `json:"date_created"`
	DateUpdated    string           `json:"date_updated"`
	URL            string           `json:"url"`
}

// addressView renders auto_creation with only the keys its type uses.
func (e *Engine) addressView(r *twilio.Request, a *AddressConfiguration) addressView {
	ac := a.AutoCreation
	v := autoCreationView{Enabled: ac.Enabled, Type: ac.Type, ConversationServiceSID: ac.ConversationServiceSID}
	switch ac.Type {
	case "webhook":
		filters := ac.WebhookFilters
		if filters == nil {
			filters = []string{}
		}
		v.WebhookURL, v.WebhookMethod, v.WebhookFilters = &ac.WebhookURL, &ac.WebhookMethod, &filters
	case "studio":
		v.StudioFlowSID, v.StudioRetryCount = &ac.StudioFlowSID, ac.StudioRetryCount
	}
	return addressView{AccountSID: e.env.AccountSID, SID: a.SID, Address: a.Address, Type: a.Type,
		FriendlyName: twilio.NullString(a.FriendlyName), AddressCountry: twilio.NullString(a.AddressCountry), AutoCreation: v,
		DateCreated: twilio.Time(a.DateCreated), DateUpdated: twilio.Time(a.DateUpdated),
		URL: r.URL("/v1/Configuration/Addresses/" + a.SID)}
}

type conversationView struct {
	AccountSID          string            `json:"account_sid"`
	ChatServiceSID      string            `json:"chat_service_sid"`
	MessagingServiceSID string            `json:"messaging_service_sid"`
	SID                 string            `json:"sid"`
	FriendlyName        *string           `json:"friendly_name"`
	UniqueName          *string           `json:"unique_name"`
	Attributes          string            `json:"attributes"`
	State               string            `json:"state"`
	DateCreated         string            `json:"date_created"`
	DateUpdated         string            `json:"date_updated"`
	Timers              map[string]string `json:"timers"`
	URL                 string            `json:"url"`
	Links               map[string]string `json:"links"`
	Bindings            map[string]any    `json:"bindings"`
}

func (e *Engine) conversationView(r *twilio.Request, s scope, c *Conversation) conversationView {
	base := r.URL(s.prefix + "/Conversations/" + c.SID)
	return conversationView{AccountSID: e.env.AccountSID, ChatServiceSID: c.ChatServiceSID,
		MessagingServiceSID: c.MessagingServiceSID, SID: c.SID, FriendlyName: twilio.NullString(c.FriendlyName),
		UniqueName: twilio.NullString(c.UniqueName), Attributes: c.Attributes, State: c.State,
		DateCreated: twilio.Time(c.DateCreated), DateUpdated: twilio.Time(c.DateUpdated),
		Timers: timersView(c.Timers), URL: base, Bindings: map[string]any{},
		Links: map[string]string{"participants": base + "/Participants", "messages": base + "/Messages",
			"webhooks": base + "/Webhooks", "export": base + "/Export"}}
}

// timersView renders the pending timers as absolute dates; {} when none.
func timersView(t Timers) map[string]string {
	v := map[string]string{}
	if !t.DateInactive.IsZero() {
		v["date_inactive"] = twilio.Time(t.DateInactive)
	}
	if !t.DateClosed.IsZero() {
		v["date_closed"] = twilio.Time(t.DateClosed)
	}
	return v
}

type bindingView struct {
	Type             string `json:"type"`
	Address          string `json:"address,omitempty"`
	ProxyAddress     string `json:"proxy_address,omitempty"`
	ProjectedAddress string `json:"projected_address,omitempty"`
}

type participantView struct {
	AccountSID           string       `json:"account_sid"`
	ChatServiceSID       string       `json:"chat_service_sid,omitempty"`
	ConversationSID      string       `json:"conversation_sid"`
	SID                  string       `json:"sid"`
	Identity             *string      `json:"identity"`
	Attributes           string       `json:"attributes"`
	MessagingBinding     *bindingView `json:"messaging_binding"`
	RoleSID              *string      `json:"role_sid"`
	DateCreated          string       `json:"date_created"`
	DateUpdated          string       `json:"date_updated"`
	URL                  string       `json:"url"`
	LastReadMessageIndex *int         `json:"last_read_message_index"`
	LastReadTimestamp    *string      `json:"last_read_timestamp"`
}

func (e *Engine) participantView(r *twilio.Request, s scope, p *Participant) participantView {
	v := participantView{AccountSID: e.env.AccountSID, ChatServiceSID: s.scopedSID(p.ChatServiceSID),
		ConversationSID: p.ConversationSID, SID: p.SID, Identity: twilio.NullString(p.Identity), Attributes: p.Attributes,
		RoleSID: twilio.NullString(p.RoleSID), DateCreated: twilio.Time(p.DateCreated), DateUpdated: twilio.Time(p.DateUpdated),
		URL: r.URL(s.prefix + "/Conversations/" + p.ConversationSID + "/Participants/" + p.SID)}
	if b := p.Binding; b != nil {
		v.MessagingBinding = &bindingView{Type: b.Type, Address: b.Address, ProxyAddress: b.ProxyAddress, ProjectedAddress: b.ProjectedAddress}
	}
	v.LastReadMessageIndex, v.LastReadTimestamp = e.readView(p.SID) // directory.go
	return v
}

type mediaView struct {
	SID         string  `json:"sid"`
	Size        int     `json:"size"`
	ContentType *string `json:"content_type"`
	Filename    *string `json:"filename"`
}

type deliveryView struct {
	Total       int    `json:"total"`
	Sent        string `json:"sent"`
	Delivered   string `json:"delivered"`
	Read        string `json:"read"`
	Failed      string `json:"failed"`
	Undelivered string `json:"undelivered"`
}

type messageView struct {
	AccountSID      string            `json:"account_sid"`
	ChatServiceSID  string            `json:"chat_service_sid,omitempty"`
	ConversationSID string            `json:"conversation_sid"`
	SID             string            `json:"sid"`
	Index           int               `json:"index"`
	Author          string            `json:"author"`
	Body            *string           `json:"body"`
	Media           []mediaView       `json:"media"`
	Attributes      string            `json:"attributes"`
	ParticipantSID  *string           `json:"participant_sid"`
	DateCreated     string            `json:"date_created"`
	DateUpdated     string            `json:"date_updated"`
	Delivery        *deliveryView     `json:"delivery"`
	ContentSID      *string           `json:"content_sid"`
	URL             string            `json:"url"`
	Links           map[string]string `json:"links"`
}

func (e *Engine) messageView(r *twilio.Request, s scope, m *Message) messageView {
	base := r.URL(s.prefix + "/Conversations/" + m.ConversationSID + "/Messages/" + m.SID)
	v := messageView{AccountSID: e.env.AccountSID, ChatServiceSID: s.scopedSID(m.ChatServiceSID),
		ConversationSID: m.ConversationSID, SID: m.SID, Index: m.Index, Author: m.Author, Body: twilio.NullString(m.Body),
		Attributes: m.Attributes, ParticipantSID: twilio.NullString(m.ParticipantSID), DateCreated: twilio.Time(m.DateCreated),
		DateUpdated: twilio.Time(m.DateUpdated), ContentSID: twilio.NullString(m.ContentSID), URL: base,
		Links: map[string]string{"delivery_receipts": base + "/Receipts", "channel_metadata": base + "/ChannelMetadata"}}
	for _, sid := range m.MediaSIDs {
		v.Media = append(v.Media, mediaView{SID: sid})
	}
	if d := m.Delivery; d != nil {
		v.Delivery = &deliveryView{Total: d.Total, Sent: d.Sent, Delivered: d.Delivered, Read: d.Read, Failed: d.Failed, Undelivered: d.Undelivered}
	}
	return v
}

type webhookView struct {
	AccountSID      string         `json:"account_sid"`
	ChatServiceSID  string         `json:"chat_service_sid,omitempty"`
	ConversationSID string         `json:"conversation_sid"`
	SID             string         `json:"sid"`
	Target          string         `json:"target"`
	URL             string         `json:"url"`
	Configuration   map[string]any `json:"configuration"`
	DateCreated     string         `json:"date_created"`
	DateUpdated     string         `json:"date_updated"`
}

// webhookView renders configuration the way the spec examples do per target;
// a trigger webhook echoes its keywords under "filters".
func (e *Engine) webhookView(r *twilio.Request, s scope, w *Webhook) webhookView {
	cfg := map[string]any{}
	switch w.Target {
	case "webhook":
		filters := w.Filters
		if filters == nil {
			filters = []string{}
		}
		cfg["url"], cfg["method"], cfg["filters"] = w.URL, w.Method, filters
	case "trigger":
		cfg["url"], cfg["method"], cfg["filters"] = w.URL, w.Method, w.Triggers
	case "studio":
		cfg["flow_sid"] = w.FlowSID
		if w.ReplayAfter != nil {
			cfg["replay_after"] = *w.ReplayAfter
		}
	}
	return webhookView{AccountSID: e.env.AccountSID, ChatServiceSID: s.scopedSID(w.ChatServiceSID),
		ConversationSID: w.ConversationSID, SID: w.SID, Target: w.Target, Configuration: cfg,
		DateCreated: twilio.Time(w.DateCreated), DateUpdated: twilio.Time(w.DateUpdated),
		URL: r.URL(s.prefix + "/Conversations/" + w.ConversationSID + "/Webhooks/" + w.SID)}
}
