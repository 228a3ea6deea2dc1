package conversations

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator/internal/oaicheck"
)

// contractClient drives the real handler stack and remembers, per route
// pattern, the 2xx answers it saw.
type contractClient struct {
	t    *testing.T
	mux  *http.ServeMux
	seen map[string][]map[string]any // "METHOD /path" pattern → answers
	code map[string]int
}

func (c *contractClient) do(method, path string, form url.Values) map[string]any {
	c.t.Helper()
	target := path
	var body *strings.Reader
	if method == "GET" && form != nil {
		target += "?" + form.Encode()
	}
	if method != "GET" && form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req := httptest.NewRequest(method, "http://conversations.twilio.com"+target, body)
	if method != "GET" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	rec := httptest.NewRecorder()
	c.mux.ServeHTTP(rec, req)
	if rec.Code/100 != 2 {
		c.t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	var out map[string]any
	if rec.Code != http.StatusNoContent {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, rec.Body)
		}
	}
	c.seen[req.Pattern] = append(c.seen[req.Pattern], out)
	c.code[req.Pattern] = rec.Code
	return out
}

func sidOf(m map[string]any) string { return m["sid"].(string) }

// TestResponsesMatchSpec exercises every Conversations route with valid
// requests and checks each JSON answer's fields against the response
// schema of Twilio's OpenAPI spec, in both directions.
func TestResponsesMatchSpec(t *testing.T) {
	spec := oaicheck.MustLoad(t, "testdata/twilio_conversations_v1.trimmed.json")
	mux, e, _ := mountEngine(t)
	c := &contractClient{t: t, mux: mux, seen: map[string][]map[string]any{}, code: map[string]int{}}
	q := encodeQuery

	c.do("GET", "/v1/Configuration", nil)
	c.do("POST", "/v1/Configuration", q("DefaultClosedTimer", "PT1H"))
	c.do("GET", "/v1/Configuration/Webhooks", nil)
	c.do("POST", "/v1/Configuration/Webhooks", q("Method", "POST", "Filters", "onMessageAdded"))
	addr := sidOf(c.do("POST", "/v1/Configuration/Addresses", q("Type", "sms", "Address", "+14155550100",
		"AutoCreation.Enabled", "true", "AutoCreation.Type", "webhook", "AutoCreation.WebhookUrl", "https://example.com/hook")))
	c.do("GET", "/v1/Configuration/Addresses", nil)
	c.do("GET", "/v1/Configuration/Addresses/"+addr, nil)
	c.do("POST", "/v1/Configuration/Addresses/"+addr, q("FriendlyName", "main line"))
	c.do("DELETE", "/v1/Configuration/Addresses/"+addr, nil)

	svc := sidOf(c.do("POST", "/v1/Services", q("FriendlyName", "Brand B")))
	c.do("GET", "/v1/Services", nil)
	c.do("GET", "/v1/Services/"+svc, nil)
	c.do("GET", "/v1/Services/"+svc+"/Configuration/Webhooks", nil)
	c.do("POST", "/v1/Services/"+svc+"/Configuration/Webhooks", q("Method", "POST", "Filters", "onMessageAdded"))
	c.do("GET", "/v1/Services/"+svc+"/Configuration", nil)
	c.do("POST", "/v1/Services/"+svc+"/Configuration", q("ReachabilityEnabled", "true"))
	c.do("GET", "/v1/Services/"+svc+"/Configuration/Notifications", nil)
	c.do("POST", "/v1/Services/"+svc+"/Configuration/Notifications", q("NewMessage.Enabled", "true"))
	cred := sidOf(c.do("POST", "/v1/Credentials", q("Type", "fcm", "Secret", "s", "FriendlyName", "android")))
	c.do("GET", "/v1/Credentials", nil)
	c.do("GET", "/v1/Credentials/"+cred, nil)
	c.do("POST", "/v1/Credentials/"+cred, q("FriendlyName", "android 2"))
	c.do("DELETE", "/v1/Credentials/"+cred, nil)

	for i, pre := range []string{"/v1", "/v1/Services/" + svc} {
		proxy := "+1415555020" + strconv.Itoa(i)
		conv := sidOf(c.do("POST", pre+"/Conversations", q("FriendlyName", "Case", "Timers.Inactive", "PT5M")))
		cp := pre + "/Conversations/" + conv
		c.do("GET", pre+"/Conversations", nil)
		c.do("GET", cp, nil)
		c.do("POST", cp, q("Attributes", `{"k":1}`))
		cust := sidOf(c.do("POST", cp+"/Participants", q("MessagingBinding.Address", smsCust, "MessagingBinding.ProxyAddress", proxy)))
		c.do("POST", cp+"/Participants", q("Identity", "agent"))
		c.do("GET", cp+"/Participants", nil)
		c.do("GET", cp+"/Participants/"+cust, nil)
		c.do("POST", cp+"/Participants/"+cust, q("Attributes", `{"vip":true}`))
		msg := sidOf(c.do("POST", cp+"/Messages", q("Author", "agent", "Body", "hello")))
		c.do("GET", cp+"/Messages", nil)
		c.do("GET", cp+"/Messages/"+msg, nil)
		c.do("POST", cp+"/Messages/"+msg, q("Body", "hello!"))
		rl := c.do("GET", cp+"/Messages/"+msg+"/Receipts", nil)
		c.do("GET", cp+"/Messages/"+msg+"/Receipts/"+sidOf(rl["delivery_receipts"].([]any)[0].(map[string]any)), nil)
		hooks := []string{
			sidOf(c.do("POST", cp+"/Webhooks", q("Target", "webhook", "Configuration.Url", "https://example.com/w", "Configuration.Filters", "onMessageAdded"))),
			sidOf(c.do("POST", cp+"/Webhooks", q("Target", "studio", "Configuration.FlowSid", "FW0123456789abcdef0123456789abcdef"))),
			sidOf(c.do("POST", cp+"/Webhooks", q("Target", "trigger", "Configuration.Url", "https://example.com/t", "Configuration.Triggers", "help"))),
		}
		c.do("GET", cp+"/Webhooks", nil)
		for _, h := range hooks {
			c.do("GET", cp+"/Webhooks/"+h, nil)
		}
		c.do("POST", cp+"/Webhooks/"+hooks[0], q("Configuration.Method", "GET"))
		c.do("DELETE", cp+"/Webhooks/"+hooks[0], nil)
		c.do("POST", pre+"/ConversationWithParticipants", url.Values{"FriendlyName": {"CWP"},
			"Participant": {`{"identity":"agent"}`, `{"messaging_binding":{"address":"` + waCustomer + `","proxy_address":"whatsapp:+1415555030` + strconv.Itoa(i) + `"}}`}})
		c.do("GET", pre+"/ParticipantConversations", q("Identity", "agent"))
		c.do("GET", pre+"/ParticipantConversations", q("Address", smsCust))
		user := sidOf(c.do("POST", pre+"/Users", q("Identity", "agent", "FriendlyName", "Agent")))
		c.do("GET", pre+"/Users", nil)
		c.do("GET", pre+"/Users/"+user, nil)
		c.do("POST", pre+"/Users/"+user, q("Attributes", `{"a":1}`))
		c.do("GET", pre+"/Users/"+user+"/Conversations", nil)
		c.do("GET", pre+"/Users/agent/Conversations/"+conv, nil)
		c.do("POST", pre+"/Users/agent/Conversations/"+conv, q("LastReadMessageIndex", "0"))
		c.do("DELETE", pre+"/Users/agent/Conversations/"+conv, nil)
		role := sidOf(c.do("POST", pre+"/Roles", url.Values{"FriendlyName": {"agent"}, "Type": {"conversation"}, "Permission": {"sendMessage"}}))
		c.do("GET", pre+"/Roles", nil)
		c.do("GET", pre+"/Roles/"+role, nil)
		c.do("POST", pre+"/Roles/"+role, url.Values{"Permission": {"sendMessage", "leaveConversation"}})
		c.do("DELETE", pre+"/Roles/"+role, nil)
		c.do("DELETE", pre+"/Users/"+user, nil)
		c.do("DELETE", cp+"/Messages/"+msg, nil)
		c.do("DELETE", cp+"/Participants/"+cust, nil)
		c.do("DELETE", cp, nil)
	}
	// Bindings: the list is the only 2xx answer (no push binding ever exists).
	e.directory() // the service still exists here
	c.do("GET", "/v1/Services/"+svc+"/Bindings", nil)
	c.do("DELETE", "/v1/Services/"+svc, nil)

	var problems []string
	for pattern, answers := range c.seen {
		method, path, _ := strings.Cut(pattern, " ")
		for _, body := range answers {
			if body == nil {
				if c.code[pattern] != http.StatusNoContent {
					problems = append(problems, pattern+": empty body with status "+strconv.Itoa(c.code[pattern]))
				}
				continue
			}
			schema, err := spec.Response(method, path, c.code[pattern])
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			if schema == nil {
				problems = append(problems, pattern+": a body where the spec's "+strconv.Itoa(c.code[pattern])+" answer has none")
				continue
			}
			// A list must have an item for its item schema to be checked
			// (Bindings excepted: no push binding ever exists here).
			chk := &oaicheck.Checker{Doc: spec, RequireItems: path != "/v1/Services/{ChatServiceSid}/Bindings"}
			for _, p := range chk.Check(pattern, body, schema) {
				if !knownNull(p) {
					problems = append(problems, p)
				}
			}
		}
	}
	// Every route was exercised, except those that cannot answer 2xx here.
	unreachable := map[string]bool{
		"GET /v1/Services/{ChatServiceSid}/Bindings/{Sid}":    true,
		"DELETE /v1/Services/{ChatServiceSid}/Bindings/{Sid}": true,
	}
	for _, rt := range Routes() {
		p := rt.Method + " " + rt.Path
		if _, ok := c.seen[p]; !ok && !unreachable[p] {
			problems = append(problems, p+": route not exercised by the contract test")
		}
		if spec.Operation(rt.Method, rt.Path) == nil {
			problems = append(problems, p+": route is not in the spec")
		}
	}
	t.Logf("checked %d route patterns against the spec", len(c.seen))
	sort.Strings(problems)
	for _, p := range dedupe(problems) {
		t.Error(p)
	}
}

// nullTolerated are the fields the emulator answers null although the
// spec does not make them nullable: a receipt's error_code when there is
// no error, as Twilio's own documentation examples show it.
var nullTolerated = []string{
	"/Receipts.delivery_receipts[].error_code",
	"/Receipts/{Sid}.error_code",
}

// knownNull reports whether an oaicheck violation is a null in one of the
// nullTolerated fields.
func knownNull(problem string) bool {
	where, ok := strings.CutSuffix(problem, ": null, but the spec does not make it nullable")
	if !ok {
		return false
	}
	for _, f := range nullTolerated {
		if strings.HasSuffix(where, f) {
			return true
		}
	}
	return false
}

func dedupe(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
