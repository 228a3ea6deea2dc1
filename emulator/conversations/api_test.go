package conversations

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator/env"
	"github.com/flexemu/flexemu/emulator/twilio/twiliotest"
)

// apiServer serves Routes on one engine with a trivial binder (a mutex, as
// the account would hold).
func apiServer(t *testing.T) (*httptest.Server, *Engine, env.Env) {
	t.Helper()
	mux, e, ev := mountEngine(t)
	// The emulator serves each product under its prefix; Mount's patterns are Twilio's own paths.
	srv := httptest.NewServer(http.StripPrefix("/"+Product.Prefix, mux))
	t.Cleanup(srv.Close)
	return srv, e, ev
}

// mountEngine mounts Routes on a fresh engine with a trivial binder (a
// mutex, as the account would hold).
func mountEngine(t *testing.T) (*http.ServeMux, *Engine, env.Env) {
	t.Helper()
	e, ev := newTestEngine(t)
	mux := http.NewServeMux()
	twiliotest.Mount(mux, Product, e, Routes())
	return mux, e, ev
}

// call makes a request against the emulator's path prefix and decodes the JSON answer.
func call(t *testing.T, srv *httptest.Server, method, path string, form url.Values, header ...string) (int, map[string]any) {
	t.Helper()
	var body io.Reader
	target := srv.URL + "/conversations" + path
	if method == "GET" && form != nil {
		target += "?" + form.Encode()
	} else if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: bad JSON %q", method, path, raw)
		}
	}
	return resp.StatusCode, out
}

func mustCall(t *testing.T, srv *httptest.Server, want int, method, path string, form url.Values, header ...string) map[string]any {
	t.Helper()
	status, out := call(t, srv, method, path, form, header...)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d: %v", method, path, status, want, out)
	}
	return out
}

