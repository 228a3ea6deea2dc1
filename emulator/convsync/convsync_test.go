package convsync

import (
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator/conversations"
)

// newConversation creates a conversation with a customer on WhatsApp and n
// customer messages.
func (f *fixture) newConversation(n int) string {
	var sid string
	f.engine(func(e *conversations.Engine) {
		c, err := e.CreateConversation(conversations.CreateConversationParams{FriendlyName: "Customer chat"})
		if err != nil {
			f.t.Fatal(err)
		}
		sid = c.SID
		if _, err := e.AddParticipant(sid, conversations.CreateParticipantParams{Address: "whatsapp:+15005550006", ProxyAddress: "whatsapp:+14155238886"}); err != nil {
			f.t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if _, err := e.AddMessage(sid, conversations.CreateMessageParams{Author: "whatsapp:+15005550006", Body: "msg " + string(rune('a'+i))}); err != nil {
				f.t.Fatal(err)
			}
		}
	})
	return sid
}

func TestStartupConfigurationAndUserMap(t *testing.T) {
	f := newFixture(t)
	_, c := f.open("alice")
	cfg := must(t, c, "GET", "/Client/v2/Configuration", nil)
	if cfg["identity"] != "alice" {
		t.Fatalf("identity = %v", cfg["identity"])
	}
	so := cfg["sync_objects"].(map[string]any)
	links := cfg["links"].(map[string]any)
	var svc string
	f.engine(func(e *conversations.Engine) { svc = e.DefaultServiceSID() })
	base := "https://aim.us1.twilio.com/Client/v2/Services/" + svc
	for k, want := range map[string]string{"conversations": base + "/Conversations", "my_conversations": base + "/Users/alice/Conversations",
		"users": base + "/Users", "current_user": base + "/Users/alice", "typing": base + "/Typing",
		"messages_receipts": base + "/Conversations/%s/Messages/%s/Receipts",
		"media_service":     "http://127.0.0.1:7070/mcs/v1/Services/" + svc + "/Media"} {
		if links[k] != want {
			t.Errorf("links.%s = %v, want %s", k, links[k], want)
		}
	}
	// Startup: both maps open by name; the user map's items are {value} objects.
	my := must(t, c, "GET", "/v3/Maps/"+esc(so["my_conversations"].(string)), nil)
	if !strings.HasPrefix(my["sid"].(string), "MP") || my["links"].(map[string]any)["items"] == nil {
		t.Fatalf("my conversations descriptor = %v", my)
	}
	user := must(t, c, "GET", "/v3/Maps/"+esc(so["my_user_info"].(string))+"?Include=items", nil)
	items := map[string]any{}
	for _, it := range user["items"].([]any) {
		it := it.(map[string]any)
		items[it["key"].(string)] = it["data"]
	}
	if v, ok := items["friendlyName"].(map[string]any); !ok || v["value"] != nil {
		t.Errorf("friendlyName item = %v", items["friendlyName"])
	}
	if v, ok := items["attributes"].(map[string]any); !ok || v["value"] != "{}" {
		t.Errorf("attributes item = %v", items["attributes"])
	}
	// Opening connected created the User, as Twilio does.
	f.engine(func(e *conversations.Engine) {
		if _, err := e.User("", "alice"); err != nil {
			t.Errorf("user alice: %v", err)
		}
	})
	// The same map by SID.
	if again := must(t, c, "GET", "/v3/Maps/"+user["sid"].(string), nil); again["unique_name"] != so["my_user_info"] {
		t.Errorf("map by SID = %v", again)
	}
}

