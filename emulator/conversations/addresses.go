package conversations

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// AddressConfiguration (IG…) tells Conversations what to do with inbound
// messages to one of the account's addresses (a phone number, a WhatsApp
// sender…): with auto-creation enabled, a message from a new customer opens a
// conversation.
type AddressConfiguration struct {
	SID  string
	Type string // as sent: the spec accepts any casing (sms, whatsapp, …)
	// Address is the account's own address, e.g. "+13115552368" or
	// "whatsapp:+13115552368": inbound To is matched against it.
	Address        string
	FriendlyName   string
	AddressCountry string
	AutoCreation   AutoCreation
	DateCreated    time.Time
	DateUpdated    time.Time
}

// AutoCreation is an address configuration's auto_creation block.
type AutoCreation struct {
	Enabled bool
	// Type is webhook, studio or default ("" when never set).
	Type                   string
	ConversationServiceSID string // empty: the default service
	WebhookURL             string
	WebhookMethod          string // upper case, "POST" by default
	WebhookFilters         []string
	StudioFlowSID          string
	StudioRetryCount       *int
}

// AutoCreationParams are the AutoCreation.* form parameters; nil (or a nil
// slice) means "not sent".
type AutoCreationParams struct {
	Enabled                *bool
	Type                   *string
	ConversationServiceSID *string
	WebhookURL             *string
	WebhookMethod          *string
	WebhookFilters         []string
	StudioFlowSID          *string
	StudioRetryCount       *int
}

// CreateAddressConfigurationParams creates an address configuration.
type CreateAddressConfigurationParams struct {
	SID            string // fixtures pin it; empty mints one
	Type           string
	Address        string
	FriendlyName   string
	AddressCountry string
	AutoCreation   AutoCreationParams
}

// UpdateAddressConfigurationParams changes FriendlyName and AutoCreation.*;
// Type, Address and AddressCountry are fixed at creation.
type UpdateAddressConfigurationParams struct {
	FriendlyName *string
	AutoCreation AutoCreationParams
}

// Enumerations from the OpenAPI spec.
var (
	addressTypes      = []string{"sms", "whatsapp", "messenger", "gbm", "email", "rcs", "apple", "chat"}
	autoCreationTypes = []string{"webhook", "studio", "default"}
	// scopedFilters are the post-events a conversation-scoped webhook (and an
	// auto-creation webhook) may subscribe to.
	scopedFilters = []string{"onMessageAdded", "onMessageUpdated", "onMessageRemoved", "onConversationUpdated",
		"onConversationStateUpdated", "onConversationRemoved", "onParticipantAdded", "onParticipantUpdated",
		"onParticipantRemoved", "onDeliveryUpdated"}
)

var (
	countryPattern = regexp.MustCompile(`^[A-Za-z]{2}$`)
)

// maxStudioRetryCount bounds AutoCreation.StudioRetryCount (Twilio's exact
// bound is undocumented).
const maxStudioRetryCount = 10

// CreateAddressConfiguration adds an address configuration; an address can
// have only one.
func (e *Engine) CreateAddressConfiguration(p CreateAddressConfigurationParams) (*AddressConfiguration, error) {
	if p.Type == "" {
		return nil, twilio.MissingParam("Type")
	}
	typ := strings.ToLower(p.Type)
	if !contains(addressTypes, typ) {
		return nil, twilio.InvalidParam("Type", "%q is not one of %s", p.Type, strings.Join(addressTypes, ", "))
	}
	if strings.TrimSpace(p.Address) == "" {
		return nil, twilio.MissingParam("Address")
	}
	if err := validateConfiguredAddress(typ, p.Address); err != nil {
		return nil, err
	}
	if len(p.FriendlyName) > 256 {
		return nil, twilio.InvalidParam("FriendlyName", "must be at most 256 characters")
	}
	if p.AddressCountry != "" && !countryPattern.MatchString(p.AddressCountry) {
		return nil, twilio.InvalidParam("AddressCountry", "%q is not an ISO 3166-1 alpha-2 country code", p.AddressCountry)
	}
	if existing := e.addressByAddress(p.Address); existing != nil {
		return nil, twilio.Conflict(twilio.CodeConflict,
			"An address configuration already exists for address %s (%s); update or delete it instead", p.Address, existing.SID)
	}
	sid := p.SID
	if sid == "" {
		sid = twilio.NewSID("IG")
	} else if !twilio.IsSID(sid, "IG") {
		return nil, twilio.InvalidParam("Sid", "%q is not an address configuration SID (IG…)", sid)
	} else if e.addressBySID(sid) != nil {
		return nil, twilio.Conflict(twilio.CodeConflict, "Address configuration %s already exists", sid)
	}
	ac, err := e.applyAutoCreation(AutoCreation{}, p.AutoCreation)
	if err != nil {
		return nil, err
	}
	now := e.now()
	a := &AddressConfiguration{SID: sid, Type: p.Type, Address: p.Address, FriendlyName: p.FriendlyName,
		AddressCountry: strings.ToUpper(p.AddressCountry), AutoCreation: ac, DateCreated: now, DateUpdated: now}
	e.addresses = append(e.addresses, a)
	e.record("address_configuration.created", sid, fmt.Sprintf("address configuration %s for %s (%s)", sid, a.Address, describeAutoCreation(a.AutoCreation)),
		addressRefs(a))
	return a.clone(), nil
}

