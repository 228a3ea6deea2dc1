package twilsock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// session is one websocket: a reader goroutine (ServeHTTP's) decoding client
// frames, a single writer goroutine draining the bounded outbound queue and
// pinging, a watcher for token expiry, and up to MaxInFlight goroutines
// serving tunnelled requests.
type session struct {
	srv  *Server
	opts *Options
	ws   *websocket.Conn
	ctx  context.Context // ends when the session does; the Serve calls' context
	end  context.CancelFunc

	out        chan outFrame
	done       chan struct{} // closed by shutdown
	readerDone chan struct{}
	writerDone chan struct{}
	watchDone  chan struct{}
	closeOnce  sync.Once
	closeCode  int
	closeText  string

	inflight chan struct{} // semaphore of tunnelled requests
	serving  sync.WaitGroup

	mu        sync.Mutex
	authed    bool
	principal Principal
	warned    bool // client_update sent for the current token
	expired   bool // close 410 queued
	conn      Conn
}

// outFrame is an encoded frame waiting for the writer; after a final frame
// the writer closes the socket.
type outFrame struct {
	data  []byte
	final bool
}

func newSession(ctx context.Context, end context.CancelFunc, srv *Server, ws *websocket.Conn) *session {
	return &session{
		srv: srv, opts: &srv.opts, ws: ws, ctx: ctx, end: end,
		out:        make(chan outFrame, srv.opts.QueueSize),
		done:       make(chan struct{}),
		readerDone: make(chan struct{}),
		writerDone: make(chan struct{}),
		watchDone:  make(chan struct{}),
		inflight:   make(chan struct{}, srv.opts.MaxInFlight),
	}
}

// run serves the session until it ends, then reports Close to the
// Service's Conn once every tunnelled request has returned.
func (s *session) run() {
	go s.write()
	go s.watch()
	s.read()
	close(s.readerDone)
	s.shutdown(websocket.CloseNormalClosure, "")
	<-s.writerDone
	<-s.watchDone
	s.serving.Wait()
	s.mu.Lock()
	conn := s.conn
	s.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
}

// shutdown ends the session (once): the writer sends a websocket close with
// code and text, the request contexts end, queued frames are dropped.
func (s *session) shutdown(code int, text string) {
	s.closeOnce.Do(func() {
		if len(text) > 120 { // a close frame's reason is at most 123 bytes of UTF-8
			text = strings.ToValidUTF8(text[:120], "")
		}
		s.closeCode, s.closeText = code, text
		close(s.done)
		s.end()
	})
}

func (s *session) closing() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// send queues an encoded frame without blocking; a full queue disconnects
// the session (the SDK reconnects and re-subscribes).
func (s *session) send(f outFrame) bool {
	if s.closing() {
		return false
	}
	select {
	case s.out <- f:
		return true
	default:
		s.srv.opts.Logger.Warn("twilsock: client too slow, outbound queue full; disconnecting",
			"identity", s.Principal().Identity, "queue", cap(s.out))
		s.shutdown(websocket.CloseTryAgainLater, "outbound queue full")
		return false
	}
}

// sendFrame encodes and queues a frame.
func (s *session) sendFrame(header map[string]any, payload []byte, final bool) bool {
	if s.closing() {
		return false
	}
	b, err := EncodeFrame(header, payload)
	if err != nil {
		s.opts.Logger.Error("twilsock: encoding a frame", "err", err)
		return false
	}
	return s.send(outFrame{data: b, final: final})
}

// write is the only writer of data frames: it drains the queue, pings every
// PingInterval, and on shutdown sends the websocket close and closes the
// connection (after the peer's close, or defaultCloseGrace).
func (s *session) write() {
	defer close(s.writerDone)
	ping := time.NewTicker(s.opts.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-s.done:
			s.finish()
			return
		case f := <-s.out:
			_ = s.ws.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout))
			if err := s.ws.WriteMessage(websocket.BinaryMessage, f.data); err != nil {
				s.shutdown(websocket.CloseAbnormalClosure, "")
				continue
			}
			if f.final {
				s.shutdown(websocket.CloseNormalClosure, "")
			}
		case <-ping.C:
			if err := s.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(s.opts.WriteTimeout)); err != nil {
				s.shutdown(websocket.CloseAbnormalClosure, "")
			}
		}
	}
}

