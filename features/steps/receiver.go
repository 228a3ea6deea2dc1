package steps

import (
	"net/http"
	"net/http/httptest"
	"sync"

	twclient "github.com/twilio/twilio-go/client"
)

// Request is one webhook the Receiver got.
type Request struct {
	Method string
	URL    string
	Params map[string]string
	// SignatureValid is twilio-go's RequestValidator verdict on X-Twilio-Signature.
	SignatureValid bool
}

// Receiver is a webhook endpoint on 127.0.0.1 standing in for the user's
// backend: it checks every request's signature exactly as a twilio-go app
// would and keeps what it received. OnRequest, when set, runs for each one.
type Receiver struct {
	srv       *httptest.Server
	validator twclient.RequestValidator

	mu        sync.Mutex
	requests  []Request
	OnRequest func(Request)
	// Answer, when set, chooses the response: status and body (JSON when it
	// starts with "{"). Nil answers 200 with an empty body.
	Answer func(Request) (status int, body string)
	rules  []*answerRule
}

// NewReceiver starts a receiver validating with authToken.
func NewReceiver(authToken string) *Receiver {
	rc := &Receiver{validator: twclient.NewRequestValidator(authToken)}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	return rc
}

// URL is the receiver's base URL.
func (rc *Receiver) URL() string { return rc.srv.URL }

// Close stops the receiver.
func (rc *Receiver) Close() { rc.srv.Close() }

func (rc *Receiver) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	full := "http://" + r.Host + r.URL.RequestURI()
	signed := map[string]string{}
	if r.Method == http.MethodPost {
		for k := range r.PostForm {
			signed[k] = r.PostForm.Get(k)
		}
	}
	params := map[string]string{}
	for k := range r.Form {
		params[k] = r.Form.Get(k)
	}
	req := Request{Method: r.Method, URL: full, Params: params,
		SignatureValid: rc.validator.Validate(full, signed, r.Header.Get("X-Twilio-Signature"))}
	rc.mu.Lock()
	rc.requests = append(rc.requests, req)
	hook, answer := rc.OnRequest, rc.Answer
	rc.mu.Unlock()
	if hook != nil {
		hook(req)
	}
	status, body := http.StatusOK, ""
	if answer != nil {
		status, body = answer(req)
	}
	if len(body) > 0 && body[0] == '{' {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// answerRule is one scripted answer: for EventType event, the first times
// requests (0 = all) get status and body.
type answerRule struct {
	event  string
	times  int
	status int
	body   string
	used   int
}

// Script makes the receiver answer requests for event with status/body,
// for the first times requests (0 means every request).
func (rc *Receiver) Script(event string, times, status int, body string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.rules = append(rc.rules, &answerRule{event: event, times: times, status: status, body: body})
	rc.Answer = func(r Request) (int, string) {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		for _, rule := range rc.rules {
			if rule.event == r.Params["EventType"] && (rule.times == 0 || rule.used < rule.times) {
				rule.used++
				return rule.status, rule.body
			}
		}
		return http.StatusOK, ""
	}
}

// Requests returns what was received so far.
func (rc *Receiver) Requests() []Request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Request(nil), rc.requests...)
}
