package emulator

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/flexemu/flexemu/emulator/accesstoken"
	"github.com/flexemu/flexemu/emulator/eventbridge"
	"github.com/flexemu/flexemu/emulator/taskrouter"
	"github.com/flexemu/flexemu/emulator/timeline"
)

// eventBridgeHandler serves twilio-taskrouter's event bridge (package
// eventbridge) over this emulator: tokens verified by VerifyToken, the
// worker found by WorkerFor, reads under the account lock, actions through
// CallAPI so they are REST calls in every respect.
func (e *Emulator) eventBridgeHandler() http.Handler {
	srv := eventbridge.New(eventBridgeBackend{e}, eventbridge.Options{Logger: e.log})
	e.onAccountRemoved(srv.Forget)
	return srv
}

// eventBridgeBackend is eventbridge.Backend over the emulator.
type eventBridgeBackend struct{ e *Emulator }

func (b eventBridgeBackend) Verify(token string) (eventbridge.Account, *accesstoken.Claims, error) {
	acct, claims, err := b.e.VerifyToken(token)
	if err != nil {
		return nil, nil, err
	}
	return eventBridgeAccount{e: b.e, a: acct}, claims, nil
}

func (b eventBridgeBackend) ShuttingDown() bool {
	b.e.mu.Lock()
	defer b.e.mu.Unlock()
	return b.e.closed
}

// eventBridgeAccount is eventbridge.Account over one Account.
type eventBridgeAccount struct {
	e *Emulator
	a *Account
}

func (x eventBridgeAccount) SID() string         { return x.a.SID }
func (x eventBridgeAccount) TokenNow() time.Time { return x.a.TokenNow() }

func (x eventBridgeAccount) WorkerFor(identity string, grant accesstoken.TaskRouterGrant) (string, string, error) {
	return x.a.WorkerFor(identity, grant)
}

func (x eventBridgeAccount) OnEngines(fn func(*taskrouter.Engine)) {
	x.a.OnEngines(func(en *Engines) { fn(en.TaskRouter) })
}

func (x eventBridgeAccount) Do(fn func(*taskrouter.Engine) error) error {
	return x.a.Do(func(en *Engines) error { return fn(en.TaskRouter) })
}

func (x eventBridgeAccount) CallAPI(ctx context.Context, method, path string, form url.Values, header http.Header) (int, []byte) {
	return x.e.CallAPI(ctx, x.a, method, taskrouter.Product.Prefix, path, form, header)
}

func (x eventBridgeAccount) Record(typ, sid, summary string, refs map[string]string) {
	_ = x.a.Do(func(*Engines) error {
		x.a.timeline.Append(timeline.Entry{Kind: timeline.KindState, Product: "taskrouter", Type: typ,
			SID: sid, Refs: refs, Summary: summary})
		return nil
	})
}
