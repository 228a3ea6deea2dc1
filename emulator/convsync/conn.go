package convsync

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/emulator/twilsock"
)

// conn is one session: who it is and what it is subscribed to. subs and
// closed are guarded by Service.mu; identity and grantService never change.
type conn struct {
	svc        *Service
	sess       twilsock.Session
	accountSID string
	identity   string
	// grantService is the chat grant's service SID ("" for the account's
	// default); see service.
	grantService string

	subs   map[string]struct{} // subscribed object SIDs
	closed bool

	hostMu  sync.Mutex
	aimHost string // the AIM host the SDK reported, for the Configuration links
}

// service is the SID of the session's service: the grant's, else (or when
// the grant's is unknown, e.g. after a reset re-created the services) the
// account's default. Called under the account lock.
func (c *conn) service(eng *conversations.Engine) string {
	if c.grantService != "" {
		if _, err := eng.Service(c.grantService); err == nil {
			return c.grantService
		}
	}
	return eng.DefaultServiceSID()
}

// objService is the service as Sync object names carry it: "" for the
// account's default service, so the names and SIDs of a user's objects
// survive a reset (which re-creates the default service with a new SID).
func objService(eng *conversations.Engine, sid string) string {
	if sid == "" || sid == eng.DefaultServiceSID() {
		return ""
	}
	return sid
}

// Serve answers one tunnelled request, routing on its path only.
func (c *conn) Serve(ctx context.Context, r twilsock.Request) twilsock.Response {
	segs := splitPath(r.Path)
	switch {
	case len(segs) >= 2 && segs[0] == "v3" && (segs[1] == "Maps" || segs[1] == "Lists" || segs[1] == "Documents"):
		return c.serveSync(r, segs)
	case len(segs) == 2 && segs[0] == "v4" && segs[1] == "Subscriptions":
		return c.serveSubscriptions(r)
	case len(segs) >= 3 && segs[0] == "Client" && segs[1] == "v2":
		return c.serveAIM(ctx, r, segs[2:])
	}
	return aimError(twilio.NotFound(r.Path))
}

// TokenUpdated keeps the session as it is: its identity and service cannot
// change with a token update (the twilsock layer checks the account).
func (c *conn) TokenUpdated(twilsock.Principal) {}

// Close ends the session's subscriptions; nothing is notified after it.
func (c *conn) Close() {
	s := c.svc
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	a := s.accounts[c.accountSID]
	if a == nil { // the account was removed (Detach)
		return
	}
	for sid := range c.subs {
		c.unsubscribe(a, sid)
	}
	delete(a.conns, c)
}

// splitPath splits a path into its URL-decoded segments.
func splitPath(p string) []string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	raw := strings.Split(strings.Trim(p, "/"), "/")
	out := make([]string, 0, len(raw))
	for _, s := range raw {
		if d, err := url.PathUnescape(s); err == nil {
			s = d
		}
		out = append(out, s)
	}
	return out
}

// jsonResponse answers status with v as JSON.
func jsonResponse(status int, v any) twilsock.Response {
	return twilsock.Response{Status: status, Body: mustJSON(v)}
}

// aimError answers a Twilio REST error as Twilio's JSON.
func aimError(err error) twilsock.Response {
	te := twilio.AsError(err)
	return jsonResponse(te.Status, te)
}

// body is a request body: a JSON object (AIM mutations) or a form (typing).
type body map[string]json.RawMessage

func parseBody(r twilsock.Request) body {
	b := body{}
	t := strings.TrimSpace(string(r.Body))
	if strings.HasPrefix(t, "{") {
		_ = json.Unmarshal([]byte(t), &b)
		return b
	}
	if q, err := url.ParseQuery(t); err == nil {
		for k, v := range q {
			if len(v) > 0 {
				b[k] = mustJSON(v[len(v)-1])
			}
		}
	}
	return b
}

// has reports whether the body sets key (even to null).
func (b body) has(key string) bool { _, ok := b[key]; return ok }

// isNull reports whether key is set to null.
func (b body) isNull(key string) bool { return strings.TrimSpace(string(b[key])) == "null" }

// str returns a string value; other JSON values (objects for attributes)
// come back as their JSON text. nil when absent or null.
func (b body) str(key string) *string {
	raw, ok := b[key]
	if !ok || b.isNull(key) {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return &s
	}
	t := strings.TrimSpace(string(raw))
	return &t
}

// int returns an integer value (also from a numeric string); nil when absent, null or not a number.
func (b body) int(key string) *int {
	raw, ok := b[key]
	if !ok {
		return nil
	}
	var n int
	if json.Unmarshal(raw, &n) == nil {
		return &n
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil && f == float64(int(f)) {
		n = int(f)
		return &n
	}
	if s := b.str(key); s != nil {
		var m int
		if json.Unmarshal([]byte(*s), &m) == nil {
			return &m
		}
	}
	return nil
}

// strings returns a list value (media_sids).
func (b body) strings(key string) []string {
	var out []string
	_ = json.Unmarshal(b[key], &out)
	return out
}

// methodNotAllowed is Twilio's 405.
func methodNotAllowed(r twilsock.Request) twilsock.Response {
	return aimError(twilio.NewError(http.StatusMethodNotAllowed, twilio.CodeMethodNotAllowed, "Method %s not allowed on %s", r.Method, r.Path))
}
