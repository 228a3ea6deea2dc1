package emulator_test

import (
	"encoding/json"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/accesstoken"
	"github.com/flexemu/flexemu/emulator/emulatortest"
	"github.com/gorilla/websocket"
)

// heapAgentSessions is how many agents (one event-bridge socket and one
// twilsock session each) the measurement keeps connected: enough that the
// per-session cost dominates GC noise.
const heapAgentSessions = 200

// Budgets for one connected agent at steady state, with headroom over the
// measured figures (docs/fidelity.md, "Memory bounds"). The measured heap
// includes the test's own client end of each socket (a gorilla Conn with
// 512-byte buffers: 2.2 KB), so the server alone has that much more
// headroom.
const (
	// heapEventBridgeBudget is the retained heap of one idle Worker SDK
	// socket (24.3 KB measured): net/http's 4 KB read and write buffers,
	// which gorilla reuses, the 256-frame queue (6.6 KB), the request,
	// session, tickers, what the SDK knows.
	heapEventBridgeBudget = 28 << 10
	// heapTwilsockBudget is the retained heap of one initialised twilsock
	// session subscribed to the user's maps (27.1 KB measured): net/http's
	// 4 KB read and write buffers (reused by gorilla), the 256-frame queue
	// (9.3 KB), the request, session, contexts, tickers, subscriptions.
	heapTwilsockBudget = 32 << 10
	// goroutinesPerAgent: the event bridge's handler (writer) and reader,
	// twilsock's handler (reader), writer and watcher.
	goroutinesPerAgent = 5
	// heapAfterCloseBudget is what one agent's connect and disconnect may
	// leave behind once its sockets are gone: two timeline entries
	// (worker.sdk.connected, worker.sdk.disconnected; the timeline is a
	// bounded ring; 0.9 KB measured), nothing else.
	heapAfterCloseBudget = 2 << 10
	// heapAfterCloseSlack absorbs GC noise and one-off state (the worker
	// set offline when its last socket closed, its events).
	heapAfterCloseSlack = 512 << 10
)

// haDialer keeps the test's client ends small: their heap is in the same
// process and counts in the measurement.
var haDialer = websocket.Dialer{ReadBufferSize: 512, WriteBufferSize: 512, HandshakeTimeout: 10 * time.Second}

