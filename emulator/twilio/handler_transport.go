package twilio

import (
	"net/http"
	"net/http/httptest"
)

// HandlerTransport is an http.RoundTripper served by h in-process, without
// a listener or a socket: the fastest way for Go tests to reach an
// emulator. Requests for Twilio's API hosts keep Twilio's host (as
// Transport does); any other host is served as the loopback address. The
// whole response is buffered before it is returned, so websockets (the
// timeline stream, the agent SDKs) need a real listener.
func HandlerTransport(h http.Handler) http.RoundTripper { return handlerTransport{h} }

type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	in := r.Clone(r.Context())
	in.RequestURI = r.URL.RequestURI()
	in.RemoteAddr = "127.0.0.1:0"
	in.Host = "127.0.0.1"
	if host, ok := TwilioHost(r.URL.Hostname()); ok {
		in.Host = host
	}
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, in)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}
