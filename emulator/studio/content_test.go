package studio

import (
	"strings"
	"testing"
)

type fakeContent map[string]ContentTemplate

func (c fakeContent) Template(sid string) (ContentTemplate, bool) {
	t, ok := c[sid]
	return t, ok
}

const templateSID = "HX00000000000000000000000000000001"

// contentFlow sends a content template, then ends either way.
func contentFlow(widgetType, contentSID, variables string) string {
	events := `[{"event":"sent"},{"event":"failed"}]`
	if widgetType == "send-and-wait-for-reply" {
		events = `[{"event":"incomingMessage"},{"event":"timeout"},{"event":"deliveryFailure"}]`
	}
	vars := ""
	if variables != "" {
		vars = `,"content_variables":` + variables
	}
	return flowJSON(`,
	 {"name":"w","type":"` + widgetType + `","transitions":` + events + `,
	  "properties":{"service":"{{trigger.message.InstanceSid}}","channel":"{{trigger.message.ChannelSid}}","from":"Bot",
	  "to":"{{contact.channel.address}}","message_type":"content_template","content_sid":"` + contentSID + `"` + vars + `}}`)
}

func TestContentTemplateDefinitions(t *testing.T) {
	for _, typ := range []string{"send-message", "send-and-wait-for-reply"} {
		if _, err := ParseDefinition(contentFlow(typ, templateSID, "")); err != nil {
			t.Errorf("%s content template without body: %v", typ, err)
		}
		if _, err := ParseDefinition(contentFlow(typ, "{{flow.variables.template}}", "")); err != nil {
			t.Errorf("%s Liquid content_sid: %v", typ, err)
		}
		for _, bad := range []string{"", "MG00000000000000000000000000000001"} {
			if _, err := ParseDefinition(contentFlow(typ, bad, "")); err == nil {
				t.Errorf("%s content_sid %q accepted", typ, bad)
			}
		}
	}
	// A custom message still needs its body.
	if _, err := ParseDefinition(flowJSON(`,{"name":"w","type":"send-message","transitions":[{"event":"sent"}],"properties":{"message_type":"custom"}}`)); err == nil {
		t.Error("custom message without body accepted")
	}
}

func TestContentTemplateSend(t *testing.T) {
	tpl := ContentTemplate{SID: templateSID, FriendlyName: "welcome", Language: "es",
		Variables: map[string]string{"1": "friend", "2": "Aselo"}, Body: "Hola {{1}}, bienvenido a {{2}} {{3}}"}
	tests := []struct {
		name      string
		content   Content
		sid, vars string
		wantEvent string
		wantBody  string
		wantVars  string
	}{
		{"no Content API: SID and no body", nil, templateSID, "", "sent", "", ""},
		{"defaults fill placeholders", fakeContent{templateSID: tpl}, templateSID, "", "sent", "Hola friend, bienvenido a Aselo {{3}}", ""},
		{"widget variables win", fakeContent{templateSID: tpl}, templateSID,
			`[{"key":"{{1}}","value":"{{trigger.conversation.Author}}"},{"key":"3","value":"!"}]`, "sent",
			"Hola " + customer + ", bienvenido a Aselo !", `{"1":"` + customer + `","3":"!"}`},
		{"object variables", fakeContent{templateSID: tpl}, templateSID, `{"2":"Te Guio"}`, "sent",
			"Hola friend, bienvenido a Te Guio {{3}}", `{"2":"Te Guio"}`},
		{"unknown template fails the widget", fakeContent{}, templateSID, "", "failed", "", ""},
		{"Liquid SID not a Content SID", nil, "{{flow.variables.none}}", "", "failed", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.content != nil {
				f.eng.SetContent(tt.content)
			}
			fl := f.publish(t, contentFlow("send-message", tt.sid, tt.vars))
			f.send(t, fl.SID, "hi")
			ex := f.onlyExecution(t, fl.SID)
			if !strings.HasSuffix(stepTrail(ex), "w -"+tt.wantEvent+"-> Ended") {
				t.Fatalf("steps:\n%s", stepTrail(ex))
			}
			if tt.wantEvent == "failed" {
				if len(f.conv.msgs) != 0 {
					t.Errorf("posted %+v", f.conv.msgs)
				}
				return
			}
			want := OutboundMessage{ConversationSID: convSID, Author: "Bot", Body: tt.wantBody, ContentSID: templateSID, ContentVariables: tt.wantVars}
			if len(f.conv.msgs) != 1 || f.conv.msgs[0] != want {
				t.Errorf("posted %+v, want %+v", f.conv.msgs, want)
			}
			out := ex.Context()["widgets"].(map[string]any)["w"].(map[string]any)["outbound"].(map[string]any)
			if out["ContentSid"] != templateSID || out["Author"] != "Bot" {
				t.Errorf("outbound = %v", out)
			}
		})
	}
}

