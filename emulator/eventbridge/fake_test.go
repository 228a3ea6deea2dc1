package eventbridge

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/accesstoken"
	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/env"
	"github.com/flexemu/flexemu/emulator/taskrouter"
	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/gorilla/websocket"
)

// fakeAccount is an Account over a real TaskRouter engine, with its REST
// surface mounted in-process and one mutex for the account lock.
type fakeAccount struct {
	t   *testing.T
	mu  sync.Mutex
	env env.Env
	clk *clock.Virtual
	tr  *taskrouter.Engine
	api http.Handler

	hooks []func(*taskrouter.Engine)
	// fixture objects of the current engine
	ws                      string
	alice, bob              string
	offline, avail, unavail string
	workflow                string

	recMu   sync.Mutex
	records []string
	calls   []string
}

const fakeSecret = "fake-auth-token"

func newFakeAccount(t *testing.T) *fakeAccount {
	f := &fakeAccount{t: t}
	f.env, f.clk = env.ForTest()
	f.build()
	mux := http.NewServeMux()
	twilio.Mount(mux, taskrouter.Product, func(r *twilio.Request, fn func(*taskrouter.Engine) error) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		return fn(f.tr)
	}, taskrouter.Routes())
	f.api = mux
	return f
}

// build makes a fresh engine: a workspace with alice (Available) and bob
// (Offline), one queue for everyone and one workflow.
func (f *fakeAccount) build() {
	t := f.t
	tr := taskrouter.New(f.env)
	ws, err := tr.CreateWorkspace(taskrouter.CreateWorkspaceParams{FriendlyName: "Test"})
	if err != nil {
		t.Fatal(err)
	}
	act := func(name string) string {
		a, err := tr.ActivityByName(ws.SID, name)
		if err != nil {
			t.Fatal(err)
		}
		return a.SID
	}
	f.ws, f.offline, f.avail, f.unavail = ws.SID, act("Offline"), act("Available"), act("Unavailable")
	q, err := tr.CreateTaskQueue(ws.SID, taskrouter.CreateTaskQueueParams{FriendlyName: "Everyone", TargetWorkers: "1==1"})
	if err != nil {
		t.Fatal(err)
	}
	wf, err := tr.CreateWorkflow(ws.SID, taskrouter.CreateWorkflowParams{FriendlyName: "Anyone", TaskReservationTimeout: 120,
		Configuration: `{"task_routing":{"filters":[],"default_filter":{"queue":"` + q.SID + `"}}}`})
	if err != nil {
		t.Fatal(err)
	}
	f.workflow = wf.SID
	a, err := tr.CreateWorker(ws.SID, taskrouter.CreateWorkerParams{FriendlyName: "alice", ActivitySID: f.avail})
	if err != nil {
		t.Fatal(err)
	}
	b, err := tr.CreateWorker(ws.SID, taskrouter.CreateWorkerParams{FriendlyName: "bob", ActivitySID: f.offline})
	if err != nil {
		t.Fatal(err)
	}
	f.alice, f.bob = a.SID, b.SID
	f.tr = tr
}

// reset rebuilds the engine and re-runs the OnEngines hooks, as Account.Reset.
func (f *fakeAccount) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.build()
	for _, h := range f.hooks {
		h(f.tr)
	}
}

func (f *fakeAccount) SID() string         { return f.env.AccountSID }
func (f *fakeAccount) TokenNow() time.Time { return f.clk.Now() }

func (f *fakeAccount) WorkerFor(identity string, grant accesstoken.TaskRouterGrant) (string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if grant.WorkerSID != "" {
		return f.ws, grant.WorkerSID, nil
	}
	w, err := f.tr.WorkerByName(f.ws, identity)
	if err != nil {
		return "", "", err
	}
	return f.ws, w.SID, nil
}

func (f *fakeAccount) OnEngines(fn func(*taskrouter.Engine)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hooks = append(f.hooks, fn)
	fn(f.tr)
}

func (f *fakeAccount) Do(fn func(*taskrouter.Engine) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fn(f.tr)
}

func (f *fakeAccount) CallAPI(ctx context.Context, method, path string, form url.Values, header http.Header) (int, []byte) {
	r := httptest.NewRequest(method, "http://127.0.0.1"+path, strings.NewReader(form.Encode())).WithContext(ctx)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	f.api.ServeHTTP(w, r)
	f.recMu.Lock()
	f.calls = append(f.calls, method+" "+path+" "+form.Encode())
	f.recMu.Unlock()
	return w.Code, w.Body.Bytes()
}

