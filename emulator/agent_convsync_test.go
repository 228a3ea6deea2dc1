package emulator

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/taskrouter"
	"github.com/flexemu/flexemu/emulator/twilsock"
)

// convsyncSession is a twilsock.Session recording its notifications.
type convsyncSession struct {
	p  twilsock.Principal
	mu sync.Mutex
	ns []map[string]any
}

func (s *convsyncSession) Principal() twilsock.Principal { return s.p }

func (s *convsyncSession) Notify(messageType string, payload []byte) {
	var m map[string]any
	_ = json.Unmarshal(payload, &m)
	m["message_type"] = messageType
	s.mu.Lock()
	s.ns = append(s.ns, m)
	s.mu.Unlock()
}

// events returns (and forgets) the Sync events of eventType so far.
func (s *convsyncSession) events(eventType string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out, rest []map[string]any
	for _, n := range s.ns {
		if n["event_type"] == eventType {
			if ev, ok := n["event"].(map[string]any); ok {
				out = append(out, ev)
				continue
			}
			out = append(out, n)
			continue
		}
		rest = append(rest, n)
	}
	s.ns = rest
	return out
}

func serveJSON(t *testing.T, c twilsock.Conn, method, path string, params map[string]string, body any) map[string]any {
	t.Helper()
	r := twilsock.Request{Host: "cds.us1.twilio.com", Method: method, Path: path, Params: params,
		PayloadType: "application/json; charset=utf-8"}
	if strings.HasPrefix(path, "/Client/") {
		r.Host = "aim.us1.twilio.com"
	}
	if body != nil {
		r.Body, _ = json.Marshal(body)
	}
	resp := c.Serve(context.Background(), r)
	var out map[string]any
	_ = json.Unmarshal(resp.Body, &out)
	if resp.Status != http.StatusOK {
		t.Fatalf("%s %s = %d %s", method, path, resp.Status, resp.Body)
	}
	return out
}

func convsyncSubscribe(t *testing.T, c twilsock.Conn, typ string, desc map[string]any) {
	t.Helper()
	serveJSON(t, c, "POST", "/v4/Subscriptions", nil, map[string]any{"event_protocol_version": 4, "action": "establish",
		"correlation_id": 42, "retried_requests": 0, "ttl_in_s": -1,
		"requests": []any{map[string]any{"object_sid": desc["sid"], "object_type": typ, "last_event_id": desc["last_event_id"]}}})
}

