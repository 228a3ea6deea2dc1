package conversations

import (
	"strings"
	"testing"
)

func TestAddressConfigurationCRUD(t *testing.T) {
	e, _ := newTestEngine(t)
	a := mustAddress(t, e, CreateAddressConfigurationParams{Type: "whAtsAPP", Address: waProxy, FriendlyName: "WA",
		AddressCountry: "us", AutoCreation: AutoCreationParams{Enabled: ptr(true), Type: ptr("webhook"),
			WebhookURL: ptr("https://example.com/hook"), WebhookFilters: []string{"onMessageAdded"}}})
	if a.Type != "whAtsAPP" || a.AddressCountry != "US" || a.AutoCreation.WebhookMethod != "POST" || !strings.HasPrefix(a.SID, "IG") {
		t.Errorf("created %+v", a)
	}
	mustAddress(t, e, CreateAddressConfigurationParams{Type: "sms", Address: smsProxy})

	for _, key := range []string{a.SID, waProxy} {
		got, err := e.AddressConfiguration(key)
		if err != nil || got.SID != a.SID {
			t.Errorf("fetch by %q: %v %v", key, got, err)
		}
	}
	if got := e.AddressConfigurations("WHATSAPP"); len(got) != 1 || got[0].SID != a.SID {
		t.Errorf("list Type=WHATSAPP: %d items", len(got))
	}
	if got := e.AddressConfigurations(); len(got) != 2 {
		t.Errorf("list all: %d items", len(got))
	}

	// Update switches to studio; the webhook fields are kept but the type is studio.
	flow := "FW0123456789abcdef0123456789abcdef"
	up, err := e.UpdateAddressConfiguration(waProxy, UpdateAddressConfigurationParams{FriendlyName: ptr("WA 2"),
		AutoCreation: AutoCreationParams{Type: ptr("studio"), StudioFlowSID: &flow, StudioRetryCount: ptr(3)}})
	if err != nil {
		t.Fatal(err)
	}
	if up.FriendlyName != "WA 2" || up.AutoCreation.Type != "studio" || up.AutoCreation.StudioFlowSID != flow || !up.AutoCreation.Enabled {
		t.Errorf("updated %+v", up)
	}
	// A failed update changes nothing.
	if _, err := e.UpdateAddressConfiguration(a.SID, UpdateAddressConfigurationParams{FriendlyName: ptr("nope"),
		AutoCreation: AutoCreationParams{Type: ptr("webhook"), WebhookURL: ptr("not a url")}}); err == nil {
		t.Fatal("invalid update accepted")
	}
	if got, _ := e.AddressConfiguration(a.SID); got.FriendlyName != "WA 2" || got.AutoCreation.Type != "studio" {
		t.Errorf("failed update leaked: %+v", got)
	}

	if code, status := errCode(t, func() error {
		_, err := e.CreateAddressConfiguration(CreateAddressConfigurationParams{Type: "whatsapp", Address: waProxy})
		return err
	}()); status != 409 || code == 0 {
		t.Errorf("duplicate address: %d/%d", code, status)
	}

	if err := e.DeleteAddressConfiguration(waProxy); err != nil {
		t.Fatal(err)
	}
	if code, _ := errCode(t, func() error { _, err := e.AddressConfiguration(a.SID); return err }()); code != 20404 {
		t.Errorf("fetch after delete: code %d", code)
	}
}

func TestAddressConfigurationValidation(t *testing.T) {
	flow := "FW0123456789abcdef0123456789abcdef"
	cases := []struct {
		name      string
		p         CreateAddressConfigurationParams
		wantParam string // the error message must name it
	}{
		{"missing type", CreateAddressConfigurationParams{Address: smsProxy}, "Type"},
		{"bad type", CreateAddressConfigurationParams{Type: "pigeon", Address: smsProxy}, "Type"},
		{"missing address", CreateAddressConfigurationParams{Type: "sms"}, "Address"},
		{"whatsapp without prefix", CreateAddressConfigurationParams{Type: "whatsapp", Address: "+14155238886"}, "Address"},
		{"sms not e164", CreateAddressConfigurationParams{Type: "sms", Address: "hello"}, "Address"},
		{"bad country", CreateAddressConfigurationParams{Type: "sms", Address: smsProxy, AddressCountry: "USA"}, "AddressCountry"},
		{"bad auto type", CreateAddressConfigurationParams{Type: "sms", Address: smsProxy,
			AutoCreation: AutoCreationParams{Type: ptr("pigeon")}}, "AutoCreation.Type"},
		{"webhook without url", CreateAddressConfigurationParams{Type: "sms", Address: smsProxy,
			AutoCreation: AutoCreationParams{Enabled: ptr(true), Type: ptr("webhook")}}, "AutoCreation.WebhookUrl"},
		{"bad method", CreateAddressConfigurationParams{Type: "sms", Address: smsProxy,
			AutoCreation: AutoCreationParams{Type: ptr("webhook"), WebhookURL: ptr("https://x.example"), WebhookMethod: ptr("PUT")}}, "AutoCreation.WebhookMethod"},
		{"bad filter", CreateAddressConfigurationParams{Type: "sms", Address: smsProxy,
			AutoCreation: AutoCreationParams{Type: ptr("webhook"), WebhookURL: ptr("https://x.example"), WebhookFilters: []string{"onConversationAdded"}}}, "AutoCreation.WebhookFilters"},
		{"studio without flow", CreateAddressConfigurationParams{Type: "sms", Address: smsProxy,
			AutoCreation: AutoCreationParams{Type: ptr("studio")}}, "AutoCreation.StudioFlowSid"},
		{"studio bad flow", CreateAddressConfigurationParams{Type: "sms", Address: smsProxy,
			AutoCreation: AutoCreationParams{Type: ptr("studio"), StudioFlowSID: ptr("FWnope")}}, "AutoCreation.StudioFlowSid"},
		{"studio retry out of range", CreateAddressConfigurationParams{Type: "sms", Address: smsProxy,
			AutoCreation: AutoCreationParams{Type: ptr("studio"), StudioFlowSID: &flow, StudioRetryCount: ptr(-1)}}, "AutoCreation.StudioRetryCount"},
		{"unknown service", CreateAddressConfigurationParams{Type: "sms", Address: smsProxy,
			AutoCreation: AutoCreationParams{ConversationServiceSID: ptr("IS0123456789abcdef0123456789abcdef")}}, "AutoCreation.ConversationServiceSid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newTestEngine(t)
			_, err := e.CreateAddressConfiguration(tc.p)
			if code, status := errCode(t, err); code != 20001 || status != 400 {
				t.Fatalf("code %d status %d (%v), want 20001/400", code, status, err)
			}
			if !strings.Contains(err.Error(), tc.wantParam) {
				t.Errorf("error %q does not name %s", err, tc.wantParam)
			}
			if n := len(e.AddressConfigurations()); n != 0 {
				t.Errorf("failed create stored %d configurations", n)
			}
		})
	}
}