func keysOf(m any) []string {
	var out []string
	for k := range m.(map[string]any) {
		out = append(out, k)
	}
	return sortStrings(out)
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

func TestAPIAddressConfigurations(t *testing.T) {
	srv, e, _ := apiServer(t)
	base := srv.URL + "/conversations"
	created := mustCall(t, srv, 201, "POST", "/v1/Configuration/Addresses", encodeQuery(
		"Type", "whatsapp", "Address", waProxy, "FriendlyName", "WA", "AutoCreation.Enabled", "true",
		"AutoCreation.Type", "webhook", "AutoCreation.ConversationServiceSid", e.DefaultServiceSID(),
		"AutoCreation.WebhookUrl", "https://bot.example.com/conv", "AutoCreation.WebhookMethod", "post",
		"AutoCreation.WebhookFilters", "onParticipantAdded", "AutoCreation.WebhookFilters", "onMessageAdded"))
	sid := created["sid"].(string)
	if got, want := keysOf(created["auto_creation"]), []string{"conversation_service_sid", "enabled", "type",
		"webhook_filters", "webhook_method", "webhook_url"}; !reflect.DeepEqual(got, want) {
		t.Errorf("auto_creation keys %v, want %v", got, want)
	}
	ac := created["auto_creation"].(map[string]any)
	if ac["webhook_method"] != "POST" || !reflect.DeepEqual(ac["webhook_filters"], []any{"onParticipantAdded", "onMessageAdded"}) {
		t.Errorf("auto_creation %v", ac)
	}
	if created["url"] != base+"/v1/Configuration/Addresses/"+sid || created["address_country"] != nil || created["type"] != "whatsapp" {
		t.Errorf("created %v", created)
	}

	// Fetch by the URL-encoded address.
	got := mustCall(t, srv, 200, "GET", "/v1/Configuration/Addresses/"+url.PathEscape(waProxy), nil)
	if got["sid"] != sid {
		t.Errorf("fetch by address: %v", got)
	}
	got = mustCall(t, srv, 200, "GET", "/v1/Configuration/Addresses/whatsapp%3A%2B14155238886", nil)
	if got["sid"] != sid {
		t.Errorf("fetch by %%-encoded address: %v", got)
	}

	// Second configuration for the same address: 409 with a clear message.
	status, errBody := call(t, srv, "POST", "/v1/Configuration/Addresses", encodeQuery("Type", "whatsapp", "Address", waProxy))
	if status != 409 || !strings.Contains(errBody["message"].(string), waProxy) {
		t.Errorf("duplicate: %d %v", status, errBody)
	}
	// Validation errors name the parameter.
	status, errBody = call(t, srv, "POST", "/v1/Configuration/Addresses", encodeQuery("Type", "sms", "Address", smsProxy,
		"AutoCreation.Type", "studio"))
	if status != 400 || errBody["code"] != float64(20001) || !strings.Contains(errBody["message"].(string), "AutoCreation.StudioFlowSid") {
		t.Errorf("validation: %d %v", status, errBody)
	}

	// Update to studio: auto_creation shows only studio keys.
	up := mustCall(t, srv, 200, "POST", "/v1/Configuration/Addresses/"+sid, encodeQuery("AutoCreation.Type", "studio",
		"AutoCreation.StudioFlowSid", "FW0123456789abcdef0123456789abcdef", "AutoCreation.StudioRetryCount", "3"))
	if got, want := keysOf(up["auto_creation"]), []string{"conversation_service_sid", "enabled", "studio_flow_sid",
		"studio_retry_count", "type"}; !reflect.DeepEqual(got, want) {
		t.Errorf("studio auto_creation keys %v, want %v", got, want)
	}

	mustCall(t, srv, 201, "POST", "/v1/Configuration/Addresses", encodeQuery("Type", "sms", "Address", smsProxy,
		"AutoCreation.Enabled", "true", "AutoCreation.Type", "default"))
	list := mustCall(t, srv, 200, "GET", "/v1/Configuration/Addresses", encodeQuery("Type", "sms"))
	items := list["address_configurations"].([]any)
	if len(items) != 1 || list["meta"].(map[string]any)["key"] != "address_configurations" {
		t.Fatalf("list Type=sms: %v", list)
	}
	if got := keysOf(items[0].(map[string]any)["auto_creation"]); !reflect.DeepEqual(got, []string{"enabled", "type"}) {
		t.Errorf("default auto_creation keys %v", got)
	}

	mustCall(t, srv, 204, "DELETE", "/v1/Configuration/Addresses/"+url.PathEscape(waProxy), nil)
	mustCall(t, srv, 404, "GET", "/v1/Configuration/Addresses/"+sid, nil)
}

func TestAPIConversationLifecycle(t *testing.T) {
	srv, e, ev := apiServer(t)
	base := srv.URL + "/conversations"
	rc := newReceiver(t, ev.AuthToken)
	mustCall(t, srv, 200, "POST", "/v1/Configuration/Webhooks", encodeQuery("PostWebhookUrl", rc.URL+"/post",
		"Filters", "onConversationAdded", "Filters", "onMessageAdded", "Method", "POST"))

	conv := mustCall(t, srv, 201, "POST", "/v1/Conversations", encodeQuery("FriendlyName", "Support", "UniqueName", "case-1",
		"Attributes", `{"topic":"feedback"}`), "X-Twilio-Webhook-Enabled", "true")
	sid := conv["sid"].(string)
	if conv["chat_service_sid"] != e.DefaultServiceSID() || conv["state"] != "active" || conv["attributes"] != `{"topic":"feedback"}` ||
		conv["url"] != base+"/v1/Conversations/"+sid || conv["links"].(map[string]any)["messages"] != base+"/v1/Conversations/"+sid+"/Messages" {
		t.Errorf("conversation %v", conv)
	}
	if got := mustCall(t, srv, 200, "GET", "/v1/Conversations/case-1", nil); got["sid"] != sid {
		t.Errorf("fetch by unique name: %v", got)
	}
	status, errBody := call(t, srv, "POST", "/v1/Conversations", encodeQuery("UniqueName", "case-1"))
	if status != 409 || errBody["code"] != float64(CodeUniqueNameExists) {
		t.Errorf("unique name conflict: %d %v", status, errBody)
	}
	status, errBody = call(t, srv, "POST", "/v1/Conversations/"+sid, encodeQuery("Attributes", "{not json"))
	if status != 400 || !strings.Contains(errBody["message"].(string), "Attributes") {
		t.Errorf("bad attributes: %d %v", status, errBody)
	}
	status, errBody = call(t, srv, "GET", "/v1/Conversations/CH00000000000000000000000000000000", nil)
	if status != 404 || errBody["code"] != float64(20404) || errBody["more_info"] != "https://www.twilio.com/docs/errors/20404" {
		t.Errorf("unknown conversation: %d %v", status, errBody)
	}

	part := mustCall(t, srv, 201, "POST", "/v1/Conversations/"+sid+"/Participants", encodeQuery(
		"MessagingBinding.Address", waCustomer, "MessagingBinding.ProxyAddress", waProxy))
	if b := part["messaging_binding"].(map[string]any); b["type"] != "whatsapp" || b["address"] != waCustomer || part["identity"] != nil {
		t.Errorf("participant %v", part)
	}
	if _, ok := part["chat_service_sid"]; ok {
		t.Error("default-service participant has chat_service_sid")
	}
	agent := mustCall(t, srv, 201, "POST", "/v1/Conversations/"+sid+"/Participants", encodeQuery("Identity", "agent"))
	if agent["messaging_binding"] != nil || agent["identity"] != "agent" {
		t.Errorf("chat participant %v", agent)
	}
	status, errBody = call(t, srv, "POST", "/v1/Conversations/"+sid+"/Participants", encodeQuery("Identity", "agent"))
	if status != 409 || errBody["code"] != float64(50433) {
		t.Errorf("duplicate identity: %d %v", status, errBody)
	}

	// Messages: REST without the header fires nothing; with it, onMessageAdded.
	m0 := mustCall(t, srv, 201, "POST", "/v1/Conversations/"+sid+"/Messages", encodeQuery("Body", "hello", "Author", "agent"))
	m1 := mustCall(t, srv, 201, "POST", "/v1/Conversations/"+sid+"/Messages", encodeQuery("Body", "hi"), "X-Twilio-Webhook-Enabled", "true")
	if m0["index"] != float64(0) || m0["participant_sid"] != agent["sid"] || m1["index"] != float64(1) || m1["author"] != "system" ||
		m1["participant_sid"] != nil || m1["media"] != nil || m1["delivery"].(map[string]any)["total"] != float64(1) {
		t.Errorf("messages %v / %v", m0, m1)
	}
	list := mustCall(t, srv, 200, "GET", "/v1/Conversations/"+sid+"/Messages", encodeQuery("Order", "desc"))
	msgs := list["messages"].([]any)
	if len(msgs) != 2 || msgs[0].(map[string]any)["sid"] != m1["sid"] {
		t.Errorf("desc list %v", list)
	}
	mustCall(t, srv, 400, "GET", "/v1/Conversations/"+sid+"/Messages", encodeQuery("Order", "sideways"))

	// Scoped webhooks: max 5.
	for i := 0; i < MaxWebhooksPerConversation; i++ {
		mustCall(t, srv, 201, "POST", "/v1/Conversations/"+sid+"/Webhooks", encodeQuery("Target", "webhook",
			"Configuration.Url", "https://example.com/h", "Configuration.Filters", "onMessageAdded"))
	}
	mustCall(t, srv, 400, "POST", "/v1/Conversations/"+sid+"/Webhooks", encodeQuery("Target", "studio", "Configuration.FlowSid", "FW0123456789abcdef0123456789abcdef"))
	hooks := mustCall(t, srv, 200, "GET", "/v1/Conversations/"+sid+"/Webhooks", nil)
	first := hooks["webhooks"].([]any)[0].(map[string]any)
	if cfg := first["configuration"].(map[string]any); cfg["method"] != "post" || cfg["url"] != "https://example.com/h" ||
		hooks["meta"].(map[string]any)["page_size"] != float64(5) {
		t.Errorf("webhooks %v", hooks)
	}
	mustCall(t, srv, 204, "DELETE", "/v1/Conversations/"+sid+"/Webhooks/"+first["sid"].(string), nil)

	// Close: messages are refused, the binding is free again.
	closed := mustCall(t, srv, 200, "POST", "/v1/Conversations/"+sid, encodeQuery("State", "closed"))
	if closed["state"] != "closed" {
		t.Errorf("closed %v", closed)
	}
	status, errBody = call(t, srv, "POST", "/v1/Conversations/"+sid+"/Messages", encodeQuery("Body", "late"))
	if status != 400 || !strings.Contains(errBody["message"].(string), "closed") {
		t.Errorf("message to closed: %d %v", status, errBody)
	}
	other := mustCall(t, srv, 201, "POST", "/v1/Conversations", nil)
	mustCall(t, srv, 201, "POST", "/v1/Conversations/"+other["sid"].(string)+"/Participants", encodeQuery(
		"MessagingBinding.Address", waCustomer, "MessagingBinding.ProxyAddress", waProxy))
	third := mustCall(t, srv, 201, "POST", "/v1/Conversations", nil)["sid"].(string)
	status, errBody = call(t, srv, "POST", "/v1/Conversations/"+third+"/Participants", encodeQuery(
		"MessagingBinding.Address", waCustomer, "MessagingBinding.ProxyAddress", waProxy))
	if status != 409 || errBody["code"] != float64(50416) {
		t.Errorf("binding conflict: %d %v", status, errBody)
	}

	active := mustCall(t, srv, 200, "GET", "/v1/Conversations", encodeQuery("State", "active"))
	if n := len(active["conversations"].([]any)); n != 2 {
		t.Errorf("%d active conversations, want 2", n)
	}
	mustCall(t, srv, 204, "DELETE", "/v1/Conversations/"+third, nil)
	mustCall(t, srv, 404, "GET", "/v1/Conversations/"+third, nil)

	_ = ev.Webhooks.Wait(t.Context())
	if got := eventTypes(rc.at("/post")); !reflect.DeepEqual(got, []string{"onConversationAdded", "onMessageAdded"}) {
		t.Errorf("global webhooks %v, want only the two header-enabled actions", got)
	}
}

func TestAPIServiceScopedPaths(t *testing.T) {
	srv, _, _ := apiServer(t)
	base := srv.URL + "/conversations"
	svc := mustCall(t, srv, 201, "POST", "/v1/Services", encodeQuery("FriendlyName", "Bots"))
	is := svc["sid"].(string)
	if svc["links"].(map[string]any)["conversations"] != base+"/v1/Services/"+is+"/Conversations" {
		t.Errorf("service %v", svc)
	}
	if list := mustCall(t, srv, 200, "GET", "/v1/Services", nil); len(list["services"].([]any)) != 2 {
		t.Errorf("services %v", list)
	}
	prefix := "/v1/Services/" + is
	conv := mustCall(t, srv, 201, "POST", prefix+"/Conversations", encodeQuery("UniqueName", "bot-1"))
	sid := conv["sid"].(string)
	if conv["chat_service_sid"] != is || conv["url"] != base+prefix+"/Conversations/"+sid {
		t.Errorf("scoped conversation %v", conv)
	}
	mustCall(t, srv, 404, "GET", "/v1/Conversations/"+sid, nil)
	part := mustCall(t, srv, 201, "POST", prefix+"/Conversations/bot-1/Participants", encodeQuery("Identity", "bot"))
	if part["chat_service_sid"] != is || part["url"] != base+prefix+"/Conversations/"+sid+"/Participants/"+part["sid"].(string) {
		t.Errorf("scoped participant %v", part)
	}
	msg := mustCall(t, srv, 201, "POST", prefix+"/Conversations/"+sid+"/Messages", encodeQuery("Body", "beep", "Author", "bot"))
	if msg["chat_service_sid"] != is || msg["participant_sid"] != part["sid"] {
		t.Errorf("scoped message %v", msg)
	}
	mustCall(t, srv, 404, "GET", "/v1/Services/IS00000000000000000000000000000000/Conversations", nil)

	cfg := mustCall(t, srv, 200, "POST", "/v1/Configuration", encodeQuery("DefaultChatServiceSid", is, "DefaultInactiveTimer", "PT5M"))
	if cfg["default_chat_service_sid"] != is || cfg["default_inactive_timer"] != "PT5M" || cfg["default_closed_timer"] != nil {
		t.Errorf("configuration %v", cfg)
	}
	if got := mustCall(t, srv, 200, "GET", "/v1/Conversations/bot-1", nil); got["sid"] != sid {
		t.Errorf("default-service path after switching the default: %v", got)
	}
	hooks := mustCall(t, srv, 200, "GET", "/v1/Configuration/Webhooks", nil)
	if hooks["target"] != "webhook" || hooks["post_webhook_url"] != nil {
		t.Errorf("webhook configuration %v", hooks)
	}
}
