package studio

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator/twilio/twiliotest"
	tgclient "github.com/twilio/twilio-go/client"
	studiov2 "github.com/twilio/twilio-go/rest/studio/v2"
)

func newAPI(t *testing.T) (*fixture, *httptest.Server, *studiov2.ApiService) {
	t.Helper()
	f := newFixture(t)
	srv := twiliotest.Serve(t, Product, f.eng, Routes())
	c := &tgclient.Client{Credentials: tgclient.NewCredentials(f.env.AccountSID, f.env.AuthToken),
		HTTPClient: &http.Client{Transport: twiliotest.Transport(srv)}}
	c.SetAccountSid(f.env.AccountSID)
	return f, srv, studiov2.NewApiServiceWithClient(c)
}

func decodeObject(t *testing.T, text string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAPIFlowsAndRevisions(t *testing.T) {
	f, _, api := newAPI(t)
	def := decodeObject(t, readFlow(t, "inbound_to_flex.json"))
	fl, err := api.CreateFlow((&studiov2.CreateFlowParams{}).SetFriendlyName("Inbound").SetStatus("published").
		SetDefinition(def).SetCommitMessage("v1"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*fl.Sid, "FW") || fl.Revision != 1 || *fl.Status != "published" || !*fl.Valid ||
		*fl.Url != "https://studio.twilio.com/v2/Flows/"+*fl.Sid ||
		*fl.WebhookUrl != "https://webhooks.twilio.com/v1/Accounts/"+f.env.AccountSID+"/Flows/"+*fl.Sid {
		t.Errorf("flow = %+v", fl)
	}
	if got := (*fl.Definition).(map[string]any); got["initial_state"] != "Trigger" || len(got["states"].([]any)) != 5 {
		t.Errorf("definition not echoed as an object: %v", got)
	}
	// A definition passed as a string (JSON-encoded again by twilio-go) works too.
	up, err := api.UpdateFlow(*fl.Sid, (&studiov2.UpdateFlowParams{}).SetStatus("draft").
		SetDefinition(readFlow(t, "queue_selection.json")))
	if err != nil {
		t.Fatal(err)
	}
	if up.Revision != 2 || *up.Status != "draft" || *up.FriendlyName != "Inbound" || up.CommitMessage != nil {
		t.Errorf("updated = %+v", up)
	}
	revs, err := api.ListFlowRevision(*fl.Sid, nil)
	if err != nil || len(revs) != 2 || revs[0].Revision != 2 {
		t.Fatalf("revisions = %+v, %v", revs, err)
	}
	pub, err := api.FetchFlowRevision(*fl.Sid, "LatestPublished")
	if err != nil || pub.Revision != 1 || *pub.CommitMessage != "v1" {
		t.Fatalf("LatestPublished = %+v, %v", pub, err)
	}
	flows, err := api.ListFlow(nil)
	if err != nil || len(flows) != 1 {
		t.Fatalf("flows = %v, %v", flows, err)
	}
	v, err := api.UpdateFlowValidate((&studiov2.UpdateFlowValidateParams{}).SetFriendlyName("x").SetStatus("draft").SetDefinition(def))
	if err != nil || !*v.Valid {
		t.Fatalf("validate = %v, %v", v, err)
	}
	bad := map[string]any{"initial_state": "Trigger", "states": []any{map[string]any{"name": "Trigger", "type": "trigger",
		"transitions": []any{map[string]any{"event": "incomingRequest", "next": "ghost"}}}}}
	_, err = api.UpdateFlowValidate((&studiov2.UpdateFlowValidateParams{}).SetFriendlyName("x").SetStatus("draft").SetDefinition(bad))
	if err == nil || !strings.Contains(err.Error(), "20001") || !strings.Contains(err.Error(), "#/states/0/transitions/0/next") {
		t.Errorf("validate invalid err = %v", err)
	}
	tu, err := api.UpdateTestUser(*fl.Sid, (&studiov2.UpdateTestUserParams{}).SetTestUsers([]string{"alice", "bob"}))
	if err != nil || len(*tu.TestUsers) != 2 {
		t.Fatalf("test users = %v, %v", tu, err)
	}
	if err := api.DeleteFlow(*fl.Sid); err != nil {
		t.Fatal(err)
	}
	if _, err := api.FetchFlow(*fl.Sid); err == nil || !strings.Contains(err.Error(), "20404") {
		t.Errorf("fetch deleted err = %v", err)
	}
}

func TestAPIExecutions(t *testing.T) {
	f, srv, api := newAPI(t)
	def := `{"initial_state":"Trigger","states":[
	 {"name":"Trigger","type":"trigger","transitions":[{"event":"incomingRequest","next":"set"}]},
	 {"name":"set","type":"set-variables","transitions":[{"event":"next"}],
	  "properties":{"variables":[{"key":"who","value":"{{flow.data.name}}"}]}}]}`
	fl := f.publish(t, def)
	ex, err := api.CreateExecution(fl.SID, (&studiov2.CreateExecutionParams{}).SetTo("+15557654321").SetFrom(proxy).
		SetParameters(map[string]any{"name": "Zeke"}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*ex.Sid, "FN") || *ex.Status != "ended" || *ex.ContactChannelAddress != "+15557654321" ||
		*ex.FlowVersion != 1 {
		t.Errorf("execution = %+v", ex)
	}
	ctx, err := api.FetchExecutionContext(fl.SID, *ex.Sid)
	if err != nil {
		t.Fatal(err)
	}
	vars := (*ctx.Context).(map[string]any)["flow"].(map[string]any)["variables"].(map[string]any)
	if vars["who"] != "Zeke" {
		t.Errorf("context variables = %v", vars)
	}
	steps, err := api.ListExecutionStep(fl.SID, *ex.Sid, nil)
	if err != nil || len(steps) != 2 {
		t.Fatalf("steps = %v, %v", steps, err)
	}
	if *steps[0].Name != "incomingRequest" || *steps[0].TransitionedFrom != "Trigger" || *steps[1].TransitionedTo != "Ended" ||
		*steps[1].Type != "set-variables" {
		t.Errorf("steps = %s %s %s %s", *steps[0].Name, *steps[0].TransitionedFrom, *steps[1].TransitionedTo, *steps[1].Type)
	}
	st, err := api.FetchExecutionStep(fl.SID, *ex.Sid, *steps[1].Sid)
	if err != nil || *st.Sid != *steps[1].Sid {
		t.Fatalf("step = %v, %v", st, err)
	}
	sc, err := api.FetchExecutionStepContext(fl.SID, *ex.Sid, *steps[1].Sid)
	if err != nil || *sc.StepSid != *steps[1].Sid {
		t.Fatalf("step context = %v, %v", sc, err)
	}
	list, err := api.ListExecution(fl.SID, nil)
	if err != nil || len(list) != 1 {
		t.Fatalf("executions = %v, %v", list, err)
	}
	if _, err := api.UpdateExecution(fl.SID, *ex.Sid, (&studiov2.UpdateExecutionParams{}).SetStatus("ended")); err != nil {
		t.Fatal(err)
	}
	if err := api.DeleteExecution(fl.SID, *ex.Sid); err != nil {
		t.Fatal(err)
	}
	if _, err := api.FetchExecution(fl.SID, *ex.Sid); err == nil {
		t.Error("deleted execution still fetchable")
	}

	// Raw wire checks: create status and missing-parameter error.
	form := url.Values{"To": {"+1"}, "From": {"+2"}, "Parameters": {`{"name":"x"}`}}
	resp, err := http.Post(srv.URL+"/v2/Flows/"+fl.SID+"/Executions", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("create status = %d", resp.StatusCode)
	}
	resp, err = http.Post(srv.URL+"/v2/Flows/"+fl.SID+"/Executions", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"To": {"+1"}, "From": {"+2"}, "Parameters": {"[1]"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "Parameters") {
		t.Errorf("bad Parameters = %d %s", resp.StatusCode, body)
	}
}
