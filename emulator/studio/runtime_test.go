package studio

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

func TestInboundToFlexExample(t *testing.T) {
	tests := []struct {
		body      string
		wantQueue string
		wantTrail string
	}{
		{"I need SALES", "sales", "Trigger -incomingConversationMessage-> split_body\n" +
			"split_body -match-> set_sales\n" +
			"set_sales -next-> send_to_flex_support\n" +
			"send_to_flex_support -callComplete-> Ended"},
		{"hello", "support", "Trigger -incomingConversationMessage-> split_body\n" +
			"split_body -noMatch-> send_to_flex_support\n" +
			"send_to_flex_support -callComplete-> Ended"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			f := newFixture(t)
			fl := f.publish(t, readFlow(t, "inbound_to_flex.json"))
			f.send(t, fl.SID, tt.body)

			if len(f.flex.calls) != 1 {
				t.Fatalf("SendToFlex calls = %d", len(f.flex.calls))
			}
			call := f.flex.calls[0]
			var attrs map[string]any
			if err := json.Unmarshal([]byte(call.Attributes), &attrs); err != nil {
				t.Fatalf("attributes %q: %v", call.Attributes, err)
			}
			wantAttrs := map[string]any{"name": "Ann", "conversationSid": convSID, "queue": tt.wantQueue}
			if !reflect.DeepEqual(attrs, wantAttrs) {
				t.Errorf("attributes = %v, want %v", attrs, wantAttrs)
			}
			wantCall := SendToFlexParams{ConversationSID: convSID, Workflow: "WW00000000000000000000000000000001",
				TaskChannel: "TC00000000000000000000000000000001", Attributes: call.Attributes, AttributesMap: wantAttrs,
				Priority: 0, Timeout: 3600}
			if !reflect.DeepEqual(call, wantCall) {
				t.Errorf("call = %+v", call)
			}

			ex := f.onlyExecution(t, fl.SID)
			if got := stepTrail(ex); got != tt.wantTrail {
				t.Errorf("steps:\n%s\nwant:\n%s", got, tt.wantTrail)
			}
			if ex.Status != ExecutionEnded || ex.ContactChannelAddress != customer || ex.FlowVersion != 1 ||
				!twilio.IsSID(ex.SID, "FN") || !twilio.IsSID(ex.ContactSID, "FC") {
				t.Errorf("execution = %+v", ex)
			}
			if got := ex.Context()["widgets"].(map[string]any)["send_to_flex_support"].(map[string]any)["TaskSid"]; got != "WT00000000000000000000000000000001" {
				t.Errorf("TaskSid = %v", got)
			}
			if want := []string{convSID + "/" + webhookSID}; !reflect.DeepEqual(f.conv.removed, want) {
				t.Errorf("removed webhooks = %v", f.conv.removed)
			}
			if ex.Steps[0].Type != "trigger" || ex.Steps[len(ex.Steps)-1].Type != "send-to-flex" {
				t.Errorf("step types = %s … %s", ex.Steps[0].Type, ex.Steps[len(ex.Steps)-1].Type)
			}

			types := timelineTypes(f.env)
			if types[1] != "execution.created" || types[len(types)-1] != "execution.ended" ||
				!containsString(types, "conversation.handed_off") {
				t.Errorf("timeline = %v", types)
			}
			for _, en := range f.env.Timeline.Since(0) {
				if en.Product != "studio" {
					t.Errorf("product = %q", en.Product)
				}
				if en.Type == "execution.ended" && (en.Refs["flow_sid"] != fl.SID || en.Refs["conversation_sid"] != convSID ||
					en.Refs["execution_sid"] != ex.SID) {
					t.Errorf("execution.ended refs = %v", en.Refs)
				}
			}

			// Handed off: the next message never reaches Studio again.
			f.send(t, fl.SID, "are you there?")
			if n := len(f.eng.execOrder); n != 1 || len(f.flex.calls) != 1 {
				t.Errorf("after hand-off: %d executions, %d flex calls", n, len(f.flex.calls))
			}
		})
	}
}

