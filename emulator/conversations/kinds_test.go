package conversations

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/emulator/webhook"
)

// TestEngineErrorKinds: engine errors say what went wrong (a Kind and
// Twilio's code); the status they are served with follows from the Kind.
func TestEngineErrorKinds(t *testing.T) {
	e, _ := newTestEngine(t)
	mustAddress(t, e, CreateAddressConfigurationParams{Type: "sms", Address: smsProxy, AutoCreation: defaultAutoCreation()})
	in, err := e.Inbound(InboundParams{From: smsCust, To: smsProxy, Body: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	c := in.Conversation.SID
	if _, err := e.CreateConversation(CreateConversationParams{UniqueName: "named"}); err != nil {
		t.Fatal(err)
	}
	closed, err := e.CreateConversation(CreateConversationParams{State: StateClosed})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.UpdateWebhookConfiguration(UpdateWebhookConfigurationParams{PreWebhookURL: ptr("https://hooks.example.com/pre"),
		Filters: []string{"onMessageAdd"}}); err != nil {
		t.Fatal(err)
	}
	pend, err := e.PrepareMessage(c, CreateMessageParams{Author: "agent", Body: "x", Origin: Origin{Source: SourceSDK, ClientIdentity: "agent"}})
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		err  func() error
		kind twilio.Kind
		code int
	}{
		{"unique name taken", func() error {
			_, err := e.CreateConversation(CreateConversationParams{UniqueName: "named"})
			return err
		}, twilio.KindConflict, CodeUniqueNameExists},
		{"message to a closed conversation", func() error {
			_, err := e.AddMessage(closed.SID, CreateMessageParams{Body: "x"})
			return err
		}, twilio.KindInvalid, CodeConversationIsClosed},
		{"participant to a closed conversation", func() error {
			_, err := e.AddParticipant(closed.SID, CreateParticipantParams{Address: smsCust, ProxyAddress: smsProxy})
			return err
		}, twilio.KindInvalid, CodeConversationIsClosed},
		{"binding in use by another conversation", func() error {
			other, err := e.CreateConversation(CreateConversationParams{})
			if err != nil {
				return err
			}
			_, err = e.AddParticipant(other.SID, CreateParticipantParams{Address: smsCust, ProxyAddress: smsProxy})
			return err
		}, twilio.KindConflict, CodeBindingInUse},
		{"batch binding in use", func() error {
			_, _, err := e.CreateConversationWithParticipants(CreateConversationParams{},
				[]CreateParticipantParams{{Address: smsCust, ProxyAddress: smsProxy}})
			return err
		}, twilio.KindConflict, CodeBindingsInUse},
		{"batch participant keeps its kind", func() error {
			_, _, err := e.CreateConversationWithParticipants(CreateConversationParams{},
				[]CreateParticipantParams{{Address: "+15005550001", ProxyAddress: "+15005550001"}})
			return err
		}, twilio.KindInvalid, CodeAddressEqualsProxy},
		{"identity like a SID", func() error {
			_, err := e.CreateUser("", CreateUserParams{Identity: "US00000000000000000000000000000000"})
			return err
		}, twilio.KindInvalid, CodeIdentityLooksLikeSID},
		{"unknown conversation", func() error {
			_, err := e.Conversation("CH00000000000000000000000000000000")
			return err
		}, twilio.KindNotFound, twilio.CodeNotFound},
		{"inbound not captured", func() error {
			_, err := e.Inbound(InboundParams{From: smsCust, To: "+15005550009", Body: "x"})
			return err
		}, twilio.KindNotFound, twilio.CodeNotFound},
		{"rejected by the pre-event", func() error {
			_, err := e.Commit(pend, &webhook.Delivery{Status: 403})
			if !errors.Is(err, ErrRejected) {
				t.Errorf("rejection %v does not wrap ErrRejected", err)
			}
			return err
		}, twilio.KindForbidden, CodeRejectedByPreEvent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			var te *twilio.Error
			if !errors.As(err, &te) {
				t.Fatalf("error %v is not a *twilio.Error", err)
			}
			if te.Kind() != tc.kind || te.Code != tc.code || te.Status != tc.kind.Status() {
				t.Errorf("%v: kind %d code %d status %d, want kind %d code %d status %d", err, te.Kind(), te.Code, te.Status,
					tc.kind, tc.code, tc.kind.Status())
			}
		})
	}
}

// TestEngineNamesNoHTTPStatus: only the API files choose HTTP statuses; the
// engine picks a twilio.Kind.
func TestEngineNamesNoHTTPStatus(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || strings.HasPrefix(f, "api") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			if strings.Contains(line, "http.Status") && !strings.Contains(line, "http.StatusText(answer.Status)") ||
				strings.Contains(line, "twilio.NewError(") {
				t.Errorf("%s:%d builds an HTTP error itself: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}