func TestJoinedLiveWhenAddedAsParticipant(t *testing.T) {
	f := newFixture(t)
	s, c := f.open("alice")
	cfg := must(t, c, "GET", "/Client/v2/Configuration", nil)
	my := must(t, c, "GET", "/v3/Maps/"+esc(cfg["sync_objects"].(map[string]any)["my_conversations"].(string)), nil)
	subscribe(t, c, "map", my["last_event_id"].(float64), my["sid"].(string))
	est := syncEvents(s.take(), "subscription_established")
	if len(est) != 1 || est[0]["correlation_id"] != float64(1796124598865) {
		t.Fatalf("subscription_established = %v", est)
	}
	if ev := est[0]["events"].([]any)[0].(map[string]any); ev["object_sid"] != my["sid"] || ev["replay_status"] != "completed" {
		t.Fatalf("established event = %v", ev)
	}

	ch := f.newConversation(1)
	var mb string
	f.engine(func(e *conversations.Engine) {
		p, err := e.AddParticipant(ch, conversations.CreateParticipantParams{Identity: "alice", Attributes: `{"member_type":"agent"}`})
		if err != nil {
			t.Fatal(err)
		}
		mb = p.SID
	})
	added := syncEvents(s.take(), "map_item_added")
	if len(added) != 1 || added[0]["map_sid"] != my["sid"] || added[0]["item_key"] != ch {
		t.Fatalf("map_item_added = %v", added)
	}
	data := added[0]["item_data"].(map[string]any)
	if data["status"] != "joined" || data["channel"] != ch+".channel" {
		t.Fatalf("my conversation item = %v", data)
	}
	if id := added[0]["id"].(float64); id <= my["last_event_id"].(float64) {
		t.Fatalf("event id %v not above the descriptor's %v", id, my["last_event_id"])
	}

	// What the SDK opens next: the document, then its list and roster.
	doc := must(t, c, "GET", "/v3/Documents/"+esc(data["channel"].(string)), nil)
	dd := doc["data"].(map[string]any)
	if dd["friendlyName"] != "Customer chat" || dd["messages"] != ch+".messages" || dd["roster"] != ch+".roster" ||
		dd["state"].(map[string]any)["current"] != "active" || dd["lastMessage"].(map[string]any)["index"] != float64(0) {
		t.Fatalf("document = %v", dd)
	}
	roster := must(t, c, "GET", "/v3/Maps/"+esc(dd["roster"].(string))+"/Items?PageSize=50", nil)
	var found bool
	for _, it := range roster["items"].([]any) {
		it := it.(map[string]any)
		if it["key"] == mb {
			d := it["data"].(map[string]any)
			found = d["identity"] == "alice" && d["type"] == "chat" && d["attributes"] == `{"member_type":"agent"}`
		}
	}
	if !found || len(roster["items"].([]any)) != 2 {
		t.Fatalf("roster items = %v", roster["items"])
	}
	// The REST list the SDK reads at startup.
	list := must(t, c, "GET", strings.TrimPrefix(cfg["links"].(map[string]any)["my_conversations"].(string), "https://aim.us1.twilio.com"), nil)
	convs := list["conversations"].([]any)
	if len(convs) != 1 || convs[0].(map[string]any)["conversation_sid"] != ch ||
		convs[0].(map[string]any)["sync_objects"].(map[string]any)["conversation"] != ch+".channel" {
		t.Fatalf("my conversations = %v", list)
	}
}

