package webhook

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/timeline"
	twclient "github.com/twilio/twilio-go/client"
)

// flaky answers each request with the next status of script (200 once it
// runs out), sleeping delay first, and records what it saw.
type flaky struct {
	mu     sync.Mutex
	script []int
	delay  time.Duration
	seen   []url.Values
	valid  []bool
}

func (f *flaky) serve(t *testing.T) *httptest.Server {
	t.Helper()
	v := twclient.NewRequestValidator(token)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		params := map[string]string{}
		for k := range r.PostForm {
			params[k] = r.PostForm.Get(k)
		}
		ok := v.Validate("http://"+r.Host+r.URL.RequestURI(), params, r.Header.Get("X-Twilio-Signature"))
		f.mu.Lock()
		f.seen = append(f.seen, r.Form)
		f.valid = append(f.valid, ok)
		status := http.StatusOK
		if len(f.script) > 0 {
			status, f.script = f.script[0], f.script[1:]
		}
		delay := f.delay
		f.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte("status " + http.StatusText(status)))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newDispatcher(t *testing.T, p Policy) (*Dispatcher, *timeline.Timeline) {
	t.Helper()
	clk := clock.NewManual(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	tl := timeline.New(clk, nil)
	d := New(token, tl, clk.Now, WithPolicy(p))
	t.Cleanup(func() { d.Close(ShutdownGrace) })
	return d, tl
}

func TestRetryPolicy(t *testing.T) {
	fast := Policy{Timeout: 150 * time.Millisecond, MaxAttempts: 3}
	cases := []struct {
		name       string
		script     []int
		delay      time.Duration
		retry      bool
		down       bool
		wantStatus []int // status per logged attempt (0: no answer)
	}{
		{name: "500 twice then 200 is delivered on the third attempt", script: []int{500, 503}, retry: true, wantStatus: []int{500, 503, 200}},
		{name: "500 forever gives up after MaxAttempts", script: []int{500, 500, 500, 500}, retry: true, wantStatus: []int{500, 500, 500}},
		{name: "4xx is the receiver's answer and is not retried", script: []int{403}, retry: true, wantStatus: []int{403}},
		{name: "a request without Retry gets one attempt", script: []int{500}, wantStatus: []int{500}},
		{name: "a slow receiver times out and is retried", delay: time.Second, retry: true, wantStatus: []int{0, 0, 0}},
		{name: "a URL that is down is retried and recorded", down: true, retry: true, wantStatus: []int{0, 0, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, tl := newDispatcher(t, fast)
			f := &flaky{script: tc.script, delay: tc.delay}
			target := f.serve(t).URL + "/hook?tenant=7"
			if tc.down {
				target = "http://127.0.0.1:1/hook?tenant=7"
			}
			var final []Delivery
			var mu sync.Mutex
			d.Send(Request{URL: target, Params: url.Values{"EventType": {"onMessageAdded"}, "Body": {"hi"}, "RetryCount": {"0"}},
				Event: "onMessageAdded", Retry: tc.retry, RetryCountParam: "RetryCount",
				OnResponse: func(del Delivery) { mu.Lock(); final = append(final, del); mu.Unlock() }})
			if err := d.Wait(t.Context()); err != nil {
				t.Fatal(err)
			}
			log := d.Deliveries()
			if len(log) != len(tc.wantStatus) {
				t.Fatalf("%d attempts logged, want %d: %+v", len(log), len(tc.wantStatus), log)
			}
			for i, del := range log {
				if del.Attempt != i+1 || del.Status != tc.wantStatus[i] {
					t.Errorf("attempt %d: got attempt %d status %d, want status %d", i+1, del.Attempt, del.Status, tc.wantStatus[i])
				}
				if last := i == len(log)-1; del.WillRetry == last {
					t.Errorf("attempt %d: WillRetry = %v", i+1, del.WillRetry)
				}
				if got := del.Request.Params.Get("RetryCount"); got != string(rune('0'+i)) {
					t.Errorf("attempt %d: logged RetryCount %q", i+1, got)
				}
				if del.Status == 0 && del.Error == "" {
					t.Errorf("attempt %d: no answer but no error recorded", i+1)
				}
				if del.Status != 0 && del.ResponseBody == "" {
					t.Errorf("attempt %d: response body not recorded", i+1)
				}
			}
			if len(final) != 1 || final[0].ID != log[len(log)-1].ID {
				t.Errorf("OnResponse got %d calls (%+v), want one with the last attempt", len(final), final)
			}
			if got := len(tl.Since(0)); got != len(log) {
				t.Errorf("timeline has %d entries, want one per attempt (%d)", got, len(log))
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			for i, p := range f.seen {
				if p.Get("RetryCount") != string(rune('0'+i)) || !f.valid[i] {
					t.Errorf("receiver attempt %d: RetryCount %q, signature valid %v", i+1, p.Get("RetryCount"), f.valid[i])
				}
			}
		})
	}
}

func TestRetriesKeepPerURLOrder(t *testing.T) {
	d, _ := newDispatcher(t, Policy{Timeout: time.Second, MaxAttempts: 3})
	f := &flaky{script: []int{500, 500}}
	srv := f.serve(t)
	for _, ev := range []string{"first", "second"} {
		d.Send(Request{URL: srv.URL, Params: url.Values{"EventType": {ev}}, Event: ev, Retry: true})
	}
	_ = d.Wait(t.Context())
	f.mu.Lock()
	defer f.mu.Unlock()
	var got []string
	for _, p := range f.seen {
		got = append(got, p.Get("EventType"))
	}
	if strings.Join(got, ",") != "first,first,first,second" {
		t.Errorf("receiver saw %v, want the first event's retries before the second event", got)
	}
}

func TestBackoffDoublesAndCloseCutsItShort(t *testing.T) {
	d, _ := newDispatcher(t, Policy{Timeout: time.Second, MaxAttempts: 3, Backoff: 30 * time.Millisecond})
	f := &flaky{script: []int{500, 500}}
	srv := f.serve(t)
	start := time.Now()
	d.Send(Request{URL: srv.URL, Params: url.Values{"EventType": {"x"}}, Retry: true})
	_ = d.Wait(t.Context())
	if el := time.Since(start); el < 90*time.Millisecond {
		t.Errorf("three attempts with 30ms backoff took %v, want at least 30ms+60ms", el)
	}
	if n := len(d.Deliveries()); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}

	// Shutting down does not drop an event waiting for its retry.
	slow, _ := newDispatcher(t, Policy{Timeout: time.Second, MaxAttempts: 3, Backoff: time.Hour})
	g := &flaky{script: []int{500, 500}}
	slow.Send(Request{URL: g.serve(t).URL, Params: url.Values{"EventType": {"y"}}, Retry: true})
	done := make(chan struct{})
	go func() { slow.Close(ShutdownGrace); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited out the backoff")
	}
	if log := slow.Deliveries(); len(log) != 3 || !log[2].OK() {
		t.Errorf("after Close: %d attempts, last %+v; want 3 ending in 200", len(log), log[len(log)-1])
	}
}

func TestCloseAbandonsABacklogAfterTheGrace(t *testing.T) {
	d, tl := newDispatcher(t, Policy{Timeout: 5 * time.Second, MaxAttempts: 3, Backoff: time.Second})
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hang)
	for i := 0; i < 20; i++ {
		d.Send(Request{URL: srv.URL, Event: "onMessageAdded", Params: url.Values{"i": {strconv.Itoa(i)}}, Retry: true,
			Refs: map[string]string{"conversation_sid": "CH" + strconv.Itoa(i%2)}})
	}
	start := time.Now()
	abandoned := d.Close(100 * time.Millisecond)
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("Close with a hanging receiver took %v, want the 100ms grace and a moment", el)
	}
	if len(abandoned) != 20 {
		t.Errorf("Close abandoned %d requests, want all 20", len(abandoned))
	}
	if !d.Idle() {
		t.Error("goroutines still delivering after Close returned")
	}
	d.Send(Request{URL: srv.URL})
	if !d.Idle() {
		t.Error("Send after Close queued a delivery")
	}
	_ = tl
}

