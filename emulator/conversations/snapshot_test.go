package conversations

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/env"
	"github.com/flexemu/flexemu/emulator/timeline"
	"github.com/flexemu/flexemu/emulator/twilio/twiliotest"
	"github.com/flexemu/flexemu/emulator/webhook"
)

// snapSide is one engine of a snapshot test, served over the REST API, as
// one emulator process would hold it.
type snapSide struct {
	e       *Engine
	ev      env.Env
	clk     *clock.Virtual
	srv     *httptest.Server
	changes int // change feed entries seen
	studio  int // Studio handler calls
}

func (s *snapSide) ConversationMessageAdded(string, string, MessageAdded) { s.studio++ }

// newSnapSide builds and wires a fresh engine; at, when set, moves its clock
// there first (the orchestrator sets the clock before Restore).
func newSnapSide(t *testing.T, at time.Time) *snapSide {
	t.Helper()
	ev, clk := env.ForTest()
	t.Cleanup(func() { ev.Webhooks.Close(webhook.ShutdownGrace) })
	if !at.IsZero() {
		clk.Advance(at.Sub(clk.Now()))
	}
	s := &snapSide{e: New(ev), ev: ev, clk: clk}
	s.e.SetStudioHandler(s)
	s.e.Subscribe(func(Change) { s.changes++ })
	mux := http.NewServeMux()
	twiliotest.Mount(mux, Product, s.e, Routes())
	s.srv = httptest.NewServer(http.StripPrefix("/"+Product.Prefix, mux))
	t.Cleanup(s.srv.Close)
	return s
}

// do makes a REST call and returns the decoded answer, failing unless the
// status is want.
func (s *snapSide) do(t *testing.T, want int, method, path string, form url.Values) map[string]any {
	t.Helper()
	return mustCall(t, s.srv, want, method, path, form)
}

// get returns the status and body of a GET, with the server's own address
// replaced so two servers' answers compare.
func (s *snapSide) get(t *testing.T, path string) string {
	t.Helper()
	resp, err := s.srv.Client().Get(s.srv.URL + "/conversations" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, strings.ReplaceAll(string(b), s.srv.URL, "http://emulator"))
}

