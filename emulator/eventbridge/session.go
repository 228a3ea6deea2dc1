package eventbridge

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/flexemu/flexemu/emulator/accesstoken"
	"github.com/flexemu/flexemu/emulator/taskrouter"
	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/gorilla/websocket"
)

// upgrader accepts any Origin: browser desktops connect from their own
// origin, and the socket is authorised by its token, not by cookies.
var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// closeReason is why a socket ended.
type closeReason int

const (
	reasonNone     closeReason = iota
	reasonClient               // the client closed it or went away
	reasonWrite                // a write failed or timed out
	reasonOverflow             // the client did not keep up with the pushes
	reasonExpired              // its token expired on the token clock
	reasonStale                // the SDK's view is outdated (an activity or channel it never read)
	reasonReplaced             // a newer socket of the worker asked closeExistingSessions
	reasonGone                 // the worker was deleted
	reasonReset                // the account was reset
	reasonShutdown             // the emulator is closing
)

var closeFrames = map[closeReason]struct {
	code int
	text string
}{
	reasonClient:   {websocket.CloseNormalClosure, ""},
	reasonWrite:    {websocket.CloseGoingAway, "write failed"},
	reasonOverflow: {websocket.CloseTryAgainLater, "client too slow: reconnect"},
	reasonExpired:  {websocket.ClosePolicyViolation, "Access Token expired"},
	reasonStale:    {websocket.CloseTryAgainLater, "state changed: reconnect"},
	reasonReplaced: {websocket.CloseNormalClosure, "session closed by a newer session (closeExistingSessions)"},
	reasonGone:     {websocket.CloseNormalClosure, "worker deleted"},
	reasonReset:    {websocket.CloseServiceRestart, "emulator reset"},
	reasonShutdown: {websocket.CloseGoingAway, "emulator closing"},
}

func (r closeReason) String() string {
	switch r {
	case reasonClient:
		return "closed by the client"
	case reasonWrite:
		return "write failed"
	case reasonOverflow:
		return "client too slow"
	case reasonExpired:
		return "token expired"
	case reasonStale:
		return "closed for the SDK to re-read its state"
	case reasonReplaced:
		return "replaced by a newer session (closeExistingSessions)"
	case reasonGone:
		return "worker deleted"
	case reasonReset:
		return "account reset"
	case reasonShutdown:
		return "emulator closing"
	}
	return "open"
}

// disconnection reports whether a reason is the worker's SDK going away
// (what setWorkerOfflineIfDisconnected reacts to), as opposed to the
// emulator ending the session for its own reasons.
func (r closeReason) disconnection() bool {
	switch r {
	case reasonClient, reasonWrite, reasonOverflow, reasonExpired, reasonStale:
		return true
	}
	return false
}

// session is one Worker SDK socket. Its queue is written by the engine
// listener (under the account lock, never blocking) and drained by its own
// writer, so a slow client delays nobody.
type session struct {
	hub          *hub
	conn         *websocket.Conn
	workspaceSID string
	workerSID    string
	identity     string
	expires      time.Time // token expiry on the token clock
	// offline is setWorkerOfflineIfDisconnected: documented by the SDK as
	// true by default, and the SDK only sends it when the app sets it, so
	// only an explicit false turns it off.
	offline bool

	out       chan []byte
	done      chan struct{}
	closeOnce sync.Once
	reason    closeReason // set before done is closed

	// queued counts the frames queued (guarded by hub.mu); written those
	// the writer has sent, with wake closed and renewed at each: flushed
	// waits on them.
	queued  uint64
	wmu     sync.Mutex
	written uint64
	wake    chan struct{}

	// Guarded by hub.mu: what the SDK knows, so nothing is pushed that
	// would crash it.
	reservations map[string]bool
	activities   map[string]bool
	channels     map[string]bool
}

// serveSocket upgrades an SDK connection after verifying its token (a bad
// token is refused with 401 before the upgrade, as Twilio does), sends
// init, and serves pushes until the socket ends.
func (srv *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	q := rawQuery(r.URL.RawQuery)
	token := q["token"]
	if token == "" {
		writeMessage(w, http.StatusUnauthorized, accesstoken.CodeInvalid, "Invalid Access Token: the token query parameter is missing")
		return
	}
	acct, claims, err := srv.backend.Verify(token)
	if err != nil {
		writeError(w, err)
		return
	}
	wsSID, wkSID, err := resolveWorker(acct, claims)
	if err != nil {
		writeError(w, err)
		return
	}
	if !websocket.IsWebSocketUpgrade(r) {
		writeMessage(w, http.StatusBadRequest, twilio.CodeInvalidParameter,
			"GET "+Path+" must be a websocket upgrade; the SDK's HTTP actions are POSTed envelopes")
		return
	}
	h := srv.hub(acct)
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade answered the client
	}
	s := &session{hub: h, conn: conn, workspaceSID: wsSID, workerSID: wkSID, identity: claims.Grants.Identity,
		expires: claims.Expires, offline: q["setWorkerOfflineIfDisconnected"] != "false",
		out: make(chan []byte, srv.opts.QueueSize), done: make(chan struct{}), queued: 1, wake: make(chan struct{}),
		reservations: map[string]bool{}, activities: map[string]bool{}, channels: map[string]bool{}}
	s.out <- initFrame(wkSID, acct.SID(), wsSID, claims.Expires.Sub(acct.TokenNow()))
	var replaced []*session
	err = acct.Do(func(tr *taskrouter.Engine) error {
		var err error
		replaced, err = h.register(s, tr, q["closeExistingSessions"] == "true")
		return err
	})
	if err != nil {
		s.close(reasonGone)
		s.finish()
		return
	}
	for _, o := range replaced {
		o.close(reasonReplaced)
	}
	// The client version is cloned: as a slice of the request line it would
	// keep the whole URI, token included, alive with the timeline entries.
	refs := map[string]string{"workspace_sid": wsSID, "worker_sid": wkSID, "identity": s.identity,
		"client_version": strings.Clone(q["clientVersion"])}
	acct.Record("worker.sdk.connected", wkSID, "worker "+wkSID+" ("+s.identity+") connected its Worker SDK", refs)

	s.run(r.Context())

	remaining, gen := h.unregister(s)
	if s.reason == reasonReset || s.reason == reasonShutdown || srv.backend.ShuttingDown() {
		return
	}
	refs["reason"] = s.reason.String()
	acct.Record("worker.sdk.disconnected", wkSID, "worker "+wkSID+" ("+s.identity+")'s Worker SDK disconnected: "+s.reason.String(), refs)
	if s.offline && remaining == 0 && s.reason.disconnection() {
		h.scheduleOffline(s, gen)
	}
}

