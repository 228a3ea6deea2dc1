package studio

import (
	"encoding/json"
	"strings"
	"testing"
)

// subflowDef is a subflow: it records its parameters and trigger data in
// flow.variables, optionally asks a question, and ends.
const subflowDef = `{"description":"sub","initial_state":"Trigger","states":[
 {"name":"Trigger","type":"trigger","transitions":[{"event":"incomingMessage"},{"event":"incomingCall"},
  {"event":"incomingConversationMessage"},{"event":"incomingRequest"},{"event":"incomingParent","next":"vars"}]},
 {"name":"vars","type":"set-variables","transitions":[{"event":"next","next":"split"}],"properties":{"variables":[
  {"key":"greeting","value":"hello {{trigger.parent.parameters.name}}"},
  {"key":"kind","value":"{{trigger.parent.trigger_type}}"},
  {"key":"body","value":"{{trigger.conversation.Body}}"},
  {"key":"parent_flow","value":"{{trigger.parent.flow_sid}}"},
  {"key":"own_flow","value":"{{flow.flow_sid}}"},
  {"key":"execution","value":"{{flow.sid}}"},
  {"key":"parent_var","value":"{{flow.variables.before}}"},
  {"key":"flow_json_sid","value":"{{trigger.parent.parameters.flow.sid}}"}]}},
 {"name":"split","type":"split-based-on","transitions":[{"event":"noMatch"},
  {"event":"match","next":"ask","conditions":[{"friendly_name":"ask","arguments":["{{trigger.parent.parameters.mode}}"],"type":"equal_to","value":"ask"}]},
  {"event":"match","next":"say","conditions":[{"friendly_name":"voice","arguments":["{{trigger.parent.parameters.mode}}"],"type":"equal_to","value":"voice"}]}],
  "properties":{"input":"{{trigger.parent.parameters.mode}}"}},
 {"name":"ask","type":"send-and-wait-for-reply","transitions":[{"event":"incomingMessage","next":"answer"},{"event":"timeout"},{"event":"deliveryFailure"}],
  "properties":{"from":"Bot","body":"Your age?","timeout":"60"}},
 {"name":"answer","type":"set-variables","transitions":[{"event":"next"}],"properties":{"variables":[{"key":"age","value":"{{widgets.ask.inbound.Body}}"}]}},
 {"name":"say","type":"say-play","transitions":[{"event":"audioComplete"}],"properties":{"say":"hi"}}]}`

// parentDef runs the subflow then sends to Flex with its outputs.
func parentDef(subSID, mode string) string {
	return flowJSON(`,
	 {"name":"w","type":"set-variables","transitions":[{"event":"next","next":"sub"}],"properties":{"variables":[{"key":"before","value":"set"}]}},
	 {"name":"sub","type":"run-subflow","transitions":[{"event":"completed","next":"flex"},{"event":"failed","next":"flex"}],
	  "properties":{"flow_sid":"` + subSID + `","flow_revision":"LatestPublished","parameters":[
	   {"key":"name","value":"{{trigger.conversation.Author}}","type":"string"},
	   {"key":"mode","value":"` + mode + `"},
	   {"key":"flow","value":"{{flow}}","type":"json_object"}]}},
	 {"name":"flex","type":"send-to-flex","transitions":[{"event":"callComplete"},{"event":"failedToEnqueue"}],
	  "properties":{"workflow":"WW00000000000000000000000000000001","channel":"TC00000000000000000000000000000001",
	  "attributes":"{\"greeting\": \"{{widgets.sub.greeting}}\", \"age\": \"{{widgets.sub.age}}\", \"kind\": \"{{widgets.sub.kind}}\", \"vars\": {{flow.variables | to_json}}}"}}`)
}

