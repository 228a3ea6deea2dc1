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

	"github.com/flexemu/flexemu/emulator/cause"
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
	// Cause is what the request is sent on behalf of; Send fills it in from
	// the dispatcher's cause tracker (the work holding the account lock).
	Cause cause.ID `json:"cause,omitempty"`
}

// conversation is the conversation a request concerns, if any: deliveries
// are ordered per URL and conversation, and a REST call about it made while
// the request is out joins the request's cause.
func (r *Request) conversation() string { return r.Refs["conversation_sid"] }

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

// WithCauses stamps requests with the current cause of t and counts them as
// that cause's work in flight until delivered.
func WithCauses(t *cause.Tracker) Option { return func(d *Dispatcher) { d.causes = t } }

// ShutdownGrace is how long Close lets queued and in-flight deliveries
// finish before it abandons them.
const ShutdownGrace = 2 * time.Second

// Dispatcher sends webhooks for one account.
type Dispatcher struct {
	authToken string
	client    *http.Client
	timeline  *timeline.Timeline
	now       func() time.Time

	causes *cause.Tracker

	// ctx is every background attempt's parent; Close cancels it once the
	// grace period is over.
	ctx    context.Context
	cancel context.CancelFunc

	mu         sync.Mutex
	policy     Policy
	queues     map[queueKey][]queued // per destination URL and conversation, FIFO
	active     map[queueKey]*queued  // being delivered
	nextID     int64
	deliveries []Delivery
	logBytes   int
	inflight   inflight.Counter
	closed     bool
	stop       chan struct{} // closed by Close: cuts retry waits short
	giveUp     chan struct{} // closed by Close after the grace: abandon what is left
	abandoned  []Request
	faults     FaultFunc // injected faults (faults.go); nil: none
}

// queueKey orders deliveries: one queue per URL and conversation, so a
// receiver sees one conversation's events in order while a receiver hanging
// on one conversation never delays another's.
type queueKey struct{ url, conversation string }

type queued struct {
	req  Request
	done func() // ends the request's work in flight for its cause
}

// MaxLog bounds the delivery log by count; MaxLogBytes by size (a delivery
// may hold a 64 kB answer).
const (
	MaxLog      = 10_000
	MaxLogBytes = 8 << 20
)

