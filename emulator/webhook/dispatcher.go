// Package webhook delivers the emulator's outbound HTTP requests to the
// user's URLs: signed with X-Twilio-Signature, off the account lock, in order
// per destination URL, retried on failure when the request asks for it, and
// every attempt recorded in a delivery log and the timeline.
package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/flexemu/flexemu/emulator/internal/inflight"
	"github.com/flexemu/flexemu/emulator/timeline"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// Timeout is how long Twilio waits for a webhook response.
const Timeout = 5 * time.Second

// MaxResponse is how much of an answer's body a delivery keeps (64 kB, the
// limit Studio documents for its HTTP widgets); a longer body is cut and
// flagged ResponseTruncated.
const MaxResponse = 64 << 10

// Request is one webhook to send.
type Request struct {
	URL    string     `json:"url"`
	Method string     `json:"method"` // POST (default) or GET
	Params url.Values `json:"params"`
	// Product and Event label the delivery in the log ("conversations",
	// "onMessageAdded"); Refs carries the SIDs it concerns.
	Product string            `json:"product"`
	Event   string            `json:"event"`
	Refs    map[string]string `json:"refs,omitempty"`
	// Timeout overrides the dispatcher's per-attempt wait for an answer
	// (Policy.Timeout, Twilio's 5 s by default).
	Timeout time.Duration `json:"-"`
	// Retry asks Send to try again, per the dispatcher's Policy, when an
	// attempt gets no answer (network error, timeout) or a 5xx. Requests
	// whose answer is acted on (pre-events, assignment callbacks) leave it
	// off: Twilio waits for one answer there.
	Retry bool `json:"retry,omitempty"`
	// RetryCountParam names a parameter set to the attempt number minus one
	// on every attempt (Conversations' scoped webhooks send "RetryCount").
	RetryCountParam string `json:"-"`
	// OnResponse, when set, is called with the record of the final attempt,
	// on the delivering goroutine (never under the account lock; use
	// env.Later to act on the answer).
	OnResponse func(Delivery) `json:"-"`
	// Body, when non-nil on a non-GET request, is sent as the raw body
	// instead of the form-encoded Params (Studio's JSON requests). Twilio
	// signs such a request with the bodySHA256 scheme: the URL gets
	// bodySHA256=<hex SHA-256 of Body> and the signature covers that full
	// URL with no parameters, as twilio-go's ValidateBody checks. The log
	// shows it as a string.
	Body []byte `json:"-"`
	// ContentType is the Content-Type of Body; "" means application/json.
	ContentType string `json:"content_type,omitempty"`
	// BasicAuth, when set, adds an HTTP Basic Authorization header (Studio's
	// add_twilio_auth). Never logged.
	BasicAuth *Credentials `json:"-"`
}

// Credentials are an HTTP Basic user and password.
type Credentials struct {
	Username, Password string
}

// plainRequest is Request without its JSON methods.
type plainRequest Request

// requestJSON is how a Request appears in the delivery log: Body as text.
type requestJSON struct {
	plainRequest
	Body string `json:"body,omitempty"`
}

// MarshalJSON shows Body as text rather than base64.
func (r Request) MarshalJSON() ([]byte, error) {
	return json.Marshal(requestJSON{plainRequest: plainRequest(r), Body: string(r.Body)})
}

// UnmarshalJSON reads what MarshalJSON writes (remote delivery logs).
func (r *Request) UnmarshalJSON(b []byte) error {
	var j requestJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Request(j.plainRequest)
	if j.Body != "" {
		r.Body = []byte(j.Body)
	}
	return nil
}

// Delivery is the record of one attempt.
type Delivery struct {
	ID           int64     `json:"id"`
	Request      Request   `json:"request"`
	Attempt      int       `json:"attempt"`      // 1 for the first try
	MaxAttempts  int       `json:"max_attempts"` // attempts this request may get
	WillRetry    bool      `json:"will_retry"`   // another attempt follows this failed one
	Signature    string    `json:"signature"`
	Time         time.Time `json:"time"`
	Status       int       `json:"status"` // 0 when no response arrived
	ResponseBody string    `json:"response_body"`
	// ResponseContentType is the answer's Content-Type header.
	ResponseContentType string `json:"response_content_type,omitempty"`
	// ResponseTruncated reports a body longer than MaxResponse (cut there).
	ResponseTruncated bool    `json:"response_truncated,omitempty"`
	Error             string  `json:"error,omitempty"`
	LatencyMS         float64 `json:"latency_ms"`
}

// OK reports whether the receiver answered 2xx.
func (d Delivery) OK() bool { return d.Status >= 200 && d.Status < 300 }

// retryable reports whether a failed attempt is worth repeating: no answer
// at all (refused, reset, timed out) or a server error. A 4xx is the
// receiver's considered answer and is not retried.
func (d Delivery) retryable() bool { return d.Status == 0 || d.Status >= 500 }

