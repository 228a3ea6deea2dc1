package emulator

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/flexemu/flexemu/emulator/controlapi"
	"github.com/flexemu/flexemu/emulator/fixture"
	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/emulator/webhook"
)

// FaultSpec declares an injected fault (controlapi.FaultSpec).
type FaultSpec = controlapi.FaultSpec

// Fault is a declared fault and how often it struck (controlapi.Fault).
type Fault = controlapi.Fault

// Fault kinds.
const (
	FaultRoute   = controlapi.FaultRoute
	FaultWebhook = controlapi.FaultWebhook
)

// MaxFaultDelay bounds an injected delay.
const MaxFaultDelay = webhook.MaxFaultDelay

// maxFaults bounds one account's declared faults.
const maxFaults = 1000

// fault is a declared fault, compiled for matching.
type fault struct {
	Fault
	delay   time.Duration
	segs    []string // route path pattern, split at "/"
	wantURL string   // webhook URL pattern
}

// faultSet is an account's faults, in declaration order: the first active
// match takes a call. Its own mutex guards it, so matching never needs the
// account lock.
type faultSet struct {
	mu     sync.Mutex
	faults []*fault
}

// compileFault validates spec and returns the fault it declares, or
// Twilio's 400 (code 20001) naming the offending field.
func compileFault(spec FaultSpec) (*fault, error) {
	f := &fault{Fault: Fault{FaultSpec: spec}}
	s := &f.FaultSpec
	if s.Times < 0 {
		return nil, twilio.InvalidParam("times", "%d is negative (0 means until removed)", s.Times)
	}
	if s.Delay != "" {
		d, err := parseFaultDelay(s.Delay)
		if err != nil {
			return nil, err
		}
		f.delay = d
	}
	switch {
	case s.Path != "" && s.URL != "":
		return nil, twilio.BadRequest("a fault has either a path (an API route) or a url (a webhook target), not both")
	case s.Path != "":
		f.Kind = FaultRoute
		return f, f.compileRoute()
	case s.URL != "":
		f.Kind = FaultWebhook
		return f, f.compileWebhook()
	}
	return nil, twilio.BadRequest("a fault needs a path (an API route such as /v1/Workspaces/*/Tasks) or a url (a webhook target)")
}

func parseFaultDelay(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		iso, isoErr := twilio.ParseISODuration(v)
		if isoErr != nil {
			return 0, twilio.InvalidParam("delay", "%q is not a duration like 2s or PT2S", v)
		}
		d = iso
	}
	if d <= 0 || d > MaxFaultDelay {
		return 0, twilio.InvalidParam("delay", "%q is not between 0s and %s", v, MaxFaultDelay)
	}
	return d, nil
}

