package twilsock

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/gorilla/websocket"
)

// fakeAuth accepts tokens "ok:<identity>" expiring an hour after the fake
// clock's start; its clock is moved by the tests.
type fakeAuth struct {
	mu      sync.Mutex
	now     time.Time
	expires map[string]time.Time // token → expiry; absent: refused 20101
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newFakeAuth() *fakeAuth {
	return &fakeAuth{now: epoch, expires: map[string]time.Time{
		"ok:alice": epoch.Add(time.Hour), "ok:alice2": epoch.Add(3 * time.Hour),
		"ok:bob": epoch.Add(time.Hour), "ok:old": epoch.Add(-time.Minute)}}
}

func (a *fakeAuth) Authenticate(token string) (Principal, *twilio.Error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	exp, ok := a.expires[token]
	if !ok {
		return Principal{}, twilio.NewError(401, 20101, "Invalid Access Token")
	}
	if !a.now.Before(exp) {
		return Principal{}, twilio.NewError(401, 20104, "Access Token expired or expiration date invalid")
	}
	id := strings.TrimPrefix(token, "ok:")
	if id == "alice2" {
		id = "alice"
	}
	return Principal{AccountSID: "AC1", Identity: id, ServiceSID: "IS1", Expires: exp}, nil
}

func (a *fakeAuth) TokenNow() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.now
}

func (a *fakeAuth) advance(d time.Duration) {
	a.mu.Lock()
	a.now = a.now.Add(d)
	a.mu.Unlock()
}

// fakeService records sessions and answers requests by echoing them; a
// request to /block waits for its context.
type fakeService struct {
	mu       sync.Mutex
	sessions []Session
	conns    []*fakeConn
	opened   chan Session
}

type fakeConn struct {
	mu      sync.Mutex
	updated []Principal
	closed  bool
}

func newFakeService() *fakeService { return &fakeService{opened: make(chan Session, 16)} }

func (f *fakeService) Open(s Session) Conn {
	c := &fakeConn{}
	f.mu.Lock()
	f.sessions = append(f.sessions, s)
	f.conns = append(f.conns, c)
	f.mu.Unlock()
	f.opened <- s
	return c
}

func (c *fakeConn) Serve(ctx context.Context, r Request) Response {
	switch r.Path {
	case "/block":
		<-ctx.Done()
		return Response{Status: 499}
	case "/panic":
		panic("boom")
	case "/missing":
		return Response{Status: 404, Body: []byte(`{"status":404,"code":54100,"message":"not found"}`)}
	}
	b, _ := json.Marshal(map[string]any{"host": r.Host, "method": r.Method, "path": r.Path,
		"params": r.Params, "headers": r.Headers, "payload_type": r.PayloadType, "body": string(r.Body)})
	return Response{Status: 200, Body: b}
}

func (c *fakeConn) TokenUpdated(p Principal) {
	c.mu.Lock()
	c.updated = append(c.updated, p)
	c.mu.Unlock()
}

func (c *fakeConn) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
}

func (c *fakeConn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// client is a test twilsock client.
type client struct {
	t  *testing.T
	ws *websocket.Conn
	n  int
}

type received struct {
	hdr     map[string]any
	payload []byte
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func start(t *testing.T, auth Authenticator, svc Service, opts Options) (*Server, string) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet()
	}
	srv := NewServer(auth, svc, opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); ts.Close() })
	return srv, "ws" + strings.TrimPrefix(ts.URL, "http")
}

func dial(t *testing.T, url string) *client {
	t.Helper()
	h := http.Header{"Origin": {"https://agent.example.com"}}
	ws, resp, err := websocket.DefaultDialer.Dial(url, h)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	t.Cleanup(func() { ws.Close() })
	return &client{t: t, ws: ws}
}

