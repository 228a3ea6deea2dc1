package twilio

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestISODuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"PT1M", time.Minute, true}, {"PT10M", 10 * time.Minute, true}, {"P1DT2H", 26 * time.Hour, true},
		{"PT1.5S", 1500 * time.Millisecond, true}, {"P1W", 7 * 24 * time.Hour, true}, {"pt30s", 30 * time.Second, true},
		{"1M", 0, false}, {"PT", 0, true}, {"P1M", 0, false}, {"PTM", 0, false}, {"PT5", 0, false}, {"", 0, false},
	}
	for _, c := range cases {
		got, err := ParseISODuration(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseISODuration(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
	if got := FormatISODuration(90 * time.Minute); got != "PT1H30M" {
		t.Errorf("FormatISODuration = %q", got)
	}
}

func TestFormHelpers(t *testing.T) {
	f := Form{url.Values{"N": {"7"}, "Bad": {"x"}, "B": {"Yes"}, "L": {"a,b", ""}, "R": {"a", "b"}, "J": {`{"a":1}`}, "JB": {"[1]"}}}
	if n, err := f.Int("N", 0, 0, 10); err != nil || n != 7 {
		t.Errorf("Int = %d, %v", n, err)
	}
	if _, err := f.Int("N", 0, 0, 5); err == nil || !strings.Contains(err.Error(), "N") {
		t.Errorf("out of range Int error %v does not name N", err)
	}
	if _, err := f.Int("Bad", 0, 0, 5); AsError(err).Code != CodeInvalidParameter || AsError(err).Status != 400 {
		t.Errorf("bad Int error = %v", err)
	}
	if !f.Bool("B", false) || f.Bool("Missing", false) || !f.Bool("Missing", true) {
		t.Error("Bool parsing is wrong")
	}
	if got := f.Strings("R"); len(got) != 2 {
		t.Errorf("repeated Strings = %v", got)
	}
	if _, err := f.Required("Missing"); AsError(err).Code != CodeInvalidParameter || !strings.Contains(err.Error(), "Missing") {
		t.Errorf("Required error = %v", err)
	}
	if text, m, err := f.JSONObject("J"); err != nil || text != `{"a":1}` || m["a"] != float64(1) {
		t.Errorf("JSONObject = %q %v %v", text, m, err)
	}
	if _, _, err := f.JSONObject("JB"); err == nil || !strings.Contains(err.Error(), "JB") {
		t.Errorf("JSON array accepted as object: %v", err)
	}
	if text, _, err := f.JSONObject("Absent"); err != nil || text != "{}" {
		t.Errorf("absent JSONObject = %q, %v", text, err)
	}
}

func TestErrorJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, NotFound("/Workspaces/WSx"))
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 404 || body["code"] != float64(20404) || body["status"] != float64(404) ||
		body["more_info"] != "https://www.twilio.com/docs/errors/20404" || !strings.Contains(body["message"].(string), "/Workspaces/WSx") {
		t.Fatalf("error response %d %v", rec.Code, body)
	}
	rec = httptest.NewRecorder()
	WriteError(rec, http.ErrBodyNotAllowed)
	if rec.Code != 500 {
		t.Fatalf("unknown error rendered as %d", rec.Code)
	}
}

