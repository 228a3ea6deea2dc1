package flex

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator/twilio"
)

func taskAttrs(t *testing.T, text string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatalf("task attributes %q: %v", text, err)
	}
	return m
}

func TestCreateInteractionAddsFlexAttributes(t *testing.T) {
	f := newFixture(t)
	// The user's keys are merged; a forged SID key loses to Flex's own.
	in, err := f.eng.CreateInteraction(smsParams(map[string]any{"queue": "sales", "conversationSid": "CHforged"}))
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := f.eng.Channel(in.SID, in.ChannelSID)
	invs, _ := f.eng.Invites(in.SID, in.ChannelSID)
	if len(invs) != 1 {
		t.Fatalf("invites = %d, want 1", len(invs))
	}
	want := map[string]any{
		"customerAddress":           "+15552223333",
		"customerName":              "+15552223333",
		"name":                      "+15552223333",
		"from":                      "+15552223333",
		"channelType":               "sms",
		"direction":                 "inbound",
		"initiatedBy":               "customer",
		"conversationSid":           convSID,
		"flexInteractionSid":        in.SID,
		"flexInteractionChannelSid": ch.SID,
		"flexChannelInviteSid":      invs[0].SID,
		"customers":                 map[string]any{"phone": "+15552223333", "name": "+15552223333"},
		"conversations": map[string]any{
			"initiated_by":    "customer",
			"conversation_id": in.SID,
			"media":           []any{map[string]any{"type": "ChatTranscript", "sid": convSID}},
		},
		"queue": "sales",
	}
	if got := taskAttrs(t, f.tr.tasks[0].Attributes); !reflect.DeepEqual(got, want) {
		t.Errorf("task attributes\n got %v\nwant %v", got, want)
	}
	if spec := f.tr.tasks[0]; spec.WorkspaceSID != workspace || spec.WorkflowSID != workflow || spec.TaskChannel != "chat" {
		t.Errorf("task spec = %+v", spec)
	}
	for prefix, sid := range map[string]string{"KD": in.SID, "UO": ch.SID, "KG": invs[0].SID} {
		if !twilio.IsSID(sid, prefix) {
			t.Errorf("%s SID = %q", prefix, sid)
		}
	}
	if ch.Status != StatusActive || ch.ConversationSID != convSID || ch.Type != "sms" {
		t.Errorf("channel = %+v", ch)
	}
	ps, _ := f.eng.Participants(in.SID, ch.SID)
	if len(ps) != 1 || ps[0].Type != "customer" || !twilio.IsSID(ps[0].SID, "UT") {
		t.Errorf("participants = %+v, want one customer", ps)
	}
	var types []string
	for _, e := range f.env.Timeline.Since(0) {
		types = append(types, e.Type)
		if e.Product != "flex" {
			t.Errorf("entry %s has product %q", e.Type, e.Product)
		}
		if e.Type == "interaction.created" && (e.Refs["task_sid"] != in.Task.SID || e.Refs["conversation_sid"] != convSID) {
			t.Errorf("interaction.created refs = %v", e.Refs)
		}
	}
	if got := strings.Join(types, ","); got != "interaction.created,channel.created,invite.created,participant.created" {
		t.Errorf("timeline = %s", got)
	}
}

