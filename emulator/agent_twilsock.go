package emulator

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/accesstoken"
	"github.com/flexemu/flexemu/emulator/mcs"
	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/emulator/twilsock"
)

// twilsockHandler serves @twilio/conversations' twilsock at TwilsockPath:
// sessions authenticate their Access Token (init, update) with VerifyToken
// and are served by syncService. The sessions end when the emulator closes
// (their request contexts derive from the server's base context).
func (e *Emulator) twilsockHandler() http.Handler {
	return twilsock.NewServer(tokenAuthenticator{e}, e.syncService(), twilsock.Options{Logger: e.log})
}

// tokenAuthenticator is twilsock's Authenticator over the emulator's
// Access Token verification; each account's tokens expire on its token
// clock (Account.TokenNow).
type tokenAuthenticator struct{ e *Emulator }

// Authenticate verifies token as Twilio would and names its principal; the
// service is the chat grant's, else empty (the account's default).
func (a tokenAuthenticator) Authenticate(token string) (twilsock.Principal, *twilio.Error) {
	acct, c, err := a.e.VerifyToken(token)
	if err != nil {
		var terr *twilio.Error
		if errors.As(err, &terr) {
			return twilsock.Principal{}, terr
		}
		return twilsock.Principal{}, twilio.NewError(http.StatusUnauthorized, accesstoken.CodeInvalid, "Invalid Access Token: %v", err)
	}
	if c.Grants.Identity == "" {
		return twilsock.Principal{}, twilio.NewError(http.StatusUnauthorized, accesstoken.CodeInvalid,
			"Invalid Access Token: no identity in its grants (Conversations needs one)")
	}
	p := twilsock.Principal{AccountSID: acct.SID, Identity: c.Grants.Identity, Expires: c.Expires}
	if c.Grants.Chat != nil {
		p.ServiceSID = c.Grants.Chat.ServiceSID
	}
	return p, nil
}

// TokenNow is the primary account's token clock.
func (a tokenAuthenticator) TokenNow() time.Time { return a.e.Account().TokenNow() }

// TokenNowFor is the token clock of p's account.
func (a tokenAuthenticator) TokenNowFor(p twilsock.Principal) time.Time {
	if acct, ok := a.e.lookupAccount(p.AccountSID); ok {
		return acct.TokenNow()
	}
	if p.AccountSID != "" { // the account was removed: its sessions end
		return removedTokenNow
	}
	return a.TokenNow()
}

// mediaHandler serves the Conversations media service (MCS) under
// MediaPrefix; the Configuration answer's media_service and
// media_set_service links point at {base}/mcs/v1/Services/{IS}/Media and
// …/MediaSet. Requests authenticate with X-Twilio-Token (an Access Token,
// verified like twilsock's) or the account's Basic auth (its SID and auth
// token, or an API key). An account's media is dropped on Reset.
func (e *Emulator) mediaHandler() http.Handler {
	store := e.Media()
	e.onEveryAccount(func(acct *Account) {
		sid := acct.SID
		acct.OnEngines(func(*Engines) { store.Forget(sid) })
	})
	return &mcs.Handler{Store: store, Prefix: strings.TrimSuffix(MediaPrefix, "/"),
		Auth: e.mediaCaller,
		Now: func(accountSID string) time.Time {
			if acct, ok := e.lookupAccount(accountSID); ok {
				return acct.Now()
			}
			return e.Account().Now()
		},
		TokenNow: func(accountSID string) time.Time {
			if acct, ok := e.lookupAccount(accountSID); ok {
				return acct.TokenNow()
			}
			return e.Account().TokenNow()
		},
	}
}

// mediaCaller authenticates a media service request.
func (e *Emulator) mediaCaller(r *http.Request) (mcs.Caller, *twilio.Error) {
	if token := r.Header.Get("X-Twilio-Token"); token != "" {
		p, terr := tokenAuthenticator{e}.Authenticate(token)
		if terr != nil {
			return mcs.Caller{}, terr
		}
		return mcs.Caller{AccountSID: p.AccountSID, Identity: p.Identity, ServiceSID: p.ServiceSID}, nil
	}
	if user, pass, ok := r.BasicAuth(); ok {
		for _, acct := range e.Accounts() {
			if secret, known := acct.signingSecret(user); known &&
				subtle.ConstantTimeCompare([]byte(secret), []byte(pass)) == 1 {
				return mcs.Caller{AccountSID: acct.SID}, nil
			}
		}
	}
	return mcs.Caller{}, twilio.Unauthorized()
}

func (e *Emulator) Media() *mcs.Store { return e.media }
