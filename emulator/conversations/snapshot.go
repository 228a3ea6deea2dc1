package conversations

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// snapshot is the Conversations engine's state file shape (emulator
// --state). Lists keep creation order; children of a conversation and
// receipts of a message are nested and take their conversation, service and
// message SIDs from their parent. Read states and receipts of removed
// participants and messages are unreachable and not kept. Transient state
// (pending pre-events, Studio re-entry counts, change listeners) is not part
// of it (docs/fidelity.md, "Snapshots: Conversations").
type snapshot struct {
	// Rev is the change feed's revision, kept so revisions stamped after a
	// restore stay above the stored ones.
	Rev           uint64             `json:"rev"`
	Configuration snapConfiguration  `json:"configuration"`
	Webhooks      snapHooks          `json:"webhooks"`
	Services      []snapService      `json:"services"`
	Addresses     []snapAddress      `json:"addresses"`
	Conversations []snapConversation `json:"conversations"`
	// Bindings is the inbound routing table, sorted by address pair. It is
	// stored rather than rebuilt: which participant holds a pair is history
	// (a proxy change in a closed conversation claims it again).
	Bindings []snapRoute `json:"bindings"`
	// Timers are the pending state timers in firing order (deadline, then
	// arming order); their deadlines are the conversations' timer dates.
	Timers      []snapTimer      `json:"timers"`
	Users       []snapUser       `json:"users"`
	Roles       []snapRole       `json:"roles"`
	Credentials []snapCredential `json:"credentials"`
}

type snapConfiguration struct {
	DefaultChatServiceSID      string         `json:"default_chat_service_sid"`
	DefaultMessagingServiceSID string         `json:"default_messaging_service_sid"`
	DefaultInactiveTimer       *time.Duration `json:"default_inactive_timer_ns,omitempty"`
	DefaultClosedTimer         *time.Duration `json:"default_closed_timer_ns,omitempty"`
}

// snapHooks is a global or service webhook configuration.
type snapHooks struct {
	PreWebhookURL  string   `json:"pre_webhook_url,omitempty"`
	PostWebhookURL string   `json:"post_webhook_url,omitempty"`
	Method         string   `json:"method,omitempty"`
	Filters        []string `json:"filters"`
	Target         string   `json:"target,omitempty"`
}

type snapService struct {
	SID                               string    `json:"sid"`
	FriendlyName                      string    `json:"friendly_name"`
	DateCreated                       time.Time `json:"date_created"`
	DateUpdated                       time.Time `json:"date_updated"`
	DefaultConversationRoleSID        string    `json:"default_conversation_role_sid"`
	DefaultConversationCreatorRoleSID string    `json:"default_conversation_creator_role_sid"`
	DefaultChatServiceRoleSID         string    `json:"default_chat_service_role_sid"`
	ReachabilityEnabled               bool      `json:"reachability_enabled,omitempty"`
	// Notifications and Webhooks are absent until first set.
	Notifications *snapNotifications `json:"notifications,omitempty"`
	Webhooks      *snapHooks         `json:"webhooks,omitempty"`
}

type snapNotifications struct {
	LogEnabled              bool                    `json:"log_enabled"`
	NewMessage              snapNotificationSetting `json:"new_message"`
	AddedToConversation     snapNotificationSetting `json:"added_to_conversation"`
	RemovedFromConversation snapNotificationSetting `json:"removed_from_conversation"`
}

type snapNotificationSetting struct {
	Enabled           bool   `json:"enabled"`
	Template          string `json:"template,omitempty"`
	Sound             string `json:"sound,omitempty"`
	BadgeCountEnabled bool   `json:"badge_count_enabled,omitempty"`
	WithMediaEnabled  bool   `json:"with_media_enabled,omitempty"`
	WithMediaTemplate string `json:"with_media_template,omitempty"`
}

type snapAddress struct {
	SID            string           `json:"sid"`
	Type           string           `json:"type"`
	Address        string           `json:"address"`
	FriendlyName   string           `json:"friendly_name,omitempty"`
	AddressCountry string           `json:"address_country,omitempty"`
	AutoCreation   snapAutoCreation `json:"auto_creation"`
	DateCreated    time.Time        `json:"date_created"`
	DateUpdated    time.Time        `json:"date_updated"`
}