// TestConvSyncAgentJourney runs the Conversations SDK's side of an agent's
// journey against a real emulator: a connected agent is joined live when
// Flex's accept adds it, reads the history, receives the customer's next
// message and replies as an SDK action (pre- and post-events fire).
func TestConvSyncAgentJourney(t *testing.T) {
	emu, err := New(WithAddr("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	a := emu.Account()
	ctx := context.Background()

	var hmu sync.Mutex
	var hooks []map[string]string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		hmu.Lock()
		hooks = append(hooks, map[string]string{"EventType": r.PostForm.Get("EventType"), "Source": r.PostForm.Get("Source"),
			"ClientIdentity": r.PostForm.Get("ClientIdentity"), "Author": r.PostForm.Get("Author"), "Body": r.PostForm.Get("Body")})
		hmu.Unlock()
	}))
	defer hook.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a.Do(func(en *Engines) error {
		_, err := en.Conversations.UpdateWebhookConfiguration(conversations.UpdateWebhookConfigurationParams{
			PreWebhookURL: &hook.URL, PostWebhookURL: &hook.URL, Filters: []string{"onMessageAdd", "onMessageAdded"}})
		return err
	}))

	svc := emu.syncService()
	sess := &convsyncSession{p: twilsock.Principal{AccountSID: a.SID, Identity: "alice"}}
	conn := svc.Open(sess)
	defer conn.Close()
	cfg := serveJSON(t, conn, "GET", "/Client/v2/Configuration", nil, nil)
	objs := cfg["sync_objects"].(map[string]any)
	my := serveJSON(t, conn, "GET", "/v3/Maps/"+objs["my_conversations"].(string), nil, nil)
	serveJSON(t, conn, "GET", "/v3/Maps/"+objs["my_user_info"].(string), map[string]string{"Include": "items"}, nil)
	convsyncSubscribe(t, conn, "map", my)
	if est := sess.events("subscription_established"); len(est) != 1 {
		t.Fatalf("subscription_established = %v", est)
	}

	// A customer writes; the default fixture routes it to a task reserved for alice.
	tr, err := a.Inbound(ctx, InboundParams{Body: "hello"})
	must(err)
	ch := tr.ConversationSID
	if joined := sess.events("map_item_added"); len(joined) != 0 {
		t.Fatalf("joined before accepting: %v", joined)
	}
	var ws, wr string
	deadline := time.Now().Add(5 * time.Second)
	for wr == "" && time.Now().Before(deadline) {
		must(a.Do(func(en *Engines) error {
			ws = en.Setup.Workspace.SID
			rs, err := en.TaskRouter.Reservations(ws, taskrouter.ReservationFilter{Status: []string{"pending"}})
			if len(rs) > 0 {
				wr = rs[0].SID
			}
			return err
		}))
		if wr == "" {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if wr == "" {
		t.Fatal("no reservation for alice")
	}
	// Accepting makes Flex add alice to the conversation: conversationJoined, live.
	must(a.Do(func(en *Engines) error {
		_, err := en.TaskRouter.UpdateReservation(ws, wr, taskrouter.UpdateReservationParams{ReservationStatus: "accepted"})
		return err
	}))
	joined := sess.events("map_item_added")
	if len(joined) != 1 || joined[0]["item_key"] != ch || joined[0]["map_sid"] != my["sid"] {
		t.Fatalf("map_item_added on accept = %v", joined)
	}
	item := joined[0]["item_data"].(map[string]any)
	if item["status"] != "joined" {
		t.Fatalf("my conversation item = %v", item)
	}

	// History: the document names the list; its items hold the customer's message.
	doc := serveJSON(t, conn, "GET", "/v3/Documents/"+item["channel"].(string), nil, nil)
	listName := doc["data"].(map[string]any)["messages"].(string)
	list := serveJSON(t, conn, "GET", "/v3/Lists/"+listName, nil, nil)
	items := strings.TrimPrefix(list["links"].(map[string]any)["items"].(string), "https://cds.us1.twilio.com")
	page := serveJSON(t, conn, "GET", items, map[string]string{"HideExpired": "true", "PageSize": "30", "Order": "desc"}, nil)
	hist := page["items"].([]any)
	if len(hist) != 1 || hist[0].(map[string]any)["data"].(map[string]any)["text"] != "hello" {
		t.Fatalf("history = %v", hist)
	}
	convsyncSubscribe(t, conn, "list", list)

	// The customer's next message arrives live.
	_, err = a.Inbound(ctx, InboundParams{Body: "are you there?"})
	must(err)
	added := sess.events("list_item_added")
	if len(added) != 1 || added[0]["item_index"] != float64(1) || added[0]["item_data"].(map[string]any)["text"] != "are you there?" {
		t.Fatalf("list_item_added = %v", added)
	}

	// sendMessage: an SDK action by alice.
	sent := serveJSON(t, conn, "POST", strings.TrimPrefix(cfg["links"].(map[string]any)["conversations"].(string), "https://aim.us1.twilio.com")+"/"+ch+"/Messages",
		nil, map[string]any{"body": "Hi, this is Alice", "attributes": "{}"})
	if sent["index"] != float64(2) || sent["author"] != "alice" {
		t.Fatalf("sendMessage answer = %v", sent)
	}
	must(a.Do(func(en *Engines) error {
		m, err := en.Conversations.MessageByIndex(ch, 2)
		if err == nil && (m.Author != "alice" || m.Body != "Hi, this is Alice") {
			t.Errorf("engine message = %+v", m)
		}
		return err
	}))
	if added := sess.events("list_item_added"); len(added) != 1 || added[0]["item_data"].(map[string]any)["author"] != "alice" {
		t.Fatalf("own message pushed = %v", added)
	}
	a.Settle(ctx, WebhookWait)
	hmu.Lock()
	defer hmu.Unlock()
	var pre, post bool
	for _, h := range hooks {
		if h["Source"] == "SDK" && h["ClientIdentity"] == "alice" && h["Author"] == "alice" {
			pre = pre || h["EventType"] == "onMessageAdd"
			post = post || h["EventType"] == "onMessageAdded"
		}
	}
	if !pre || !post {
		t.Fatalf("SDK-origin webhooks: onMessageAdd %v, onMessageAdded %v; got %v", pre, post, hooks)
	}
}
