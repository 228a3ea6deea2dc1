package convsync

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/env"
	"github.com/flexemu/flexemu/emulator/twilsock"
	"github.com/flexemu/flexemu/emulator/webhook"
)

const testAccount = "AC00000000000000000000000000000000"

// fakeBackend is one account with one engine behind a mutex.
type fakeBackend struct {
	mu  sync.Mutex
	eng *conversations.Engine
}

func (b *fakeBackend) Do(accountSID string, fn func(*conversations.Engine) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return fn(b.eng)
}

func (b *fakeBackend) Act(_ context.Context, accountSID string, prepare func(*conversations.Engine) (*conversations.Pending, error)) (*conversations.Result, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, err := prepare(b.eng)
	if err != nil {
		return nil, err
	}
	return b.eng.Commit(p, nil)
}

func (b *fakeBackend) MediaURL() string { return "http://127.0.0.1:7070/mcs" }

// fakeSession records the notifications a session was sent.
type fakeSession struct {
	p  twilsock.Principal
	mu sync.Mutex
	ns []notification
}

type notification struct {
	Type    string
	Payload map[string]any
}

func (s *fakeSession) Principal() twilsock.Principal { return s.p }

func (s *fakeSession) Notify(messageType string, payload []byte) {
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		panic(err)
	}
	s.mu.Lock()
	s.ns = append(s.ns, notification{messageType, m})
	s.mu.Unlock()
}

// take returns and forgets the notifications so far.
func (s *fakeSession) take() []notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.ns
	s.ns = nil
	return out
}

// events returns the Sync events (event_type → events) among ns.
func syncEvents(ns []notification, eventType string) []map[string]any {
	var out []map[string]any
	for _, n := range ns {
		if n.Type != messageTypeSync || n.Payload["event_type"] != eventType {
			continue
		}
		if ev, ok := n.Payload["event"].(map[string]any); ok {
			out = append(out, ev)
		} else {
			out = append(out, n.Payload)
		}
	}
	return out
}

type fixture struct {
	t   *testing.T
	b   *fakeBackend
	svc *Service
	env env.Env
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ev, _ := env.ForTest()
	t.Cleanup(func() { ev.Webhooks.Close(webhook.ShutdownGrace) })
	b := &fakeBackend{eng: conversations.New(ev)}
	svc := New(b)
	b.mu.Lock()
	svc.Attach(testAccount, b.eng)
	b.mu.Unlock()
	return &fixture{t: t, b: b, svc: svc, env: ev}
}

// engine runs fn under the backend lock.
func (f *fixture) engine(fn func(e *conversations.Engine)) {
	f.b.mu.Lock()
	defer f.b.mu.Unlock()
	fn(f.b.eng)
}

// open connects identity.
func (f *fixture) open(identity string) (*fakeSession, twilsock.Conn) {
	s := &fakeSession{p: twilsock.Principal{AccountSID: testAccount, Identity: identity}}
	return s, f.svc.Open(s)
}

// call serves one tunnelled request; target is a path with an optional
// query ("…?Include=items"), split like the SDK's twilsock does.
func call(t *testing.T, c twilsock.Conn, method, target string, body any) (int, map[string]any) {
	t.Helper()
	path, query, _ := strings.Cut(target, "?")
	params := map[string]string{}
	if query != "" {
		for _, kv := range strings.Split(query, "&") {
			k, v, _ := strings.Cut(kv, "=")
			params[k] = v
		}
	}
	r := twilsock.Request{Host: "cds.us1.twilio.com", Method: method, Path: path, Params: params}
	if strings.HasPrefix(path, "/Client/") {
		r.Host = "aim.us1.twilio.com"
	}
	switch b := body.(type) {
	case nil:
	case string:
		r.Body = []byte(b)
	default:
		r.Body, _ = json.Marshal(b)
	}
	resp := c.Serve(context.Background(), r)
	var out map[string]any
	if len(resp.Body) > 0 {
		if err := json.Unmarshal(resp.Body, &out); err != nil {
			t.Fatalf("%s %s: body %q is not a JSON object: %v", method, target, resp.Body, err)
		}
	}
	return resp.Status, out
}

// must is call expecting 200.
func must(t *testing.T, c twilsock.Conn, method, target string, body any) map[string]any {
	t.Helper()
	status, out := call(t, c, method, target, body)
	if status != 200 {
		t.Fatalf("%s %s = %d %v", method, target, status, out)
	}
	return out
}

// subscribe establishes subscriptions to sids (object type typ) from lastEventID.
func subscribe(t *testing.T, c twilsock.Conn, typ string, lastEventID float64, sids ...string) {
	t.Helper()
	var reqs []map[string]any
	for _, sid := range sids {
		reqs = append(reqs, map[string]any{"object_sid": sid, "object_type": typ, "last_event_id": lastEventID})
	}
	must(t, c, "POST", "/v4/Subscriptions", map[string]any{"event_protocol_version": 4, "action": "establish",
		"correlation_id": 1796124598865, "retried_requests": 0, "ttl_in_s": -1, "requests": reqs})
}

func esc(s string) string { return url.PathEscape(s) }
