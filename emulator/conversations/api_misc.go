package conversations

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Page size limits from the OpenAPI spec for the resources in this file.
const (
	maxCredentialsPageSize = 100
	maxBindingsPageSize    = 100
	maxReceiptsPageSize    = 50
)

// directoryRoutes are the routes of users, roles, credentials, receipts,
// participant conversations, ConversationWithParticipants, participant
// update, service deletion and service configuration. Routes appends them.
func directoryRoutes() []twilio.Route[*Engine] {
	routes := []twilio.Route[*Engine]{
		{Method: "DELETE", Path: "/v1/Services/{Sid}", Status: http.StatusNoContent, Handle: deleteService},
		{Method: "GET", Path: "/v1/Services/{ChatServiceSid}/Configuration", Handle: fetchServiceConfiguration},
		{Method: "POST", Path: "/v1/Services/{ChatServiceSid}/Configuration", Handle: updateServiceConfiguration},
		{Method: "GET", Path: "/v1/Services/{ChatServiceSid}/Configuration/Notifications", Handle: fetchNotifications},
		{Method: "POST", Path: "/v1/Services/{ChatServiceSid}/Configuration/Notifications", Handle: updateNotifications},
		{Method: "GET", Path: "/v1/Services/{ChatServiceSid}/Bindings", Handle: listBindings},
		{Method: "GET", Path: "/v1/Services/{ChatServiceSid}/Bindings/{Sid}", Handle: fetchBinding},
		{Method: "DELETE", Path: "/v1/Services/{ChatServiceSid}/Bindings/{Sid}", Status: http.StatusNoContent, Handle: fetchBinding},
		{Method: "GET", Path: "/v1/Credentials", Handle: listCredentials},
		{Method: "POST", Path: "/v1/Credentials", Status: http.StatusCreated, Handle: createCredential},
		{Method: "GET", Path: "/v1/Credentials/{Sid}", Handle: fetchCredential},
		{Method: "POST", Path: "/v1/Credentials/{Sid}", Handle: updateCredential},
		{Method: "DELETE", Path: "/v1/Credentials/{Sid}", Status: http.StatusNoContent, Handle: deleteCredential},
	}
	for _, pre := range []string{"/v1", "/v1/Services/{ChatServiceSid}"} {
		conv := pre + "/Conversations/{ConversationSid}"
		user := pre + "/Users/{UserSid}/Conversations"
		routes = append(routes,
			twilio.Route[*Engine]{Method: "POST", Path: conv + "/Participants/{Sid}", Handle: updateParticipant},
			twilio.Route[*Engine]{Method: "GET", Path: conv + "/Messages/{MessageSid}/Receipts", Handle: listReceipts},
			twilio.Route[*Engine]{Method: "GET", Path: conv + "/Messages/{MessageSid}/Receipts/{Sid}", Handle: fetchReceipt},
			twilio.Route[*Engine]{Method: "POST", Path: pre + "/ConversationWithParticipants", Status: http.StatusCreated, Handle: createConversationWithParticipants},
			twilio.Route[*Engine]{Method: "GET", Path: pre + "/ParticipantConversations", Handle: listParticipantConversations},
			twilio.Route[*Engine]{Method: "GET", Path: pre + "/Users", Handle: listUsers},
			twilio.Route[*Engine]{Method: "POST", Path: pre + "/Users", Status: http.StatusCreated, Handle: createUser},
			twilio.Route[*Engine]{Method: "GET", Path: pre + "/Users/{Sid}", Handle: fetchUser},
			twilio.Route[*Engine]{Method: "POST", Path: pre + "/Users/{Sid}", Handle: updateUser},
			twilio.Route[*Engine]{Method: "DELETE", Path: pre + "/Users/{Sid}", Status: http.StatusNoContent, Handle: deleteUser},
			twilio.Route[*Engine]{Method: "GET", Path: user, Handle: listUserConversations},
			twilio.Route[*Engine]{Method: "GET", Path: user + "/{ConversationSid}", Handle: fetchUserConversation},
			twilio.Route[*Engine]{Method: "POST", Path: user + "/{ConversationSid}", Handle: updateUserConversation},
			twilio.Route[*Engine]{Method: "DELETE", Path: user + "/{ConversationSid}", Status: http.StatusNoContent, Handle: deleteUserConversation},
			twilio.Route[*Engine]{Method: "GET", Path: pre + "/Roles", Handle: listRoles},
			twilio.Route[*Engine]{Method: "POST", Path: pre + "/Roles", Status: http.StatusCreated, Handle: createRole},
			twilio.Route[*Engine]{Method: "GET", Path: pre + "/Roles/{Sid}", Handle: fetchRole},
			twilio.Route[*Engine]{Method: "POST", Path: pre + "/Roles/{Sid}", Handle: updateRole},
			twilio.Route[*Engine]{Method: "DELETE", Path: pre + "/Roles/{Sid}", Status: http.StatusNoContent, Handle: deleteRole},
		)
	}
	return routes
}