func (s *session) finish() {
	if s.closeCode != websocket.CloseAbnormalClosure {
		msg := websocket.FormatCloseMessage(s.closeCode, s.closeText)
		if err := s.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(s.opts.WriteTimeout)); err == nil {
			t := time.NewTimer(defaultCloseGrace)
			select {
			case <-s.readerDone:
			case <-t.C:
			}
			t.Stop()
		}
	}
	_ = s.ws.Close()
}

// read decodes client frames until the socket fails or the session ends.
func (s *session) read() {
	idle := s.opts.PingInterval * 5 / 2 // two unanswered pings and a margin
	s.ws.SetReadLimit(int64(len(Magic) + maxLengthDigits + 4 + s.opts.MaxHeader + s.opts.MaxPayload))
	s.ws.SetPongHandler(func(string) error {
		return s.ws.SetReadDeadline(time.Now().Add(idle))
	})
	for !s.closing() {
		_ = s.ws.SetReadDeadline(time.Now().Add(idle))
		_, data, err := s.ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) && !s.closing() {
				s.opts.Logger.Debug("twilsock: socket ended", "err", err)
			}
			return
		}
		f, err := DecodeFrame(data, s.opts.MaxHeader, s.opts.MaxPayload)
		if err != nil {
			s.opts.Logger.Warn("twilsock: closing a session after a malformed frame", "err", err)
			s.shutdown(websocket.CloseProtocolError, err.Error())
			return
		}
		if f.Header.Method != "update" {
			// A token update may arrive just as the old token ran out: it
			// is handled first; the next check sees the new token.
			s.checkExpiry()
		}
		s.handle(f)
	}
}

// handle dispatches one client frame.
func (s *session) handle(f *Frame) {
	h := &f.Header
	switch h.Method {
	case "reply":
		return // the client's ack of a notification or client_update
	case "close":
		s.shutdown(websocket.CloseNormalClosure, "")
		return
	case "init":
		s.init(h)
		return
	}
	s.mu.Lock()
	authed, expired := s.authed, s.expired
	s.mu.Unlock()
	if expired {
		return // close 410 is on its way
	}
	if !authed {
		s.reply(h.ID, map[string]any{"code": 401, "status": "UNAUTHORIZED", "description": "init first"})
		return
	}
	switch h.Method {
	case "message":
		s.message(f)
	case "update":
		s.update(h)
	case "telemetry.v1", "put_notification_ctx", "delete_notification_ctx":
		s.reply(h.ID, statusOK())
	default:
		s.reply(h.ID, map[string]any{"code": 400, "status": "BAD_REQUEST", "description": "unknown method " + h.Method})
	}
}

func statusOK() map[string]any { return map[string]any{"code": 200, "status": "OK"} }

// reply queues a bare reply frame with a status.
func (s *session) reply(id string, status map[string]any) {
	s.sendFrame(map[string]any{"method": "reply", "id": id, "status": status}, nil, false)
}

// refusal is the reply status for a refused token: 401 (or 403) with
// Twilio's error code, which the SDK maps to denied (and tokenExpired for
// 20104).
func refusal(status, code int, message string) map[string]any {
	st := map[string]any{"code": 401, "status": "UNAUTHORIZED", "description": message}
	if status == 403 {
		st["code"], st["status"] = 403, "FORBIDDEN"
	}
	if code != 0 {
		st["errorCode"] = code
	}
	return st
}

func (s *session) init(h *Header) {
	s.mu.Lock()
	already := s.authed
	s.mu.Unlock()
	if already {
		s.reply(h.ID, map[string]any{"code": 400, "status": "BAD_REQUEST", "description": "already initialized"})
		return
	}
	p, terr := s.srv.auth.Authenticate(h.Token)
	if terr != nil {
		s.opts.Logger.Info("twilsock: init refused", "code", terr.Code, "message", terr.Message)
		s.reply(h.ID, refusal(terr.Status, terr.Code, terr.Message))
		return
	}
	regs := make([]map[string]json.RawMessage, 0, len(h.Registrations))
	for _, r := range h.Registrations {
		echo := make(map[string]json.RawMessage, len(r)+1)
		for k, v := range r {
			echo[k] = v
		}
		ctxID, _ := json.Marshal("NC" + randomHex())
		echo["notification_ctx_id"] = ctxID
		regs = append(regs, echo)
	}
	s.mu.Lock()
	s.authed, s.principal, s.warned = true, p, false
	s.mu.Unlock()
	s.sendFrame(map[string]any{
		"method": "reply", "id": h.ID, "status": statusOK(),
		// offline_storage is not confirmed: it would turn on Sync's browser
		// cache of descriptors. telemetry.v1 frames are accepted and ignored.
		"capabilities":              confirmed(h.Capabilities),
		"continuation_token":        "CT" + randomHex(),
		"continuation_token_status": map[string]any{"reissued": true},
		"init_registrations":        regs,
	}, nil, false)
	conn := s.srv.svc.Open(s)
	s.mu.Lock()
	s.conn = conn
	s.mu.Unlock()
	s.checkExpiry()
}

