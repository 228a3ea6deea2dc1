package conversations

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/twilio/twilio-go/client"

	"github.com/flexemu/flexemu/emulator/env"
	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/emulator/webhook"
)

const (
	waProxy    = "whatsapp:+14155238886"
	waCustomer = "whatsapp:+15005550006"
	smsProxy   = "+14155238886"
	smsCust    = "+15005550006"
)

func newTestEngine(t *testing.T) (*Engine, env.Env) {
	t.Helper()
	ev, _ := env.ForTest()
	t.Cleanup(func() { ev.Webhooks.Close(webhook.ShutdownGrace) })
	return New(ev), ev
}

func ptr[T any](v T) *T { return &v }

// mustAddress creates an address configuration or fails the test.
func mustAddress(t *testing.T, e *Engine, p CreateAddressConfigurationParams) *AddressConfiguration {
	t.Helper()
	a, err := e.CreateAddressConfiguration(p)
	if err != nil {
		t.Fatalf("CreateAddressConfiguration(%+v): %v", p, err)
	}
	return a
}

func defaultAutoCreation() AutoCreationParams {
	return AutoCreationParams{Enabled: ptr(true), Type: ptr("default")}
}

// errCode extracts the Twilio code and HTTP status of err (0, 0 for nil).
func errCode(t *testing.T, err error) (code, status int) {
	t.Helper()
	if err == nil {
		return 0, 0
	}
	var te *twilio.Error
	if !errors.As(err, &te) {
		t.Fatalf("error %v is not a *twilio.Error", err)
	}
	return te.Code, te.Status
}

// hook is one webhook request a receiver got.
type hook struct {
	Path, Method string
	Params       map[string]string
	SignatureOK  bool
}

// receiver is an httptest server recording webhooks and checking
// X-Twilio-Signature the way a customer's twilio-go backend would.
type receiver struct {
	*httptest.Server
	mu  sync.Mutex
	got []hook
}

func newReceiver(t *testing.T, authToken string) *receiver {
	t.Helper()
	rc := &receiver{}
	validator := client.NewRequestValidator(authToken)
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// A POST signs its form; a GET's parameters are in the signed URL.
		signed := map[string]string{}
		for k, v := range r.PostForm {
			signed[k] = v[0]
		}
		ok := validator.Validate(rc.URL+r.URL.RequestURI(), signed, r.Header.Get("X-Twilio-Signature"))
		params := map[string]string{}
		for k, v := range r.Form {
			params[k] = v[0]
		}
		rc.mu.Lock()
		rc.got = append(rc.got, hook{Path: r.URL.Path, Method: r.Method, Params: params, SignatureOK: ok})
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.Close)
	return rc
}

// at returns the hooks received on path, in arrival order.
func (rc *receiver) at(path string) []hook {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []hook
	for _, h := range rc.got {
		if h.Path == path {
			out = append(out, h)
		}
	}
	return out
}

func eventTypes(hs []hook) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Params["EventType"]
	}
	return out
}

func keys(m map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

func setOf(names ...string) map[string]bool {
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	return out
}

func encodeQuery(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}
