package conversations

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/flexemu/flexemu/emulator/twilio/twiliotest"
	"github.com/twilio/twilio-go/client"
	convapi "github.com/twilio/twilio-go/rest/conversations/v1"
)

func TestTwilioGoClient(t *testing.T) {
	mux, _, ev := mountEngine(t)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c := &client.Client{Credentials: client.NewCredentials(ev.AccountSID, ev.AuthToken),
		HTTPClient: &http.Client{Transport: twiliotest.Transport(srv)}}
	c.SetAccountSid(ev.AccountSID)
	// The conversations service alone, as twilio.NewRestClient would wire it
	// (the root package needs go.sum entries this module does not carry).
	api := convapi.NewApiService(client.NewRequestHandler(c))

	conv, err := api.CreateConversation((&convapi.CreateConversationParams{}).SetFriendlyName("Support").
		SetAttributes(`{"topic":"billing"}`))
	if err != nil {
		t.Fatal(err)
	}
	if conv.Sid == nil || *conv.FriendlyName != "Support" || *conv.State != "active" ||
		*conv.Url != "https://conversations.twilio.com/v1/Conversations/"+*conv.Sid {
		t.Fatalf("conversation %+v", conv)
	}
	part, err := api.CreateConversationParticipant(*conv.Sid, (&convapi.CreateConversationParticipantParams{}).
		SetMessagingBindingAddress(waCustomer).SetMessagingBindingProxyAddress(waProxy))
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := (*part.MessagingBinding).(map[string]any); !ok || b["type"] != "whatsapp" || part.Identity != nil {
		t.Fatalf("participant %+v", part)
	}
	// A second conversation cannot take the same pair: twilio-go surfaces Twilio's error.
	other, _ := api.CreateConversation(&convapi.CreateConversationParams{})
	_, err = api.CreateConversationParticipant(*other.Sid, (&convapi.CreateConversationParticipantParams{}).
		SetMessagingBindingAddress(waCustomer).SetMessagingBindingProxyAddress(waProxy))
	if te, ok := err.(*client.TwilioRestError); !ok || te.Code != 50416 || te.Status != 409 {
		t.Fatalf("binding conflict error %#v", err)
	}

	for _, body := range []string{"one", "two", "three"} {
		m, err := api.CreateConversationMessage(*conv.Sid, (&convapi.CreateConversationMessageParams{}).
			SetAuthor(waCustomer).SetBody(body))
		if err != nil {
			t.Fatal(err)
		}
		if *m.ParticipantSid != *part.Sid || *m.Body != body {
			t.Errorf("message %+v", m)
		}
	}
	// PageSize 2 forces twilio-go to follow next_page_url.
	msgs, err := api.ListConversationMessage(*conv.Sid, (&convapi.ListConversationMessageParams{}).SetPageSize(2).SetOrder("desc"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var idx []int
	for _, m := range msgs {
		got = append(got, *m.Body)
		idx = append(idx, m.Index)
	}
	if len(got) != 3 || got[0] != "three" || got[2] != "one" || idx[0] != 2 || idx[2] != 0 {
		t.Errorf("listed %v %v", got, idx)
	}
}
