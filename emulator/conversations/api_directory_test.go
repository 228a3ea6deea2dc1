package conversations

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestAPIUsersAndRoles(t *testing.T) {
	srv, e, _ := apiServer(t)
	base := srv.URL + "/conversations"
	svc := e.DefaultServiceSID()

	u := mustCall(t, srv, 201, "POST", "/v1/Users", encodeQuery("Identity", "alice", "FriendlyName", "Alice", "Attributes", `{"a":1}`))
	sid := u["sid"].(string)
	if u["chat_service_sid"] != svc || u["url"] != base+"/v1/Users/"+sid || u["is_online"] != nil || u["attributes"] != `{"a":1}` ||
		u["links"].(map[string]any)["user_conversations"] != base+"/v1/Users/"+sid+"/Conversations" {
		t.Errorf("user %v", u)
	}
	status, body := call(t, srv, "POST", "/v1/Users", encodeQuery("Identity", "alice"))
	if status != 409 || body["code"] != float64(CodeUserExists) || body["status"] != float64(409) {
		t.Errorf("duplicate identity: %d %v", status, body)
	}
	status, body = call(t, srv, "POST", "/v1/Users/alice", encodeQuery("Attributes", "{broken"))
	if status != 400 || !strings.Contains(body["message"].(string), "Attributes") {
		t.Errorf("bad attributes: %d %v", status, body)
	}
	// The service copy shows the same user under its own URL.
	su := mustCall(t, srv, 200, "GET", "/v1/Services/"+svc+"/Users/alice", nil)
	if su["sid"] != sid || su["url"] != base+"/v1/Services/"+svc+"/Users/"+sid {
		t.Errorf("service-scoped user %v", su)
	}
	// Reachability on: fetch shows is_online false, lists keep null.
	cfg := mustCall(t, srv, 200, "POST", "/v1/Services/"+svc+"/Configuration", encodeQuery("ReachabilityEnabled", "true"))
	if cfg["reachability_enabled"] != true || cfg["links"].(map[string]any)["webhooks"] != base+"/v1/Services/"+svc+"/Configuration/Webhooks" {
		t.Errorf("service configuration %v", cfg)
	}
	if got := mustCall(t, srv, 200, "GET", "/v1/Users/"+sid, nil); got["is_online"] != false || got["is_notifiable"] != false {
		t.Errorf("reachable fetch %v", got)
	}
	list := mustCall(t, srv, 200, "GET", "/v1/Users", nil)
	if items := list["users"].([]any); len(items) != 1 || items[0].(map[string]any)["is_online"] != nil {
		t.Errorf("list %v", list)
	}
	if status, body = call(t, srv, "GET", "/v1/Users", encodeQuery("PageSize", "51")); status != 400 || !strings.Contains(body["message"].(string), "PageSize") {
		t.Errorf("PageSize above the spec's 50: %d %v", status, body)
	}

	role := mustCall(t, srv, 201, "POST", "/v1/Services/"+svc+"/Roles", url.Values{"FriendlyName": {"agent"}, "Type": {"conversation"},
		"Permission": {"sendMessage", "leaveConversation"}})
	if !reflect.DeepEqual(role["permissions"], []any{"sendMessage", "leaveConversation"}) ||
		role["url"] != base+"/v1/Services/"+svc+"/Roles/"+role["sid"].(string) {
		t.Errorf("role %v", role)
	}
	roles := mustCall(t, srv, 200, "GET", "/v1/Roles", nil)
	if n := len(roles["roles"].([]any)); n != 5 {
		t.Errorf("%d roles, want 4 built-in + 1", n)
	}
	status, body = call(t, srv, "POST", "/v1/Roles", url.Values{"FriendlyName": {"x"}, "Type": {"conversation"}, "Permission": {"fly"}})
	if status != 400 || body["code"] != float64(CodePermissionNotFound) {
		t.Errorf("unknown permission: %d %v", status, body)
	}
	mustCall(t, srv, 204, "DELETE", "/v1/Roles/"+role["sid"].(string), nil)
	mustCall(t, srv, 204, "DELETE", "/v1/Users/alice", nil)
	mustCall(t, srv, 404, "GET", "/v1/Users/"+sid, nil)
}

