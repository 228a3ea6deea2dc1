package twilio

import (
	"net/http"
	"net/url"
	"strings"
)

// Transport returns an http.RoundTripper that sends requests for Twilio's
// API hosts (https://taskrouter.twilio.com, conversations, flex-api, studio,
// including edge/region forms) to the emulator at emulatorURL, keeping
// Twilio's host in the Host header so responses carry Twilio's own resource
// URLs, which the client then follows back through this transport. Other
// hosts pass through to base (http.DefaultTransport when nil).
//
// twilio-go has no base-URL option; this is the one line that points it here:
//
//	c := &client.Client{Credentials: client.NewCredentials(sid, token),
//		HTTPClient: &http.Client{Transport: twilio.Transport("http://127.0.0.1:7070", nil)}}
//	c.SetAccountSid(sid)
//	rest := twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})
//
// or use package twilioclient, which does exactly that.
func Transport(emulatorURL string, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	target, err := url.Parse(strings.TrimRight(emulatorURL, "/"))
	if err != nil {
		target = &url.URL{Scheme: "http", Host: "127.0.0.1:7070"}
	}
	return &rewriter{target: target, base: base}
}

type rewriter struct {
	target *url.URL
	base   http.RoundTripper
}

func (t *rewriter) RoundTrip(r *http.Request) (*http.Response, error) {
	host, ok := TwilioHost(r.URL.Hostname())
	if !ok {
		return t.base.RoundTrip(r)
	}
	out := r.Clone(r.Context())
	out.URL.Scheme = t.target.Scheme
	out.URL.Host = t.target.Host
	out.URL.Path = t.target.Path + r.URL.Path
	if r.URL.RawPath != "" {
		out.URL.RawPath = t.target.Path + r.URL.RawPath
	}
	out.Host = host
	return t.base.RoundTrip(out)
}

// TwilioHost maps "taskrouter.twilio.com", "taskrouter.dublin.ie1.twilio.com"
// and the like to the canonical "<product>.twilio.com" if flexemu serves it.
func TwilioHost(h string) (string, bool) {
	if !strings.HasSuffix(h, ".twilio.com") {
		return "", false
	}
	host := strings.SplitN(h, ".", 2)[0] + ".twilio.com"
	for _, served := range ServedHosts {
		if served == host {
			return host, true
		}
	}
	return "", false
}

// ServedHosts are the Twilio API hosts flexemu serves (the emulator checks
// this list against its products, so the two cannot drift).
var ServedHosts = []string{"conversations.twilio.com", "flex-api.twilio.com", "taskrouter.twilio.com",
	"studio.twilio.com", "content.twilio.com"}