func TestRunSubflowCompletes(t *testing.T) {
	f := newFixture(t)
	sub := f.publish(t, subflowDef)
	fl := f.publish(t, parentDef(sub.SID, "plain"))
	f.send(t, fl.SID, "hi there")
	ex := f.onlyExecution(t, fl.SID)
	want := "Trigger -incomingConversationMessage-> w\n" +
		"w -next-> sub\n" +
		"Trigger -incomingParent-> vars\n" +
		"vars -next-> split\n" +
		"split -noMatch-> Ended\n" +
		"sub -completed-> flex\n" +
		"flex -callComplete-> Ended"
	if got := stepTrail(ex); got != want {
		t.Fatalf("steps:\n%s\nwant:\n%s", got, want)
	}
	enter := ex.Steps[1].SID
	for i, st := range ex.Steps {
		inSub := i >= 2 && i <= 4
		if (st.ParentStepSID == enter) != inSub || (!inSub && st.ParentStepSID != "") {
			t.Errorf("step %d (%s) parent_step_sid = %q", i, st.TransitionedFrom, st.ParentStepSID)
		}
	}
	// The subflow's own context: its flow SID, the parent's trigger, its own variables.
	subCtx := ex.Steps[3].Context()
	vars := subCtx["flow"].(map[string]any)["variables"].(map[string]any)
	wantVars := map[string]any{"greeting": "hello " + customer, "kind": "conversation", "body": "hi there",
		"parent_flow": fl.SID, "own_flow": sub.SID, "execution": ex.SID, "parent_var": "", "flow_json_sid": ex.SID}
	for k, v := range wantVars {
		if vars[k] != v {
			t.Errorf("subflow flow.variables.%s = %v, want %v", k, vars[k], v)
		}
	}
	parent := subCtx["trigger"].(map[string]any)["parent"].(map[string]any)
	if parent["execution_sid"] != ex.SID || parent["step_sid"] != enter || parent["flow_sid"] != fl.SID {
		t.Errorf("trigger.parent = %v", parent)
	}
	if _, ok := parent["parameters"].(map[string]any)["flow"].(map[string]any); !ok {
		t.Errorf("json_object parameter not parsed: %T", parent["parameters"].(map[string]any)["flow"])
	}
	// Back in the parent: outputs under widgets.sub, variables untouched.
	var attrs map[string]any
	if err := json.Unmarshal([]byte(f.flex.calls[0].Attributes), &attrs); err != nil {
		t.Fatal(err)
	}
	if attrs["greeting"] != "hello "+customer || attrs["kind"] != "conversation" ||
		!jsonEqual(attrs["vars"], map[string]any{"before": "set"}) {
		t.Errorf("attributes = %v", attrs)
	}
	ctx := ex.Context()
	if ctx["flow"].(map[string]any)["flow_sid"] != fl.SID || ctx["trigger"].(map[string]any)["parent"] != nil {
		t.Errorf("execution context is not the parent's: %v", ctx["flow"])
	}
	// The subflow has no executions of its own.
	if exs, _ := f.eng.ListExecutions(sub.SID, ListExecutionsParams{}); len(exs) != 0 {
		t.Errorf("subflow executions = %d", len(exs))
	}
}

func TestRunSubflowParksAndResumes(t *testing.T) {
	f := newFixture(t)
	sub := f.publish(t, subflowDef)
	fl := f.publish(t, parentDef(sub.SID, "ask"))
	f.send(t, fl.SID, "hi")
	ex := f.onlyExecution(t, fl.SID)
	if ex.Status != ExecutionActive || ex.waiting == nil || len(f.conv.posts) != 1 || f.conv.posts[0].author != "Bot" {
		t.Fatalf("status %s, waiting %v, posts %+v", ex.Status, ex.waiting != nil, f.conv.posts)
	}
	// While parked in the subflow, the execution context is the parent's.
	if got := ex.Context()["flow"].(map[string]any)["flow_sid"]; got != fl.SID {
		t.Errorf("context flow_sid while in subflow = %v", got)
	}
	f.send(t, fl.SID, "42")
	if ex.Status != ExecutionEnded || len(f.flex.calls) != 1 {
		t.Fatalf("status %s, flex calls %d\n%s", ex.Status, len(f.flex.calls), stepTrail(ex))
	}
	var attrs map[string]any
	_ = json.Unmarshal([]byte(f.flex.calls[0].Attributes), &attrs)
	if attrs["age"] != "42" {
		t.Errorf("age = %v\n%s", attrs["age"], stepTrail(ex))
	}
}