func TestUserAttributesMerge(t *testing.T) {
	f := newFixture(t)
	in, err := f.eng.CreateInteraction(smsParams(map[string]any{
		"from":          "Ann", // a descriptive key: the user's value wins
		"customers":     map[string]any{"email": "ann@example.com"},
		"conversations": map[string]any{"conversation_id": "forged", "virtual": "Yes"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	got := taskAttrs(t, in.Task.Attributes)
	if got["from"] != "Ann" || got["name"] != "+15552223333" {
		t.Errorf("from/name = %v/%v", got["from"], got["name"])
	}
	cust := got["customers"].(map[string]any)
	if cust["email"] != "ann@example.com" || cust["phone"] != "+15552223333" {
		t.Errorf("customers = %v", cust)
	}
	conv := got["conversations"].(map[string]any)
	if conv["conversation_id"] != in.SID || conv["virtual"] != "Yes" || conv["initiated_by"] != "customer" {
		t.Errorf("conversations = %v", conv)
	}
}

func TestCreateInteractionValidation(t *testing.T) {
	okChannel := func() ChannelParams {
		return smsParams(nil).Channel
	}
	tests := []struct {
		name   string
		mutate func(p *CreateInteractionParams)
		status int
		msg    string
	}{
		{"missing type", func(p *CreateInteractionParams) { p.Channel.Type = "" }, 400, "Channel"},
		{"bad type", func(p *CreateInteractionParams) { p.Channel.Type = "fax" }, 400, "Channel"},
		{"bad initiated_by", func(p *CreateInteractionParams) { p.Channel.InitiatedBy = "bot" }, 400, "initiated_by"},
		{"no media channel", func(p *CreateInteractionParams) { p.Channel.Properties.MediaChannelSID = "" }, 400, "media_channel_sid"},
		{"outbound participants", func(p *CreateInteractionParams) {
			p.Channel.Properties.MediaChannelSID = ""
			p.Channel.Participants = []ChannelParticipant{{Address: "+1555", Type: "sms"}}
		}, 400, "proxy_address"},
		{"unknown conversation", func(p *CreateInteractionParams) {
			p.Channel.Properties.MediaChannelSID = "CH99999999999999999999999999999999"
		}, 404, "Conversations"},
		{"missing workflow", func(p *CreateInteractionParams) { p.Routing.WorkflowSID, p.Routing.WorkspaceSID = "", "" }, 400, "workflow_sid"},
		{"bad worker target", func(p *CreateInteractionParams) { p.Routing.WorkerSID = "nope" }, 400, "worker_sid"},
		{"unknown workflow", func(p *CreateInteractionParams) { p.Routing.WorkflowSID = "WW99999999999999999999999999999999" }, 404, "Workflows"},
		{"workspace mismatch", func(p *CreateInteractionParams) { p.Routing.WorkspaceSID = "WS99999999999999999999999999999999" }, 400, "does not belong"},
		{"negative priority", func(p *CreateInteractionParams) { p.Routing.Priority = ptr(-1) }, 400, "priority"},
		{"bad context sid", func(p *CreateInteractionParams) { p.InteractionContextSID = "nope" }, 400, "InteractionContextSid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			p := smsParams(nil)
			p.Channel = okChannel()
			tt.mutate(&p)
			_, err := f.eng.CreateInteraction(p)
			te := twilio.AsError(err)
			if err == nil || te.Status != tt.status || !strings.Contains(te.Message, tt.msg) {
				t.Fatalf("err = %v, want %d mentioning %q", err, tt.status, tt.msg)
			}
			if len(f.eng.Interactions()) != 0 || len(f.tr.tasks) != 0 || f.env.Timeline.Last() != 0 {
				t.Errorf("state changed on a failed create")
			}
		})
	}
}

func TestCreateInteractionTaskFailureStoresNothing(t *testing.T) {
	f := newFixture(t)
	f.tr.failCreate = twilio.InvalidParam("TaskChannel", "unknown")
	_, err := f.eng.CreateInteraction(smsParams(nil))
	var te *twilio.Error
	if !errors.As(err, &te) || te.Code != twilio.CodeInvalidParameter {
		t.Fatalf("err = %v", err)
	}
	if len(f.eng.Interactions()) != 0 || len(f.eng.channels) != 0 || f.env.Timeline.Last() != 0 {
		t.Error("state stored despite task failure")
	}
}

func TestParseChannelAndRouting(t *testing.T) {
	tests := []struct {
		name, channel, routing string
		wantErr                string
	}{
		{name: "ok", channel: `{"type":"sms","initiated_by":"customer","properties":{"media_channel_sid":"CH1"}}`,
			routing: `{"properties":{"workflow_sid":"WW1","attributes":{"a":1},"priority":"5","timeout":60}}`},
		{name: "string-wrapped", channel: `"{\"type\":\"sms\"}"`, routing: `{"properties":{"attributes":"{\"a\":1}"}}`},
		{name: "channel not json", channel: `{type`, routing: `{}`, wantErr: "Invalid Channel"},
		{name: "channel array", channel: `[1]`, routing: `{}`, wantErr: "Invalid Channel"},
		{name: "routing not json", channel: `{}`, routing: `nope`, wantErr: "Invalid Routing"},
		{name: "attributes array", channel: `{}`, routing: `{"properties":{"attributes":[1]}}`, wantErr: "attributes"},
		{name: "priority text", channel: `{}`, routing: `{"properties":{"priority":"high"}}`, wantErr: "priority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseChannel(tt.channel)
			if err == nil {
				var r RoutingParams
				r, err = ParseRouting("Routing", tt.routing)
				if err == nil && tt.name == "ok" && (r.WorkflowSID != "WW1" || *r.Priority != 5 || *r.Timeout != 60 || r.Attributes["a"] != 1.0) {
					t.Errorf("routing = %+v", r)
				}
			}
			if tt.wantErr == "" && err != nil {
				t.Fatalf("err = %v", err)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || twilio.AsError(err).Code != 20001 {
					t.Fatalf("err = %v, want 20001 mentioning %q", err, tt.wantErr)
				}
			}
		})
	}
}

func TestSendToFlexWebchat(t *testing.T) {
	f := newFixture(t)
	task, err := f.eng.SendToFlex(SendToFlexParams{ConversationSID: webchatSID, Workflow: workflow,
		TaskChannel: taskChannel, Attributes: `{"from":"Ann"}`, Priority: 2, Timeout: 3600})
	if err != nil {
		t.Fatal(err)
	}
	if task != f.tr.infos[0].SID {
		t.Errorf("task = %s", task)
	}
	spec := f.tr.tasks[0]
	if spec.TaskChannel != taskChannel || *spec.Priority != 2 || *spec.Timeout != 3600 || spec.WorkspaceSID != workspace {
		t.Errorf("spec = %+v", spec)
	}
	attrs := taskAttrs(t, spec.Attributes)
	if attrs["channelType"] != "web" || attrs["from"] != "Ann" || attrs["customerAddress"] != nil {
		t.Errorf("attrs = %v", attrs)
	}
	if _, err := f.eng.SendToFlex(SendToFlexParams{ConversationSID: webchatSID, Workflow: workflow,
		Attributes: `{not json`}); err == nil || !strings.Contains(err.Error(), "Attributes") {
		t.Errorf("invalid attributes err = %v", err)
	}
}
