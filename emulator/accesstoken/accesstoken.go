// Package accesstoken mints and verifies Twilio Access Tokens: the HS256
// JWTs that the agent SDKs (twilio-taskrouter's Worker, @twilio/conversations)
// present, as twilio-go's and twilio-node's AccessToken build them. A token
// is signed with an API key's secret (issuer SK…) or the account's auth
// token (issuer AC…), names the account as subject, and carries grants
// (identity, task_router, chat…). Verification checks the signature, the
// issuer, the account and the validity window against the time it is
// given (the account's virtual clock); it never just decodes.
package accesstoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Twilio's error codes for access tokens.
const (
	CodeInvalid          = 20101 // Invalid Access Token
	CodeInvalidHeader    = 20102 // Invalid Access Token header
	CodeInvalidIssuer    = 20103 // Invalid Access Token issuer/subject
	CodeExpired          = 20104 // Access Token expired or expiration date invalid
	CodeNotYetValid      = 20105 // Access Token not yet valid
	CodeInvalidSignature = 20107 // Invalid Access Token signature
)

// MaxTTL is the longest validity Twilio allows a token: 24 hours.
const MaxTTL = 24 * time.Hour

// ContentType is the header's cty, as Twilio's helper libraries write it.
const ContentType = "twilio-fpa;v=1"

// TaskRouterGrant lets a token act as one TaskRouter worker.
type TaskRouterGrant struct {
	WorkspaceSID string `json:"workspace_sid,omitempty"`
	WorkerSID    string `json:"worker_sid,omitempty"`
	Role         string `json:"role,omitempty"`
}

// ChatGrant lets a token use a Conversations (chat) service.
type ChatGrant struct {
	ServiceSID        string `json:"service_sid,omitempty"`
	EndpointID        string `json:"endpoint_id,omitempty"`
	DeploymentRoleSID string `json:"deployment_role_sid,omitempty"`
	PushCredentialSID string `json:"push_credential_sid,omitempty"`
}

// Grants are what a token allows. Grants this package does not model
// (voice, video, data_sync…) are kept as they came in Other.
type Grants struct {
	Identity   string                     `json:"identity,omitempty"`
	TaskRouter *TaskRouterGrant           `json:"task_router,omitempty"`
	Chat       *ChatGrant                 `json:"chat,omitempty"`
	Other      map[string]json.RawMessage `json:"-"`
}

// Claims are a token's payload.
type Claims struct {
	ID         string    // jti: "<issuer>-<unix seconds>"
	Issuer     string    // iss: the signing key's SID (SK…) or the account SID
	AccountSID string    // sub
	NotBefore  time.Time // nbf; zero when absent
	Expires    time.Time // exp
	Grants     Grants
}

// Key is a signing key: an API key (SID SK…) with its secret, or the
// account itself (SID AC…) with its auth token.
type Key struct {
	SID    string
	Secret string
}

// Mint signs a token for accountSID with key, valid from now for ttl
// (at most MaxTTL), as twilio-go's AccessToken would.
func Mint(key Key, accountSID string, grants Grants, now time.Time, ttl time.Duration) (string, error) {
	if ttl <= 0 || ttl > MaxTTL {
		return "", twilio.InvalidParam("ttl", "%v is not a token lifetime between 1 s and 24 h", ttl)
	}
	header := map[string]string{"alg": "HS256", "typ": "JWT", "cty": ContentType}
	g := map[string]any{}
	for k, v := range grants.Other {
		g[k] = v
	}
	if grants.Identity != "" {
		g["identity"] = grants.Identity
	}
	if grants.TaskRouter != nil {
		g["task_router"] = grants.TaskRouter
	}
	if grants.Chat != nil {
		g["chat"] = grants.Chat
	}
	payload := map[string]any{
		"jti": fmt.Sprintf("%s-%d", key.SID, now.Unix()), "iss": key.SID, "sub": accountSID,
		"nbf": now.Unix(), "exp": now.Add(ttl).Unix(), "grants": g,
	}
	h, err := json.Marshal(header)
	if err != nil {
		return "", fmt.Errorf("encoding the token header: %w", err)
	}
	p, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("encoding the token payload: %w", err)
	}
	signing := b64(h) + "." + b64(p)
	return signing + "." + b64(sign(key.Secret, signing)), nil
}