// AddressConfiguration fetches a configuration by IG SID or by the address
// itself ("whatsapp:+13115552368").
func (e *Engine) AddressConfiguration(sidOrAddress string) (*AddressConfiguration, error) {
	a, err := e.findAddress(sidOrAddress)
	if err != nil {
		return nil, err
	}
	return a.clone(), nil
}

// AddressConfigurations lists configurations in creation order, optionally
// only those of one type (case-insensitive; "" for all).
func (e *Engine) AddressConfigurations(typ ...string) []*AddressConfiguration {
	out := make([]*AddressConfiguration, 0, len(e.addresses))
	for _, a := range e.addresses {
		if len(typ) > 0 && typ[0] != "" && !strings.EqualFold(a.Type, typ[0]) {
			continue
		}
		out = append(out, a.clone())
	}
	return out
}

// UpdateAddressConfiguration changes a configuration found by SID or address.
// Only the parameters sent change; the result is validated as a whole.
func (e *Engine) UpdateAddressConfiguration(sidOrAddress string, p UpdateAddressConfigurationParams) (*AddressConfiguration, error) {
	a, err := e.findAddress(sidOrAddress)
	if err != nil {
		return nil, err
	}
	if p.FriendlyName != nil && len(*p.FriendlyName) > 256 {
		return nil, twilio.InvalidParam("FriendlyName", "must be at most 256 characters")
	}
	ac, err := e.applyAutoCreation(a.AutoCreation, p.AutoCreation)
	if err != nil {
		return nil, err
	}
	if p.FriendlyName != nil {
		a.FriendlyName = *p.FriendlyName
	}
	a.AutoCreation = ac
	a.DateUpdated = e.now()
	e.record("address_configuration.updated", a.SID, fmt.Sprintf("address configuration %s for %s (%s)", a.SID, a.Address, describeAutoCreation(a.AutoCreation)),
		addressRefs(a))
	return a.clone(), nil
}

// DeleteAddressConfiguration removes a configuration found by SID or address.
// Conversations it created are unaffected.
func (e *Engine) DeleteAddressConfiguration(sidOrAddress string) error {
	a, err := e.findAddress(sidOrAddress)
	if err != nil {
		return err
	}
	for i, x := range e.addresses {
		if x == a {
			e.addresses = append(e.addresses[:i], e.addresses[i+1:]...)
			break
		}
	}
	e.record("address_configuration.deleted", a.SID, fmt.Sprintf("address configuration %s for %s deleted", a.SID, a.Address), addressRefs(a))
	return nil
}

// applyAutoCreation merges sent AutoCreation.* parameters into cur and
// validates the result, returning it without touching the engine.
func (e *Engine) applyAutoCreation(cur AutoCreation, p AutoCreationParams) (AutoCreation, error) {
	ac := cur
	ac.WebhookFilters = cloneStrings(cur.WebhookFilters)
	if p.Enabled != nil {
		ac.Enabled = *p.Enabled
	}
	if p.Type != nil {
		t := strings.ToLower(*p.Type)
		if !contains(autoCreationTypes, t) {
			return AutoCreation{}, twilio.InvalidParam("AutoCreation.Type", "%q is not one of webhook, studio, default", *p.Type)
		}
		ac.Type = t
	}
	if p.ConversationServiceSID != nil {
		s := *p.ConversationServiceSID
		if s != "" {
			if _, ok := e.services[s]; !ok {
				return AutoCreation{}, twilio.InvalidParam("AutoCreation.ConversationServiceSid", "no Conversation Service %s in this account", s)
			}
		}
		ac.ConversationServiceSID = s
	}
	if p.WebhookURL != nil {
		if *p.WebhookURL != "" {
			if err := checkURL("AutoCreation.WebhookUrl", *p.WebhookURL); err != nil {
				return AutoCreation{}, err
			}
		}
		ac.WebhookURL = *p.WebhookURL
	}
	if p.WebhookMethod != nil {
		m := strings.ToUpper(*p.WebhookMethod)
		if m != "GET" && m != "POST" {
			return AutoCreation{}, twilio.InvalidParam("AutoCreation.WebhookMethod", "%q is not GET or POST", *p.WebhookMethod)
		}
		ac.WebhookMethod = m
	}
	if p.WebhookFilters != nil {
		for _, f := range p.WebhookFilters {
			if !contains(scopedFilters, f) {
				return AutoCreation{}, twilio.InvalidParam("AutoCreation.WebhookFilters", "%q is not one of %s", f, strings.Join(scopedFilters, ", "))
			}
		}
		ac.WebhookFilters = cloneStrings(p.WebhookFilters)
	}
	if p.StudioFlowSID != nil {
		if *p.StudioFlowSID != "" && !twilio.IsSID(*p.StudioFlowSID, "FW") {
			return AutoCreation{}, twilio.InvalidParam("AutoCreation.StudioFlowSid", "%q is not a Studio Flow SID (FW…)", *p.StudioFlowSID)
		}
		ac.StudioFlowSID = *p.StudioFlowSID
	}
	if p.StudioRetryCount != nil {
		if n := *p.StudioRetryCount; n < 0 || n > maxStudioRetryCount {
			return AutoCreation{}, twilio.InvalidParam("AutoCreation.StudioRetryCount", "%d is out of range [0, %d]", n, maxStudioRetryCount)
		}
		n := *p.StudioRetryCount
		ac.StudioRetryCount = &n
	}
	if ac.Enabled && ac.Type == "" {
		ac.Type = "default" // lenient: enabling without a type behaves like "default"
	}
	switch ac.Type {
	case "webhook":
		if ac.WebhookURL == "" {
			return AutoCreation{}, twilio.MissingParam("AutoCreation.WebhookUrl")
		}
		if ac.WebhookMethod == "" {
			ac.WebhookMethod = "POST"
		}
	case "studio":
		if ac.StudioFlowSID == "" {
			return AutoCreation{}, twilio.MissingParam("AutoCreation.StudioFlowSid")
		}
	}
	return ac, nil
}

