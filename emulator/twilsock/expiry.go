package twilsock

import (
	"time"

	"github.com/gorilla/websocket"
)

// watch ends the session when its request context ends (emulator
// shutdown) or when no init succeeded within InitTimeout, and checks the
// token's expiry every ExpiryCheck of wall time: the token clock is the
// emulator's virtual clock, which may jump by hours between two checks.
func (s *session) watch() {
	defer close(s.watchDone)
	tick := time.NewTicker(s.opts.ExpiryCheck)
	defer tick.Stop()
	initDeadline := time.NewTimer(s.opts.InitTimeout)
	defer initDeadline.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-s.ctx.Done():
			s.shutdown(websocket.CloseGoingAway, "server closing")
			return
		case <-initDeadline.C:
			s.mu.Lock()
			authed := s.authed
			s.mu.Unlock()
			if !authed {
				s.opts.Logger.Info("twilsock: no successful init in time; closing", "timeout", s.opts.InitTimeout)
				s.shutdown(websocket.ClosePolicyViolation, "no successful init")
				return
			}
		case <-tick.C:
			s.checkExpiry()
		}
	}
}

// checkExpiry compares the session's token with the token clock: with
// less than AboutToExpire left it sends client_update
// "token_about_to_expire" once per token (the SDK then updates its token);
// once expired it sends close 410 TOKEN_EXPIRED and closes the socket.
func (s *session) checkExpiry() {
	s.mu.Lock()
	if !s.authed || s.expired || s.principal.Expires.IsZero() {
		s.mu.Unlock()
		return
	}
	left := s.principal.Expires.Sub(s.srv.tokenNow(s.principal))
	var header map[string]any
	final := false
	switch {
	case left <= 0:
		s.expired = true
		final = true
		header = map[string]any{"method": "close", "id": "TM" + randomHex(),
			"status": map[string]any{"code": 410, "status": "TOKEN_EXPIRED", "description": "Access Token expired"}}
	case left < s.opts.AboutToExpire && !s.warned:
		s.warned = true
		header = map[string]any{"method": "client_update", "id": "TM" + randomHex(),
			"client_update_type": "token_about_to_expire"}
	}
	identity := s.principal.Identity
	s.mu.Unlock()
	if header == nil {
		return
	}
	if final {
		s.opts.Logger.Info("twilsock: token expired; closing the session", "identity", identity)
	}
	s.sendFrame(header, nil, final)
}

// tokenNow is the token clock for p's account.
func (s *Server) tokenNow(p Principal) time.Time {
	if ac, ok := s.auth.(AccountClock); ok {
		return ac.TokenNowFor(p)
	}
	return s.auth.TokenNow()
}
