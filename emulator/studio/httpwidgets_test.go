package studio

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/flexemu/flexemu/emulator/cause"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/env"
	twclient "github.com/twilio/twilio-go/client"
)

// lockedFixture is a fixture whose env.Later runs reactions under mu, as
// the account does: tests drive the engine under mu too, so the answer of a
// parked HTTP widget (delivered on another goroutine) never races them.
type lockedFixture struct {
	*fixture
	mu sync.Mutex
}

func newLockedFixture(t *testing.T) *lockedFixture {
	t.Helper()
	e, clk := env.ForTest()
	lf := &lockedFixture{}
	e.Later = func(_ cause.ID, f func()) {
		lf.mu.Lock()
		defer lf.mu.Unlock()
		f()
	}
	lf.fixture = &fixture{env: e, clk: clk, flex: &fakeFlex{}, conv: &fakeConversations{}}
	lf.eng = New(e, lf.flex, lf.conv)
	t.Cleanup(func() { e.Webhooks.Close(0) })
	return lf
}

// locked runs f under the account-like lock.
func (lf *lockedFixture) locked(f func()) {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	f()
}

// settle waits until every request was answered and its reaction ran.
func (lf *lockedFixture) settle(t *testing.T) {
	t.Helper()
	for i := 0; i < 3; i++ {
		if err := lf.env.Webhooks.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
}

// hit is one request the test endpoint received.
type hit struct {
	Method, Path, Query, ContentType, Body string
	User, Pass                             string
	HasAuth, SignatureOK                   bool
}

// endpoint is a user's HTTP server: it validates X-Twilio-Signature with
// twilio-go and answers per path.
type endpoint struct {
	srv    *httptest.Server
	mu     sync.Mutex
	hits   []hit
	hook   func(path string) // runs before answering, if set
	answer map[string]func(w http.ResponseWriter)
}

func newEndpoint(t *testing.T, token string) *endpoint {
	t.Helper()
	ep := &endpoint{answer: map[string]func(http.ResponseWriter){}}
	v := twclient.NewRequestValidator(token)
	ep.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		full := ep.srv.URL + r.URL.RequestURI()
		h := hit{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, ContentType: r.Header.Get("Content-Type"),
			Body: string(body), SignatureOK: v.ValidateBody(full, body, r.Header.Get("X-Twilio-Signature"))}
		h.User, h.Pass, h.HasAuth = r.BasicAuth()
		ep.mu.Lock()
		ep.hits = append(ep.hits, h)
		hook, answer := ep.hook, ep.answer[r.URL.Path]
		ep.mu.Unlock()
		if hook != nil {
			hook(r.URL.Path)
		}
		if answer == nil {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write([]byte(`{"tier":"gold","name":"Ann","visits":3,"tags":["vip"]}`))
			return
		}
		answer(w)
	}))
	t.Cleanup(ep.srv.Close)
	return ep
}

func (ep *endpoint) got() []hit {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return append([]hit(nil), ep.hits...)
}

