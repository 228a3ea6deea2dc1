package flex

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// AccountDefaults are the account's resources the Flex Configuration names:
// the Flex workspace and what Flex routes through, and the Conversations
// services. An adapter of the engine's TaskRouter or Conversations offers
// them through ConfigurationSource; what neither offers renders as null.
type AccountDefaults struct {
	WorkspaceSID, WorkflowSID, TaskQueueSID, OfflineActivitySID string
	TaskQueueSIDs                                               []string
	ChatServiceSID, MessagingServiceSID                         string
	// Provisioned is when the Flex workspace was created: the
	// Configuration's date_created (zero: when it was first read).
	Provisioned time.Time
}

// ConfigurationSource is what a TaskRouter or Conversations adapter may also
// offer: its part of AccountDefaults, filled into d.
type ConfigurationSource interface {
	ConfigurationDefaults(d *AccountDefaults)
}

// configState is what POST /v1/Configuration changed: the fields sent,
// JSON-decoded, replacing the defaults (top-level keys replace whole values).
type configState struct {
	dateCreated, dateUpdated time.Time
	set                      map[string]any
}

// configKind is the JSON type a Configuration field holds.
type configKind int

const (
	kindObject configKind = iota
	kindArray
	kindString
	kindBool
)

// configField is one field of the Configuration resource (every property
// the Flex v1 spec lists), its JSON type and whether POST may change it.
type configField struct {
	name     string
	kind     configKind
	readOnly bool
}

var configFields = []configField{
	{"account_sid", kindString, true},
	{"date_created", kindString, true},
	{"date_updated", kindString, true},
	{"attributes", kindObject, false},
	{"status", kindString, true},
	{"taskrouter_workspace_sid", kindString, false},
	{"taskrouter_target_workflow_sid", kindString, false},
	{"taskrouter_target_taskqueue_sid", kindString, false},
	{"taskrouter_taskqueues", kindArray, false},
	{"taskrouter_skills", kindArray, false},
	{"taskrouter_worker_channels", kindObject, false},
	{"taskrouter_worker_attributes", kindObject, false},
	{"taskrouter_offline_activity_sid", kindString, false},
	{"runtime_domain", kindString, false},
	{"messaging_service_instance_sid", kindString, false},
	{"chat_service_instance_sid", kindString, false},
	{"flex_service_instance_sid", kindString, false},
	{"flex_instance_sid", kindString, true},
	{"ui_language", kindString, false},
	{"ui_attributes", kindObject, false},
	{"ui_dependencies", kindObject, false},
	{"ui_version", kindString, false},
	{"service_version", kindString, true},
	{"call_recording_enabled", kindBool, false},
	{"call_recording_webhook_url", kindString, false},
	{"crm_enabled", kindBool, false},
	{"crm_type", kindString, false},
	{"crm_callback_url", kindString, false},
	{"crm_fallback_url", kindString, false},
	{"crm_attributes", kindObject, false},
	{"public_attributes", kindObject, false},
	{"plugin_service_enabled", kindBool, false},
	{"plugin_service_attributes", kindObject, false},
	{"integrations", kindArray, false},
	{"outbound_call_flows", kindObject, false},
	{"serverless_service_sids", kindArray, false},
	{"queue_stats_configuration", kindObject, false},
	{"notifications", kindObject, false},
	{"markdown", kindObject, false},
	{"url", kindString, true},
	{"flex_insights_hr", kindObject, false},
	{"flex_insights_drilldown", kindBool, false},
	{"flex_url", kindString, false},
	{"channel_configs", kindArray, false},
	{"debugger_integration", kindObject, false},
	{"flex_ui_status_report", kindObject, false},
	{"agent_conv_end_methods", kindObject, false},
	{"citrix_voice_vdi", kindObject, false},
	{"offline_config", kindObject, false},
}

// Configuration defaults: what a new Flex Conversations account shows
// (values not taken from the account are flexemu's choice; see fidelity).
const (
	defaultUIVersion      = "2.x"
	defaultServiceVersion = "1.0"
)

func (e *Engine) configuration() *configState {
	if e.config == nil {
		now := e.env.Now().UTC()
		e.config = &configState{dateCreated: now, dateUpdated: now, set: map[string]any{}}
	}
	return e.config
}

// defaults fills the account's resources from whichever adapter offers them.
func (e *Engine) defaults() AccountDefaults {
	var d AccountDefaults
	if s, ok := e.tr.(ConfigurationSource); ok {
		s.ConfigurationDefaults(&d)
	}
	if s, ok := e.conv.(ConfigurationSource); ok {
		s.ConfigurationDefaults(&d)
	}
	return d
}

