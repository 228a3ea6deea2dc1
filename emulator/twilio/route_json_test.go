package twilio

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestMountJSONRoute: a JSON route gets an application/json body in
// Request.JSON (and still decodes a form body); other routes refuse JSON.
func TestMountJSONRoute(t *testing.T) {
	mux := http.NewServeMux()
	bind := Binder[int](func(r *Request, fn func(int) error) error { return fn(0) })
	echo := func(_ int, r *Request) (any, error) {
		return map[string]string{"json": string(r.JSON), "a": r.Form.Get("A")}, nil
	}
	Mount(mux, Product{Prefix: "p", Host: "p.example"}, bind, []Route[int]{
		{Method: "POST", Path: "/json", JSON: true, Handle: echo},
		{Method: "POST", Path: "/form", Handle: echo},
	})
	do := func(path, ct, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		return rec
	}
	if rec := do("/json?A=q", "application/json; charset=utf-8", `{"to":"WK1"}`); rec.Code != 200 ||
		rec.Body.String() != `{"a":"q","json":"{\"to\":\"WK1\"}"}` {
		t.Fatalf("JSON route, JSON body: %d %s", rec.Code, rec.Body)
	}
	if rec := do("/json", "application/x-www-form-urlencoded", "A=1"); rec.Code != 200 ||
		rec.Body.String() != `{"a":"1","json":""}` {
		t.Fatalf("JSON route, form body: %d %s", rec.Code, rec.Body)
	}
	if rec := do("/form", "application/json", `{}`); rec.Code != http.StatusUnsupportedMediaType {
		t.Fatalf("form route, JSON body: %d %s", rec.Code, rec.Body)
	}
}
