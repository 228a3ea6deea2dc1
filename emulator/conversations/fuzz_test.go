package conversations

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator/env"
	"github.com/flexemu/flexemu/emulator/twilio/twiliotest"
)

// fuzzScope is the state seeded in one service, so every path parameter
// can name something that exists.
type fuzzScope struct {
	service, conv, customer, agent, msg, receipt, webhook, user, role string
}

// fuzzFixture is a fresh engine behind the real handler stack with a known
// state: a second service, and in each service a conversation with a
// channel customer, an agent, an agent's message (so a delivery receipt),
// a scoped webhook, a user and a custom role; plus an address configuration
// and a push credential.
type fuzzFixture struct {
	mux         *http.ServeMux
	def, scoped fuzzScope
	address     string
	credential  string
}

func newFuzzFixture(t *testing.T) *fuzzFixture {
	t.Helper()
	ev, _ := env.ForTest()
	ev.Webhooks.Close(0) // drop every delivery: the fuzzer must never reach the network
	e := New(ev)
	mux := http.NewServeMux()
	twiliotest.Mount(mux, Product, e, Routes())
	must := func(err error) {
		if err != nil {
			t.Fatalf("fuzz fixture: %v", err)
		}
	}
	svc2, err := e.CreateService(CreateServiceParams{FriendlyName: "Second"})
	must(err)
	fx := &fuzzFixture{mux: mux}
	for i, sc := range []*fuzzScope{&fx.def, &fx.scoped} {
		sc.service = []string{e.DefaultServiceSID(), svc2.SID}[i]
		c, err := e.CreateConversation(CreateConversationParams{ChatServiceSID: sc.service, UniqueName: "case", FriendlyName: "Case"})
		must(err)
		sc.conv = c.SID
		cust, err := e.AddParticipant(c.SID, CreateParticipantParams{Address: smsCust, ProxyAddress: []string{smsProxy, "+14155550009"}[i]})
		must(err)
		sc.customer = cust.SID
		agent, err := e.AddParticipant(c.SID, CreateParticipantParams{Identity: "agent"})
		must(err)
		sc.agent = agent.SID
		m, err := e.AddMessage(c.SID, CreateMessageParams{Author: "agent", Body: "hello"})
		must(err)
		sc.msg = m.SID
		rs, err := e.Receipts(c.SID, m.SID)
		must(err)
		sc.receipt = rs[0].SID
		w, err := e.CreateWebhook(c.SID, CreateWebhookParams{Target: "webhook", URL: "http://127.0.0.1:9/hook", Filters: []string{"onMessageAdded"}})
		must(err)
		sc.webhook = w.SID
		u, err := e.CreateUser(sc.service, CreateUserParams{Identity: "agent"})
		must(err)
		sc.user = u.SID
		r, err := e.CreateRole(sc.service, CreateRoleParams{FriendlyName: "custom", Type: "conversation", Permissions: []string{"sendMessage"}})
		must(err)
		sc.role = r.SID
	}
	a, err := e.CreateAddressConfiguration(CreateAddressConfigurationParams{Type: "whatsapp", Address: waProxy,
		AutoCreation: AutoCreationParams{Enabled: ptr(true), Type: ptr("default")}})
	must(err)
	fx.address = a.SID
	cr, err := e.CreateCredential(CreateCredentialParams{Type: "fcm", Secret: "s"})
	must(err)
	fx.credential = cr.SID
	return fx
}

