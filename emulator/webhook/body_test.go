package webhook

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
	twclient "github.com/twilio/twilio-go/client"
)

// seen is what a test receiver got.
type seen struct {
	method, uri, contentType, body, sig string
	user, pass                          string
	hasAuth                             bool
}

func recorder(t *testing.T, answer func(w http.ResponseWriter)) (*httptest.Server, func() []seen) {
	t.Helper()
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s := seen{method: r.Method, uri: r.URL.RequestURI(), contentType: r.Header.Get("Content-Type"),
			body: string(b), sig: r.Header.Get("X-Twilio-Signature")}
		s.user, s.pass, s.hasAuth = r.BasicAuth()
		mu.Lock()
		got = append(got, s)
		mu.Unlock()
		answer(w)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seen { mu.Lock(); defer mu.Unlock(); return append([]seen(nil), got...) }
}

func TestRawBodyRequests(t *testing.T) {
	srv, got := recorder(t, func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	v := twclient.NewRequestValidator(token)
	tests := []struct {
		name     string
		req      Request
		wantCT   string
		wantBody string
		wantAuth *Credentials
	}{
		{"json body, bodySHA256 signature", Request{URL: srv.URL + "/json?tenant=7", Body: []byte(`{"name":"Ann é"}`)},
			"application/json", `{"name":"Ann é"}`, nil},
		{"explicit content type, basic auth", Request{URL: srv.URL + "/auth", Body: []byte(`{}`),
			ContentType: "application/json;charset=utf-8", BasicAuth: &Credentials{"AC1", "secret"}},
			"application/json;charset=utf-8", `{}`, &Credentials{"AC1", "secret"}},
		{"empty body still uses the body scheme", Request{URL: srv.URL + "/empty", Body: []byte{}},
			"application/json", "", nil},
		{"form with basic auth", Request{URL: srv.URL + "/form", Params: url.Values{"a": {"1"}},
			BasicAuth: &Credentials{"u", "p"}}, "application/x-www-form-urlencoded; charset=UTF-8", "a=1", &Credentials{"u", "p"}},
	}
	d := New(token, nil, clock.NewManual(time.Unix(0, 0)).Now)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			del := d.Do(t.Context(), tt.req)
			if !del.OK() || del.ResponseBody != `{"ok":true}` || del.ResponseContentType != "application/json; charset=utf-8" {
				t.Fatalf("delivery = %+v", del)
			}
			s := got()[i]
			if s.contentType != tt.wantCT || s.body != tt.wantBody || s.method != http.MethodPost {
				t.Errorf("received %+v", s)
			}
			full := srv.URL + s.uri
			if !v.ValidateBody(full, []byte(s.body), s.sig) {
				t.Errorf("twilio-go ValidateBody rejected %s (sig %s)", full, s.sig)
			}
			if tt.req.Body != nil && !strings.Contains(s.uri, "bodySHA256=") {
				t.Errorf("no bodySHA256 in %s", s.uri)
			}
			if tt.wantAuth == nil && s.hasAuth || tt.wantAuth != nil && (s.user != tt.wantAuth.Username || s.pass != tt.wantAuth.Password) {
				t.Errorf("basic auth = %v %q %q", s.hasAuth, s.user, s.pass)
			}
		})
	}
	// A tampered body no longer validates.
	s := got()[0]
	if v.ValidateBody(srv.URL+s.uri, []byte(`{"name":"Bob"}`), s.sig) {
		t.Error("tampered body validated")
	}
}

func TestLogShowsBodyAndHidesCredentials(t *testing.T) {
	req := Request{URL: "http://x/y", Body: []byte(`{"a":1}`), ContentType: "application/json",
		BasicAuth: &Credentials{"AC1", "token-secret"}, Event: "make-http-request"}
	b, err := json.Marshal(Delivery{Request: req, Status: 200})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "token-secret") || !strings.Contains(string(b), `"body":"{\"a\":1}"`) {
		t.Errorf("log JSON = %s", b)
	}
	var back Delivery
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if string(back.Request.Body) != `{"a":1}` || back.Request.Event != "make-http-request" || back.Request.BasicAuth != nil {
		t.Errorf("round trip = %+v", back.Request)
	}
}

func TestLongAnswerIsTruncated(t *testing.T) {
	srv, _ := recorder(t, func(w http.ResponseWriter) { _, _ = w.Write([]byte(strings.Repeat("x", MaxResponse+10))) })
	d := New(token, nil, clock.NewManual(time.Unix(0, 0)).Now)
	del := d.Do(t.Context(), Request{URL: srv.URL})
	if !del.ResponseTruncated || len(del.ResponseBody) != MaxResponse {
		t.Errorf("truncated=%v len=%d", del.ResponseTruncated, len(del.ResponseBody))
	}
	srv2, _ := recorder(t, func(w http.ResponseWriter) { _, _ = w.Write([]byte(strings.Repeat("x", MaxResponse))) })
	if del := d.Do(t.Context(), Request{URL: srv2.URL}); del.ResponseTruncated || len(del.ResponseBody) != MaxResponse {
		t.Errorf("exactly MaxResponse: truncated=%v len=%d", del.ResponseTruncated, len(del.ResponseBody))
	}
}
