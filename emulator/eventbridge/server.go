// Package eventbridge serves twilio-taskrouter's event bridge: the
// websocket a Worker SDK connects to for pushes, and the HTTP envelope
// (every SDK action POSTed as JSON to the same path) for its reads and
// actions, in the wire format of twilio-taskrouter 2.1.1.
//
// The package owns no product state. Reads render TaskRouter engine objects
// under the account lock; actions go through the emulator's REST stack
// (Account.CallAPI) so they are validated, evented, called back and put on
// the timeline exactly like REST calls; pushes come from the engine's event
// listener. What it keeps is connection state: the sockets of each worker
// and what each SDK instance has been told.
package eventbridge

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/flexemu/flexemu/emulator/accesstoken"
	"github.com/flexemu/flexemu/emulator/taskrouter"
)

// Path is where the event bridge is served (the SDK's ebServer and wsServer).
const Path = "/event-bridge/v1/wschannels"

// Backend is the emulator as the event bridge sees it.
type Backend interface {
	// Verify checks an Access Token as Twilio would and returns the account
	// it is for with its claims; errors are Twilio's 401 (*twilio.Error).
	Verify(token string) (Account, *accesstoken.Claims, error)
	// ShuttingDown reports that the emulator is closing: sockets closed
	// then are not a worker's disconnection.
	ShuttingDown() bool
}

// Account is one Twilio account's side of the event bridge.
type Account interface {
	// SID is the account SID.
	SID() string
	// TokenNow is the time tokens are checked against.
	TokenNow() time.Time
	// WorkerFor finds the worker a token stands for (404 error if none).
	WorkerFor(identity string, grant accesstoken.TaskRouterGrant) (workspaceSID, workerSID string, err error)
	// OnEngines calls fn under the account lock with the TaskRouter engine
	// now, and again with the fresh engine after every reset.
	OnEngines(fn func(*taskrouter.Engine))
	// Do runs fn under the account lock.
	Do(fn func(*taskrouter.Engine) error) error
	// CallAPI serves one TaskRouter REST request (path "/v1/Workspaces/…")
	// in-process, as the account; body is the REST JSON or Twilio's error JSON.
	CallAPI(ctx context.Context, method, path string, form url.Values, header http.Header) (status int, body []byte)
	// Record puts a state entry on the account's timeline.
	Record(typ, sid, summary string, refs map[string]string)
}

// Options tune the server; zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	// Heartbeat is the wall-time interval of the " " frames (default 15 s;
	// the SDK reconnects after 30-60 s of silence).
	Heartbeat time.Duration
	// ExpiryCheck is how often a socket compares its token's expiry with
	// the token clock, which a virtual clock may move at any time (default 1 s).
	ExpiryCheck time.Duration
	// QueueSize bounds each socket's outbound queue (default 256 frames);
	// a socket whose client does not keep up is closed.
	QueueSize int
	// WriteTimeout bounds one frame's write (default 10 s).
	WriteTimeout time.Duration
	// OfflineGrace is how long after a worker's last socket closed
	// setWorkerOfflineIfDisconnected waits for a reconnection before it
	// moves the worker offline (default 3 s).
	OfflineGrace time.Duration
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 15 * time.Second
	}
	if o.ExpiryCheck <= 0 {
		o.ExpiryCheck = time.Second
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 256
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.OfflineGrace <= 0 {
		o.OfflineGrace = 3 * time.Second
	}
}

// Server is the event bridge: an http.Handler for Path.
type Server struct {
	backend Backend
	opts    Options

	mu   sync.Mutex
	hubs map[string]*hub // by account SID
}

// New returns an event bridge over backend.
func New(backend Backend, opts Options) *Server {
	opts.defaults()
	return &Server{backend: backend, opts: opts, hubs: map[string]*hub{}}
}

// ServeHTTP answers CORS preflights, websocket upgrades and envelopes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	allowOrigin(w, r)
	if r.URL.Path != Path {
		writeMessage(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	switch r.Method {
	case http.MethodOptions:
		preflight(w, r)
	case http.MethodGet:
		s.serveSocket(w, r)
	case http.MethodPost:
		s.serveEnvelope(w, r)
	default:
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		writeMessage(w, http.StatusMethodNotAllowed, 20004, "Method "+r.Method+" not allowed: GET upgrades to the websocket, POST carries an envelope")
	}
}

// hub returns the account's hub, subscribing it to the account's engines
// the first time.
func (s *Server) hub(acct Account) *hub {
	s.mu.Lock()
	h, ok := s.hubs[acct.SID()]
	if !ok {
		h = newHub(s, acct)
		s.hubs[acct.SID()] = h
	}
	s.mu.Unlock()
	h.attachOnce.Do(func() { acct.OnEngines(h.attach) })
	return h
}

// Forget drops a removed account's hub, so the bridge no longer holds its
// engines; its sockets end at their next token check.
func (s *Server) Forget(accountSID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.hubs, accountSID)
}

// Sessions reports how many sockets are open for the worker (tests, status).
func (s *Server) Sessions(accountSID, workerSID string) int {
	s.mu.Lock()
	h := s.hubs[accountSID]
	s.mu.Unlock()
	if h == nil {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sessions[workerSID])
}
