package webhook

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/timeline"
	twclient "github.com/twilio/twilio-go/client"
)

const token = "0123456789abcdef0123456789abcdef"

// receiver validates every request with twilio-go's own RequestValidator.
type receiver struct {
	mu      sync.Mutex
	valid   []bool
	events  []string
	methods []string
}

func (rc *receiver) handler(t *testing.T) http.HandlerFunc {
	v := twclient.NewRequestValidator(token)
	return func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		full := "http://" + r.Host + r.URL.RequestURI()
		params := map[string]string{}
		if r.Method == http.MethodPost {
			for k := range r.PostForm {
				params[k] = r.PostForm.Get(k)
			}
		}
		ok := v.Validate(full, params, r.Header.Get("X-Twilio-Signature"))
		rc.mu.Lock()
		rc.valid = append(rc.valid, ok)
		rc.events = append(rc.events, r.Form.Get("EventType"))
		rc.methods = append(rc.methods, r.Method)
		rc.mu.Unlock()
		if r.Form.Get("EventType") == "fail" {
			w.WriteHeader(500)
		}
	}
}

func TestDeliveriesAreSignedOrderedAndLogged(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc.handler(t))
	defer srv.Close()
	clk := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	tl := timeline.New(clk, nil)
	d := New(token, tl, clk.Now)

	events := []string{"onConversationAdded", "onParticipantAdded", "onMessageAdded", "fail"}
	for _, ev := range events {
		d.Send(Request{URL: srv.URL + "/hook?tenant=7", Params: url.Values{
			"EventType": {ev}, "State": {"active"}, "StateTo": {"closed"}, "Body": {"héllo & bye"}}, Event: ev})
	}
	d.Send(Request{URL: srv.URL + "/get?x=1", Method: "GET", Params: url.Values{"EventType": {"get"}}, Event: "get"})
	_ = d.Wait(t.Context())

	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.valid) != 5 {
		t.Fatalf("received %d requests, want 5", len(rc.valid))
	}
	for i, ok := range rc.valid {
		if !ok {
			t.Errorf("request %d (%s %s) failed twilio-go signature validation", i, rc.methods[i], rc.events[i])
		}
	}
	var posts []string // the GET went to another URL, so it may interleave
	for i, m := range rc.methods {
		if m == http.MethodPost {
			posts = append(posts, rc.events[i])
		}
	}
	for i, ev := range events {
		if posts[i] != ev {
			t.Errorf("delivery %d was %s, want %s (per-URL order); got %v", i, posts[i], ev, posts)
		}
	}
	log := d.Deliveries()
	if len(log) != 5 {
		t.Fatalf("log has %d deliveries", len(log))
	}
	failed := 0
	for _, del := range log {
		if !del.OK() {
			failed++
			if del.Status != 500 {
				t.Errorf("failed delivery status %d, want 500", del.Status)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d failed deliveries logged, want 1", failed)
	}
	if got := len(tl.Since(0)); got != 5 {
		t.Errorf("timeline has %d webhook entries, want 5", got)
	}
}

func TestUnreachableURLIsRecorded(t *testing.T) {
	clk := clock.NewManual(time.Unix(0, 0))
	d := New(token, nil, clk.Now)
	del := d.Do(t.Context(), Request{URL: "http://127.0.0.1:1/nothing", Params: url.Values{"a": {"b"}}})
	if del.Error == "" || del.Status != 0 {
		t.Fatalf("delivery to a closed port = %+v", del)
	}
}
