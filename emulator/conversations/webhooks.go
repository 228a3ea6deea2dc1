package conversations

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Webhook (WH…) is a conversation-scoped webhook: post-events of one
// conversation go to a URL (target webhook), to a URL when a keyword is
// posted (target trigger), or into a Studio flow (target studio).
type Webhook struct {
	SID             string
	ConversationSID string
	ChatServiceSID  string
	Target          string   // webhook, trigger or studio
	URL             string   // webhook, trigger
	Method          string   // webhook, trigger: lower case get/post as Twilio echoes it
	Filters         []string // webhook: post-event names
	Triggers        []string // trigger: keywords
	FlowSID         string   // studio
	ReplayAfter     *int     // studio: replay messages with index >= this on creation
	DateCreated     time.Time
	DateUpdated     time.Time
}

// CreateWebhookParams creates a conversation-scoped webhook.
type CreateWebhookParams struct {
	SID         string // fixtures pin it; empty mints one
	Target      string
	URL         string // Configuration.Url
	Method      string // Configuration.Method, default post
	Filters     []string
	Triggers    []string
	FlowSID     string // Configuration.FlowSid
	ReplayAfter *int   // Configuration.ReplayAfter
}

// UpdateWebhookParams changes a scoped webhook; nil fields stay as they are.
type UpdateWebhookParams struct {
	URL      *string
	Method   *string
	Filters  []string
	Triggers []string
	FlowSID  *string
}

// MaxWebhooksPerConversation is Twilio's limit on scoped webhooks.
const MaxWebhooksPerConversation = 5

// WebhookConfiguration is the account-level /v1/Configuration/Webhooks
// singleton ("global" webhooks), or one service's
// /v1/Services/{IS}/Configuration/Webhooks. A service with a pre or post URL
// configured gets only its own webhooks, the global ones no longer fire for
// it (Twilio: service-scoped webhooks override the global settings).
type WebhookConfiguration struct {
	ChatServiceSID string // "" for the global configuration
	PreWebhookURL  string
	PostWebhookURL string
	Method         string // GET or POST; "" until set (sent as POST)
	Filters        []string
	Target         string // global only: webhook (default) or flex
}

// configured reports whether a service configuration takes over from the
// global one.
func (w *WebhookConfiguration) configured() bool {
	return w != nil && (w.PreWebhookURL != "" || w.PostWebhookURL != "")
}

// UpdateWebhookConfigurationParams changes the global webhook configuration;
// nil fields (and a nil Filters) stay as they are; "" clears a URL.
type UpdateWebhookConfigurationParams struct {
	PreWebhookURL  *string
	PostWebhookURL *string
	Method         *string
	Filters        []string
	Target         *string
}

// globalFilters are the event names the global/service configuration accepts.
var globalFilters = []string{"onMessageAdded", "onMessageUpdated", "onMessageRemoved", "onMessageAdd", "onMessageUpdate",
	"onMessageRemove", "onConversationUpdated", "onConversationRemoved", "onConversationAdd", "onConversationAdded",
	"onConversationRemove", "onConversationUpdate", "onConversationStateUpdated", "onParticipantAdded",
	"onParticipantUpdated", "onParticipantRemoved", "onParticipantAdd", "onParticipantRemove", "onParticipantUpdate",
	"onDeliveryUpdated", "onUserAdded", "onUserUpdate", "onUserUpdated"}

// serviceFilters are the event names a service configuration accepts (the
// spec's list: no user events).
var serviceFilters = []string{"onParticipantAdd", "onParticipantAdded", "onDeliveryUpdated", "onConversationUpdated",
	"onConversationRemove", "onParticipantRemove", "onConversationUpdate", "onMessageAdd", "onMessageRemoved",
	"onParticipantUpdated", "onConversationAdded", "onMessageAdded", "onConversationAdd", "onConversationRemoved",
	"onParticipantUpdate", "onMessageRemove", "onMessageUpdated", "onParticipantRemoved", "onMessageUpdate",
	"onConversationStateUpdated"}

// WebhookConfiguration returns the global webhook configuration.
func (e *Engine) WebhookConfiguration() WebhookConfiguration {
	w := e.webhooks
	w.Filters = cloneStrings(w.Filters)
	if w.Target == "" {
		w.Target = "webhook"
	}
	return w
}

