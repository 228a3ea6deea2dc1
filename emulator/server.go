package emulator

import (
	"net/http"
	"strings"

	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/flex"
	"github.com/flexemu/flexemu/emulator/studio"
	"github.com/flexemu/flexemu/emulator/taskrouter"
	"github.com/flexemu/flexemu/emulator/timeline"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// products lists every Twilio API flexemu serves, by path prefix and host.
var products = []twilio.Product{conversations.Product, flex.Product, taskrouter.Product, studio.Product}

// routes builds the whole HTTP surface: one mux per product (reachable under
// /<prefix>/ or, with Twilio's Host header, at the root) and the control API.
func (e *Emulator) routes() http.Handler {
	byHost := map[string]http.Handler{}
	byPrefix := map[string]http.Handler{}
	add := func(p twilio.Product, mux *http.ServeMux) {
		h := e.recordAPI(p.Prefix, twilioNotFound(mux))
		byHost[p.Host] = h
		byPrefix["/"+p.Prefix] = http.StripPrefix("/"+p.Prefix, h)
	}
	conv := http.NewServeMux()
	twilio.Mount(conv, conversations.Product, bind(e, func(en *Engines) *conversations.Engine { return en.Conversations }), conversations.Routes())
	add(conversations.Product, conv)
	fx := http.NewServeMux()
	twilio.Mount(fx, flex.Product, bind(e, func(en *Engines) *flex.Engine { return en.Flex }), flex.Routes())
	add(flex.Product, fx)
	tr := http.NewServeMux()
	twilio.Mount(tr, taskrouter.Product, bind(e, func(en *Engines) *taskrouter.Engine { return en.TaskRouter }), taskrouter.Routes())
	add(taskrouter.Product, tr)
	st := http.NewServeMux()
	twilio.Mount(st, studio.Product, bind(e, func(en *Engines) *studio.Engine { return en.Studio }), studio.Routes())
	add(studio.Product, st)

	control := e.controlRoutes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := byHost[twilio.HostOnly(r.Host)]; ok {
			h.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/emulator/") {
			control.ServeHTTP(w, r)
			return
		}
		if i := strings.IndexByte(r.URL.Path[1:], '/'); i > 0 {
			if h, ok := byPrefix[r.URL.Path[:i+1]]; ok {
				h.ServeHTTP(w, r)
				return
			}
		}
		twilio.WriteError(w, twilio.NotFound(r.URL.Path))
	})
}

// bind authenticates a request with HTTP Basic auth (account SID and auth
// token, as Twilio's API does) and locks that account for the handler.
func bind[E any](e *Emulator, pick func(*Engines) E) twilio.Binder[E] {
	return func(r *http.Request) (E, func(), error) {
		var zero E
		acct, err := e.authenticate(r)
		if err != nil {
			return zero, nil, err
		}
		acct.mu.Lock()
		return pick(&acct.Engines), acct.mu.Unlock, nil
	}
}

func (e *Emulator) authenticate(r *http.Request) (*Account, error) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return nil, twilio.Unauthorized()
	}
	acct, found := e.accounts[user]
	if !found || pass != acct.AuthToken {
		return nil, twilio.Unauthorized()
	}
	return acct, nil
}

// twilioNotFound answers unknown paths and methods with Twilio's error JSON
// instead of ServeMux's plain-text pages.
func twilioNotFound(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			twilio.WriteError(w, twilio.NotFound(r.URL.Path))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// recordAPI appends every product API call to the caller's account timeline.
func (e *Emulator) recordAPI(product string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		user, _, _ := r.BasicAuth()
		acct, ok := e.accounts[user]
		if !ok {
			return
		}
		call := r.Method + " " + r.URL.Path
		acct.timeline.Append(timeline.Entry{Kind: timeline.KindAPI, Product: product, Type: call,
			Summary: call + " → " + http.StatusText(sw.status), Refs: map[string]string{"status": itoa(sw.status)}})
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