func (c *client) send(hdr map[string]any, payload []byte) string {
	c.t.Helper()
	if hdr["id"] == nil {
		c.n++
		hdr["id"] = "TMc" + jsonString(c.n)
	}
	b, err := EncodeFrame(hdr, payload)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
	return hdr["id"].(string)
}

func jsonString(v any) string { b, _ := json.Marshal(v); return string(b) }

// recv reads the next frame, which must be binary and well formed.
func (c *client) recv() received {
	c.t.Helper()
	r, err := c.tryRecv(5 * time.Second)
	if err != nil {
		c.t.Fatalf("recv: %v", err)
	}
	return r
}

func (c *client) tryRecv(wait time.Duration) (received, error) {
	_ = c.ws.SetReadDeadline(time.Now().Add(wait))
	typ, b, err := c.ws.ReadMessage()
	if err != nil {
		return received{}, err
	}
	if typ != websocket.BinaryMessage {
		c.t.Fatalf("frame of websocket type %d, want binary", typ)
	}
	f, err := DecodeFrame(b, DefaultMaxHeader, DefaultMaxPayload)
	if err != nil {
		c.t.Fatalf("server sent a malformed frame %q: %v", b, err)
	}
	var hdr map[string]any
	if err := json.Unmarshal(f.Raw, &hdr); err != nil {
		c.t.Fatal(err)
	}
	if _, ok := hdr["payload_size"]; !ok {
		c.t.Fatalf("frame without payload_size: %s", f.Raw)
	}
	return received{hdr: hdr, payload: f.Payload}, nil
}

// closeCode waits for the server's websocket close and returns its code.
func (c *client) closeCode() int {
	c.t.Helper()
	for {
		_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _, err := c.ws.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		c.t.Fatalf("socket ended without a close frame: %v", err)
	}
}

func (c *client) init(token string) received {
	c.t.Helper()
	id := c.send(map[string]any{"method": "init", "token": token, "continuation_token": nil,
		"metadata":      map[string]any{"ver": "1.0.2", "sdk": "JS"},
		"registrations": []any{map[string]any{"product": "ip_messaging", "type": "ers", "notification_protocol_version": 0, "message_types": []string{"twilio.sync.event"}}},
		"tweaks":        nil, "capabilities": []string{"client_update", "offline_storage", "telemetry.v1"}}, nil)
	r := c.recv()
	if r.hdr["method"] != "reply" || r.hdr["id"] != id {
		c.t.Fatalf("init answered %v", r.hdr)
	}
	return r
}

func status(r received) (float64, string) {
	st, _ := r.hdr["status"].(map[string]any)
	code, _ := st["code"].(float64)
	s, _ := st["status"].(string)
	return code, s
}

