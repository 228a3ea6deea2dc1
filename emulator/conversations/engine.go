// Package conversations emulates Twilio Conversations for one account:
// services, address configurations, conversations, participants, messages,
// conversation-scoped webhooks, inbound SMS/WhatsApp routing with
// auto-creation, pre-events that block or modify channel and SDK actions
// (pending.go), post-event webhooks, and state timers on the account clock.
//
// The Engine is plain Go and not safe for concurrent use: the account holds
// one mutex around every call (see package env). api.go is the only file that
// knows about HTTP.
package conversations

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/env"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// product labels timeline entries and webhook deliveries.
const product = "conversations"

// DefaultServiceName is the friendly name of the Conversation Service every
// account starts with; Flex accounts call their default service this.
const DefaultServiceName = "Flex Chat Service"

// Conversation states.
const (
	StateActive   = "active"
	StateInactive = "inactive"
	StateClosed   = "closed"
)

// Sources name where an action came from; they decide whether post-event
// webhooks fire and are sent as the webhook's Source parameter.
const (
	SourceAPI = "API" // REST: webhooks fire only with X-Twilio-Webhook-Enabled: true
	SourceSDK = "SDK" // a Conversations SDK client: webhooks always fire
)

// Origin says who performed an action. Inbound channel messages carry the
// channel as Source ("SMS", "WHATSAPP"); REST calls carry "API" and
// WebhookEnabled from the X-Twilio-Webhook-Enabled header; SDK actions
// carry "SDK" and the acting user's identity. An empty Source means "API".
// Channel and SDK actions are subject to pre-events (see Pending).
type Origin struct {
	Source         string
	WebhookEnabled bool
	// ClientIdentity is the SDK user acting (sent as ClientIdentity).
	ClientIdentity string
}

func (o Origin) source() string {
	if o.Source == "" {
		return SourceAPI
	}
	return o.Source
}

// inbound reports a message arriving from a messaging channel (SMS, WHATSAPP…).
func (o Origin) inbound() bool { s := o.source(); return s != SourceAPI && s != SourceSDK }

// firesWebhooks applies Twilio's rule: REST-originated actions trigger
// post-event webhooks only when asked to; SDK and channel actions always do.
func (o Origin) firesWebhooks() bool { return o.source() != SourceAPI || o.WebhookEnabled }

// firesPreEvents: only SDK and channel actions wait for a pre-event verdict;
// REST callers are not subject to pre-events (even with webhooks enabled).
func (o Origin) firesPreEvents() bool { return o.source() != SourceAPI }

// StudioHandler runs Studio flows for conversation-scoped webhooks with
// target "studio". The account wires it to the Studio engine, in process.
type StudioHandler interface {
	ConversationMessageAdded(flowSID, webhookSID string, ev MessageAdded)
}

// MessageAdded is what a Studio flow's Conversations trigger receives: the
// onMessageAdded payload plus the conversation's attributes and customer
// binding (trigger.conversation.* in Liquid).
type MessageAdded struct {
	AccountSID, ChatServiceSID, ConversationSID, MessageSID, MessagingServiceSID, ParticipantSID string
	Author, Body, Attributes, Source                                                             string
	Index                                                                                        int
	DateCreated                                                                                  time.Time
	ConversationAttributes                                                                       map[string]any
	ChannelType, CustomerAddress, ProxyAddress                                                   string
}

// Engine is one account's Conversations state.
type Engine struct {
	env env.Env

	config   Configuration
	webhooks WebhookConfiguration
	// serviceHooks are per-service webhook configurations; a service with a
	// pre or post URL set gets only these, not the global ones.
	serviceHooks map[string]*WebhookConfiguration

	services     map[string]*Service
	serviceOrder []*Service

	addresses []*AddressConfiguration // creation order

	conversations map[string]*conversation
	convOrder     []*conversation // creation order
	// bindings maps an address/proxy pair to the participant holding it in a
	// non-closed conversation: the inbound routing table.
	bindings map[bindingKey]bindingRef

	studio StudioHandler
	// studioRunning counts StudioHandler calls in progress per conversation,
	// so messages a flow posts while it runs do not re-enter Studio.
	studioRunning map[string]int

	dir *directory // users, roles, credentials, receipts, read state (directory.go)

	// timerSeq counts state timers armed, to order timers due at the same
	// instant (timers.go).
	timerSeq uint64

	rev             uint64         // latest revision (changes.go)
	changeListeners []func(Change) // the change feed (changes.go)
}

// New returns the engine for an account, with the account's default
// Conversation Service and default Messaging Service SID already in place.
func New(e env.Env) *Engine {
	eng := &Engine{
		env:           e,
		services:      map[string]*Service{},
		conversations: map[string]*conversation{},
		bindings:      map[bindingKey]bindingRef{},
		studioRunning: map[string]int{},
		serviceHooks:  map[string]*WebhookConfiguration{},
	}
	svc, _ := eng.CreateService(CreateServiceParams{FriendlyName: DefaultServiceName}) // cannot fail: name is set
	eng.config = Configuration{DefaultChatServiceSID: svc.SID, DefaultMessagingServiceSID: twilio.NewSID("MG")}
	return eng
}

// SetStudioHandler installs the in-process Studio runner for target-studio
// webhooks; nil disables Studio delivery.
func (e *Engine) SetStudioHandler(h StudioHandler) { e.studio = h }

// record appends a state entry to the account timeline.
func (e *Engine) record(typ, sid, summary string, refs map[string]string) {
	e.env.Record(product, typ, sid, summary, refs)
}

// now is the account clock in UTC; REST views render it to the second,
// webhooks to the millisecond.
func (e *Engine) now() time.Time { return e.env.Now().UTC() }

// Size limits Twilio documents for Conversations (the Conversations Limits
// page; docs/fidelity.md, "Limits"). Over-size Attributes of a conversation
// get Chat's 50303 "Attributes too long" (documented for a Channel, which a
// Conversation is); Twilio documents no code for the other resources, so
// theirs are 20001. Bodies get Chat's 50504 "Message body parameter is too long".
const (
	CodeAttributesTooLong = 50303
	CodeBodyTooLong       = 50504
	// maxBodyBytes is the Body limit of any message: 32 KB, the inbound and
	// Chat limit.
	maxBodyBytes = 32 << 10
	// maxSMSBodyChars is the Body limit of a message delivered to SMS or
	// WhatsApp participants.
	maxSMSBodyChars = 1600
)

// attrLimit is the size bound of one resource's Attributes.
type attrLimit struct{ bytes, code int }

var (
	conversationAttrs = attrLimit{16 << 10, CodeAttributesTooLong}
	userAttrs         = attrLimit{16 << 10, twilio.CodeInvalidParameter}
	participantAttrs  = attrLimit{4 << 10, twilio.CodeInvalidParameter}
	messageAttrs      = attrLimit{4 << 10, twilio.CodeInvalidParameter}
)

// normaliseAttributes checks that an Attributes parameter holds JSON within
// lim and returns it as sent, or "{}" when empty, as Twilio stores attributes.
func normaliseAttributes(param, s string, lim attrLimit) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "{}", nil
	}
	if len(s) > lim.bytes {
		return "", twilio.TooLarge(lim.code, param, len(s), lim.bytes, "bytes")
	}
	if err := twilio.CheckJSON(param, s, 0); err != nil {
		return "", err
	}
	if !json.Valid([]byte(s)) {
		return "", twilio.InvalidParam(param, "must be valid JSON")
	}
	return s, nil
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
