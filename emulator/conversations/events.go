package conversations

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/webhook"
)

// Post-event names (Twilio's EventType values).
const (
	evConversationAdded        = "onConversationAdded"
	evConversationUpdated      = "onConversationUpdated"
	evConversationRemoved      = "onConversationRemoved"
	evConversationStateUpdated = "onConversationStateUpdated"
	evParticipantAdded         = "onParticipantAdded"
	evParticipantRemoved       = "onParticipantRemoved"
	evMessageAdded             = "onMessageAdded"
	evMessageUpdated           = "onMessageUpdated"
	evMessageRemoved           = "onMessageRemoved"
	evUserAdded                = "onUserAdded"
	evUserUpdated              = "onUserUpdated"
)

// Pre-event names: sent to the pre_webhook_url before a channel or SDK
// action commits; the answer may block or modify the action.
const (
	evConversationAdd    = "onConversationAdd"
	evConversationUpdate = "onConversationUpdate"
	evMessageAdd         = "onMessageAdd"
	evParticipantAdd     = "onParticipantAdd"
	evUserUpdate         = "onUserUpdate"
)

// webhookTime formats dates in webhook payloads: ISO 8601 UTC with
// milliseconds, as Twilio's Conversations webhooks carry them.
func webhookTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// emit fires a post-event for an action on c, if the origin allows it: to
// the service's (else the global) post-webhook when filtered in, then to
// each scoped webhook of c in creation order, then (onMessageAdded only)
// into Studio. HTTP deliveries are retried in the background on failure.
func (e *Engine) emit(o Origin, c *conversation, event string, params url.Values, m *Message) {
	e.emitf(o, c, event, func() url.Values { return params }, m)
}

// emitf is emit with the event's parameters built by params, called (before
// any Studio handler runs) only when a webhook delivers the event.
func (e *Engine) emitf(o Origin, c *conversation, event string, params func() url.Values, m *Message) {
	if !o.firesWebhooks() {
		return
	}
	e.deliver(o, c, event, params, m, append([]*Webhook(nil), c.webhooks...), true)
}

// deliver sends one event to hooks (a snapshot taken before any Studio call)
// and, when global is set, to the global post-webhook first. params builds
// the event's parameters; it is called at most once, and only when an HTTP
// delivery needs them.
//
// Studio handlers run last, after every HTTP delivery for this event is
// queued, so webhook receivers see events in action order even when the flow
// re-enters the engine. A handler may delete webhooks or add messages: each
// studio webhook is re-checked before its call, and messages added to c while
// a handler for c runs (or marked FromStudio) do not start Studio again.
func (e *Engine) deliver(o Origin, c *conversation, event string, params func() url.Values, m *Message, hooks []*Webhook, global bool) {
	var base url.Values
	var refs map[string]string
	payload := func() {
		if base != nil {
			return
		}
		base = e.eventParams(o, c.ChatServiceSID, event, params())
		refs = map[string]string{"conversation_sid": c.SID}
		for _, k := range []string{"MessageSid", "ParticipantSid"} {
			if v := base.Get(k); v != "" {
				refs[strings.ToLower(k[:len(k)-3])+"_sid"] = v
			}
		}
	}
	if global {
		if wc := e.hookConfig(c.ChatServiceSID); wc.PostWebhookURL != "" && contains(wc.Filters, event) {
			payload()
			e.postGlobal(c.ChatServiceSID, event, base, refs)
		}
	}
	var studio []*Webhook
	for _, w := range hooks {
		switch w.Target {
		case "webhook":
			if !contains(w.Filters, event) {
				continue
			}
		case "trigger":
			if event != evMessageAdded || m == nil || !matchesTrigger(m.Body, w.Triggers) {
				continue
			}
		case "studio":
			if event == evMessageAdded && m != nil {
				studio = append(studio, w)
			}
			continue
		}
		payload()
		p := e.scopedParams(base, c, w, m)
		r := map[string]string{"webhook_sid": w.SID}
		for k, v := range refs {
			r[k] = v
		}
		e.env.Webhooks.Send(webhook.Request{URL: w.URL, Method: orPOST(w.Method), Params: p,
			Product: product, Event: event, Refs: r, Retry: true, RetryCountParam: "RetryCount"})
	}
	if len(studio) == 0 || e.studio == nil || m.FromStudio || e.studioRunning[c.SID] > 0 {
		return
	}
	ev := e.messageAdded(c, m, o)
	for _, w := range studio {
		if e.conversations[c.SID] != c || findWebhook(c, w.SID) == nil {
			continue // a previous handler removed the webhook or the conversation
		}
		e.record("studio.triggered", w.SID, "onMessageAdded #"+strconv.Itoa(m.Index)+" of conversation "+c.SID+" → Studio flow "+w.FlowSID,
			map[string]string{"conversation_sid": c.SID, "message_sid": m.SID, "webhook_sid": w.SID, "flow_sid": w.FlowSID})
		e.studioRunning[c.SID]++
		e.studio.ConversationMessageAdded(w.FlowSID, w.SID, ev)
		e.studioRunning[c.SID]--
		if e.studioRunning[c.SID] == 0 {
			delete(e.studioRunning, c.SID)
		}
	}
}

