package emulator

import (
	"bufio"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/flexemu/flexemu/emulator/cause"
	"github.com/flexemu/flexemu/emulator/console"
	"github.com/flexemu/flexemu/emulator/content"
	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/flex"
	"github.com/flexemu/flexemu/emulator/studio"
	"github.com/flexemu/flexemu/emulator/taskrouter"
	"github.com/flexemu/flexemu/emulator/timeline"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// productMount is one Twilio API the server serves: its host and prefix,
// and how its route table is mounted on an account's engine.
type productMount struct {
	twilio.Product
	mount func(mux *http.ServeMux)
}

// mountProduct binds product p's routes to the engine pick chooses from the
// request's account.
func mountProduct[E any](p twilio.Product, pick func(*Engines) E, routes []twilio.Route[E]) productMount {
	return productMount{Product: p, mount: func(mux *http.ServeMux) { twilio.Mount(mux, p, bind(pick), routes) }}
}

// productMounts lists every Twilio API flexemu serves.
var productMounts = []productMount{
	mountProduct(conversations.Product, func(en *Engines) *conversations.Engine { return en.Conversations }, conversations.Routes()),
	mountProduct(flex.Product, func(en *Engines) *flex.Engine { return en.Flex }, flex.Routes()),
	mountProduct(taskrouter.Product, func(en *Engines) *taskrouter.Engine { return en.TaskRouter }, taskrouter.Routes()),
	mountProduct(studio.Product, func(en *Engines) *studio.Engine { return en.Studio }, studio.Routes()),
	mountProduct(content.Product, func(en *Engines) *content.Engine { return en.Content }, content.Routes()),
}

// products lists every Twilio API flexemu serves, by path prefix and host.
var products = func() []twilio.Product {
	out := make([]twilio.Product, len(productMounts))
	for i, m := range productMounts {
		out[i] = m.Product
	}
	return out
}()

// routes builds the whole HTTP surface: one mux per product (reachable under
// /<prefix>/ or, with Twilio's Host header, at the root) and the control API.
func (e *Emulator) routes() http.Handler {
	byHost := map[string]http.Handler{}
	byPrefix := map[string]http.Handler{}
	for _, p := range productMounts {
		mux := http.NewServeMux()
		p.mount(mux)
		h := twilioNotFound(mux)
		byHost[p.Host] = e.serveAPI(p.Prefix, h)
		byPrefix["/"+p.Prefix] = e.serveAPIUnder("/"+p.Prefix, p.Prefix, h)
	}

	control := e.controlRoutes()
	agents := e.agentRoutes()
	return e.recoverPanics(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !e.hostAllowed(r.Host) {
			twilio.WriteError(w, twilio.NewError(http.StatusForbidden, twilio.CodeForbidden,
				"Host %q is not this emulator's: flexemu answers loopback names, its listen address and Twilio's product hosts", r.Host))
			return
		}
		if h, ok := byHost[twilio.HostOnly(r.Host)]; ok {
			h.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/emulator/") {
			if err := sameOrigin(r); err != nil {
				twilio.WriteError(w, err)
				return
			}
			control.ServeHTTP(w, r)
			return
		}
		if console.Serves(r.URL.Path) { // the browser console: a static same-origin page; its reads and actions are control API calls, guarded above
			console.Handler().ServeHTTP(w, r)
			return
		}
		if h, ok := agents(r.URL.Path); ok {
			h.ServeHTTP(w, r)
			return
		}
		if i := strings.IndexByte(r.URL.Path[1:], '/'); i > 0 {
			if h, ok := byPrefix[r.URL.Path[:i+1]]; ok {
				h.ServeHTTP(w, r)
				return
			}
		}
		twilio.WriteError(w, twilio.NotFound(r.URL.Path))
	}))
}

// apiCall is what the server knows of an authenticated product API request:
// its account and its cause, carried in the request's context.
type apiCall struct {
	acct  *Account
	cause cause.ID
}

type apiCallKey struct{}

// apiContext is a request's context with its apiCall: one allocation for
// what context.WithValue and a separate apiCall would take two.
type apiContext struct {
	context.Context
	call apiCall
}

func (c *apiContext) Value(key any) any {
	if key == (apiCallKey{}) {
		return &c.call
	}
	return c.Context.Value(key)
}

// bind runs a product handler on the request's account, under its lock. A
// call about a conversation whose webhook is out right now, typically made
// by the user's webhook handler, joins that webhook's cause, so an inbound
// message's trace includes what the user's backend did about it.
func bind[E any](pick func(*Engines) E) twilio.Binder[E] {
	return func(r *twilio.Request, fn func(E) error) error {
		call, ok := r.HTTP.Context().Value(apiCallKey{}).(*apiCall)
		if !ok {
			return twilio.Unauthorized()
		}
		if c, ok := call.acct.adoptingCause(r); ok {
			call.cause = c
		}
		return call.acct.locked(call.cause, func(en *Engines) error { return fn(pick(en)) })
	}
}