func (f *fakeAccount) Record(typ, sid, summary string, refs map[string]string) {
	f.recMu.Lock()
	defer f.recMu.Unlock()
	f.records = append(f.records, typ+" "+sid)
}

func (f *fakeAccount) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clk.Advance(d)
}

func (f *fakeAccount) token(identity string, ttl time.Duration) string {
	tok, err := accesstoken.Mint(accesstoken.Key{SID: f.SID(), Secret: fakeSecret}, f.SID(),
		accesstoken.Grants{Identity: identity, TaskRouter: &accesstoken.TaskRouterGrant{WorkspaceSID: f.ws}}, f.clk.Now(), ttl)
	if err != nil {
		f.t.Fatal(err)
	}
	return tok
}

// fakeBackend verifies tokens signed with fakeSecret for its one account.
type fakeBackend struct {
	acct     *fakeAccount
	shutdown bool
}

func (b *fakeBackend) Verify(token string) (Account, *accesstoken.Claims, error) {
	c, err := accesstoken.Verify(token, b.acct.SID(), func(iss string) (string, bool) {
		return fakeSecret, iss == b.acct.SID()
	}, b.acct.TokenNow())
	if err != nil {
		return nil, nil, err
	}
	return b.acct, c, nil
}

func (b *fakeBackend) ShuttingDown() bool { return b.shutdown }

// bridge is a Server over a fake account, served by httptest.
type bridge struct {
	t    *testing.T
	acct *fakeAccount
	srv  *Server
	http *httptest.Server
}

func newBridge(t *testing.T, opts Options) *bridge {
	acct := newFakeAccount(t)
	srv := New(&fakeBackend{acct: acct}, opts)
	mux := http.NewServeMux()
	mux.Handle(Path, srv)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return &bridge{t: t, acct: acct, srv: srv, http: hs}
}

// socket is a test client's websocket and its frames (heartbeats as " ").
type socket struct {
	t      *testing.T
	conn   *websocket.Conn
	frames chan string
}

func (b *bridge) dial(token, extra string) (*socket, *http.Response, error) {
	if !strings.Contains(extra, "closeExistingSessions") {
		extra = "&closeExistingSessions=false" + extra
	}
	u := "ws" + strings.TrimPrefix(b.http.URL, "http") + Path + "?token=" + token + extra + "&clientVersion=2.1.1"
	conn, resp, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {"https://desk.example.com"}})
	if err != nil {
		return nil, resp, err
	}
	s := &socket{t: b.t, conn: conn, frames: make(chan string, 4096)}
	go func() {
		defer close(s.frames)
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			s.frames <- string(data)
		}
	}()
	b.t.Cleanup(func() { _ = conn.Close() })
	return s, resp, nil
}

func (b *bridge) mustDial(identity, extra string) *socket {
	b.t.Helper()
	s, resp, err := b.dial(b.acct.token(identity, time.Hour), extra)
	if err != nil {
		b.t.Fatalf("dial: %v %v", err, resp)
	}
	if f := s.next(); f.EventType != "init" {
		b.t.Fatalf("first frame %v, want init", f)
	}
	return s
}

type testFrame struct {
	EventType string         `json:"event_type"`
	Payload   map[string]any `json:"payload"`
}

// next returns the next non-heartbeat frame.
func (s *socket) next() testFrame {
	s.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case raw, ok := <-s.frames:
			if !ok {
				s.t.Fatal("socket closed")
			}
			if strings.TrimSpace(raw) == "" {
				continue
			}
			var f testFrame
			if err := json.Unmarshal([]byte(raw), &f); err != nil {
				s.t.Fatalf("frame %q: %v", raw, err)
			}
			return f
		case <-timeout:
			s.t.Fatal("no frame within 5 s")
		}
	}
}

// await returns the next frame of type typ, skipping others.
func (s *socket) await(typ string) testFrame {
	s.t.Helper()
	for {
		if f := s.next(); f.EventType == typ {
			return f
		}
	}
}

// closed waits until the server closed the socket.
func (s *socket) closed(within time.Duration) bool {
	timeout := time.After(within)
	for {
		select {
		case _, ok := <-s.frames:
			if !ok {
				return true
			}
		case <-timeout:
			return false
		}
	}
}

// post sends an envelope and returns the status and body.
func (b *bridge) post(token, method, u string, params map[string]any) (int, map[string]any) {
	b.t.Helper()
	body, _ := json.Marshal(map[string]any{"url": u, "method": method, "params": params, "token": token})
	req, _ := http.NewRequest(http.MethodPost, b.http.URL+Path, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	req.Header.Set("apiVersion", "v1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	return resp.StatusCode, out
}
