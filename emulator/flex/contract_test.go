package flex

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator/twilio/twiliotest"
)

// The contract test for Configuration, Interactions (and their Channels,
// Invites and Participants) and WebChats: each route is called over HTTP
// and its answer checked against Twilio's spec (testdata/
// twilio_flex_v1.trimmed.json; WebChats is Flex v2, whose one schema is
// below): the status, every field name (none the spec lacks, none it has
// missing), nested objects the spec describes, JSON types, enum values and
// null only where the spec says nullable.

type contractSchema struct {
	Ref        string                     `json:"$ref"`
	Type       string                     `json:"type"`
	Nullable   bool                       `json:"nullable"`
	Properties map[string]*contractSchema `json:"properties"`
	Items      *contractSchema            `json:"items"`
	Enum       []any                      `json:"enum"`
}

type contractOperation struct {
	Responses map[string]struct {
		Content map[string]struct {
			Schema *contractSchema `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

type contractDoc struct {
	Paths      map[string]map[string]*contractOperation `json:"paths"`
	Components struct {
		Schemas map[string]*contractSchema `json:"schemas"`
	} `json:"components"`
}

// webChannelSchema is flex.v2.web_channel of twilio_flex_v2.json (same
// twilio-oai repository): POST /v2/WebChats answers 201 with it.
const webChannelSchema = `{"type": "object", "properties": {
	"conversation_sid": {"type": "string", "nullable": true},
	"identity": {"type": "string", "nullable": true}}}`

func loadFlexSpec(t *testing.T) *contractDoc {
	t.Helper()
	raw, err := os.ReadFile("testdata/twilio_flex_v1.trimmed.json")
	if err != nil {
		t.Fatal(err)
	}
	var d contractDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

func (d *contractDoc) resolve(s *contractSchema) *contractSchema {
	for s != nil && s.Ref != "" {
		s = d.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
	}
	return s
}

// response is the spec's success status and schema of an operation.
func (d *contractDoc) response(method, path string) (int, *contractSchema) {
	op := d.Paths[path][strings.ToLower(method)]
	if op == nil {
		return 0, nil
	}
	for code, r := range op.Responses {
		if status, err := strconv.Atoi(code); err == nil && status < 300 {
			return status, d.resolve(r.Content["application/json"].Schema)
		}
	}
	return 0, nil
}

type contractChecker struct {
	doc  *contractDoc
	errs []string
}

func (c *contractChecker) value(where string, v any, s *contractSchema) {
	s = c.doc.resolve(s)
	if s == nil {
		return
	}
	if v == nil {
		if !s.Nullable {
			c.errs = append(c.errs, where+": null, but the spec does not make it nullable")
		}
		return
	}
	typ := s.Type
	if typ == "" && len(s.Properties) > 0 {
		typ = "object"
	}
	ok := true
	switch typ {
	case "string":
		_, ok = v.(string)
	case "integer":
		f, isNum := v.(float64)
		ok = isNum && f == math.Trunc(f)
	case "number":
		_, ok = v.(float64)
	case "boolean":
		_, ok = v.(bool)
	case "array":
		_, ok = v.([]any)
	case "object":
		_, ok = v.(map[string]any)
	}
	if !ok {
		c.errs = append(c.errs, fmt.Sprintf("%s: %T value %v, spec type %s", where, v, v, typ))
		return
	}
	if len(s.Enum) > 0 {
		found := false
		for _, e := range s.Enum {
			found = found || e == v
		}
		if !found {
			c.errs = append(c.errs, fmt.Sprintf("%s: %v is not one of %v", where, v, s.Enum))
		}
	}
	switch x := v.(type) {
	case map[string]any:
		if len(s.Properties) == 0 {
			return // free-form object (attributes, ui_attributes, links …)
		}
		for k, fv := range x {
			ps, known := s.Properties[k]
			if !known {
				c.errs = append(c.errs, fmt.Sprintf("%s: field %q is not in the spec", where, k))
				continue
			}
			c.value(where+"."+k, fv, ps)
		}
		for k := range s.Properties {
			if _, ok := x[k]; !ok {
				c.errs = append(c.errs, fmt.Sprintf("%s: spec field %q missing", where, k))
			}
		}
	case []any:
		for _, el := range x {
			c.value(where+"[]", el, s.Items)
		}
	}
}

type contractClient struct {
	t   *testing.T
	srv *httptest.Server
	sid string
	tok string
}

// call sends form (or, when jsonBody is set, JSON) and decodes the answer.
func (cc *contractClient) call(method, path string, form url.Values, jsonBody string) (int, map[string]any) {
	cc.t.Helper()
	var body io.Reader
	ct := ""
	switch {
	case jsonBody != "":
		body, ct = strings.NewReader(jsonBody), "application/json"
	case form != nil:
		body, ct = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	}
	req, err := http.NewRequest(method, cc.srv.URL+path, body)
	if err != nil {
		cc.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.SetBasicAuth(cc.sid, cc.tok)
	resp, err := cc.srv.Client().Do(req)
	if err != nil {
		cc.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		cc.t.Fatalf("%s %s: invalid JSON %q", method, path, raw)
	}
	return resp.StatusCode, m
}

func TestFlexContract(t *testing.T) {
	doc := loadFlexSpec(t)
	f, _ := newOpenerFixture(t)
	f.eng = New(f.env, f.eng.conv, sourceTaskRouter{f.tr})
	srv := twiliotest.Serve(t, Product, f.eng, Routes())
	cc := &contractClient{t: t, srv: srv, sid: f.env.AccountSID, tok: f.env.AuthToken}
	chk := &contractChecker{doc: doc}
	covered := map[string]bool{}

	check := func(method, specPath, path string, form url.Values, jsonBody string) map[string]any {
		t.Helper()
		want, schema := doc.response(method, specPath)
		if schema == nil {
			t.Fatalf("%s %s is not in the spec", method, specPath)
		}
		status, body := cc.call(method, path, form, jsonBody)
		if status != want {
			t.Fatalf("%s %s = %d %v, spec says %d", method, path, status, body, want)
		}
		chk.value(method+" "+specPath, body, schema)
		covered[method+" "+specPath] = true
		return body
	}

	check("GET", "/v1/Configuration", "/v1/Configuration", nil, "")
	check("POST", "/v1/Configuration", "/v1/Configuration", nil,
		`{"account_sid":"`+f.env.AccountSID+`","ui_attributes":{"theme":"dark"},"serverless_service_sids":["ZS00000000000000000000000000000001"]}`)

	in := check("POST", "/v1/Interactions", "/v1/Interactions", url.Values{
		"Channel": {`{"type":"sms","initiated_by":"customer","properties":{"media_channel_sid":"` + convSID + `"}}`},
		"Routing": {`{"properties":{"workspace_sid":"` + workspace + `","workflow_sid":"` + workflow + `","task_channel_unique_name":"chat"}}`},
	}, "")
	check("POST", "/v1/Interactions", "/v1/Interactions", url.Values{
		"Channel": {`{"type":"sms","initiated_by":"agent","participants":[{"address":"+15552220000","proxy_address":"+15550001111","type":"sms"}]}`},
		"Routing": {`{"properties":{"workspace_sid":"` + workspace + `","worker_sid":"WK00000000000000000000000000000001","task_channel_unique_name":"chat"}}`},
	}, "")
	kd := in["sid"].(string)
	uo := in["channel"].(map[string]any)["sid"].(string)
	check("GET", "/v1/Interactions/{Sid}", "/v1/Interactions/"+kd, nil, "")
	check("POST", "/v1/Interactions/{Sid}", "/v1/Interactions/"+kd, url.Values{"WebhookTtid": {"flex_interactionwebhook_x"}}, "")
	chans := "/v1/Interactions/" + kd + "/Channels"
	check("GET", "/v1/Interactions/{InteractionSid}/Channels", chans, nil, "")
	check("GET", "/v1/Interactions/{InteractionSid}/Channels/{Sid}", chans+"/"+uo, nil, "")
	check("GET", "/v1/Interactions/{InteractionSid}/Channels/{ChannelSid}/Invites", chans+"/"+uo+"/Invites", nil, "")
	check("POST", "/v1/Interactions/{InteractionSid}/Channels/{ChannelSid}/Invites", chans+"/"+uo+"/Invites", url.Values{
		"Routing": {`{"properties":{"workspace_sid":"` + workspace + `","workflow_sid":"` + workflow + `","queue_sid":"WQ00000000000000000000000000000002"}}`},
	}, "")
	check("GET", "/v1/Interactions/{InteractionSid}/Channels/{ChannelSid}/Participants", chans+"/"+uo+"/Participants", nil, "")

	// WebChats (Flex v2).
	var wcSchema contractSchema
	if err := json.Unmarshal([]byte(webChannelSchema), &wcSchema); err != nil {
		t.Fatal(err)
	}
	status, wc := cc.call("POST", "/v2/WebChats", url.Values{"AddressSid": {chatAddress},
		"ChatFriendlyName": {"Webchat widget"}, "CustomerFriendlyName": {"Ana"}, "PreEngagementData": {`{"friendlyName":"Ana"}`}}, "")
	if status != http.StatusCreated {
		t.Fatalf("POST /v2/WebChats = %d %v, spec says 201", status, wc)
	}
	chk.value("POST /v2/WebChats", wc, &wcSchema)

	// Every Configuration and Interactions path of the spec (Transfers have
	// their own contract test) was called.
	// Left to other tests: the updates that close a channel or an agent
	// participant, and creating a participant (email channels).
	elsewhere := map[string]bool{
		"POST /v1/Interactions/{InteractionSid}/Channels/{Sid}":                           true,
		"POST /v1/Interactions/{InteractionSid}/Channels/{ChannelSid}/Participants":       true,
		"POST /v1/Interactions/{InteractionSid}/Channels/{ChannelSid}/Participants/{Sid}": true,
	}
	var missed []string
	for p, ops := range doc.Paths {
		for m := range ops {
			op := strings.ToUpper(m) + " " + p
			if !covered[op] && !elsewhere[op] && !strings.Contains(p, "/Transfers") {
				missed = append(missed, op)
			}
		}
	}
	sort.Strings(missed)
	if len(missed) > 0 {
		t.Errorf("spec operations not exercised: %v", missed)
	}
	if len(chk.errs) > 0 {
		sort.Strings(chk.errs)
		t.Errorf("%d contract violations:\n  %s", len(chk.errs), strings.Join(chk.errs, "\n  "))
	}
}
