package emulator

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/accesstoken"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// DefaultTokenTTL is how long a minted token lives unless asked otherwise.
const DefaultTokenTTL = time.Hour

// AgentToken mints a token for identity, whose TaskRouter worker must
// exist (see WorkerFor), with the worker and chat grants both SDKs need.
// base is the emulator's URL as the caller reaches it.
func (e *Emulator) AgentToken(base string, p TokenParams) (*AgentToken, error) {
	return e.primary.AgentToken(base, p)
}

// AgentToken mints a token for identity on account a (see
// Emulator.AgentToken).
func (a *Account) AgentToken(base string, p TokenParams) (*AgentToken, error) {
	identity := strings.TrimSpace(p.Identity)
	if identity == "" {
		return nil, twilio.MissingParam("identity")
	}
	ttl := DefaultTokenTTL
	if p.TTL != 0 {
		if p.TTL < 1 || p.TTL > int(accesstoken.MaxTTL/time.Second) {
			return nil, twilio.InvalidParam("ttl", "%d is not between 1 and %d seconds", p.TTL, int(accesstoken.MaxTTL/time.Second))
		}
		ttl = time.Duration(p.TTL) * time.Second
	}
	ws, wk, err := a.WorkerFor(identity, accesstoken.TaskRouterGrant{})
	if err != nil {
		return nil, err
	}
	var chat string
	_ = a.locked(0, func(en *Engines) error {
		chat = en.Conversations.DefaultServiceSID()
		return nil
	})
	grants := accesstoken.Grants{TaskRouter: &accesstoken.TaskRouterGrant{WorkspaceSID: ws, WorkerSID: wk, Role: "worker"},
		Chat: &accesstoken.ChatGrant{ServiceSID: chat}}
	tok, err := a.MintToken(identity, grants, ttl)
	if err != nil {
		return nil, err
	}
	ws2 := "ws" + strings.TrimPrefix(base, "http")
	return &AgentToken{Token: tok, Identity: identity, AccountSID: a.SID, WorkerSID: wk, WorkspaceSID: ws, ChatServiceSID: chat,
		ExpiresAt: twilio.Time(a.TokenNow().Add(ttl)), EventBridgeURL: base + EventBridgePath,
		EventBridgeWSURL: ws2 + EventBridgePath, TwilsockURL: ws2 + TwilsockPath}, nil
}

func (e *Emulator) serveToken(a *Account, w http.ResponseWriter, r *http.Request) {
	var in TokenParams
	var ttl string
	if err := decodeControl(r, &in, map[string]*string{"identity": &in.Identity, "ttl": &ttl}); err != nil {
		twilio.WriteError(w, err)
		return
	}
	if ttl != "" {
		n, err := strconv.Atoi(ttl)
		if err != nil {
			twilio.WriteError(w, twilio.InvalidParam("ttl", "%q is not a number of seconds", ttl))
			return
		}
		in.TTL = n
	}
	tok, err := a.AgentToken(baseURL(r), in)
	if err != nil {
		twilio.WriteError(w, err)
		return
	}
	twilio.WriteJSON(w, http.StatusOK, tok)
}
