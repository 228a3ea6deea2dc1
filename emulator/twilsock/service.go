// Package twilsock serves Twilio's twilsock protocol (TWILSOCK V3.0 frames
// over a websocket), the one connection @twilio/conversations opens: init
// and token update, tunnelled HTTP requests ("message" frames) and
// server-pushed notifications. It knows nothing of Conversations or Sync:
// a Service answers the tunnelled requests and pushes notifications through
// the Session it is given (see emulator/convsync).
package twilsock

import (
	"context"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Principal is who a verified Access Token names.
type Principal struct {
	AccountSID string
	Identity   string
	ServiceSID string    // the chat grant's service_sid (may be empty: the account's default service)
	Expires    time.Time // on the token clock (see Authenticator.TokenNow)
}

// Authenticator verifies Access Tokens, as Twilio would (signature, account,
// expiry), at init and on every token update.
type Authenticator interface {
	// Authenticate returns the token's principal, or Twilio's 401 error with
	// its code (20101-20107; 20104 for an expired token).
	Authenticate(token string) (Principal, *twilio.Error)
	// TokenNow is the time tokens are checked against: it moves with the
	// emulator's virtual clock, so advancing the clock expires tokens.
	TokenNow() time.Time
}

// Request is one tunnelled HTTP request (a client "message" frame).
type Request struct {
	Host    string            // e.g. "aim.us1.twilio.com", "cds.us1.twilio.com": reported, never resolved
	Method  string            // "GET", "POST", "DELETE"
	Path    string            // "/Client/v2/Configuration", "/v3/Maps/…"
	Params  map[string]string // the query, split on & and =, not URL-decoded (as the SDK sends it)
	Headers map[string]string
	// PayloadType is the frame's payload_type ("application/json; charset=utf-8").
	PayloadType string
	Body        []byte
}

// Response is the tunnelled HTTP answer: http_status and a JSON body.
type Response struct {
	Status int    // HTTP status (http_status.code)
	Body   []byte // JSON; nil means no payload
}

// Service answers the tunnelled requests of authenticated sessions.
type Service interface {
	// Open is called once per session, after its init succeeded and before
	// its first request; the Conn serves that session until Close.
	Open(s Session) Conn
}

// Conn is a Service's state for one session.
type Conn interface {
	// Serve answers one tunnelled request. Requests of one session may be
	// served concurrently; ctx ends when the session closes.
	Serve(ctx context.Context, r Request) Response
	// TokenUpdated reports a successful token update (method "update").
	TokenUpdated(p Principal)
	// Close reports that the session ended; no Notify after it is delivered.
	Close()
}

// Session is one connected, authenticated client, as a Service sees it.
type Session interface {
	Principal() Principal
	// Notify queues a "notification" frame (message_type, e.g.
	// "twilio.sync.event" or "twilio.ipmsg.typing_indicator", and a JSON
	// payload). It never blocks: a client too slow to keep up with its bounded
	// queue is disconnected (and will reconnect and re-subscribe).
	Notify(messageType string, payload []byte)
}

// AccountClock is optionally implemented by an Authenticator whose accounts
// keep their own token clocks: a session then checks its token's expiry
// against TokenNowFor(its principal) instead of TokenNow.
type AccountClock interface {
	TokenNowFor(p Principal) time.Time
}