func TestRunSubflowFails(t *testing.T) {
	tests := []struct {
		name, why string
		setup     func(f *fixture) string // returns the subflow SID
		mode      string
	}{
		{"unknown flow", "is not a flow", func(*fixture) string { return "FW00000000000000000000000000000099" }, "plain"},
		{"never published", "no published revision", func(f *fixture) string {
			fl, err := f.eng.CreateFlow(CreateFlowParams{FriendlyName: "d", Status: FlowDraft, Definition: subflowDef})
			if err != nil {
				t.Fatal(err)
			}
			return fl.SID
		}, "plain"},
		{"voice widget reached", "acts on a voice call", func(f *fixture) string { return f.publish(t, subflowDef).SID }, "voice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			fl := f.publish(t, parentDef(tt.setup(f), tt.mode))
			f.send(t, fl.SID, "hi")
			ex := f.onlyExecution(t, fl.SID)
			if !strings.Contains(stepTrail(ex), "sub -failed-> flex") || len(f.flex.calls) != 1 {
				t.Fatalf("steps:\n%s", stepTrail(ex))
			}
			var found bool
			for _, en := range f.env.Timeline.Since(0) {
				if (en.Type == "widget.failed" || en.Type == "subflow.failed") && strings.Contains(en.Summary, tt.why) {
					found = true
				}
			}
			if !found {
				t.Errorf("no timeline entry says %q", tt.why)
			}
		})
	}
}

func TestSubflowValidation(t *testing.T) {
	bad := map[string]string{
		"flow_sid not a Flow SID": flowJSON(`,{"name":"w","type":"run-subflow","transitions":[{"event":"completed"}],"properties":{"flow_sid":"XX1"}}`),
		"unknown event":           flowJSON(`,{"name":"w","type":"run-subflow","transitions":[{"event":"return"}],"properties":{"flow_sid":"FW00000000000000000000000000000001"}}`),
		"no flow_sid":             flowJSON(`,{"name":"w","type":"run-subflow","transitions":[{"event":"completed"}],"properties":{}}`),
		"two revisions of one subflow": flowJSON(`,
		 {"name":"w","type":"run-subflow","transitions":[{"event":"completed","next":"x"}],"properties":{"flow_sid":"FW00000000000000000000000000000001","flow_revision":"LatestPublished"}},
		 {"name":"x","type":"run-subflow","transitions":[{"event":"completed"}],"properties":{"flow_sid":"FW00000000000000000000000000000001","flow_revision":"3"}}`),
	}
	for name, def := range bad {
		if _, err := ParseDefinition(def); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestAPISubflowSteps: a subflow's steps are the execution's, listed with
// parent_step_sid, and their context is the subflow's.
func TestAPISubflowSteps(t *testing.T) {
	f, _, api := newAPI(t)
	sub := f.publish(t, subflowDef)
	fl := f.publish(t, parentDef(sub.SID, "plain"))
	f.send(t, fl.SID, "hi")
	ex := f.onlyExecution(t, fl.SID)
	steps, err := api.ListExecutionStep(fl.SID, ex.SID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != len(ex.Steps) {
		t.Fatalf("%d steps listed, want %d", len(steps), len(ex.Steps))
	}
	for i, st := range steps {
		want := ex.Steps[i].ParentStepSID
		if got := st.ParentStepSid; (want == "") != (got == nil) || (got != nil && *got != want) {
			t.Errorf("step %d parent_step_sid = %v, want %q", i, got, want)
		}
	}
	ctx, err := api.FetchExecutionStepContext(fl.SID, ex.SID, *steps[3].Sid)
	if err != nil {
		t.Fatal(err)
	}
	if flow := (*ctx.Context).(map[string]any)["flow"].(map[string]any); flow["flow_sid"] != sub.SID || flow["sid"] != ex.SID {
		t.Errorf("subflow step context flow = %v", flow)
	}
}

func TestSetVariablesJSONObject(t *testing.T) {
	f := newFixture(t)
	fl := f.publish(t, flowJSON(`,{"name":"w","type":"set-variables","transitions":[{"event":"next","next":"x"}],
	 "properties":{"variables":[{"key":"obj","value":"{\"a\": {\"b\": \"{{trigger.conversation.Body}}\"}}","type":"json_object"},
	  {"key":"text","value":"{\"a\": 1}","type":"string"},{"key":"bad","value":"not json","type":"json_object"}]}},
	 {"name":"x","type":"set-variables","transitions":[{"event":"next"}],"properties":{"variables":[{"key":"b","value":"{{flow.variables.obj.a.b}}"}]}}`))
	f.send(t, fl.SID, "deep")
	vars := f.onlyExecution(t, fl.SID).Context()["flow"].(map[string]any)["variables"].(map[string]any)
	if vars["b"] != "deep" || vars["text"] != `{"a": 1}` || vars["bad"] != "not json" {
		t.Errorf("variables = %v", vars)
	}
}