type snapAutoCreation struct {
	Enabled                bool     `json:"enabled"`
	Type                   string   `json:"type,omitempty"`
	ConversationServiceSID string   `json:"conversation_service_sid,omitempty"`
	WebhookURL             string   `json:"webhook_url,omitempty"`
	WebhookMethod          string   `json:"webhook_method,omitempty"`
	WebhookFilters         []string `json:"webhook_filters"`
	StudioFlowSID          string   `json:"studio_flow_sid,omitempty"`
	StudioRetryCount       *int     `json:"studio_retry_count,omitempty"`
}

type snapConversation struct {
	SID                 string            `json:"sid"`
	ChatServiceSID      string            `json:"chat_service_sid"`
	MessagingServiceSID string            `json:"messaging_service_sid"`
	FriendlyName        string            `json:"friendly_name,omitempty"`
	UniqueName          string            `json:"unique_name,omitempty"`
	Attributes          string            `json:"attributes"`
	State               string            `json:"state"`
	Timers              snapConvTimers    `json:"timers"`
	DateCreated         time.Time         `json:"date_created"`
	DateUpdated         time.Time         `json:"date_updated"`
	Rev                 uint64            `json:"rev"`
	NextIndex           int               `json:"next_index"`
	Participants        []snapParticipant `json:"participants"`
	Messages            []snapMessage     `json:"messages"`
	Webhooks            []snapWebhook     `json:"webhooks"`
}

// snapConvTimers are a conversation's timer settings and, while a timer is
// pending, its absolute virtual deadline.
type snapConvTimers struct {
	Inactive     time.Duration `json:"inactive_ns,omitempty"`
	Closed       time.Duration `json:"closed_ns,omitempty"`
	DateInactive *time.Time    `json:"date_inactive,omitempty"`
	DateClosed   *time.Time    `json:"date_closed,omitempty"`
}

type snapParticipant struct {
	SID         string         `json:"sid"`
	Identity    string         `json:"identity,omitempty"`
	Binding     *snapBinding   `json:"binding,omitempty"`
	Attributes  string         `json:"attributes"`
	RoleSID     string         `json:"role_sid,omitempty"`
	DateCreated time.Time      `json:"date_created"`
	DateUpdated time.Time      `json:"date_updated"`
	Rev         uint64         `json:"rev"`
	Read        *snapReadState `json:"read,omitempty"`
}

type snapBinding struct {
	Type             string `json:"type"`
	Address          string `json:"address,omitempty"`
	ProxyAddress     string `json:"proxy_address,omitempty"`
	ProjectedAddress string `json:"projected_address,omitempty"`
}

type snapReadState struct {
	LastReadMessageIndex *int       `json:"last_read_message_index,omitempty"`
	LastReadTimestamp    *time.Time `json:"last_read_timestamp,omitempty"`
	NotificationLevel    string     `json:"notification_level"`
}

type snapMessage struct {
	SID            string        `json:"sid"`
	Index          int           `json:"index"`
	Author         string        `json:"author"`
	Body           string        `json:"body,omitempty"`
	Attributes     string        `json:"attributes"`
	ParticipantSID string        `json:"participant_sid,omitempty"`
	MediaSIDs      []string      `json:"media_sids"`
	ContentSID     string        `json:"content_sid,omitempty"`
	Delivery       *snapDelivery `json:"delivery,omitempty"`
	DateCreated    time.Time     `json:"date_created"`
	DateUpdated    time.Time     `json:"date_updated"`
	FromStudio     bool          `json:"from_studio,omitempty"`
	Rev            uint64        `json:"rev"`
	Receipts       []snapReceipt `json:"receipts,omitempty"`
}

type snapDelivery struct {
	Total       int    `json:"total"`
	Sent        string `json:"sent"`
	Delivered   string `json:"delivered"`
	Read        string `json:"read"`
	Failed      string `json:"failed"`
	Undelivered string `json:"undelivered"`
}

type snapReceipt struct {
	SID               string    `json:"sid"`
	ParticipantSID    string    `json:"participant_sid"`
	ChannelMessageSID string    `json:"channel_message_sid"`
	Status            string    `json:"status"`
	ErrorCode         *int      `json:"error_code,omitempty"`
	DateCreated       time.Time `json:"date_created"`
	DateUpdated       time.Time `json:"date_updated"`
}