// --- Services ---

func deleteService(e *Engine, r *twilio.Request) (any, error) {
	return nil, e.DeleteService(r.Path("Sid"))
}

// --- Bindings (push registrations; the emulator has no SDK clients) ---

func listBindings(e *Engine, r *twilio.Request) (any, error) {
	svc := r.Path("ChatServiceSid")
	if _, err := e.Service(svc); err != nil {
		return nil, err
	}
	for _, t := range optStrings(r, "BindingType") {
		switch t {
		case "apn", "gcm", "fcm", "twilsock":
		default:
			return nil, twilio.InvalidParam("BindingType", "%q is not one of apn, gcm, fcm, twilsock", t)
		}
	}
	return twilio.Paginate(r, r.URL("/v1/Services/"+svc+"/Bindings"), "bindings", []any{},
		func(b any) any { return b }, maxBindingsPageSize)
}

// fetchBinding serves fetch and delete: no push binding ever exists.
func fetchBinding(e *Engine, r *twilio.Request) (any, error) {
	svc := r.Path("ChatServiceSid")
	if _, err := e.Service(svc); err != nil {
		return nil, err
	}
	return nil, twilio.NotFound("/Services/" + svc + "/Bindings/" + r.Path("Sid"))
}

// --- Credentials ---

type credentialView struct {
	SID          string  `json:"sid"`
	AccountSID   string  `json:"account_sid"`
	FriendlyName *string `json:"friendly_name"`
	Type         string  `json:"type"`
	Sandbox      *string `json:"sandbox"`
	DateCreated  string  `json:"date_created"`
	DateUpdated  string  `json:"date_updated"`
	URL          string  `json:"url"`
}

// credentialView never carries secrets; sandbox is the string Twilio
// returns ("True"/"False") for APN credentials and null for the others.
func (e *Engine) credentialView(r *twilio.Request, c *Credential) credentialView {
	v := credentialView{SID: c.SID, AccountSID: e.env.AccountSID, FriendlyName: twilio.NullString(c.FriendlyName), Type: c.Type,
		DateCreated: twilio.Time(c.DateCreated), DateUpdated: twilio.Time(c.DateUpdated), URL: r.URL("/v1/Credentials/" + c.SID)}
	if c.Type == "apn" {
		s := "False"
		if c.Sandbox {
			s = "True"
		}
		v.Sandbox = &s
	}
	return v
}

func listCredentials(e *Engine, r *twilio.Request) (any, error) {
	return twilio.Paginate(r, r.URL("/v1/Credentials"), "credentials", e.Credentials(),
		func(c *Credential) any { return e.credentialView(r, c) }, maxCredentialsPageSize)
}

func createCredential(e *Engine, r *twilio.Request) (any, error) {
	typ, err := r.Form.Required("Type")
	if err != nil {
		return nil, err
	}
	p := CreateCredentialParams{Type: typ, Sandbox: r.Form.OptBool("Sandbox")}
	p.FriendlyName, _ = r.Form.String("FriendlyName")
	p.Certificate, _ = r.Form.String("Certificate")
	p.PrivateKey, _ = r.Form.String("PrivateKey")
	p.APIKey, _ = r.Form.String("ApiKey")
	p.Secret, _ = r.Form.String("Secret")
	c, err := e.CreateCredential(p)
	if err != nil {
		return nil, err
	}
	return e.credentialView(r, c), nil
}

