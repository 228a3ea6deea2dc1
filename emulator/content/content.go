// Package content emulates Twilio's Content API (content.twilio.com/v1):
// content templates (HX…) that Studio's send widgets and Conversations
// messages refer to by content_sid. Templates are created by REST (JSON
// bodies, as Twilio's Content API takes them) or declared in a fixture.
package content

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/env"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// Template is one Content resource.
type Template struct {
	SID          string
	AccountSID   string
	FriendlyName string
	Language     string
	// Variables are the default placeholder values ({"1": "Customer_Name"}).
	Variables map[string]string
	// Types is the types object as given (compact JSON), keyed by content
	// type ("twilio/text", "twilio/quick-reply", …); TypeOrder keeps its keys
	// in the order written.
	Types       json.RawMessage
	TypeOrder   []string
	types       map[string]map[string]any
	DateCreated time.Time
	DateUpdated time.Time
}

// Body is what the template shows as text: the twilio/text body, else the
// body of the first type that has one ("" when none does).
func (t *Template) Body() string {
	if b, ok := t.types["twilio/text"]["body"].(string); ok {
		return b
	}
	for _, k := range t.TypeOrder {
		if b, ok := t.types[k]["body"].(string); ok {
			return b
		}
	}
	return ""
}

// Engine holds one account's content templates.
type Engine struct {
	env       env.Env
	templates map[string]*Template
	order     []string // SIDs in creation order
}

// New returns an empty Content engine.
func New(e env.Env) *Engine {
	return &Engine{env: e, templates: map[string]*Template{}}
}

// CreateParams is a Content create request; SID pins the SID (fixtures).
type CreateParams struct {
	SID          string
	FriendlyName string
	Language     string
	Variables    map[string]string
	// Types is the JSON object of content types.
	Types json.RawMessage
}

// knownTypes are the content types Twilio's Content API accepts.
var knownTypes = map[string]bool{
	"twilio/text": true, "twilio/media": true, "twilio/location": true, "twilio/list-picker": true,
	"twilio/call-to-action": true, "twilio/quick-reply": true, "twilio/card": true, "twilio/catalog": true,
	"twilio/carousel": true, "twilio/flows": true, "twilio/schedule": true, "whatsapp/card": true,
	"whatsapp/authentication": true, "whatsapp/flows": true,
}

// Create adds a template.
func (e *Engine) Create(p CreateParams) (*Template, error) {
	if p.Language == "" {
		return nil, twilio.MissingParam("language")
	}
	order, types, compact, err := parseTypes(p.Types)
	if err != nil {
		return nil, err
	}
	sid := p.SID
	if sid == "" {
		sid = twilio.NewSID("HX")
	} else if !twilio.IsSID(sid, "HX") {
		return nil, twilio.InvalidParam("sid", "%q is not a Content SID (HX followed by 32 hex digits)", sid)
	}
	if _, dup := e.templates[sid]; dup {
		return nil, twilio.Conflict(twilio.CodeConflict, "Content %s already exists", sid)
	}
	vars := map[string]string{}
	for k, v := range p.Variables {
		vars[k] = v
	}
	now := e.env.Now()
	t := &Template{SID: sid, AccountSID: e.env.AccountSID, FriendlyName: p.FriendlyName, Language: p.Language,
		Variables: vars, Types: compact, TypeOrder: order, types: types, DateCreated: now, DateUpdated: now}
	e.templates[sid] = t
	e.order = append(e.order, sid)
	e.record("content.created", t)
	return t, nil
}

// Update replaces a template's fields, as PUT /v1/Content/{Sid} does.
func (e *Engine) Update(sid string, p CreateParams) (*Template, error) {
	t, err := e.Template(sid)
	if err != nil {
		return nil, err
	}
	if p.Language == "" {
		return nil, twilio.MissingParam("language")
	}
	order, types, compact, err := parseTypes(p.Types)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{}
	for k, v := range p.Variables {
		vars[k] = v
	}
	t.FriendlyName, t.Language, t.Variables = p.FriendlyName, p.Language, vars
	t.Types, t.TypeOrder, t.types = compact, order, types
	t.DateUpdated = e.env.Now()
	e.record("content.updated", t)
	return t, nil
}

// Template returns the template with sid, or Twilio's 404.
func (e *Engine) Template(sid string) (*Template, error) {
	t, ok := e.templates[sid]
	if !ok {
		return nil, twilio.NotFound("/v1/Content/" + sid)
	}
	return t, nil
}

// List returns every template, newest first, as Twilio lists them.
func (e *Engine) List() []*Template {
	out := make([]*Template, 0, len(e.order))
	for i := len(e.order) - 1; i >= 0; i-- {
		out = append(out, e.templates[e.order[i]])
	}
	return out
}

// Delete removes a template.
func (e *Engine) Delete(sid string) error {
	t, err := e.Template(sid)
	if err != nil {
		return err
	}
	delete(e.templates, sid)
	for i, s := range e.order {
		if s == sid {
			e.order = append(e.order[:i], e.order[i+1:]...)
			break
		}
	}
	e.record("content.deleted", t)
	return nil
}

func (e *Engine) record(typ string, t *Template) {
	if e.env.Timeline == nil {
		return
	}
	e.env.Record("content", typ, t.SID, fmt.Sprintf("%s %s %q", typ, t.SID, t.FriendlyName), nil)
}

// parseTypes checks the types object: a non-empty JSON object of known
// content types, each an object; twilio/text needs a body.
func parseTypes(raw json.RawMessage) ([]string, map[string]map[string]any, json.RawMessage, error) {
	if len(strings.TrimSpace(string(raw))) == 0 || string(raw) == "null" {
		return nil, nil, nil, twilio.MissingParam("types")
	}
	var types map[string]map[string]any
	if err := json.Unmarshal(raw, &types); err != nil {
		return nil, nil, nil, twilio.InvalidParam("types", "must be an object of content types, each an object: %v", err)
	}
	if len(types) == 0 {
		return nil, nil, nil, twilio.InvalidParam("types", "must name at least one content type")
	}
	order, err := keyOrder(raw)
	if err != nil {
		return nil, nil, nil, twilio.InvalidParam("types", "%v", err)
	}
	for _, k := range order {
		if !knownTypes[k] {
			known := make([]string, 0, len(knownTypes))
			for n := range knownTypes {
				known = append(known, n)
			}
			sort.Strings(known)
			return nil, nil, nil, twilio.InvalidParam("types", "unknown content type %q (known: %s)", k, strings.Join(known, ", "))
		}
		if types[k] == nil {
			return nil, nil, nil, twilio.InvalidParam("types", "%s must be an object", k)
		}
	}
	if tx, ok := types["twilio/text"]; ok {
		if b, _ := tx["body"].(string); b == "" {
			return nil, nil, nil, twilio.InvalidParam("types", "twilio/text requires a body")
		}
	}
	compact, err := compactJSON(raw)
	if err != nil {
		return nil, nil, nil, twilio.InvalidParam("types", "%v", err)
	}
	return order, types, compact, nil
}

// keyOrder lists a JSON object's top-level keys in the order written.
func keyOrder(raw json.RawMessage) ([]string, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := tok.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

func compactJSON(raw json.RawMessage) (json.RawMessage, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
