package flex

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator/internal/oaicheck"
	"github.com/flexemu/flexemu/emulator/twilio/twiliotest"
)

// The contract test for Configuration, Interactions (and their Channels,
// Invites and Participants) and WebChats: each route is called over HTTP
// and its answer checked against Twilio's spec (testdata/
// twilio_flex_v1.trimmed.json; WebChats is Flex v2, whose one schema is
// below): the status, every field name (none the spec lacks, none it has
// missing), nested objects the spec describes, JSON types, enum values and
// null only where the spec says nullable.

// webChannelSchema is flex.v2.web_channel of twilio_flex_v2.json (same
// twilio-oai repository): POST /v2/WebChats answers 201 with it.
const webChannelSchema = `{"type": "object", "properties": {
	"conversation_sid": {"type": "string", "nullable": true},
	"identity": {"type": "string", "nullable": true}}}`

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
	doc := oaicheck.MustLoad(t, "testdata/twilio_flex_v1.trimmed.json")
	f, _ := newOpenerFixture(t)
	f.eng = New(f.env, f.eng.conv, sourceTaskRouter{f.tr})
	srv := twiliotest.Serve(t, Product, f.eng, Routes())
	cc := &contractClient{t: t, srv: srv, sid: f.env.AccountSID, tok: f.env.AuthToken}
	var violations []string
	covered := map[string]bool{}

	check := func(method, specPath, path string, form url.Values, jsonBody string) map[string]any {
		t.Helper()
		want, schema, err := doc.Success(method, specPath)
		if err != nil {
			t.Fatal(err)
		}
		if schema == nil {
			t.Fatalf("%s %s: the spec's %d answer has no body", method, specPath, want)
		}
		status, body := cc.call(method, path, form, jsonBody)
		if status != want {
			t.Fatalf("%s %s = %d %v, spec says %d", method, path, status, body, want)
		}
		violations = append(violations, doc.Check(method+" "+specPath, body, schema)...)
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
	wcSchema, err := oaicheck.ParseSchema(webChannelSchema)
	if err != nil {
		t.Fatal(err)
	}
	status, wc := cc.call("POST", "/v2/WebChats", url.Values{"AddressSid": {chatAddress},
		"ChatFriendlyName": {"Webchat widget"}, "CustomerFriendlyName": {"Ana"}, "PreEngagementData": {`{"friendlyName":"Ana"}`}}, "")
	if status != http.StatusCreated {
		t.Fatalf("POST /v2/WebChats = %d %v, spec says 201", status, wc)
	}
	violations = append(violations, doc.Check("POST /v2/WebChats", wc, wcSchema)...)

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
	if len(violations) > 0 {
		sort.Strings(violations)
		t.Errorf("%d contract violations:\n  %s", len(violations), strings.Join(violations, "\n  "))
	}
}
