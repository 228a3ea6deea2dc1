package flex

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	tgclient "github.com/twilio/twilio-go/client"
	flexv1 "github.com/twilio/twilio-go/rest/flex/v1"

	"github.com/flexemu/flexemu/emulator/internal/oaicheck"
	"github.com/flexemu/flexemu/emulator/twilio/twiliotest"
)

// TestTransfersContract drives the Transfers endpoints over HTTP, as
// twilio-go calls them (JSON bodies), and checks every answer against
// Twilio's Flex v1 spec: status codes, field names, types, enums and SIDs.
func TestTransfersContract(t *testing.T) {
	spec := oaicheck.MustLoad(t, "testdata/twilio_flex_v1.transfers.json")
	tf := newTransferFixture(t)
	srv := twiliotest.Serve(t, Product, tf.eng, Routes())
	const (
		list     = "/v1/Interactions/{InteractionSid}/Channels/{ChannelSid}/Transfers"
		instance = list + "/{Sid}"
	)
	base := "/v1/Interactions/" + tf.in.SID + "/Channels/" + tf.in.ChannelSID + "/Transfers"
	call := func(method, specPath, path, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		status, schema, err := spec.Success(method, specPath)
		if err != nil || schema == nil {
			t.Fatalf("%s %s: no success answer with a body in the spec (%v)", method, specPath, err)
		}
		if resp.StatusCode != status {
			t.Fatalf("%s %s: %d %s, the spec answers %d", method, path, resp.StatusCode, b, status)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, e := range spec.Check(method+" "+specPath, m, schema) {
			t.Error(e)
		}
		return m
	}

	created := call("POST", list, base, `{"type":"warm","from":"`+tf.alice.SID+`","to":"`+bobSID+`"}`)
	sid, _ := created["sid"].(string)
	if url, _ := created["url"].(string); created["status"] != "active" || created["type"] != "warm" ||
		created["to"] != bobSID || !strings.HasSuffix(url, base+"/"+sid) {
		t.Errorf("created = %v", created)
	}
	fetched := call("GET", instance, base+"/"+sid, "")
	if fetched["sid"] != sid || fetched["date_created"] != created["date_created"] {
		t.Errorf("fetched = %v", fetched)
	}
	tf.accept(t, tf.tr.infos[1].SID, bobSID, "bob")
	updated := call("POST", instance, base+"/"+sid, `{"status":"completed"}`)
	if updated["status"] != "completed" {
		t.Errorf("updated = %v", updated)
	}
	// A cold transfer from bob, by form body, failed by update.
	bob := tf.agent(t, bobSID)
	req, _ := http.NewRequest("POST", srv.URL+base, strings.NewReader("Type=cold&From="+bob.SID+"&To="+salesSID))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var cold map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&cold)
	resp.Body.Close()
	if resp.StatusCode != 201 || cold["type"] != "cold" || cold["from"] != bob.SID {
		t.Fatalf("form create: %d %v", resp.StatusCode, cold)
	}
	if failed := call("POST", instance, base+"/"+cold["sid"].(string), `{"status":"failed"}`); failed["status"] != "failed" {
		t.Errorf("failed = %v", failed)
	}
}

// TestTransfersTwilioGo: twilio-go's CreateInteractionTransfer (a JSON body
// from a map), FetchInteractionTransfer and UpdateInteractionTransfer.
func TestTransfersTwilioGo(t *testing.T) {
	tf := newTransferFixture(t)
	srv := twiliotest.Serve(t, Product, tf.eng, Routes())
	c := &tgclient.Client{Credentials: tgclient.NewCredentials(tf.env.AccountSID, tf.env.AuthToken),
		HTTPClient: &http.Client{Transport: twiliotest.Transport(srv)}}
	c.SetAccountSid(tf.env.AccountSID)
	api := flexv1.NewApiServiceWithClient(c)
	tr, err := api.CreateInteractionTransfer(tf.in.SID, tf.in.ChannelSID, (&flexv1.CreateInteractionTransferParams{}).
		SetBody(map[string]any{"type": "cold", "from": tf.alice.SID, "to": salesSID}))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Sid == nil || tr.Status == nil || *tr.Status != "active" || *tr.To != salesSID || *tr.Type != "cold" ||
		*tr.Url != "https://flex-api.twilio.com/v1/Interactions/"+tf.in.SID+"/Channels/"+tf.in.ChannelSID+"/Transfers/"+*tr.Sid {
		t.Fatalf("created = %+v", tr)
	}
	tf.accept(t, tf.tr.infos[1].SID, bobSID, "bob")
	got, err := api.FetchInteractionTransfer(tf.in.SID, tf.in.ChannelSID, *tr.Sid)
	if err != nil || *got.Status != "completed" {
		t.Fatalf("fetched = %+v, %v", got, err)
	}
	got, err = api.UpdateInteractionTransfer(tf.in.SID, tf.in.ChannelSID, *tr.Sid, (&flexv1.UpdateInteractionTransferParams{}).
		SetBody(map[string]any{"status": "completed"}))
	if err != nil || *got.Status != "completed" {
		t.Fatalf("updated = %+v, %v", got, err)
	}
}

// TestTransfersAPIErrors: Twilio's error JSON for bad bodies and unknown SIDs.
func TestTransfersAPIErrors(t *testing.T) {
	tf := newTransferFixture(t)
	srv := twiliotest.Serve(t, Product, tf.eng, Routes())
	base := "/v1/Interactions/" + tf.in.SID + "/Channels/" + tf.in.ChannelSID + "/Transfers"
	tests := []struct {
		name, method, path, body string
		status, code             int
	}{
		{"not an object", "POST", base, `[1]`, 400, 20001},
		{"to not a string", "POST", base, `{"to": 7}`, 400, 20001},
		{"no target", "POST", base, `{"type":"cold"}`, 400, 20001},
		{"bad attributes", "POST", base, `{"to":"` + bobSID + `","attributes":"[]"}`, 400, 20001},
		{"bad priority", "POST", base, `{"to":"` + bobSID + `","priority":"high"}`, 400, 20001},
		{"unknown channel", "POST", "/v1/Interactions/" + tf.in.SID + "/Channels/UO99999999999999999999999999999999/Transfers",
			`{"to":"` + bobSID + `"}`, 404, 20404},
		{"unknown transfer", "GET", base + "/UX99999999999999999999999999999999", "", 404, 20404},
		{"no status", "POST", base + "/UX99999999999999999999999999999999", `{}`, 400, 20001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e struct{ Code, Status int }
			_ = json.NewDecoder(resp.Body).Decode(&e)
			if resp.StatusCode != tt.status || e.Code != tt.code {
				t.Errorf("got %d %+v, want %d %d", resp.StatusCode, e, tt.status, tt.code)
			}
		})
	}
}