func (s *snapSide) snapshot(t *testing.T) []byte {
	t.Helper()
	b, err := s.e.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// buildRichState drives s through the REST API (and the engine's channel
// entry points) into a state with every resource kind and timers in flight.
func buildRichState(t *testing.T, s *snapSide, hooks string) {
	t.Helper()
	e := s.e
	s.do(t, 200, "POST", "/v1/Configuration", encodeQuery("DefaultInactiveTimer", "PT10M", "DefaultClosedTimer", "PT1H"))
	s.do(t, 200, "POST", "/v1/Configuration/Webhooks", url.Values{"PostWebhookUrl": {hooks + "/post"}, "Method": {"POST"},
		"Filters": {"onConversationUpdated", "onConversationStateUpdated", "onMessageAdded"}})
	svcB := s.do(t, 201, "POST", "/v1/Services", encodeQuery("FriendlyName", "Brand B"))["sid"].(string)
	s.do(t, 200, "POST", "/v1/Services/"+svcB+"/Configuration/Notifications", encodeQuery("NewMessage.Enabled", "true",
		"NewMessage.Template", "${MESSAGE}", "NewMessage.WithMedia.Enabled", "true", "LogEnabled", "true", "AddedToConversation.Sound", "ding"))
	s.do(t, 200, "POST", "/v1/Services/"+svcB+"/Configuration", encodeQuery("ReachabilityEnabled", "true"))
	s.do(t, 200, "POST", "/v1/Services/"+svcB+"/Configuration/Webhooks", url.Values{"PostWebhookUrl": {hooks + "/b"},
		"Filters": {"onMessageAdded", "onConversationStateUpdated"}, "Method": {"GET"}})
	s.do(t, 201, "POST", "/v1/Configuration/Addresses", encodeQuery("Type", "sms", "Address", smsProxy, "FriendlyName", "SMS line",
		"AutoCreation.Enabled", "true", "AutoCreation.Type", "default"))
	s.do(t, 201, "POST", "/v1/Configuration/Addresses", url.Values{"Type": {"whatsapp"}, "Address": {waProxy}, "AddressCountry": {"US"},
		"AutoCreation.Enabled": {"true"}, "AutoCreation.Type": {"webhook"}, "AutoCreation.ConversationServiceSid": {svcB},
		"AutoCreation.WebhookUrl": {hooks + "/auto"}, "AutoCreation.WebhookFilters": {"onMessageAdded"}})

	// Users, roles and credentials.
	role := s.do(t, 201, "POST", "/v1/Services/"+svcB+"/Roles", url.Values{"FriendlyName": {"agent"}, "Type": {"service"},
		"Permission": {"createConversation", "joinConversation"}})["sid"].(string)
	gone := s.do(t, 201, "POST", "/v1/Roles", url.Values{"FriendlyName": {"temp"}, "Type": {"conversation"}, "Permission": {"sendMessage"}})["sid"].(string)
	s.do(t, 204, "DELETE", "/v1/Roles/"+gone, nil)
	s.do(t, 201, "POST", "/v1/Users", encodeQuery("Identity", "agent", "FriendlyName", "Agent", "Attributes", `{"skill":"sales"}`))
	s.do(t, 201, "POST", "/v1/Services/"+svcB+"/Users", encodeQuery("Identity", "bob", "RoleSid", role))
	s.do(t, 200, "POST", "/v1/Services/"+svcB+"/Users/bob", encodeQuery("FriendlyName", "Bob"))
	s.do(t, 201, "POST", "/v1/Users", encodeQuery("Identity", "leaver"))
	s.do(t, 204, "DELETE", "/v1/Users/leaver", nil)
	cr := s.do(t, 201, "POST", "/v1/Credentials", encodeQuery("Type", "apn", "FriendlyName", "ios", "Certificate", "C", "PrivateKey", "K", "Sandbox", "true"))["sid"].(string)
	s.do(t, 200, "POST", "/v1/Credentials/"+cr, encodeQuery("FriendlyName", "ios prod"))
	s.do(t, 201, "POST", "/v1/Credentials", encodeQuery("Type", "fcm", "Secret", "S"))

	// An SMS customer opens a conversation in the default service; an agent
	// joins and answers (a delivery receipt), with media; read horizons.
	in, err := e.Inbound(InboundParams{From: smsCust, To: smsProxy, Body: "hello", Attributes: `{"k":1}`})
	if err != nil {
		t.Fatal(err)
	}
	c1 := in.Conversation.SID
	s.do(t, 201, "POST", "/v1/Conversations/"+c1+"/Participants", encodeQuery("Identity", "agent", "Attributes", `{"a":true}`))
	s.do(t, 201, "POST", "/v1/Conversations/"+c1+"/Messages", encodeQuery("Author", "agent", "Body", "hi there"))
	if _, err := e.AddMessage(c1, CreateMessageParams{Author: "agent", Body: "a picture", MediaSIDs: []string{"ME00000000000000000000000000000001"},
		ContentSID: "HX00000000000000000000000000000001", Origin: Origin{Source: SourceSDK, ClientIdentity: "agent"}}); err != nil {
		t.Fatal(err)
	}
	s.do(t, 200, "POST", "/v1/Users/agent/Conversations/"+c1, encodeQuery("LastReadMessageIndex", "1", "NotificationLevel", "muted",
		"LastReadTimestamp", "2026-01-05T09:00:00Z"))
	webhooks := "/v1/Conversations/" + c1 + "/Webhooks"
	s.do(t, 201, "POST", webhooks, url.Values{"Target": {"webhook"}, "Configuration.Url": {hooks + "/scoped"},
		"Configuration.Filters": {"onMessageAdded", "onConversationStateUpdated"}, "Configuration.Method": {"GET"}})
	s.do(t, 201, "POST", webhooks, url.Values{"Target": {"trigger"}, "Configuration.Url": {hooks + "/trigger"}, "Configuration.Triggers": {"help"}})
	s.do(t, 201, "POST", webhooks, url.Values{"Target": {"studio"}, "Configuration.FlowSid": {"FW00000000000000000000000000000001"},
		"Configuration.ReplayAfter": {"5"}})

	// A WhatsApp customer auto-creates into service B (scoped webhook),
	// whose binding then moves to another proxy.
	s.clk.Advance(time.Minute)
	wa, err := e.Inbound(InboundParams{From: waCustomer, To: waProxy, Body: "hola"})
	if err != nil {
		t.Fatal(err)
	}
	svcConv := "/v1/Services/" + svcB + "/Conversations/"
	s.do(t, 200, "POST", svcConv+wa.Conversation.SID+"/Participants/"+wa.Participant.SID,
		encodeQuery("MessagingBinding.ProxyAddress", "whatsapp:+14155230000", "Attributes", `{"moved":1}`))

	// Conversations in service B: named, custom timers, deleted messages
	// (an index gap), one inactive, one closed, one deleted.
	s.clk.Advance(time.Minute)
	c2 := s.do(t, 201, "POST", "/v1/Services/"+svcB+"/Conversations", encodeQuery("UniqueName", "case-2", "FriendlyName", "Case 2",
		"Attributes", `{"p":2}`, "Timers.Inactive", "PT2M", "Timers.Closed", "PT20M"))["sid"].(string)
	s.do(t, 201, "POST", svcConv+c2+"/Participants", encodeQuery("Identity", "bob"))
	s.do(t, 201, "POST", svcConv+c2+"/Participants", encodeQuery("MessagingBinding.Address", "+15005550099", "MessagingBinding.ProxyAddress", smsProxy))
	s.do(t, 201, "POST", svcConv+c2+"/Participants", encodeQuery("Identity", "gbm", "MessagingBinding.ProjectedAddress", "+15005550100"))
	var last string
	for i := 0; i < 3; i++ {
		last = s.do(t, 201, "POST", svcConv+c2+"/Messages", encodeQuery("Author", "bob", "Body", fmt.Sprintf("m%d", i),
			"Attributes", `{"i":1}`))["sid"].(string)
	}
	s.do(t, 200, "POST", svcConv+c2+"/Messages/"+last, encodeQuery("Body", "edited"))
	s.do(t, 204, "DELETE", svcConv+c2+"/Messages/"+last, nil)
	c3 := s.do(t, 201, "POST", "/v1/Conversations", encodeQuery("FriendlyName", "idle"))["sid"].(string)
	s.do(t, 200, "POST", "/v1/Conversations/"+c3, encodeQuery("State", "inactive"))
	c4 := s.do(t, 201, "POST", "/v1/Conversations", encodeQuery("FriendlyName", "done"))["sid"].(string)
	s.do(t, 201, "POST", "/v1/Conversations/"+c4+"/Participants", encodeQuery("MessagingBinding.Address", "+15005550111", "MessagingBinding.ProxyAddress", smsProxy))
	s.do(t, 200, "POST", "/v1/Conversations/"+c4, encodeQuery("State", "closed"))
	c5 := s.do(t, 201, "POST", "/v1/Conversations", nil)["sid"].(string)
	s.do(t, 204, "DELETE", "/v1/Conversations/"+c5, nil)

	// Timers due at the same instant: tA is armed first, then tB, then a
	// message re-arms tA, so tB's fire first.
	s.clk.Advance(time.Minute)
	tA := s.do(t, 201, "POST", "/v1/Conversations", encodeQuery("UniqueName", "tie-a", "Timers.Inactive", "PT3M"))["sid"].(string)
	s.do(t, 201, "POST", "/v1/Conversations", encodeQuery("UniqueName", "tie-b", "Timers.Inactive", "PT3M"))
	s.do(t, 201, "POST", "/v1/Conversations/"+tA+"/Messages", encodeQuery("Body", "again"))
	s.clk.Advance(30 * time.Second)
}

// readPaths lists a GET of every resource the REST API shows for e's state:
// every singleton, list and fetch route, on the default-service and the
// service-scoped copies.
func readPaths(t *testing.T, e *Engine) []string {
	t.Helper()
	paths := []string{"/v1/Configuration", "/v1/Configuration/Webhooks", "/v1/Configuration/Addresses", "/v1/Services",
		"/v1/Credentials", "/v1/Conversations", "/v1/Users", "/v1/Roles", "/v1/Conversations?State=inactive"}
	for _, a := range e.AddressConfigurations() {
		paths = append(paths, "/v1/Configuration/Addresses/"+a.SID)
	}
	for _, c := range e.Credentials() {
		paths = append(paths, "/v1/Credentials/"+c.SID)
	}
	identities := map[string]bool{}
	for _, svc := range e.Services() {
		sp := "/v1/Services/" + svc.SID
		paths = append(paths, sp, sp+"/Configuration", sp+"/Configuration/Webhooks", sp+"/Configuration/Notifications",
			sp+"/Bindings", sp+"/Bindings/BS00000000000000000000000000000000", sp+"/Conversations", sp+"/Users", sp+"/Roles")
		prefixes := []string{sp}
		if svc.SID == e.DefaultServiceSID() {
			prefixes = append(prefixes, "/v1")
		}
		roles, _ := e.Roles(svc.SID)
		for _, r := range roles {
			for _, pre := range prefixes {
				paths = append(paths, pre+"/Roles/"+r.SID)
			}
		}
		users, _ := e.Users(svc.SID)
		for _, u := range users {
			for _, pre := range prefixes {
				paths = append(paths, pre+"/Users/"+u.SID, pre+"/Users/"+u.Identity+"/Conversations",
					pre+"/ParticipantConversations?Identity="+u.Identity)
				ucs, _ := e.UserConversations(svc.SID, u.SID)
				for _, uc := range ucs {
					paths = append(paths, pre+"/Users/"+u.SID+"/Conversations/"+uc.Conversation.SID)
				}
			}
		}
		convs, _ := e.Conversations(ListConversationsParams{ChatServiceSID: svc.SID})
		for _, c := range convs {
			for _, pre := range prefixes {
				cp := pre + "/Conversations/" + c.SID
				paths = append(paths, cp, cp+"/Participants", cp+"/Messages", cp+"/Messages?Order=desc", cp+"/Webhooks")
				if c.UniqueName != "" {
					paths = append(paths, pre+"/Conversations/"+c.UniqueName)
				}
				parts, _ := e.Participants(c.SID)
				for _, p := range parts {
					paths = append(paths, cp+"/Participants/"+p.SID)
					if p.Binding != nil && p.Binding.Address != "" && !identities[pre+p.Binding.Address] {
						identities[pre+p.Binding.Address] = true
						paths = append(paths, pre+"/ParticipantConversations?Address="+url.QueryEscape(p.Binding.Address))
					}
				}
				msgs, _ := e.Messages(c.SID, false)
				for _, m := range msgs {
					paths = append(paths, cp+"/Messages/"+m.SID, cp+"/Messages/"+m.SID+"/Receipts")
					rs, _ := e.Receipts(c.SID, m.SID)
					for _, r := range rs {
						paths = append(paths, cp+"/Messages/"+m.SID+"/Receipts/"+r.SID)
					}
				}
				hooks, _ := e.Webhooks(c.SID)
				for _, w := range hooks {
					paths = append(paths, cp+"/Webhooks/"+w.SID)
				}
			}
		}
	}
	// Every GET route must be read at least once.
	for _, r := range Routes() {
		if r.Method != "GET" {
			continue
		}
		hit := false
		for _, p := range paths {
			if routeMatches(r.Path, p) {
				hit = true
				break
			}
		}
		if !hit {
			t.Errorf("no read of GET %s in the rich state", r.Path)
		}
	}
	return paths
}

// routeMatches reports whether path (query aside) fits a route pattern, a
// {placeholder} matching any one segment.
func routeMatches(pattern, path string) bool {
	path, _, _ = strings.Cut(path, "?")
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if !strings.HasPrefix(ps[i], "{") && ps[i] != xs[i] {
			return false
		}
	}
	return true
}