func (f *fault) compileRoute() error {
	s := &f.FaultSpec
	if s.Mode != "" || s.Body != "" {
		return twilio.BadRequest("mode and body are for webhook faults (url); a route fault takes status, code, message and delay")
	}
	s.Product = strings.ToLower(s.Product)
	if s.Product != "" && productByPrefix(s.Product) == nil {
		return twilio.InvalidParam("product", "%q is not a product flexemu serves (%s)", s.Product, productPrefixes())
	}
	path := s.Path
	if rest, ok := cutScheme(path); ok {
		host, p, _ := strings.Cut(rest, "/")
		pr := productByHost(strings.ToLower(host))
		if pr == nil {
			return twilio.InvalidParam("path", "%q is not the host of a product flexemu serves", host)
		}
		if err := f.setProduct(pr.Prefix); err != nil {
			return err
		}
		path = "/" + p
	}
	if !strings.HasPrefix(path, "/") {
		return twilio.InvalidParam("path", "%q does not start with / (e.g. /v1/Workspaces/*/Tasks)", s.Path)
	}
	path, _, _ = strings.Cut(path, "?")
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if pr := productByPrefix(segs[0]); pr != nil && len(segs) > 1 {
		if err := f.setProduct(pr.Prefix); err != nil {
			return err
		}
		segs = segs[1:]
	}
	for i, seg := range segs {
		if seg == "" {
			return twilio.InvalidParam("path", "%q has an empty segment", s.Path)
		}
		if seg == "**" && i != len(segs)-1 {
			return twilio.InvalidParam("path", "%q: ** may only be the last segment", s.Path)
		}
		if seg != "*" && seg != "**" && strings.Contains(seg, "*") {
			return twilio.InvalidParam("path", "%q: * stands for a whole segment (/Tasks/*), not part of one", s.Path)
		}
	}
	f.segs = segs
	s.Method = strings.ToUpper(s.Method)
	switch s.Method {
	case "", "*", http.MethodGet, http.MethodPost, http.MethodDelete, http.MethodPut, http.MethodPatch:
	default:
		return twilio.InvalidParam("method", "%q is not GET, POST, DELETE, PUT, PATCH or * (any)", s.Method)
	}
	if s.Method == "*" {
		s.Method = ""
	}
	if s.Status == 0 && s.Code >= 20400 && s.Code <= 20599 {
		s.Status = s.Code - 20000
	}
	if s.Code == 0 && s.Status != 0 {
		s.Code = 20000 + s.Status
	}
	switch {
	case s.Status == 0 && s.Code != 0:
		return twilio.MissingParam("status (the HTTP status to answer Twilio error " + strconv.Itoa(s.Code) + " with)")
	case s.Status == 0 && f.delay == 0:
		return twilio.BadRequest("a route fault needs a status (and code) to answer, a delay, or both")
	case s.Status != 0 && (s.Status < 400 || s.Status > 599):
		return twilio.InvalidParam("status", "%d is not an HTTP error status (400-599)", s.Status)
	case s.Code < 0 || s.Code > 99999:
		return twilio.InvalidParam("code", "%d is not a Twilio error code", s.Code)
	}
	if s.Status != 0 && s.Message == "" {
		s.Message = http.StatusText(s.Status)
	}
	if s.Status == 0 && s.Message != "" {
		return twilio.BadRequest("message goes with a status: a delay-only fault answers what the API answers")
	}
	return nil
}

// setProduct sets the product a path names, which must agree with an
// explicit product.
func (f *fault) setProduct(p string) error {
	if f.Product != "" && f.Product != p {
		return twilio.InvalidParam("product", "%q, but the path is %s's", f.Product, p)
	}
	f.Product = p
	return nil
}

func (f *fault) compileWebhook() error {
	s := &f.FaultSpec
	if s.Method != "" || s.Product != "" || s.Code != 0 || s.Message != "" {
		return twilio.BadRequest("method, product, code and message are for route faults (path); a webhook fault takes mode, status, body, delay and times")
	}
	if _, ok := cutScheme(s.URL); !ok {
		return twilio.InvalidParam("url", "%q is not an http(s) URL pattern such as http://localhost:3000/*", s.URL)
	}
	f.wantURL, _, _ = strings.Cut(s.URL, "?")
	s.Mode = strings.ToLower(s.Mode)
	switch webhook.FaultMode(s.Mode) {
	case webhook.FaultFail:
		if s.Status == 0 {
			s.Status = http.StatusInternalServerError
		}
		if s.Status < 300 || s.Status > 599 {
			return twilio.InvalidParam("status", "%d is not a failing HTTP status (300-599)", s.Status)
		}
		if f.delay != 0 {
			return twilio.BadRequest("delay goes with mode slow (a failing target answers at once)")
		}
	case webhook.FaultTimeout:
		if s.Status != 0 || s.Body != "" || f.delay != 0 {
			return twilio.BadRequest("mode timeout takes no status, body or delay: the target never answers")
		}
	case webhook.FaultSlow:
		if f.delay == 0 {
			return twilio.MissingParam("delay (how much mode slow delays each delivery)")
		}
		if s.Status != 0 || s.Body != "" {
			return twilio.BadRequest("mode slow takes no status or body: the target's own answer arrives late")
		}
	case "":
		return twilio.MissingParam("mode (fail, timeout or slow)")
	default:
		return twilio.InvalidParam("mode", "%q is not fail, timeout or slow", s.Mode)
	}
	return nil
}

func cutScheme(s string) (string, bool) {
	for _, scheme := range []string{"https://", "http://"} {
		if len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			return s[len(scheme):], true
		}
	}
	return "", false
}

func productByPrefix(p string) *twilio.Product {
	for i := range products {
		if products[i].Prefix == p {
			return &products[i]
		}
	}
	return nil
}

func productByHost(h string) *twilio.Product {
	for i := range products {
		if products[i].Host == h {
			return &products[i]
		}
	}
	return nil
}