type snapWebhook struct {
	SID         string    `json:"sid"`
	Target      string    `json:"target"`
	URL         string    `json:"url,omitempty"`
	Method      string    `json:"method,omitempty"`
	Filters     []string  `json:"filters"`
	Triggers    []string  `json:"triggers"`
	FlowSID     string    `json:"flow_sid,omitempty"`
	ReplayAfter *int      `json:"replay_after,omitempty"`
	DateCreated time.Time `json:"date_created"`
	DateUpdated time.Time `json:"date_updated"`
}

// snapRoute is one entry of the inbound routing table.
type snapRoute struct {
	Address         string `json:"address"`
	ProxyAddress    string `json:"proxy_address"`
	ConversationSID string `json:"conversation_sid"`
	ParticipantSID  string `json:"participant_sid"`
}

// snapTimer names one pending state timer: the conversation and the state
// it moves the conversation to (inactive or closed).
type snapTimer struct {
	ConversationSID string `json:"conversation_sid"`
	State           string `json:"state"`
}

type snapUser struct {
	SID            string    `json:"sid"`
	ChatServiceSID string    `json:"chat_service_sid"`
	RoleSID        string    `json:"role_sid,omitempty"`
	Identity       string    `json:"identity"`
	FriendlyName   string    `json:"friendly_name,omitempty"`
	Attributes     string    `json:"attributes"`
	DateCreated    time.Time `json:"date_created"`
	DateUpdated    time.Time `json:"date_updated"`
	Rev            uint64    `json:"rev"`
}

type snapRole struct {
	SID            string    `json:"sid"`
	ChatServiceSID string    `json:"chat_service_sid"`
	FriendlyName   string    `json:"friendly_name"`
	Type           string    `json:"type"`
	Permissions    []string  `json:"permissions"`
	DateCreated    time.Time `json:"date_created"`
	DateUpdated    time.Time `json:"date_updated"`
}

// snapCredential keeps only whether each secret was given, as the engine does.
type snapCredential struct {
	SID            string    `json:"sid"`
	FriendlyName   string    `json:"friendly_name,omitempty"`
	Type           string    `json:"type"`
	Sandbox        bool      `json:"sandbox,omitempty"`
	DateCreated    time.Time `json:"date_created"`
	DateUpdated    time.Time `json:"date_updated"`
	HasCertificate bool      `json:"has_certificate,omitempty"`
	HasPrivateKey  bool      `json:"has_private_key,omitempty"`
	HasAPIKey      bool      `json:"has_api_key,omitempty"`
	HasSecret      bool      `json:"has_secret,omitempty"`
}

