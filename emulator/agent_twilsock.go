package emulator

import (
	"errors"
	"net/http"
	"time"

	"github.com/flexemu/flexemu/emulator/accesstoken"
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
	if acct, ok := a.e.accounts[p.AccountSID]; ok {
		return acct.TokenNow()
	}
	return a.TokenNow()
}

// mediaHandler serves the Conversations media service (MCS). (Stub.)
func (e *Emulator) mediaHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		twilio.WriteError(w, twilio.NotFound(r.URL.Path))
	})
}
