package conversations

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twilio/twilio-go/client"

	"github.com/flexemu/flexemu/emulator/webhook"
)

// TestAgentReply: a Flex agent's reply (SDK origin, authored by the agent's
// identity) is recorded, fires the post-events, and is what MessagesSince
// hands a terminal client waiting for replies.
func TestAgentReply(t *testing.T) {
	e, ev := newTestEngine(t)
	rc := newReceiver(t, ev.AuthToken)
	if _, err := e.UpdateWebhookConfiguration(UpdateWebhookConfigurationParams{PostWebhookURL: ptr(rc.URL + "/post"),
		Filters: []string{"onMessageAdded"}}); err != nil {
		t.Fatal(err)
	}
	mustAddress(t, e, CreateAddressConfigurationParams{Type: "whatsapp", Address: waProxy, AutoCreation: defaultAutoCreation()})
	in, err := e.Inbound(InboundParams{From: waCustomer, To: waProxy, Body: "help"})
	if err != nil {
		t.Fatal(err)
	}
	sid := in.Conversation.SID
	agent, err := e.AddParticipant(sid, CreateParticipantParams{Identity: "alice", Origin: Origin{Source: SourceAPI, WebhookEnabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := e.AddMessage(sid, CreateMessageParams{Author: "alice", Body: "Hi, I'm Alice", Origin: Origin{Source: SourceSDK, ClientIdentity: "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	if reply.ParticipantSID != agent.SID || reply.Index != 1 || reply.Delivery == nil || reply.Delivery.Total != 1 {
		t.Errorf("agent reply %+v", reply)
	}
	// A REST reply without X-Twilio-Webhook-Enabled is recorded but fires nothing, as on Twilio.
	if _, err := e.AddMessage(sid, CreateMessageParams{Author: "alice", Body: "quiet"}); err != nil {
		t.Fatal(err)
	}
	_ = ev.Webhooks.Wait(t.Context())
	hooks := rc.at("/post")
	if len(hooks) != 2 {
		t.Fatalf("%d onMessageAdded, want the customer's and the SDK reply", len(hooks))
	}
	h := hooks[1].Params
	if h["Author"] != "alice" || h["Source"] != "SDK" || h["ClientIdentity"] != "alice" || h["ParticipantSid"] != agent.SID ||
		h["Index"] != "1" || !hooks[1].SignatureOK {
		t.Errorf("reply onMessageAdded %v", h)
	}
	if _, ok := hooks[0].Params["ClientIdentity"]; ok {
		t.Errorf("channel message carries ClientIdentity: %v", hooks[0].Params)
	}

	since, err := e.MessagesSince(sid, in.Message.Index+1)
	if err != nil || len(since) != 2 || since[0].Body != "Hi, I'm Alice" || since[1].Body != "quiet" {
		t.Fatalf("MessagesSince = %+v, %v", since, err)
	}
	if all, _ := e.MessagesSince(sid, 0); len(all) != 3 {
		t.Errorf("MessagesSince(0) = %d messages", len(all))
	}
	if none, _ := e.MessagesSince(sid, 99); len(none) != 0 {
		t.Errorf("MessagesSince(99) = %+v", none)
	}
	if _, err := e.MessagesSince("CH00000000000000000000000000000000", 0); err == nil {
		t.Error("MessagesSince of an unknown conversation")
	}
}

// TestAPITimersAndServiceWebhooks covers the wire forms: Timers.* on create
// and update rendered as timers.date_inactive/date_closed, and the
// per-service webhook configuration resource.
func TestAPITimersAndServiceWebhooks(t *testing.T) {
	srv, e, ev := apiServer(t)
	now := ev.Now()
	conv := mustCall(t, srv, 201, "POST", "/v1/Conversations", encodeQuery("Timers.Inactive", "PT5M", "Timers.Closed", "PT1H"))
	timers := conv["timers"].(map[string]any)
	if timers["date_inactive"] != now.Add(5*time.Minute).Format(time.RFC3339) || timers["date_closed"] != now.Add(time.Hour).Format(time.RFC3339) {
		t.Errorf("timers %v", timers)
	}
	sid := conv["sid"].(string)
	upd := mustCall(t, srv, 200, "POST", "/v1/Conversations/"+sid, encodeQuery("State", "closed"))
	if len(upd["timers"].(map[string]any)) != 0 {
		t.Errorf("closed conversation timers %v", upd["timers"])
	}
	if status, body := call(t, srv, "POST", "/v1/Conversations", encodeQuery("Timers.Closed", "PT5M")); status != 400 ||
		!strings.Contains(body["message"].(string), "Timers.Closed") {
		t.Errorf("short closed timer: %d %v", status, body)
	}
	if status, _ := call(t, srv, "POST", "/v1/Conversations", encodeQuery("Timers.Inactive", "soon")); status != 400 {
		t.Errorf("bad duration: %d", status)
	}
	if plain := mustCall(t, srv, 201, "POST", "/v1/Conversations", nil); len(plain["timers"].(map[string]any)) != 0 {
		t.Errorf("no timers: %v", plain["timers"])
	}

	is := e.DefaultServiceSID()
	path := "/v1/Services/" + is + "/Configuration/Webhooks"
	empty := mustCall(t, srv, 200, "GET", path, nil)
	if empty["pre_webhook_url"] != nil || empty["method"] != "POST" || empty["filters"] != nil || empty["chat_service_sid"] != is ||
		!strings.HasSuffix(empty["url"].(string), path) {
		t.Errorf("empty service webhooks %v", empty)
	}
	form := encodeQuery("PreWebhookUrl", "https://example.com/pre", "PostWebhookUrl", "https://example.com/post",
		"Filters", "onMessageAdd", "Filters", "onMessageAdded", "Method", "GET")
	got := mustCall(t, srv, 200, "POST", path, form)
	if got["pre_webhook_url"] != "https://example.com/pre" || got["method"] != "GET" || len(got["filters"].([]any)) != 2 {
		t.Errorf("service webhooks %v", got)
	}
	if status, _ := call(t, srv, "POST", path, encodeQuery("PostWebhookUrl", "not a url")); status != 400 {
		t.Errorf("bad URL: %d", status)
	}
	mustCall(t, srv, 404, "GET", "/v1/Services/IS00000000000000000000000000000000/Configuration/Webhooks", nil)
}

// TestScopedWebhookRetryCount: a scoped webhook answering 500 is retried
// with RetryCount counting the attempts, each attempt re-signed.
func TestScopedWebhookRetryCount(t *testing.T) {
	e, ev := newTestEngine(t)
	ev.Webhooks.SetPolicy(webhook.Policy{Timeout: time.Second, MaxAttempts: 3})
	validator := client.NewRequestValidator(ev.AuthToken)
	var mu sync.Mutex
	var counts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		params := map[string]string{}
		for k := range r.PostForm {
			params[k] = r.PostForm.Get(k)
		}
		ok := validator.Validate("http://"+r.Host+r.URL.RequestURI(), params, r.Header.Get("X-Twilio-Signature"))
		mu.Lock()
		defer mu.Unlock()
		counts = append(counts, r.PostForm.Get("RetryCount")+map[bool]string{true: "", false: "!sig"}[ok])
		if len(counts) < 3 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	mustAddress(t, e, CreateAddressConfigurationParams{Type: "sms", Address: smsProxy, AutoCreation: AutoCreationParams{
		Enabled: ptr(true), Type: ptr("webhook"), WebhookURL: ptr(srv.URL + "/bot?x=1"), WebhookFilters: []string{"onMessageAdded"}}})
	if _, err := e.Inbound(InboundParams{From: smsCust, To: smsProxy, Body: "hi"}); err != nil {
		t.Fatal(err)
	}
	_ = ev.Webhooks.Wait(t.Context())
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(counts, ",") != "0,1,2" {
		t.Errorf("scoped webhook attempts carried RetryCount %v, want 0,1,2 with valid signatures", counts)
	}
}