// Snapshot encodes the engine's whole state as JSON, for state snapshots
// (emulator --state). It is called under the account lock.
//
// It first materialises every service's built-in roles, which reads would
// otherwise mint lazily under a fresh SID in each process: after it, the
// roles a client lists are the same before and after a restore.
func (e *Engine) Snapshot() (json.RawMessage, error) {
	for _, s := range e.serviceOrder {
		e.ensureDefaultRoles(s)
	}
	d := e.directory()
	s := snapshot{
		Rev:           e.rev,
		Configuration: snapConfiguration{DefaultChatServiceSID: e.config.DefaultChatServiceSID, DefaultMessagingServiceSID: e.config.DefaultMessagingServiceSID, DefaultInactiveTimer: e.config.DefaultInactiveTimer, DefaultClosedTimer: e.config.DefaultClosedTimer},
		Webhooks:      snapHooksOf(&e.webhooks),
		Services:      make([]snapService, 0, len(e.serviceOrder)),
		Addresses:     make([]snapAddress, 0, len(e.addresses)),
		Conversations: make([]snapConversation, 0, len(e.convOrder)),
		Bindings:      make([]snapRoute, 0, len(e.bindings)),
		Timers:        e.snapTimers(),
		Users:         make([]snapUser, 0, len(d.userOrder)),
		Roles:         make([]snapRole, 0, len(d.roleOrder)),
		Credentials:   make([]snapCredential, 0, len(d.credentialOrder)),
	}
	for _, svc := range e.serviceOrder {
		s.Services = append(s.Services, e.snapService(svc))
	}
	for _, a := range e.addresses {
		ac := a.AutoCreation
		s.Addresses = append(s.Addresses, snapAddress{SID: a.SID, Type: a.Type, Address: a.Address, FriendlyName: a.FriendlyName,
			AddressCountry: a.AddressCountry, DateCreated: a.DateCreated, DateUpdated: a.DateUpdated,
			AutoCreation: snapAutoCreation{Enabled: ac.Enabled, Type: ac.Type, ConversationServiceSID: ac.ConversationServiceSID,
				WebhookURL: ac.WebhookURL, WebhookMethod: ac.WebhookMethod, WebhookFilters: ac.WebhookFilters,
				StudioFlowSID: ac.StudioFlowSID, StudioRetryCount: ac.StudioRetryCount}})
	}
	for _, c := range e.convOrder {
		s.Conversations = append(s.Conversations, e.snapConversation(c))
	}
	for k, ref := range e.bindings {
		s.Bindings = append(s.Bindings, snapRoute{Address: k.address, ProxyAddress: k.proxy, ConversationSID: ref.conversationSID, ParticipantSID: ref.participantSID})
	}
	sort.Slice(s.Bindings, func(i, j int) bool {
		a, b := s.Bindings[i], s.Bindings[j]
		return a.Address < b.Address || (a.Address == b.Address && a.ProxyAddress < b.ProxyAddress)
	})
	for _, u := range d.userOrder {
		s.Users = append(s.Users, snapUser{SID: u.SID, ChatServiceSID: u.ChatServiceSID, RoleSID: u.RoleSID, Identity: u.Identity,
			FriendlyName: u.FriendlyName, Attributes: u.Attributes, DateCreated: u.DateCreated, DateUpdated: u.DateUpdated, Rev: u.Rev})
	}
	for _, r := range d.roleOrder {
		s.Roles = append(s.Roles, snapRole{SID: r.SID, ChatServiceSID: r.ChatServiceSID, FriendlyName: r.FriendlyName, Type: r.Type,
			Permissions: r.Permissions, DateCreated: r.DateCreated, DateUpdated: r.DateUpdated})
	}
	for _, c := range d.credentialOrder {
		s.Credentials = append(s.Credentials, snapCredential{SID: c.SID, FriendlyName: c.FriendlyName, Type: c.Type, Sandbox: c.Sandbox,
			DateCreated: c.DateCreated, DateUpdated: c.DateUpdated, HasCertificate: c.hasCertificate, HasPrivateKey: c.hasPrivateKey,
			HasAPIKey: c.hasAPIKey, HasSecret: c.hasSecret})
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("conversations: snapshot: %w", err)
	}
	return b, nil
}

func snapHooksOf(w *WebhookConfiguration) snapHooks {
	return snapHooks{PreWebhookURL: w.PreWebhookURL, PostWebhookURL: w.PostWebhookURL, Method: w.Method, Filters: w.Filters, Target: w.Target}
}

func (e *Engine) snapService(svc *Service) snapService {
	d := e.directory()
	out := snapService{SID: svc.SID, FriendlyName: svc.FriendlyName, DateCreated: svc.DateCreated, DateUpdated: svc.DateUpdated,
		DefaultConversationRoleSID: svc.DefaultConversationRoleSID, DefaultConversationCreatorRoleSID: svc.DefaultConversationCreatorRoleSID,
		DefaultChatServiceRoleSID: svc.DefaultChatServiceRoleSID, ReachabilityEnabled: d.reachability[svc.SID]}
	if n := d.notifications[svc.SID]; n != nil {
		out.Notifications = &snapNotifications{LogEnabled: n.LogEnabled, NewMessage: snapSetting(n.NewMessage),
			AddedToConversation: snapSetting(n.AddedToConversation), RemovedFromConversation: snapSetting(n.RemovedFromConversation)}
	}
	if w := e.serviceHooks[svc.SID]; w != nil {
		h := snapHooksOf(w)
		out.Webhooks = &h
	}
	return out
}

func snapSetting(n NotificationSetting) snapNotificationSetting {
	return snapNotificationSetting{Enabled: n.Enabled, Template: n.Template, Sound: n.Sound, BadgeCountEnabled: n.BadgeCountEnabled,
		WithMediaEnabled: n.WithMediaEnabled, WithMediaTemplate: n.WithMediaTemplate}
}