// stateEntries renders the conversations state entries of a timeline after
// seq, for comparing what two engines did.
func stateEntries(tl *timeline.Timeline, seq int64) []string {
	var out []string
	for _, en := range tl.Since(seq) {
		if en.Kind != timeline.KindState || en.Product != product {
			continue
		}
		refs, _ := json.Marshal(en.Refs)
		out = append(out, fmt.Sprintf("%s %s %s %s %s", en.Time.Format(time.RFC3339Nano), en.Type, en.SID, refs, en.Summary))
	}
	return out
}

// deliveries renders the webhook requests a side sent after the first n,
// sorted: deliveries to different URLs and conversations run in parallel.
func deliveries(t *testing.T, s *snapSide, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.ev.Webhooks.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range s.ev.Webhooks.Deliveries()[n:] {
		out = append(out, d.Request.Method+" "+d.Request.URL+" "+d.Request.Params.Encode())
	}
	sort.Strings(out)
	return out
}

func TestSnapshotRoundTrip(t *testing.T) {
	rc := newReceiver(t, "0123456789abcdef0123456789abcdef")
	orig := newSnapSide(t, time.Time{})
	buildRichState(t, orig, rc.URL)
	data := orig.snapshot(t)
	if bytes.Contains(data, []byte("\n")) {
		t.Error("snapshot is not compact")
	}
	if !bytes.Contains(data, []byte(`"timers":[{`)) || !bytes.Contains(data, []byte(`"receipts":[`)) ||
		!bytes.Contains(data, []byte(`"read":{`)) || !bytes.Contains(data, []byte(`"bindings":[{`)) {
		t.Fatalf("the rich state lacks timers, receipts, read states or bindings: %s", data)
	}
	before := map[string]string{}
	paths := readPaths(t, orig.e)
	for _, p := range paths {
		before[p] = orig.get(t, p)
	}
	origDeliveries := len(deliveries(t, orig, 0))

	got := newSnapSide(t, orig.clk.Now())
	entries := got.ev.Timeline.Last()
	if err := got.e.Restore(data); err != nil {
		t.Fatal(err)
	}
	// (d) Restore emitted nothing.
	if n := got.ev.Timeline.Last(); n != entries {
		t.Errorf("Restore added %d timeline entries: %v", n-entries, stateEntries(got.ev.Timeline, entries))
	}
	if d := deliveries(t, got, 0); len(d) != 0 {
		t.Errorf("Restore sent webhooks: %v", d)
	}
	if got.changes != 0 || got.studio != 0 {
		t.Errorf("Restore reported %d changes and ran Studio %d times", got.changes, got.studio)
	}
	// (a) byte for byte.
	if again := got.snapshot(t); !bytes.Equal(again, data) {
		t.Fatalf("snapshot of the restored engine differs:\n%s\n%s", data, again)
	}
	// (b) every REST read.
	for _, p := range paths {
		if g := got.get(t, p); g != before[p] {
			t.Errorf("GET %s after restore:\n got %s\nwant %s", p, g, before[p])
		}
	}
	if n := len(readPaths(t, got.e)); n != len(paths) {
		t.Errorf("restored engine shows %d resources, want %d", n, len(paths))
	}
	// (c) the clocks run on in lockstep: timers fire at the same instants
	// with the same effects.
	origSeq, gotSeq := orig.ev.Timeline.Last(), got.ev.Timeline.Last()
	for step := 0; step < 70; step++ {
		orig.clk.Advance(time.Minute)
		got.clk.Advance(time.Minute)
		if a, b := orig.snapshot(t), got.snapshot(t); !bytes.Equal(a, b) {
			t.Fatalf("after %d min the engines differ:\n%s\n%s", step+1, a, b)
		}
	}
	want, have := stateEntries(orig.ev.Timeline, origSeq), stateEntries(got.ev.Timeline, gotSeq)
	if len(want) < 10 || strings.Join(want, "\n") != strings.Join(have, "\n") {
		t.Errorf("timer effects differ:\noriginal %s\nrestored %s", strings.Join(want, "\n"), strings.Join(have, "\n"))
	}
	if a, b := deliveries(t, orig, origDeliveries), deliveries(t, got, 0); len(a) == 0 || strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("timer webhooks differ:\noriginal %v\nrestored %v", a, b)
	}
	if orig.clk.Pending() != 0 || got.clk.Pending() != 0 {
		t.Errorf("timers left: %d and %d", orig.clk.Pending(), got.clk.Pending())
	}
}

