package conversations

import "testing"

func TestCredentials(t *testing.T) {
	cases := []struct {
		name    string
		p       CreateCredentialParams
		code    int
		mention string
	}{
		{name: "fcm", p: CreateCredentialParams{Type: "fcm", FriendlyName: "android", Secret: "s3cret"}},
		{name: "gcm", p: CreateCredentialParams{Type: "gcm", APIKey: "k"}},
		{name: "apn", p: CreateCredentialParams{Type: "apn", Certificate: "-----BEGIN CERTIFICATE-----", PrivateKey: "-----BEGIN RSA PRIVATE KEY-----", Sandbox: ptr(true)}},
		{name: "missing type", p: CreateCredentialParams{Secret: "s"}, code: 20001, mention: "Type"},
		{name: "unknown type", p: CreateCredentialParams{Type: "sms", Secret: "s"}, code: 20001, mention: "Type"},
		{name: "fcm without secret", p: CreateCredentialParams{Type: "fcm"}, code: 20001, mention: "Secret"},
		{name: "gcm without api key", p: CreateCredentialParams{Type: "gcm", Secret: "s"}, code: 20001, mention: "ApiKey"},
		{name: "apn without key", p: CreateCredentialParams{Type: "apn", Certificate: "c"}, code: 20001, mention: "PrivateKey"},
		{name: "name too long", p: CreateCredentialParams{Type: "fcm", Secret: "s", FriendlyName: string(make([]byte, 65))}, code: CodeFriendlyNameTooLong, mention: "FriendlyName"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newTestEngine(t)
			c, err := e.CreateCredential(tc.p)
			if tc.code != 0 {
				wantErr(t, err, tc.code, 400, tc.mention)
				if len(e.Credentials()) != 0 {
					t.Error("failed create stored a credential")
				}
				return
			}
			if err != nil || c.Type != tc.p.Type || c.FriendlyName != tc.p.FriendlyName || (tc.p.Sandbox != nil) != c.Sandbox {
				t.Fatalf("create: %+v %v", c, err)
			}
			if got, err := e.Credential(c.SID); err != nil || got.SID != c.SID {
				t.Errorf("fetch: %+v %v", got, err)
			}
		})
	}
}

func TestUpdateCredentialTypeNeedsItsSecret(t *testing.T) {
	e, _ := newTestEngine(t)
	c, _ := e.CreateCredential(CreateCredentialParams{Type: "fcm", Secret: "s"})
	_, err := e.UpdateCredential(c.SID, UpdateCredentialParams{Type: ptr("apn")})
	wantErr(t, err, 20001, 400, "Certificate")
	if got, _ := e.Credential(c.SID); got.Type != "fcm" {
		t.Errorf("failed update changed the type to %s", got.Type)
	}
	up, err := e.UpdateCredential(c.SID, UpdateCredentialParams{Type: ptr("gcm"), APIKey: ptr("k"), FriendlyName: ptr("g")})
	if err != nil || up.Type != "gcm" || up.FriendlyName != "g" {
		t.Fatalf("update: %+v %v", up, err)
	}
	// Clearing the only secret of the current type is refused.
	_, err = e.UpdateCredential(c.SID, UpdateCredentialParams{APIKey: ptr("")})
	wantErr(t, err, 20001, 400, "ApiKey")
	if err := e.DeleteCredential(c.SID); err != nil {
		t.Fatal(err)
	}
	_, err = e.Credential(c.SID)
	wantErr(t, err, 20404, 404, "/Credentials/"+c.SID)
}