// emitService fires a post-event of a service-level resource (a user) that
// belongs to no conversation: only the service's (else the global)
// post-webhook receives it, when the origin allows it and it is filtered in.
func (e *Engine) emitService(o Origin, serviceSID, event string, params url.Values, refs map[string]string) {
	if !o.firesWebhooks() {
		return
	}
	r := map[string]string{"chat_service_sid": serviceSID}
	for k, v := range refs {
		if v != "" {
			r[k] = v
		}
	}
	e.postGlobal(serviceSID, event, e.eventParams(o, serviceSID, event, params), r)
}

// postGlobal sends a built event to the service's (else the global)
// post-webhook if one is set and its filters include the event.
func (e *Engine) postGlobal(serviceSID, event string, params url.Values, refs map[string]string) {
	wc := e.hookConfig(serviceSID)
	if wc.PostWebhookURL == "" || !contains(wc.Filters, event) {
		return
	}
	e.env.Webhooks.Send(webhook.Request{URL: wc.PostWebhookURL, Method: orPOST(wc.Method), Params: params,
		Product: product, Event: event, Refs: refs, Retry: true})
}

// eventParams is params plus what every Conversations webhook carries:
// AccountSid, EventType, ChatServiceSid, Source, and ClientIdentity for SDK
// actions.
func (e *Engine) eventParams(o Origin, serviceSID, event string, params url.Values) url.Values {
	base := url.Values{}
	for k, v := range params {
		base[k] = v
	}
	base.Set("AccountSid", e.env.AccountSID)
	base.Set("EventType", event)
	base.Set("ChatServiceSid", serviceSID)
	base.Set("Source", o.source())
	if o.source() == SourceSDK {
		set(base, "ClientIdentity", o.ClientIdentity)
	}
	return base
}

// preEvent builds the pre-event request for an action in a service, or nil
// when the origin is not subject to pre-events (REST) or no pre-webhook is
// configured for the event. Only the service (else global) configuration
// receives pre-events; scoped webhooks never do.
func (e *Engine) preEvent(o Origin, serviceSID, event string, params url.Values, refs map[string]string) *webhook.Request {
	if !o.firesPreEvents() {
		return nil
	}
	wc := e.hookConfig(serviceSID)
	if wc.PreWebhookURL == "" || !contains(wc.Filters, event) {
		return nil
	}
	r := map[string]string{"chat_service_sid": serviceSID}
	for k, v := range refs {
		if v != "" {
			r[k] = v
		}
	}
	return &webhook.Request{URL: wc.PreWebhookURL, Method: orPOST(wc.Method), Params: e.eventParams(o, serviceSID, event, params),
		Product: product, Event: event, Refs: r}
}

// scopedParams adds what a conversation-scoped webhook carries on top of the
// event: WebhookSid, WebhookType, RetryCount, and the Programmable Chat-era
// names Flex backends read (InstanceSid, ChannelSid, ChannelAttributes, and
// for messages From and To), as in Twilio's Flex setup guide payload.
func (e *Engine) scopedParams(base url.Values, c *conversation, w *Webhook, m *Message) url.Values {
	p := url.Values{}
	for k, v := range base {
		p[k] = v
	}
	p.Set("WebhookSid", w.SID)
	p.Set("WebhookType", w.Target)
	p.Set("RetryCount", "0") // the dispatcher sets it per attempt
	p.Set("InstanceSid", c.ChatServiceSID)
	p.Set("ChannelSid", c.SID)
	p.Set("ChannelAttributes", c.Attributes)
	if m != nil {
		p.Set("From", m.Author)
		p.Set("To", c.SID)
	}
	return p
}

func (e *Engine) messageAdded(c *conversation, m *Message, o Origin) MessageAdded {
	ev := MessageAdded{AccountSID: e.env.AccountSID, ChatServiceSID: c.ChatServiceSID, ConversationSID: c.SID,
		MessageSID: m.SID, MessagingServiceSID: c.MessagingServiceSID, ParticipantSID: m.ParticipantSID,
		Author: m.Author, Body: m.Body, Attributes: m.Attributes, Source: o.source(), Index: m.Index,
		DateCreated: m.DateCreated, ConversationAttributes: attributesMap(c.Attributes)}
	if b := customerBinding(c); b != nil {
		ev.ChannelType, ev.CustomerAddress, ev.ProxyAddress = b.Type, b.Address, b.ProxyAddress
	}
	return ev
}

