package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/emulatortest"
	"github.com/flexemu/flexemu/emulator/fixture"
	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/fixtures"
	"github.com/gorilla/websocket"
)

const (
	testSID   = emulator.DefaultAccountSID
	testToken = emulator.DefaultAuthToken
)

// call makes one request to the running emulator and returns status and body.
func call(t *testing.T, method, target string, body io.Reader, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if host := header.Get("Host"); host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func basic(sid, token string) http.Header {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(sid, token)
	return http.Header{"Authorization": r.Header["Authorization"]}
}

func twilioError(t *testing.T, body string) twilio.Error {
	t.Helper()
	var e twilio.Error
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Code == 0 || e.MoreInfo == "" {
		t.Fatalf("not Twilio's error JSON: %s", body)
	}
	return e
}

// TestForgedPageTokenNeverWedgesTheAccount: the forged token that used to
// overflow offset+size under the account lock is a 400, and a panic under
// the lock releases it and answers 500: the account keeps serving.
func TestForgedPageTokenNeverWedgesTheAccount(t *testing.T) {
	var logged strings.Builder
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logged.Write(b)
	}), nil))
	emu := emulatortest.Run(t, emulator.WithLogger(logger))
	auth := basic(testSID, testToken)
	for _, tok := range []string{"PT9223372036854775807", "PT99999999999999999999", "PT-5", "XX12", "PT1e9"} {
		status, body := call(t, "GET", emu.URL()+"/taskrouter/v1/Workspaces?PageToken="+url.QueryEscape(tok), nil, auth)
		if e := twilioError(t, body); status != 400 || e.Code != 20001 || !strings.Contains(e.Message, "PageToken") {
			t.Errorf("PageToken=%s: %d %s, want 400 20001 naming PageToken", tok, status, body)
		}
	}

	// A panic under the account lock: released, logged, Twilio's 500.
	err := emu.Account().Do(func(*emulator.Engines) error { panic("boom under the lock") })
	var te *twilio.Error
	if !errors.As(err, &te) || te.Status != 500 || te.Code != 20500 {
		t.Fatalf("a panic in Do returned %v, want Twilio's 500", err)
	}
	logMu.Lock()
	if !strings.Contains(logged.String(), "boom under the lock") {
		t.Errorf("the panic was not logged: %q", logged.String())
	}
	logMu.Unlock()

	// Everything still answers: REST, inbound, the control API.
	done := make(chan struct{})
	go func() {
		defer close(done)
		if status, body := call(t, "GET", emu.URL()+"/taskrouter/v1/Workspaces", nil, auth); status != 200 {
			t.Errorf("list after the panic: %d %s", status, body)
		}
		if _, err := emu.Account().Inbound(context.Background(), emulator.InboundParams{Body: "still there?"}); err != nil {
			t.Errorf("inbound after the panic: %v", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the account is wedged after a panic")
	}
}

// TestRefusedRequestsLeaveNoTrace: authentication comes before the body is
// read, and a refused request writes nothing to the timeline.
func TestRefusedRequestsLeaveNoTrace(t *testing.T) {
	emu := emulatortest.Run(t)
	tl := emu.Account().Timeline()
	before := tl.Last()
	huge := strings.NewReader("FriendlyName=" + strings.Repeat("x", 5<<20))
	for _, tc := range []struct {
		name   string
		header http.Header
		body   io.Reader
		method string
	}{
		{"wrong token", basic(testSID, "wrong"), nil, "GET"},
		{"unknown account", basic("AC0123456789abcdef0123456789abcdef", testToken), nil, "GET"},
		{"no credentials", nil, nil, "GET"},
		{"5 MB body without credentials", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, huge, "POST"},
	} {
		status, body := call(t, tc.method, emu.URL()+"/taskrouter/v1/Workspaces", tc.body, tc.header)
		if e := twilioError(t, body); status != 401 || e.Code != 20003 {
			t.Errorf("%s: %d %s, want 401 20003", tc.name, status, body)
		}
	}
	if after := tl.Last(); after != before {
		t.Errorf("refused requests wrote %d timeline entries: %+v", after-before, tl.Since(before))
	}
	if status, _ := call(t, "GET", emu.URL()+"/taskrouter/v1/Workspaces", nil, basic(testSID, testToken)); status != 200 {
		t.Fatalf("authenticated list: %d", status)
	}
	if got := tl.Since(before); len(got) != 1 || got[0].Kind != "api" {
		t.Errorf("an authenticated call wrote %+v, want one api entry", got)
	}
}

// TestHostAndOriginGuard: only the emulator's own names reach it, and only
// its own origin drives the control API, so neither a page the developer
// visits nor a DNS-rebound name can advance the clock or read the token.
func TestHostAndOriginGuard(t *testing.T) {
	emu := emulatortest.Run(t)
	u, _ := url.Parse(emu.URL())
	port := u.Port()
	auth := basic(testSID, testToken)
	with := func(h http.Header, kv ...string) http.Header {
		out := http.Header{}
		for k, v := range h {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	for _, tc := range []struct {
		name, method, path string
		header             http.Header
		want               int
	}{
		{"info on 127.0.0.1", "GET", "/emulator/v1/info", nil, 200},
		{"info via localhost", "GET", "/emulator/v1/info", with(nil, "Host", "localhost:"+port), 200},
		{"info via [::1]", "GET", "/emulator/v1/info", with(nil, "Host", "[::1]:"+port), 200},
		{"info via a rebound name", "GET", "/emulator/v1/info", with(nil, "Host", "attacker.example:"+port), 403},
		{"REST via a rebound name", "GET", "/taskrouter/v1/Workspaces", with(auth, "Host", "attacker.example"), 403},
		{"REST with Twilio's host", "GET", "/v1/Workspaces", with(auth, "Host", "taskrouter.twilio.com"), 200},
		{"an unknown twilio.com host", "GET", "/v1/Workspaces", with(auth, "Host", "evil.twilio.com"), 403},
		{"same-origin POST", "POST", "/emulator/v1/clock/advance?seconds=1", with(nil, "Origin", emu.URL()), 200},
		{"cross-site form POST", "POST", "/emulator/v1/clock/advance?seconds=1", with(nil, "Origin", "http://evil.example",
			"Content-Type", "application/x-www-form-urlencoded"), 403},
		{"another localhost port", "POST", "/emulator/v1/clock/advance?seconds=1", with(nil, "Origin", "http://localhost:3000"), 403},
		{"null origin", "POST", "/emulator/v1/clock/advance?seconds=1", with(nil, "Origin", "null"), 403},
		{"cross-site fetch metadata", "GET", "/emulator/v1/info", with(nil, "Sec-Fetch-Site", "cross-site"), 403},
		{"same-site fetch metadata", "GET", "/emulator/v1/info", with(nil, "Sec-Fetch-Site", "same-site"), 403},
		{"typed-in URL", "GET", "/emulator/v1/info", with(nil, "Sec-Fetch-Site", "none"), 200},
	} {
		before := emu.Account().Now()
		status, body := call(t, tc.method, emu.URL()+tc.path, nil, tc.header)
		if status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, status, body, tc.want)
			continue
		}
		if status == 403 {
			if e := twilioError(t, body); e.Code != 20403 || strings.Contains(body, testToken) {
				t.Errorf("%s: refused with %s", tc.name, body)
			}
			if !emu.Account().Now().Equal(before) {
				t.Errorf("%s: refused, yet the clock moved", tc.name)
			}
		}
	}

	ws := "ws" + strings.TrimPrefix(emu.URL(), "http") + emulator.ControlPrefix + "/stream"
	if conn, resp, err := websocket.DefaultDialer.Dial(ws, http.Header{"Origin": {"http://evil.example"}}); err == nil {
		conn.Close()
		t.Error("a foreign origin opened the timeline stream")
	} else if resp == nil || resp.StatusCode != 403 {
		t.Errorf("foreign-origin stream upgrade: %v %v, want 403", resp, err)
	}
	conn, _, err := websocket.DefaultDialer.Dial(ws, http.Header{"Origin": {emu.URL()}})
	if err != nil {
		t.Fatalf("same-origin stream: %v", err)
	}
	conn.Close()
}

// TestListensBeyondLoopback is the check behind emulator up's warning.
func TestListensBeyondLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:7070": false, "localhost:7070": false, "[::1]:7070": false, "127.0.0.2:0": false,
		"0.0.0.0:7070": true, ":7070": true, "[::]:7070": true, "192.168.1.5:7070": true, "myhost:7070": true,
	} {
		if got := emulator.ListensBeyondLoopback(addr); got != want {
			t.Errorf("ListensBeyondLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

// hangingReceiver answers every webhook at once, except those about the
// conversation it is told to hang on.
type hangingReceiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	hangFor string
	release chan struct{}
}

func newHangingReceiver(t testing.TB) *hangingReceiver {
	h := &hangingReceiver{release: make(chan struct{})}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		h.mu.Lock()
		hang := h.hangFor != "" && r.PostForm.Get("ConversationSid") == h.hangFor
		h.mu.Unlock()
		if hang {
			select {
			case <-h.release:
			case <-r.Context().Done():
			}
		}
	}))
	t.Cleanup(func() { close(h.release); h.srv.Close() })
	return h
}