func TestMessagesHistoryAndLiveMessageAdded(t *testing.T) {
	f := newFixture(t)
	s, c := f.open("alice")
	ch := f.newConversation(5)
	f.engine(func(e *conversations.Engine) {
		_, _ = e.AddParticipant(ch, conversations.CreateParticipantParams{Identity: "alice"})
	})
	list := must(t, c, "GET", "/v3/Lists/"+esc(ch+".messages"), nil)
	items := list["links"].(map[string]any)["items"].(string)
	itemsPath := strings.TrimPrefix(items, cdsBase)
	// The SDK's getMessages: the latest page, descending.
	page := must(t, c, "GET", itemsPath+"?HideExpired=true&PageSize=2&Order=desc", nil)
	got := page["items"].([]any)
	if len(got) != 2 || got[0].(map[string]any)["index"] != float64(4) || got[1].(map[string]any)["index"] != float64(3) {
		t.Fatalf("desc page = %v", got)
	}
	meta := page["meta"].(map[string]any)
	if meta["next_token"] == nil || meta["previous_token"] != nil {
		t.Fatalf("desc page meta = %v", meta)
	}
	// The next page by token, and by From (inclusive) as the SDK pages.
	next := must(t, c, "GET", itemsPath+"?PageSize=2&Order=desc&PageToken="+meta["next_token"].(string), nil)
	if got := next["items"].([]any); len(got) != 2 || got[0].(map[string]any)["index"] != float64(2) {
		t.Fatalf("next page = %v", got)
	}
	from := must(t, c, "GET", itemsPath+"?From=1&PageSize=10&Order=asc", nil)
	if got := from["items"].([]any); len(got) != 4 || got[0].(map[string]any)["index"] != float64(1) ||
		from["meta"].(map[string]any)["previous_token"] == nil || from["meta"].(map[string]any)["next_token"] != nil {
		t.Fatalf("From page = %v", from)
	}
	one := must(t, c, "GET", itemsPath+"?Index=3", nil)
	m := one["items"].([]any)[0].(map[string]any)["data"].(map[string]any)
	if m["text"] != "msg d" || m["author"] != "whatsapp:+15005550006" || m["type"] != "text" || m["attributes"] != "{}" || m["memberSid"] == nil {
		t.Fatalf("message item = %v", m)
	}

	doc := must(t, c, "GET", "/v3/Documents/"+esc(ch+".channel"), nil)
	subscribe(t, c, "list", list["last_event_id"].(float64), list["sid"].(string))
	subscribe(t, c, "document", doc["last_event_id"].(float64), doc["sid"].(string))
	if ns := s.take(); len(syncEvents(ns, "list_item_added")) != 0 || len(syncEvents(ns, "subscription_established")) != 2 {
		t.Fatalf("subscribing up to date replayed: %v", ns)
	}
	f.engine(func(e *conversations.Engine) {
		if _, err := e.AddMessage(ch, conversations.CreateMessageParams{Author: "whatsapp:+15005550006", Body: "second"}); err != nil {
			t.Fatal(err)
		}
	})
	ns := s.take()
	added := syncEvents(ns, "list_item_added")
	if len(added) != 1 || added[0]["item_index"] != float64(5) || added[0]["list_sid"] != list["sid"] ||
		added[0]["item_data"].(map[string]any)["text"] != "second" {
		t.Fatalf("list_item_added = %v", added)
	}
	upd := syncEvents(ns, "document_updated")
	if len(upd) != 1 || upd[0]["document_data"].(map[string]any)["lastMessage"].(map[string]any)["index"] != float64(5) ||
		upd[0]["id"].(float64) <= doc["last_event_id"].(float64) {
		t.Fatalf("document_updated = %v", upd)
	}
	// The page read now carries the pushed event's id on the new item: the SDK ignores the duplicate.
	again := must(t, c, "GET", itemsPath+"?Index=5", nil)
	if id := again["items"].([]any)[0].(map[string]any)["last_event_id"]; id != added[0]["id"] {
		t.Fatalf("item last_event_id %v, event id %v", id, added[0]["id"])
	}
}

func TestSendMessageIsAnSDKAction(t *testing.T) {
	f := newFixture(t)
	s, c := f.open("alice")
	ch := f.newConversation(1)
	f.engine(func(e *conversations.Engine) {
		_, _ = e.AddParticipant(ch, conversations.CreateParticipantParams{Identity: "alice"})
	})
	list := must(t, c, "GET", "/v3/Lists/"+esc(ch+".messages"), nil)
	subscribe(t, c, "list", list["last_event_id"].(float64), list["sid"].(string))
	s.take()
	var svc string
	f.engine(func(e *conversations.Engine) { svc = e.DefaultServiceSID() })
	out := must(t, c, "POST", "/Client/v2/Services/"+svc+"/Conversations/"+ch+"/Messages",
		map[string]any{"body": "Hello from the agent", "attributes": "{}"})
	if out["index"] != float64(1) || out["author"] != "alice" || out["sid"] == nil {
		t.Fatalf("sendMessage answer = %v", out)
	}
	f.engine(func(e *conversations.Engine) {
		m, err := e.MessageByIndex(ch, 1)
		if err != nil || m.Author != "alice" || m.Body != "Hello from the agent" || m.ParticipantSID == "" {
			t.Fatalf("engine message = %+v, %v", m, err)
		}
	})
	if added := syncEvents(s.take(), "list_item_added"); len(added) != 1 || added[0]["item_data"].(map[string]any)["author"] != "alice" {
		t.Fatalf("list_item_added = %v", added)
	}
	// A closed conversation refuses it with Twilio's error JSON.
	f.engine(func(e *conversations.Engine) {
		closed := conversations.StateClosed
		_, _ = e.UpdateConversation(ch, conversations.UpdateConversationParams{State: &closed})
	})
	status, errBody := call(t, c, "POST", "/Client/v2/Services/"+svc+"/Conversations/"+ch+"/Messages", map[string]any{"body": "late"})
	if status != 400 || errBody["code"] == nil || errBody["message"] == nil {
		t.Fatalf("send to a closed conversation = %d %v", status, errBody)
	}
}