// fill replaces a route pattern's {Params}: with the seeded SID the
// preceding path segment names, or (when bit i of garbage is set, for the
// i-th parameter) with junk, escaped into one path segment.
func (fx *fuzzFixture) fill(pattern string, garbage uint8, junk string) string {
	sc := fx.def
	if strings.HasPrefix(pattern, "/v1/Services/{ChatServiceSid}/") {
		sc = fx.scoped
	}
	segs := strings.Split(pattern, "/")
	n := 0
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") {
			continue
		}
		if garbage&(1<<n) != 0 {
			segs[i] = junkSegment(junk)
			n++
			continue
		}
		n++
		switch segs[i-1] {
		case "Services":
			segs[i] = fx.scoped.service
		case "Conversations":
			segs[i] = sc.conv
		case "Participants":
			segs[i] = sc.customer
		case "Messages":
			segs[i] = sc.msg
		case "Receipts":
			segs[i] = sc.receipt
		case "Webhooks":
			segs[i] = sc.webhook
		case "Users":
			segs[i] = sc.user
		case "Roles":
			segs[i] = sc.role
		case "Addresses":
			segs[i] = fx.address
		case "Credentials":
			segs[i] = fx.credential
		default:
			segs[i] = "BS00000000000000000000000000000000"
		}
	}
	return strings.Join(segs, "/")
}

// junkSegment escapes s into one path segment the mux will not clean or
// redirect ("", "." and ".." would be).
func junkSegment(s string) string {
	switch s {
	case "", ".", "..":
		return "x" + s
	}
	return url.PathEscape(s)
}

// fuzzBodies are valid form bodies by a route's last literal segment.
var fuzzBodies = map[string]string{
	"Users":                        "Identity=newbie&FriendlyName=N&Attributes=%7B%22a%22%3A1%7D",
	"Roles":                        "FriendlyName=r2&Type=conversation&Permission=sendMessage&Permission=leaveConversation",
	"Credentials":                  "Type=apn&Certificate=c&PrivateKey=k&Sandbox=true",
	"Conversations":                "FriendlyName=c&UniqueName=u2&Attributes=%7B%7D&Timers.Inactive=PT5M&NotificationLevel=muted&LastReadMessageIndex=0",
	"Participants":                 "Identity=p2&Attributes=%7B%7D&LastReadMessageIndex=0",
	"Messages":                     "Author=agent&Body=hi&Attributes=%7B%7D",
	"Webhooks":                     "Target=webhook&Configuration.Url=http%3A%2F%2F127.0.0.1%3A9%2Fx&Configuration.Filters=onMessageAdded",
	"ConversationWithParticipants": "FriendlyName=f&Participant=%7B%22identity%22%3A%22z%22%7D&Participant=%7B%22messaging_binding%22%3A%7B%22address%22%3A%22%2B15005550007%22%2C%22proxy_address%22%3A%22%2B14155238886%22%7D%7D",
	"Addresses":                    "Type=sms&Address=%2B14155550111&AutoCreation.Enabled=true&AutoCreation.Type=default",
	"Services":                     "FriendlyName=S",
	"Configuration":                "DefaultInactiveTimer=PT5M&DefaultClosedTimer=PT1H&ReachabilityEnabled=true",
	"Webhooks/config":              "PreWebhookUrl=http%3A%2F%2F127.0.0.1%3A9%2Fpre&Filters=onMessageAdd&Method=POST",
	"Notifications":                "NewMessage.Enabled=true&NewMessage.Template=x",
	"ParticipantConversations":     "Identity=agent",
	"Receipts":                     "PageSize=1",
	"Bindings":                     "BindingType=apn&Identity=agent",
}

func seedBody(pattern string) string {
	segs := strings.Split(pattern, "/")
	for i := len(segs) - 1; i >= 0; i-- {
		if !strings.HasPrefix(segs[i], "{") {
			if segs[i] == "Webhooks" && i > 0 && segs[i-1] == "Configuration" {
				return fuzzBodies["Webhooks/config"]
			}
			return fuzzBodies[segs[i]]
		}
	}
	return ""
}

// Fuzz input flags (bits of mask; bits 0-3 make the i-th path parameter junk).
const (
	fuzzWebhookHeader = 1 << 6 // send X-Twilio-Webhook-Enabled: true
	fuzzJSONParams    = 1 << 7 // append Attributes=junk and Participant=junk
)

