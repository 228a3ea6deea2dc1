package conversations

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/flexemu/flexemu/emulator/twilio/twiliotest"
	"github.com/twilio/twilio-go/client"
	convapi "github.com/twilio/twilio-go/rest/conversations/v1"
)

// TestTwilioGoDirectory drives users, roles, credentials,
// ConversationWithParticipants, receipts and participant conversations
// through twilio-go, proving its models decode the emulator's answers.
func TestTwilioGoDirectory(t *testing.T) {
	mux, e, ev := mountEngine(t)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c := &client.Client{Credentials: client.NewCredentials(ev.AccountSID, ev.AuthToken),
		HTTPClient: &http.Client{Transport: twiliotest.Transport(srv)}}
	c.SetAccountSid(ev.AccountSID)
	api := convapi.NewApiService(client.NewRequestHandler(c))

	role, err := api.CreateRole((&convapi.CreateRoleParams{}).SetFriendlyName("agent").SetType("service").
		SetPermission([]string{"joinConversation", "editOwnUserInfo"}))
	if err != nil || len(*role.Permissions) != 2 || *role.Type != "service" {
		t.Fatalf("CreateRole: %+v %v", role, err)
	}
	user, err := api.CreateUser((&convapi.CreateUserParams{}).SetIdentity("agent@example.com").SetRoleSid(*role.Sid))
	if err != nil || *user.RoleSid != *role.Sid || *user.ChatServiceSid != e.DefaultServiceSID() {
		t.Fatalf("CreateUser: %+v %v", user, err)
	}
	if got, err := api.FetchUser("agent@example.com"); err != nil || *got.Sid != *user.Sid {
		t.Fatalf("FetchUser by identity: %+v %v", got, err)
	}
	_, err = api.CreateUser((&convapi.CreateUserParams{}).SetIdentity("agent@example.com"))
	if te, ok := err.(*client.TwilioRestError); !ok || te.Code != CodeUserExists || te.Status != 409 {
		t.Fatalf("duplicate user error %#v", err)
	}

	conv, err := api.CreateConversationWithParticipants((&convapi.CreateConversationWithParticipantsParams{}).
		SetFriendlyName("Support").SetParticipant([]string{
		`{"identity": "agent@example.com"}`,
		`{"messaging_binding": {"address": "` + smsCust + `", "proxy_address": "` + smsProxy + `"}}`}))
	if err != nil || *conv.FriendlyName != "Support" {
		t.Fatalf("CreateConversationWithParticipants: %+v %v", conv, err)
	}
	msg, err := api.CreateConversationMessage(*conv.Sid, (&convapi.CreateConversationMessageParams{}).
		SetAuthor("agent@example.com").SetBody("How can I help?"))
	if err != nil {
		t.Fatal(err)
	}
	receipts, err := api.ListConversationMessageReceipt(*conv.Sid, *msg.Sid, &convapi.ListConversationMessageReceiptParams{})
	if err != nil || len(receipts) != 1 || *receipts[0].Status != "sent" {
		t.Fatalf("receipts: %+v %v", receipts, err)
	}
	ucs, err := api.ListUserConversation("agent@example.com", &convapi.ListUserConversationParams{})
	if err != nil || len(ucs) != 1 || *ucs[0].ConversationSid != *conv.Sid || *ucs[0].UserSid != *user.Sid {
		t.Fatalf("user conversations: %+v %v", ucs, err)
	}
	pcs, err := api.ListParticipantConversation((&convapi.ListParticipantConversationParams{}).SetAddress(smsCust))
	if err != nil || len(pcs) != 1 || *pcs[0].ConversationSid != *conv.Sid || pcs[0].ParticipantIdentity != nil {
		t.Fatalf("participant conversations: %+v %v", pcs, err)
	}
	cred, err := api.CreateCredential((&convapi.CreateCredentialParams{}).SetType("apn").SetCertificate("cert").
		SetPrivateKey("key").SetSandbox(true))
	if err != nil || *cred.Sandbox != "True" {
		t.Fatalf("CreateCredential: %+v %v", cred, err)
	}
	if creds, err := api.ListCredential(&convapi.ListCredentialParams{}); err != nil || len(creds) != 1 {
		t.Fatalf("ListCredential: %+v %v", creds, err)
	}
}