func TestSendToFlexFailurePaths(t *testing.T) {
	badAttrs := strings.Replace(readFlow(t, "inbound_to_flex.json"),
		`"{\"name\": \"{{trigger.conversation.ChannelAttributes.from}}\"`, `"{\"name\": {{trigger.conversation.Body}}`, 1)
	tests := []struct {
		name     string
		def      string
		flexErr  error
		wantCall bool
	}{
		{"attributes not JSON after rendering", badAttrs, nil, false},
		{"flex rejects the task", "", twilio.InvalidParam("Workflow", "unknown"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.flex.fail = tt.flexErr
			def := tt.def
			if def == "" {
				def = readFlow(t, "inbound_to_flex.json")
			}
			fl := f.publish(t, def)
			f.send(t, fl.SID, "hello there")
			ex := f.onlyExecution(t, fl.SID)
			want := "Trigger -incomingConversationMessage-> split_body\n" +
				"split_body -noMatch-> send_to_flex_support\n" +
				"send_to_flex_support -failedToEnqueue-> send_sorry\n" +
				"send_sorry -sent-> Ended"
			if got := stepTrail(ex); got != want {
				t.Errorf("steps:\n%s\nwant:\n%s", got, want)
			}
			if len(f.flex.calls) != 0 || len(f.conv.removed) != 0 {
				t.Errorf("flex calls %d, removed %v", len(f.flex.calls), f.conv.removed)
			}
			// Authored by the widget's from, {{flow.channel.address}}.
			if want := []posted{{convSID, proxy, "Sorry, we could not reach an agent."}}; !reflect.DeepEqual(f.conv.posts, want) {
				t.Errorf("posts = %+v", f.conv.posts)
			}
			if ex.Status != ExecutionEnded || !containsString(timelineTypes(f.env), "widget.failed") {
				t.Errorf("status %s, timeline %v", ex.Status, timelineTypes(f.env))
			}
			// Not handed off: the next message starts a new execution.
			f.send(t, fl.SID, "again")
			if len(f.eng.execOrder) != 2 {
				t.Errorf("executions = %d, want 2", len(f.eng.execOrder))
			}
		})
	}
}

func TestSendAndWaitForReply(t *testing.T) {
	f := newFixture(t)
	fl := f.publish(t, readFlow(t, "queue_selection.json"))
	// The conversation echoes Studio's own post back to the webhook: ignored.
	f.conv.onPost = func(p posted) {
		m := f.message(p.body)
		m.Author = p.author
		if err := f.eng.ConversationMessageAdded(fl.SID, webhookSID, m); err != nil {
			t.Error(err)
		}
	}
	f.send(t, fl.SID, "hi")
	ex := f.onlyExecution(t, fl.SID)
	if ex.Status != ExecutionActive || ex.waiting == nil {
		t.Fatalf("execution not parked: %s", stepTrail(ex))
	}
	if len(f.conv.posts) != 1 || f.conv.posts[0].body != "Hi +15552223333! Reply 1 for sales, 2 for support." {
		t.Errorf("posts = %+v", f.conv.posts)
	}
	f.clk.Advance(5 * time.Minute) // within the 600 s timeout
	f.send(t, fl.SID, " Sales ")
	want := "Trigger -incomingConversationMessage-> send_welcome\n" +
		"send_welcome -incomingMessage-> split_reply\n" +
		"split_reply -match-> set_sales\n" +
		"set_sales -next-> to_flex\n" +
		"to_flex -callComplete-> Ended"
	if got := stepTrail(ex); got != want {
		t.Errorf("steps:\n%s\nwant:\n%s", got, want)
	}
	if len(f.flex.calls) != 1 || f.flex.calls[0].Attributes != `{ "selected_queue": "sales", "reply": " Sales " }` {
		t.Errorf("flex calls = %+v", f.flex.calls)
	}
	if f.flex.calls[0].TaskChannel != "chat" {
		t.Errorf("task channel = %q", f.flex.calls[0].TaskChannel)
	}
	if f.clk.Pending() != 0 {
		t.Errorf("timeout timer still pending")
	}
	f.clk.Advance(time.Hour)
	if len(ex.Steps) != 5 || ex.Status != ExecutionEnded {
		t.Errorf("late timer changed the execution: %s", stepTrail(ex))
	}
}

