package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/accesstoken"
	"github.com/flexemu/flexemu/emulator/emulatortest"
	"github.com/flexemu/flexemu/emulator/taskrouter"
	"github.com/gorilla/websocket"
)

// The Worker SDK's wire, end to end against a running emulator: a real
// websocket client and envelopes as twilio-taskrouter 2.1.1 sends them.

const ebWorkspace = "WS0a1b2c3d4e5f60718293a4b5c6d7e8f9"

// Required keys of the SDK's descriptors (dossier §1.7).
var (
	workerKeys = []string{"account_sid", "activity_name", "activity_sid", "attributes", "available", "date_created",
		"date_status_changed", "date_updated", "friendly_name", "sid", "workspace_sid", "version"}
	activityKeys = []string{"account_sid", "available", "date_created", "date_updated", "friendly_name", "sid", "workspace_sid"}
	channelKeys  = []string{"account_sid", "assigned_tasks", "available", "available_capacity_percentage", "configured_capacity",
		"date_created", "date_updated", "last_reserved_time", "sid", "task_channel_sid", "task_channel_unique_name", "worker_sid", "workspace_sid"}
	taskKeys = []string{"addons", "age", "attributes", "date_created", "date_updated", "priority", "queue_name", "queue_sid",
		"reason", "routing_target", "sid", "assignment_status", "task_channel_unique_name", "task_channel_sid", "timeout",
		"workflow_name", "workflow_sid", "version", "virtual_start_time"}
	reservationKeys = []string{"account_sid", "date_created", "date_updated", "reservation_status", "sid", "task",
		"reservation_timeout", "worker_sid", "workspace_sid", "version"}
	taskQueueKeys = []string{"friendly_name", "reservation_activity_name", "assignment_activity_name", "target_workers",
		"max_reserved_workers", "task_order", "reservation_activity_sid", "assignment_activity_sid", "workspace_sid",
		"account_sid", "sid", "date_created", "date_updated", "lifo_queue"}
)

func requireKeys(t *testing.T, what string, m map[string]any, keys []string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s lacks required key %q: %v", what, k, m)
		}
	}
	for _, k := range []string{"date_created", "date_updated"} {
		if v, ok := m[k]; ok {
			if _, isNum := v.(float64); !isNum {
				t.Errorf("%s.%s = %v, want Unix seconds", what, k, v)
			}
		}
	}
	for _, k := range []string{"attributes", "addons"} {
		if v, ok := m[k]; ok {
			if _, isStr := v.(string); !isStr {
				t.Errorf("%s.%s = %v, want a JSON string", what, k, v)
			}
		}
	}
}

type ebFrame struct {
	EventType string         `json:"event_type"`
	Payload   map[string]any `json:"payload"`
}

// ebClient is one SDK socket and its frames.
type ebClient struct {
	t      *testing.T
	conn   *websocket.Conn
	frames chan ebFrame
	closed chan error
}

func ebDial(t *testing.T, emu *emulator.Emulator, token, extra string) (*ebClient, *http.Response, error) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(emu.URL(), "http") + emulator.EventBridgePath +
		"?token=" + token + "&closeExistingSessions=false&clientVersion=2.1.1" + extra
	conn, resp, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {"http://localhost:3000"}})
	if err != nil {
		return nil, resp, err
	}
	c := &ebClient{t: t, conn: conn, frames: make(chan ebFrame, 1024), closed: make(chan error, 1)}
	go func() {
		for {
			typ, data, err := conn.ReadMessage()
			if err != nil {
				c.closed <- err
				close(c.frames)
				return
			}
			if typ != websocket.TextMessage {
				t.Errorf("non-text frame %d (a binary frame crashes the SDK)", typ)
				continue
			}
			if len(bytes.TrimSpace(data)) == 0 {
				continue // heartbeat
			}
			var f ebFrame
			if err := json.Unmarshal(data, &f); err != nil {
				t.Errorf("frame %q: %v", data, err)
				continue
			}
			c.frames <- f
		}
	}()
	t.Cleanup(func() { _ = conn.Close() })
	return c, resp, nil
}