func TestAPIConversationWithParticipantsAndReceipts(t *testing.T) {
	srv, e, _ := apiServer(t)
	base := srv.URL + "/conversations"
	mustCall(t, srv, 201, "POST", "/v1/Users", encodeQuery("Identity", "agent"))
	form := url.Values{"FriendlyName": {"Case"}, "Participant": {
		`{"identity":"agent"}`,
		`{"messaging_binding":{"address":"` + waCustomer + `","proxy_address":"` + waProxy + `"},"attributes":{"vip":true}}`,
	}}
	conv := mustCall(t, srv, 201, "POST", "/v1/ConversationWithParticipants", form)
	sid := conv["sid"].(string)
	if conv["friendly_name"] != "Case" || conv["url"] != base+"/v1/Conversations/"+sid || conv["state"] != "active" {
		t.Errorf("conversation %v", conv)
	}
	parts := mustCall(t, srv, 200, "GET", "/v1/Conversations/"+sid+"/Participants", nil)["participants"].([]any)
	if len(parts) != 2 || parts[1].(map[string]any)["attributes"] != `{"vip":true}` {
		t.Fatalf("participants %v", parts)
	}
	// The same pair again: 50425, and nothing is created.
	status, body := call(t, srv, "POST", "/v1/ConversationWithParticipants", url.Values{"UniqueName": {"second"}, "Participant": {
		`{"identity":"someone"}`, `{"messaging_binding":{"address":"` + waCustomer + `","proxy_address":"` + waProxy + `"}}`}})
	if status != 409 || body["code"] != float64(CodeBindingsInUse) {
		t.Errorf("pair in use: %d %v", status, body)
	}
	if status, _ := call(t, srv, "GET", "/v1/Conversations/second", nil); status != 404 {
		t.Errorf("failed CWP left conversation 'second' behind")
	}
	for _, bad := range []string{`[1]`, `{"identity":5}`, `not json`, `{"messaging_binding":"x"}`} {
		status, body = call(t, srv, "POST", "/v1/ConversationWithParticipants", url.Values{"Participant": {bad}})
		if status != 400 || !strings.Contains(body["message"].(string), "Participant") {
			t.Errorf("Participant=%s: %d %v", bad, status, body)
		}
	}

	msg := mustCall(t, srv, 201, "POST", "/v1/Conversations/"+sid+"/Messages", encodeQuery("Author", "agent", "Body", "Hi!"))
	msid := msg["sid"].(string)
	rl := mustCall(t, srv, 200, "GET", "/v1/Conversations/"+sid+"/Messages/"+msid+"/Receipts", nil)
	receipts := rl["delivery_receipts"].([]any)
	if len(receipts) != 1 || rl["meta"].(map[string]any)["key"] != "delivery_receipts" {
		t.Fatalf("receipts %v", rl)
	}
	r := receipts[0].(map[string]any)
	if r["status"] != "sent" || r["participant_sid"] != parts[1].(map[string]any)["sid"] || r["error_code"] != nil {
		t.Errorf("receipt %v", r)
	}
	svc := e.DefaultServiceSID()
	got := mustCall(t, srv, 200, "GET", "/v1/Services/"+svc+"/Conversations/"+sid+"/Messages/"+msid+"/Receipts/"+r["sid"].(string), nil)
	if got["chat_service_sid"] != svc || got["url"] != base+"/v1/Services/"+svc+"/Conversations/"+sid+"/Messages/"+msid+"/Receipts/"+r["sid"].(string) {
		t.Errorf("service-scoped receipt %v", got)
	}

	// The agent's view: user conversations and participant conversations.
	uc := mustCall(t, srv, 200, "GET", "/v1/Users/agent/Conversations", nil)["conversations"].([]any)
	if len(uc) != 1 || uc[0].(map[string]any)["conversation_sid"] != sid || uc[0].(map[string]any)["unread_messages_count"] != nil {
		t.Fatalf("user conversations %v", uc)
	}
	up := mustCall(t, srv, 200, "POST", "/v1/Users/agent/Conversations/"+sid, encodeQuery("LastReadMessageIndex", "0", "NotificationLevel", "muted"))
	if up["unread_messages_count"] != float64(0) || up["last_read_message_index"] != float64(0) || up["notification_level"] != "muted" {
		t.Errorf("user conversation update %v", up)
	}
	part := mustCall(t, srv, 200, "GET", "/v1/Conversations/"+sid+"/Participants/"+parts[0].(map[string]any)["sid"].(string), nil)
	if part["last_read_message_index"] != float64(0) {
		t.Errorf("participant does not show the read horizon: %v", part)
	}
	pc := mustCall(t, srv, 200, "GET", "/v1/ParticipantConversations", url.Values{"Address": {waCustomer}})
	items := pc["conversations"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["participant_messaging_binding"].(map[string]any)["address"] != waCustomer ||
		!strings.Contains(pc["meta"].(map[string]any)["url"].(string), "Address=") {
		t.Errorf("participant conversations %v", pc)
	}
	status, body = call(t, srv, "GET", "/v1/ParticipantConversations", nil)
	if status != 400 || body["code"] != float64(20001) {
		t.Errorf("no filter: %d %v", status, body)
	}
	up = mustCall(t, srv, 200, "POST", "/v1/Conversations/"+sid+"/Participants/"+parts[1].(map[string]any)["sid"].(string),
		encodeQuery("Attributes", `{"vip":false}`, "LastReadMessageIndex", ""))
	if up["attributes"] != `{"vip":false}` || up["last_read_message_index"] != nil {
		t.Errorf("participant update %v", up)
	}
	mustCall(t, srv, 204, "DELETE", "/v1/Users/agent/Conversations/"+sid, nil)
	if n := len(mustCall(t, srv, 200, "GET", "/v1/Conversations/"+sid+"/Participants", nil)["participants"].([]any)); n != 1 {
		t.Errorf("%d participants after the agent left, want 1", n)
	}
}

func TestAPICredentialsNeverEchoSecrets(t *testing.T) {
	srv, _, _ := apiServer(t)
	const secret = "very-secret-server-key"
	body := rawCall(t, srv, "POST", "/v1/Credentials", encodeQuery("Type", "fcm", "FriendlyName", "android", "Secret", secret))
	if strings.Contains(body, secret) || !strings.Contains(body, `"sandbox":null`) {
		t.Errorf("create response %s", body)
	}
	apn := mustCall(t, srv, 201, "POST", "/v1/Credentials", encodeQuery("Type", "apn", "Certificate", "CERT-"+secret,
		"PrivateKey", "KEY-"+secret, "Sandbox", "true"))
	if apn["sandbox"] != "True" {
		t.Errorf("apn sandbox %v", apn["sandbox"])
	}
	for _, path := range []string{"/v1/Credentials", "/v1/Credentials/" + apn["sid"].(string)} {
		if got := rawCall(t, srv, "GET", path, nil); strings.Contains(got, secret) {
			t.Errorf("GET %s leaks a secret: %s", path, got)
		}
	}
	status, errBody := call(t, srv, "POST", "/v1/Credentials", encodeQuery("Type", "fcm"))
	if status != 400 || !strings.Contains(errBody["message"].(string), "Secret") {
		t.Errorf("fcm without secret: %d %v", status, errBody)
	}
	mustCall(t, srv, 204, "DELETE", "/v1/Credentials/"+apn["sid"].(string), nil)
}

func TestAPIServicesAndNotifications(t *testing.T) {
	srv, e, _ := apiServer(t)
	s := mustCall(t, srv, 201, "POST", "/v1/Services", encodeQuery("FriendlyName", "Brand B"))
	sid := s["sid"].(string)
	n := mustCall(t, srv, 200, "POST", "/v1/Services/"+sid+"/Configuration/Notifications", encodeQuery(
		"NewMessage.Enabled", "true", "NewMessage.Template", "${MESSAGE}", "NewMessage.WithMedia.Enabled", "true", "LogEnabled", "true"))
	nm := n["new_message"].(map[string]any)
	if nm["enabled"] != true || nm["template"] != "${MESSAGE}" || nm["with_media"].(map[string]any)["enabled"] != true ||
		n["log_enabled"] != true || n["added_to_conversation"].(map[string]any)["enabled"] != false {
		t.Errorf("notifications %v", n)
	}
	if b := mustCall(t, srv, 200, "GET", "/v1/Services/"+sid+"/Bindings", nil); len(b["bindings"].([]any)) != 0 {
		t.Errorf("bindings %v", b)
	}
	mustCall(t, srv, 404, "GET", "/v1/Services/"+sid+"/Bindings/BS00000000000000000000000000000000", nil)
	status, body := call(t, srv, "DELETE", "/v1/Services/"+e.DefaultServiceSID(), nil)
	if status != 400 || body["status"] != float64(400) {
		t.Errorf("deleting the default service: %d %v", status, body)
	}
	mustCall(t, srv, 204, "DELETE", "/v1/Services/"+sid, nil)
	mustCall(t, srv, 404, "GET", "/v1/Services/"+sid+"/Configuration", nil)
}

// rawCall returns the response body as text, failing on a non-2xx status.
func rawCall(t *testing.T, srv *httptest.Server, method, path string, form url.Values) string {
	t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, srv.URL+"/conversations"+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return string(b)
}
