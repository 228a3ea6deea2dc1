package studio

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/contexts.golden.json")

// randomSID matches the SIDs the engine mints at random, so snapshots
// compare across runs.
var randomSID = regexp.MustCompile(`\b(FN|FT|FC|FW)[0-9a-f]{32}\b`)

// contextSnapshot is what the API answers for an execution's context and
// each of its steps' contexts, as JSON.
type contextSnapshot struct {
	Execution json.RawMessage   `json:"execution"`
	Steps     []json.RawMessage `json:"steps"`
}

func executionContext(ex *Execution) map[string]any { return ex.Context() }
func stepContext(st *Step) map[string]any           { return st.Context() }

func snapshotContexts(t *testing.T, ex *Execution) contextSnapshot {
	t.Helper()
	enc := func(v any) json.RawMessage {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return randomSID.ReplaceAll(b, []byte("${1}-random"))
	}
	s := contextSnapshot{Execution: enc(executionContext(ex))}
	for _, st := range ex.Steps {
		s.Steps = append(s.Steps, enc(stepContext(st)))
	}
	return s
}

// TestContextSnapshots pins what Executions/{Sid}/Context and
// Steps/{Sid}/Context answer for flows exercising every context mutation
// (set-variables, widget outputs, replies, HTTP answers), while an
// execution is parked and after it ended, so the context storage can change
// without changing the wire.
func TestContextSnapshots(t *testing.T) {
	got := map[string]contextSnapshot{}

	// Conversation trigger: split, set-variables, send to Flex.
	{
		f := newFixture(t)
		fl := f.publish(t, readFlow(t, "inbound_to_flex.json"))
		f.send(t, fl.SID, "I need SALES <now> & \"quotes\"")
		got["inbound sales"] = snapshotContexts(t, f.onlyExecution(t, fl.SID))
	}
	// Webchat conversation without attributes.
	{
		f := newFixture(t)
		fl := f.publish(t, readFlow(t, "inbound_to_flex.json"))
		m := f.message("hello")
		m.ConversationAttributes, m.CustomerAddress, m.Source, m.Author, m.Attributes = nil, "", "SDK", "web-user", ""
		m.DateCreated = m.DateCreated.Add(0)
		if err := f.eng.ConversationMessageAdded(fl.SID, webhookSID, m); err != nil {
			t.Fatal(err)
		}
		got["webchat"] = snapshotContexts(t, f.onlyExecution(t, fl.SID))
	}
	// Send and wait for a reply: parked, then resumed.
	{
		f := newFixture(t)
		def := flowJSON(`,
		 {"name":"ask","type":"send-and-wait-for-reply","transitions":[{"event":"incomingMessage","next":"set"},{"event":"timeout"},{"event":"deliveryFailure"}],
		  "properties":{"body":"Your name, {{contact.channel.address}}?","timeout":"600"}},
		 {"name":"set","type":"set-variables","transitions":[{"event":"next","next":"again"}],
		  "properties":{"variables":[{"key":"name","value":"{{widgets.ask.inbound.Body}}"},{"key":"n","value":"1"}]}},
		 {"name":"again","type":"set-variables","transitions":[{"event":"next","next":"hi"}],
		  "properties":{"variables":[{"key":"n","value":"{{flow.variables.n | plus: 1}}"}]}},
		 {"name":"hi","type":"send-message","transitions":[{"event":"sent","next":"w"},{"event":"failed"}],
		  "properties":{"body":"Hi {{flow.variables.name}} ({{flow.variables.n}})"}},
		 {"name":"w","type":"send-to-flex","transitions":[{"event":"callComplete"}],
		  "properties":{"workflow":"WW00000000000000000000000000000001","channel":"TC00000000000000000000000000000001",
		  "attributes":"{\"name\": \"{{flow.variables.name}}\", \"n\": {{flow.variables.n}}, \"deep\": {\"list\": [1, 2.5, \"x\", true, null]}}"}}`)
		def = strings.Replace(def, `"next":"w"`, `"next":"ask"`, 1)
		fl := f.publish(t, def)
		f.send(t, fl.SID, "hello")
		ex := f.onlyExecution(t, fl.SID)
		got["wait parked"] = snapshotContexts(t, ex)
		f.send(t, fl.SID, "Ann")
		got["wait resumed"] = snapshotContexts(t, ex)
	}
	// REST trigger with nested parameters.
	{
		f := newFixture(t)
		def := `{"initial_state":"Trigger","states":[
		 {"name":"Trigger","type":"trigger","transitions":[{"event":"incomingRequest","next":"set"}]},
		 {"name":"set","type":"set-variables","transitions":[{"event":"next"}],
		  "properties":{"variables":[{"key":"who","value":"{{flow.data.name | upcase}}"},{"key":"first","value":"{{flow.data.nested.list | first}}"}]}}]}`
		fl := f.publish(t, def)
		params := map[string]any{"id": 42.0, "big": 12345678901234567.0, "name": "Zoë & <co>",
			"nested": map[string]any{"list": []any{1.0, "x", true, nil, map[string]any{"k": "v"}}, "empty": map[string]any{}}}
		ex, err := f.eng.CreateExecution(fl.SID, CreateExecutionParams{To: customer, From: proxy, Parameters: params})
		if err != nil {
			t.Fatal(err)
		}
		params["name"] = "changed after the call"
		got["request"] = snapshotContexts(t, ex)
	}
	// HTTP request answered with JSON.
	{
		lf := newLockedFixture(t)
		ep := newEndpoint(t, lf.env.AuthToken)
		var ex *Execution
		lf.locked(func() {
			fl := lf.publish(t, widgetFlow("make-http-request", strings.ReplaceAll(
				`{"method":"GET","url":"{{.}}/customers/{{flow.data.id}}"}`, "{{.}}", ep.srv.URL)))
			var err error
			if ex, err = lf.eng.CreateExecution(fl.SID, CreateExecutionParams{To: customer, From: proxy,
				Parameters: map[string]any{"id": 42.0}}); err != nil {
				t.Fatal(err)
			}
		})
		lf.settle(t)
		lf.locked(func() { got["http"] = snapshotContexts(t, ex) })
	}

	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	const golden = "testdata/contexts.golden.json"
	if *updateGolden {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		diffLine(t, string(want), string(b))
	}
}

// diffLine reports the first line where got differs from want.
func diffLine(t *testing.T, want, got string) {
	t.Helper()
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			t.Fatalf("contexts differ from the golden file at line %d:\nwant %s\ngot  %s", i+1, w, g)
		}
	}
	t.Fatal("contexts differ from the golden file")
}
