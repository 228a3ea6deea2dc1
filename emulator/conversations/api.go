package conversations

import (
	"net/http"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Product is where the Conversations API is served.
var Product = twilio.Product{Prefix: "conversations", Host: "conversations.twilio.com"}

// Page size limits from the OpenAPI spec.
const (
	maxPageSize         = 100 // conversations, messages, participants, services
	maxAddressPageSize  = 50
	maxWebhooksPageSize = 5
)

// Routes is the Conversations v1 route table. Conversation endpoints are
// served twice: on the default service (/v1/Conversations…) and on any
// service (/v1/Services/{ChatServiceSid}/Conversations…), by the same handlers.
func Routes() []twilio.Route[*Engine] {
	routes := []twilio.Route[*Engine]{
		{Method: "GET", Path: "/v1/Configuration", Handle: fetchConfiguration},
		{Method: "POST", Path: "/v1/Configuration", Handle: updateConfiguration},
		{Method: "GET", Path: "/v1/Configuration/Webhooks", Handle: fetchWebhookConfiguration},
		{Method: "POST", Path: "/v1/Configuration/Webhooks", Handle: updateWebhookConfiguration},
		{Method: "GET", Path: "/v1/Configuration/Addresses", Handle: listAddresses},
		{Method: "POST", Path: "/v1/Configuration/Addresses", Status: http.StatusCreated, Handle: createAddress},
		{Method: "GET", Path: "/v1/Configuration/Addresses/{Sid}", Handle: fetchAddress},
		{Method: "POST", Path: "/v1/Configuration/Addresses/{Sid}", Handle: updateAddress},
		{Method: "DELETE", Path: "/v1/Configuration/Addresses/{Sid}", Status: http.StatusNoContent, Handle: deleteAddress},
		{Method: "GET", Path: "/v1/Services", Handle: listServices},
		{Method: "POST", Path: "/v1/Services", Status: http.StatusCreated, Handle: createService},
		{Method: "GET", Path: "/v1/Services/{Sid}", Handle: fetchService},
		{Method: "GET", Path: "/v1/Services/{ChatServiceSid}/Configuration/Webhooks", Handle: fetchServiceWebhookConfiguration},
		{Method: "POST", Path: "/v1/Services/{ChatServiceSid}/Configuration/Webhooks", Handle: updateServiceWebhookConfiguration},
	}
	for _, pre := range []string{"/v1", "/v1/Services/{ChatServiceSid}"} {
		conv := pre + "/Conversations/{ConversationSid}"
		routes = append(routes,
			twilio.Route[*Engine]{Method: "GET", Path: pre + "/Conversations", Handle: listConversations},
			twilio.Route[*Engine]{Method: "POST", Path: pre + "/Conversations", Status: http.StatusCreated, Handle: createConversation},
			twilio.Route[*Engine]{Method: "GET", Path: pre + "/Conversations/{Sid}", Handle: fetchConversation},
			twilio.Route[*Engine]{Method: "POST", Path: pre + "/Conversations/{Sid}", Handle: updateConversation},
			twilio.Route[*Engine]{Method: "DELETE", Path: pre + "/Conversations/{Sid}", Status: http.StatusNoContent, Handle: deleteConversation},
			twilio.Route[*Engine]{Method: "GET", Path: conv + "/Participants", Handle: listParticipants},
			twilio.Route[*Engine]{Method: "POST", Path: conv + "/Participants", Status: http.StatusCreated, Handle: createParticipant},
			twilio.Route[*Engine]{Method: "GET", Path: conv + "/Participants/{Sid}", Handle: fetchParticipant},
			twilio.Route[*Engine]{Method: "DELETE", Path: conv + "/Participants/{Sid}", Status: http.StatusNoContent, Handle: deleteParticipant},
			twilio.Route[*Engine]{Method: "GET", Path: conv + "/Messages", Handle: listMessages},
			twilio.Route[*Engine]{Method: "POST", Path: conv + "/Messages", Status: http.StatusCreated, Handle: createMessage},
			twilio.Route[*Engine]{Method: "GET", Path: conv + "/Messages/{Sid}", Handle: fetchMessage},
			twilio.Route[*Engine]{Method: "POST", Path: conv + "/Messages/{Sid}", Handle: updateMessage},
			twilio.Route[*Engine]{Method: "DELETE", Path: conv + "/Messages/{Sid}", Status: http.StatusNoContent, Handle: deleteMessage},
			twilio.Route[*Engine]{Method: "GET", Path: conv + "/Webhooks", Handle: listWebhooks},
			twilio.Route[*Engine]{Method: "POST", Path: conv + "/Webhooks", Status: http.StatusCreated, Handle: createWebhook},
			twilio.Route[*Engine]{Method: "GET", Path: conv + "/Webhooks/{Sid}", Handle: fetchWebhook},
			twilio.Route[*Engine]{Method: "POST", Path: conv + "/Webhooks/{Sid}", Handle: updateWebhook},
			twilio.Route[*Engine]{Method: "DELETE", Path: conv + "/Webhooks/{Sid}", Status: http.StatusNoContent, Handle: deleteWebhook},
		)
	}
	routes = append(routes, directoryRoutes()...) // users, roles, credentials, receipts, … (api_misc.go)
	return routes
}

// origin is a REST caller: webhooks fire only with X-Twilio-Webhook-Enabled: true.
func origin(r *twilio.Request) Origin {
	return Origin{Source: SourceAPI, WebhookEnabled: strings.EqualFold(strings.TrimSpace(r.Header("X-Twilio-Webhook-Enabled")), "true")}
}

// optTime parses an optional ISO-8601 date parameter.
func optTime(r *twilio.Request, name string) (*time.Time, error) {
	v, ok := r.Form.String(name)
	if !ok || v == "" {
		return nil, nil
	}
	t, ok := twilio.ParseTime(v)
	if !ok {
		return nil, twilio.InvalidParam(name, "%q is not an ISO 8601 date", v)
	}
	return &t, nil
}

// createDates reads a create request's optional DateCreated and DateUpdated
// (zero when absent).
func createDates(r *twilio.Request) (created, updated time.Time, err error) {
	c, err := optTime(r, "DateCreated")
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	u, err := optTime(r, "DateUpdated")
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	return timeOrZero(c), timeOrZero(u), nil
}

func timeOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// optStrings returns a repeated parameter, or nil when it was not sent.
func optStrings(r *twilio.Request, name string) []string {
	if !r.Form.Has(name) {
		return nil
	}
	return r.Form.Strings(name)
}

// --- Configuration ---

func fetchConfiguration(e *Engine, r *twilio.Request) (any, error) {
	return e.configurationView(r, e.Configuration()), nil
}

func updateConfiguration(e *Engine, r *twilio.Request) (any, error) {
	p := UpdateConfigurationParams{
		DefaultChatServiceSID:      r.Form.OptString("DefaultChatServiceSid"),
		DefaultMessagingServiceSID: r.Form.OptString("DefaultMessagingServiceSid"),
	}
	var err error
	if p.DefaultInactiveTimer, err = r.Form.Duration("DefaultInactiveTimer", minInactiveTimer, maxTimer); err != nil {
		return nil, err
	}
	if p.DefaultClosedTimer, err = r.Form.Duration("DefaultClosedTimer", minClosedTimer, maxTimer); err != nil {
		return nil, err
	}
	c, err := e.UpdateConfiguration(p)
	if err != nil {
		return nil, err
	}
	return e.configurationView(r, c), nil
}

func fetchWebhookConfiguration(e *Engine, r *twilio.Request) (any, error) {
	return e.webhookConfigurationView(r, e.WebhookConfiguration()), nil
}

func updateWebhookConfiguration(e *Engine, r *twilio.Request) (any, error) {
	w, err := e.UpdateWebhookConfiguration(UpdateWebhookConfigurationParams{
		PreWebhookURL:  r.Form.OptString("PreWebhookUrl"),
		PostWebhookURL: r.Form.OptString("PostWebhookUrl"),
		Method:         r.Form.OptString("Method"),
		Filters:        optStrings(r, "Filters"),
		Target:         r.Form.OptString("Target"),
	})
	if err != nil {
		return nil, err
	}
	return e.webhookConfigurationView(r, w), nil
}

func fetchServiceWebhookConfiguration(e *Engine, r *twilio.Request) (any, error) {
	w, err := e.ServiceWebhookConfiguration(r.Path("ChatServiceSid"))
	if err != nil {
		return nil, err
	}
	return e.serviceWebhookConfigurationView(r, w), nil
}

func updateServiceWebhookConfiguration(e *Engine, r *twilio.Request) (any, error) {
	w, err := e.UpdateServiceWebhookConfiguration(r.Path("ChatServiceSid"), UpdateWebhookConfigurationParams{
		PreWebhookURL:  r.Form.OptString("PreWebhookUrl"),
		PostWebhookURL: r.Form.OptString("PostWebhookUrl"),
		Method:         r.Form.OptString("Method"),
		Filters:        optStrings(r, "Filters"),
	})
	if err != nil {
		return nil, err
	}
	return e.serviceWebhookConfigurationView(r, w), nil
}

// timerParams reads Timers.Inactive and Timers.Closed (ISO-8601 durations).
func timerParams(r *twilio.Request) (TimerParams, error) {
	var p TimerParams
	var err error
	if p.Inactive, err = r.Form.Duration("Timers.Inactive", minInactiveTimer, maxTimer); err != nil {
		return p, err
	}
	p.Closed, err = r.Form.Duration("Timers.Closed", minClosedTimer, maxTimer)
	return p, err
}

// --- Address configurations ---

func autoCreationParams(r *twilio.Request) (AutoCreationParams, error) {
	p := AutoCreationParams{
		Enabled:                r.Form.OptBool("AutoCreation.Enabled"),
		Type:                   r.Form.OptString("AutoCreation.Type"),
		ConversationServiceSID: r.Form.OptString("AutoCreation.ConversationServiceSid"),
		WebhookURL:             r.Form.OptString("AutoCreation.WebhookUrl"),
		WebhookMethod:          r.Form.OptString("AutoCreation.WebhookMethod"),
		WebhookFilters:         optStrings(r, "AutoCreation.WebhookFilters"),
		StudioFlowSID:          r.Form.OptString("AutoCreation.StudioFlowSid"),
	}
	n, err := r.Form.OptInt("AutoCreation.StudioRetryCount", -1<<31, 1<<31-1)
	p.StudioRetryCount = n
	return p, err
}

func listAddresses(e *Engine, r *twilio.Request) (any, error) {
	typ, _ := r.Form.String("Type")
	return twilio.Paginate(r, r.URL("/v1/Configuration/Addresses"), "address_configurations", e.AddressConfigurations(typ),
		func(a *AddressConfiguration) any { return e.addressView(r, a) }, maxAddressPageSize)
}

func createAddress(e *Engine, r *twilio.Request) (any, error) {
	typ, err := r.Form.Required("Type")
	if err != nil {
		return nil, err
	}
	addr, err := r.Form.Required("Address")
	if err != nil {
		return nil, err
	}
	ac, err := autoCreationParams(r)
	if err != nil {
		return nil, err
	}
	name, _ := r.Form.String("FriendlyName")
	country, _ := r.Form.String("AddressCountry")
	a, err := e.CreateAddressConfiguration(CreateAddressConfigurationParams{Type: typ, Address: addr,
		FriendlyName: name, AddressCountry: country, AutoCreation: ac})
	if err != nil {
		return nil, err
	}
	return e.addressView(r, a), nil
}

func fetchAddress(e *Engine, r *twilio.Request) (any, error) {
	a, err := e.AddressConfiguration(r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return e.addressView(r, a), nil
}

func updateAddress(e *Engine, r *twilio.Request) (any, error) {
	ac, err := autoCreationParams(r)
	if err != nil {
		return nil, err
	}
	a, err := e.UpdateAddressConfiguration(r.Path("Sid"), UpdateAddressConfigurationParams{
		FriendlyName: r.Form.OptString("FriendlyName"), AutoCreation: ac})
	if err != nil {
		return nil, err
	}
	return e.addressView(r, a), nil
}

func deleteAddress(e *Engine, r *twilio.Request) (any, error) {
	return nil, e.DeleteAddressConfiguration(r.Path("Sid"))
}

// --- Services ---

func listServices(e *Engine, r *twilio.Request) (any, error) {
	return twilio.Paginate(r, r.URL("/v1/Services"), "services", e.Services(),
		func(s *Service) any { return e.serviceView(r, s) }, maxPageSize)
}

func createService(e *Engine, r *twilio.Request) (any, error) {
	name, err := r.Form.Required("FriendlyName")
	if err != nil {
		return nil, err
	}
	s, err := e.CreateService(CreateServiceParams{FriendlyName: name})
	if err != nil {
		return nil, err
	}
	return e.serviceView(r, s), nil
}

func fetchService(e *Engine, r *twilio.Request) (any, error) {
	s, err := e.Service(r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return e.serviceView(r, s), nil
}