// UpdateWebhookConfiguration changes the global webhook configuration.
func (e *Engine) UpdateWebhookConfiguration(p UpdateWebhookConfigurationParams) (WebhookConfiguration, error) {
	if err := checkWebhookConfiguration(p, globalFilters); err != nil {
		return WebhookConfiguration{}, err
	}
	if p.Target != nil && *p.Target != "webhook" && *p.Target != "flex" {
		return WebhookConfiguration{}, twilio.InvalidParam("Target", "%q is not webhook or flex", *p.Target)
	}
	applyWebhookConfiguration(&e.webhooks, p)
	if p.Target != nil {
		e.webhooks.Target = *p.Target
	}
	e.record("webhook_configuration.updated", "", fmt.Sprintf("global webhooks: pre %q post %q filters %v", e.webhooks.PreWebhookURL, e.webhooks.PostWebhookURL, e.webhooks.Filters),
		map[string]string{"post_webhook_url": e.webhooks.PostWebhookURL, "pre_webhook_url": e.webhooks.PreWebhookURL})
	return e.WebhookConfiguration(), nil
}

// ServiceWebhookConfiguration returns one service's webhook configuration
// (empty until set).
func (e *Engine) ServiceWebhookConfiguration(serviceSID string) (WebhookConfiguration, error) {
	if _, ok := e.services[serviceSID]; !ok {
		return WebhookConfiguration{}, twilio.NotFound("/Services/" + serviceSID)
	}
	w := WebhookConfiguration{ChatServiceSID: serviceSID}
	if c := e.serviceHooks[serviceSID]; c != nil {
		w = *c
		w.Filters = cloneStrings(c.Filters)
	}
	return w, nil
}

// UpdateServiceWebhookConfiguration changes one service's webhook
// configuration; once it has a pre or post URL, the service's conversations
// no longer get the global webhooks. Target is not accepted here.
func (e *Engine) UpdateServiceWebhookConfiguration(serviceSID string, p UpdateWebhookConfigurationParams) (WebhookConfiguration, error) {
	if _, ok := e.services[serviceSID]; !ok {
		return WebhookConfiguration{}, twilio.NotFound("/Services/" + serviceSID)
	}
	if err := checkWebhookConfiguration(p, serviceFilters); err != nil {
		return WebhookConfiguration{}, err
	}
	c := e.serviceHooks[serviceSID]
	if c == nil {
		c = &WebhookConfiguration{ChatServiceSID: serviceSID}
		e.serviceHooks[serviceSID] = c
	}
	applyWebhookConfiguration(c, p)
	e.record("webhook_configuration.updated", serviceSID, fmt.Sprintf("service %s webhooks: pre %q post %q filters %v", serviceSID, c.PreWebhookURL, c.PostWebhookURL, c.Filters),
		map[string]string{"chat_service_sid": serviceSID, "post_webhook_url": c.PostWebhookURL, "pre_webhook_url": c.PreWebhookURL})
	return e.ServiceWebhookConfiguration(serviceSID)
}

// hookConfig is the configuration pre- and post-events of a service's
// conversations go to: the service's own when it has a URL, else the global.
func (e *Engine) hookConfig(serviceSID string) WebhookConfiguration {
	if c := e.serviceHooks[serviceSID]; c.configured() {
		return *c
	}
	return e.webhooks
}

// checkWebhookConfiguration validates URLs, method and filters.
func checkWebhookConfiguration(p UpdateWebhookConfigurationParams, allowed []string) error {
	for _, f := range []struct {
		name string
		url  *string
	}{{"PreWebhookUrl", p.PreWebhookURL}, {"PostWebhookUrl", p.PostWebhookURL}} {
		if f.url != nil && *f.url != "" {
			if err := checkURL(f.name, *f.url); err != nil {
				return err
			}
		}
	}
	if p.Method != nil {
		if m := strings.ToUpper(*p.Method); m != "GET" && m != "POST" {
			return twilio.InvalidParam("Method", "%q is not GET or POST", *p.Method)
		}
	}
	for _, f := range p.Filters {
		if !contains(allowed, f) {
			return twilio.InvalidParam("Filters", "%q is not a Conversations event name", f)
		}
	}
	return nil
}

// applyWebhookConfiguration writes validated parameters into w.
func applyWebhookConfiguration(w *WebhookConfiguration, p UpdateWebhookConfigurationParams) {
	if p.PreWebhookURL != nil {
		w.PreWebhookURL = *p.PreWebhookURL
	}
	if p.PostWebhookURL != nil {
		w.PostWebhookURL = *p.PostWebhookURL
	}
	if p.Method != nil {
		w.Method = strings.ToUpper(*p.Method)
	}
	if p.Filters != nil {
		w.Filters = cloneStrings(p.Filters)
	}
}

