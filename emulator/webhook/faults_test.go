package webhook

import (
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// faultOnce injects f into the first n attempts and counts the calls.
func faultOnce(f Fault, n int32) (FaultFunc, *atomic.Int32) {
	var calls atomic.Int32
	return func(Request) Fault {
		if calls.Add(1) <= n {
			return f
		}
		return Fault{}
	}, &calls
}

func TestFaultsChangeAttemptsAsTheReceiverWould(t *testing.T) {
	fast := Policy{Timeout: 200 * time.Millisecond, MaxAttempts: 3}
	cases := []struct {
		name       string
		fault      Fault
		n          int32
		retry      bool
		wantStatus []int // per logged attempt
		wantSeen   int   // requests the receiver got
		wantBody   string
		minLatency time.Duration
	}{
		{name: "fail answers the status without sending", fault: Fault{Mode: FaultFail, Status: 503, Body: "down"}, n: 1,
			wantStatus: []int{503}, wantSeen: 0, wantBody: "down"},
		{name: "fail with retry is retried and the next attempt is delivered", fault: Fault{Mode: FaultFail, Status: 500}, n: 1,
			retry: true, wantStatus: []int{500, 200}, wantSeen: 1},
		{name: "a failed 4xx is not retried", fault: Fault{Mode: FaultFail, Status: 404}, n: 5, retry: true,
			wantStatus: []int{404}, wantSeen: 0},
		{name: "timeout ends without an answer and is retried", fault: Fault{Mode: FaultTimeout}, n: 2, retry: true,
			wantStatus: []int{0, 0, 200}, wantSeen: 1},
		{name: "slow within the timeout is delivered late", fault: Fault{Mode: FaultSlow, Delay: 60 * time.Millisecond}, n: 1,
			wantStatus: []int{200}, wantSeen: 1, minLatency: 60 * time.Millisecond},
		{name: "slow past the timeout times out", fault: Fault{Mode: FaultSlow, Delay: time.Second}, n: 1,
			wantStatus: []int{0}, wantSeen: 0, minLatency: 200 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, tl := newDispatcher(t, fast)
			f := &flaky{}
			target := f.serve(t).URL + "/hook"
			hook, calls := faultOnce(tc.fault, tc.n)
			d.SetFaults(hook)
			d.Send(Request{URL: target, Params: url.Values{"EventType": {"onMessageAdded"}}, Event: "onMessageAdded", Retry: tc.retry})
			if err := d.Wait(t.Context()); err != nil {
				t.Fatal(err)
			}
			log := d.Deliveries()
			if len(log) != len(tc.wantStatus) {
				t.Fatalf("%d attempts logged, want %d: %+v", len(log), len(tc.wantStatus), log)
			}
			for i, del := range log {
				if del.Status != tc.wantStatus[i] {
					t.Errorf("attempt %d: status %d, want %d", i+1, del.Status, tc.wantStatus[i])
				}
				if del.Status == 0 && del.Error == "" {
					t.Errorf("attempt %d: no answer and no error", i+1)
				}
			}
			if tc.wantBody != "" && log[0].ResponseBody != tc.wantBody {
				t.Errorf("body %q, want %q", log[0].ResponseBody, tc.wantBody)
			}
			if got := time.Duration(log[0].LatencyMS * float64(time.Millisecond)); got < tc.minLatency {
				t.Errorf("latency %v, want at least %v", got, tc.minLatency)
			}
			if int(calls.Load()) != len(log) {
				t.Errorf("fault hook asked %d times for %d attempts", calls.Load(), len(log))
			}
			f.mu.Lock()
			seen := len(f.seen)
			f.mu.Unlock()
			if seen != tc.wantSeen {
				t.Errorf("receiver got %d requests, want %d", seen, tc.wantSeen)
			}
			if got := len(tl.Since(0)); got != len(log) {
				t.Errorf("timeline has %d entries, want one per attempt (%d)", got, len(log))
			}
		})
	}
}

// TestInjectedTimeoutRecordsWhatARealOneDoes compares the record of a real
// timeout with the short-circuited one: the same status, error text,
// timeline summary and retry decision, and a latency of the full timeout.
func TestInjectedTimeoutRecordsWhatARealOneDoes(t *testing.T) {
	p := Policy{Timeout: 100 * time.Millisecond, MaxAttempts: 2}
	real := &flaky{delay: time.Second, script: []int{200, 200}}
	target := real.serve(t).URL + "/hook?x=1"
	req := Request{URL: target, Params: url.Values{"A": {"b"}}, Event: "onMessageAdd", Product: "conversations", Retry: true}

	d1, tl1 := newDispatcher(t, p)
	d1.Send(req)
	_ = d1.Wait(t.Context())
	d2, tl2 := newDispatcher(t, p)
	d2.SetFaults(func(Request) Fault { return Fault{Mode: FaultTimeout} })
	start := time.Now()
	d2.Send(req)
	_ = d2.Wait(t.Context())
	if el := time.Since(start); el > 80*time.Millisecond {
		t.Errorf("the injected timeout took %v: it should not wait the timeout out", el)
	}
	a, b := d1.Deliveries(), d2.Deliveries()
	if len(a) != 2 || len(b) != 2 {
		t.Fatalf("attempts: real %d, injected %d, want 2 each", len(a), len(b))
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Status != y.Status || x.Error != y.Error || x.WillRetry != y.WillRetry || x.Signature != y.Signature || x.Attempt != y.Attempt {
			t.Errorf("attempt %d differs:\nreal     %+v\ninjected %+v", i+1, x, y)
		}
		if y.LatencyMS != 100 {
			t.Errorf("attempt %d: injected latency %v ms, want the 100 ms timeout", i+1, y.LatencyMS)
		}
	}
	ea, eb := tl1.Since(0), tl2.Since(0)
	for i := range ea {
		if ea[i].Summary != eb[i].Summary {
			t.Errorf("timeline %d: real %q, injected %q", i, ea[i].Summary, eb[i].Summary)
		}
	}
}

func TestTimeoutErrorMasksPasswords(t *testing.T) {
	got := timeoutError("POST", "https://user:secret@example.com/h", 5*time.Second)
	want := `no answer within 5s: Post "https://user:***@example.com/h": context deadline exceeded`
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCloseEndsASlowedDelivery(t *testing.T) {
	d, _ := newDispatcher(t, Policy{Timeout: time.Hour, MaxAttempts: 1})
	f := &flaky{}
	d.SetFaults(func(Request) Fault { return Fault{Mode: FaultSlow, Delay: MaxFaultDelay} })
	d.Send(Request{URL: f.serve(t).URL, Event: "x"})
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	d.Close(50 * time.Millisecond)
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("Close took %v with a slowed delivery out", el)
	}
}