// confirmed is the capabilities the server confirms: client_update always
// (the server sends it), telemetry.v1 when the client offers it.
func confirmed(offered []string) []string {
	caps := []string{"client_update"}
	for _, c := range offered {
		if c == "telemetry.v1" {
			caps = append(caps, c)
		}
	}
	return caps
}

func (s *session) update(h *Header) {
	p, terr := s.srv.auth.Authenticate(h.Token)
	if terr != nil {
		s.opts.Logger.Info("twilsock: token update refused", "code", terr.Code, "message", terr.Message)
		s.reply(h.ID, refusal(terr.Status, terr.Code, terr.Message))
		return
	}
	s.mu.Lock()
	old := s.principal
	if p.AccountSID != old.AccountSID || p.Identity != old.Identity {
		s.mu.Unlock()
		s.reply(h.ID, refusal(403, 0, "the new token names another account or identity"))
		return
	}
	s.principal, s.warned = p, false
	conn := s.conn
	s.mu.Unlock()
	if conn != nil {
		conn.TokenUpdated(p)
	}
	s.reply(h.ID, statusOK())
}

// message serves one tunnelled request in its own goroutine, at most
// MaxInFlight at once per session (the reader waits for a slot).
func (s *session) message(f *Frame) {
	h := &f.Header
	if h.HTTPRequest == nil {
		s.reply(h.ID, map[string]any{"code": 400, "status": "BAD_REQUEST", "description": "message without http_request"})
		return
	}
	hr := h.HTTPRequest
	req := Request{Host: hr.Host, Method: hr.Method, Path: hr.Path,
		Params: flatten(hr.Params), Headers: flatten(hr.Headers), PayloadType: h.PayloadType, Body: f.Payload}
	if req.Method == "" {
		req.Method = "GET"
	}
	select {
	case s.inflight <- struct{}{}:
	case <-s.done:
		return
	}
	s.mu.Lock()
	conn := s.conn
	s.mu.Unlock()
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		defer func() { <-s.inflight }()
		resp := s.serve(conn, req)
		if s.closing() {
			return
		}
		code := resp.Status
		if code == 0 {
			code = 200
		}
		s.sendFrame(map[string]any{
			"method": "reply", "id": h.ID, "payload_type": "application/json",
			"status":       statusOK(),
			"http_status":  map[string]any{"code": code, "status": httpStatusText(code)},
			"http_headers": map[string]string{"Content-Type": "application/json"},
		}, resp.Body, false)
	}()
}

// serve calls the Conn, turning a panic into a 500 answer.
func (s *session) serve(conn Conn, req Request) (resp Response) {
	defer func() {
		if p := recover(); p != nil {
			s.opts.Logger.Error("twilsock: tunnelled request panicked", "method", req.Method, "path", req.Path, "panic", p)
			resp = Response{Status: 500, Body: []byte(`{"status":500,"code":20500,"message":"Internal Server Error"}`)}
		}
	}()
	return conn.Serve(s.ctx, req)
}

// Principal is the session's current token's principal.
func (s *session) Principal() Principal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.principal
}

// Notify queues a notification frame; see Session.
func (s *session) Notify(messageType string, payload []byte) {
	s.sendFrame(map[string]any{
		"method": "notification", "id": "TM" + randomHex(), "message_type": messageType,
		"payload_type": "application/json", "notification_ctx_id": "",
	}, payload, false)
}

// randomHex is 32 lowercase hex digits, the tail of a Twilio-style id.
func randomHex() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
