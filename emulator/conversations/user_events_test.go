package conversations

import (
	"reflect"
	"testing"
)

// TestAPIUserEvents: REST user create/update fire onUserAdded/onUserUpdated
// to the global post-webhook only with X-Twilio-Webhook-Enabled: true and
// only when filtered in.
func TestAPIUserEvents(t *testing.T) {
	for _, tc := range []struct {
		name      string
		header    []string
		filters   []string
		reachable bool
		want      []string
	}{
		{"header and filters", []string{"X-Twilio-Webhook-Enabled", "true"}, []string{"onUserAdded", "onUserUpdated"}, false,
			[]string{"onUserAdded", "onUserUpdated"}},
		{"header value is case-insensitive, reachability on", []string{"X-Twilio-Webhook-Enabled", "TRUE"}, []string{"onUserAdded", "onUserUpdated"}, true,
			[]string{"onUserAdded", "onUserUpdated"}},
		{"only onUserUpdated filtered in", []string{"X-Twilio-Webhook-Enabled", "true"}, []string{"onUserUpdated", "onUserUpdate"}, false,
			[]string{"onUserUpdated"}},
		{"no header", nil, []string{"onUserAdded", "onUserUpdated"}, false, nil},
		{"header false", []string{"X-Twilio-Webhook-Enabled", "false"}, []string{"onUserAdded", "onUserUpdated"}, false, nil},
		{"not filtered in", []string{"X-Twilio-Webhook-Enabled", "true"}, []string{"onParticipantAdded"}, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, e, ev := apiServer(t)
			rc := newReceiver(t, ev.AuthToken)
			if _, err := e.UpdateWebhookConfiguration(UpdateWebhookConfigurationParams{PostWebhookURL: ptr(rc.URL + "/post"),
				Filters: tc.filters}); err != nil {
				t.Fatal(err)
			}
			if tc.reachable {
				if _, err := e.UpdateServiceConfiguration("", UpdateServiceConfigurationParams{ReachabilityEnabled: ptr(true)}); err != nil {
					t.Fatal(err)
				}
			}
			u := mustCall(t, srv, 201, "POST", "/v1/Users", encodeQuery("Identity", "agent@example.com", "FriendlyName", "Agent"), tc.header...)
			mustCall(t, srv, 200, "POST", "/v1/Users/agent@example.com", encodeQuery("Attributes", `{"team":"a"}`), tc.header...)
			// A failed update fires nothing.
			mustCall(t, srv, 400, "POST", "/v1/Users/agent@example.com", encodeQuery("Attributes", `{nope`), tc.header...)
			_ = ev.Webhooks.Wait(t.Context())

			got := rc.at("/post")
			if types := eventTypes(got); !reflect.DeepEqual(types, tc.want) && !(len(types) == 0 && len(tc.want) == 0) {
				t.Fatalf("events %v, want %v", types, tc.want)
			}
			want := []string{"AccountSid", "EventType", "ChatServiceSid", "Source", "UserSid", "Identity", "FriendlyName",
				"Attributes", "RoleSid", "DateCreated", "DateUpdated"}
			if tc.reachable {
				want = append(want, "IsOnline", "IsNotifiable")
			}
			for _, h := range got {
				if gk, wk := keys(h.Params), setOf(want...); !reflect.DeepEqual(gk, wk) {
					t.Errorf("%s params %v, want %v", h.Params["EventType"], gk, wk)
				}
				p := h.Params
				if !h.SignatureOK || p["AccountSid"] != ev.AccountSID || p["Source"] != "API" || p["ChatServiceSid"] != e.DefaultServiceSID() ||
					p["UserSid"] != u["sid"] || p["Identity"] != "agent@example.com" || p["FriendlyName"] != "Agent" ||
					p["RoleSid"] != u["role_sid"] {
					t.Errorf("%s params %v (signature ok %v)", p["EventType"], p, h.SignatureOK)
				}
				if tc.reachable && (p["IsOnline"] != "false" || p["IsNotifiable"] != "false") {
					t.Errorf("reachability params %v", p)
				}
				wantAttrs := map[string]string{"onUserAdded": "{}", "onUserUpdated": `{"team":"a"}`}[p["EventType"]]
				if p["Attributes"] != wantAttrs {
					t.Errorf("%s Attributes %q, want %q", p["EventType"], p["Attributes"], wantAttrs)
				}
			}
		})
	}
}

// TestUserEventsOrigin: engine callers choose the origin; SDK actions always
// fire (with ClientIdentity), a service webhook configuration (which cannot
// filter user events) takes the events away from the global one.
func TestUserEventsOrigin(t *testing.T) {
	for _, tc := range []struct {
		name           string
		origin         Origin
		serviceHook    bool
		want           []string
		clientIdentity string
	}{
		{"engine default (API, no header)", Origin{}, false, nil, ""},
		{"API with webhooks enabled", Origin{Source: SourceAPI, WebhookEnabled: true}, false, []string{"onUserAdded", "onUserUpdated"}, ""},
		{"SDK", Origin{Source: SourceSDK, ClientIdentity: "admin"}, false, []string{"onUserAdded", "onUserUpdated"}, "admin"},
		{"service configuration takes over", Origin{Source: SourceSDK, ClientIdentity: "admin"}, true, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, ev := newTestEngine(t)
			rc := newReceiver(t, ev.AuthToken)
			if _, err := e.UpdateWebhookConfiguration(UpdateWebhookConfigurationParams{PostWebhookURL: ptr(rc.URL + "/post"),
				Filters: []string{"onUserAdded", "onUserUpdated"}}); err != nil {
				t.Fatal(err)
			}
			if tc.serviceHook {
				if _, err := e.UpdateServiceWebhookConfiguration(e.DefaultServiceSID(), UpdateWebhookConfigurationParams{
					PostWebhookURL: ptr(rc.URL + "/service"), Filters: []string{"onMessageAdded"}}); err != nil {
					t.Fatal(err)
				}
			}
			u, err := e.CreateUser("", CreateUserParams{Identity: "bob", Origin: tc.origin})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.UpdateUser("", u.SID, UpdateUserParams{FriendlyName: ptr("Bob"), Origin: tc.origin}); err != nil {
				t.Fatal(err)
			}
			_ = ev.Webhooks.Wait(t.Context())
			got := append(rc.at("/post"), rc.at("/service")...)
			if types := eventTypes(got); !reflect.DeepEqual(types, tc.want) && !(len(types) == 0 && len(tc.want) == 0) {
				t.Fatalf("events %v, want %v", types, tc.want)
			}
			for _, h := range got {
				if h.Params["ClientIdentity"] != tc.clientIdentity || h.Params["Source"] != tc.origin.source() {
					t.Errorf("%s: Source %q ClientIdentity %q", h.Params["EventType"], h.Params["Source"], h.Params["ClientIdentity"])
				}
			}
			if len(got) == 2 && (got[0].Params["FriendlyName"] != "" || got[1].Params["FriendlyName"] != "Bob") {
				t.Errorf("FriendlyName: added %q, updated %q", got[0].Params["FriendlyName"], got[1].Params["FriendlyName"])
			}
		})
	}
}