func answerWith(status int, contentType, body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// widgetFlow is a REST-triggered flow running one widget called fetch whose
// events both end the execution.
func widgetFlow(typ, props string) string {
	events := `[{"event":"success"},{"event":"failed"}]`
	if typ == "run-function" {
		events = `[{"event":"success"},{"event":"fail"}]`
	}
	return fmt.Sprintf(`{"initial_state":"Trigger","states":[
	 {"name":"Trigger","type":"trigger","transitions":[{"event":"incomingRequest","next":"fetch"}]},
	 {"name":"fetch","type":%q,"transitions":%s,"properties":%s}]}`, typ, events, props)
}

func widgetOut(ex *Execution, name string) map[string]any { return widgetOutIn(ex.Context(), name) }

func widgetOutIn(ctx map[string]any, name string) map[string]any {
	out, _ := ctx["widgets"].(map[string]any)[name].(map[string]any)
	return out
}

func TestHTTPWidgets(t *testing.T) {
	parsed := map[string]any{"tier": "gold", "name": "Ann", "visits": 3.0, "tags": []any{"vip"}}
	jsonCT := "application/json; charset=utf-8"
	tests := []struct {
		name       string
		typ        string
		props      string // {{.}} is replaced by the endpoint URL
		answers    map[string]func(http.ResponseWriter)
		wantEvent  string
		wantHit    *hit // nil: no request at all
		wantOut    map[string]any
		wantFailed bool // a widget.failed timeline entry
	}{
		{name: "GET with Liquid in the URL", typ: "make-http-request",
			props:     `{"method":"GET","url":"{{.}}/customers/{{flow.data.id}}?date={{ 'now' | date: '%F' }}","content_type":"application/x-www-form-urlencoded;charset=utf-8","parameters":[{"key":"who","value":"{{flow.data.name}}"}]}`,
			wantEvent: "success",
			wantHit:   &hit{Method: "GET", Path: "/customers/42", Query: "date=2026-01-05&who=Zo%C3%AB+%26+co"},
			wantOut:   map[string]any{"status_code": 200, "body": `{"tier":"gold","name":"Ann","visits":3,"tags":["vip"]}`, "content_type": jsonCT, "parsed": parsed}},
		{name: "form POST with parameters", typ: "make-http-request",
			props:     `{"method":"POST","url":"{{.}}/form","content_type":"application/x-www-form-urlencoded;charset=utf-8","parameters":[{"key":"name","value":"{{flow.data.name}}"},{"key":"id","value":"{{flow.data.id}}"}]}`,
			answers:   map[string]func(http.ResponseWriter){"/form": answerWith(201, "text/plain", "created")},
			wantEvent: "success",
			wantHit:   &hit{Method: "POST", Path: "/form", ContentType: "application/x-www-form-urlencoded; charset=UTF-8", Body: "id=42&name=Zo%C3%AB+%26+co"},
			wantOut:   map[string]any{"status_code": 201, "body": "created", "content_type": "text/plain"}},
		{name: "JSON POST with body, bodySHA256 signature", typ: "make-http-request",
			props:     `{"method":"POST","url":"{{.}}/json?src=studio","content_type":"application/json;charset=utf-8","body":"{\"name\": \"{{flow.data.name}}\", \"id\": {{flow.data.id}}}","parameters":[{"key":"ignored","value":"x"}]}`,
			wantEvent: "success",
			wantHit:   &hit{Method: "POST", Path: "/json", Query: "src=studio&bodySHA256={{sha}}", ContentType: "application/json;charset=utf-8", Body: `{"name": "Zoë & co", "id": 42}`},
			wantOut:   map[string]any{"status_code": 200, "body": `{"tier":"gold","name":"Ann","visits":3,"tags":["vip"]}`, "content_type": jsonCT, "parsed": parsed}},
		{name: "add_twilio_auth", typ: "make-http-request",
			props:     `{"method":"POST","url":"{{.}}/auth","content_type":"application/json;charset=utf-8","body":"{}","add_twilio_auth":true}`,
			answers:   map[string]func(http.ResponseWriter){"/auth": answerWith(204, "", "")},
			wantEvent: "success",
			wantHit: &hit{Method: "POST", Path: "/auth", Query: "bodySHA256={{sha}}", ContentType: "application/json;charset=utf-8", Body: "{}",
				User: "AC00000000000000000000000000000000", Pass: "0123456789abcdef0123456789abcdef", HasAuth: true},
			wantOut: map[string]any{"status_code": 204, "body": "", "content_type": ""}},
		{name: "500 takes failed, outputs kept", typ: "make-http-request",
			props:     `{"method":"GET","url":"{{.}}/boom","content_type":"application/json;charset=utf-8"}`,
			answers:   map[string]func(http.ResponseWriter){"/boom": answerWith(500, "application/json", `{"error":"boom"}`)},
			wantEvent: "failed", wantFailed: true,
			wantHit: &hit{Method: "GET", Path: "/boom"},
			wantOut: map[string]any{"status_code": 500, "body": `{"error":"boom"}`, "content_type": "application/json", "parsed": map[string]any{"error": "boom"}}},
		{name: "JSON array is not parsed", typ: "make-http-request",
			props:     `{"method":"GET","url":"{{.}}/list"}`,
			answers:   map[string]func(http.ResponseWriter){"/list": answerWith(200, "application/json", `[1,2]`)},
			wantEvent: "success",
			wantHit:   &hit{Method: "GET", Path: "/list"},
			wantOut:   map[string]any{"status_code": 200, "body": `[1,2]`, "content_type": "application/json"}},
		{name: "answer over 64 kB takes failed", typ: "make-http-request",
			props:     `{"method":"GET","url":"{{.}}/big"}`,
			answers:   map[string]func(http.ResponseWriter){"/big": answerWith(200, "text/plain", strings.Repeat("x", 64<<10+1))},
			wantEvent: "failed", wantFailed: true,
			wantHit: &hit{Method: "GET", Path: "/big"},
			wantOut: map[string]any{"status_code": 200, "body": strings.Repeat("x", 64<<10), "content_type": "text/plain"}},
		{name: "unreachable takes failed", typ: "make-http-request",
			props:     `{"method":"GET","url":"http://127.0.0.1:1/nothing"}`,
			wantEvent: "failed", wantFailed: true, wantOut: map[string]any{}},
		{name: "URL not absolute after rendering fails at once", typ: "make-http-request",
			props:     `{"method":"GET","url":"{{flow.data.missing}}/x"}`,
			wantEvent: "failed", wantFailed: true},
		{name: "Liquid method that is not GET/POST fails at once", typ: "make-http-request",
			props:     `{"method":"{{flow.data.name}}","url":"{{.}}/x"}`,
			wantEvent: "failed", wantFailed: true},
		{name: "run-function success", typ: "run-function",
			props:     `{"service_sid":"ZS00000000000000000000000000000001","function_sid":"ZH00000000000000000000000000000001","url":"{{.}}/fn","parameters":[{"key":"name","value":"{{flow.data.name}}"}]}`,
			wantEvent: "success",
			wantHit:   &hit{Method: "POST", Path: "/fn", ContentType: "application/x-www-form-urlencoded; charset=UTF-8", Body: "name=Zo%C3%AB+%26+co"},
			wantOut:   map[string]any{"status_code": 200, "body": `{"tier":"gold","name":"Ann","visits":3,"tags":["vip"]}`, "content_type": jsonCT, "parsed": parsed}},
		{name: "run-function error takes fail", typ: "run-function",
			props:     `{"url":"{{.}}/fn-error"}`,
			answers:   map[string]func(http.ResponseWriter){"/fn-error": answerWith(400, "text/plain", "bad")},
			wantEvent: "fail", wantFailed: true,
			wantHit: &hit{Method: "POST", Path: "/fn-error", ContentType: "application/x-www-form-urlencoded; charset=UTF-8"},
			wantOut: map[string]any{"status_code": 400, "body": "bad", "content_type": "text/plain"}},
		{name: "run-function without url fails at once", typ: "run-function",
			props:     `{"function_sid":"ZH00000000000000000000000000000001"}`,
			wantEvent: "fail", wantFailed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lf := newLockedFixture(t)
			ep := newEndpoint(t, lf.env.AuthToken)
			for p, a := range tt.answers {
				ep.answer[p] = a
			}
			var ex *Execution
			var trailAtStart string
			lf.locked(func() {
				fl := lf.publish(t, widgetFlow(tt.typ, strings.ReplaceAll(tt.props, "{{.}}", ep.srv.URL)))
				var err error
				ex, err = lf.eng.CreateExecution(fl.SID, CreateExecutionParams{To: customer, From: proxy,
					Parameters: map[string]any{"id": 42.0, "name": "Zoë & co"}})
				if err != nil {
					t.Fatal(err)
				}
				trailAtStart = stepTrail(ex)
			})
			lf.settle(t)
			lf.mu.Lock()
			defer lf.mu.Unlock()

			want := "Trigger -incomingRequest-> fetch\nfetch -" + tt.wantEvent + "-> Ended"
			if got := stepTrail(ex); got != want || ex.Status != ExecutionEnded {
				t.Errorf("steps:\n%s\nwant:\n%s (status %s)", got, want, ex.Status)
			}
			if tt.wantHit != nil && trailAtStart != "Trigger -incomingRequest-> fetch" {
				t.Errorf("execution did not park for the request: %s", trailAtStart)
			}
			hits := ep.got()
			switch {
			case tt.wantHit == nil && len(hits) != 0:
				t.Errorf("unexpected requests %+v", hits)
			case tt.wantHit != nil && len(hits) != 1:
				t.Fatalf("requests = %+v, want 1", hits)
			case tt.wantHit != nil:
				h := hits[0]
				if !h.SignatureOK {
					t.Errorf("X-Twilio-Signature does not validate (twilio-go ValidateBody): %+v", h)
				}
				sum := sha256.Sum256([]byte(h.Body))
				wantHit := *tt.wantHit
				wantHit.Query = strings.ReplaceAll(wantHit.Query, "{{sha}}", hex.EncodeToString(sum[:]))
				h.SignatureOK = false
				if h != wantHit {
					t.Errorf("request = %+v\nwant      %+v", h, wantHit)
				}
			}
			if out := widgetOut(ex, "fetch"); tt.wantOut != nil && !reflect.DeepEqual(out, tt.wantOut) {
				t.Errorf("widgets.fetch = %#v\nwant %#v", out, tt.wantOut)
			}
			types := timelineTypes(lf.env)
			if containsString(types, "widget.failed") != tt.wantFailed {
				t.Errorf("widget.failed recorded = %v, want %v (%v)", !tt.wantFailed, tt.wantFailed, types)
			}
			if tt.wantHit != nil || tt.name == "unreachable takes failed" {
				var webhookEntries int
				for _, en := range lf.env.Timeline.Since(0) {
					if en.Type == tt.typ && en.Product == "studio" && en.Refs["execution_sid"] == ex.SID && en.Refs["widget"] == "fetch" {
						webhookEntries++
					}
				}
				if webhookEntries != 1 || !containsString(types, "execution.waiting") {
					t.Errorf("timeline: %d %s delivery entries, types %v", webhookEntries, tt.typ, types)
				}
			}
		})
	}
}