// Policy is how a Dispatcher times out and retries deliveries. Twilio
// documents the 5 s timeout but not its retry policy for Conversations
// webhooks; DefaultPolicy is the emulator's choice (see docs/fidelity.md).
type Policy struct {
	// Timeout bounds each attempt; <= 0 means Timeout (5 s).
	Timeout time.Duration
	// MaxAttempts is the number of tries a Retry request gets, the first
	// included; < 1 means 1 (no retry).
	MaxAttempts int
	// Backoff is the wait before the second attempt, doubled before each
	// further one; 0 retries at once (tests).
	Backoff time.Duration
}

// DefaultPolicy: 5 s per attempt, 3 attempts, waiting 500 ms then 1 s.
func DefaultPolicy() Policy {
	return Policy{Timeout: Timeout, MaxAttempts: 3, Backoff: 500 * time.Millisecond}
}

func (p Policy) normalised() Policy {
	if p.Timeout <= 0 {
		p.Timeout = Timeout
	}
	if p.MaxAttempts < 1 {
		p.MaxAttempts = 1
	}
	if p.Backoff < 0 {
		p.Backoff = 0
	}
	return p
}

// Option configures a Dispatcher.
type Option func(*Dispatcher)

// WithPolicy sets the timeout and retry policy.
func WithPolicy(p Policy) Option { return func(d *Dispatcher) { d.policy = p.normalised() } }

// Dispatcher sends webhooks for one account.
type Dispatcher struct {
	authToken string
	client    *http.Client
	timeline  *timeline.Timeline
	now       func() time.Time

	mu         sync.Mutex
	policy     Policy
	queues     map[string][]Request // per destination URL, FIFO
	nextID     int64
	deliveries []Delivery
	inflight   inflight.Counter
	closed     bool
	stop       chan struct{} // closed by Close: cuts retry waits short
}

// MaxLog bounds the delivery log.
const MaxLog = 10_000

// New returns a dispatcher signing with authToken and logging to tl; now
// stamps deliveries with the account's virtual clock.
func New(authToken string, tl *timeline.Timeline, now func() time.Time, opts ...Option) *Dispatcher {
	d := &Dispatcher{
		authToken: authToken,
		// Each attempt is bounded by a context deadline from the policy.
		client:   &http.Client{},
		timeline: tl,
		now:      now,
		policy:   DefaultPolicy(),
		queues:   map[string][]Request{},
		stop:     make(chan struct{}),
	}
	for _, o := range opts {
		o(d)
	}
	return d
}

// Policy returns the current timeout and retry policy.
func (d *Dispatcher) Policy() Policy {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.policy
}

// SetPolicy changes the timeout and retry policy for attempts made from now
// on; tests set Backoff to 0 and a short Timeout.
func (d *Dispatcher) SetPolicy(p Policy) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.policy = p.normalised()
}

// Send queues req for background delivery and returns at once. Requests to
// the same URL are delivered one after another in the order sent; a request
// with Retry holds its URL's queue until it succeeds or runs out of
// attempts, so a receiver never sees events out of order.
func (d *Dispatcher) Send(req Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	q, running := d.queues[req.URL]
	d.queues[req.URL] = append(q, req)
	if !running {
		d.inflight.Add()
		go d.drain(req.URL)
	}
}

func (d *Dispatcher) drain(dest string) {
	defer d.inflight.Done()
	for {
		d.mu.Lock()
		q := d.queues[dest]
		if len(q) == 0 {
			delete(d.queues, dest)
			d.mu.Unlock()
			return
		}
		req := q[0]
		d.queues[dest] = q[1:]
		d.mu.Unlock()
		del := d.deliver(req)
		if req.OnResponse != nil {
			req.OnResponse(del)
		}
	}
}

// deliver makes every attempt req is entitled to and returns the last one.
func (d *Dispatcher) deliver(req Request) Delivery {
	pol := d.Policy()
	max := 1
	if req.Retry {
		max = pol.MaxAttempts
	}
	wait := pol.Backoff
	for n := 1; ; n++ {
		del := d.attempt(context.Background(), req, n, max, pol.Timeout)
		if !del.WillRetry {
			return del
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-d.stop: // shutting down: try again at once rather than drop the event
				t.Stop()
			}
			wait *= 2
		}
	}
}

// Do delivers req synchronously, once, and returns the delivery record; for
// webhooks whose answer matters (pre-events, assignment callbacks). Call it
// without holding any lock the receiver's handler might need.
func (d *Dispatcher) Do(ctx context.Context, req Request) Delivery {
	return d.attempt(ctx, req, 1, 1, d.Policy().Timeout)
}

