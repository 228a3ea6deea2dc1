package flex

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	tgclient "github.com/twilio/twilio-go/client"
	flexv1 "github.com/twilio/twilio-go/rest/flex/v1"

	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/emulator/twilio/twiliotest"
)

func newAPI(t *testing.T) (*fixture, *httptest.Server, *flexv1.ApiService) {
	t.Helper()
	f := newFixture(t)
	srv := twiliotest.Serve(t, Product, f.eng, Routes())
	c := &tgclient.Client{Credentials: tgclient.NewCredentials(f.env.AccountSID, f.env.AuthToken),
		HTTPClient: &http.Client{Transport: twiliotest.Transport(srv)}}
	c.SetAccountSid(f.env.AccountSID)
	return f, srv, flexv1.NewApiServiceWithClient(c)
}

func TestAPIInteractionJourney(t *testing.T) {
	f, srv, api := newAPI(t)
	params := (&flexv1.CreateInteractionParams{}).
		SetChannel(map[string]any{"type": "sms", "initiated_by": "customer",
			"properties": map[string]any{"media_channel_sid": convSID}}).
		SetRouting(map[string]any{"properties": map[string]any{"workspace_sid": workspace, "workflow_sid": workflow,
			"task_channel_unique_name": "chat", "attributes": map[string]any{"from": "+15552223333"}}})
	in, err := api.CreateInteraction(params)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*in.Sid, "KD") || *in.Url != "https://flex-api.twilio.com/v1/Interactions/"+*in.Sid {
		t.Errorf("interaction sid/url = %s %s", *in.Sid, *in.Url)
	}
	routing := (*in.Routing).(map[string]any)
	props := routing["properties"].(map[string]any)
	if props["sid"] != f.tr.infos[0].SID || props["assignmentCounter"] != 0.0 ||
		props["date_created"] != float64(f.clk.Now().Unix()) || props["addons"] != "{}" {
		t.Errorf("routing.properties = %v", props)
	}
	var attrs map[string]any
	if err := json.Unmarshal([]byte(props["attributes"].(string)), &attrs); err != nil || attrs["flexInteractionSid"] != *in.Sid {
		t.Errorf("attributes string = %v (%v)", props["attributes"], err)
	}
	channelSID := (*in.Channel).(map[string]any)["sid"].(string)

	got, err := api.FetchInteraction(*in.Sid)
	if err != nil || *got.Sid != *in.Sid {
		t.Fatalf("fetch = %v, %v", got, err)
	}
	chans, err := api.ListInteractionChannel(*in.Sid, nil)
	if err != nil || len(chans) != 1 || *chans[0].Sid != channelSID || *chans[0].Status != "active" {
		t.Fatalf("channels = %v, %v", chans, err)
	}
	invs, err := api.ListInteractionChannelInvite(*in.Sid, channelSID, nil)
	if err != nil || len(invs) != 1 {
		t.Fatalf("invites = %v, %v", invs, err)
	}
	ps, err := api.ListInteractionChannelParticipant(*in.Sid, channelSID, nil)
	if err != nil || len(ps) != 1 || string(*ps[0].Type) != "customer" {
		t.Fatalf("participants = %v, %v", ps, err)
	}
	p, err := api.CreateInteractionChannelParticipant(*in.Sid, channelSID, (&flexv1.CreateInteractionChannelParticipantParams{}).
		SetType("external").SetMediaProperties(map[string]any{"address": "x@example.com", "type": "email"}))
	if err != nil || !strings.HasPrefix(*p.Sid, "UT") {
		t.Fatalf("create participant = %v, %v", p, err)
	}
	if up, err := api.UpdateInteractionChannelParticipant(*in.Sid, channelSID, *p.Sid,
		(&flexv1.UpdateInteractionChannelParticipantParams{}).SetStatus("wrapup")); err != nil || *up.Sid != *p.Sid {
		t.Fatalf("update participant = %v, %v", up, err)
	}
	if ui, err := api.UpdateInteraction(*in.Sid, (&flexv1.UpdateInteractionParams{}).SetWebhookTtid("ttid_1")); err != nil || *ui.WebhookTtid != "ttid_1" {
		t.Fatalf("update interaction = %v, %v", ui, err)
	}
	if fc, err := api.FetchInteractionChannel(*in.Sid, channelSID); err != nil || *fc.InteractionSid != *in.Sid || fc.Links == nil {
		t.Fatalf("fetch channel = %v, %v", fc, err)
	}
	if _, err := api.FetchInteractionChannel(*in.Sid, "UO00000000000000000000000000000000"); err == nil || !strings.Contains(err.Error(), "20404") {
		t.Errorf("unknown channel err = %v", err)
	}
	inv, err := api.CreateInteractionChannelInvite(*in.Sid, channelSID, (&flexv1.CreateInteractionChannelInviteParams{}).
		SetRouting(map[string]any{"properties": map[string]any{"workflow_sid": workflow, "task_channel_unique_name": "chat"}}))
	if err != nil || !strings.HasPrefix(*inv.Sid, "KG") {
		t.Fatalf("create invite = %v, %v", inv, err)
	}
	upd, err := api.UpdateInteractionChannel(*in.Sid, channelSID, (&flexv1.UpdateInteractionChannelParams{}).
		SetStatus("closed").SetRouting(map[string]any{"status": "closed"}))
	if err != nil || *upd.Status != "closed" {
		t.Fatalf("update channel = %v, %v", upd, err)
	}
	if len(f.tr.updates) != 2 || !strings.HasSuffix(f.tr.updates[0], ":completed") {
		t.Errorf("task updates = %v", f.tr.updates)
	}

	// The emulator's list extension.
	resp, err := http.Get(srv.URL + "/v1/Interactions")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var list struct {
		Interactions []map[string]any     `json:"interactions"`
		Meta         struct{ Key string } `json:"meta"`
	}
	if err := json.Unmarshal(body, &list); err != nil || len(list.Interactions) != 1 || list.Meta.Key != "interactions" {
		t.Errorf("list = %s", body)
	}
}