// haToken is one agent's Access Token as Flex mints it: both the TaskRouter
// worker grant (event bridge) and the chat grant (twilsock).
func haToken(tb testing.TB, acct *emulator.Account, identity string) string {
	tb.Helper()
	tok, err := acct.MintToken(identity, accesstoken.Grants{
		TaskRouter: &accesstoken.TaskRouterGrant{WorkspaceSID: ebWorkspace, Role: "worker"},
		Chat:       &accesstoken.ChatGrant{ServiceSID: "IS00000000000000000000000000000000"},
	}, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// haEventBridge connects one Worker SDK socket and reads its init frame.
// The client then reads nothing: heartbeats wait in the kernel's buffers,
// and no client goroutine muddles the count.
func haEventBridge(tb testing.TB, emu *emulator.Emulator, token, extra string) *websocket.Conn {
	tb.Helper()
	u := "ws" + strings.TrimPrefix(emu.URL(), "http") + emulator.EventBridgePath +
		"?token=" + token + "&closeExistingSessions=false&clientVersion=2.1.1" + extra
	ws, _, err := haDialer.Dial(u, http.Header{"Origin": {"http://localhost:3000"}})
	if err != nil {
		tb.Fatalf("dial event bridge: %v", err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, data, err := ws.ReadMessage()
	if err != nil {
		tb.Fatalf("event bridge init: %v", err)
	}
	var f ebFrame
	if err := json.Unmarshal(data, &f); err != nil || f.EventType != "init" {
		tb.Fatalf("first frame %q, want init", data)
	}
	return ws
}

// haTwilsock is a synchronous twilsock client: one request at a time,
// notifications counted while waiting for a reply.
type haTwilsock struct {
	*tsClient
	notifications int
	established   int
}

func (c *haTwilsock) call(hdr map[string]any, payload []byte) (map[string]any, []byte) {
	c.t.Helper()
	id := c.send(hdr, payload)
	for {
		h, body := c.recv()
		if h["method"] == "notification" {
			c.notifications++
			if strings.Contains(string(body), `"subscription_established"`) {
				c.established++
			}
			continue
		}
		if h["method"] == "reply" && h["id"] == id {
			if st, _ := h["status"].(map[string]any); st["code"] != 200.0 {
				c.t.Fatalf("twilsock %v answered %v", hdr["method"], h)
			}
			return h, body
		}
	}
}

// get tunnels one SDK request and decodes its 200 JSON answer.
func (c *haTwilsock) get(host, method, path string, params map[string]any, body any) map[string]any {
	c.t.Helper()
	var payload []byte
	if body != nil {
		payload, _ = json.Marshal(body)
	}
	h, b := c.call(map[string]any{"method": "message", "active_grant": "ip_messaging",
		"payload_type": "application/json; charset=utf-8",
		"http_request": map[string]any{"host": host, "path": path, "method": method,
			"params": params, "headers": map[string]any{}}}, payload)
	if hs, _ := h["http_status"].(map[string]any); hs["code"] != 200.0 {
		c.t.Fatalf("%s %s answered %v %s", method, path, h, b)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		c.t.Fatalf("%s %s: %q: %v", method, path, b, err)
	}
	return out
}

// haConversations connects one @twilio/conversations client as the SDK
// starts: init, Configuration, the user's two Sync maps (read, the
// conversations map's items, subscribed).
func haConversations(tb testing.TB, emu *emulator.Emulator, token string) *websocket.Conn {
	tb.Helper()
	u := "ws" + strings.TrimPrefix(emu.URL(), "http") + emulator.TwilsockPath
	ws, _, err := haDialer.Dial(u, http.Header{"Origin": {"http://localhost:3000"}})
	if err != nil {
		tb.Fatalf("dial twilsock: %v", err)
	}
	c := &haTwilsock{tsClient: &tsClient{t: tb, ws: ws}}
	c.call(map[string]any{"method": "init", "token": token, "continuation_token": nil, "registrations": []any{},
		"capabilities": []string{"client_update", "offline_storage", "telemetry.v1"}}, nil)
	cfg := c.get("aim.us1.twilio.com", "GET", "/Client/v2/Configuration", map[string]any{}, nil)
	objs, _ := cfg["sync_objects"].(map[string]any)
	myName, _ := objs["my_conversations"].(string)
	userName, _ := objs["my_user_info"].(string)
	my := c.get("cds.us1.twilio.com", "GET", "/v3/Maps/"+myName, map[string]any{}, nil)
	user := c.get("cds.us1.twilio.com", "GET", "/v3/Maps/"+userName, map[string]any{"Include": "items"}, nil)
	c.get("cds.us1.twilio.com", "GET", "/v3/Maps/"+my["sid"].(string)+"/Items", map[string]any{"PageSize": "100"}, nil)
	var reqs []any
	for _, m := range []map[string]any{my, user} {
		reqs = append(reqs, map[string]any{"object_sid": m["sid"], "object_type": "map", "last_event_id": m["last_event_id"]})
	}
	c.get("cds.us1.twilio.com", "POST", "/v4/Subscriptions", map[string]any{}, map[string]any{
		"event_protocol_version": 4, "action": "establish", "correlation_id": 1, "retried_requests": 0,
		"ttl_in_s": -1, "requests": reqs})
	// subscription_established may follow the acknowledgement: a ping
	// round trip (telemetry is answered in order) collects it.
	for i := 0; c.established == 0 && i < 10; i++ {
		c.call(map[string]any{"method": "telemetry.v1"}, []byte(`{"events":[]}`))
	}
	if c.established == 0 {
		tb.Fatal("no subscription_established for the user's maps")
	}
	return ws
}

// haClose closes a client end as a browser tab does: a close frame, then
// the connection.
func haClose(ws *websocket.Conn) {
	_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, ""),
		time.Now().Add(time.Second))
	_ = ws.Close()
}

type haSnapshot struct {
	heap, stack uint64
	goroutines  int
}

func haMeasure() haSnapshot {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return haSnapshot{heap: m.HeapAlloc, stack: m.StackInuse, goroutines: runtime.NumGoroutine()}
}

func perSession(after, before uint64) float64 {
	return (float64(after) - float64(before)) / heapAgentSessions
}

// TestHeapPerAgentSession guards what connected agents cost a long-running
// emulator: the retained heap and goroutines of an event-bridge socket and
// of a twilsock session, and that both return to the baseline once the
// clients are gone. When FLEXEMU_HEAPPROFILE names a file, an in-use heap
// profile is written there with every agent connected.
func TestHeapPerAgentSession(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector inflates memory")
	}
	if testing.Short() {
		t.Skip("connects hundreds of sockets")
	}
	profile := os.Getenv("FLEXEMU_HEAPPROFILE")
	if profile != "" {
		defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
		runtime.MemProfileRate = 1
	}
	emu := emulatortest.Run(t)
	acct := emu.Account()
	tokens := make([]string, heapAgentSessions)
	for i := range tokens {
		tokens[i] = haToken(t, acct, "alice")
	}

	// A first round creates what the first connection creates once (the
	// hub, the user and its maps, pooled buffers) and grows the runtime's
	// goroutine free list, which never shrinks.
	var eb, ts []*websocket.Conn
	for _, tok := range tokens {
		eb = append(eb, haEventBridge(t, emu, tok, "&setWorkerOfflineIfDisconnected=false"))
		ts = append(ts, haConversations(t, emu, tok))
	}
	for i := range eb {
		haClose(eb[i])
		haClose(ts[i])
	}
	eb, ts = nil, nil // the closed client ends must not stay reachable
	base := haSettle(t, 0, 0, nil)

	for _, tok := range tokens {
		eb = append(eb, haEventBridge(t, emu, tok, ""))
	}
	withEB := haMeasure()
	for _, tok := range tokens {
		ts = append(ts, haConversations(t, emu, tok))
	}
	withTS := haMeasure()
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}

	ebHeap, tsHeap := perSession(withEB.heap, base.heap), perSession(withTS.heap, withEB.heap)
	ebStack, tsStack := perSession(withEB.stack, base.stack), perSession(withTS.stack, withEB.stack)
	ebG := float64(withEB.goroutines-base.goroutines) / heapAgentSessions
	tsG := float64(withTS.goroutines-withEB.goroutines) / heapAgentSessions
	t.Logf("event bridge: %.0f B heap, %.0f B stacks, %.2f goroutines per socket", ebHeap, ebStack, ebG)
	t.Logf("twilsock:     %.0f B heap, %.0f B stacks, %.2f goroutines per session", tsHeap, tsStack, tsG)
	if ebHeap > heapEventBridgeBudget {
		t.Errorf("an event-bridge socket retains %.0f B, over the %d B budget", ebHeap, heapEventBridgeBudget)
	}
	if tsHeap > heapTwilsockBudget {
		t.Errorf("a twilsock session retains %.0f B, over the %d B budget", tsHeap, heapTwilsockBudget)
	}
	if g := ebG + tsG; g > goroutinesPerAgent+0.1 {
		t.Errorf("%.2f goroutines per agent (event bridge %.2f, twilsock %.2f), want %d", g, ebG, tsG, goroutinesPerAgent)
	}

	for i := range eb {
		haClose(eb[i])
		haClose(ts[i])
	}
	end := haSettle(t, base.goroutines, base.heap+heapAgentSessions*heapAfterCloseBudget+heapAfterCloseSlack, &base)
	t.Logf("after closing: %+d goroutines, %+.0f B heap per agent left (timeline entries)",
		end.goroutines-base.goroutines, perSession(end.heap, base.heap))
	runtime.KeepAlive(tokens) // part of the baseline: not freed into the figures
}

// haSettle waits until the sessions' goroutines have exited (the count is
// back to goroutines and stable) and, with a baseline, the heap is under
// heapLimit. With goroutines 0 it only waits for the count to settle.
func haSettle(t *testing.T, goroutines int, heapLimit uint64, base *haSnapshot) haSnapshot {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	prev, same := -1, 0
	for {
		s := haMeasure()
		if s.goroutines == prev {
			same++
		} else {
			same = 0
		}
		settled := same >= 5 // unchanged for a quarter of a second
		if goroutines > 0 {
			settled = s.goroutines <= goroutines+2
		}
		if settled && (base == nil || s.heap <= heapLimit) {
			return s
		}
		if time.Now().After(deadline) {
			if base == nil {
				t.Fatalf("goroutines did not settle: %d", s.goroutines)
			}
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("10 s after closing every client: %d goroutines (baseline %d), heap %+d B (limit %+d B)\n%s",
				s.goroutines, goroutines, int64(s.heap)-int64(base.heap), int64(heapLimit)-int64(base.heap), buf)
		}
		prev = s.goroutines
		time.Sleep(50 * time.Millisecond)
	}
}