// attempt sends attempt n of max, signs it, records it and reports whether
// another attempt will follow.
func (d *Dispatcher) attempt(ctx context.Context, req Request, n, max int, timeout time.Duration) Delivery {
	if req.RetryCountParam != "" {
		p := make(url.Values, len(req.Params)+1)
		for k, v := range req.Params {
			p[k] = v
		}
		p.Set(req.RetryCountParam, strconv.Itoa(n-1))
		req.Params = p
	}
	method := strings.ToUpper(req.Method)
	if method == "" {
		method = http.MethodPost
	}
	target := req.URL
	var body io.Reader
	var signParams url.Values
	if method == http.MethodGet {
		if enc := req.Params.Encode(); enc != "" {
			sep := "?"
			if strings.Contains(target, "?") {
				sep = "&"
			}
			target += sep + enc
		}
	} else if req.Body != nil {
		sum := sha256.Sum256(req.Body)
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + "bodySHA256=" + hex.EncodeToString(sum[:])
		body = bytes.NewReader(req.Body)
	} else {
		body = strings.NewReader(req.Params.Encode())
		signParams = req.Params
	}
	del := Delivery{Request: req, Attempt: n, MaxAttempts: max, Time: d.now(),
		Signature: twilio.Signature(d.authToken, target, signParams)}
	if req.Timeout > 0 {
		timeout = req.Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		del.Error = err.Error()
		return d.record(del) // a malformed URL never gets better: no retry
	}
	switch {
	case body == nil:
	case req.Body == nil:
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	case req.ContentType != "":
		hr.Header.Set("Content-Type", req.ContentType)
	default:
		hr.Header.Set("Content-Type", "application/json")
	}
	if a := req.BasicAuth; a != nil {
		hr.SetBasicAuth(a.Username, a.Password)
	}
	hr.Header.Set("X-Twilio-Signature", del.Signature)
	hr.Header.Set("User-Agent", "TwilioProxy/1.1")
	hr.Header.Set("Accept", "*/*")
	hr.Header.Set("I-Twilio-Idempotency-Token", twilio.NewSID("ID"))
	// Latency is a real network measurement, so it is the one place that
	// reads the wall clock rather than the account's virtual clock.
	start := time.Now()
	resp, err := d.client.Do(hr)
	if err != nil {
		del.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
		del.Error = err.Error()
		if errors.Is(err, context.DeadlineExceeded) {
			del.Error = "no answer within " + timeout.String() + ": " + err.Error()
		}
	} else {
		b, rerr := io.ReadAll(io.LimitReader(resp.Body, MaxResponse+1))
		_ = resp.Body.Close()
		del.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
		del.Status = resp.StatusCode
		if len(b) > MaxResponse {
			b, del.ResponseTruncated = b[:MaxResponse], true
		}
		del.ResponseBody = string(b)
		del.ResponseContentType = resp.Header.Get("Content-Type")
		if rerr != nil {
			del.Error = "reading the answer: " + rerr.Error()
		}
	}
	del.WillRetry = !del.OK() && n < max && del.retryable()
	return d.record(del)
}

func (d *Dispatcher) record(del Delivery) Delivery {
	d.mu.Lock()
	d.nextID++
	del.ID = d.nextID
	d.deliveries = append(d.deliveries, del)
	if len(d.deliveries) > MaxLog {
		d.deliveries = append(d.deliveries[:0:0], d.deliveries[len(d.deliveries)-MaxLog:]...)
	}
	d.mu.Unlock()
	if d.timeline != nil {
		summary := del.Request.Event + " → " + del.Request.URL
		switch {
		case del.Status == 0:
			summary += " failed: " + del.Error
		default:
			summary += " answered " + strconv.Itoa(del.Status) + " " + http.StatusText(del.Status)
		}
		if del.MaxAttempts > 1 {
			summary += " (attempt " + strconv.Itoa(del.Attempt) + " of " + strconv.Itoa(del.MaxAttempts)
			if del.WillRetry {
				summary += ", will retry"
			}
			summary += ")"
		}
		refs := map[string]string{"url": del.Request.URL, "attempt": strconv.Itoa(del.Attempt)}
		for k, v := range del.Request.Refs {
			refs[k] = v
		}
		d.timeline.Append(timeline.Entry{Kind: timeline.KindWebhook, Product: del.Request.Product,
			Type: del.Request.Event, Refs: refs, Summary: summary})
	}
	return del
}

// Deliveries returns a copy of the delivery log.
func (d *Dispatcher) Deliveries() []Delivery {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Delivery(nil), d.deliveries...)
}

// Reset clears the delivery log (queued deliveries still go out).
func (d *Dispatcher) Reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.deliveries = nil
}

// Wait blocks until every queued delivery has been attempted (and its
// OnResponse has run), or ctx ends.
func (d *Dispatcher) Wait(ctx context.Context) error { return d.inflight.Wait(ctx) }

// Close stops accepting new requests and waits for queued ones.
func (d *Dispatcher) Close() {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		close(d.stop)
	}
	d.mu.Unlock()
	_ = d.inflight.Wait(context.Background())
}

// Idle reports whether nothing is queued or being delivered right now.
func (d *Dispatcher) Idle() bool { return d.inflight.Idle() }
