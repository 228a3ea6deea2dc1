package emulator_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/emulatortest"
	"github.com/flexemu/flexemu/emulator/fixture"
	"github.com/flexemu/flexemu/emulator/twilioclient"
	content "github.com/twilio/twilio-go/rest/content/v1"
)

// TestTwilioGoDrivesContent is twilio-go's Content client against the
// emulator: create (JSON body), fetch, list, update, delete, and the 404
// after deleting.
func TestTwilioGoDrivesContent(t *testing.T) {
	emu := emulatortest.Run(t)
	info := emu.Info(emu.URL())
	client := twilioclient.New(emu.URL(), info.AccountSID, info.AuthToken)

	req := content.ContentCreateRequest{FriendlyName: "welcome", Language: "en",
		Variables: map[string]string{"1": "name"},
		Types: content.Types{
			TwilioText: &content.TwilioText{Body: "Hi {{1}}"},
			TwilioQuickReply: &content.TwilioQuickReply{Body: "Hi {{1}}, continue?",
				Actions: []content.QuickReplyAction{{Title: "Yes", Id: "yes"}, {Title: "No", Id: "no"}}},
		}}
	created, err := client.ContentV1.CreateContent((&content.CreateContentParams{}).SetContentCreateRequest(req))
	if err != nil {
		t.Fatalf("CreateContent: %v", err)
	}
	if !strings.HasPrefix(*created.Sid, "HX") || *created.AccountSid != info.AccountSID || *created.FriendlyName != "welcome" ||
		*created.Language != "en" || (*created.Variables)["1"] != "name" || created.DateCreated == nil {
		t.Fatalf("created = %+v", created)
	}
	if *created.Url != "https://content.twilio.com/v1/Content/"+*created.Sid {
		t.Fatalf("url = %s", *created.Url)
	}
	text, _ := (*created.Types)["twilio/text"].(map[string]any)
	if text["body"] != "Hi {{1}}" {
		t.Fatalf("types = %v", *created.Types)
	}
	if (*created.Links)["approval_fetch"] != *created.Url+"/ApprovalRequests" {
		t.Fatalf("links = %v", *created.Links)
	}

	fetched, err := client.ContentV1.FetchContent(*created.Sid)
	if err != nil || *fetched.Sid != *created.Sid {
		t.Fatalf("FetchContent = %+v, %v", fetched, err)
	}
	second, err := client.ContentV1.CreateContent((&content.CreateContentParams{}).SetContentCreateRequest(
		content.ContentCreateRequest{FriendlyName: "bye", Language: "es", Types: content.Types{TwilioText: &content.TwilioText{Body: "Adiós"}}}))
	if err != nil {
		t.Fatal(err)
	}
	all, err := client.ContentV1.ListContent((&content.ListContentParams{}).SetPageSize(1))
	if err != nil || len(all) != 2 || *all[0].Sid != *second.Sid || *all[1].Sid != *created.Sid {
		t.Fatalf("ListContent = %d items, %v", len(all), err)
	}

	upd := content.ContentUpdateRequest{FriendlyName: "welcome v2", Language: "en",
		Types: content.Types{TwilioText: &content.TwilioText{Body: "Hello {{1}}"}}}
	updated, err := client.ContentV1.UpdateContent(*created.Sid, (&content.UpdateContentParams{}).SetContentUpdateRequest(upd))
	if err != nil || *updated.FriendlyName != "welcome v2" {
		t.Fatalf("UpdateContent = %+v, %v", updated, err)
	}

	if err := client.ContentV1.DeleteContent(*created.Sid); err != nil {
		t.Fatalf("DeleteContent: %v", err)
	}
	if _, err := client.ContentV1.FetchContent(*created.Sid); err == nil {
		t.Fatal("fetching a deleted template succeeded")
	}
}

