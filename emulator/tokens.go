package emulator

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/accesstoken"
	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/taskrouter"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// TokenNow is the time Access Tokens are checked against. Tokens minted by
// a user's own code carry wall-clock times, while the emulator's clock is
// virtual (a manual clock starts in January 2026 and moves only when told),
// so token time is wall time plus however far the virtual clock was moved
// on: a fresh token is valid, and "When 2 hours pass" expires a one-hour
// token. A real clock already moves with wall time, so there token time is
// the wall time at start plus the virtual time elapsed.
func (a *Account) TokenNow() time.Time {
	if a.removed.Load() {
		return removedTokenNow
	}
	moved := a.clock.Now().Sub(a.clockEpoch)
	if a.clock.Mode() == clock.Manual {
		return time.Now().UTC().Add(moved)
	}
	return a.tokenEpoch.Add(moved)
}

// signingSecret returns the secret of an Access Token issuer known to the
// account: one of its API keys, or the account itself (its auth token).
func (a *Account) signingSecret(issuer string) (string, bool) {
	if issuer == a.SID {
		return a.AuthToken, true
	}
	for _, k := range a.fixture.APIKeys {
		if k.SID == issuer {
			return k.Secret, true
		}
	}
	return "", false
}

// VerifyToken checks an Access Token for this account as Twilio would:
// signature (an API key of the account or its auth token), subject, and
// validity at TokenNow. Errors are Twilio's 401 JSON with codes 20101-20107.
func (a *Account) VerifyToken(token string) (*accesstoken.Claims, error) {
	return accesstoken.Verify(token, a.SID, a.signingSecret, a.TokenNow())
}

// VerifyToken verifies token against the account it names (its sub claim)
// and returns that account with the verified claims.
func (e *Emulator) VerifyToken(token string) (*Account, *accesstoken.Claims, error) {
	acct := e.primary
	if a, ok := e.lookupAccount(tokenSubject(token)); ok {
		acct = a
	}
	c, err := acct.VerifyToken(token)
	if err != nil {
		return nil, nil, err
	}
	return acct, c, nil
}

// tokenSubject reads the sub claim without verifying anything: only to pick
// the account whose keys then verify the token.
func tokenSubject(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var p struct {
		Sub string `json:"sub"`
	}
	_ = json.Unmarshal(raw, &p)
	return p.Sub
}

// MintToken signs an Access Token for identity with the account's first API
// key (else its auth token), valid from TokenNow for ttl, with the grants the
// agent SDKs need: TaskRouter worker and Conversations chat.
func (a *Account) MintToken(identity string, grants accesstoken.Grants, ttl time.Duration) (string, error) {
	key := accesstoken.Key{SID: a.SID, Secret: a.AuthToken}
	if len(a.fixture.APIKeys) > 0 {
		key = accesstoken.Key{SID: a.fixture.APIKeys[0].SID, Secret: a.fixture.APIKeys[0].Secret}
	}
	grants.Identity = identity
	return accesstoken.Mint(key, a.SID, grants, a.TokenNow(), ttl)
}

// OnEngines registers fn, called under the account lock with the current
// engines at once and with the fresh engines after every Reset: where the
// agent endpoints subscribe to engine events. It must not be called while
// holding the account lock (inside Do).
func (a *Account) OnEngines(fn func(*Engines)) {
	_ = a.locked(0, func(en *Engines) error {
		a.engineHooks = append(a.engineHooks, fn)
		fn(en)
		return nil
	})
}

// WorkerFor finds the TaskRouter worker an agent's token stands for: the
// grant's worker_sid, else the worker whose attributes' contact_uri is
// client:<identity>, else the one whose friendly name is the identity;
// within the grant's workspace when it names one. A granted worker that no
// longer exists (a Reset gave the fixture's workers new SIDs) falls back to
// the identity, so an agent app's token survives a reset.
func (a *Account) WorkerFor(identity string, grant accesstoken.TaskRouterGrant) (workspaceSID, workerSID string, err error) {
	err = a.locked(0, func(en *Engines) error {
		var spaces []string
		if grant.WorkspaceSID != "" {
			spaces = []string{grant.WorkspaceSID}
		} else {
			for _, ws := range en.TaskRouter.Workspaces("") {
				spaces = append(spaces, ws.SID)
			}
		}
		var byName *taskrouter.Worker
		for _, ws := range spaces {
			if grant.WorkerSID != "" {
				if w, err := en.TaskRouter.Worker(ws, grant.WorkerSID); err == nil {
					workspaceSID, workerSID = ws, w.SID
					return nil
				}
			}
			workers, err := en.TaskRouter.Workers(ws, taskrouter.WorkerFilter{})
			if err != nil {
				continue
			}
			for _, w := range workers {
				if uri, _ := w.AttributesMap["contact_uri"].(string); identity != "" && uri == "client:"+identity {
					workspaceSID, workerSID = ws, w.SID
					return nil
				}
				if byName == nil && identity != "" && w.FriendlyName == identity {
					byName = w
				}
			}
		}
		if byName != nil {
			workspaceSID, workerSID = byName.WorkspaceSID, byName.SID
			return nil
		}
		if grant.WorkerSID != "" && identity == "" {
			return twilio.NewError(http.StatusNotFound, twilio.CodeNotFound, "No TaskRouter worker %s in the token's workspace", grant.WorkerSID)
		}
		return twilio.NewError(http.StatusNotFound, twilio.CodeNotFound, "No TaskRouter worker for identity %q: none has contact_uri client:%s in its attributes or that friendly name", identity, identity)
	})
	return workspaceSID, workerSID, err
}

// CallAPI serves one REST request in-process through the whole server
// stack, authenticated as acct: the agent SDK endpoints use it so that an
// SDK's action is validated, evented, called back and put on the timeline
// exactly like the same REST call. product is the path prefix
// ("taskrouter", "conversations"), path the API path ("/v1/Workspaces/…").
// The body is the REST JSON, or Twilio's error JSON.
func (e *Emulator) CallAPI(ctx context.Context, acct *Account, method, product, path string, form url.Values, header http.Header) (status int, body []byte) {
	target := "/" + product + path
	var rd *strings.Reader
	if method == http.MethodGet || method == http.MethodDelete {
		if len(form) > 0 {
			target += "?" + form.Encode()
		}
		rd = strings.NewReader("")
	} else {
		rd = strings.NewReader(form.Encode())
	}
	r, err := http.NewRequestWithContext(ctx, method, "http://127.0.0.1"+target, rd)
	if err != nil {
		b, _ := json.Marshal(twilio.BadRequest("bad request: %v", err))
		return http.StatusBadRequest, b
	}
	for k, v := range header {
		r.Header[k] = v
	}
	if method != http.MethodGet && method != http.MethodDelete {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r.SetBasicAuth(acct.SID, acct.AuthToken)
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	e.handler.ServeHTTP(rec, r)
	return rec.status, rec.body.Bytes()
}

// recorder is the ResponseWriter of an in-process API call.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