// A response's parsed JSON feeds a later split and Send to Flex attributes;
// a customer message while the request is outstanding is ignored.
func TestHTTPParsedFeedsSplitAndSendToFlex(t *testing.T) {
	def := `{"initial_state":"Trigger","states":[
	 {"name":"Trigger","type":"trigger","transitions":[{"event":"incomingConversationMessage","next":"fetch"}]},
	 {"name":"fetch","type":"make-http-request","transitions":[{"event":"success","next":"split"},{"event":"failed"}],
	  "properties":{"method":"GET","url":"{{.}}/customers?phone={{trigger.conversation.Author | url_encode}}","content_type":"application/x-www-form-urlencoded;charset=utf-8"}},
	 {"name":"split","type":"split-based-on","transitions":[{"event":"noMatch"},
	   {"event":"match","next":"to_flex","conditions":[{"friendly_name":"gold","arguments":["{{widgets.fetch.parsed.tier}}"],"type":"equal_to","value":"gold"}]}],
	  "properties":{"input":"{{widgets.fetch.parsed.tier}}"}},
	 {"name":"to_flex","type":"send-to-flex","transitions":[{"event":"callComplete"},{"event":"failedToEnqueue"}],
	  "properties":{"workflow":"WW00000000000000000000000000000001","channel":"TC00000000000000000000000000000001",
	   "attributes":"{\"tier\": \"{{widgets.fetch.parsed.tier}}\", \"status\": {{widgets.fetch.status_code}}, \"customer\": {{widgets.fetch.parsed | to_json}}, \"first_tag\": \"{{widgets.fetch.parsed.tags[0]}}\"}"}}]}`
	lf := newLockedFixture(t)
	ep := newEndpoint(t, lf.env.AuthToken)
	release := make(chan struct{})
	ep.hook = func(string) { <-release }
	var flowSID string
	lf.locked(func() {
		flowSID = lf.publish(t, strings.ReplaceAll(def, "{{.}}", ep.srv.URL)).SID
		lf.send(t, flowSID, "hi")
		lf.send(t, flowSID, "hello?") // while fetch is outstanding
		ex := lf.onlyExecution(t, flowSID)
		if ex.Status != ExecutionActive || len(ex.Steps) != 1 || !containsString(timelineTypes(lf.env), "message.ignored") {
			t.Errorf("while waiting: status %s, steps %d, timeline %v", ex.Status, len(ex.Steps), timelineTypes(lf.env))
		}
	})
	close(release)
	lf.settle(t)
	lf.mu.Lock()
	defer lf.mu.Unlock()
	ex := lf.onlyExecution(t, flowSID)
	want := "Trigger -incomingConversationMessage-> fetch\nfetch -success-> split\nsplit -match-> to_flex\nto_flex -callComplete-> Ended"
	if got := stepTrail(ex); got != want {
		t.Errorf("steps:\n%s\nwant:\n%s", got, want)
	}
	if hits := ep.got(); len(hits) != 1 || hits[0].Query != "phone="+url.QueryEscape(customer) {
		t.Errorf("requests = %+v", hits)
	}
	if len(lf.flex.calls) != 1 {
		t.Fatalf("flex calls = %d", len(lf.flex.calls))
	}
	var attrs map[string]any
	if err := json.Unmarshal([]byte(lf.flex.calls[0].Attributes), &attrs); err != nil {
		t.Fatalf("attributes %q: %v", lf.flex.calls[0].Attributes, err)
	}
	wantAttrs := map[string]any{"tier": "gold", "status": 200.0, "first_tag": "vip",
		"customer": map[string]any{"tier": "gold", "name": "Ann", "visits": 3.0, "tags": []any{"vip"}}}
	if !reflect.DeepEqual(attrs, wantAttrs) {
		t.Errorf("attributes = %v\nwant %v", attrs, wantAttrs)
	}
	// The step that left fetch snapshots its outputs.
	if st := ex.Steps[1]; widgetOutIn(st.Context(), "fetch")["status_code"] != 200 {
		t.Errorf("step context = %v", st.Context()["widgets"])
	}
}