func TestParticipantRemovedAndReadHorizon(t *testing.T) {
	f := newFixture(t)
	s, c := f.open("alice")
	ch := f.newConversation(3)
	var mb string
	f.engine(func(e *conversations.Engine) {
		p, _ := e.AddParticipant(ch, conversations.CreateParticipantParams{Identity: "alice"})
		mb = p.SID
	})
	cfg := must(t, c, "GET", "/Client/v2/Configuration", nil)
	my := must(t, c, "GET", "/v3/Maps/"+esc("alice.my_conversations"), nil)
	roster := must(t, c, "GET", "/v3/Maps/"+esc(ch+".roster"), nil)
	subscribe(t, c, "map", my["last_event_id"].(float64), my["sid"].(string), roster["sid"].(string))
	s.take()

	// AIM 4: the read horizon updates the roster and my-conversations items.
	me := cfg["links"].(map[string]any)["my_conversations"].(string)
	path := strings.TrimPrefix(me, "https://aim.us1.twilio.com")
	out := must(t, c, "POST", path+"/"+ch, map[string]any{"last_read_message_index": 1})
	if out["unread_messages_count"] != float64(1) || out["last_read_message_index"] != float64(1) {
		t.Fatalf("read horizon answer = %v", out)
	}
	upd := syncEvents(s.take(), "map_item_updated")
	if len(upd) != 2 {
		t.Fatalf("map_item_updated = %v", upd)
	}
	for _, ev := range upd {
		if ev["item_data"].(map[string]any)["lastConsumedMessageIndex"] != float64(1) {
			t.Fatalf("read horizon event = %v", ev)
		}
	}

	// Leaving (DELETE own participant) removes both items.
	svc := strings.Split(path, "/")[4]
	must(t, c, "DELETE", "/Client/v2/Services/"+svc+"/Conversations/"+ch+"/Participants/alice", nil)
	removed := syncEvents(s.take(), "map_item_removed")
	keys := map[string]bool{}
	for _, ev := range removed {
		keys[ev["item_key"].(string)] = true
	}
	if len(removed) != 2 || !keys[mb] || !keys[ch] {
		t.Fatalf("map_item_removed = %v", removed)
	}
	f.engine(func(e *conversations.Engine) {
		if ps := e.IdentityConversations("", "alice"); len(ps) != 0 {
			t.Fatalf("alice still in %v", ps)
		}
	})
}

func TestReplayOnResubscribe(t *testing.T) {
	f := newFixture(t)
	_, c := f.open("alice")
	ch := f.newConversation(2)
	var bob string
	f.engine(func(e *conversations.Engine) {
		_, _ = e.AddParticipant(ch, conversations.CreateParticipantParams{Identity: "alice"})
		p, _ := e.AddParticipant(ch, conversations.CreateParticipantParams{Identity: "bob"})
		bob = p.SID
	})
	list := must(t, c, "GET", "/v3/Lists/"+esc(ch+".messages"), nil)
	roster := must(t, c, "GET", "/v3/Maps/"+esc(ch+".roster"), nil)
	c.Close()

	// While away: a message, and bob leaves.
	f.engine(func(e *conversations.Engine) {
		_, _ = e.AddMessage(ch, conversations.CreateMessageParams{Author: "bob", Body: "while you were away"})
		_ = e.RemoveParticipant(ch, bob, conversations.Origin{})
	})
	s2, c2 := f.open("alice")
	subscribe(t, c2, "list", list["last_event_id"].(float64), list["sid"].(string))
	subscribe(t, c2, "map", roster["last_event_id"].(float64), roster["sid"].(string))
	ns := s2.take()
	if added := syncEvents(ns, "list_item_added"); len(added) != 1 || added[0]["item_index"] != float64(2) {
		t.Fatalf("replayed list_item_added = %v", added)
	}
	if removed := syncEvents(ns, "map_item_removed"); len(removed) != 1 || removed[0]["item_key"] != bob {
		t.Fatalf("replayed map_item_removed = %v", removed)
	}
	// Replay comes before the subscription is established.
	last := ns[len(ns)-1]
	if last.Payload["event_type"] != "subscription_established" {
		t.Fatalf("last notification = %v", last.Payload)
	}
}