func TestSendAndWaitTimeout(t *testing.T) {
	f := newFixture(t)
	fl := f.publish(t, readFlow(t, "queue_selection.json"))
	f.send(t, fl.SID, "hi")
	f.clk.Advance(599 * time.Second)
	ex := f.onlyExecution(t, fl.SID)
	if ex.Status != ExecutionActive {
		t.Fatal("timed out early")
	}
	f.clk.Advance(time.Second)
	want := "Trigger -incomingConversationMessage-> send_welcome\n" +
		"send_welcome -timeout-> send_bye\n" +
		"send_bye -sent-> Ended"
	if got := stepTrail(ex); got != want || ex.Status != ExecutionEnded {
		t.Errorf("steps:\n%s\nwant:\n%s", got, want)
	}
	if last := f.conv.posts[len(f.conv.posts)-1]; last.body != "No reply, bye." {
		t.Errorf("last post = %+v", last)
	}
	// The conversation is free again: a new message starts a new execution.
	f.send(t, fl.SID, "back")
	if len(f.eng.execOrder) != 2 {
		t.Errorf("executions = %d", len(f.eng.execOrder))
	}
}

func TestEndExecutionStopsWaiting(t *testing.T) {
	f := newFixture(t)
	fl := f.publish(t, readFlow(t, "queue_selection.json"))
	f.send(t, fl.SID, "hi")
	ex := f.onlyExecution(t, fl.SID)
	if _, err := f.eng.UpdateExecution(fl.SID, ex.SID, "active"); !isTwilio(err, 400) {
		t.Errorf("Status=active err = %v", err)
	}
	if _, err := f.eng.UpdateExecution(fl.SID, ex.SID, ExecutionEnded); err != nil {
		t.Fatal(err)
	}
	if ex.Status != ExecutionEnded || f.clk.Pending() != 0 {
		t.Errorf("status %s, pending timers %d", ex.Status, f.clk.Pending())
	}
	f.send(t, fl.SID, "1")
	if len(f.eng.execOrder) != 2 || len(ex.Steps) != 1 {
		t.Errorf("reply after end: executions %d, steps %d", len(f.eng.execOrder), len(ex.Steps))
	}
}

func TestDraftOnlyFlowsRunForTestUsers(t *testing.T) {
	f := newFixture(t)
	fl, err := f.eng.CreateFlow(CreateFlowParams{FriendlyName: "Draft", Status: FlowDraft,
		Definition: readFlow(t, "inbound_to_flex.json")})
	if err != nil {
		t.Fatal(err)
	}
	f.send(t, fl.SID, "hi")
	if len(f.eng.execOrder) != 0 || !containsString(timelineTypes(f.env), "execution.skipped") {
		t.Fatalf("draft ran for a stranger")
	}
	if _, err := f.eng.SetTestUsers(fl.SID, []string{customer}); err != nil {
		t.Fatal(err)
	}
	f.send(t, fl.SID, "hi")
	if len(f.eng.execOrder) != 1 {
		t.Errorf("draft did not run for a test user")
	}
}

func TestRESTExecution(t *testing.T) {
	f := newFixture(t)
	def := `{"initial_state":"Trigger","states":[
	 {"name":"Trigger","type":"trigger","transitions":[{"event":"incomingRequest","next":"set"}]},
	 {"name":"set","type":"set-variables","transitions":[{"event":"next","next":"check"}],
	  "properties":{"variables":[{"key":"greeting","value":"Hello {{flow.data.name | upcase}}"},{"key":"to","value":"{{contact.channel.address}}"}]}},
	 {"name":"check","type":"split-based-on","transitions":[{"event":"noMatch","next":"http"},
	   {"event":"match","next":"msg","conditions":[{"type":"greater_than","value":"{{flow.data.limit}}","arguments":["{{flow.data.count}}"]}]}],
	  "properties":{"input":"{{flow.data.count}}"}},
	 {"name":"http","type":"make-http-request","transitions":[{"event":"success"},{"event":"failed","next":"fn"}],"properties":{"url":"https://example.com","method":"GET"}},
	 {"name":"fn","type":"run-function","transitions":[{"event":"success"},{"event":"fail"}],"properties":{}},
	 {"name":"msg","type":"send-message","transitions":[{"event":"sent"},{"event":"failed","next":"fn"}],"properties":{"body":"x"}}]}`
	fl := f.publish(t, def)
	ex, err := f.eng.CreateExecution(fl.SID, CreateExecutionParams{To: "+15557654321", From: proxy,
		Parameters: map[string]any{"name": "zeke", "count": "12", "limit": 10.0}})
	if err != nil {
		t.Fatal(err)
	}
	vars := ex.Context()["flow"].(map[string]any)["variables"].(map[string]any)
	if vars["greeting"] != "Hello ZEKE" || vars["to"] != "+15557654321" {
		t.Errorf("variables = %v", vars)
	}
	want := "Trigger -incomingRequest-> set\n" +
		"set -next-> check\n" +
		"check -match-> msg\n" +
		"msg -failed-> fn\n" + // no conversation to post into
		"fn -fail-> Ended"
	if got := stepTrail(ex); got != want || ex.Status != ExecutionEnded || !strings.HasPrefix(ex.InitiatedBy, "RQ") {
		t.Errorf("steps:\n%s\nwant:\n%s (status %s)", got, want, ex.Status)
	}
	if _, err := f.eng.CreateExecution(fl.SID, CreateExecutionParams{From: proxy}); !isTwilio(err, 400) {
		t.Errorf("missing To err = %v", err)
	}
	if _, err := f.eng.CreateExecution("FW00000000000000000000000000000009", CreateExecutionParams{To: "a", From: "b"}); !isTwilio(err, 404) {
		t.Errorf("unknown flow err = %v", err)
	}
}