func (e *Engine) snapConversation(c *conversation) snapConversation {
	d := e.directory()
	out := snapConversation{SID: c.SID, ChatServiceSID: c.ChatServiceSID, MessagingServiceSID: c.MessagingServiceSID,
		FriendlyName: c.FriendlyName, UniqueName: c.UniqueName, Attributes: c.Attributes, State: c.State,
		Timers:      snapConvTimers{Inactive: c.Timers.Inactive, Closed: c.Timers.Closed, DateInactive: timePtr(c.Timers.DateInactive), DateClosed: timePtr(c.Timers.DateClosed)},
		DateCreated: c.DateCreated, DateUpdated: c.DateUpdated, Rev: c.Rev, NextIndex: c.nextIndex,
		Participants: make([]snapParticipant, 0, len(c.participants)), Messages: make([]snapMessage, 0, len(c.messages)),
		Webhooks: make([]snapWebhook, 0, len(c.webhooks))}
	for _, p := range c.participants {
		sp := snapParticipant{SID: p.SID, Identity: p.Identity, Attributes: p.Attributes, RoleSID: p.RoleSID,
			DateCreated: p.DateCreated, DateUpdated: p.DateUpdated, Rev: p.Rev}
		if b := p.Binding; b != nil {
			sp.Binding = &snapBinding{Type: b.Type, Address: b.Address, ProxyAddress: b.ProxyAddress, ProjectedAddress: b.ProjectedAddress}
		}
		if rs := d.reads[p.SID]; rs != nil {
			sp.Read = &snapReadState{LastReadMessageIndex: rs.LastReadMessageIndex, LastReadTimestamp: rs.LastReadTimestamp, NotificationLevel: rs.NotificationLevel}
		}
		out.Participants = append(out.Participants, sp)
	}
	for _, m := range c.messages {
		sm := snapMessage{SID: m.SID, Index: m.Index, Author: m.Author, Body: m.Body, Attributes: m.Attributes, ParticipantSID: m.ParticipantSID,
			MediaSIDs: m.MediaSIDs, ContentSID: m.ContentSID, DateCreated: m.DateCreated, DateUpdated: m.DateUpdated, FromStudio: m.FromStudio, Rev: m.Rev}
		if dl := m.Delivery; dl != nil {
			sm.Delivery = &snapDelivery{Total: dl.Total, Sent: dl.Sent, Delivered: dl.Delivered, Read: dl.Read, Failed: dl.Failed, Undelivered: dl.Undelivered}
		}
		for _, r := range d.receipts[m.SID] {
			sm.Receipts = append(sm.Receipts, snapReceipt{SID: r.SID, ParticipantSID: r.ParticipantSID, ChannelMessageSID: r.ChannelMessageSID,
				Status: r.Status, ErrorCode: r.ErrorCode, DateCreated: r.DateCreated, DateUpdated: r.DateUpdated})
		}
		out.Messages = append(out.Messages, sm)
	}
	for _, w := range c.webhooks {
		out.Webhooks = append(out.Webhooks, snapWebhook{SID: w.SID, Target: w.Target, URL: w.URL, Method: w.Method, Filters: w.Filters,
			Triggers: w.Triggers, FlowSID: w.FlowSID, ReplayAfter: w.ReplayAfter, DateCreated: w.DateCreated, DateUpdated: w.DateUpdated})
	}
	return out
}

// snapTimers lists the pending state timers in the order the clock fires
// them: by deadline, then by arming order.
func (e *Engine) snapTimers() []snapTimer {
	type pending struct {
		t   snapTimer
		at  time.Time
		seq uint64
	}
	var all []pending
	for _, c := range e.convOrder {
		if c.timers.inactive != nil {
			all = append(all, pending{snapTimer{c.SID, StateInactive}, c.Timers.DateInactive, c.timers.inactiveSeq})
		}
		if c.timers.closed != nil {
			all = append(all, pending{snapTimer{c.SID, StateClosed}, c.Timers.DateClosed, c.timers.closedSeq})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].at.Equal(all[j].at) {
			return all[i].at.Before(all[j].at)
		}
		return all[i].seq < all[j].seq
	})
	out := make([]snapTimer, len(all))
	for i, p := range all {
		out[i] = p.t
	}
	return out
}

// timePtr is nil for the zero time.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