// matchesTrigger reports whether body contains one of the keywords as a
// word, ignoring case and surrounding punctuation.
func matchesTrigger(body string, keywords []string) bool {
	for _, word := range strings.Fields(body) {
		word = strings.TrimFunc(word, func(r rune) bool { return strings.ContainsRune(".,!?;:\"'()", r) })
		for _, k := range keywords {
			if strings.EqualFold(word, k) {
				return true
			}
		}
	}
	return false
}

func orPOST(method string) string {
	if method == "" {
		return "POST"
	}
	return strings.ToUpper(method)
}

// set adds a parameter unless it is empty: Twilio omits null values.
func set(v url.Values, k, val string) {
	if val != "" {
		v.Set(k, val)
	}
}

func conversationParams(c *conversation, updated bool) url.Values {
	v := url.Values{}
	v.Set("ConversationSid", c.SID)
	v.Set("DateCreated", webhookTime(c.DateCreated))
	if updated {
		v.Set("DateUpdated", webhookTime(c.DateUpdated))
	}
	v.Set("State", c.State)
	set(v, "FriendlyName", c.FriendlyName)
	set(v, "UniqueName", c.UniqueName)
	v.Set("Attributes", c.Attributes)
	set(v, "MessagingServiceSid", c.MessagingServiceSID)
	return v
}

func stateParams(c *conversation, from, reason string, at time.Time) url.Values {
	v := url.Values{}
	v.Set("ConversationSid", c.SID)
	v.Set("DateCreated", webhookTime(c.DateCreated))
	v.Set("DateUpdated", webhookTime(c.DateUpdated))
	set(v, "FriendlyName", c.FriendlyName)
	set(v, "UniqueName", c.UniqueName)
	set(v, "MessagingServiceSid", c.MessagingServiceSID)
	v.Set("StateFrom", from)
	v.Set("StateTo", c.State)
	v.Set("Reason", reason)
	v.Set("StateUpdated", webhookTime(at))
	return v
}

func participantParams(p *Participant) url.Values {
	v := url.Values{}
	v.Set("ConversationSid", p.ConversationSID)
	v.Set("ParticipantSid", p.SID)
	v.Set("DateCreated", webhookTime(p.DateCreated))
	set(v, "Identity", p.Identity)
	set(v, "RoleSid", p.RoleSID)
	v.Set("Attributes", p.Attributes)
	if b := p.Binding; b != nil {
		set(v, "MessagingBinding.Type", b.Type)
		set(v, "MessagingBinding.Address", b.Address)
		set(v, "MessagingBinding.ProxyAddress", b.ProxyAddress)
		set(v, "MessagingBinding.ProjectedAddress", b.ProjectedAddress)
	}
	return v
}

func messageParams(c *conversation, m *Message) url.Values {
	v := url.Values{}
	v.Set("ConversationSid", c.SID)
	v.Set("MessageSid", m.SID)
	set(v, "MessagingServiceSid", c.MessagingServiceSID)
	v.Set("Index", strconv.Itoa(m.Index))
	v.Set("DateCreated", webhookTime(m.DateCreated))
	set(v, "Body", m.Body)
	v.Set("Author", m.Author)
	set(v, "ParticipantSid", m.ParticipantSID)
	v.Set("Attributes", m.Attributes)
	if len(m.MediaSIDs) > 0 {
		media := make([]map[string]any, 0, len(m.MediaSIDs))
		for _, s := range m.MediaSIDs {
			media = append(media, map[string]any{"Sid": s})
		}
		b, _ := json.Marshal(media)
		v.Set("Media", string(b))
	}
	return v
}

// userParams is the payload of onUserAdded/onUserUpdated. IsOnline and
// IsNotifiable are sent ("false": no SDK client ever connects to the
// emulator) only while the service's reachability indicators are on, as the
// REST view shows them; otherwise they are null and omitted.
func userParams(u *User, reachable bool) url.Values {
	v := url.Values{}
	v.Set("UserSid", u.SID)
	v.Set("Identity", u.Identity)
	set(v, "FriendlyName", u.FriendlyName)
	v.Set("Attributes", u.Attributes)
	set(v, "RoleSid", u.RoleSID)
	if reachable {
		v.Set("IsOnline", "false")
		v.Set("IsNotifiable", "false")
	}
	v.Set("DateCreated", webhookTime(u.DateCreated))
	v.Set("DateUpdated", webhookTime(u.DateUpdated))
	return v
}
