package twilio

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
)

// A page renders what encoding/json gives its items and meta (HTML-escaped
// strings included), items first, an empty list as [] — the same through
// json.Marshal and the path Mount takes.
func TestPageJSON(t *testing.T) {
	next := "https://t.twilio.com/v1/Things?Page=1&PageSize=2&PageToken=PT2"
	p := Page{Key: "things", Items: []any{map[string]any{"b": "<&>", "a": 1}, struct {
		X string `json:"x"`
	}{"\u2028"}}, Meta: Meta{PageSize: 2, Key: "things", URL: "u", NextPageURL: &next}}
	items, _ := json.Marshal(p.Items)
	meta, _ := json.Marshal(p.Meta)
	want := `{"things":` + string(items) + `,"meta":` + string(meta) + `}`
	got, err := json.Marshal(p)
	if err != nil || string(got) != want {
		t.Fatalf("json.Marshal(page) = %s, %v\nwant %s", got, err, want)
	}
	direct, err := p.appendJSON([]byte("junk")[:0])
	if err != nil || string(direct) != want {
		t.Fatalf("appendJSON = %s, %v", direct, err)
	}
	empty, _ := json.Marshal(Page{Key: "things"})
	if want := `{"things":[],"meta":{"page":0,"page_size":0,"first_page_url":"","previous_page_url":null,"url":"","next_page_url":null,"key":""}}`; string(empty) != want {
		t.Fatalf("empty page = %s", empty)
	}
}

// Page URLs without filters are what url.Values.Encode writes.
func TestPageURLsWithoutFilters(t *testing.T) {
	items := make([]int, 7)
	hr := httptest.NewRequest("GET", "/v1/Things?PageSize=2&Page=1&PageToken=PT2", nil)
	p, err := Paginate(&Request{HTTP: hr, Form: Form{hr.URL.Query()}}, "https://t.twilio.com/v1/Things", "things", items,
		func(i int) any { return i }, 50)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(page, off int, token bool) string {
		q := url.Values{"PageSize": {"2"}, "Page": {strconv.Itoa(page)}}
		if token {
			q.Set("PageToken", "PT"+strconv.Itoa(off))
		}
		return "https://t.twilio.com/v1/Things?" + q.Encode()
	}
	if p.Meta.FirstPageURL != enc(0, 0, false) || p.Meta.URL != enc(1, 2, false) ||
		*p.Meta.NextPageURL != enc(2, 4, true) || *p.Meta.PreviousPageURL != enc(0, 0, true) {
		t.Fatalf("meta %+v", p.Meta)
	}
}

// Mount answers a list with its length up front (no chunked encoding) and
// the page's JSON.
func TestMountListResponse(t *testing.T) {
	mux := http.NewServeMux()
	bind := func(r *Request, fn func(int) error) error { return fn(0) }
	Mount(mux, Product{Prefix: "t", Host: "t.twilio.com"}, bind, []Route[int]{{Method: "GET", Path: "/v1/Things",
		Handle: func(_ int, r *Request) (any, error) {
			return Paginate(r, r.URL("/v1/Things"), "things", []string{"a", "<b>"}, func(s string) any { return s }, 50)
		}}})
	for i := 0; i < 3; i++ { // the second and third reuse the pooled buffer
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest("GET", "http://t.twilio.com/v1/Things", nil))
		want := `{"things":["a","\u003cb\u003e"],"meta":{"page":0,"page_size":50,"first_page_url":"https://t.twilio.com/v1/Things?Page=0\u0026PageSize=50","previous_page_url":null,"url":"https://t.twilio.com/v1/Things?Page=0\u0026PageSize=50","next_page_url":null,"key":"things"}}`
		if w.Code != 200 || w.Body.String() != want || w.Header().Get("Content-Length") != strconv.Itoa(len(want)) ||
			w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("%d %v %s", w.Code, w.Header(), w.Body)
		}
	}
}

// Keys that need escaping go through encoding/json.
func TestPageKeyEscaped(t *testing.T) {
	b, err := json.Marshal(Page{Key: "a<\"b"})
	if err != nil || string(b[:16]) != `{"a\u003c\"b":[]` {
		t.Fatalf("%s %v", b, err)
	}
}