func TestSyncErrorsAndUnknownObjects(t *testing.T) {
	f := newFixture(t)
	s, c := f.open("alice")
	status, body := call(t, c, "GET", "/v3/Maps/CH00000000000000000000000000000000.roster", nil)
	if status != 404 || body["code"] != float64(54100) || body["status"] != float64(404) || body["message"] == nil {
		t.Fatalf("unknown map = %d %v", status, body)
	}
	status, body = call(t, c, "GET", "/v3/Documents/alice.my_conversations", nil)
	if status != 404 || body["code"] != float64(54100) {
		t.Fatalf("map as a document = %d %v", status, body)
	}
	status, body = call(t, c, "GET", "/Client/v2/Services/IS00000000000000000000000000000000/Conversations/CHx", nil)
	if status != 404 || body["code"] != float64(20404) || body["more_info"] == nil {
		t.Fatalf("unknown AIM path = %d %v", status, body)
	}
	subscribe(t, c, "map", 0, "MP00000000000000000000000000000000")
	if failed := syncEvents(s.take(), "subscription_failed"); len(failed) != 1 {
		t.Fatalf("subscription_failed = %v", failed)
	}
}

func TestTypingReachesTheOtherParticipants(t *testing.T) {
	f := newFixture(t)
	sa, ca := f.open("alice")
	sb, _ := f.open("bob")
	sc, _ := f.open("carol") // not in the conversation
	ch := f.newConversation(0)
	var svc string
	f.engine(func(e *conversations.Engine) {
		svc = e.DefaultServiceSID()
		_, _ = e.AddParticipant(ch, conversations.CreateParticipantParams{Identity: "alice"})
		_, _ = e.AddParticipant(ch, conversations.CreateParticipantParams{Identity: "bob"})
	})
	out := must(t, ca, "POST", "/Client/v2/Services/"+svc+"/Typing", "ChannelSid="+ch)
	if out["typing_timeout"] != float64(typingTimeout) {
		t.Fatalf("typing answer = %v", out)
	}
	got := sb.take()
	if len(got) != 1 || got[0].Type != "twilio.ipmsg.typing_indicator" || got[0].Payload["channel_sid"] != ch ||
		got[0].Payload["identity"] != "alice" {
		t.Fatalf("bob got %v", got)
	}
	if n := len(sa.take()) + len(sc.take()); n != 0 {
		t.Fatalf("alice or carol got %d typing notifications", n)
	}
}

func TestEventIDsIncreaseAcrossAttach(t *testing.T) {
	f := newFixture(t)
	_, c := f.open("alice")
	before := must(t, c, "GET", "/v3/Maps/"+esc("alice.my_conversations"), nil)["last_event_id"].(float64)
	f.engine(func(e *conversations.Engine) {
		_, _ = e.AddMessage(f.newConversationLocked(e), conversations.CreateMessageParams{Body: "x"})
	})
	mid := must(t, c, "GET", "/v3/Maps/"+esc("alice.my_conversations"), nil)["last_event_id"].(float64)
	if mid <= before {
		t.Fatalf("last_event_id %v after a change, %v before", mid, before)
	}
	// A reset: a fresh engine attached under the lock.
	fresh := conversations.New(f.env)
	f.b.mu.Lock()
	f.b.eng = fresh
	f.svc.Attach(testAccount, fresh)
	f.b.mu.Unlock()
	after := must(t, c, "GET", "/v3/Maps/"+esc("alice.my_conversations"), nil)["last_event_id"].(float64)
	if after <= mid {
		t.Fatalf("last_event_id %v after the reset, %v before", after, mid)
	}
}

