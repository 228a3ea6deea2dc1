package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// traceBuffers recycles the buffers inbound traces are encoded into (a
// chain's trace is ~12 KB), so a busy control API does not hand the
// garbage collector one per message.
var traceBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// putTraceBuffer returns buf to the pool unless an unusually long trace
// grew it past what is worth keeping.
func putTraceBuffer(buf *[]byte) {
	if cap(*buf) <= 256<<10 {
		traceBuffers.Put(buf)
	}
}

// maxAdvance bounds one clock advance: far beyond any timer a flow sets.
const maxAdvance = 10 * 365 * 24 * time.Hour

// controlRoute is one route of the control API, below ControlPrefix. An
// account route acts on one account: the primary one at ControlPrefix+path,
// any account at ControlPrefix+"/accounts/{AccountSid}"+path. An emulator
// route acts on the whole emulator (health, accounts, snapshots).
type controlRoute struct {
	method, path string
	account      func(e *Emulator, a *Account, w http.ResponseWriter, r *http.Request)
	emulator     func(e *Emulator, w http.ResponseWriter, r *http.Request)
}

// coreControl is the control API proper: customer messages, time, the
// timeline and webhook log, resets and agent replies.
var coreControl = []controlRoute{
	{method: "GET", path: "/health", emulator: (*Emulator).controlHealth},
	{method: "GET", path: "/info", account: (*Emulator).controlInfo},
	{method: "POST", path: "/inbound", account: (*Emulator).controlInbound},
	{method: "POST", path: "/reset", account: (*Emulator).controlReset},
	{method: "GET", path: "/timeline", account: (*Emulator).controlTimeline},
	{method: "GET", path: "/stream", account: (*Emulator).serveStream},
	{method: "POST", path: "/tokens", account: (*Emulator).serveToken},
	{method: "GET", path: "/clock", account: (*Emulator).controlClock},
	{method: "POST", path: "/clock/advance", account: (*Emulator).controlAdvance},
	{method: "GET", path: "/conversations/{ConversationSid}/messages", account: (*Emulator).controlMessages},
	{method: "POST", path: "/conversations/{ConversationSid}/messages", account: (*Emulator).controlReply},
	{method: "POST", path: "/settle", account: (*Emulator).controlSettle},
	{method: "GET", path: "/webhooks", account: (*Emulator).controlWebhooks},
}

// controlTables are every control route, by topic.
func controlTables() [][]controlRoute {
	return [][]controlRoute{coreControl, consoleControl, faultControl, accountControl, snapshotControl}
}

