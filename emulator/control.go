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

// ControlPrefix is where the emulator's own API lives (JSON in and out).
const ControlPrefix = "/emulator/v1"

// Info describes a running emulator: what `emulator up` prints and what
// `send` reads to pick its defaults.
type Info struct {
	URL        string            `json:"url"`
	AccountSID string            `json:"account_sid"`
	AuthToken  string            `json:"auth_token"`
	Fixture    string            `json:"fixture"`
	ClockMode  string            `json:"clock_mode"`
	Now        string            `json:"now"`
	Addresses  []SetupAddress    `json:"addresses"`
	Customers  map[string]string `json:"customers"`
	Workspace  *SetupWorkspace   `json:"workspace,omitempty"`
	// APIKeys are the fixture's API keys (SID and secret), for minting
	// Access Tokens the way a token server does.
	APIKeys []APIKey `json:"api_keys"`
}

// APIKey is an API key that signs Access Tokens.
type APIKey struct {
	SID    string `json:"sid"`
	Secret string `json:"secret"`
}

// controlRoutes serves the control API. It is not authenticated: it exists
// for a developer's own machine and CI, and binds to loopback by default.
func (e *Emulator) controlRoutes() http.Handler {
	mux := http.NewServeMux()
	p := ControlPrefix
	mux.HandleFunc("GET "+p+"/health", func(w http.ResponseWriter, r *http.Request) {
		twilio.WriteJSON(w, http.StatusOK, map[string]any{"status": "ok", "account_sid": e.primary.SID})
	})
	mux.HandleFunc("GET "+p+"/info", func(w http.ResponseWriter, r *http.Request) {
		twilio.WriteJSON(w, http.StatusOK, e.Info(baseURL(r)))
	})
	mux.HandleFunc("POST "+p+"/inbound", func(w http.ResponseWriter, r *http.Request) {
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
		body, err := e.primary.inboundJSON(r.Context(), in, (*buf)[:0])
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
	})
	mux.HandleFunc("POST "+p+"/reset", func(w http.ResponseWriter, r *http.Request) {
		if err := e.primary.Reset(); err != nil {
			twilio.WriteError(w, err)
			return
		}
		twilio.WriteJSON(w, http.StatusOK, map[string]any{"status": "reset", "now": twilio.Time(e.primary.Now())})
	})
	mux.HandleFunc("GET "+p+"/timeline", func(w http.ResponseWriter, r *http.Request) {
		after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
		entries := e.primary.timeline.Since(after)
		twilio.WriteJSON(w, http.StatusOK, map[string]any{"entries": entries, "last": e.primary.timeline.Last()})
	})
	mux.HandleFunc("GET "+p+"/stream", e.serveStream)
	mux.HandleFunc("POST "+p+"/tokens", e.serveToken)
	mux.HandleFunc("GET "+p+"/clock", func(w http.ResponseWriter, r *http.Request) {
		twilio.WriteJSON(w, http.StatusOK, e.clockView())
	})
	mux.HandleFunc("POST "+p+"/clock/advance", func(w http.ResponseWriter, r *http.Request) {
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
		e.primary.Advance(d)
		twilio.WriteJSON(w, http.StatusOK, e.clockView())
	})
	mux.HandleFunc("GET "+p+"/conversations/{ConversationSid}/messages", func(w http.ResponseWriter, r *http.Request) {
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
		msgs, err := e.primary.Messages(r.Context(), r.PathValue("ConversationSid"), after, wait)
		if err != nil {
			twilio.WriteError(w, err)
			return
		}
		twilio.WriteJSON(w, http.StatusOK, map[string]any{"messages": msgs})
	})
	mux.HandleFunc("POST "+p+"/conversations/{ConversationSid}/messages", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Author string `json:"author"`
			Body   string `json:"body"`
		}
		if err := decodeControl(r, &in, map[string]*string{"author": &in.Author, "body": &in.Body}); err != nil {
			twilio.WriteError(w, err)
			return
		}
		m, err := e.primary.AgentReply(r.Context(), r.PathValue("ConversationSid"), in.Author, in.Body)
		if err != nil {
			twilio.WriteError(w, err)
			return
		}
		twilio.WriteJSON(w, http.StatusCreated, m)
	})
	mux.HandleFunc("POST "+p+"/settle", func(w http.ResponseWriter, r *http.Request) {
		e.primary.Settle(r.Context(), WebhookWait)
		twilio.WriteJSON(w, http.StatusOK, map[string]any{"last": e.primary.timeline.Last()})
	})
	mux.HandleFunc("GET "+p+"/webhooks", func(w http.ResponseWriter, r *http.Request) {
		twilio.WriteJSON(w, http.StatusOK, map[string]any{"deliveries": e.primary.webhooks.Deliveries()})
	})
	e.consoleRoutes(mux, p)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			twilio.WriteError(w, twilio.NotFound(r.URL.Path))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// Info describes the emulator as reached at base.
func (e *Emulator) Info(base string) Info {
	a := e.primary
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

func (e *Emulator) clockView() map[string]any {
	c := e.primary.clock
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