func TestPaginate(t *testing.T) {
	items := []int{0, 1, 2, 3, 4}
	render := func(i int) any { return i }
	req := func(q string) *Request {
		hr := httptest.NewRequest("GET", "/v1/Things?"+q, nil)
		return &Request{HTTP: hr, Form: Form{hr.URL.Query()}}
	}
	p, err := Paginate(req("PageSize=2&FriendlyName=x"), "https://t.twilio.com/v1/Things", "things", items, render, 50)
	if err != nil || len(p.Items) != 2 || p.Meta.NextPageURL == nil || p.Meta.PreviousPageURL != nil {
		t.Fatalf("first page = %+v, %v", p, err)
	}
	next, _ := url.Parse(*p.Meta.NextPageURL)
	if next.Query().Get("FriendlyName") != "x" || next.Query().Get("PageToken") != "PT2" {
		t.Fatalf("next page URL %s lost the filter or token", next)
	}
	p2, _ := Paginate(req(next.RawQuery), "https://t.twilio.com/v1/Things", "things", items, render, 50)
	if p2.Items[0] != 2 || p2.Meta.Page != 1 {
		t.Fatalf("second page = %+v", p2)
	}
	p3, _ := Paginate(req("PageSize=2&Page=2&PageToken=PT4"), "u", "things", items, render, 50)
	if len(p3.Items) != 1 || p3.Meta.NextPageURL != nil {
		t.Fatalf("last page = %+v", p3)
	}
	if _, err := Paginate(req("PageSize=51"), "u", "things", items, render, 50); err == nil {
		t.Fatal("PageSize above the maximum accepted")
	}
	small, _ := Paginate(req(""), "u", "webhooks", items, render, 5)
	if small.Meta.PageSize != 5 {
		t.Fatalf("default page size with max 5 = %d", small.Meta.PageSize)
	}
	b, _ := json.Marshal(p)
	if !strings.HasPrefix(string(b), `{"things":[0,1],"meta":{`) {
		t.Fatalf("envelope = %s", b)
	}
}

func TestSIDs(t *testing.T) {
	s := NewSID("WT")
	if len(s) != 34 || !IsSID(s, "WT") || IsSID(s, "WR") || IsSID("WTxyz", "") {
		t.Fatalf("SID %q", s)
	}
}

func TestDecodeFormRejectsJSONBodies(t *testing.T) {
	r := httptest.NewRequest("POST", "/x", strings.NewReader(`{"a":1}`))
	r.Header.Set("Content-Type", "application/json")
	if _, err := DecodeForm(r); AsError(err).Status != http.StatusUnsupportedMediaType {
		t.Fatalf("JSON body error = %v", err)
	}
	r = httptest.NewRequest("POST", "/x?Q=1", strings.NewReader("A=1&A=2&B=%E2%9C%93"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	f, err := DecodeForm(r)
	if err != nil || len(f.Values["A"]) != 2 || f.Values.Get("B") != "✓" || f.Values.Get("Q") != "1" {
		t.Fatalf("form = %v, %v", f.Values, err)
	}
}

func TestParsePageToken(t *testing.T) {
	for _, tc := range []struct {
		tok  string
		want int
		ok   bool
	}{
		{"PT0", 0, true}, {"PT50", 50, true}, {"PT1099511627776", 1 << 40, true},
		{"PT9223372036854775807", 0, false}, {"PT99999999999999999999", 0, false}, {"PT1099511627777", 0, false},
		{"PT-1", 0, false}, {"PT+5", 0, false}, {"PT05", 0, false}, {"PT", 0, false}, {"50", 0, false},
		{"pt5", 0, false}, {"PTabc", 0, false}, {"PT5 ", 0, false},
	} {
		got, err := ParsePageToken(tc.tok)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("ParsePageToken(%q) = %d, %v; want %d, ok=%v", tc.tok, got, err, tc.want, tc.ok)
			continue
		}
		if err != nil {
			if te := AsError(err); te.Status != 400 || te.Code != CodeInvalidParameter || !strings.Contains(te.Message, "PageToken") {
				t.Errorf("ParsePageToken(%q) error = %+v, want 400 20001 naming PageToken", tc.tok, te)
			}
		}
	}
	// The forged token that once overflowed offset+size under the account lock.
	req := func(q string) *Request {
		hr := httptest.NewRequest("GET", "/v1/Things?"+q, nil)
		return &Request{HTTP: hr, Form: Form{hr.URL.Query()}}
	}
	items := make([]int, 3)
	if _, err := Paginate(req("PageToken=PT9223372036854775807"), "u", "things", items, func(i int) any { return i }, 50); err == nil {
		t.Fatal("Paginate took an overflowing page token")
	}
	p, err := Paginate(req("PageSize=1000&PageToken=PT1099511627776"), "u", "things", items, func(i int) any { return i }, 1000)
	if err != nil || len(p.Items) != 0 {
		t.Fatalf("a far but valid token: %d items, %v", len(p.Items), err)
	}
}