func (e *Emulator) authenticate(r *http.Request) (*Account, error) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return nil, twilio.Unauthorized()
	}
	acct, found := e.lookupAccount(user)
	if !found || subtle.ConstantTimeCompare([]byte(pass), []byte(acct.AuthToken)) != 1 {
		return nil, twilio.Unauthorized()
	}
	return acct, nil
}

// twilioNotFound answers unknown paths and methods with Twilio's error JSON
// instead of ServeMux's plain-text pages. It registers a catch-all on mux,
// so a request is matched once: what no route takes lands on it. Only the
// paths ServeMux redirects to their cleaned form (and CONNECT) are matched
// beforehand, as then the catch-all would turn a 404 into a redirect.
func twilioNotFound(mux *http.ServeMux) http.Handler {
	notFound := func(w http.ResponseWriter, r *http.Request) {
		twilio.WriteError(w, twilio.NotFound(r.URL.Path))
	}
	mux.HandleFunc("/", notFound)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect || !isCleanPath(r.URL.EscapedPath()) {
			if _, pattern := mux.Handler(r); pattern == "" || pattern == "/" {
				notFound(w, r)
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// isCleanPath reports whether ServeMux serves p as it is rather than
// redirecting to its cleaned form (it keeps a trailing slash).
func isCleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	np := path.Clean(p)
	return np == p || (p[len(p)-1] == '/' && np+"/" == p)
}

// serveAPI authenticates a product API request before anything reads its
// body, so a refused request costs nothing and leaves no trace but its 401;
// then it serves the request as a new cause and records the call on the
// account's timeline.
func (e *Emulator) serveAPI(product string, next http.Handler) http.Handler {
	return e.serveAPIUnder("", product, next)
}

// serveAPIUnder is serveAPI for requests reaching the product under the
// path prefix strip ("/taskrouter"), which next does not see: as
// http.StripPrefix would, but one copy of the request serves both the
// stripped path and the API call's context.
func (e *Emulator) serveAPIUnder(strip, product string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upath, rawPath := r.URL.Path, r.URL.RawPath
		if strip != "" {
			var ok bool
			upath, ok = strings.CutPrefix(upath, strip)
			if rawPath != "" && ok {
				rawPath, ok = strings.CutPrefix(rawPath, strip)
			}
			if !ok {
				http.NotFound(w, r)
				return
			}
		}
		acct, err := e.authenticate(r)
		if err != nil {
			twilio.WriteError(w, err)
			return
		}
		ctx := &apiContext{Context: r.Context(), call: apiCall{acct: acct, cause: acct.causes.New()}}
		r2 := r.WithContext(ctx)
		if strip != "" {
			u := new(url.URL)
			*u = *r.URL
			u.Path, u.RawPath = upath, rawPath
			r2.URL = u
		}
		// recoverPanics already tracks the status of every request.
		sw, ok := w.(*statusWriter)
		if !ok {
			sw = &statusWriter{ResponseWriter: w, status: http.StatusOK}
		}
		serveFaulted(next, sw, r2, product) // injected faults (faults_inject.go), else next
		// One string (one allocation) holds Summary, "METHOD path → Status",
		// with Type its head; the status refs are shared.
		summary := r.Method + " " + upath + " → " + http.StatusText(sw.status)
		acct.timeline.AppendPairs(timeline.Entry{Kind: timeline.KindAPI, Product: product,
			Type: summary[:len(r.Method)+1+len(upath)], Cause: ctx.call.cause, Summary: summary}, statusRefs(sw.status))
	})
}

// statusRefsCommon are the timeline refs of the statuses API calls mostly
// end with, shared by every entry (the timeline never changes them).
var statusRefsCommon = func() map[int][]string {
	m := map[int][]string{}
	for _, code := range []int{200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 415, 429, 500} {
		m[code] = []string{"status", strconv.Itoa(code)}
	}
	return m
}()

func statusRefs(code int) []string {
	if refs, ok := statusRefsCommon[code]; ok {
		return refs
	}
	return []string{"status", strconv.Itoa(code)}
}

// recoverPanics answers a panic outside the account lock (which locked
// already handles) with Twilio's 500 JSON and logs it, rather than letting
// net/http drop the connection.
func (e *Emulator) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			e.log.Error("panic while serving a request", "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if !sw.wrote {
				twilio.WriteError(sw, twilio.NewError(http.StatusInternalServerError, twilio.CodeInternal, "internal error: %v", p))
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Hijack hands the connection to a websocket upgrade.
func (s *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := s.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("the response writer cannot be hijacked")
	}
	s.wrote = true
	return h.Hijack()
}

// Unwrap lets http.ResponseController (and the websocket upgrade) reach the
// connection underneath.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
