package emulator_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/accesstoken"
	"github.com/flexemu/flexemu/emulator/emulatortest"
	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/twilio/twilio-go/client/jwt"
)

// The default fixture's API key, as a user's token server would hold it.
const (
	fixtureKeySID    = "SK00000000000000000000000000000001"
	fixtureKeySecret = "flexemu-api-key-secret-00000000"
)

func postToken(t *testing.T, emu *emulator.Emulator, body string) (int, emulator.AgentToken, map[string]any) {
	t.Helper()
	res, err := http.Post(emu.URL()+"/emulator/v1/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var raw map[string]any
	var tok emulator.AgentToken
	dec := json.NewDecoder(res.Body)
	if err := dec.Decode(&raw); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(raw)
	_ = json.Unmarshal(b, &tok)
	return res.StatusCode, tok, raw
}

func tokenCode(err error) int {
	var te *twilio.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

func TestTokensEndpointMintsWhatTheSDKEndpointsVerify(t *testing.T) {
	emu := emulatortest.Run(t)
	status, tok, raw := postToken(t, emu, `{"identity":"alice"}`)
	if status != http.StatusOK {
		t.Fatalf("status %d: %v", status, raw)
	}
	for _, k := range []string{"token", "identity", "worker_sid", "workspace_sid", "chat_service_sid", "event_bridge_url", "event_bridge_ws_url", "twilsock_url"} {
		if s, _ := raw[k].(string); s == "" {
			t.Errorf("%s missing in %v", k, raw)
		}
	}
	base := strings.TrimPrefix(emu.URL(), "http://")
	if tok.EventBridgeURL != "http://"+base+"/event-bridge/v1/wschannels" || tok.EventBridgeWSURL != "ws://"+base+"/event-bridge/v1/wschannels" ||
		tok.TwilsockURL != "ws://"+base+"/tsock/v3/wsconnect" {
		t.Errorf("urls %+v", tok)
	}
	acct, claims, err := emu.VerifyToken(tok.Token)
	if err != nil {
		t.Fatalf("minted token refused: %v", err)
	}
	if acct != emu.Account() || claims.Grants.Identity != "alice" || claims.Issuer != fixtureKeySID ||
		claims.Grants.TaskRouter.WorkerSID != tok.WorkerSID || claims.Grants.Chat.ServiceSID != tok.ChatServiceSID {
		t.Errorf("claims %+v", claims)
	}
	// The token's lifetime runs on the virtual clock: two hours later it is expired.
	emu.Account().Advance(2 * time.Hour)
	if _, _, err := emu.VerifyToken(tok.Token); tokenCode(err) != 20104 {
		t.Errorf("after 2h: %v, want 20104 expired", err)
	}
}

func TestTokensEndpointRefusals(t *testing.T) {
	emu := emulatortest.Run(t)
	for _, tc := range []struct {
		body         string
		status, code int
	}{
		{`{"identity":"nobody"}`, 404, 20404},
		{`{}`, 400, 20001},
		{`{"identity":"alice","ttl":90000}`, 400, 20001},
		{`{"identity":"alice","ttl":-1}`, 400, 20001},
		{`{"identity":`, 400, 20001},
	} {
		status, _, raw := postToken(t, emu, tc.body)
		if status != tc.status || raw["code"] != float64(tc.code) {
			t.Errorf("%s: %d %v, want %d/%d", tc.body, status, raw, tc.status, tc.code)
		}
	}
}

// A user's own token server (twilio-go's AccessToken with an API key) works
// unchanged; a token signed with an unknown key or the wrong secret, or for
// another account, is refused with Twilio's codes.
func TestUserMintedTokens(t *testing.T) {
	emu := emulatortest.Run(t)
	acct := emu.Account().SID
	mint := func(account, key, secret string) string {
		at := jwt.CreateAccessToken(jwt.AccessTokenParams{AccountSid: account, SigningKeySid: key, Secret: secret, Identity: "alice", Ttl: 3600})
		at.AddGrant(&jwt.TaskRouterGrant{WorkspaceSid: "WS0a1b2c3d4e5f60718293a4b5c6d7e8f9", Role: "worker"})
		s, err := at.ToJwt()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if _, c, err := emu.VerifyToken(mint(acct, fixtureKeySID, fixtureKeySecret)); err != nil || c.Grants.Identity != "alice" {
		t.Fatalf("API-key token: %v %+v", err, c)
	}
	if _, _, err := emu.VerifyToken(mint(acct, acct, emulator.DefaultAuthToken)); err != nil {
		t.Fatalf("auth-token token: %v", err)
	}
	for name, tc := range map[string]struct {
		token string
		code  int
	}{
		"wrong secret":  {mint(acct, fixtureKeySID, "not-the-secret-at-all"), 20107},
		"unknown key":   {mint(acct, "SK99999999999999999999999999999999", fixtureKeySecret), 20103},
		"other account": {mint("AC99999999999999999999999999999999", fixtureKeySID, fixtureKeySecret), 20103},
		"not a JWT":     {"abc", 20101},
	} {
		if _, _, err := emu.VerifyToken(tc.token); tokenCode(err) != tc.code {
			t.Errorf("%s: %v, want %d", name, err, tc.code)
		}
	}
	ws, wk, err := emu.Account().WorkerFor("alice", jwtGrant())
	if err != nil || ws == "" || !strings.HasPrefix(wk, "WK") {
		t.Errorf("WorkerFor alice: %s %s %v", ws, wk, err)
	}
}

func jwtGrant() accesstoken.TaskRouterGrant { return accesstoken.TaskRouterGrant{} }
