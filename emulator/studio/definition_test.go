package studio

import (
	"errors"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// flowJSON wraps states in a definition with a Trigger → first state edge.
func flowJSON(states string) string {
	return `{"description":"t","initial_state":"Trigger","flags":{"allow_concurrent_calls":true},"states":[
	 {"name":"Trigger","type":"trigger","transitions":[{"event":"incomingConversationMessage","next":"w"}],"properties":{"offset":{"x":0,"y":0}}}` +
		states + `]}`
}

func TestParseDefinitionAcceptsExports(t *testing.T) {
	tests := map[string]string{
		"section 1.6 example": readFlow(t, "inbound_to_flex.json"),
		"queue selection":     readFlow(t, "queue_selection.json"),
		"pre-2022 trigger and voice widgets": `{"description":"old","initial_state":"Trigger","states":[
		 {"name":"Trigger","type":"trigger","transitions":[{"event":"incomingMessage","next":"to_flex"},{"event":"incomingCall","next":"say"},{"event":"incomingRequest"}],"properties":{"offset":{"x":0,"y":0}}},
		 {"name":"say","type":"say-play","transitions":[{"event":"audioComplete"}],"properties":{"say":"hi","offset":{"x":1,"y":1}}},
		 {"name":"to_flex","type":"send-to-flex","transitions":[{"event":"callComplete"},{"event":"failedToEnqueue"},{"event":"callFailure"}],
		  "properties":{"workflow":"WW00000000000000000000000000000001","channel":"TC00000000000000000000000000000001",
		  "attributes":"{\"name\": \"{{trigger.message.ChannelAttributes.from}}\", \"channelType\": \"{{trigger.message.ChannelAttributes.channel_type}}\", \"channelSid\": \"{{trigger.message.ChannelSid}}\"}"}}]}`,
	}
	for name, def := range tests {
		t.Run(name, func(t *testing.T) {
			d, err := ParseDefinition(def)
			if err != nil {
				t.Fatal(err)
			}
			if d.State(d.InitialState) == nil || d.State(d.InitialState).Type != "trigger" {
				t.Errorf("initial state = %q", d.InitialState)
			}
		})
	}
}

func TestParseDefinitionErrors(t *testing.T) {
	tests := []struct {
		name, def string
		want      []string // property paths expected in the errors
	}{
		{"not json", `{"states": [`, []string{"#"}},
		{"array", `[]`, []string{"#"}},
		{"no states", `{"initial_state":"Trigger","states":[]}`, []string{"#/states", "#/initial_state"}},
		{"missing initial state", `{"initial_state":"Nope","states":[{"name":"Trigger","type":"trigger","transitions":[]}]}`,
			[]string{"#/initial_state"}},
		{"initial state not a trigger", `{"initial_state":"m","states":[{"name":"m","type":"send-message","transitions":[],"properties":{"body":"x"}}]}`,
			[]string{"#/initial_state"}},
		{"duplicate names and unknown next", flowJSON(`,
		 {"name":"w","type":"send-message","transitions":[{"event":"sent","next":"ghost"}],"properties":{"body":"x"}},
		 {"name":"w","type":"send-message","transitions":[],"properties":{"body":"y"}}`),
			[]string{"#/states/1/transitions/0/next", "#/states/2/name"}},
		{"unknown widget and event", flowJSON(`,
		 {"name":"w","type":"teleport","transitions":[]},
		 {"name":"m","type":"send-message","transitions":[{"event":"delivered"}],"properties":{"body":"x"}}`),
			[]string{"#/states/1/type", "#/states/2/transitions/0/event"}},
		{"bad liquid", flowJSON(`,
		 {"name":"w","type":"send-to-flex","transitions":[{"event":"callComplete"}],
		  "properties":{"workflow":"WW1","channel":"TC1","attributes":"{\"a\": \"{{trigger.conversation.Body\"}"}}`),
			[]string{"#/states/1/properties/attributes"}},
		{"send-to-flex missing workflow", flowJSON(`,
		 {"name":"w","type":"send-to-flex","transitions":[],"properties":{"channel":"TC1"}}`),
			[]string{"#/states/1/properties/workflow"}},
		{"split condition problems", flowJSON(`,
		 {"name":"w","type":"split-based-on","transitions":[
		   {"event":"match","next":"w","conditions":[{"type":"sounds_like","value":"x","arguments":["{{x}}"]}]},
		   {"event":"match","next":"w","conditions":[{"type":"regex","value":"(","arguments":["{{x}}"]}]},
		   {"event":"match","next":"w"}],
		  "properties":{"input":"{{trigger.conversation.Body}}"}}`),
			[]string{"#/states/1/transitions/0/conditions/0/type", "#/states/1/transitions/1/conditions/0/value",
				"#/states/1/transitions/2/conditions"}},
		{"set-variables without key", flowJSON(`,
		 {"name":"w","type":"set-variables","transitions":[{"event":"next"}],"properties":{"variables":[{"value":"x"}]}}`),
			[]string{"#/states/1/properties/variables/0/key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDefinition(tt.def)
			var inv *InvalidDefinitionError
			if !errors.As(err, &inv) {
				t.Fatalf("err = %v, want *InvalidDefinitionError", err)
			}
			te := twilio.AsError(err)
			if te.Status != 400 || te.Code != 20001 || !strings.HasPrefix(te.Message, "Invalid Flow Definition") {
				t.Errorf("twilio error = %+v", te)
			}
			paths := map[string]bool{}
			for _, ve := range inv.Errors {
				paths[ve.PropertyPath] = true
			}
			for _, p := range tt.want {
				if !paths[p] {
					t.Errorf("missing error at %s; got %+v", p, inv.Errors)
				}
			}
			if len(inv.Errors) != len(tt.want) {
				t.Errorf("errors = %+v, want exactly %v", inv.Errors, tt.want)
			}
		})
	}
}

func TestFlowRevisions(t *testing.T) {
	f := newFixture(t)
	def := readFlow(t, "inbound_to_flex.json")
	fl, err := f.eng.CreateFlow(CreateFlowParams{SID: "FW00000000000000000000000000000001", FriendlyName: "Inbound",
		Status: FlowPublished, Definition: def, CommitMessage: "first"})
	if err != nil {
		t.Fatal(err)
	}
	if fl.SID != "FW00000000000000000000000000000001" || fl.Latest().Revision != 1 {
		t.Fatalf("flow = %s rev %d", fl.SID, fl.Latest().Revision)
	}
	if _, err := f.eng.CreateFlow(CreateFlowParams{SID: fl.SID, FriendlyName: "x", Status: FlowDraft, Definition: def}); !isTwilio(err, 409) {
		t.Errorf("duplicate SID err = %v", err)
	}
	other := flowJSON(`,{"name":"w","type":"send-message","transitions":[{"event":"sent"}],"properties":{"body":"draft"}}`)
	if _, err := f.eng.UpdateFlow(fl.SID, UpdateFlowParams{Status: FlowDraft, Definition: &other}); err != nil {
		t.Fatal(err)
	}
	if fl.Latest().Revision != 2 || fl.Published().Revision != 1 || fl.Latest().CommitMessage != "" {
		t.Errorf("latest %d published %d", fl.Latest().Revision, fl.Published().Revision)
	}
	bad := `{"states":[]}`
	if _, err := f.eng.UpdateFlow(fl.SID, UpdateFlowParams{Status: FlowPublished, Definition: &bad}); !isTwilio(err, 400) || len(fl.Revisions) != 2 {
		t.Errorf("invalid update err = %v, revisions = %d", err, len(fl.Revisions))
	}
	for rev, want := range map[string]int{"1": 1, "2": 2, "LatestRevision": 2, "LatestPublished": 1} {
		r, err := f.eng.FlowRevision(fl.SID, rev)
		if err != nil || r.Revision != want {
			t.Errorf("revision %s = %v, %v; want %d", rev, r, err, want)
		}
	}
	if _, err := f.eng.FlowRevision(fl.SID, "3"); !isTwilio(err, 404) {
		t.Errorf("revision 3 err = %v", err)
	}
	if got, err := f.eng.FlowByName("Inbound"); err != nil || got != fl {
		t.Errorf("FlowByName = %v, %v", got, err)
	}
	if err := f.eng.DeleteFlow(fl.SID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.Flow(fl.SID); !isTwilio(err, 404) {
		t.Errorf("deleted flow fetch err = %v", err)
	}
}

func TestCreateFlowParamValidation(t *testing.T) {
	f := newFixture(t)
	def := readFlow(t, "inbound_to_flex.json")
	tests := []struct {
		name string
		p    CreateFlowParams
		want string
	}{
		{"no name", CreateFlowParams{Status: "draft", Definition: def}, "FriendlyName"},
		{"bad status", CreateFlowParams{FriendlyName: "x", Status: "live", Definition: def}, "Status"},
		{"no definition", CreateFlowParams{FriendlyName: "x", Status: "draft"}, "Definition"},
		{"bad sid", CreateFlowParams{SID: "XX1", FriendlyName: "x", Status: "draft", Definition: def}, "Sid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.eng.CreateFlow(tt.p)
			if !isTwilio(err, 400) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want 400 naming %s", err, tt.want)
			}
		})
	}
	if len(f.eng.Flows()) != 0 {
		t.Error("a flow was stored")
	}
}