// TestContentRESTErrors checks the plain-HTTP surface: under /content and on
// the content host, JSON only, and Twilio's 400s for what the API refuses.
func TestContentRESTErrors(t *testing.T) {
	emu := emulatortest.Run(t)
	post := func(ct, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, emu.URL()+"/content/v1/Content", bytes.NewBufferString(body))
		req.Header.Set("Content-Type", ct)
		req.SetBasicAuth(emulator.DefaultAccountSID, emulator.DefaultAuthToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	for _, tt := range []struct {
		name, ct, body string
		status         int
	}{
		{"form body", "application/x-www-form-urlencoded", "FriendlyName=x", 415},
		{"no language", "application/json", `{"types":{"twilio/text":{"body":"x"}}}`, 400},
		{"no types", "application/json", `{"language":"en"}`, 400},
		{"unknown type", "application/json", `{"language":"en","types":{"twilio/nope":{"body":"x"}}}`, 400},
		{"text without body", "application/json", `{"language":"en","types":{"twilio/text":{}}}`, 400},
		{"non-string variable", "application/json", `{"language":"en","variables":{"1":2},"types":{"twilio/text":{"body":"x"}}}`, 400},
		{"ok", "application/json", `{"language":"en","types":{"twilio/text":{"body":"x"}}}`, 201},
	} {
		if status, m := post(tt.ct, tt.body); status != tt.status {
			t.Errorf("%s: status %d (%v), want %d", tt.name, status, m, tt.status)
		}
	}
	status, m := do(t, http.MethodGet, emu.URL()+"/content/v1/Content/HX00000000000000000000000000000000", nil, true, "")
	if status != 404 || m["code"] != float64(20404) {
		t.Fatalf("unknown template = %d %v", status, m)
	}
	status, m = do(t, http.MethodGet, emu.URL()+"/v1/Content", nil, true, "content.twilio.com")
	if status != 200 || m["meta"].(map[string]any)["key"] != "contents" {
		t.Fatalf("list on the content host = %d %v", status, m)
	}
	if status, _ := do(t, http.MethodGet, emu.URL()+"/content/v1/Content", nil, false, ""); status != 401 {
		t.Fatalf("unauthenticated list = %d", status)
	}
}

// TestFixtureContentTemplates: templates declared in a fixture are served,
// and survive a reset with their SIDs.
func TestFixtureContentTemplates(t *testing.T) {
	fx, err := fixture.Parse("content.yaml", []byte(`
content_templates:
  - sid: HX0123456789abcdef0123456789abcdef
    friendly_name: welcome
    language: en
    variables: { "1": name }
    types:
      twilio/text: { body: "Hi {{1}}" }
  - sid: HXfedcba9876543210fedcba9876543210
    friendly_name: menu
    language: es
    types: '{"twilio/quick-reply":{"body":"¿Seguimos?","actions":[{"title":"Sí"}]},"twilio/text":{"body":"¿Seguimos? Sí/No"}}'
`))
	if err != nil {
		t.Fatal(err)
	}
	emu := emulatortest.Run(t, emulator.WithFixture(fx))
	check := func() {
		t.Helper()
		status, m := do(t, http.MethodGet, emu.URL()+"/content/v1/Content/HX0123456789abcdef0123456789abcdef", nil, true, "")
		if status != 200 || m["friendly_name"] != "welcome" || m["variables"].(map[string]any)["1"] != "name" {
			t.Fatalf("fixture template = %d %v", status, m)
		}
		status, m = do(t, http.MethodGet, emu.URL()+"/content/v1/Content", nil, true, "")
		if status != 200 || len(m["contents"].([]any)) != 2 {
			t.Fatalf("list = %d %v", status, m)
		}
	}
	check()
	if err := emu.Account().Reset(); err != nil {
		t.Fatal(err)
	}
	check()
	err = emu.Account().Do(func(en *emulator.Engines) error {
		tpl, err := en.Content.Template("HXfedcba9876543210fedcba9876543210")
		if err != nil {
			return err
		}
		if tpl.Body() != "¿Seguimos? Sí/No" {
			t.Errorf("Body = %q", tpl.Body())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