// validateConfiguredAddress checks the address format the type implies.
func validateConfiguredAddress(typ, addr string) error {
	switch typ {
	case "sms":
		if !isE164(addr) && !isShortCode(addr) {
			return twilio.InvalidParam("Address", "%q is not an E.164 phone number (+13115552368) or short code", addr)
		}
	case "whatsapp":
		if !strings.HasPrefix(addr, "whatsapp:") || !isE164(strings.TrimPrefix(addr, "whatsapp:")) {
			return twilio.InvalidParam("Address", "%q is not a WhatsApp address (whatsapp:+13115552368)", addr)
		}
	}
	return nil
}

// checkURL requires an absolute http(s) URL.
func checkURL(param, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return twilio.InvalidParam(param, "%q is not an absolute http(s) URL", s)
	}
	return nil
}

func (e *Engine) findAddress(sidOrAddress string) (*AddressConfiguration, error) {
	if a := e.addressBySID(sidOrAddress); a != nil {
		return a, nil
	}
	if a := e.addressByAddress(sidOrAddress); a != nil {
		return a, nil
	}
	return nil, twilio.NotFound("/Configuration/Addresses/" + sidOrAddress)
}

func (e *Engine) addressBySID(sid string) *AddressConfiguration {
	for _, a := range e.addresses {
		if a.SID == sid {
			return a
		}
	}
	return nil
}

func (e *Engine) addressByAddress(addr string) *AddressConfiguration {
	for _, a := range e.addresses {
		if a.Address == addr {
			return a
		}
	}
	return nil
}

func (a *AddressConfiguration) clone() *AddressConfiguration {
	c := *a
	c.AutoCreation.WebhookFilters = cloneStrings(a.AutoCreation.WebhookFilters)
	if a.AutoCreation.StudioRetryCount != nil {
		n := *a.AutoCreation.StudioRetryCount
		c.AutoCreation.StudioRetryCount = &n
	}
	return &c
}

func describeAutoCreation(ac AutoCreation) string {
	if !ac.Enabled {
		return "auto-creation disabled"
	}
	switch ac.Type {
	case "webhook":
		return "auto-creation via webhook " + ac.WebhookURL
	case "studio":
		return "auto-creation into Studio flow " + ac.StudioFlowSID
	}
	return "auto-creation enabled"
}

func addressRefs(a *AddressConfiguration) map[string]string {
	refs := map[string]string{"address": a.Address, "type": a.Type}
	if a.FriendlyName != "" {
		refs["friendly_name"] = a.FriendlyName
	}
	if a.AutoCreation.StudioFlowSID != "" {
		refs["flow_sid"] = a.AutoCreation.StudioFlowSID
	}
	if a.AutoCreation.ConversationServiceSID != "" {
		refs["chat_service_sid"] = a.AutoCreation.ConversationServiceSID
	}
	return refs
}

// isE164 reports whether s is an E.164 number: "+", a non-zero digit and up
// to 14 more digits (^\+[1-9][0-9]{1,14}$).
func isE164(s string) bool {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	return allDigits(s[1:])
}

// isShortCode reports whether s is a short code: 3 to 8 digits.
func isShortCode(s string) bool { return len(s) >= 3 && len(s) <= 8 && allDigits(s) }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