// controlRoutes serves the control API. It is not authenticated: it exists
// for a developer's own machine and CI, binds to loopback by default, and
// the server lets only same-origin requests reach it.
func (e *Emulator) controlRoutes() http.Handler {
	mux := http.NewServeMux()
	for _, table := range controlTables() {
		for _, rt := range table {
			rt := rt
			if rt.emulator != nil {
				mux.HandleFunc(rt.method+" "+ControlPrefix+rt.path, func(w http.ResponseWriter, r *http.Request) { rt.emulator(e, w, r) })
				continue
			}
			mux.HandleFunc(rt.method+" "+ControlPrefix+rt.path, func(w http.ResponseWriter, r *http.Request) { rt.account(e, e.primary, w, r) })
			mux.HandleFunc(rt.method+" "+AccountPrefix+"{AccountSid}"+rt.path, func(w http.ResponseWriter, r *http.Request) {
				a, ok := e.lookupAccount(r.PathValue("AccountSid"))
				if !ok {
					twilio.WriteError(w, twilio.NewError(http.StatusNotFound, twilio.CodeNotFound,
						"The requested resource %s was not found: no account %s in this emulator", r.URL.Path, r.PathValue("AccountSid")))
					return
				}
				rt.account(e, a, w, r)
			})
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			twilio.WriteError(w, twilio.NotFound(r.URL.Path))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (e *Emulator) controlHealth(w http.ResponseWriter, r *http.Request) {
	twilio.WriteJSON(w, http.StatusOK, map[string]any{"status": "ok", "account_sid": e.primary.SID})
}

func (e *Emulator) controlInfo(a *Account, w http.ResponseWriter, r *http.Request) {
	twilio.WriteJSON(w, http.StatusOK, e.accountInfo(a, baseURL(r)))
}

func (e *Emulator) controlInbound(a *Account, w http.ResponseWriter, r *http.Request) {
	var in InboundParams
	if err := decodeControl(r, &in, map[string]*string{"from": &in.From, "to": &in.To, "body": &in.Body,
		"channel": &in.Channel, "pre_engagement_data": &in.PreEngagementData}); err != nil {
		twilio.WriteError(w, err)
		return
	}
	if strings.TrimSpace(in.Body) == "" {
		twilio.WriteError(w, twilio.MissingParam("body"))
		return
	}
	if in.Channel != "" && in.Channel != ChannelWebchat {
		twilio.WriteError(w, twilio.InvalidParam("channel", "%q is not webchat (messaging channels follow from the addresses)", in.Channel))
		return
	}
	buf := traceBuffers.Get().(*[]byte)
	defer putTraceBuffer(buf)
	body, err := a.inboundJSON(r.Context(), in, (*buf)[:0])
	if err != nil {
		twilio.WriteError(w, err)
		return
	}
	body = append(body, '\n')
	*buf = body
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(body)
}

func (e *Emulator) controlReset(a *Account, w http.ResponseWriter, r *http.Request) {
	if err := a.Reset(); err != nil {
		twilio.WriteError(w, err)
		return
	}
	twilio.WriteJSON(w, http.StatusOK, map[string]any{"status": "reset", "now": twilio.Time(a.Now())})
}

func (e *Emulator) controlTimeline(a *Account, w http.ResponseWriter, r *http.Request) {
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	entries := a.timeline.Since(after)
	twilio.WriteJSON(w, http.StatusOK, map[string]any{"entries": entries, "last": a.timeline.Last()})
}

func (e *Emulator) controlClock(a *Account, w http.ResponseWriter, r *http.Request) {
	twilio.WriteJSON(w, http.StatusOK, clockView(a))
}

func (e *Emulator) controlAdvance(a *Account, w http.ResponseWriter, r *http.Request) {
	var in struct {
		Seconds  float64 `json:"seconds"`
		Duration string  `json:"duration"`
	}
	var secs, dur string
	if err := decodeControl(r, &in, map[string]*string{"seconds": &secs, "duration": &dur}); err != nil {
		twilio.WriteError(w, err)
		return
	}
	if secs != "" {
		f, err := strconv.ParseFloat(secs, 64)
		if err != nil {
			twilio.WriteError(w, twilio.InvalidParam("seconds", "%q is not a number", secs))
			return
		}
		in.Seconds = f
	}
	// Checked before converting: a huge float would wrap a Duration.
	if !(in.Seconds <= maxAdvance.Seconds()) {
		twilio.WriteError(w, twilio.InvalidParam("seconds", "%v is more than the maximum advance of %.0f seconds (10 years)", in.Seconds, maxAdvance.Seconds()))
		return
	}
	d := time.Duration(in.Seconds * float64(time.Second))
	if dur != "" {
		in.Duration = dur
	}
	if in.Duration != "" {
		parsed, err := time.ParseDuration(in.Duration)
		if err != nil {
			if iso, isoErr := twilio.ParseISODuration(in.Duration); isoErr == nil {
				parsed, err = iso, nil
			}
		}
		if err != nil {
			twilio.WriteError(w, twilio.InvalidParam("duration", "%q is not a duration like 30s or PT30S", in.Duration))
			return
		}
		if parsed > maxAdvance {
			twilio.WriteError(w, twilio.InvalidParam("duration", "%q is more than the maximum advance of 10 years", in.Duration))
			return
		}
		d = parsed
	}
	if d <= 0 {
		twilio.WriteError(w, twilio.BadRequest("advance needs a positive seconds or duration"))
		return
	}
	a.Advance(d)
	twilio.WriteJSON(w, http.StatusOK, clockView(a))
}

func (e *Emulator) controlMessages(a *Account, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after := -1
	if v := q.Get("after"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			twilio.WriteError(w, twilio.InvalidParam("after", "%q is not a message index", v))
			return
		}
		after = n
	}
	var wait time.Duration
	if v := q.Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > 10*time.Minute {
			twilio.WriteError(w, twilio.InvalidParam("wait", "%q is not a duration between 0s and 10m", v))
			return
		}
		wait = d
	}
	msgs, err := a.Messages(r.Context(), r.PathValue("ConversationSid"), after, wait)
	if err != nil {
		twilio.WriteError(w, err)
		return
	}
	twilio.WriteJSON(w, http.StatusOK, map[string]any{"messages": msgs})
}

func (e *Emulator) controlReply(a *Account, w http.ResponseWriter, r *http.Request) {
	var in struct {
		Author string `json:"author"`
		Body   string `json:"body"`
	}
	if err := decodeControl(r, &in, map[string]*string{"author": &in.Author, "body": &in.Body}); err != nil {
		twilio.WriteError(w, err)
		return
	}
	m, err := a.AgentReply(r.Context(), r.PathValue("ConversationSid"), in.Author, in.Body)
	if err != nil {
		twilio.WriteError(w, err)
		return
	}
	twilio.WriteJSON(w, http.StatusCreated, m)
}

func (e *Emulator) controlSettle(a *Account, w http.ResponseWriter, r *http.Request) {
	a.Settle(r.Context(), WebhookWait)
	twilio.WriteJSON(w, http.StatusOK, map[string]any{"last": a.timeline.Last()})
}

func (e *Emulator) controlWebhooks(a *Account, w http.ResponseWriter, r *http.Request) {
	twilio.WriteJSON(w, http.StatusOK, map[string]any{"deliveries": a.webhooks.Deliveries()})
}

// Info describes the emulator's primary account as reached at base.
func (e *Emulator) Info(base string) Info { return e.accountInfo(e.primary, base) }

// accountInfo describes account a of the emulator as reached at base.
func (e *Emulator) accountInfo(a *Account, base string) Info {
	var setup Setup
	_ = a.locked(0, func(en *Engines) error {
		setup = en.Setup
		return nil
	})
	info := Info{URL: base, AccountSID: a.SID, AuthToken: a.AuthToken, Fixture: a.fixture.Name,
		ClockMode: string(a.clock.Mode()), Now: twilio.Time(a.Now()),
		Addresses: setup.Addresses, Customers: setup.Customers, Workspace: setup.Workspace, APIKeys: []APIKey{}}
	for _, k := range a.fixture.APIKeys {
		info.APIKeys = append(info.APIKeys, APIKey{SID: k.SID, Secret: k.Secret})
	}
	return info
}

func clockView(a *Account) map[string]any {
	c := a.clock
	v := map[string]any{"now": twilio.Time(c.Now()), "mode": c.Mode(), "pending_timers": c.Pending()}
	if next, ok := c.NextDeadline(); ok {
		v["next_deadline"] = twilio.Time(next)
	}
	return v
}

// decodeControl reads a JSON body into v, or a form body into the named strings.
func decodeControl(r *http.Request, v any, form map[string]*string) error {
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "application/json") {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return twilio.BadRequest("could not read body: %v", err)
		}
		if len(strings.TrimSpace(string(body))) == 0 {
			return nil
		}
		if err := json.Unmarshal(body, v); err != nil {
			return twilio.BadRequest("body is not valid JSON: %v", err)
		}
		return nil
	}
	f, err := twilio.DecodeForm(r)
	if err != nil {
		return err
	}
	for name, dst := range form {
		if val, ok := f.String(name); ok {
			*dst = val
		}
	}
	return nil
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