func TestAPIErrors(t *testing.T) {
	_, srv, _ := newAPI(t)
	tests := []struct {
		name, method, path string
		form               url.Values
		status, code       int
		msg                string
	}{
		{"channel missing", "POST", "/v1/Interactions", url.Values{}, 400, 20001, "Channel"},
		{"channel not json", "POST", "/v1/Interactions", url.Values{"Channel": {"{nope"}}, 400, 20001, "Channel"},
		{"routing not json", "POST", "/v1/Interactions", url.Values{
			"Channel": {`{"type":"sms","initiated_by":"customer","properties":{"media_channel_sid":"` + convSID + `"}}`},
			"Routing": {"[]"}}, 400, 20001, "Routing"},
		{"unknown conversation", "POST", "/v1/Interactions", url.Values{
			"Channel": {`{"type":"sms","initiated_by":"customer","properties":{"media_channel_sid":"CH99999999999999999999999999999999"}}`},
			"Routing": {`{"properties":{"workflow_sid":"` + workflow + `"}}`}}, 404, 20404, "Conversations"},
		{"no workflow", "POST", "/v1/Interactions", url.Values{
			"Channel": {`{"type":"sms","initiated_by":"customer","properties":{"media_channel_sid":"` + convSID + `"}}`}},
			400, 20001, "workflow_sid"},
		{"unknown interaction", "GET", "/v1/Interactions/KD00000000000000000000000000000000", nil, 404, 20404, "KD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e twilio.Error
			_ = json.NewDecoder(resp.Body).Decode(&e)
			if resp.StatusCode != tt.status || e.Code != tt.code || !strings.Contains(e.Message, tt.msg) {
				t.Errorf("got %d %+v, want %d %d %q", resp.StatusCode, e, tt.status, tt.code, tt.msg)
			}
		})
	}
}