// The endpoint calls back into the engine (as a handler calling the REST
// API would) while the request that started the execution still holds the
// lock: it must not deadlock, because the engine never waits on HTTP.
func TestHTTPRequestNeverBlocksUnderTheLock(t *testing.T) {
	lf := newLockedFixture(t)
	ep := newEndpoint(t, lf.env.AuthToken)
	var seenStatus string
	ep.hook = func(string) {
		lf.locked(func() {
			exs, _ := lf.eng.ListExecutions(lf.eng.flowOrder[0], ListExecutionsParams{})
			seenStatus = exs[0].Status
		})
	}
	var ex *Execution
	lf.locked(func() {
		fl := lf.publish(t, widgetFlow("make-http-request", `{"method":"GET","url":"`+ep.srv.URL+`/x"}`))
		var err error
		if ex, err = lf.eng.CreateExecution(fl.SID, CreateExecutionParams{To: customer, From: proxy}); err != nil {
			t.Fatal(err)
		}
	})
	start := time.Now()
	lf.settle(t)
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if seenStatus != ExecutionActive || !strings.HasSuffix(stepTrail(ex), "fetch -success-> Ended") {
		t.Errorf("callback saw %q; steps %s", seenStatus, stepTrail(ex))
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v: the request waited on the lock", time.Since(start))
	}
}

