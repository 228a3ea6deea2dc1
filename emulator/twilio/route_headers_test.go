package twilio

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestMountWithHeaders: a WithHeaders result sets its headers on success
// (body or 204) and renders its Body like a plain result; errors carry none.
func TestMountWithHeaders(t *testing.T) {
	mux := http.NewServeMux()
	bind := Binder[int](func(r *Request, fn func(int) error) error { return fn(0) })
	etag := func(v string) http.Header { return http.Header{"Etag": {v}} }
	Mount(mux, Product{Prefix: "p", Host: "p.example"}, bind, []Route[int]{
		{Method: "GET", Path: "/ok", Handle: func(int, *Request) (any, error) {
			return WithHeaders{Body: map[string]int{"version": 3}, Header: etag("3")}, nil
		}},
		{Method: "DELETE", Path: "/ok", Status: http.StatusNoContent, Handle: func(int, *Request) (any, error) {
			return WithHeaders{Header: etag("4")}, nil
		}},
		{Method: "POST", Path: "/fail", Handle: func(int, *Request) (any, error) {
			return WithHeaders{Header: etag("5")}, errors.New("boom")
		}},
	})
	do := func(method, path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec
	}
	rec := do("GET", "/ok")
	if rec.Code != 200 || rec.Header().Get("ETag") != "3" || rec.Body.String() != `{"version":3}` {
		t.Fatalf("GET: %d ETag=%q body=%s", rec.Code, rec.Header().Get("ETag"), rec.Body)
	}
	if rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET: Content-Type %q", rec.Header().Get("Content-Type"))
	}
	rec = do("DELETE", "/ok")
	if rec.Code != 204 || rec.Header().Get("ETag") != "4" || rec.Body.Len() != 0 {
		t.Fatalf("DELETE: %d ETag=%q body=%s", rec.Code, rec.Header().Get("ETag"), rec.Body)
	}
	rec = do("POST", "/fail")
	if rec.Code != 500 || rec.Header().Get("ETag") != "" {
		t.Fatalf("POST error: %d ETag=%q", rec.Code, rec.Header().Get("ETag"))
	}
}