// Verify checks token as Twilio would and returns its claims: well formed,
// HS256, issued by a key secretOf knows (an API key of the account, or the
// account SID itself, whose secret is its auth token), signed with that
// key's secret, for accountSID, and valid at now. Every refusal is Twilio's
// 401 error JSON with the access-token code that says why.
func Verify(token string, accountSID string, secretOf func(issuer string) (string, bool), now time.Time) (*Claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, refused(CodeInvalid, "Invalid Access Token: not a JWT (header.payload.signature)")
	}
	var header struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
	}
	if err := decodePart(parts[0], &header); err != nil || header.Alg != "HS256" {
		return nil, refused(CodeInvalidHeader, "Invalid Access Token header: the algorithm must be HS256")
	}
	var payload struct {
		ID        string                     `json:"jti"`
		Issuer    string                     `json:"iss"`
		Subject   string                     `json:"sub"`
		NotBefore *float64                   `json:"nbf"`
		Expires   *float64                   `json:"exp"`
		Grants    map[string]json.RawMessage `json:"grants"`
	}
	if err := decodePart(parts[1], &payload); err != nil {
		return nil, refused(CodeInvalid, "Invalid Access Token: the payload is not JSON")
	}
	secret, known := secretOf(payload.Issuer)
	if !known {
		return nil, refused(CodeInvalidIssuer, "Invalid Access Token issuer/subject: %q is not an API key of this account", payload.Issuer)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, sign(secret, parts[0]+"."+parts[1])) {
		return nil, refused(CodeInvalidSignature, "Invalid Access Token signature")
	}
	if payload.Subject != accountSID {
		return nil, refused(CodeInvalidIssuer, "Invalid Access Token issuer/subject: the token is for account %q, not %s", payload.Subject, accountSID)
	}
	c := &Claims{ID: payload.ID, Issuer: payload.Issuer, AccountSID: payload.Subject}
	if payload.Expires == nil || math.IsNaN(*payload.Expires) || math.IsInf(*payload.Expires, 0) {
		return nil, refused(CodeExpired, "Access Token expired or expiration date invalid: no exp")
	}
	c.Expires = unix(*payload.Expires)
	if !now.Before(c.Expires) {
		return nil, refused(CodeExpired, "Access Token expired or expiration date invalid: it expired at %s", twilio.Time(c.Expires))
	}
	if payload.NotBefore != nil && !math.IsNaN(*payload.NotBefore) {
		c.NotBefore = unix(*payload.NotBefore)
		if now.Before(c.NotBefore) {
			return nil, refused(CodeNotYetValid, "Access Token not yet valid: it is valid from %s", twilio.Time(c.NotBefore))
		}
	}
	if c.Expires.Sub(now) > MaxTTL+time.Minute {
		return nil, refused(CodeExpired, "Access Token expired or expiration date invalid: valid for more than 24 hours")
	}
	if err := c.Grants.decode(payload.Grants); err != nil {
		return nil, refused(CodeInvalid, "Invalid Access Token: %v", err)
	}
	return c, nil
}

func (g *Grants) decode(raw map[string]json.RawMessage) error {
	for k, v := range raw {
		var err error
		switch k {
		case "identity":
			err = json.Unmarshal(v, &g.Identity)
		case "task_router":
			g.TaskRouter = &TaskRouterGrant{}
			err = json.Unmarshal(v, g.TaskRouter)
		case "chat":
			g.Chat = &ChatGrant{}
			err = json.Unmarshal(v, g.Chat)
		default:
			if g.Other == nil {
				g.Other = map[string]json.RawMessage{}
			}
			g.Other[k] = v
		}
		if err != nil {
			return fmt.Errorf("grant %q: %v", k, err)
		}
	}
	return nil
}

func refused(code int, format string, args ...any) *twilio.Error {
	return twilio.NewError(http.StatusUnauthorized, code, format, args...)
}

func sign(secret, signing string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(signing))
	return m.Sum(nil)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func decodePart(part string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(part, "="))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// unix converts JWT seconds (twilio-go writes them as floats) to a time.
func unix(sec float64) time.Time {
	switch {
	case sec > 1e12:
		sec = 1e12
	case sec < -1e12:
		sec = -1e12
	}
	whole, frac := math.Modf(sec)
	return time.Unix(int64(whole), int64(frac*1e9)).UTC()
}
