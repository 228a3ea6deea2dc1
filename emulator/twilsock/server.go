package twilsock

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Defaults of a Server's Options.
const (
	DefaultPingInterval  = 30 * time.Second
	DefaultInitTimeout   = 60 * time.Second
	DefaultWriteTimeout  = 10 * time.Second
	DefaultQueueSize     = 256
	DefaultMaxInFlight   = 16
	DefaultExpiryCheck   = time.Second
	DefaultAboutToExpire = 5 * time.Minute
	defaultCloseGrace    = time.Second
)

// Options tune a Server; the zero value of each field means its default.
type Options struct {
	// PingInterval is how often (wall time) the server pings each socket;
	// a peer that answers nothing (no frame, no pong) for 2.5 intervals is
	// disconnected. Twilsock has no heartbeat of its own.
	PingInterval time.Duration
	// InitTimeout is how long (wall time) a socket may stay without a
	// successful init before it is closed.
	InitTimeout time.Duration
	// WriteTimeout bounds one websocket write: a client that does not read
	// for that long is disconnected.
	WriteTimeout time.Duration
	// QueueSize bounds a session's outbound frames (replies and
	// notifications) waiting for the socket; overflowing it disconnects
	// the session (websocket close 1013), never blocks the caller.
	QueueSize int
	// MaxInFlight bounds a session's tunnelled requests served at once;
	// further message frames wait to be read.
	MaxInFlight int
	// MaxHeader and MaxPayload bound a client frame's header JSON and
	// payload; a larger frame closes the session.
	MaxHeader, MaxPayload int
	// ExpiryCheck is how often (wall time) a session compares its token's
	// expiry with the Authenticator's TokenNow; every received frame also
	// checks.
	ExpiryCheck time.Duration
	// AboutToExpire is how much token time left triggers client_update
	// "token_about_to_expire" (once per token).
	AboutToExpire time.Duration
	// Logger receives one line per refused or failed session (default:
	// slog.Default()).
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defi := func(d *int, v int) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.PingInterval, DefaultPingInterval)
	def(&o.InitTimeout, DefaultInitTimeout)
	def(&o.WriteTimeout, DefaultWriteTimeout)
	def(&o.ExpiryCheck, DefaultExpiryCheck)
	def(&o.AboutToExpire, DefaultAboutToExpire)
	defi(&o.QueueSize, DefaultQueueSize)
	defi(&o.MaxInFlight, DefaultMaxInFlight)
	defi(&o.MaxHeader, DefaultMaxHeader)
	defi(&o.MaxPayload, DefaultMaxPayload)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Server serves twilsock websockets: each upgrade is one session that must
// init with a valid Access Token before anything else is served.
type Server struct {
	auth     Authenticator
	svc      Service
	opts     Options
	upgrader websocket.Upgrader

	mu       sync.Mutex
	sessions map[*session]struct{}
	closed   bool
}

// NewServer returns a Server that authenticates with auth and hands
// authenticated sessions to svc.
func NewServer(auth Authenticator, svc Service, opts Options) *Server {
	return &Server{
		auth: auth, svc: svc, opts: opts.withDefaults(),
		upgrader: websocket.Upgrader{
			// No buffer sizes: the websocket reuses the 4 KB buffers the HTTP
			// server already allocated for the connection, instead of holding
			// those and 32 KB more for the life of every session. Frames of any
			// size still pass; they are just read and written in pieces.
			HandshakeTimeout: 10 * time.Second,
			// Browser clients are cross-origin; the token authenticates.
			CheckOrigin: func(*http.Request) bool { return true },
		},
		sessions: map[*session]struct{}{},
	}
}

// ServeHTTP upgrades the request to a websocket and serves the session
// until it ends: the client closes, the session fails, the token expires,
// the request's context ends or Close is called. A request that is not a
// websocket upgrade gets 400 (gorilla's answer).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		// The socket needs no CORS, but answer a stray preflight politely.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	sess := newSession(ctx, cancel, s, ws)
	if !s.track(sess) {
		sess.shutdown(websocket.CloseGoingAway, "server closing")
	}
	sess.run()
	s.untrack(sess)
}

// Close ends every session (websocket close 1001) and refuses new ones;
// it does not wait for them.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	all := make([]*session, 0, len(s.sessions))
	for sess := range s.sessions {
		all = append(all, sess)
	}
	s.mu.Unlock()
	for _, sess := range all {
		sess.shutdown(websocket.CloseGoingAway, "server closing")
	}
}

// Sessions is the number of open sockets (initialised or not).
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

func (s *Server) track(sess *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[sess] = struct{}{}
	return !s.closed
}

func (s *Server) untrack(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, sess)
}
