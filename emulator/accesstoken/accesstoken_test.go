package accesstoken

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/twilio/twilio-go/client/jwt"
)

const (
	account = "AC00000000000000000000000000000001"
	keySID  = "SK00000000000000000000000000000001"
	secret  = "flexemu-api-key-secret-000000000"
	token   = "flexemu0000000000000000000000000"
)

func secrets(issuer string) (string, bool) {
	switch issuer {
	case keySID:
		return secret, true
	case account:
		return token, true
	}
	return "", false
}

// A token minted by twilio-go's AccessToken, as a user's own backend mints
// it, verifies with its grants; one minted here reads back in twilio-go.
func TestRoundTripsWithTwilioGo(t *testing.T) {
	params := jwt.AccessTokenParams{AccountSid: account, SigningKeySid: keySID, Secret: secret, Identity: "alice", Ttl: 3600}
	at := jwt.CreateAccessToken(params)
	at.AddGrant(&jwt.TaskRouterGrant{WorkspaceSid: "WS1", WorkerSid: "WK1", Role: "worker"})
	at.AddGrant(&jwt.ChatGrant{ServiceSid: "IS1"})
	at.AddGrant(&jwt.VoiceGrant{Incoming: jwt.Incoming{Allow: true}})
	signed, err := at.ToJwt()
	if err != nil {
		t.Fatal(err)
	}
	c, err := Verify(signed, account, secrets, time.Now())
	if err != nil {
		t.Fatalf("twilio-go's token refused: %v", err)
	}
	g := c.Grants
	if g.Identity != "alice" || g.TaskRouter == nil || g.TaskRouter.WorkerSID != "WK1" || g.TaskRouter.WorkspaceSID != "WS1" ||
		g.Chat == nil || g.Chat.ServiceSID != "IS1" || g.Other["voice"] == nil || c.Issuer != keySID || c.AccountSID != account {
		t.Fatalf("claims %+v, grants %+v", c, g)
	}
	if d := time.Until(c.Expires); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("expires in %v, want about an hour", d)
	}

	now := time.Now()
	mine, err := Mint(Key{SID: keySID, Secret: secret}, account, Grants{Identity: "bob",
		TaskRouter: &TaskRouterGrant{WorkspaceSID: "WS1", WorkerSID: "WK2", Role: "worker"}}, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	back, err := (&jwt.AccessToken{}).FromJwt(mine, secret)
	if err != nil {
		t.Fatalf("twilio-go cannot read a minted token: %v", err)
	}
	if back.AccountSid != account || back.SigningKeySid != keySID || back.Identity != "bob" {
		t.Fatalf("twilio-go read %+v", back)
	}
	if c, err := Verify(mine, account, secrets, now); err != nil || c.Grants.TaskRouter.WorkerSID != "WK2" {
		t.Fatalf("a minted token does not verify: %+v, %v", c, err)
	}
	withAuthToken, _ := Mint(Key{SID: account, Secret: token}, account, Grants{Identity: "carol"}, now, time.Minute)
	if _, err := Verify(withAuthToken, account, secrets, now); err != nil {
		t.Fatalf("a token signed with the auth token: %v", err)
	}
}

// Every way a token can be wrong is refused with Twilio's 401 and the code
// that says why; nothing is accepted on decoding alone.
func TestRefusals(t *testing.T) {
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	good, _ := Mint(Key{SID: keySID, Secret: secret}, account, Grants{Identity: "alice"}, now, time.Hour)
	parts := strings.Split(good, ".")
	forge := func(payload string) string {
		return parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + parts[2]
	}
	otherKey, _ := Mint(Key{SID: "SK99999999999999999999999999999999", Secret: secret}, account, Grants{}, now, time.Hour)
	wrongSecret, _ := Mint(Key{SID: keySID, Secret: "not-the-secret"}, account, Grants{}, now, time.Hour)
	otherAccount, _ := Mint(Key{SID: keySID, Secret: secret}, "AC00000000000000000000000000000002", Grants{}, now, time.Hour)
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	for _, tc := range []struct {
		name  string
		token string
		at    time.Time
		code  int
	}{
		{"garbage", "nope", now, CodeInvalid},
		{"alg none", none, now, CodeInvalidHeader},
		{"unknown API key", otherKey, now, CodeInvalidIssuer},
		{"wrong secret", wrongSecret, now, CodeInvalidSignature},
		{"tampered payload", forge(`{"iss":"` + keySID + `","sub":"` + account + `","exp":9999999999,"grants":{"identity":"mallory"}}`), now, CodeInvalidSignature},
		{"another account", otherAccount, now, CodeInvalidIssuer},
		{"expired", good, now.Add(time.Hour), CodeExpired},
		{"not yet valid", good, now.Add(-time.Minute), CodeNotYetValid},
	} {
		_, err := Verify(tc.token, account, secrets, tc.at)
		var te *twilio.Error
		if !errors.As(err, &te) || te.Status != 401 || te.Code != tc.code {
			t.Errorf("%s: %v, want 401 with code %d", tc.name, err, tc.code)
		}
	}
	if _, err := Verify(good, account, secrets, now.Add(59*time.Minute)); err != nil {
		t.Errorf("a token a minute before it expires: %v", err)
	}
	if _, err := Mint(Key{SID: keySID, Secret: secret}, account, Grants{}, now, 25*time.Hour); err == nil {
		t.Error("minted a token valid for more than 24 hours")
	}
}
