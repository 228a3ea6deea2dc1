package emulator

import (
	"context"
	"net/http"
	"strings"

	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/convsync"
	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/emulator/twilsock"
)

// syncService is the twilsock.Service answering @twilio/conversations'
// tunnelled requests (Conversations client API and Sync) for every account:
// convsync's projection of each account's Conversations engine, attached
// again to the fresh engine after every Reset.
func (e *Emulator) syncService() twilsock.Service {
	svc := convsync.New(convsyncBackend{e})
	e.onEveryAccount(func(a *Account) {
		sid := a.SID
		a.OnEngines(func(en *Engines) { svc.Attach(sid, en.Conversations) })
	})
	e.onAccountRemoved(svc.Detach)
	return svc
}

// convsyncBackend is convsync.Backend over the emulator's accounts.
type convsyncBackend struct{ e *Emulator }

func (b convsyncBackend) account(sid string) (*Account, error) {
	a, ok := b.e.lookupAccount(sid)
	if !ok {
		return nil, twilio.NewError(http.StatusUnauthorized, twilio.CodeAuthentication, "Unknown account %s", sid)
	}
	return a, nil
}

// Do runs fn under the account lock as its own cause (SDK writes show on
// the timeline as their own chains).
func (b convsyncBackend) Do(accountSID string, fn func(*conversations.Engine) error) error {
	a, err := b.account(accountSID)
	if err != nil {
		return err
	}
	return a.locked(a.causes.New(), func(en *Engines) error { return fn(en.Conversations) })
}

// Act runs an SDK action through its pre-event like Account.AgentReply.
func (b convsyncBackend) Act(ctx context.Context, accountSID string, prepare func(*conversations.Engine) (*conversations.Pending, error)) (*conversations.Result, error) {
	a, err := b.account(accountSID)
	if err != nil {
		return nil, err
	}
	return a.preEvented(ctx, a.causes.New(), prepare)
}

// MediaURL is where the media service is mounted on the emulator's address.
func (b convsyncBackend) MediaURL() string {
	base := b.e.URL()
	if base == "" {
		base = "http://" + b.e.opts.Addr
	}
	return base + strings.TrimSuffix(MediaPrefix, "/")
}