// initFrame is the first frame of every socket; token_lifetime (ms until
// the token expires) arms the SDK's tokenExpired timer. Beyond 2^31-1 ms a
// JavaScript timer fires at once, so it is capped there.
func initFrame(workerSID, accountSID, workspaceSID string, lifetime time.Duration) []byte {
	ms := lifetime.Milliseconds()
	if ms < 0 {
		ms = 0
	}
	if ms > math.MaxInt32 {
		ms = math.MaxInt32
	}
	return frame("init", map[string]any{"channel_id": workerSID, "account_sid": accountSID,
		"workspace_sid": workspaceSID, "token_lifetime": ms})
}

// frame is a push: a text frame {"event_type","payload"}.
func frame(eventType string, payload any) []byte {
	b, err := json.Marshal(struct {
		EventType string `json:"event_type"`
		Payload   any    `json:"payload"`
	}{eventType, payload})
	if err != nil { // payloads are plain structs: cannot happen
		panic(err)
	}
	return b
}

// push queues a frame without blocking; a full queue closes the socket
// (the SDK reconnects and reads the state afresh). Called under hub.mu.
func (s *session) push(f []byte) {
	select {
	case <-s.done:
		return
	default:
	}
	select {
	case s.out <- f:
		s.queued++
	default:
		s.close(reasonOverflow)
	}
}

// flushed waits until the writer has sent the first n frames, the session
// ended, or the deadline passed.
func (s *session) flushed(n uint64, deadline <-chan time.Time) {
	for {
		s.wmu.Lock()
		done, wake := s.written >= n, s.wake
		s.wmu.Unlock()
		if done {
			return
		}
		select {
		case <-wake:
		case <-s.done:
			return
		case <-deadline:
			return
		}
	}
}

// close ends the session for reason; the first reason wins. Never blocks.
func (s *session) close(reason closeReason) {
	s.closeOnce.Do(func() {
		s.reason = reason
		close(s.done)
	})
}

func (s *session) expired() bool { return !s.hub.acct.TokenNow().Before(s.expires) }

// run writes queued frames and heartbeats until the session ends: the
// client leaves, a write fails, the token expires, the emulator closes
// (ctx) or someone closes it.
func (s *session) run(ctx context.Context) {
	opts := s.hub.srv.opts
	go s.read()
	hb := time.NewTicker(opts.Heartbeat)
	defer hb.Stop()
	check := time.NewTicker(opts.ExpiryCheck)
	defer check.Stop()
	for {
		select {
		case <-ctx.Done():
			s.close(reasonShutdown)
		case <-s.done:
			s.finish()
			return
		case f := <-s.out:
			if s.expired() {
				s.close(reasonExpired)
				continue
			}
			s.write(f)
			s.wmu.Lock()
			s.written++
			close(s.wake)
			s.wake = make(chan struct{})
			s.wmu.Unlock()
		case <-hb.C:
			if s.expired() {
				s.close(reasonExpired)
				continue
			}
			s.write([]byte(" "))
		case <-check.C:
			if s.expired() {
				s.close(reasonExpired)
			}
		}
	}
}

func (s *session) write(f []byte) {
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.hub.srv.opts.WriteTimeout))
	if err := s.conn.WriteMessage(websocket.TextMessage, f); err != nil {
		s.close(reasonWrite)
	}
}

// read consumes what the client sends (nothing but control frames: gorilla
// answers pings and close frames) and notices when it leaves.
func (s *session) read() {
	s.conn.SetReadLimit(64 << 10)
	for {
		if _, _, err := s.conn.ReadMessage(); err != nil {
			s.close(reasonClient)
			return
		}
	}
}

// finish sends the close frame (best effort) and drops the connection.
func (s *session) finish() {
	if cf, ok := closeFrames[s.reason]; ok && s.reason != reasonClient {
		_ = s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(cf.code, cf.text),
			time.Now().Add(time.Second))
	}
	_ = s.conn.Close()
}

// rawQuery parses a query string without treating '+' as a space: the SDK
// appends its token unescaped (a JWT is [A-Za-z0-9-_.] only).
func rawQuery(raw string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k == "" {
			continue
		}
		if u, err := url.PathUnescape(v); err == nil {
			v = u
		}
		if _, dup := out[k]; !dup {
			out[k] = v
		}
	}
	return out
}

// resolveWorker is the worker a verified token stands for.
func resolveWorker(acct Account, claims *accesstoken.Claims) (workspaceSID, workerSID string, err error) {
	var grant accesstoken.TaskRouterGrant
	if claims.Grants.TaskRouter != nil {
		grant = *claims.Grants.TaskRouter
	}
	return acct.WorkerFor(claims.Grants.Identity, grant)
}