func (h *hangingReceiver) hangOn(conversationSID string) {
	h.mu.Lock()
	h.hangFor = conversationSID
	h.mu.Unlock()
}

// globalPostWebhook points the account-level post-event webhook at url.
func globalPostWebhook(t testing.TB, acct *emulator.Account, url string) {
	t.Helper()
	err := acct.Do(func(e *emulator.Engines) error {
		method := "POST"
		_, err := e.Conversations.UpdateWebhookConfiguration(conversations.UpdateWebhookConfigurationParams{
			PostWebhookURL: &url, Method: &method, Filters: []string{"onMessageAdded", "onConversationAdded"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHangingReceiverDelaysOnlyItsOwnConversation: a receiver that hangs on
// conversation A leaves A's trace with its webhooks pending, while B's
// message, to the same URL, is delivered and traced in full at once.
func TestHangingReceiverDelaysOnlyItsOwnConversation(t *testing.T) {
	emu := emulatortest.Run(t)
	acct := emu.Account()
	rx := newHangingReceiver(t)
	globalPostWebhook(t, acct, rx.srv.URL)
	ctx := context.Background()

	a, err := acct.Inbound(ctx, emulator.InboundParams{From: "whatsapp:+15550000001", Body: "I am A"})
	if err != nil || len(a.Pending) != 0 {
		t.Fatalf("A before the hang: %+v, %v", a, err)
	}
	rx.hangOn(a.ConversationSID)
	a2, err := acct.Inbound(ctx, emulator.InboundParams{From: "whatsapp:+15550000001", Body: "A again"})
	if err != nil {
		t.Fatal(err)
	}
	if len(a2.Pending) != 1 || a2.Pending[0].Event != "onMessageAdded" || a2.Pending[0].URL != rx.srv.URL {
		t.Fatalf("A's second message: pending %+v, want its onMessageAdded", a2.Pending)
	}
	start := time.Now()
	b, err := acct.Inbound(ctx, emulator.InboundParams{From: "whatsapp:+15550000002", Body: "I am B"})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if len(b.Pending) != 0 {
		t.Fatalf("B waits on A's receiver: pending %+v after %v", b.Pending, took)
	}
	answered := 0
	for _, e := range b.Entries {
		if e.Kind == "webhook" && strings.Contains(e.Summary, "answered 200") {
			answered++
		}
		if sid := e.Refs["conversation_sid"]; sid != "" && sid != b.ConversationSID {
			t.Errorf("B's trace holds an entry of %s: %+v", sid, e)
		}
	}
	if answered != 2 {
		t.Errorf("B's trace shows %d answered webhooks, want onConversationAdded and onMessageAdded", answered)
	}
	t.Logf("B's inbound took %v while A's receiver hangs", took)
}

// TestConcurrentTracesHoldOnlyTheirOwnChain: 32 customers at once; each
// trace holds exactly its own chain, the same entries a lone message gets.
func TestConcurrentTracesHoldOnlyTheirOwnChain(t *testing.T) {
	emu := emulatortest.Run(t, emulator.WithFixture(manyChatsFixture(t, 100)))
	acct := emu.Account()
	rx := newHangingReceiver(t)
	globalPostWebhook(t, acct, rx.srv.URL)
	ctx := context.Background()
	lone, err := acct.Inbound(ctx, emulator.InboundParams{From: "whatsapp:+15559999999", Body: "alone"})
	if err != nil {
		t.Fatal(err)
	}
	shape := traceShape(lone)

	const n = 32
	traces := make([]*emulator.Trace, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr, err := acct.Inbound(ctx, emulator.InboundParams{From: fmt.Sprintf("whatsapp:+1555%07d", i), Body: "burst"})
			if err != nil {
				t.Error(err)
				return
			}
			traces[i] = tr
		}()
	}
	wg.Wait()
	for i, tr := range traces {
		if tr == nil {
			continue
		}
		if got := traceShape(tr); got != shape {
			t.Errorf("customer %d's trace differs from a lone message's:\n got %s\nwant %s", i, got, shape)
		}
		for _, e := range tr.Entries {
			if sid := e.Refs["conversation_sid"]; sid != "" && sid != tr.ConversationSID {
				t.Errorf("customer %d's trace holds an entry of another conversation: %+v", i, e)
			}
		}
	}
}

// traceShape is a trace's entry types, sorted (webhook answers interleave
// with the engines' entries), without SIDs.
func traceShape(tr *emulator.Trace) string {
	types := make([]string, 0, len(tr.Entries))
	for _, e := range tr.Entries {
		types = append(types, e.Type)
	}
	sort.Strings(types)
	return strings.Join(types, " ")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// manyChatsFixture is the default fixture with alice able to take chats at
// once, so every message of a burst ends in a reservation.
func manyChatsFixture(t testing.TB, chats int) *fixture.Fixture {
	t.Helper()
	f, err := fixture.Parse("default.yaml", fixtures.Default)
	if err != nil {
		t.Fatal(err)
	}
	ch := f.Workspace.Workers[0].Channels["chat"]
	ch.Capacity = &chats
	f.Workspace.Workers[0].Channels["chat"] = ch
	return f
}