func TestSendWidgetsHonourFromServiceChannel(t *testing.T) {
	other := "CH22222222222222222222222222222222"
	tests := []struct {
		name, props string
		want        OutboundMessage
		fails       bool
	}{
		{"canvas defaults", `"service":"{{trigger.message.InstanceSid}}","channel":"{{trigger.message.ChannelSid}}","from":"{{flow.channel.address}}","to":"{{contact.channel.address}}"`,
			OutboundMessage{ConversationSID: convSID, Author: proxy, Body: "b"}, false},
		{"conversation trigger names", `"service":"{{trigger.conversation.InstanceSid}}","channel":"{{trigger.conversation.ChannelSid}}","from":"Bot"`,
			OutboundMessage{ConversationSID: convSID, Author: "Bot", Body: "b"}, false},
		{"no from: Conversations' default author", `"channel":"` + other + `"`,
			OutboundMessage{ConversationSID: other, Body: "b"}, false},
		{"attributes", `"from":"Bot","attributes":"{\"k\": \"{{trigger.conversation.Author}}\"}"`,
			OutboundMessage{ConversationSID: convSID, Author: "Bot", Body: "b", Attributes: `{"k": "` + customer + `"}`}, false},
		{"another service", `"service":"IS99999999999999999999999999999999"`, OutboundMessage{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			fl := f.publish(t, flowJSON(`,{"name":"w","type":"send-message","transitions":[{"event":"sent"},{"event":"failed"}],"properties":{"body":"b",`+tt.props+`}}`))
			f.send(t, fl.SID, "hi")
			ex := f.onlyExecution(t, fl.SID)
			if tt.fails {
				if !strings.HasSuffix(stepTrail(ex), "w -failed-> Ended") || len(f.conv.msgs) != 0 {
					t.Errorf("steps:\n%s\nposted %+v", stepTrail(ex), f.conv.msgs)
				}
				return
			}
			if len(f.conv.msgs) != 1 || f.conv.msgs[0] != tt.want {
				t.Errorf("posted %+v, want %+v", f.conv.msgs, tt.want)
			}
		})
	}
}

func TestWidgetTypesAsExported(t *testing.T) {
	accepted := map[string]string{
		"send-to-auto-pilot":    `[{"event":"sessionEnded"},{"event":"failure"},{"event":"timeout"}]`,
		"make-outgoing-call-v2": `[{"event":"answered"},{"event":"busy"},{"event":"noAnswer"},{"event":"failed"}]`,
		"connect-call-to":       `[{"event":"callCompleted"},{"event":"hangup"}]`,
		"gather-input-on-call":  `[{"event":"keypress"},{"event":"speech"},{"event":"timeout"}]`,
		"record-voicemail":      `[{"event":"recordingComplete"},{"event":"noAudio"},{"event":"hangup"}]`,
		"enqueue-call":          `[{"event":"callComplete"},{"event":"failedToEnqueue"},{"event":"callFailure"}]`,
		"fork-stream":           `[{"event":"next"}]`,
		"capture-payments":      `[{"event":"success"},{"event":"maxFailedAttempts"},{"event":"providerError"},{"event":"payInterrupted"},{"event":"hangup"},{"event":"validationError"}]`,
		"connect-virtual-agent": `[{"event":"completed"},{"event":"hangup"},{"event":"failed"}]`,
		"add-twiml-redirect":    `[{"event":"return"},{"event":"timeout"},{"event":"fail"}]`,
		"run-subflow":           `[{"event":"completed"},{"event":"failed"}]`,
		"record-call":           `[{"event":"success"},{"event":"failed"}]`,
	}
	for typ, events := range accepted {
		props := `{}`
		if typ == "run-subflow" {
			props = `{"flow_sid":"FW00000000000000000000000000000001"}`
		}
		if _, err := ParseDefinition(flowJSON(`,{"name":"w","type":"` + typ + `","transitions":` + events + `,"properties":` + props + `}`)); err != nil {
			t.Errorf("%s: %v", typ, err)
		}
	}
	for _, typ := range []string{"send-to-autopilot", "make-outgoing-call", "set-variables-v2"} {
		if _, err := ParseDefinition(flowJSON(`,{"name":"w","type":"` + typ + `","transitions":[],"properties":{}}`)); err == nil {
			t.Errorf("%s accepted", typ)
		}
	}
	if _, err := ParseDefinition(flowJSON(`,{"name":"w","type":"say-play","transitions":[{"event":"sent"}],"properties":{}}`)); err == nil {
		t.Error("say-play with a send-message event accepted")
	}
}

func TestVoiceWidgetEndsMessagingExecution(t *testing.T) {
	f := newFixture(t)
	fl := f.publish(t, flowJSON(`,{"name":"w","type":"gather-input-on-call","transitions":[{"event":"keypress"}],"properties":{"say":"press 1"}}`))
	f.send(t, fl.SID, "hi")
	ex := f.onlyExecution(t, fl.SID)
	if ex.Status != ExecutionEnded {
		t.Fatalf("status %s", ex.Status)
	}
	var ended string
	for _, en := range f.env.Timeline.Since(0) {
		if en.Type == "execution.ended" {
			ended = en.Summary
		}
	}
	if !strings.Contains(ended, "w (gather-input-on-call) acts on a voice call") || !strings.Contains(ended, "Conversations message") {
		t.Errorf("ended: %q", ended)
	}
}

func TestFlowSIDIsTheExecution(t *testing.T) {
	f := newFixture(t)
	fl := f.publish(t, flowJSON(`,{"name":"w","type":"set-variables","transitions":[{"event":"next"}],
	 "properties":{"variables":[{"key":"sid","value":"{{flow.sid}}"},{"key":"flow","value":"{{flow.flow_sid}}"}]}}`))
	f.send(t, fl.SID, "hi")
	ex := f.onlyExecution(t, fl.SID)
	vars := ex.Context()["flow"].(map[string]any)["variables"].(map[string]any)
	if vars["sid"] != ex.SID || vars["flow"] != fl.SID || !strings.HasPrefix(ex.SID, "FN") {
		t.Errorf("flow.sid = %v, flow.flow_sid = %v (execution %s, flow %s)", vars["sid"], vars["flow"], ex.SID, fl.SID)
	}
	rest, err := f.eng.CreateExecution(fl.SID, CreateExecutionParams{To: "+1", From: "+2"})
	if err != nil {
		t.Fatal(err)
	}
	if got := rest.Context()["flow"].(map[string]any)["sid"]; got != rest.SID {
		t.Errorf("REST flow.sid = %v, want %s", got, rest.SID)
	}
}