// TestSnapshotTimerTieOrder: timers due at one instant fire in arming order
// after a restore too, and an overdue timer fires on the next advance.
func TestSnapshotTimerTieOrder(t *testing.T) {
	rc := newReceiver(t, "0123456789abcdef0123456789abcdef")
	orig := newSnapSide(t, time.Time{})
	buildRichState(t, orig, rc.URL)
	data := orig.snapshot(t)
	var s snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	byName := map[string]string{}
	for _, c := range s.Conversations {
		byName[c.UniqueName] = c.SID
	}
	var order []string
	for _, tm := range s.Timers {
		if tm.State == StateInactive && (tm.ConversationSID == byName["tie-a"] || tm.ConversationSID == byName["tie-b"]) {
			order = append(order, tm.ConversationSID)
		}
	}
	if len(order) != 2 || order[0] != byName["tie-b"] {
		t.Fatalf("tied timers in order %v, want tie-b (%s) first", order, byName["tie-b"])
	}

	// Restored two hours late, every timer is overdue: all fire on the next
	// advance, in their stored order.
	late := newSnapSide(t, orig.clk.Now().Add(2*time.Hour))
	if err := late.e.Restore(data); err != nil {
		t.Fatal(err)
	}
	seq := late.ev.Timeline.Last()
	late.clk.Advance(0)
	var fired []string
	for _, en := range late.ev.Timeline.Since(seq) {
		if en.Type == "conversation.state_updated" {
			fired = append(fired, en.SID+" "+en.Refs["state_to"])
		}
	}
	if len(fired) != len(s.Timers) {
		t.Fatalf("%d timers fired on the next advance, want %d: %v", len(fired), len(s.Timers), fired)
	}
	for i, tm := range s.Timers {
		if want := tm.ConversationSID + " " + tm.State; fired[i] != want {
			t.Errorf("timer %d fired %s, want %s", i, fired[i], want)
		}
	}
}