func TestDoTimesOutPerPolicy(t *testing.T) {
	d, _ := newDispatcher(t, Policy{Timeout: 50 * time.Millisecond, MaxAttempts: 3})
	f := &flaky{delay: time.Second}
	srv := f.serve(t)
	start := time.Now()
	del := d.Do(t.Context(), Request{URL: srv.URL, Params: url.Values{"a": {"b"}}})
	if del.Status != 0 || !strings.Contains(del.Error, "no answer within 50ms") || del.WillRetry || del.MaxAttempts != 1 {
		t.Fatalf("Do against a slow receiver = %+v", del)
	}
	if time.Since(start) > 900*time.Millisecond {
		t.Errorf("Do waited %v, want about the 50ms policy timeout", time.Since(start))
	}
}

// TestSignatureForEveryURLShape validates X-Twilio-Signature with twilio-go
// for GET and POST, with and without query strings, with an explicit port and
// without one (twilio-go then tries :80 and no port).
func TestSignatureForEveryURLShape(t *testing.T) {
	d, _ := newDispatcher(t, Policy{Timeout: 200 * time.Millisecond})
	v := twclient.NewRequestValidator(token)
	params := url.Values{"EventType": {"onMessageAdded"}, "Body": {"héllo & bye+1"}, "Attributes": {`{"a":[1,2]}`},
		"MessagingBinding.Address": {"whatsapp:+15005550006"}, "State": {"active"}, "StateTo": {"closed"}}
	for _, target := range []string{
		"http://127.0.0.1/hook",
		"http://127.0.0.1/hook?tenant=7&x=a%20b",
		"http://127.0.0.1:1/hook?tenant=7",
		"http://localhost:1/p/a/t/h",
	} {
		for _, method := range []string{"POST", "GET"} {
			del := d.Do(t.Context(), Request{URL: target, Method: method, Params: params})
			form := map[string]string{}
			full := target
			if method == "POST" {
				for k := range params {
					form[k] = params.Get(k)
				}
			} else {
				sep := "?"
				if strings.Contains(target, "?") {
					sep = "&"
				}
				full += sep + params.Encode()
			}
			if !v.Validate(full, form, del.Signature) {
				t.Errorf("%s %s: signature %q does not validate with twilio-go", method, target, del.Signature)
			}
		}
	}
}

func TestSetPolicyNormalises(t *testing.T) {
	d, _ := newDispatcher(t, DefaultPolicy())
	if p := d.Policy(); p.Timeout != 5*time.Second || p.MaxAttempts != 3 || p.Backoff != 500*time.Millisecond {
		t.Errorf("default policy %+v", p)
	}
	d.SetPolicy(Policy{MaxAttempts: -1, Backoff: -time.Second})
	if p := d.Policy(); p.Timeout != Timeout || p.MaxAttempts != 1 || p.Backoff != 0 {
		t.Errorf("normalised policy %+v", p)
	}
}
