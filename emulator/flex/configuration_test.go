package flex

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	flexv1 "github.com/twilio/twilio-go/rest/flex/v1"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// sourceTaskRouter adds flex.ConfigurationSource to the fake TaskRouter.
type sourceTaskRouter struct{ *fakeTaskRouter }

func (sourceTaskRouter) ConfigurationDefaults(d *AccountDefaults) {
	d.WorkspaceSID, d.WorkflowSID, d.TaskQueueSID = workspace, workflow, "WQ00000000000000000000000000000001"
	d.TaskQueueSIDs = []string{"WQ00000000000000000000000000000001", "WQ00000000000000000000000000000002"}
	d.OfflineActivitySID = "WA00000000000000000000000000000001"
	d.Provisioned = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
}

func TestConfigurationDefaults(t *testing.T) {
	f := newFixture(t)
	f.eng = New(f.env, f.conv, sourceTaskRouter{f.tr})
	m := f.eng.Configuration("https://flex-api.twilio.com/v1/Configuration")
	if len(m) != len(configFields) {
		t.Errorf("%d fields, the spec lists %d", len(m), len(configFields))
	}
	for _, fl := range configFields {
		if _, ok := m[fl.name]; !ok {
			t.Errorf("field %s missing", fl.name)
		}
	}
	if m["taskrouter_workspace_sid"] != workspace || m["taskrouter_target_workflow_sid"] != workflow ||
		m["taskrouter_offline_activity_sid"] != "WA00000000000000000000000000000001" || m["account_sid"] != f.env.AccountSID ||
		len(m["taskrouter_taskqueues"].([]any)) != 2 || m["chat_service_instance_sid"] != nil || m["status"] != "ok" ||
		m["date_created"] != "2026-01-02T03:04:05Z" || m["date_updated"] != "2026-01-02T03:04:05Z" {
		t.Errorf("configuration = %v", m)
	}
}

func TestUpdateConfiguration(t *testing.T) {
	f := newFixture(t)
	created := f.eng.Configuration("")["date_created"]
	f.clk.Advance(time.Minute)
	if err := f.eng.UpdateConfiguration(map[string]any{"account_sid": f.env.AccountSID,
		"ui_attributes": map[string]any{"theme": "dark"}, "serverless_service_sids": []any{"ZS00000000000000000000000000000001"},
		"crm_enabled": true, "crm_type": "custom"}); err != nil {
		t.Fatal(err)
	}
	m := f.eng.Configuration("")
	if m["ui_attributes"].(map[string]any)["theme"] != "dark" || m["crm_enabled"] != true || m["crm_type"] != "custom" ||
		len(m["serverless_service_sids"].([]any)) != 1 || m["date_created"] != created || m["date_updated"] == created {
		t.Errorf("configuration = %v", m)
	}
	// ui_attributes is replaced whole.
	_ = f.eng.UpdateConfiguration(map[string]any{"ui_attributes": map[string]any{"logo": "x"}})
	if ua := f.eng.Configuration("")["ui_attributes"].(map[string]any); ua["theme"] != nil || ua["logo"] != "x" {
		t.Errorf("ui_attributes = %v", ua)
	}
	for _, bad := range []map[string]any{
		{"account_sid": "AC99999999999999999999999999999999"},
		{"status": "inprogress"},
		{"url": "x"},
		{"ui_attributes": "dark"},
		{"crm_enabled": "yes"},
		{"serverless_service_sids": "ZS…"},
		{"no_such_field": 1},
		{"attributes": map[string]any{"a": 1}, "flex_instance_sid": "GO…"},
	} {
		before := f.eng.Configuration("")
		if err := f.eng.UpdateConfiguration(bad); twilio.AsError(err) == nil || twilio.AsError(err).Status != 400 {
			t.Errorf("%v: err = %v", bad, err)
		}
		if after := f.eng.Configuration(""); after["attributes"].(map[string]any)["a"] != nil || after["date_updated"] != before["date_updated"] {
			t.Errorf("%v changed the configuration", bad)
		}
	}
}

func TestAPIConfiguration(t *testing.T) {
	f, srv, api := newAPI(t)
	cfg, err := api.FetchConfiguration(nil)
	if err != nil {
		t.Fatal(err)
	}
	if *cfg.AccountSid != f.env.AccountSID || *cfg.Url != "https://flex-api.twilio.com/v1/Configuration" || *cfg.Status != "ok" {
		t.Errorf("configuration = %+v", cfg)
	}
	up, err := api.UpdateConfiguration((&flexv1.UpdateConfigurationParams{}).SetBody(map[string]any{
		"account_sid": f.env.AccountSID, "attributes": map[string]any{"system_down": true}}))
	if err != nil {
		t.Fatal(err)
	}
	if a := (*up.Attributes).(map[string]any); a["system_down"] != true {
		t.Errorf("attributes = %v", a)
	}
	// A form body (or none) is refused: the update takes JSON.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/Configuration", strings.NewReader("UiVersion=2"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(f.env.AccountSID, f.env.AuthToken)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "JSON") {
		t.Errorf("form update = %d %s", resp.StatusCode, body)
	}
}
