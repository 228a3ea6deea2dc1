package webhook

import (
	"context"
	"net/url"
	"strings"
	"time"
)

// FaultMode is how an injected fault changes one delivery attempt.
type FaultMode string

// Fault modes.
const (
	// FaultNone delivers as usual.
	FaultNone FaultMode = ""
	// FaultFail answers the attempt with Fault.Status (and Fault.Body) as if
	// the receiver had, without sending anything.
	FaultFail FaultMode = "fail"
	// FaultTimeout ends the attempt as if no answer came within its
	// timeout. It does not wait the timeout out: the record (status 0, the
	// same error text, a latency of the full timeout) and every reaction to
	// it are those of a real timeout, only sooner, so tests stay fast.
	FaultTimeout FaultMode = "timeout"
	// FaultSlow waits Fault.Delay before sending, inside the attempt's
	// timeout, as a slow receiver would: a delay past the timeout ends as a
	// real timeout.
	FaultSlow FaultMode = "slow"
)

// MaxFaultDelay bounds a slowed delivery.
const MaxFaultDelay = time.Minute

// Fault is what a FaultFunc makes of one delivery attempt.
type Fault struct {
	Mode   FaultMode
	Status int           // FaultFail: the status the receiver seems to answer
	Body   string        // FaultFail: the answer's body
	Delay  time.Duration // FaultSlow: the wait before sending
}

// FaultFunc decides, for each attempt of req, whether a fault applies. It is
// called on the delivering goroutine, never under the account lock, once
// per attempt: a retried request asks again.
type FaultFunc func(req Request) Fault

// SetFaults installs f (nil removes it) for attempts made from now on.
func (d *Dispatcher) SetFaults(f FaultFunc) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = f
}

// fault asks the installed FaultFunc about req.
func (d *Dispatcher) fault(req Request) Fault {
	d.mu.Lock()
	f := d.faults
	d.mu.Unlock()
	if f == nil {
		return Fault{}
	}
	return f(req)
}

// timeoutError is the error text a real timeout of a request to target
// records: what net/http's client returns when the attempt's context
// deadline passes (its *url.Error, with any password in the URL masked as
// the client masks it).
func timeoutError(method, target string, timeout time.Duration) string {
	shown := target
	if u, err := url.Parse(target); err == nil {
		shown = u.String()
		if _, has := u.User.Password(); has {
			shown = strings.Replace(shown, u.User.String()+"@", u.User.Username()+":***@", 1)
		}
	}
	op := method[:1] + strings.ToLower(method[1:])
	err := &url.Error{Op: op, URL: shown, Err: context.DeadlineExceeded}
	return "no answer within " + timeout.String() + ": " + err.Error()
}

// sleepCtx waits d or until ctx ends, whichever comes first.
func sleepCtx(ctx context.Context, d time.Duration) {
	if d > MaxFaultDelay {
		d = MaxFaultDelay
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