func TestRESTExecutionConflictWhileActive(t *testing.T) {
	f := newFixture(t)
	def := `{"initial_state":"Trigger","states":[
	 {"name":"Trigger","type":"trigger","transitions":[{"event":"incomingRequest","next":"say"}]},
	 {"name":"say","type":"say-play","transitions":[],"properties":{"say":"hi"}}]}`
	fl := f.publish(t, def)
	ex, err := f.eng.CreateExecution(fl.SID, CreateExecutionParams{To: "+1", From: "+2"})
	if err != nil {
		t.Fatal(err)
	}
	// An unsupported voice widget ends the execution, so a second one may start.
	if ex.Status != ExecutionEnded {
		t.Fatalf("status = %s", ex.Status)
	}
	if _, err := f.eng.CreateExecution(fl.SID, CreateExecutionParams{To: "+1", From: "+2"}); err != nil {
		t.Fatalf("second execution: %v", err)
	}
	ex.Status = ExecutionActive // simulate a still-running execution
	if _, err := f.eng.CreateExecution(fl.SID, CreateExecutionParams{To: "+1", From: "+2"}); !isTwilio(err, 409) {
		t.Errorf("conflict err = %v", err)
	}
}

func TestLegacyTriggerMessageAliases(t *testing.T) {
	f := newFixture(t)
	def := flowJSON(`,
	 {"name":"w","type":"send-to-flex","transitions":[{"event":"callComplete"}],
	  "properties":{"workflow":"WW00000000000000000000000000000001","channel":"TC00000000000000000000000000000001",
	  "attributes":"{\"name\": \"{{trigger.message.ChannelAttributes.from}}\", \"channelType\": \"{{trigger.message.ChannelAttributes.channel_type}}\", \"channelSid\": \"{{trigger.message.ChannelSid}}\", \"to\": \"{{flow.channel.address}}\", \"idx\": \"{{trigger.conversation.Index}}\", \"flow\": \"{{flow.flow_sid}}\"}"}}`)
	fl := f.publish(t, def)
	m := f.message("hi")
	m.ConversationAttributes = nil
	if err := f.eng.ConversationMessageAdded(fl.SID, webhookSID, m); err != nil {
		t.Fatal(err)
	}
	var attrs map[string]any
	_ = json.Unmarshal([]byte(f.flex.calls[0].Attributes), &attrs)
	want := map[string]any{"name": customer, "channelType": "sms", "channelSid": convSID, "to": proxy, "idx": "0", "flow": fl.SID}
	if !reflect.DeepEqual(attrs, want) {
		t.Errorf("attributes = %v, want %v", attrs, want)
	}
}

func TestStepLimitStopsLoops(t *testing.T) {
	f := newFixture(t)
	def := `{"initial_state":"Trigger","states":[
	 {"name":"Trigger","type":"trigger","transitions":[{"event":"incomingRequest","next":"a"}]},
	 {"name":"a","type":"set-variables","transitions":[{"event":"next","next":"a"}],"properties":{"variables":[]}}]}`
	fl := f.publish(t, def)
	ex, err := f.eng.CreateExecution(fl.SID, CreateExecutionParams{To: "+1", From: "+2"})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status != ExecutionEnded || len(ex.Steps) != maxStepsPerRun+1 {
		t.Errorf("status %s, steps %d", ex.Status, len(ex.Steps))
	}
}
