package conversations

import (
	"errors"
	"reflect"
	"testing"

	"github.com/flexemu/flexemu/emulator/webhook"
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

// TestUserUpdatePreEvent: an SDK user's update of itself goes through
// onUserUpdate (blocking or modifying it, like the other pre-events), then
// fires onUserUpdated; REST updates are not subject to it.
func TestUserUpdatePreEvent(t *testing.T) {
	sdk := Origin{Source: SourceSDK, ClientIdentity: "bob"}
	for _, tc := range []struct {
		name      string
		origin    Origin
		filters   []string
		status    int
		answer    string
		params    UpdateUserParams
		preEvent  bool   // a pre-event is sent
		rejected  bool   // Commit fails with ErrRejected
		wantName  string // friendly_name after the commit
		wantAttrs string
		wantPost  []string
	}{
		{"proceed unchanged", sdk, nil, 200, "", UpdateUserParams{FriendlyName: ptr("Bobby")},
			true, false, "Bobby", `{"team":"a"}`, []string{"onUserUpdated"}},
		{"answer overrides friendly_name and attributes", sdk, nil, 200, `{"friendly_name":"Robert","attributes":{"team":"b"}}`,
			UpdateUserParams{FriendlyName: ptr("Bobby")}, true, false, "Robert", `{"team":"b"}`, []string{"onUserUpdated"}},
		{"non-JSON 2xx answer proceeds", sdk, nil, 204, "", UpdateUserParams{Attributes: ptr(`{"team":"c"}`)},
			true, false, "Bob", `{"team":"c"}`, []string{"onUserUpdated"}},
		{"403 blocks the update", sdk, nil, 403, "", UpdateUserParams{FriendlyName: ptr("Bobby")},
			true, true, "Bob", `{"team":"a"}`, nil},
		{"500 blocks the update", sdk, nil, 500, `{"friendly_name":"x"}`, UpdateUserParams{FriendlyName: ptr("Bobby")},
			true, true, "Bob", `{"team":"a"}`, nil},
		{"not in the filters: no pre-event", sdk, []string{"onUserUpdated"}, 403, "", UpdateUserParams{FriendlyName: ptr("Bobby")},
			false, false, "Bobby", `{"team":"a"}`, []string{"onUserUpdated"}},
		{"REST is not subject to it", Origin{Source: SourceAPI, WebhookEnabled: true}, nil, 403, "", UpdateUserParams{FriendlyName: ptr("Bobby")},
			false, false, "Bobby", `{"team":"a"}`, []string{"onUserUpdated"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, ev := newTestEngine(t)
			post := newReceiver(t, ev.AuthToken)
			pre := newPreHook(t, ev.AuthToken, tc.status, tc.answer, 0)
			filters := tc.filters
			if filters == nil {
				filters = []string{"onUserUpdate", "onUserUpdated"}
			}
			if _, err := e.UpdateWebhookConfiguration(UpdateWebhookConfigurationParams{PreWebhookURL: ptr(pre.URL + "/pre"),
				PostWebhookURL: ptr(post.URL + "/post"), Filters: filters}); err != nil {
				t.Fatal(err)
			}
			u, err := e.CreateUser("", CreateUserParams{Identity: "bob", FriendlyName: "Bob", Attributes: `{"team":"a"}`})
			if err != nil {
				t.Fatal(err)
			}
			p := tc.params
			p.Origin = tc.origin
			pend, err := e.PrepareUserUpdate("", "bob", p)
			if err != nil {
				t.Fatal(err)
			}
			if (pend.PreEvent != nil) != tc.preEvent || pend.Event != "onUserUpdate" {
				t.Fatalf("pre-event %+v (%s), want one: %t", pend.PreEvent, pend.Event, tc.preEvent)
			}
			var answer *webhook.Delivery
			if pend.PreEvent != nil {
				del := ev.Webhooks.Do(t.Context(), *pend.PreEvent)
				answer = &del
			}
			res, err := e.Commit(pend, answer)
			if tc.rejected {
				if !errors.Is(err, ErrRejected) || res != nil {
					t.Fatalf("Commit = %+v, %v; want ErrRejected", res, err)
				}
				if code, status := errCode(t, err); code != CodeRejectedByPreEvent || status != 403 {
					t.Fatalf("rejection %d/%d", code, status)
				}
				rej := findEntries(ev.Timeline.Since(0), "pre_event.rejected")
				if len(rej) != 1 || rej[0].SID != u.SID || rej[0].Refs["identity"] != "bob" || rej[0].Refs["event"] != "onUserUpdate" {
					t.Fatalf("timeline %+v", rej)
				}
			} else if err != nil || res.User == nil || res.User.SID != u.SID {
				t.Fatalf("Commit = %+v, %v", res, err)
			}
			now, _ := e.User("", u.SID)
			if now.FriendlyName != tc.wantName || now.Attributes != tc.wantAttrs {
				t.Fatalf("user %q %s, want %q %s", now.FriendlyName, now.Attributes, tc.wantName, tc.wantAttrs)
			}
			_ = ev.Webhooks.Wait(t.Context())
			if tc.preEvent {
				got := pre.requests()
				if len(got) != 1 {
					t.Fatalf("%d pre-events", len(got))
				}
				h := got[0].Params
				want := map[string]string{"EventType": "onUserUpdate", "Source": "SDK", "ClientIdentity": "bob", "UserSid": u.SID,
					"Identity": "bob", "ChatServiceSid": u.ChatServiceSID}
				for k, v := range want {
					if h[k] != v {
						t.Errorf("pre-event %s = %q, want %q", k, h[k], v)
					}
				}
				// the values the update would leave
				if p.FriendlyName != nil && h["FriendlyName"] != *p.FriendlyName || p.Attributes != nil && h["Attributes"] != *p.Attributes {
					t.Errorf("pre-event FriendlyName %q Attributes %q", h["FriendlyName"], h["Attributes"])
				}
				if !got[0].SignatureOK {
					t.Error("pre-event signature does not validate")
				}
			} else if n := len(pre.requests()); n != 0 {
				t.Fatalf("%d pre-events", n)
			}
			posts := post.at("/post")
			if types := eventTypes(posts); !reflect.DeepEqual(types, tc.wantPost) && !(len(types) == 0 && len(tc.wantPost) == 0) {
				t.Fatalf("post-events %v, want %v", types, tc.wantPost)
			}
			if len(posts) == 1 && (posts[0].Params["FriendlyName"] != tc.wantName || posts[0].Params["Attributes"] != tc.wantAttrs) {
				t.Errorf("onUserUpdated %v", posts[0].Params)
			}
		})
	}
}

// TestPrepareUserUpdateErrors: validation happens before any pre-event.
func TestPrepareUserUpdateErrors(t *testing.T) {
	e, _ := newTestEngine(t)
	if _, err := e.CreateUser("", CreateUserParams{Identity: "bob"}); err != nil {
		t.Fatal(err)
	}
	sdk := Origin{Source: SourceSDK, ClientIdentity: "bob"}
	for _, tc := range []struct {
		name, ref string
		p         UpdateUserParams
		status    int
	}{
		{"unknown user", "nobody", UpdateUserParams{FriendlyName: ptr("x"), Origin: sdk}, 404},
		{"bad attributes", "bob", UpdateUserParams{Attributes: ptr("{"), Origin: sdk}, 400},
		{"unknown role", "bob", UpdateUserParams{RoleSID: ptr("RL00000000000000000000000000000009"), Origin: sdk}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.PrepareUserUpdate("", tc.ref, tc.p); err == nil {
				t.Fatal("no error")
			} else if _, status := errCode(t, err); status != tc.status {
				t.Fatalf("status %d, want %d (%v)", status, tc.status, err)
			}
		})
	}
}