// await returns the next frame of type typ, skipping others.
func (c *ebClient) await(typ string) ebFrame {
	c.t.Helper()
	deadline := time.After(10 * time.Second)
	var skipped []string
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				c.t.Fatalf("socket closed while waiting for %s (skipped %v)", typ, skipped)
			}
			if f.EventType == typ {
				return f
			}
			skipped = append(skipped, f.EventType)
		case <-deadline:
			c.t.Fatalf("no %s pushed within 10 s (skipped %v)", typ, skipped)
		}
	}
}

func ebToken(t *testing.T, acct *emulator.Account, secret, identity string, ttl time.Duration) string {
	t.Helper()
	tok, err := accesstoken.Mint(accesstoken.Key{SID: acct.SID, Secret: secret}, acct.SID,
		accesstoken.Grants{Identity: identity, TaskRouter: &accesstoken.TaskRouterGrant{WorkspaceSID: ebWorkspace, Role: "worker"}},
		acct.TokenNow(), ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// ebPost sends one envelope and returns the status and decoded body.
func ebPost(t *testing.T, emu *emulator.Emulator, token, method, u string, params map[string]any, apiVersion string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"url": u, "method": method, "params": params, "token": token})
	req, _ := http.NewRequest(http.MethodPost, emu.URL()+emulator.EventBridgePath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded") // axios's default; the body is JSON
	req.Header.Set("apiVersion", apiVersion)
	req.Header.Set("clientVersion", "2.1.1")
	req.Header.Set("Origin", "http://localhost:3000")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: body %q: %v", method, u, raw, err)
	}
	if resp.StatusCode == 200 && resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
		t.Errorf("%s %s: Access-Control-Allow-Origin %q", method, u, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	return resp.StatusCode, out
}

// ebPayload sends an envelope that must succeed and returns its payload.
func ebPayload(t *testing.T, emu *emulator.Emulator, token, method, u string, params map[string]any, apiVersion string) map[string]any {
	t.Helper()
	status, body := ebPost(t, emu, token, method, u, params, apiVersion)
	return payloadOf(t, status, body)
}

func payloadOf(t *testing.T, status int, body map[string]any) map[string]any {
	t.Helper()
	if status != 200 {
		t.Fatalf("status %d: %v", status, body)
	}
	p, ok := body["payload"].(map[string]any)
	if !ok {
		t.Fatalf("no payload object: %v", body)
	}
	return p
}

func contentsOf(t *testing.T, p map[string]any) []map[string]any {
	t.Helper()
	list, ok := p["contents"].([]any)
	if !ok {
		t.Fatalf("no contents list: %v", p)
	}
	if _, ok := p["after_sid"]; !ok {
		t.Errorf("list lacks after_sid: %v", p)
	}
	out := make([]map[string]any, len(list))
	for i, x := range list {
		out[i] = x.(map[string]any)
	}
	return out
}

func TestEventBridgeAgentJourney(t *testing.T) {
	emu := emulatortest.Run(t)
	acct := emu.Account()
	token := ebToken(t, acct, acct.AuthToken, "alice", time.Hour)

	c, _, err := ebDial(t, emu, token, "")
	if err != nil {
		t.Fatal(err)
	}
	init := c.await("init")
	wk, _ := init.Payload["channel_id"].(string)
	if !strings.HasPrefix(wk, "WK") || init.Payload["account_sid"] != acct.SID || init.Payload["workspace_sid"] != ebWorkspace {
		t.Fatalf("init payload %v", init.Payload)
	}
	if ms, _ := init.Payload["token_lifetime"].(float64); ms < 3590_000 || ms > 3600_000 {
		t.Errorf("token_lifetime %v ms, want about an hour", init.Payload["token_lifetime"])
	}

	// The SDK's initialisation reads (routes 1, 3, 4, 5).
	wkURL := "Workspaces/" + ebWorkspace + "/Workers/" + wk
	worker := ebPayload(t, emu, token, "GET", wkURL, map[string]any{}, "v1")
	requireKeys(t, "worker", worker, workerKeys)
	acts := contentsOf(t, ebPayload(t, emu, token, "GET", "Workspaces/"+ebWorkspace+"/Activities", map[string]any{"PageSize": 1000}, "v1"))
	actSID := map[string]string{}
	for _, a := range acts {
		requireKeys(t, "activity", a, activityKeys)
		actSID[a["friendly_name"].(string)] = a["sid"].(string)
	}
	if worker["activity_sid"] != actSID["Available"] {
		t.Fatalf("alice starts %v, want Available", worker["activity_name"])
	}
	chans := contentsOf(t, ebPayload(t, emu, token, "GET", wkURL+"/WorkerChannels", map[string]any{"PageSize": 1000}, "v1"))
	if len(chans) == 0 {
		t.Fatal("no worker channels")
	}
	for _, ch := range chans {
		requireKeys(t, "channel", ch, channelKeys)
	}
	res := contentsOf(t, ebPayload(t, emu, token, "GET", wkURL+"/Reservations", map[string]any{"Active": "true", "PageSize": 1000}, "v2"))
	if len(res) != 0 {
		t.Fatalf("active reservations at start: %v", res)
	}
	queues := contentsOf(t, ebPayload(t, emu, token, "GET", "Workspaces/"+ebWorkspace+"/TaskQueues", map[string]any{"PageSize": 1000}, "v1"))
	for _, q := range queues {
		requireKeys(t, "task queue", q, taskQueueKeys)
	}

	// Offline then Available (route 2), each pushed as worker.activity.update.
	w := ebPayload(t, emu, token, "POST", wkURL, map[string]any{"ActivitySid": actSID["Offline"]}, "v1")
	if w["activity_name"] != "Offline" {
		t.Fatalf("update answered %v", w)
	}
	if f := c.await("worker.activity.update"); f.Payload["activity_sid"] != actSID["Offline"] {
		t.Fatalf("pushed %v", f.Payload)
	}
	ebPayload(t, emu, token, "POST", wkURL, map[string]any{"ActivitySid": actSID["Available"]}, "v1")
	c.await("worker.activity.update")

	// A customer writes: the reservation is pushed with its whole task.
	if _, err := acct.Inbound(context.Background(), emulator.InboundParams{Body: "hello"}); err != nil {
		t.Fatal(err)
	}
	created := c.await("reservation.created").Payload
	requireKeys(t, "reservation", created, reservationKeys)
	task, _ := created["task"].(map[string]any)
	requireKeys(t, "reservation.task", task, taskKeys)
	if created["reservation_status"] != "pending" || task["queue_name"] != "Everyone" || task["workflow_name"] != "Assign to Anyone" {
		t.Errorf("reservation.created %v", created)
	}
	if created["reservation_timeout"] != float64(120) {
		t.Errorf("reservation_timeout %v, want 120", created["reservation_timeout"])
	}
	wr, wt := created["sid"].(string), task["sid"].(string)

	// Active reservations now list it (what a reconnecting SDK reads).
	res = contentsOf(t, ebPayload(t, emu, token, "GET", wkURL+"/Reservations", map[string]any{"Active": "true", "PageSize": 1000}, "v2"))
	if len(res) != 1 || res[0]["sid"] != wr {
		t.Fatalf("active reservations %v", res)
	}

	// Accept (route 7).
	acc := ebPayload(t, emu, token, "POST", wkURL+"/Reservations/"+wr, map[string]any{"ReservationStatus": "accepted"}, "v1")
	if acc["reservation_status"] != "accepted" {
		t.Fatalf("accept answered %v", acc)
	}
	if f := c.await("reservation.accepted"); f.Payload["sid"] != wr {
		t.Fatalf("reservation.accepted %v", f.Payload)
	}
	// Fetch the task (route 9).
	got := ebPayload(t, emu, token, "GET", "Workspaces/"+ebWorkspace+"/Tasks/"+wt, map[string]any{}, "v1")
	requireKeys(t, "task", got, taskKeys)
	if got["assignment_status"] != "assigned" {
		t.Errorf("task %v", got["assignment_status"])
	}

	// Attributes as a nested object (route 10), then wrap up and complete.
	upd := ebPayload(t, emu, token, "POST", "Workspaces/"+ebWorkspace+"/Tasks/"+wt,
		map[string]any{"Attributes": map[string]any{"conversationSid": task["attributes"], "note": "vip"}}, "v1")
	if !strings.Contains(upd["attributes"].(string), `"note":"vip"`) {
		t.Errorf("attributes after update: %v", upd["attributes"])
	}
	c.await("task.updated")
	wrap := ebPayload(t, emu, token, "POST", "Workspaces/"+ebWorkspace+"/Tasks/"+wt, map[string]any{"AssignmentStatus": "wrapping"}, "v1")
	if wrap["assignment_status"] != "wrapping" {
		t.Fatalf("wrap answered %v", wrap)
	}
	c.await("reservation.wrapup")
	c.await("task.wrapup")
	ebPayload(t, emu, token, "POST", "Workspaces/"+ebWorkspace+"/Tasks/"+wt,
		map[string]any{"AssignmentStatus": "completed", "Reason": "resolved"}, "v1")
	if f := c.await("reservation.completed"); f.Payload["reservation_status"] != "completed" {
		t.Fatalf("reservation.completed %v", f.Payload)
	}
	c.await("task.completed")

	// The SDK's actions are REST calls on the timeline, and its events are TaskRouter's.
	var sawAccept, sawConnected bool
	for _, e := range acct.Timeline().Since(0) {
		if e.Kind == "api" && e.Type == "POST /v1/Workspaces/"+ebWorkspace+"/Workers/"+wk+"/Reservations/"+wr {
			sawAccept = true
		}
		if e.Type == "worker.sdk.connected" {
			sawConnected = true
		}
	}
	if !sawAccept || !sawConnected {
		t.Errorf("timeline: SDK accept recorded %t, connection recorded %t", sawAccept, sawConnected)
	}

	// A REST activity change reaches the SDK.
	form := url.Values{"ActivitySid": {actSID["Break"]}}
	req, _ := http.NewRequest(http.MethodPost, emu.URL()+"/taskrouter/v1/Workspaces/"+ebWorkspace+"/Workers/"+wk, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(acct.SID, acct.AuthToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("REST activity change: %v %v", err, resp)
	}
	resp.Body.Close()
	if f := c.await("worker.activity.update"); f.Payload["activity_name"] != "Break" {
		t.Fatalf("pushed %v", f.Payload)
	}
}

func TestEventBridgeRefusesBadTokens(t *testing.T) {
	emu := emulatortest.Run(t)
	acct := emu.Account()
	bad := ebToken(t, acct, "not-the-auth-token", "alice", time.Hour)
	_, resp, err := ebDial(t, emu, bad, "")
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("upgrade with a badly signed token: %v %v", err, resp)
	}
	status, body := ebPost(t, emu, bad, "GET", "Workspaces/"+ebWorkspace+"/Activities", map[string]any{}, "v1")
	if status != http.StatusUnauthorized || body["message"] == nil || body["code"] != float64(accesstoken.CodeInvalidSignature) {
		t.Fatalf("envelope with a badly signed token: %d %v", status, body)
	}
	// Unknown identity: no worker.
	nobody := ebToken(t, acct, acct.AuthToken, "nobody", time.Hour)
	if _, resp, err := ebDial(t, emu, nobody, ""); err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("upgrade for an identity without a worker: %v %v", err, resp)
	}
}