// An execution ended or deleted while its request is outstanding ignores
// the answer.
func TestHTTPAnswerAfterEndIsIgnored(t *testing.T) {
	for _, how := range []string{"ended", "deleted"} {
		t.Run(how, func(t *testing.T) {
			lf := newLockedFixture(t)
			ep := newEndpoint(t, lf.env.AuthToken)
			release := make(chan struct{})
			ep.hook = func(string) { <-release }
			var ex *Execution
			lf.locked(func() {
				fl := lf.publish(t, widgetFlow("make-http-request", `{"method":"GET","url":"`+ep.srv.URL+`/x"}`))
				var err error
				if ex, err = lf.eng.CreateExecution(fl.SID, CreateExecutionParams{To: customer, From: proxy}); err != nil {
					t.Fatal(err)
				}
				if how == "ended" {
					_, err = lf.eng.UpdateExecution(fl.SID, ex.SID, ExecutionEnded)
				} else {
					err = lf.eng.DeleteExecution(fl.SID, ex.SID)
				}
				if err != nil {
					t.Fatal(err)
				}
			})
			close(release)
			lf.settle(t)
			lf.mu.Lock()
			defer lf.mu.Unlock()
			wantStatus := ExecutionEnded
			if how == "deleted" {
				wantStatus = ExecutionActive // gone from the engine, left as it was
				if _, ok := lf.eng.executions[ex.SID]; ok {
					t.Error("execution still stored")
				}
			}
			if len(ex.Steps) != 1 || ex.Status != wantStatus || widgetOut(ex, "fetch") != nil {
				t.Errorf("answer applied after %s: steps %s, outputs %v", how, stepTrail(ex), widgetOut(ex, "fetch"))
			}
			if len(ep.got()) != 1 {
				t.Errorf("requests = %d", len(ep.got()))
			}
		})
	}
}