// TestSnapshotRestoredEngineKeepsWorking: a restored engine goes on where
// the original stopped (indexes, revisions, bindings, names) and its own
// snapshot restores again.
func TestSnapshotRestoredEngineKeepsWorking(t *testing.T) {
	rc := newReceiver(t, "0123456789abcdef0123456789abcdef")
	orig := newSnapSide(t, time.Time{})
	buildRichState(t, orig, rc.URL)
	data := orig.snapshot(t)
	var s snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	got := newSnapSide(t, orig.clk.Now())
	if err := got.e.Restore(data); err != nil {
		t.Fatal(err)
	}
	e := got.e
	c2, err := e.ServiceConversation(s.Services[1].SID, "case-2")
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.AddMessage(c2.SID, CreateMessageParams{Author: "bob", Body: "after restart"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Index != 3 || m.Rev <= s.Rev {
		t.Errorf("new message index %d rev %d, want index 3 (2 was deleted) and a rev above %d", m.Index, m.Rev, s.Rev)
	}
	if got.changes != 1 {
		t.Errorf("%d changes reported for one message", got.changes)
	}
	// The restored routing table: the SMS customer's next message joins its
	// conversation, the moved WhatsApp binding answers on its new proxy only.
	in, err := e.Inbound(InboundParams{From: smsCust, To: smsProxy, Body: "still there?"})
	if err != nil || in.Created || in.Message.Index != 3 {
		t.Fatalf("inbound after restore: %+v, %v", in, err)
	}
	if in, err := e.Inbound(InboundParams{From: waCustomer, To: "whatsapp:+14155230000", Body: "x"}); err != nil || in.Created {
		t.Fatalf("moved binding after restore: %+v, %v", in, err)
	}
	if _, err := e.CreateConversation(CreateConversationParams{ChatServiceSID: s.Services[1].SID, UniqueName: "case-2"}); err == nil {
		t.Error("a restored unique name was taken again")
	}
	if _, err := e.AddParticipant(c2.SID, CreateParticipantParams{Address: "+15005550099", ProxyAddress: smsProxy}); err == nil {
		t.Error("a restored binding was handed out again")
	}
	c, err := e.CreateConversation(CreateConversationParams{FriendlyName: "new"})
	if err != nil {
		t.Fatal(err)
	}
	for _, old := range s.Conversations {
		if old.SID == c.SID {
			t.Fatal("SID collision")
		}
	}
	if _, err := e.CreateUser("", CreateUserParams{Identity: "agent"}); err == nil {
		t.Error("a restored identity was taken again")
	}
	if roles, _ := e.Roles(s.Services[0].SID); len(roles) != 4 {
		t.Errorf("%d roles in the default service after restore, want the 4 built-in", len(roles))
	}

	// Restore after restore-then-mutate.
	data2 := got.snapshot(t)
	third := newSnapSide(t, got.clk.Now())
	if err := third.e.Restore(data2); err != nil {
		t.Fatal(err)
	}
	if again := third.snapshot(t); !bytes.Equal(again, data2) {
		t.Errorf("second-generation snapshot differs:\n%s\n%s", data2, again)
	}
}

func TestSnapshotRestoreRejectsBadData(t *testing.T) {
	rc := newReceiver(t, "0123456789abcdef0123456789abcdef")
	orig := newSnapSide(t, time.Time{})
	buildRichState(t, orig, rc.URL)
	good := orig.snapshot(t)

	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	list := func(m map[string]any, key string) []any { return m[key].([]any) }
	obj := func(v any) map[string]any { return v.(map[string]any) }
	conv := func(m map[string]any, i int) map[string]any { return obj(list(m, "conversations")[i]) }

	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"not JSON", []byte(`{"rev":`), "unexpected EOF"},
		{"an array", []byte(`[]`), "cannot unmarshal"},
		{"trailing data", append(append([]byte(nil), good...), []byte(` {}`)...), "trailing"},
		{"unknown field", edit(func(m map[string]any) { m["extra"] = 1 }), "unknown field"},
		{"rev is a string", edit(func(m map[string]any) { m["rev"] = "7" }), "cannot unmarshal"},
		{"date is a number", edit(func(m map[string]any) { conv(m, 0)["date_created"] = 5 }), "Time"},
		{"bad service SID", edit(func(m map[string]any) { obj(list(m, "services")[1])["sid"] = "XX1" }), "services[1]"},
		{"duplicate service", edit(func(m map[string]any) { m["services"] = append(list(m, "services"), list(m, "services")[0]) }), "duplicate"},
		{"unknown default service", edit(func(m map[string]any) {
			obj(m["configuration"])["default_chat_service_sid"] = "IS00000000000000000000000000000000"
		}), "default chat service"},
		{"conversation in an unknown service", edit(func(m map[string]any) {
			conv(m, 0)["chat_service_sid"] = "IS00000000000000000000000000000000"
		}), "conversations[0]"},
		{"bad state", edit(func(m map[string]any) { conv(m, 0)["state"] = "asleep" }), "asleep"},
		{"timer on a closed conversation", edit(func(m map[string]any) { conv(m, 0)["state"] = "closed" }), "pending on a closed"},
		{"timer for an unknown conversation", edit(func(m map[string]any) {
			obj(list(m, "timers")[0])["conversation_sid"] = "CH00000000000000000000000000000000"
		}), "timers[0]"},
		{"timer not listed", edit(func(m map[string]any) { m["timers"] = list(m, "timers")[1:] }), "not listed"},
		{"binding to an unknown participant", edit(func(m map[string]any) {
			obj(list(m, "bindings")[0])["participant_sid"] = "MB00000000000000000000000000000000"
		}), "bindings[0]"},
		{"duplicate participant", edit(func(m map[string]any) {
			conv(m, 1)["participants"] = append(list(conv(m, 1), "participants"), list(conv(m, 0), "participants")[0])
		}), "duplicate SID"},
		{"message index beyond next_index", edit(func(m map[string]any) { conv(m, 0)["next_index"] = 1 }), "index"},
		{"user in an unknown service", edit(func(m map[string]any) {
			obj(list(m, "users")[0])["chat_service_sid"] = "IS00000000000000000000000000000000"
		}), "users[0]"},
		{"duplicate identity", edit(func(m map[string]any) {
			u := map[string]any{}
			for k, v := range obj(list(m, "users")[0]) {
				u[k] = v
			}
			u["sid"] = "US00000000000000000000000000000000"
			m["users"] = append(list(m, "users"), u)
		}), "identity"},
		{"bad role type", edit(func(m map[string]any) { obj(list(m, "roles")[0])["type"] = "god" }), "role type"},
		{"bad credential type", edit(func(m map[string]any) { obj(list(m, "credentials")[0])["type"] = "sms" }), "credentials[0]"},
		{"rev below a record's", edit(func(m map[string]any) { m["rev"] = 1 }), "rev"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSnapSide(t, orig.clk.Now())
			before := s.snapshot(t)
			pending := s.clk.Pending()
			err := s.e.Restore(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "conversations: restore: ") {
				t.Fatalf("Restore: %v, want an error about %q", err, tc.want)
			}
			if after := s.snapshot(t); !bytes.Equal(after, before) || s.clk.Pending() != pending {
				t.Errorf("a failed Restore changed the engine:\n%s\n%s", before, after)
			}
		})
	}
}
