package flex

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// transferRoutes are the Interaction channel Transfers routes. Their bodies
// are JSON (as twilio-go sends them: application/json, the spec leaving the
// object open); a form body with the same names in PascalCase works too.
// Create answers 201, as the spec says.
func transferRoutes() []twilio.Route[*Engine] {
	const (
		transfers = "/v1/Interactions/{InteractionSid}/Channels/{ChannelSid}/Transfers"
		transfer  = transfers + "/{Sid}"
	)
	return []twilio.Route[*Engine]{
		{Method: http.MethodPost, Path: transfers, Status: http.StatusCreated, JSON: true, Handle: createTransfer},
		{Method: http.MethodGet, Path: transfer, Handle: fetchTransfer},
		{Method: http.MethodPost, Path: transfer, JSON: true, Handle: updateTransfer},
	}
}

// transferView is flex.v1.interaction.interaction_channel.interaction_transfer.
type transferView struct {
	SID            string  `json:"sid"`
	AccountSID     string  `json:"account_sid"`
	InstanceSID    string  `json:"instance_sid"`
	InteractionSID string  `json:"interaction_sid"`
	ChannelSID     string  `json:"channel_sid"`
	ExecutionSID   *string `json:"execution_sid"`
	Type           string  `json:"type"`
	Status         string  `json:"status"`
	From           string  `json:"from"`
	To             string  `json:"to"`
	NoteSID        *string `json:"note_sid"`
	SummarySID     *string `json:"summary_sid"`
	URL            string  `json:"url"`
	DateCreated    string  `json:"date_created"`
	DateUpdated    string  `json:"date_updated"`
}

func renderTransfer(r *twilio.Request, t Transfer) transferView {
	return transferView{SID: t.SID, AccountSID: t.AccountSID, InstanceSID: t.InstanceSID,
		InteractionSID: t.InteractionSID, ChannelSID: t.ChannelSID, Type: t.Type, Status: t.Status,
		From: t.From, To: t.To, DateCreated: twilio.Time(t.DateCreated), DateUpdated: twilio.Time(t.DateUpdated),
		URL: r.URL(fmt.Sprintf("/v1/Interactions/%s/Channels/%s/Transfers/%s", t.InteractionSID, t.ChannelSID, t.SID))}
}

// transferBody is a Transfers request body: the JSON object's snake_case
// keys, else the form's PascalCase parameters.
type transferBody struct {
	json map[string]json.RawMessage
	form twilio.Form
}

func readTransferBody(r *twilio.Request) (transferBody, error) {
	b := transferBody{form: r.Form}
	if r.JSON == nil {
		return b, nil
	}
	if err := twilio.CheckJSON("body", string(r.JSON), twilio.MaxJSONBytes); err != nil {
		return b, err
	}
	if err := json.Unmarshal(r.JSON, &b.json); err != nil || b.json == nil {
		return b, twilio.InvalidParam("body", "must be a JSON object")
	}
	return b, nil
}

// formName is the PascalCase form name of a JSON key ("workflow_sid" → "WorkflowSid").
func formName(key string) string {
	parts := strings.Split(key, "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

// str returns a string field ("" when absent or null).
func (b transferBody) str(key string) (string, error) {
	if v, ok := b.json[key]; ok && string(v) != "null" {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", twilio.InvalidParam(formName(key), "%s must be a string", key)
		}
		return strings.TrimSpace(s), nil
	}
	s, _ := b.form.String(formName(key))
	return strings.TrimSpace(s), nil
}

// integer returns an integer field, a number or a string holding one.
func (b transferBody) integer(key string) (*int, error) {
	if v, ok := b.json[key]; ok && string(v) != "null" {
		n, err := flexInt(v)
		if err != nil {
			return nil, twilio.InvalidParam(formName(key), "%s must be an integer", key)
		}
		return &n, nil
	}
	s, ok := b.form.String(formName(key))
	if !ok || strings.TrimSpace(s) == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return nil, twilio.InvalidParam(formName(key), "%q is not an integer", s)
	}
	return &n, nil
}

// attributes returns the attributes field: an object or a string holding one.
func (b transferBody) attributes() (map[string]any, error) {
	if v, ok := b.json["attributes"]; ok && string(v) != "null" {
		m, err := decodeAttributes(v)
		if err != nil {
			return nil, twilio.InvalidParam("Attributes", "attributes must be a JSON object")
		}
		return m, nil
	}
	if s, ok := b.form.String("Attributes"); ok && strings.TrimSpace(s) != "" {
		return twilio.ParseJSONObject("Attributes", s)
	}
	return nil, nil
}

func createTransfer(e *Engine, r *twilio.Request) (any, error) {
	b, err := readTransferBody(r)
	if err != nil {
		return nil, err
	}
	var p CreateTransferParams
	for key, dst := range map[string]*string{"type": &p.Type, "from": &p.From, "to": &p.To, "workflow_sid": &p.WorkflowSID} {
		if *dst, err = b.str(key); err != nil {
			return nil, err
		}
	}
	if p.Attributes, err = b.attributes(); err != nil {
		return nil, err
	}
	if p.Priority, err = b.integer("priority"); err != nil {
		return nil, err
	}
	if p.Timeout, err = b.integer("timeout"); err != nil {
		return nil, err
	}
	t, err := e.CreateTransfer(r.Path("InteractionSid"), r.Path("ChannelSid"), p)
	if err != nil {
		return nil, err
	}
	return renderTransfer(r, t), nil
}

func fetchTransfer(e *Engine, r *twilio.Request) (any, error) {
	t, err := e.Transfer(r.Path("InteractionSid"), r.Path("ChannelSid"), r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return renderTransfer(r, t), nil
}

func updateTransfer(e *Engine, r *twilio.Request) (any, error) {
	b, err := readTransferBody(r)
	if err != nil {
		return nil, err
	}
	status, err := b.str("status")
	if err != nil {
		return nil, err
	}
	t, err := e.UpdateTransfer(r.Path("InteractionSid"), r.Path("ChannelSid"), r.Path("Sid"), status)
	if err != nil {
		return nil, err
	}
	return renderTransfer(r, t), nil
}