func TestHTTPWidgetDefinitionChecks(t *testing.T) {
	tests := []struct {
		name, typ, props, wantPath string
	}{
		{"method PUT", "make-http-request", `{"method":"PUT","url":"https://x"}`, "#/states/1/properties/method"},
		{"content type xml", "make-http-request", `{"method":"POST","url":"https://x","content_type":"text/xml"}`, "#/states/1/properties/content_type"},
		{"parameters not an array", "run-function", `{"url":"https://x","parameters":{"a":"b"}}`, "#/states/1/properties/parameters"},
		{"parameter without key", "make-http-request", `{"url":"https://x","parameters":[{"value":"b"}]}`, "#/states/1/properties/parameters/0/key"},
		{"no url", "make-http-request", `{"method":"GET"}`, "#/states/1/properties/url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDefinition(widgetFlow(tt.typ, tt.props))
			ide, ok := err.(*InvalidDefinitionError)
			if !ok || len(ide.Errors) != 1 || ide.Errors[0].PropertyPath != tt.wantPath {
				t.Errorf("err = %v, want one error at %s", err, tt.wantPath)
			}
		})
	}
	for _, props := range []string{
		`{"method":"post","url":"https://x","content_type":"application/json"}`,
		`{"method":"{{flow.data.m}}","url":"https://x","content_type":"{{flow.data.ct}}"}`,
		`{"url":"https://x","parameters":[]}`,
	} {
		if _, err := ParseDefinition(widgetFlow("make-http-request", props)); err != nil {
			t.Errorf("%s: %v", props, err)
		}
	}
}