// CreateWebhook attaches a scoped webhook to a conversation (at most 5). A
// studio webhook with ReplayAfter replays existing messages into the flow.
func (e *Engine) CreateWebhook(conversationSID string, p CreateWebhookParams) (*Webhook, error) {
	c, err := e.conv(conversationSID)
	if err != nil {
		return nil, err
	}
	w, err := e.newWebhook(c, p)
	if err != nil {
		return nil, err
	}
	e.insertWebhook(c, w)
	if w.ReplayAfter != nil {
		e.replay(c, w, *w.ReplayAfter)
	}
	return w.clone(), nil
}

func (e *Engine) newWebhook(c *conversation, p CreateWebhookParams) (*Webhook, error) {
	if len(c.webhooks) >= MaxWebhooksPerConversation {
		return nil, twilio.BadRequest("Conversation %s already has the maximum of %d webhooks", c.SID, MaxWebhooksPerConversation)
	}
	if p.Target == "" {
		return nil, twilio.MissingParam("Target")
	}
	w := &Webhook{ConversationSID: c.SID, ChatServiceSID: c.ChatServiceSID, Target: strings.ToLower(p.Target)}
	if err := e.configureWebhook(w, UpdateWebhookParams{URL: &p.URL, Method: &p.Method, Filters: p.Filters,
		Triggers: p.Triggers, FlowSID: &p.FlowSID}); err != nil {
		return nil, err
	}
	if p.ReplayAfter != nil {
		if *p.ReplayAfter < 0 {
			return nil, twilio.InvalidParam("Configuration.ReplayAfter", "must not be negative")
		}
		n := *p.ReplayAfter
		w.ReplayAfter = &n
	}
	sid := p.SID
	if sid == "" {
		sid = twilio.NewSID("WH")
	} else if !twilio.IsSID(sid, "WH") {
		return nil, twilio.InvalidParam("Sid", "%q is not a Webhook SID (WH…)", sid)
	} else if findWebhook(c, sid) != nil {
		return nil, twilio.Conflict(twilio.CodeConflict, "Webhook %s already exists", sid)
	}
	w.SID = sid
	now := e.now()
	w.DateCreated, w.DateUpdated = now, now
	return w, nil
}

// configureWebhook applies and validates a configuration on a copy of w,
// writing it back only when valid.
func (e *Engine) configureWebhook(w *Webhook, p UpdateWebhookParams) error {
	n := *w
	if p.URL != nil {
		n.URL = *p.URL
	}
	if p.Method != nil {
		n.Method = strings.ToLower(*p.Method)
	}
	if p.Filters != nil {
		n.Filters = cloneStrings(p.Filters)
	}
	if p.Triggers != nil {
		n.Triggers = cloneStrings(p.Triggers)
	}
	if p.FlowSID != nil {
		n.FlowSID = *p.FlowSID
	}
	switch n.Target {
	case "webhook", "trigger":
		if n.URL == "" {
			return twilio.MissingParam("Configuration.Url")
		}
		if err := checkURL("Configuration.Url", n.URL); err != nil {
			return err
		}
		if n.Method == "" {
			n.Method = "post"
		}
		if n.Method != "get" && n.Method != "post" {
			return twilio.InvalidParam("Configuration.Method", "%q is not GET or POST", n.Method)
		}
		if n.Target == "webhook" {
			for _, f := range n.Filters {
				if !contains(scopedFilters, f) {
					return twilio.InvalidParam("Configuration.Filters", "%q is not one of %s", f, strings.Join(scopedFilters, ", "))
				}
			}
		} else if len(n.Triggers) == 0 {
			return twilio.MissingParam("Configuration.Triggers")
		}
	case "studio":
		if n.FlowSID == "" {
			return twilio.MissingParam("Configuration.FlowSid")
		}
		if !twilio.IsSID(n.FlowSID, "FW") {
			return twilio.InvalidParam("Configuration.FlowSid", "%q is not a Studio Flow SID (FW…)", n.FlowSID)
		}
	default:
		return twilio.InvalidParam("Target", "%q is not one of webhook, trigger, studio", n.Target)
	}
	*w = n
	return nil
}

