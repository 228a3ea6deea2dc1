package twilio

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// Request is what a product handler sees: the decoded form, the path values
// and the base URL that resource "url" and "links" fields are built from.
type Request struct {
	HTTP *http.Request
	Form Form
	// JSON is the raw application/json body of a JSON route (Route.JSON);
	// nil when the body was a form or empty.
	JSON []byte
	// BaseURL is where this product was reached: "https://taskrouter.twilio.com"
	// when the Host header is Twilio's (twilio-go through the emulator's
	// transport), else the emulator's own prefix ("http://127.0.0.1:7070/taskrouter").
	BaseURL string
}

// Path returns a path parameter ("{Sid}" in the route pattern).
func (r *Request) Path(name string) string { return r.HTTP.PathValue(name) }

// URL returns the absolute URL of a resource path such as "/v1/Workspaces/WS…".
func (r *Request) URL(path string) string { return r.BaseURL + path }

// Header returns a request header.
func (r *Request) Header(name string) string { return r.HTTP.Header.Get(name) }

// Route is one entry of a product's route table. E is the product engine the
// handler operates on; the server decides which account's engine that is.
type Route[E any] struct {
	Method string
	Path   string // Go ServeMux pattern path, e.g. "/v1/Workspaces/{WorkspaceSid}/Tasks"
	Status int    // success status: 0 means 200; creates use 201, deletes 204
	// JSON marks an endpoint whose body is application/json (Flex's
	// Transfers and Configuration): the body is left in Request.JSON instead
	// of being refused. A form body is still decoded into Request.Form.
	JSON   bool
	Handle func(e E, r *Request) (any, error)
}

// WithHeaders is a handler result that also sets response headers (an ETag,
// say): Mount renders Body as it would a plain result and adds Header to the
// success response. Error responses never carry them.
type WithHeaders struct {
	Body   any // nil for no body (204 routes)
	Header http.Header
}

// Binder runs fn on the engine a request is for, holding whatever
// serialises access to it (the account lock), and releases it on every path,
// a panic included. By the time it is called the request has been
// authenticated (the server does that before reading any body).
type Binder[E any] func(r *Request, fn func(engine E) error) error

// Mount registers routes on mux. Each request is decoded, then handled and
// encoded while the binding is held, so the response is a consistent
// snapshot; then written, with the lock released.
func Mount[E any](mux *http.ServeMux, product Product, bind Binder[E], routes []Route[E]) {
	for _, rt := range routes {
		rt := rt
		mux.HandleFunc(rt.Method+" "+rt.Path, func(w http.ResponseWriter, hr *http.Request) {
			var raw []byte
			form, err := Form{}, error(nil)
			if rt.JSON && isJSONBody(hr) {
				form, raw, err = decodeJSONBody(hr)
			} else {
				form, err = DecodeForm(hr)
			}
			if err != nil {
				WriteError(w, err)
				return
			}
			req := &Request{HTTP: hr, Form: form, JSON: raw, BaseURL: product.BaseURL(hr)}
			pooled := bodyBufs.Get().(*[]byte)
			defer putBodyBuf(pooled)
			var buf []byte
			var extra http.Header
			err = bind(req, func(eng E) error {
				body, err := rt.Handle(eng, req)
				if wh, ok := body.(WithHeaders); ok && err == nil {
					// Taken under the binding: the headers describe the same
					// snapshot as the body.
					body, extra = wh.Body, wh.Header
				}
				if err == nil && body != nil {
					if a, ok := body.(jsonAppender); ok {
						buf, err = a.appendJSON((*pooled)[:0])
						*pooled = buf
					} else {
						buf, err = json.Marshal(body)
					}
				}
				return err
			})
			if err != nil {
				WriteError(w, err)
				return
			}
			status := rt.Status
			if status == 0 {
				status = http.StatusOK
			}
			h := w.Header()
			for k, v := range extra {
				h[k] = v
			}
			if status == http.StatusNoContent {
				w.WriteHeader(status)
				return
			}
			h.Set("Content-Type", "application/json")
			// Sized up front, a body above net/http's 2 KB buffer goes out in
			// one piece instead of chunked.
			h.Set("Content-Length", strconv.Itoa(len(buf)))
			w.WriteHeader(status)
			_, _ = w.Write(buf)
		})
	}
}

// bodyBufs recycles the buffers list pages are rendered into; a response
// is written before its buffer goes back.
var bodyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

func putBodyBuf(b *[]byte) {
	if cap(*b) <= 256<<10 {
		bodyBufs.Put(b)
	}
}

// Product names a Twilio API host and the emulator path prefix serving it.
type Product struct {
	Prefix string // "taskrouter"
	Host   string // "taskrouter.twilio.com"
}

// BaseURL is the URL root that resource URLs in responses are built on.
func (p Product) BaseURL(r *http.Request) string {
	if HostOnly(r.Host) == p.Host {
		return "https://" + p.Host
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/" + p.Prefix
}

// HostOnly strips a port from a Host header.
func HostOnly(host string) string {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		return host[:i]
	}
	return host
}

// maxBody bounds request bodies; Twilio's own limit is far lower than this.
const maxBody = 4 << 20

// DecodeForm merges the query string and a form-encoded body. A JSON body is
// refused with Twilio's error, as Twilio's form APIs refuse it.
func DecodeForm(r *http.Request) (Form, error) {
	q := r.URL.Query()
	if r.Body == nil || r.Method == http.MethodGet || r.Method == http.MethodDelete {
		return Form{q}, nil
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return Form{}, BadRequest("could not read request body: %v", err)
	}
	if len(raw) > maxBody {
		return Form{}, NewError(http.StatusRequestEntityTooLarge, CodeInvalidParameter, "request body too large")
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	if len(bytes.TrimSpace(raw)) == 0 {
		return Form{q}, nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		if mt != "application/x-www-form-urlencoded" {
			return Form{}, NewError(http.StatusUnsupportedMediaType, CodeInvalidParameter,
				"Content-Type %q is not supported; send application/x-www-form-urlencoded", mt)
		}
	}
	body, err := url.ParseQuery(string(raw))
	if err != nil {
		return Form{}, BadRequest("malformed form body: %v", err)
	}
	for k, v := range body {
		q[k] = append(q[k], v...)
	}
	return Form{q}, nil
}

// isJSONBody reports whether a request declares an application/json body.
func isJSONBody(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/json" && r.Method != http.MethodGet && r.Method != http.MethodDelete
}

// decodeJSONBody reads a JSON route's body (query parameters go to the
// Form); an empty body yields nil.
func decodeJSONBody(r *http.Request) (Form, []byte, error) {
	q := r.URL.Query()
	if r.Body == nil {
		return Form{q}, nil, nil
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return Form{}, nil, BadRequest("could not read request body: %v", err)
	}
	if len(raw) > maxBody {
		return Form{}, nil, NewError(http.StatusRequestEntityTooLarge, CodeInvalidParameter, "request body too large")
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	if len(bytes.TrimSpace(raw)) == 0 {
		return Form{q}, nil, nil
	}
	return Form{q}, raw, nil
}

// WriteError renders err as Twilio's error JSON with its HTTP status.
func WriteError(w http.ResponseWriter, err error) {
	te := AsError(err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(te.Status)
	_ = json.NewEncoder(w).Encode(te)
}

// WriteJSON writes v as a JSON response.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
