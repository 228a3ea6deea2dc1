// Package webhook delivers the emulator's outbound HTTP requests to the
// user's URLs: signed with X-Twilio-Signature, off the account lock, in order
// per destination URL, and recorded in a delivery log and the timeline.
package webhook

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/flexemu/flexemu/emulator/internal/inflight"
	"github.com/flexemu/flexemu/emulator/timeline"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// Timeout is how long Twilio waits for a webhook response.
const Timeout = 5 * time.Second

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
	// Timeout overrides the default 5 s wait for an answer.
	Timeout time.Duration `json:"-"`
	// OnResponse, when set, is called with the delivery record after the
	// attempt, on the delivering goroutine (never under the account lock;
	// use env.Later to act on the answer).
	OnResponse func(Delivery) `json:"-"`
}

// Delivery is the record of one attempt.
type Delivery struct {
	ID           int64     `json:"id"`
	Request      Request   `json:"request"`
	Attempt      int       `json:"attempt"`
	Signature    string    `json:"signature"`
	Time         time.Time `json:"time"`
	Status       int       `json:"status"` // 0 when no response arrived
	ResponseBody string    `json:"response_body"`
	Error        string    `json:"error,omitempty"`
	LatencyMS    float64   `json:"latency_ms"`
}

// OK reports whether the receiver answered 2xx.
func (d Delivery) OK() bool { return d.Status >= 200 && d.Status < 300 }

// Dispatcher sends webhooks for one account.
type Dispatcher struct {
	authToken string
	client    *http.Client
	timeline  *timeline.Timeline
	now       func() time.Time

	mu         sync.Mutex
	queues     map[string][]Request // per destination URL, FIFO
	nextID     int64
	deliveries []Delivery
	inflight   inflight.Counter
	closed     bool
}

// MaxLog bounds the delivery log.
const MaxLog = 10_000

// New returns a dispatcher signing with authToken and logging to tl; now
// stamps deliveries with the account's virtual clock.
func New(authToken string, tl *timeline.Timeline, now func() time.Time) *Dispatcher {
	return &Dispatcher{
		authToken: authToken,
		client:    &http.Client{Timeout: Timeout},
		timeline:  tl,
		now:       now,
		queues:    map[string][]Request{},
	}
}

// Send queues req for background delivery and returns at once. Requests to
// the same URL are delivered one after another in the order sent.
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
		del := d.Do(context.Background(), req)
		if req.OnResponse != nil {
			req.OnResponse(del)
		}
	}
}

// Do delivers req synchronously and returns the delivery record; for
// webhooks whose answer matters (pre-events, assignment callbacks).
func (d *Dispatcher) Do(ctx context.Context, req Request) Delivery {
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
	} else {
		body = strings.NewReader(req.Params.Encode())
		signParams = req.Params
	}
	del := Delivery{Request: req, Attempt: 1, Time: d.now(),
		Signature: twilio.Signature(d.authToken, target, signParams)}
	if req.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, req.Timeout)
		defer cancel()
	}
	hr, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		del.Error = err.Error()
		return d.record(del)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	}
	hr.Header.Set("X-Twilio-Signature", del.Signature)
	hr.Header.Set("User-Agent", "TwilioProxy/1.1")
	hr.Header.Set("Accept", "*/*")
	hr.Header.Set("I-Twilio-Idempotency-Token", twilio.NewSID("ID"))
	// Latency is a real network measurement, so it is the one place that
	// reads the wall clock rather than the account's virtual clock.
	start := time.Now()
	resp, err := d.client.Do(hr)
	del.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		del.Error = err.Error()
		return d.record(del)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	del.Status = resp.StatusCode
	del.ResponseBody = string(b)
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
		if del.Error != "" {
			summary += " failed: " + del.Error
		} else {
			summary += " answered " + http.StatusText(del.Status)
		}
		refs := map[string]string{"url": del.Request.URL}
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
	d.closed = true
	d.mu.Unlock()
	_ = d.inflight.Wait(context.Background())
}

// Idle reports whether nothing is queued or being delivered right now.
func (d *Dispatcher) Idle() bool { return d.inflight.Idle() }