func (e *Engine) insertWebhook(c *conversation, w *Webhook) {
	c.webhooks = append(c.webhooks, w)
	refs := map[string]string{"conversation_sid": c.SID, "webhook_sid": w.SID, "target": w.Target}
	dest := w.URL
	if w.Target == "studio" {
		refs["flow_sid"] = w.FlowSID
		dest = "flow " + w.FlowSID
	} else {
		refs["url"] = w.URL
	}
	e.record("webhook.created", w.SID, w.Target+" webhook "+w.SID+" on conversation "+c.SID+" → "+dest, refs)
}

// replay sends existing messages from index onwards to a new webhook as
// onMessageAdded, as Twilio's Configuration.ReplayAfter does.
func (e *Engine) replay(c *conversation, w *Webhook, index int) {
	msgs := append([]*Message(nil), c.messages...)
	for _, m := range msgs {
		if m.Index < index {
			continue
		}
		params := messageParams(c, m)
		e.deliver(Origin{Source: SourceAPI, WebhookEnabled: true}, c, evMessageAdded, func() url.Values { return params }, m, []*Webhook{w}, false)
	}
}

// Webhook returns one scoped webhook.
func (e *Engine) Webhook(conversationSID, webhookSID string) (*Webhook, error) {
	c, err := e.conv(conversationSID)
	if err != nil {
		return nil, err
	}
	w := findWebhook(c, webhookSID)
	if w == nil {
		return nil, twilio.NotFound("/Conversations/" + c.SID + "/Webhooks/" + webhookSID)
	}
	return w.clone(), nil
}

// Webhooks lists a conversation's scoped webhooks in creation order.
func (e *Engine) Webhooks(conversationSID string) ([]*Webhook, error) {
	c, err := e.conv(conversationSID)
	if err != nil {
		return nil, err
	}
	out := make([]*Webhook, 0, len(c.webhooks))
	for _, w := range c.webhooks {
		out = append(out, w.clone())
	}
	return out, nil
}

// UpdateWebhook changes a scoped webhook's configuration (not its target).
func (e *Engine) UpdateWebhook(conversationSID, webhookSID string, p UpdateWebhookParams) (*Webhook, error) {
	c, err := e.conv(conversationSID)
	if err != nil {
		return nil, err
	}
	w := findWebhook(c, webhookSID)
	if w == nil {
		return nil, twilio.NotFound("/Conversations/" + c.SID + "/Webhooks/" + webhookSID)
	}
	if err := e.configureWebhook(w, p); err != nil {
		return nil, err
	}
	w.DateUpdated = e.now()
	e.record("webhook.updated", w.SID, fmt.Sprintf("%s webhook %s on conversation %s updated", w.Target, w.SID, c.SID),
		map[string]string{"conversation_sid": c.SID, "webhook_sid": w.SID})
	return w.clone(), nil
}

// DeleteWebhook detaches a scoped webhook; Studio calls it on hand-off to Flex.
func (e *Engine) DeleteWebhook(conversationSID, webhookSID string) error {
	c, err := e.conv(conversationSID)
	if err != nil {
		return err
	}
	w := findWebhook(c, webhookSID)
	if w == nil {
		return twilio.NotFound("/Conversations/" + c.SID + "/Webhooks/" + webhookSID)
	}
	for i, x := range c.webhooks {
		if x == w {
			c.webhooks = append(c.webhooks[:i:i], c.webhooks[i+1:]...)
			if len(c.webhooks) == 0 {
				// c.webhooks[:0:0] still points at the old array, which would
				// keep the deleted webhook alive for the conversation's life.
				c.webhooks = nil
			}
			break
		}
	}
	e.record("webhook.deleted", w.SID, w.Target+" webhook "+w.SID+" removed from conversation "+c.SID,
		map[string]string{"conversation_sid": c.SID, "webhook_sid": w.SID, "target": w.Target})
	return nil
}

func findWebhook(c *conversation, sid string) *Webhook {
	for _, w := range c.webhooks {
		if w.SID == sid {
			return w
		}
	}
	return nil
}

func (w *Webhook) clone() *Webhook {
	c := *w
	c.Filters = cloneStrings(w.Filters)
	c.Triggers = cloneStrings(w.Triggers)
	if w.ReplayAfter != nil {
		n := *w.ReplayAfter
		c.ReplayAfter = &n
	}
	return &c
}