// Configuration renders the Flex Configuration resource: every field of the
// spec, account resources filled from TaskRouter and Conversations, and
// what POST /v1/Configuration set on top. url is the resource's URL.
func (e *Engine) Configuration(url string) map[string]any {
	st := e.configuration()
	d := e.defaults()
	queues := make([]any, 0, len(d.TaskQueueSIDs))
	for _, q := range d.TaskQueueSIDs {
		queues = append(queues, map[string]any{"sid": q, "targettable": true})
	}
	created, updated := st.dateCreated, st.dateUpdated
	if !d.Provisioned.IsZero() && d.Provisioned.Before(created) {
		if updated.Equal(created) {
			updated = d.Provisioned
		}
		created = d.Provisioned
	}
	m := map[string]any{
		"account_sid":                     e.env.AccountSID,
		"date_created":                    twilio.Time(created),
		"date_updated":                    twilio.Time(updated),
		"attributes":                      map[string]any{},
		"status":                          "ok",
		"taskrouter_workspace_sid":        nullable(d.WorkspaceSID),
		"taskrouter_target_workflow_sid":  nullable(d.WorkflowSID),
		"taskrouter_target_taskqueue_sid": nullable(d.TaskQueueSID),
		"taskrouter_taskqueues":           queues,
		"taskrouter_skills":               []any{},
		"taskrouter_worker_channels":      map[string]any{},
		"taskrouter_worker_attributes":    map[string]any{},
		"taskrouter_offline_activity_sid": nullable(d.OfflineActivitySID),
		"runtime_domain":                  nil,
		"messaging_service_instance_sid":  nullable(d.MessagingServiceSID),
		"chat_service_instance_sid":       nullable(d.ChatServiceSID),
		"flex_service_instance_sid":       nullable(d.ChatServiceSID),
		"flex_instance_sid":               "GO" + strings.TrimPrefix(e.env.AccountSID, "AC"),
		"ui_language":                     "en",
		"ui_attributes":                   map[string]any{},
		"ui_dependencies":                 map[string]any{},
		"ui_version":                      defaultUIVersion,
		"service_version":                 defaultServiceVersion,
		"call_recording_enabled":          false,
		"call_recording_webhook_url":      nil,
		"crm_enabled":                     false,
		"crm_type":                        nil,
		"crm_callback_url":                nil,
		"crm_fallback_url":                nil,
		"crm_attributes":                  map[string]any{},
		"public_attributes":               map[string]any{},
		"plugin_service_enabled":          true,
		"plugin_service_attributes":       map[string]any{},
		"integrations":                    []any{},
		"outbound_call_flows":             map[string]any{},
		"serverless_service_sids":         []any{},
		"queue_stats_configuration":       map[string]any{},
		"notifications":                   map[string]any{"enabled": true, "mode": "whenNotInFocus"},
		"markdown":                        map[string]any{"enabled": false, "mode": "readOnly"},
		"url":                             url,
		"flex_insights_hr":                map[string]any{},
		"flex_insights_drilldown":         false,
		"flex_url":                        nil,
		"channel_configs":                 []any{},
		"debugger_integration":            map[string]any{"enabled": false, "console_errors_included": false},
		"flex_ui_status_report":           map[string]any{"enabled": false},
		"agent_conv_end_methods":          map[string]any{},
		"citrix_voice_vdi":                map[string]any{"enabled": false},
		"offline_config":                  map[string]any{"presence": true, "presence_ttl": 30},
	}
	for k, v := range st.set {
		m[k] = v
	}
	return m
}

// UpdateConfiguration applies a POST /v1/Configuration JSON body: the
// account_sid (when sent) must be this account's; every other field sent
// replaces the stored value whole, after a type check; read-only fields and
// keys the spec does not list are refused. Nothing changes on an error.
func (e *Engine) UpdateConfiguration(body map[string]any) error {
	if v, ok := body["account_sid"]; ok {
		if s, _ := v.(string); s != e.env.AccountSID {
			return twilio.InvalidParam("account_sid", "%v is not this account's SID", v)
		}
	}
	byName := make(map[string]configField, len(configFields))
	for _, f := range configFields {
		byName[f.name] = f
	}
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "account_sid" {
			continue
		}
		f, ok := byName[k]
		if !ok {
			return twilio.InvalidParam(k, "is not a field of the Flex Configuration")
		}
		if f.readOnly {
			return twilio.InvalidParam(k, "is read-only")
		}
		if err := checkKind(f, body[k]); err != nil {
			return err
		}
	}
	st := e.configuration()
	for _, k := range keys {
		if k != "account_sid" {
			st.set[k] = body[k]
		}
	}
	st.dateUpdated = e.env.Now().UTC()
	e.env.Record(product, "configuration.updated", "Configuration",
		"flex configuration updated: "+strings.Join(keys, ", "), map[string]string{"fields": strings.Join(keys, ",")})
	return nil
}

func checkKind(f configField, v any) error {
	if v == nil {
		return nil // null clears a field
	}
	ok := false
	switch f.kind {
	case kindObject:
		_, ok = v.(map[string]any)
	case kindArray:
		_, ok = v.([]any)
	case kindString:
		_, ok = v.(string)
	case kindBool:
		_, ok = v.(bool)
	}
	if !ok {
		return twilio.InvalidParam(f.name, "must be %s", [...]string{"a JSON object", "a JSON array", "a string", "a boolean"}[f.kind])
	}
	return nil
}

// parseConfigurationBody decodes a POST /v1/Configuration body: a JSON object.
func parseConfigurationBody(raw []byte) (map[string]any, error) {
	if len(strings.TrimSpace(string(raw))) == 0 {
		return nil, twilio.BadRequest("the Configuration update takes a JSON object body (Content-Type: application/json)")
	}
	if err := twilio.CheckJSON("body", string(raw), maxConfigurationBytes); err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, twilio.BadRequest("the Configuration update body must be a JSON object")
	}
	return m, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// maxConfigurationBytes bounds a Configuration update body (ui_attributes
// of a real Flex instance run to tens of KB).
const maxConfigurationBytes = 1 << 20
