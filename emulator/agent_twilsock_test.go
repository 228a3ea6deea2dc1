package emulator_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/accesstoken"
	"github.com/flexemu/flexemu/emulator/emulatortest"
	"github.com/flexemu/flexemu/emulator/twilsock"
	"github.com/gorilla/websocket"
)

// twilsock end to end against a running emulator: real Access Tokens
// verified by the account, expiry on the virtual clock.

// tsClient speaks twilsock's binary frames over one websocket, as the
// @twilio/conversations SDK does (the heap test's haTwilsock builds on it).
type tsClient struct {
	t  testing.TB
	ws *websocket.Conn
	n  int
}

func tsDial(t *testing.T, emu *emulator.Emulator) *tsClient {
	t.Helper()
	url := "ws" + strings.TrimPrefix(emu.URL(), "http") + emulator.TwilsockPath
	ws, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Origin": {"http://localhost:3000"}})
	if err != nil {
		t.Fatalf("dial twilsock: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	return &tsClient{t: t, ws: ws}
}

func (c *tsClient) send(hdr map[string]any, payload []byte) string {
	c.t.Helper()
	c.n++
	id := fmt.Sprintf("TMtest%d", c.n)
	hdr["id"] = id
	b, err := twilsock.EncodeFrame(hdr, payload)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
		c.t.Fatal(err)
	}
	return id
}

func (c *tsClient) recv() (map[string]any, []byte) {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	typ, b, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("twilsock recv: %v", err)
	}
	if typ != websocket.BinaryMessage {
		c.t.Fatalf("websocket frame type %d, want binary", typ)
	}
	f, err := twilsock.DecodeFrame(b, twilsock.DefaultMaxHeader, twilsock.DefaultMaxPayload)
	if err != nil {
		c.t.Fatal(err)
	}
	var hdr map[string]any
	_ = json.Unmarshal(f.Raw, &hdr)
	return hdr, f.Payload
}

func (c *tsClient) init(token string) map[string]any {
	c.t.Helper()
	id := c.send(map[string]any{"method": "init", "token": token, "continuation_token": nil,
		"registrations": []any{}, "capabilities": []string{"client_update", "offline_storage", "telemetry.v1"}}, nil)
	hdr, _ := c.recv()
	if hdr["method"] != "reply" || hdr["id"] != id {
		c.t.Fatalf("init answered %v", hdr)
	}
	return hdr["status"].(map[string]any)
}