// FuzzHandlers sends arbitrary form bodies, query strings, path parameters
// and attributes JSON to every Conversations route through the real
// handler stack. Whatever the input: no panic, no 500, 2xx answers are JSON
// (or empty for 204), and every other answer is Twilio's error JSON whose
// status equals the HTTP status.
func FuzzHandlers(f *testing.F) {
	routes := Routes()
	for i, rt := range routes {
		body := seedBody(rt.Path)
		f.Add(uint16(i), uint8(0), body, `{"topic":"billing"}`)
		f.Add(uint16(i), uint8(fuzzJSONParams|fuzzWebhookHeader), body, `{"identity":"agent"}`)
		f.Add(uint16(i), uint8(fuzzJSONParams), body+"&Attributes=%7Bnot+json", `[1,2`)
		f.Add(uint16(i), uint8(0x0f), "%zz&=&&PageSize=-1&Page=x&PageToken=PT-5", "../..")
		f.Add(uint16(i), uint8(0x01), "PageSize=1000", "\x00\xff\u00e9/%2F?#")
	}
	f.Fuzz(func(t *testing.T, ri uint16, mask uint8, body, junk string) {
		fx := newFuzzFixture(t)
		rt := routes[int(ri)%len(routes)]
		path := fx.fill(rt.Path, mask&0x0f, junk)
		if mask&fuzzJSONParams != 0 {
			extra := "Attributes=" + url.QueryEscape(junk) + "&Participant=" + url.QueryEscape(junk)
			if body == "" {
				body = extra
			} else {
				body += "&" + extra
			}
		}
		req := httptest.NewRequest(rt.Method, "http://conversations.twilio.com"+path, strings.NewReader(body))
		if rt.Method == "GET" || rt.Method == "DELETE" {
			req = httptest.NewRequest(rt.Method, "http://conversations.twilio.com"+path, nil)
			req.URL.RawQuery = body
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if mask&fuzzWebhookHeader != 0 {
			req.Header.Set("X-Twilio-Webhook-Enabled", "true")
		}
		rec := httptest.NewRecorder()
		fx.mux.ServeHTTP(rec, req)
		if req.Pattern == "" {
			// The mux matched no route (a junk segment such as %2F): the
			// server's not-found wrapper answers those, not a handler.
			if mask&0x0f == 0 {
				t.Fatalf("%s %s matched no route", rt.Method, path)
			}
			return
		}
		checkFuzzAnswer(t, rt.Method+" "+path, rec)
	})
}

func checkFuzzAnswer(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	raw := rec.Body.Bytes()
	switch {
	case rec.Code == http.StatusNoContent:
		if len(bytes.TrimSpace(raw)) != 0 {
			t.Fatalf("%s: 204 with a body %q", what, raw)
		}
		return
	case rec.Code/100 == 2:
		var v map[string]any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s: %d answer is not a JSON object: %v: %q", what, rec.Code, err, raw)
		}
		return
	}
	if rec.Code == http.StatusInternalServerError {
		t.Fatalf("%s: internal error: %s", what, raw)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %d answer is not Twilio's error JSON: %v: %q", what, rec.Code, err, raw)
	}
	for k := range v {
		switch k {
		case "code", "message", "more_info", "status", "details":
		default:
			t.Errorf("%s: error JSON has unexpected field %q: %s", what, k, raw)
		}
	}
	code, okCode := v["code"].(float64)
	msg, okMsg := v["message"].(string)
	more, okMore := v["more_info"].(string)
	status, okStatus := v["status"].(float64)
	if !okCode || !okMsg || !okMore || !okStatus || code <= 0 || msg == "" || !strings.HasPrefix(more, "https://www.twilio.com/docs/errors/") {
		t.Fatalf("%s: malformed error JSON %s", what, raw)
	}
	if int(status) != rec.Code {
		t.Fatalf("%s: error JSON status %v but HTTP status %d: %s", what, status, rec.Code, raw)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: error Content-Type %q", what, ct)
	}
}