func fetchCredential(e *Engine, r *twilio.Request) (any, error) {
	c, err := e.Credential(r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return e.credentialView(r, c), nil
}

func updateCredential(e *Engine, r *twilio.Request) (any, error) {
	f := r.Form
	c, err := e.UpdateCredential(r.Path("Sid"), UpdateCredentialParams{Type: f.OptString("Type"),
		FriendlyName: f.OptString("FriendlyName"), Certificate: f.OptString("Certificate"),
		PrivateKey: f.OptString("PrivateKey"), Sandbox: f.OptBool("Sandbox"), APIKey: f.OptString("ApiKey"),
		Secret: f.OptString("Secret")})
	if err != nil {
		return nil, err
	}
	return e.credentialView(r, c), nil
}

func deleteCredential(e *Engine, r *twilio.Request) (any, error) {
	return nil, e.DeleteCredential(r.Path("Sid"))
}

// --- Delivery receipts ---

type receiptView struct {
	AccountSID        string `json:"account_sid"`
	ChatServiceSID    string `json:"chat_service_sid,omitempty"`
	ConversationSID   string `json:"conversation_sid"`
	MessageSID        string `json:"message_sid"`
	SID               string `json:"sid"`
	ChannelMessageSID string `json:"channel_message_sid"`
	ParticipantSID    string `json:"participant_sid"`
	Status            string `json:"status"`
	ErrorCode         *int   `json:"error_code"`
	DateCreated       string `json:"date_created"`
	DateUpdated       string `json:"date_updated"`
	URL               string `json:"url"`
}

func (e *Engine) receiptView(r *twilio.Request, s scope, d *Receipt) receiptView {
	return receiptView{AccountSID: e.env.AccountSID, ChatServiceSID: s.scopedSID(d.ChatServiceSID),
		ConversationSID: d.ConversationSID, MessageSID: d.MessageSID, SID: d.SID, ChannelMessageSID: d.ChannelMessageSID,
		ParticipantSID: d.ParticipantSID, Status: d.Status, ErrorCode: d.ErrorCode,
		DateCreated: twilio.Time(d.DateCreated), DateUpdated: twilio.Time(d.DateUpdated),
		URL: r.URL(s.prefix + "/Conversations/" + d.ConversationSID + "/Messages/" + d.MessageSID + "/Receipts/" + d.SID)}
}

func listReceipts(e *Engine, r *twilio.Request) (any, error) {
	s, c, err := pathConversation(e, r, "ConversationSid")
	if err != nil {
		return nil, err
	}
	m := r.Path("MessageSid")
	list, err := e.Receipts(c.SID, m)
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL(s.prefix+"/Conversations/"+c.SID+"/Messages/"+m+"/Receipts"), "delivery_receipts", list,
		func(d *Receipt) any { return e.receiptView(r, s, d) }, maxReceiptsPageSize)
}

