// Package twiliotest serves one product engine's routes the way the
// emulator does, for the product packages' own HTTP and twilio-go tests.
package twiliotest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Mount registers routes for engine on mux behind a mutex, as the account's
// lock serialises real requests.
func Mount[E any](mux *http.ServeMux, product twilio.Product, engine E, routes []twilio.Route[E]) {
	var mu sync.Mutex
	twilio.Mount(mux, product, func(_ *twilio.Request, fn func(E) error) error {
		mu.Lock()
		defer mu.Unlock()
		return fn(engine)
	}, routes)
}

// Cleanup is the part of testing.TB that Serve needs.
type Cleanup interface{ Cleanup(func()) }

// Serve mounts routes for engine on a fresh test server, closed at cleanup.
func Serve[E any](t Cleanup, product twilio.Product, engine E, routes []twilio.Route[E]) *httptest.Server {
	mux := http.NewServeMux()
	Mount(mux, product, engine, routes)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// Transport sends every request to srv, keeping the original Host header, so
// a twilio-go client aimed at https://<product>.twilio.com reaches the test
// server and gets Twilio's own resource URLs back.
func Transport(srv *httptest.Server) http.RoundTripper {
	target, _ := url.Parse(srv.URL)
	return rewrite{target}
}

type rewrite struct{ target *url.URL }

func (rw rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	out := r.Clone(r.Context())
	out.Host = r.URL.Host
	out.URL.Scheme, out.URL.Host = rw.target.Scheme, rw.target.Host
	return http.DefaultTransport.RoundTrip(out)
}