func TestEventBridgeCORSPreflight(t *testing.T) {
	emu := emulatortest.Run(t)
	req, _ := http.NewRequest(http.MethodOptions, emu.URL()+emulator.EventBridgePath, nil)
	req.Header.Set("Origin", "http://localhost:3000")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "apiversion,clientversion,content-type,if-match")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	if resp.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "http://localhost:3000" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, h)
	}
	allowed := strings.ToLower(h.Get("Access-Control-Allow-Headers"))
	for _, want := range []string{"apiversion", "clientversion", "content-type", "if-match"} {
		if !strings.Contains(allowed, want) {
			t.Errorf("Access-Control-Allow-Headers %q lacks %s", allowed, want)
		}
	}
}

// TestEventBridgeSlowClient: a socket whose client never reads does not
// hold up the account or the other sockets.
func TestEventBridgeSlowClient(t *testing.T) {
	emu := emulatortest.Run(t)
	acct := emu.Account()
	token := ebToken(t, acct, acct.AuthToken, "alice", time.Hour)
	u := "ws" + strings.TrimPrefix(emu.URL(), "http") + emulator.EventBridgePath + "?token=" + token + "&clientVersion=2.1.1"
	slow, _, err := websocket.DefaultDialer.Dial(u, nil) // never read
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	c, _, err := ebDial(t, emu, token, "")
	if err != nil {
		t.Fatal(err)
	}
	wk := c.await("init").Payload["channel_id"].(string)
	big := strings.Repeat("x", 3500)
	start := time.Now()
	const n = 200 // within the queue: the reading client never overflows
	for i := 0; i < n; i++ {
		attrs := `{"contact_uri":"client:alice","i":` + strings.Repeat("1", 1+i%5) + `,"pad":"` + big + `"}`
		if err := acct.Do(func(en *emulator.Engines) error {
			_, err := en.TaskRouter.UpdateWorker(ebWorkspace, wk, taskrouter.UpdateWorkerParams{Attributes: &attrs})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("%d updates took %v with a non-reading client", n, d)
	}
	for i := 0; i < n; i++ {
		c.await("worker.attributes.update")
	}
}

// TestEventBridgeSocketLifecycle: a token expiring on the virtual clock
// closes the socket; closing the emulator closes the others at once.
func TestEventBridgeSocketLifecycle(t *testing.T) {
	emu := emulatortest.Run(t)
	acct := emu.Account()
	short, _, err := ebDial(t, emu, ebToken(t, acct, acct.AuthToken, "alice", 10*time.Minute), "")
	if err != nil {
		t.Fatal(err)
	}
	long, _, err := ebDial(t, emu, ebToken(t, acct, acct.AuthToken, "alice", time.Hour), "&setWorkerOfflineIfDisconnected=true")
	if err != nil {
		t.Fatal(err)
	}
	short.await("init")
	long.await("init")
	acct.Advance(20 * time.Minute)
	select {
	case err := <-short.closed:
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
			t.Errorf("expired socket closed with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("socket still open 5 s after its token expired on the virtual clock")
	}
	start := time.Now()
	_ = emu.Close()
	select {
	case <-long.closed:
	case <-time.After(3 * time.Second):
		t.Fatal("socket still open after Close")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v with a socket open", d)
	}
}

// TestEventBridgeIfMatch: with enableVersionCheck the SDK sends If-Match
// with the version it holds; the REST stack checks it.
func TestEventBridgeIfMatch(t *testing.T) {
	emu := emulatortest.Run(t)
	acct := emu.Account()
	token := ebToken(t, acct, acct.AuthToken, "alice", time.Hour)
	c, _, err := ebDial(t, emu, token, "")
	if err != nil {
		t.Fatal(err)
	}
	wk := c.await("init").Payload["channel_id"].(string)
	wkURL := "Workspaces/" + ebWorkspace + "/Workers/" + wk
	version := ebPayload(t, emu, token, "GET", wkURL, map[string]any{}, "v1")["version"].(float64)
	post := func(ifMatch string) (int, map[string]any) {
		body, _ := json.Marshal(map[string]any{"url": wkURL, "method": "POST", "token": token,
			"params": map[string]any{"Attributes": map[string]any{"contact_uri": "client:alice", "n": ifMatch}}})
		req, _ := http.NewRequest(http.MethodPost, emu.URL()+emulator.EventBridgePath, bytes.NewReader(body))
		req.Header.Set("apiVersion", "v1")
		req.Header.Set("If-Match", ifMatch)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if st, body := post("999"); st != http.StatusPreconditionFailed || body["message"] == nil {
		t.Fatalf("stale If-Match: %d %v", st, body)
	}
	st, body := post(strconv.Itoa(int(version)))
	if st != 200 {
		t.Fatalf("current If-Match: %d %v", st, body)
	}
	if got := body["payload"].(map[string]any)["version"].(float64); got != version+1 {
		t.Errorf("version after update %v, want %v", got, version+1)
	}
	c.await("worker.attributes.update")
}
