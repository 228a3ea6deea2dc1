package emulator

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// The control API has no credentials: it is the developer's own. These
// checks keep it so. A web page the developer visits may not drive it (a
// cross-site form POST, a cross-origin websocket), and a DNS-rebound name
// may not reach the emulator at all (it would read the auth token from
// /emulator/v1/info).

// hostAllowed reports whether a request's Host header names this emulator:
// a loopback name or address, the configured listen host, or one of
// Twilio's product hosts (twilio-go through the emulator's transport). An
// emulator listening beyond loopback (which it warns about) answers any Host.
func (e *Emulator) hostAllowed(hostport string) bool {
	if e.openHosts {
		return true
	}
	host := strings.ToLower(strings.TrimSuffix(twilio.HostOnly(hostport), "."))
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	switch {
	case host == "" || isLoopbackName(host) || host == e.listenHost:
		return true
	case strings.HasSuffix(host, ".twilio.com"):
		_, ok := e.productHosts[host]
		return ok
	}
	return false
}

func isLoopbackName(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ListensBeyondLoopback reports whether addr (host:port) accepts connections
// from other machines: an unspecified address (0.0.0.0, ::, empty host) or
// any non-loopback one.
func ListensBeyondLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	host = strings.ToLower(host)
	if isLoopbackName(host) {
		return false
	}
	return true
}

// sameOrigin refuses a control API request a browser sent on behalf of
// another site: its Origin is not the emulator's own, or Fetch Metadata says
// it is cross-site or same-site (another port of localhost is another
// origin). Requests without these headers (curl, SDKs, send) pass.
func sameOrigin(r *http.Request) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return forbiddenOrigin(r, "Sec-Fetch-Site: "+site)
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.EqualFold(u.Host, r.Host) {
		return forbiddenOrigin(r, "Origin: "+origin)
	}
	return nil
}

func forbiddenOrigin(r *http.Request, what string) error {
	return twilio.NewError(http.StatusForbidden, twilio.CodeForbidden,
		"the control API answers only its own origin (http://%s); this request came from another site (%s)", r.Host, what)
}