func productPrefixes() string {
	names := make([]string, len(products))
	for i, p := range products {
		names[i] = p.Prefix
	}
	return strings.Join(names, ", ")
}

// matchesRoute reports whether a call to product's method and path (the
// path below the product) is the fault's.
func (f *fault) matchesRoute(product, method, path string) bool {
	if f.Kind != FaultRoute || (f.Product != "" && f.Product != product) || (f.Method != "" && f.Method != method) {
		return false
	}
	rest := strings.Trim(path, "/")
	for i, seg := range f.segs {
		if seg == "**" {
			return true
		}
		var got string
		got, rest, _ = strings.Cut(rest, "/")
		if got == "" || (seg != "*" && seg != got) {
			return false
		}
		if rest == "" && i < len(f.segs)-1 {
			return f.segs[i+1] == "**" && i+1 == len(f.segs)-1
		}
	}
	return rest == ""
}

// matchesURL reports whether a delivery to target is the fault's.
func (f *fault) matchesURL(target string) bool {
	if f.Kind != FaultWebhook {
		return false
	}
	u, _, _ := strings.Cut(target, "?")
	return globMatch(f.wantURL, u)
}

// globMatch matches s against pattern, where * is any run of characters.
func globMatch(pattern, s string) bool {
	star := strings.IndexByte(pattern, '*')
	if star < 0 {
		return pattern == s
	}
	if !strings.HasPrefix(s, pattern[:star]) {
		return false
	}
	s, pattern = s[star:], pattern[star+1:]
	for i := 0; i <= len(s); i++ {
		if globMatch(pattern, s[i:]) {
			return true
		}
	}
	return false
}

// view is the fault as the control API shows it; fs.mu is held.
func (f *fault) view() Fault {
	v := f.Fault
	if f.Times > 0 {
		left := f.Times - f.Hits
		v.Remaining = &left
	}
	return v
}

// spent reports whether the fault has taken all the calls it may; fs.mu is held.
func (f *fault) spent() bool { return f.Times > 0 && f.Hits >= f.Times }

// add declares f, after the existing faults.
func (fs *faultSet) add(f *fault) (Fault, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.faults) >= maxFaults {
		return Fault{}, twilio.BadRequest("this account already has %d faults; remove some first", maxFaults)
	}
	f.ID = twilio.NewSID("FI")
	fs.faults = append(fs.faults, f)
	return f.view(), nil
}

// claim finds the first fault match accepts that may still strike, counts
// the hit and returns the fault as it is after it.
func (fs *faultSet) claim(match func(*fault) bool) (Fault, time.Duration, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, f := range fs.faults {
		if !f.spent() && match(f) {
			f.Hits++
			return f.view(), f.delay, true
		}
	}
	return Fault{}, 0, false
}

// list returns every fault, spent ones included (their hits stay readable).
func (fs *faultSet) list() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]Fault, len(fs.faults))
	for i, f := range fs.faults {
		out[i] = f.view()
	}
	return out
}

// remove forgets fault id, reporting whether it existed.
func (fs *faultSet) remove(id string) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.faults {
		if f.ID == id {
			fs.faults = append(fs.faults[:i:i], fs.faults[i+1:]...)
			return true
		}
	}
	return false
}

// clear forgets every fault and returns how many there were.
func (fs *faultSet) clear() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n := len(fs.faults)
	fs.faults = nil
	return n
}

// replace sets the faults to fixed, all at once.
func (fs *faultSet) replace(fixed []*fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.faults = fixed
}

// compileFixtureFaults compiles the fixture's faults section, naming the
// fixture's file, line and field on an error.
func compileFixtureFaults(fx *fixture.Fixture) ([]*fault, error) {
	if fx == nil {
		return nil, nil
	}
	var out []*fault
	for i, x := range fx.Faults {
		f, err := compileFault(FaultSpec{Product: x.Product, Method: x.Method, Path: x.Path, Status: x.Status, Code: x.Code,
			Message: x.Message, URL: x.URL, Mode: x.Mode, Body: x.Body, Delay: x.Delay, Times: x.Times})
		if err != nil {
			msg := err.Error()
			if te, ok := err.(*twilio.Error); ok {
				msg = te.Message
			}
			return nil, fx.Errorf(x.Line, fmt.Sprintf("faults[%d]", i), "%s", msg)
		}
		f.ID = twilio.NewSID("FI")
		f.Fixture = true
		out = append(out, f)
	}
	return out, nil
}