func TestInitSucceeds(t *testing.T) {
	svc := newFakeService()
	_, url := start(t, newFakeAuth(), svc, Options{})
	c := dial(t, url)
	r := c.init("ok:alice")
	if code, s := status(r); code != 200 || s != "OK" {
		t.Fatalf("status %v", r.hdr)
	}
	if got := jsonString(r.hdr["capabilities"]); got != `["client_update","telemetry.v1"]` {
		t.Errorf("capabilities %s", got)
	}
	if ct, _ := r.hdr["continuation_token"].(string); !strings.HasPrefix(ct, "CT") {
		t.Errorf("continuation_token %v", r.hdr["continuation_token"])
	}
	if jsonString(r.hdr["continuation_token_status"]) != `{"reissued":true}` {
		t.Errorf("continuation_token_status %v", r.hdr["continuation_token_status"])
	}
	regs, _ := r.hdr["init_registrations"].([]any)
	if len(regs) != 1 {
		t.Fatalf("init_registrations %v", r.hdr["init_registrations"])
	}
	reg := regs[0].(map[string]any)
	if reg["product"] != "ip_messaging" || !strings.HasPrefix(reg["notification_ctx_id"].(string), "NC") {
		t.Errorf("registration %v", reg)
	}
	if _, ok := r.hdr["offline_storage"]; ok {
		t.Error("offline_storage confirmed")
	}
	select {
	case s := <-svc.opened:
		if p := s.Principal(); p.Identity != "alice" || p.AccountSID != "AC1" || p.ServiceSID != "IS1" {
			t.Errorf("principal %+v", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Service.Open not called")
	}
	// telemetry and notification contexts are acknowledged.
	for _, m := range []string{"telemetry.v1", "put_notification_ctx", "delete_notification_ctx"} {
		id := c.send(map[string]any{"method": m, "events": []any{}, "notification_ctx_id": "x"}, nil)
		r := c.recv()
		if code, _ := status(r); code != 200 || r.hdr["id"] != id {
			t.Errorf("%s answered %v", m, r.hdr)
		}
	}
}

func TestInitRefusals(t *testing.T) {
	svc := newFakeService()
	_, url := start(t, newFakeAuth(), svc, Options{})
	for token, code := range map[string]float64{"ok:old": 20104, "forged": 20101} {
		c := dial(t, url)
		// Nothing is served before init.
		id := c.send(map[string]any{"method": "message", "http_request": map[string]any{"path": "/x", "method": "GET"}}, nil)
		r := c.recv()
		if st, _ := status(r); st != 401 || r.hdr["id"] != id {
			t.Fatalf("message before init answered %v", r.hdr)
		}
		r = c.init(token)
		st := r.hdr["status"].(map[string]any)
		if st["code"] != 401.0 || st["status"] != "UNAUTHORIZED" || st["errorCode"] != code || st["description"] == "" {
			t.Errorf("%s: init answered %v", token, r.hdr)
		}
		// Still nothing served; a later good init on the same socket works.
		c.send(map[string]any{"method": "update", "token": "ok:alice"}, nil)
		if st, _ := status(c.recv()); st != 401 {
			t.Errorf("update before init: %v", st)
		}
		if st, _ := status(c.init("ok:alice")); st != 200 {
			t.Errorf("second init: %v", st)
		}
		<-svc.opened
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if len(svc.sessions) != 2 {
		t.Errorf("%d sessions opened, want 2 (only after a good init)", len(svc.sessions))
	}
}

func TestInitTimeoutCloses(t *testing.T) {
	_, url := start(t, newFakeAuth(), newFakeService(), Options{InitTimeout: 50 * time.Millisecond})
	c := dial(t, url)
	if code := c.closeCode(); code != websocket.ClosePolicyViolation {
		t.Fatalf("close %d", code)
	}
}

func TestTunnelledRequestRoundTrip(t *testing.T) {
	svc := newFakeService()
	_, url := start(t, newFakeAuth(), svc, Options{})
	c := dial(t, url)
	c.init("ok:alice")
	body := []byte(`{"body":"Hello from the agent","attributes":"{}"}`)
	id := c.send(map[string]any{"method": "message", "active_grant": "ip_messaging",
		"payload_type": "application/json; charset=utf-8",
		"http_request": map[string]any{"host": "aim.us1.twilio.com", "path": "/Client/v2/Services/IS1/Conversations/CH1/Messages",
			"method": "POST", "params": map[string]any{"Key": "a%20b", "PageSize": 50},
			"headers": map[string]any{"Content-Type": "application/json; charset=utf-8", "X-Twilio-Mutation-Id": "m-1"}}}, body)
	r := c.recv()
	if r.hdr["method"] != "reply" || r.hdr["id"] != id || r.hdr["payload_type"] != "application/json" {
		t.Fatalf("reply %v", r.hdr)
	}
	if code, s := status(r); code != 200 || s != "OK" {
		t.Errorf("status %v", r.hdr["status"])
	}
	if jsonString(r.hdr["http_status"]) != `{"code":200,"status":"OK"}` {
		t.Errorf("http_status %v", r.hdr["http_status"])
	}
	if jsonString(r.hdr["http_headers"]) != `{"Content-Type":"application/json"}` {
		t.Errorf("http_headers %v", r.hdr["http_headers"])
	}
	var echo map[string]any
	if err := json.Unmarshal(r.payload, &echo); err != nil {
		t.Fatal(err)
	}
	if echo["host"] != "aim.us1.twilio.com" || echo["method"] != "POST" || echo["body"] != string(body) ||
		echo["payload_type"] != "application/json; charset=utf-8" ||
		jsonString(echo["params"]) != `{"Key":"a%20b","PageSize":"50"}` ||
		echo["headers"].(map[string]any)["X-Twilio-Mutation-Id"] != "m-1" {
		t.Errorf("served %v", echo)
	}

	// An HTTP error travels in http_status; the transport status stays 200.
	id = c.send(map[string]any{"method": "message", "http_request": map[string]any{"host": "cds.us1.twilio.com", "path": "/missing", "method": "GET"}}, nil)
	r = c.recv()
	if code, _ := status(r); code != 200 || r.hdr["id"] != id || jsonString(r.hdr["http_status"]) != `{"code":404,"status":"NOT_FOUND"}` {
		t.Errorf("404 reply %v", r.hdr)
	}
	if !strings.Contains(string(r.payload), "54100") {
		t.Errorf("404 body %s", r.payload)
	}

	// A panicking Service answers 500 and the session survives.
	c.send(map[string]any{"method": "message", "http_request": map[string]any{"path": "/panic", "method": "GET"}}, nil)
	if r = c.recv(); jsonString(r.hdr["http_status"]) != `{"code":500,"status":"INTERNAL_SERVER_ERROR"}` {
		t.Errorf("panic reply %v", r.hdr)
	}
}

func TestRequestsRunConcurrentlyAndEndWithTheSession(t *testing.T) {
	svc := newFakeService()
	// The reader waits for a slot, so it notices the peer's close through
	// the writer's failing pings: keep them frequent here.
	_, url := start(t, newFakeAuth(), svc, Options{MaxInFlight: 2, PingInterval: 50 * time.Millisecond})
	c := dial(t, url)
	c.init("ok:alice")
	// Two blocked requests fill the session's slots…
	c.send(map[string]any{"method": "message", "http_request": map[string]any{"path": "/block", "method": "GET"}}, nil)
	c.send(map[string]any{"method": "message", "http_request": map[string]any{"path": "/block", "method": "GET"}}, nil)
	// …so a third waits; a request on another session does not.
	c.send(map[string]any{"method": "message", "http_request": map[string]any{"path": "/third", "method": "GET"}}, nil)
	c2 := dial(t, url)
	c2.init("ok:bob")
	c2.send(map[string]any{"method": "message", "http_request": map[string]any{"path": "/other", "method": "GET"}}, nil)
	if r := c2.recv(); jsonString(r.hdr["http_status"]) != `{"code":200,"status":"OK"}` {
		t.Fatalf("other session %v", r.hdr)
	}
	if _, err := c.tryRecv(200 * time.Millisecond); err == nil {
		t.Fatal("a third request was served beyond MaxInFlight")
	}
	// Closing ends the blocked requests' contexts, then Conn.Close.
	c.ws.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !svc.conns[0].isClosed() {
		if time.Now().After(deadline) {
			t.Fatal("Conn.Close not called after the socket closed")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNotificationsAreDeliveredAndAcked(t *testing.T) {
	svc := newFakeService()
	_, url := start(t, newFakeAuth(), svc, Options{})
	c := dial(t, url)
	c.init("ok:alice")
	s := <-svc.opened
	payload := []byte(`{"event_type":"list_item_added","event_protocol_version":4,"event":{"list_sid":"ES1","id":7}}`)
	s.Notify("twilio.sync.event", payload)
	s.Notify("twilio.ipmsg.typing_indicator", []byte(`{"channel_sid":"CH1","identity":"bob","typing_timeout":5}`))
	seen := map[string]bool{}
	for i := 0; i < 2; i++ {
		r := c.recv()
		if r.hdr["method"] != "notification" || r.hdr["payload_type"] != "application/json" || r.hdr["notification_ctx_id"] != "" {
			t.Fatalf("notification %v", r.hdr)
		}
		id, _ := r.hdr["id"].(string)
		if !strings.HasPrefix(id, "TM") || len(id) != 34 {
			t.Errorf("id %q", id)
		}
		mt := r.hdr["message_type"].(string)
		seen[mt] = true
		if mt == "twilio.sync.event" && string(r.payload) != string(payload) {
			t.Errorf("payload %s", r.payload)
		}
		// The SDK acks every notification with a reply; the server ignores it.
		c.send(map[string]any{"method": "reply", "id": id, "payload_type": "application/json", "status": map[string]any{"code": 200, "status": "OK"}}, nil)
	}
	if !seen["twilio.sync.event"] || !seen["twilio.ipmsg.typing_indicator"] {
		t.Errorf("message types %v", seen)
	}
	// Acks are not answered: the next frame is the answer to a request.
	id := c.send(map[string]any{"method": "message", "http_request": map[string]any{"path": "/after", "method": "GET"}}, nil)
	if r := c.recv(); r.hdr["id"] != id {
		t.Fatalf("got %v after the acks", r.hdr)
	}
}

func TestMalformedFramesCloseTheSession(t *testing.T) {
	frames := map[string][]byte{
		"garbage":         []byte("hello"),
		"bad length":      []byte("TWILSOCK V3.0 abc\r\n{}\r\n"),
		"lying size":      []byte("TWILSOCK V3.0 40\r\n{\"method\":\"init\",\"payload_size\":0}\r\n"),
		"payload too big": []byte("TWILSOCK V3.0 38\r\n{\"method\":\"message\",\"payload_size\":99}\r\n"),
		"empty":           {},
	}
	for name, frame := range frames {
		t.Run(name, func(t *testing.T) {
			svc := newFakeService()
			_, url := start(t, newFakeAuth(), svc, Options{})
			c := dial(t, url)
			c.init("ok:alice")
			<-svc.opened
			if err := c.ws.WriteMessage(websocket.BinaryMessage, frame); err != nil {
				t.Fatal(err)
			}
			if code := c.closeCode(); code != websocket.CloseProtocolError {
				t.Fatalf("close %d, want %d", code, websocket.CloseProtocolError)
			}
			deadline := time.Now().Add(5 * time.Second)
			for !svc.conns[0].isClosed() {
				if time.Now().After(deadline) {
					t.Fatal("Conn.Close not called")
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	t.Run("over the read limit", func(t *testing.T) {
		_, url := start(t, newFakeAuth(), newFakeService(), Options{MaxHeader: 100, MaxPayload: 100})
		c := dial(t, url)
		_ = c.ws.WriteMessage(websocket.BinaryMessage, []byte(strings.Repeat("x", 10000)))
		if code := c.closeCode(); code != websocket.CloseMessageTooBig {
			t.Fatalf("close %d", code)
		}
	})
}

func TestSlowClientIsDisconnectedAlone(t *testing.T) {
	svc := newFakeService()
	_, url := start(t, newFakeAuth(), svc, Options{QueueSize: 4, WriteTimeout: time.Second})
	slow := dial(t, url)
	slow.init("ok:alice")
	slowSession := <-svc.opened
	fast := dial(t, url)
	fast.init("ok:bob")
	fastSession := <-svc.opened

	big := []byte(`{"pad":"` + strings.Repeat("x", 256<<10) + `"}`)
	start := time.Now()
	for i := 0; i < 200; i++ { // ~50 MB: far beyond socket buffers and the queue
		slowSession.Notify("twilio.sync.event", big)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Notify blocked for %v", d)
	}
	fastSession.Notify("twilio.sync.event", []byte(`{"n":1}`))
	if r := fast.recv(); string(r.payload) != `{"n":1}` {
		t.Fatalf("fast client got %v", r.hdr)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !svc.conns[0].isClosed() {
		if time.Now().After(deadline) {
			t.Fatal("the slow session was not closed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if svc.conns[1].isClosed() {
		t.Fatal("the fast session was closed too")
	}
	slowSession.Notify("twilio.sync.event", big) // after close: dropped, no panic
}

func TestTokenUpdate(t *testing.T) {
	svc := newFakeService()
	_, url := start(t, newFakeAuth(), svc, Options{})
	c := dial(t, url)
	c.init("ok:alice")
	s := <-svc.opened
	id := c.send(map[string]any{"method": "update", "token": "ok:alice2"}, nil)
	r := c.recv()
	if code, _ := status(r); code != 200 || r.hdr["id"] != id {
		t.Fatalf("update answered %v", r.hdr)
	}
	if got := s.Principal().Expires; !got.Equal(epoch.Add(3 * time.Hour)) {
		t.Errorf("principal expires %v", got)
	}
	svc.conns[0].mu.Lock()
	n := len(svc.conns[0].updated)
	svc.conns[0].mu.Unlock()
	if n != 1 {
		t.Errorf("TokenUpdated called %d times", n)
	}
	c.send(map[string]any{"method": "update", "token": "ok:old"}, nil)
	if st := c.recv().hdr["status"].(map[string]any); st["code"] != 401.0 || st["errorCode"] != 20104.0 {
		t.Errorf("expired update answered %v", st)
	}
	c.send(map[string]any{"method": "update", "token": "ok:bob"}, nil)
	if code, _ := status(c.recv()); code != 403 {
		t.Errorf("update to another identity answered %v", code)
	}
}

func waitClosed(t *testing.T, c *fakeConn) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !c.isClosed() {
		if time.Now().After(deadline) {
			t.Fatal("Conn.Close not called")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestTokenExpiryOnTheTokenClock(t *testing.T) {
	auth := newFakeAuth()
	svc := newFakeService()
	_, url := start(t, auth, svc, Options{ExpiryCheck: 10 * time.Millisecond})
	c := dial(t, url)
	c.init("ok:alice") // expires at epoch+1h
	<-svc.opened

	auth.advance(56 * time.Minute)
	r := c.recv()
	if r.hdr["method"] != "client_update" || r.hdr["client_update_type"] != "token_about_to_expire" {
		t.Fatalf("got %v, want client_update", r.hdr)
	}
	c.send(map[string]any{"method": "reply", "id": r.hdr["id"], "status": map[string]any{"code": 200, "status": "OK"}}, nil)
	// Once per token: more ticks send nothing more.
	auth.advance(time.Minute)
	time.Sleep(60 * time.Millisecond)
	id := c.send(map[string]any{"method": "update", "token": "ok:alice2"}, nil) // expires at epoch+3h
	if r := c.recv(); r.hdr["id"] != id {
		t.Fatalf("got %v, want the update's reply", r.hdr)
	}
	// The new token is warned about again near its own expiry.
	auth.advance(2 * time.Hour)
	if r := c.recv(); r.hdr["client_update_type"] != "token_about_to_expire" {
		t.Fatalf("got %v, want client_update", r.hdr)
	}
	auth.advance(10 * time.Minute)
	r = c.recv()
	st, _ := r.hdr["status"].(map[string]any)
	if r.hdr["method"] != "close" || st["code"] != 410.0 || st["status"] != "TOKEN_EXPIRED" {
		t.Fatalf("got %v, want close 410", r.hdr)
	}
	if code := c.closeCode(); code != websocket.CloseNormalClosure {
		t.Fatalf("websocket close %d", code)
	}
	waitClosed(t, svc.conns[0])
}

func TestClockJumpPastExpiryClosesAtOnce(t *testing.T) {
	auth := newFakeAuth()
	svc := newFakeService()
	// No periodic check within the test: the next frame notices.
	_, url := start(t, auth, svc, Options{ExpiryCheck: time.Hour})
	c := dial(t, url)
	c.init("ok:bob")
	<-svc.opened
	auth.advance(48 * time.Hour)
	c.send(map[string]any{"method": "message", "http_request": map[string]any{"path": "/late", "method": "GET"}}, nil)
	r := c.recv()
	if r.hdr["method"] != "close" || jsonString(r.hdr["status"]) != `{"code":410,"description":"Access Token expired","status":"TOKEN_EXPIRED"}` {
		t.Fatalf("got %v, want close 410 (and not the request's answer)", r.hdr)
	}
	if code := c.closeCode(); code != websocket.CloseNormalClosure {
		t.Fatalf("websocket close %d", code)
	}
}

func TestRequestContextEndClosesSessions(t *testing.T) {
	svc := newFakeService()
	srv := NewServer(newFakeAuth(), svc, Options{Logger: quiet()})
	ctx, cancel := context.WithCancel(context.Background())
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.ServeHTTP(w, r.WithContext(ctx))
	}))
	defer ts.Close()
	url := "ws" + strings.TrimPrefix(ts.URL, "http")
	c := dial(t, url)
	c.init("ok:alice")
	<-svc.opened
	c.send(map[string]any{"method": "message", "http_request": map[string]any{"path": "/block", "method": "GET"}}, nil)
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	cancel()
	if code := c.closeCode(); code != websocket.CloseGoingAway {
		t.Fatalf("close %d", code)
	}
	waitClosed(t, svc.conns[0])
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("closing took %v", d)
	}
	deadline := time.Now().Add(2 * time.Second)
	for srv.Sessions() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := srv.Sessions(); n != 0 {
		t.Errorf("%d sessions left", n)
	}
}

func TestServerCloseEndsSessions(t *testing.T) {
	svc := newFakeService()
	srv, url := start(t, newFakeAuth(), svc, Options{})
	c := dial(t, url)
	c.init("ok:alice")
	<-svc.opened
	srv.Close()
	if code := c.closeCode(); code != websocket.CloseGoingAway {
		t.Fatalf("close %d", code)
	}
	// New sockets are refused once closed.
	c2 := dial(t, url)
	if code := c2.closeCode(); code != websocket.CloseGoingAway {
		t.Fatalf("close %d", code)
	}
}

func TestPingsAndDeadPeers(t *testing.T) {
	svc := newFakeService()
	_, url := start(t, newFakeAuth(), svc, Options{PingInterval: 30 * time.Millisecond})
	live := dial(t, url)
	var mu sync.Mutex
	pings := 0
	live.ws.SetPingHandler(func(data string) error {
		mu.Lock()
		pings++
		mu.Unlock()
		return live.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	live.init("ok:alice")
	liveSession := <-svc.opened
	// A peer that never reads never answers pings: it is dropped.
	dead := dial(t, url)
	dead.init("ok:bob")
	<-svc.opened
	time.AfterFunc(300*time.Millisecond, func() { liveSession.Notify("twilio.sync.event", []byte(`{}`)) })
	if r := live.recv(); r.hdr["method"] != "notification" {
		t.Fatalf("got %v", r.hdr)
	}
	mu.Lock()
	n := pings
	mu.Unlock()
	if n < 3 {
		t.Errorf("%d pings in 300 ms at a 30 ms interval", n)
	}
	waitClosed(t, svc.conns[1])
	if svc.conns[0].isClosed() {
		t.Error("the live peer, answering pings, was dropped")
	}
}

func TestNonWebsocketRequest(t *testing.T) {
	srv := NewServer(newFakeAuth(), newFakeService(), Options{Logger: quiet()})
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/tsock/v3/wsconnect", nil))
	if rec.Code != http.StatusBadRequest {
		t.Errorf("plain GET: %d", rec.Code)
	}
}