func (f *fixture) newConversationLocked(e *conversations.Engine) string {
	c, err := e.CreateConversation(conversations.CreateConversationParams{})
	if err != nil {
		f.t.Fatal(err)
	}
	return c.SID
}

func TestResetTellsSessionsEverythingIsGone(t *testing.T) {
	f := newFixture(t)
	s, c := f.open("alice")
	ch := f.newConversation(1)
	f.engine(func(e *conversations.Engine) {
		_, _ = e.AddParticipant(ch, conversations.CreateParticipantParams{Identity: "alice"})
	})
	my := must(t, c, "GET", "/v3/Maps/"+esc("alice.my_conversations"), nil)
	doc := must(t, c, "GET", "/v3/Documents/"+esc(ch+".channel"), nil)
	subscribe(t, c, "map", my["last_event_id"].(float64), my["sid"].(string))
	subscribe(t, c, "document", doc["last_event_id"].(float64), doc["sid"].(string))
	s.take()

	fresh := conversations.New(f.env) // a reset: new engine, new default service SID
	// What a fixture creates before the engine is attached.
	pre, err := fresh.CreateConversation(conversations.CreateConversationParams{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.AddParticipant(pre.SID, conversations.CreateParticipantParams{Identity: "alice"}); err != nil {
		t.Fatal(err)
	}
	f.b.mu.Lock()
	f.b.eng = fresh
	f.svc.Attach(testAccount, fresh)
	f.b.mu.Unlock()
	ns := s.take()
	removed := syncEvents(ns, "map_item_removed")
	if len(removed) != 1 || removed[0]["item_key"] != ch || removed[0]["map_sid"] != my["sid"] {
		t.Fatalf("map_item_removed on reset = %v", removed)
	}
	if gone := syncEvents(ns, "document_removed"); len(gone) != 1 || gone[0]["document_sid"] != doc["sid"] {
		t.Fatalf("document_removed on reset = %v", gone)
	}
	if fx := syncEvents(ns, "map_item_added"); len(fx) != 1 || fx[0]["item_key"] != pre.SID || fx[0]["id"].(float64) <= removed[0]["id"].(float64) {
		t.Fatalf("fixture participation pushed on reset = %v", fx)
	}
	// The session's objects keep their names and SIDs; new state is pushed with higher ids.
	ch2 := f.newConversation(0)
	f.engine(func(e *conversations.Engine) {
		_, _ = e.AddParticipant(ch2, conversations.CreateParticipantParams{Identity: "alice"})
	})
	added := syncEvents(s.take(), "map_item_added")
	if len(added) != 1 || added[0]["item_key"] != ch2 || added[0]["id"].(float64) <= removed[0]["id"].(float64) {
		t.Fatalf("map_item_added after reset = %v (removal id %v)", added, removed[0]["id"])
	}
	// The Configuration and AIM paths follow the new default service.
	cfg := must(t, c, "GET", "/Client/v2/Configuration", nil)
	var svc string
	f.engine(func(e *conversations.Engine) { svc = e.DefaultServiceSID() })
	if !strings.Contains(cfg["links"].(map[string]any)["conversations"].(string), svc) {
		t.Fatalf("links after reset = %v (service %s)", cfg["links"], svc)
	}
	list := must(t, c, "GET", strings.TrimPrefix(cfg["links"].(map[string]any)["my_conversations"].(string), "https://aim.us1.twilio.com"), nil)
	if convs := list["conversations"].([]any); len(convs) != 2 || convs[1].(map[string]any)["conversation_sid"] != ch2 {
		t.Fatalf("my conversations after reset = %v", list)
	}
}

func TestConversationStateUserAndRemovalPushes(t *testing.T) {
	f := newFixture(t)
	s, c := f.open("alice")
	ch := f.newConversation(1)
	f.engine(func(e *conversations.Engine) {
		_, _ = e.AddParticipant(ch, conversations.CreateParticipantParams{Identity: "alice"})
	})
	doc := must(t, c, "GET", "/v3/Documents/"+esc(ch+".channel"), nil)
	my := must(t, c, "GET", "/v3/Maps/"+esc("alice.my_conversations"), nil)
	user := must(t, c, "GET", "/v3/Maps/"+esc("alice.user")+"?Include=items", nil)
	subscribe(t, c, "document", doc["last_event_id"].(float64), doc["sid"].(string))
	subscribe(t, c, "map", my["last_event_id"].(float64), my["sid"].(string), user["sid"].(string))
	s.take()

	// Closing (Flex, a timer, REST): the whole document, with its new state.
	f.engine(func(e *conversations.Engine) {
		closed := conversations.StateClosed
		if _, err := e.UpdateConversation(ch, conversations.UpdateConversationParams{State: &closed}); err != nil {
			t.Fatal(err)
		}
	})
	upd := syncEvents(s.take(), "document_updated")
	if len(upd) != 1 {
		t.Fatalf("document_updated = %v", upd)
	}
	data := upd[0]["document_data"].(map[string]any)
	if data["state"].(map[string]any)["current"] != "closed" || data["messages"] != ch+".messages" || data["roster"] != ch+".roster" {
		t.Fatalf("document after closing = %v", data)
	}

	// The user's own map follows the User.
	fn := "Alice Agent"
	f.engine(func(e *conversations.Engine) {
		if _, err := e.UpdateUser("", "alice", conversations.UpdateUserParams{FriendlyName: &fn}); err != nil {
			t.Fatal(err)
		}
	})
	var got bool
	for _, ev := range syncEvents(s.take(), "map_item_updated") {
		if ev["map_sid"] == user["sid"] && ev["item_key"] == "friendlyName" {
			got = ev["item_data"].(map[string]any)["value"] == fn
		}
	}
	if !got {
		t.Fatal("no friendlyName map_item_updated")
	}

	// Deleting the conversation removes its objects and the participation.
	f.engine(func(e *conversations.Engine) {
		if err := e.DeleteConversation(ch, conversations.Origin{}); err != nil {
			t.Fatal(err)
		}
	})
	ns := s.take()
	if gone := syncEvents(ns, "document_removed"); len(gone) != 1 || gone[0]["document_sid"] != doc["sid"] {
		t.Fatalf("document_removed = %v", gone)
	}
	if rm := syncEvents(ns, "map_item_removed"); len(rm) != 1 || rm[0]["item_key"] != ch {
		t.Fatalf("map_item_removed = %v", rm)
	}
	status, body := call(t, c, "GET", "/v3/Documents/"+esc(ch+".channel"), nil)
	if status != 404 || body["code"] != float64(codeSyncNotFound) {
		t.Fatalf("deleted document = %d %v", status, body)
	}
}

// A user updates its own friendly name and attributes (AIM 19) as an SDK
// action, through the onUserUpdate pre-event; updating someone else is 403.
func TestUserUpdatesThemselvesOnly(t *testing.T) {
	f := newFixture(t)
	_, c := f.open("alice")
	must(t, c, "GET", "/Client/v2/Configuration", nil)
	var svc string
	f.engine(func(e *conversations.Engine) { svc = e.DefaultServiceSID() })
	users := "/Client/v2/Services/" + svc + "/Users/"
	got := must(t, c, "POST", users+"alice", map[string]any{"friendly_name": "Alice Agent", "attributes": `{"team":"x"}`})
	if got["friendly_name"] != "Alice Agent" {
		t.Fatalf("answer %v", got)
	}
	f.engine(func(e *conversations.Engine) {
		u, err := e.User(svc, "alice")
		if err != nil || u.FriendlyName != "Alice Agent" || u.Attributes != `{"team":"x"}` {
			t.Errorf("user after update: %+v %v", u, err)
		}
	})
	if status, body := call(t, c, "POST", users+"bob", map[string]any{"friendly_name": "Not Bob"}); status != 403 {
		t.Errorf("updating bob: %d %v", status, body)
	}
}