func fetchReceipt(e *Engine, r *twilio.Request) (any, error) {
	s, c, err := pathConversation(e, r, "ConversationSid")
	if err != nil {
		return nil, err
	}
	d, err := e.Receipt(c.SID, r.Path("MessageSid"), r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return e.receiptView(r, s, d), nil
}

// --- Participant update ---

func updateParticipant(e *Engine, r *twilio.Request) (any, error) {
	s, c, err := pathConversation(e, r, "ConversationSid")
	if err != nil {
		return nil, err
	}
	p := UpdateParticipantParams{Identity: r.Form.OptString("Identity"), Attributes: r.Form.OptString("Attributes"),
		RoleSID: r.Form.OptString("RoleSid"), ProxyAddress: r.Form.OptString("MessagingBinding.ProxyAddress"),
		ProjectedAddress: r.Form.OptString("MessagingBinding.ProjectedAddress"), Origin: origin(r)}
	if p.LastReadMessageIndex, p.ClearLastReadMessageIndex, err = optNullableIndex(r, "LastReadMessageIndex"); err != nil {
		return nil, err
	}
	if p.LastReadTimestamp, err = optTime(r, "LastReadTimestamp"); err != nil {
		return nil, err
	}
	if p.DateCreated, err = optTime(r, "DateCreated"); err != nil {
		return nil, err
	}
	if p.DateUpdated, err = optTime(r, "DateUpdated"); err != nil {
		return nil, err
	}
	part, err := e.UpdateParticipant(c.SID, r.Path("Sid"), p)
	if err != nil {
		return nil, err
	}
	return e.participantView(r, s, part), nil
}

// --- ConversationWithParticipants ---

func createConversationWithParticipants(e *Engine, r *twilio.Request) (any, error) {
	s, err := resolveScope(e, r)
	if err != nil {
		return nil, err
	}
	p, err := decodeConversation(r, s)
	if err != nil {
		return nil, err
	}
	raw := r.Form.Values["Participant"]
	parts := make([]CreateParticipantParams, 0, len(raw))
	for i, text := range raw {
		pp, err := participantFromJSON(i, text)
		if err != nil {
			return nil, err
		}
		parts = append(parts, pp)
	}
	c, _, err := e.CreateConversationWithParticipants(p, parts)
	if err != nil {
		return nil, err
	}
	return e.conversationView(r, s, c), nil
}

// participantFromJSON decodes one Participant value: a JSON object with the
// Participant resource's parameters, either as JSON field names
// ({"identity": …} or {"messaging_binding": {"address": …, "proxy_address": …}})
// or as form names ({"Identity": …, "MessagingBinding.Address": …}).
// Unknown keys are ignored; a value of the wrong type is a 400 naming it.
func participantFromJSON(i int, text string) (CreateParticipantParams, error) {
	var p CreateParticipantParams
	bad := func(format string, args ...any) error {
		return twilio.InvalidParam("Participant", "value #%d "+format, append([]any{i + 1}, args...)...)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &obj); err != nil || obj == nil {
		return p, bad("must be a JSON object, got %q", truncate(text, 80))
	}
	str := func(key string, raw json.RawMessage, dst *string) error {
		if err := json.Unmarshal(raw, dst); err != nil {
			return bad("has %s that is not a string", key)
		}
		return nil
	}
	for k, raw := range obj {
		var err error
		switch strings.ToLower(k) {
		case "identity":
			err = str(k, raw, &p.Identity)
		case "role_sid", "rolesid":
			err = str(k, raw, &p.RoleSID)
		case "attributes":
			// A string of JSON as in the form, or the JSON object itself.
			switch {
			case len(raw) > 0 && raw[0] == '"':
				err = str(k, raw, &p.Attributes)
			case string(raw) == "null":
			default:
				p.Attributes = string(raw)
			}
		case "messagingbinding.address":
			err = str(k, raw, &p.Address)
		case "messagingbinding.proxyaddress":
			err = str(k, raw, &p.ProxyAddress)
		case "messagingbinding.projectedaddress":
			err = str(k, raw, &p.ProjectedAddress)
		case "messaging_binding", "messagingbinding":
			var b map[string]json.RawMessage
			if json.Unmarshal(raw, &b) != nil || b == nil {
				return p, bad("has %s that is not an object", k)
			}
			for bk, bv := range b {
				switch strings.ToLower(bk) {
				case "address":
					err = str(k+"."+bk, bv, &p.Address)
				case "proxy_address", "proxyaddress":
					err = str(k+"."+bk, bv, &p.ProxyAddress)
				case "projected_address", "projectedaddress":
					err = str(k+"."+bk, bv, &p.ProjectedAddress)
				}
				if err != nil {
					return p, err
				}
			}
		}
		if err != nil {
			return p, err
		}
	}
	return p, nil
}

// truncate shortens s to at most n runes for error messages.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