func chatToken(t *testing.T, acct *emulator.Account, identity string, ttl time.Duration) string {
	t.Helper()
	tok, err := acct.MintToken(identity, accesstoken.Grants{Chat: &accesstoken.ChatGrant{ServiceSID: "IS00000000000000000000000000000000"}}, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTwilsockInitWithRealTokens(t *testing.T) {
	emu := emulatortest.Run(t)
	acct := emu.Account()

	c := tsDial(t, emu)
	if st := c.init(chatToken(t, acct, "alice", time.Hour)); st["code"] != 200.0 {
		t.Fatalf("init with a minted token: %v", st)
	}
	id := c.send(map[string]any{"method": "message", "active_grant": "ip_messaging", "payload_type": "application/json; charset=utf-8",
		"http_request": map[string]any{"host": "aim.us1.twilio.com", "path": "/Client/v2/Configuration", "method": "GET",
			"params": map[string]any{}, "headers": map[string]any{}}}, nil)
	hdr, _ := c.recv()
	hs, _ := hdr["http_status"].(map[string]any)
	if hdr["id"] != id || hdr["status"].(map[string]any)["code"] != 200.0 || hs["code"] == nil {
		t.Fatalf("tunnelled request answered %v", hdr)
	}

	forged, err := accesstoken.Mint(accesstoken.Key{SID: acct.SID, Secret: "not-the-auth-token"}, acct.SID,
		accesstoken.Grants{Identity: "mallory"}, acct.TokenNow(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	short := chatToken(t, acct, "bob", time.Minute)
	acct.Advance(2 * time.Minute)
	anonymous := chatToken(t, acct, "", time.Hour)
	for token, code := range map[string]float64{anonymous: accesstoken.CodeInvalid, forged: accesstoken.CodeInvalidSignature, short: accesstoken.CodeExpired, "junk": accesstoken.CodeInvalid} {
		st := tsDial(t, emu).init(token)
		if st["code"] != 401.0 || st["status"] != "UNAUTHORIZED" || st["errorCode"] != code {
			t.Errorf("init refused with %v, want 401 errorCode %v", st, code)
		}
	}
}

func TestTwilsockTokenExpiresOnTheVirtualClock(t *testing.T) {
	emu := emulatortest.Run(t)
	acct := emu.Account()
	c := tsDial(t, emu)
	if st := c.init(chatToken(t, acct, "alice", 10*time.Minute)); st["code"] != 200.0 {
		t.Fatalf("init: %v", st)
	}
	acct.Advance(6 * time.Minute)
	hdr, _ := c.recv()
	if hdr["method"] != "client_update" || hdr["client_update_type"] != "token_about_to_expire" {
		t.Fatalf("got %v, want client_update token_about_to_expire", hdr)
	}
	acct.Advance(5 * time.Minute)
	hdr, _ = c.recv()
	if st, _ := hdr["status"].(map[string]any); hdr["method"] != "close" || st["code"] != 410.0 || st["status"] != "TOKEN_EXPIRED" {
		t.Fatalf("got %v, want close 410 TOKEN_EXPIRED", hdr)
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c.ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("socket not closed after close 410: %v", err)
	}
}

func TestMediaServiceWithRealTokens(t *testing.T) {
	emu := emulatortest.Run(t)
	acct := emu.Account()
	token := chatToken(t, acct, "alice", time.Hour)
	base := emu.URL() + "/mcs/v1/Services/IS00000000000000000000000000000000"

	do := func(method, url string, body []byte, set func(*http.Request)) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, url, bytes.NewReader(body))
		req.Header.Set("Origin", "http://localhost:3000")
		if set != nil {
			set(req)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
			t.Errorf("%s %s: no CORS origin", method, url)
		}
		return resp.StatusCode, b
	}
	withToken := func(tok, ct string) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("X-Twilio-Token", tok)
			if ct != "" {
				r.Header.Set("Content-Type", ct)
			}
		}
	}
	code, b := do("OPTIONS", base+"/Media", nil, func(r *http.Request) {
		r.Header.Set("Access-Control-Request-Method", "POST")
		r.Header.Set("Access-Control-Request-Headers", "x-twilio-token,content-type")
	})
	if code != http.StatusNoContent {
		t.Fatalf("preflight: %d %s", code, b)
	}
	code, b = do("POST", base+"/Media?Category=media&Filename=hello.txt", []byte("hello"), withToken(token, "text/plain"))
	if code != http.StatusCreated {
		t.Fatalf("upload: %d %s", code, b)
	}
	var rec struct {
		SID   string `json:"sid"`
		Links struct {
			Temporary string `json:"content_direct_temporary"`
		} `json:"links"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	if m, ok := emu.Media().Get(acct.SID, rec.SID); !ok || m.Author != "alice" || m.Filename != "hello.txt" {
		t.Fatalf("Media().Get: %+v %v", m, ok)
	}
	if code, b = do("GET", rec.Links.Temporary, nil, nil); code != 200 || string(b) != "hello" {
		t.Fatalf("temporary URL: %d %s", code, b)
	}
	if code, _ = do("GET", base+"/Media/"+rec.SID, nil, func(r *http.Request) { r.SetBasicAuth(acct.SID, acct.AuthToken) }); code != 200 {
		t.Errorf("Basic auth: %d", code)
	}
	if code, _ = do("GET", base+"/Media/"+rec.SID, nil, func(r *http.Request) { r.SetBasicAuth(acct.SID, "wrong") }); code != 401 {
		t.Errorf("wrong Basic auth: %d", code)
	}
	expired := chatToken(t, acct, "alice", time.Minute)
	acct.Advance(2 * time.Minute)
	code, b = do("GET", base+"/Media/"+rec.SID, nil, withToken(expired, ""))
	if code != 401 || !strings.Contains(string(b), "20104") {
		t.Errorf("expired token: %d %s", code, b)
	}
	if err := acct.Reset(); err != nil {
		t.Fatal(err)
	}
	if _, ok := emu.Media().Get(acct.SID, rec.SID); ok {
		t.Error("media survived Reset")
	}
}

func TestTwilsockSessionsEndWithTheEmulator(t *testing.T) {
	emu := emulatortest.Run(t)
	c := tsDial(t, emu)
	if st := c.init(chatToken(t, emu.Account(), "alice", time.Hour)); st["code"] != 200.0 {
		t.Fatalf("init: %v", st)
	}
	start := time.Now()
	if err := emu.Close(); err != nil {
		t.Fatal(err)
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := c.ws.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
				t.Fatalf("socket ended with %v, want close 1001", err)
			}
			break
		}
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the session outlived Close by %v", d)
	}
}