// New returns a dispatcher signing with authToken and logging to tl; now
// stamps deliveries with the account's virtual clock.
func New(authToken string, tl *timeline.Timeline, now func() time.Time, opts ...Option) *Dispatcher {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64 // one receiver usually serves every conversation
	d := &Dispatcher{
		authToken: authToken,
		// Each attempt is bounded by a context deadline from the policy.
		client:   &http.Client{Transport: tr},
		timeline: tl,
		now:      now,
		policy:   DefaultPolicy(),
		queues:   map[queueKey][]queued{},
		active:   map[queueKey]*queued{},
		stop:     make(chan struct{}),
		giveUp:   make(chan struct{}),
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
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
// the same URL about the same conversation are delivered one after another
// in the order sent; a request with Retry holds its queue until it succeeds
// or runs out of attempts, so a receiver never sees a conversation's events
// out of order. Requests to other URLs or about other conversations go in
// parallel.
func (d *Dispatcher) Send(req Request) {
	if req.Cause == 0 && d.causes != nil {
		req.Cause = d.causes.Current()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		d.abandoned = append(d.abandoned, req)
		return
	}
	item := queued{req: req, done: func() {}}
	if d.causes != nil {
		item.done = d.causes.Begin(req.Cause)
	}
	key := queueKey{req.URL, req.conversation()}
	q, running := d.queues[key]
	d.queues[key] = append(q, item)
	if !running {
		d.inflight.Add()
		go d.drain(key)
	}
}

func (d *Dispatcher) drain(key queueKey) {
	defer d.inflight.Done()
	for {
		d.mu.Lock()
		q := d.queues[key]
		if len(q) == 0 {
			delete(d.queues, key)
			delete(d.active, key)
			d.mu.Unlock()
			return
		}
		item := q[0]
		q[0] = queued{}
		d.queues[key] = q[1:]
		select {
		case <-d.giveUp:
			d.abandoned = append(d.abandoned, item.req)
			d.mu.Unlock()
			item.done()
			continue
		default:
		}
		d.active[key] = &item
		d.mu.Unlock()
		release := func() {}
		if d.causes != nil {
			release = d.causes.Hold(item.req.Cause, item.req.conversation())
		}
		del := d.deliver(item.req)
		release()
		if !del.OK() {
			select {
			case <-d.giveUp:
				d.mu.Lock()
				d.abandoned = append(d.abandoned, item.req)
				d.mu.Unlock()
			default:
			}
		}
		if item.req.OnResponse != nil {
			item.req.OnResponse(del)
		}
		item.done()
	}
}

// Pending returns the requests caused by id that are queued or being
// delivered: what a trace reports as still on its way.
func (d *Dispatcher) Pending(id cause.ID) []Request {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Request
	for key, q := range d.queues {
		if a := d.active[key]; a != nil && a.req.Cause == id {
			out = append(out, a.req)
		}
		for _, it := range q {
			if it.req.Cause == id {
				out = append(out, it.req)
			}
		}
	}
	return out
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
		del := d.attempt(d.ctx, req, n, max, pol.Timeout)
		if !del.WillRetry {
			return del
		}
		select {
		case <-d.giveUp:
			return del
		default:
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-d.stop: // shutting down: try again at once, within the grace
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
	switch f := d.fault(req); f.Mode {
	case FaultFail:
		del.Status, del.ResponseBody = f.Status, f.Body
		del.WillRetry = !del.OK() && n < max && del.retryable()
		return d.record(del)
	case FaultTimeout:
		del.LatencyMS = float64(timeout.Microseconds()) / 1000
		del.Error = timeoutError(method, hr.URL.String(), timeout)
		del.WillRetry = n < max
		return d.record(del)
	case FaultSlow:
		sleepCtx(ctx, f.Delay) // a delay past the timeout leaves ctx expired: Do below times out
	}
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
	d.logBytes += del.size()
	if len(d.deliveries) > MaxLog+MaxLog/8 || d.logBytes > MaxLogBytes+MaxLogBytes/8 {
		drop := 0
		for drop < len(d.deliveries)-1 && (len(d.deliveries)-drop > MaxLog || d.logBytes > MaxLogBytes) {
			d.logBytes -= d.deliveries[drop].size()
			drop++
		}
		d.deliveries = append(d.deliveries[:0:0], d.deliveries[drop:]...)
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
			Type: del.Request.Event, Refs: refs, Summary: summary, Cause: del.Request.Cause})
	}
	return del
}

// Deliveries returns a copy of the delivery log.
func (d *Dispatcher) Deliveries() []Delivery {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Delivery(nil), d.deliveries...)
}

// size approximates a delivery's memory for the log's byte bound.
func (del *Delivery) size() int {
	n := 400 + len(del.Request.URL) + len(del.Request.Body) + len(del.ResponseBody) + len(del.Error) + len(del.Signature)
	for k, vs := range del.Request.Params {
		n += 32 + len(k)
		for _, v := range vs {
			n += 16 + len(v)
		}
	}
	return n
}

// Reset clears the delivery log (queued deliveries still go out).
func (d *Dispatcher) Reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.deliveries = nil
	d.logBytes = 0
}

// Wait blocks until every queued delivery has been attempted (and its
// OnResponse has run), or ctx ends.
func (d *Dispatcher) Wait(ctx context.Context) error { return d.inflight.Wait(ctx) }

// Close stops accepting new requests, lets queued and in-flight deliveries
// finish (retrying at once rather than after a backoff) for up to grace,
// then cancels what is in flight and abandons what is queued, and returns
// every request that was not delivered. A hanging receiver therefore holds
// shutdown up for grace plus a moment, never for its backlog.
func (d *Dispatcher) Close(grace time.Duration) (abandoned []Request) {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		close(d.stop)
	}
	d.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	err := d.inflight.Wait(ctx)
	cancel()
	if err != nil {
		d.mu.Lock()
		select {
		case <-d.giveUp:
		default:
			close(d.giveUp)
		}
		d.mu.Unlock()
		d.cancel()
		// Cancelled attempts return at once; OnResponse callbacks are quick.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = d.inflight.Wait(ctx)
		cancel()
	}
	d.cancel()
	d.mu.Lock()
	defer d.mu.Unlock()
	abandoned, d.abandoned = d.abandoned, nil
	return abandoned
}

// Idle reports whether nothing is queued or being delivered right now.
func (d *Dispatcher) Idle() bool { return d.inflight.Idle() }
