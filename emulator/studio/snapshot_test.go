package studio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio/twiliotest"
)

// waitDef asks twice (timeouts 120 s and 300 s), keeps typed variables and
// ends in Flex, or says goodbye on a timeout.
var waitDef = flowJSON(`,
 {"name":"w","type":"send-and-wait-for-reply","transitions":[{"event":"incomingMessage","next":"vars"},{"event":"timeout","next":"bye"},{"event":"deliveryFailure"}],
  "properties":{"from":"Bot","body":"Name, {{trigger.conversation.Author}}?","timeout":"120"}},
 {"name":"vars","type":"set-variables","transitions":[{"event":"next","next":"w2"}],"properties":{"variables":[
  {"key":"name","value":"{{widgets.w.inbound.Body}}"},
  {"key":"obj","value":"{\"a\":[1,2.5,true,null],\"s\":\"<&>\",\"big\":12345678901234567}","type":"json_object"}]}},
 {"name":"w2","type":"send-and-wait-for-reply","transitions":[{"event":"incomingMessage","next":"flex"},{"event":"timeout","next":"bye"},{"event":"deliveryFailure"}],
  "properties":{"from":"Bot","body":"Thanks {{flow.variables.name}} ({{flow.variables.obj.a[1]}})","timeout":"300"}},
 {"name":"flex","type":"send-to-flex","transitions":[{"event":"callComplete"},{"event":"failedToEnqueue"}],
  "properties":{"workflow":"WW00000000000000000000000000000001","channel":"TC00000000000000000000000000000001",
  "attributes":"{\"name\": \"{{flow.variables.name}}\", \"said\": \"{{widgets.w2.inbound.Body}}\"}"}},
 {"name":"bye","type":"send-message","transitions":[{"event":"sent"},{"event":"failed"}],
  "properties":{"from":"Bot","body":"Bye {{flow.variables.name}} at {{widgets.w.outbound.Index}}"}}`)

// restDef is a REST-triggered flow that copies flow.data into variables.
const restDef = `{"initial_state":"Trigger","states":[
 {"name":"Trigger","type":"trigger","transitions":[{"event":"incomingRequest","next":"set"}]},
 {"name":"set","type":"set-variables","transitions":[{"event":"next"}],
  "properties":{"variables":[{"key":"who","value":"{{flow.data.name | upcase}}"},{"key":"first","value":"{{flow.data.nested.list | first}}"}]}}]}`

// snapWorld is a Studio engine holding every kind of state: flows with
// shared and distinct revision definitions, test users and a draft; ended
// and active executions of both triggers; executions parked in replies (in
// the flow and inside a subflow, one whose subflow was deleted since);
// a conversation handed off to Flex.
type snapWorld struct {
	*fixture
	flows []string
	// convs are the conversations with executions, by role.
	convs map[string]string
	n     int
}

func conv(n int) string { return fmt.Sprintf("CH%032d", 500+n) }

// say delivers body on conversation c from that conversation's customer.
func (w *snapWorld) say(t *testing.T, flowSID, c, body string) {
	t.Helper()
	m := w.message(body)
	m.ConversationSID, m.CustomerAddress = c, "+1555000"+c[len(c)-4:]
	m.Author = m.CustomerAddress
	if err := w.eng.ConversationMessageAdded(flowSID, "WH"+c[2:], m); err != nil {
		t.Fatal(err)
	}
}

func newSnapWorld(t *testing.T) *snapWorld {
	t.Helper()
	w := &snapWorld{fixture: newFixture(t), convs: map[string]string{}}
	e := w.eng
	inbound := w.publish(t, readFlow(t, "inbound_to_flex.json"))
	wait := w.publish(t, waitDef)
	rest := w.publish(t, restDef)
	sub := w.publish(t, subflowDef)
	sub2 := w.publish(t, subflowDef)
	parent := w.publish(t, parentDef(sub.SID, "ask"))
	parent2 := w.publish(t, parentDef(sub2.SID, "ask"))
	w.flows = []string{inbound.SID, wait.SID, rest.SID, sub.SID, parent.SID, parent2.SID}

	// Revisions: a draft sharing the definition, a rename, test users and
	// a draft with a new definition.
	w.clk.Advance(time.Second)
	msg := "draft with the same definition"
	if _, err := e.UpdateFlow(rest.SID, UpdateFlowParams{Status: FlowDraft, CommitMessage: &msg}); err != nil {
		t.Fatal(err)
	}
	name := "REST renamed"
	if _, err := e.UpdateFlow(rest.SID, UpdateFlowParams{Status: FlowPublished, FriendlyName: &name}); err != nil {
		t.Fatal(err)
	}
	draft := strings.Replace(restDef, "upcase", "downcase", 1)
	if _, err := e.UpdateFlow(rest.SID, UpdateFlowParams{Status: FlowDraft, Definition: &draft}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.SetTestUsers(rest.SID, []string{"+15550009999"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.SetTestUsers(wait.SID, []string{}); err != nil {
		t.Fatal(err)
	}

	// Ended executions: handed off to Flex, REST with nested parameters
	// (one by a test user, running the draft), ended through the API.
	w.clk.Advance(time.Second)
	w.say(t, inbound.SID, conv(1), "I need SALES <now> & \"quotes\"")
	for _, to := range []string{customer, "+15550009999"} {
		params := map[string]any{"id": 42.0, "big": 12345678901234567.0, "name": "Zoë & <co>",
			"nested": map[string]any{"list": []any{1.0, "x", true, nil, map[string]any{"k": "v"}}, "empty": map[string]any{}}}
		if _, err := e.CreateExecution(rest.SID, CreateExecutionParams{To: to, From: proxy, Parameters: params}); err != nil {
			t.Fatal(err)
		}
	}
	w.say(t, wait.SID, conv(2), "hello")
	if _, err := e.UpdateExecution(wait.SID, e.active[conv(2)], ExecutionEnded); err != nil {
		t.Fatal(err)
	}

	// Parked: A waits in w (deadline +120 s), B in w2 (+300 s), C timed
	// out and said goodbye; D and E wait inside subflows (+60 s).
	w.clk.Advance(time.Second)
	w.say(t, wait.SID, conv(3), "hi") // C
	w.clk.Advance(121 * time.Second)
	w.say(t, wait.SID, conv(4), "hi") // A
	w.clk.Advance(10 * time.Second)
	w.say(t, wait.SID, conv(5), "hi") // B
	w.clk.Advance(5 * time.Second)
	w.say(t, wait.SID, conv(5), "Ann")
	w.clk.Advance(7 * time.Second)
	w.say(t, parent.SID, conv(6), "sub please") // D
	w.say(t, parent2.SID, conv(7), "sub too")   // E
	if err := e.DeleteFlow(sub2.SID); err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(3 * time.Second)
	return w
}

// restoreInto restores snap into a fresh engine on a fresh env at w's
// virtual time, its fakes numbering messages and tasks on from w's.
func (w *snapWorld) restoreInto(t *testing.T, snap json.RawMessage) (*fixture, error) {
	t.Helper()
	f := newFixture(t)
	f.clk.Advance(w.clk.Now().Sub(f.clk.Now()))
	f.conv.posts = append(f.conv.posts, w.conv.posts...)
	f.flex.calls = append(f.flex.calls, w.flex.calls...)
	f.seq = w.seq
	before, posts, calls := f.env.Timeline.Last(), len(f.conv.posts), len(f.flex.calls)
	err := f.eng.Restore(snap)
	if f.env.Timeline.Last() != before || len(f.conv.posts) != posts || len(f.flex.calls) != calls {
		t.Error("Restore recorded, posted or sent to Flex")
	}
	return f, err
}

// reads is every REST read of the engine's resources, in a fixed order.
func reads(t *testing.T, eng *Engine, flows []string) []string {
	t.Helper()
	srv := twiliotest.Serve(t, Product, eng, Routes())
	get := func(path string) map[string]any {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Host = Product.Host
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return m
	}
	var out []string
	keep := func(path string) map[string]any {
		m := get(path)
		b, _ := json.Marshal(m)
		out = append(out, path+" "+string(b))
		return m
	}
	keep("/v2/Flows")
	for _, fl := range flows {
		base := "/v2/Flows/" + fl
		keep(base)
		keep(base + "/TestUsers")
		for _, r := range keep(base + "/Revisions")["revisions"].([]any) {
			keep(fmt.Sprintf("%s/Revisions/%v", base, r.(map[string]any)["revision"]))
		}
		for _, x := range keep(base + "/Executions")["executions"].([]any) {
			ex := base + "/Executions/" + x.(map[string]any)["sid"].(string)
			keep(ex)
			keep(ex + "/Context")
			for _, s := range keep(ex + "/Steps")["steps"].([]any) {
				step := ex + "/Steps/" + s.(map[string]any)["sid"].(string)
				keep(step)
				keep(step + "/Context")
			}
		}
	}
	return out
}

// sidPattern matches any SID the engines mint.
var sidPattern = regexp.MustCompile(`\b[A-Z]{2}[0-9a-f]{32}\b`)

// normalise replaces the SIDs not in known by NEW<n>, numbered in order of
// appearance, so two engines that minted the same things compare equal.
func normalise(b []byte, known map[string]bool) string {
	names := map[string]string{}
	return sidPattern.ReplaceAllStringFunc(string(b), func(s string) string {
		if known[s] {
			return s
		}
		if _, ok := names[s]; !ok {
			names[s] = fmt.Sprintf("NEW%d", len(names)+1)
		}
		return names[s]
	})
}

func TestSnapshotRoundTrip(t *testing.T) {
	w := newSnapWorld(t)
	snap, err := w.eng.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"waiting":{"widget":"w"`, `"waiting":{"widget":"w2"`, `"waiting":{"widget":"ask"`,
		`"frames":[{`, `"revision":0,"definition":{`, `"definition":null`, `"handed_off":["WH`, `"test_users":[]`} {
		if !bytes.Contains(snap, []byte(s)) {
			t.Errorf("the world lacks %s", s)
		}
	}
	steps := 0
	for _, ex := range w.eng.executions {
		steps += len(ex.Steps)
	}
	t.Logf("%d flows, %d executions, %d steps: %d bytes", len(w.eng.flows), len(w.eng.executions), steps, len(snap))
	f, err := w.restoreInto(t, snap)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.clk.Pending(), w.clk.Pending(); got != want {
		t.Errorf("restored timers = %d, want %d", got, want)
	}
	again, err := f.eng.Snapshot()
	if err != nil || !bytes.Equal(again, snap) {
		t.Fatalf("snapshot of the restored engine differs (%v): %s", err, firstDiff(snap, again))
	}
	want, got := reads(t, w.eng, w.flows), reads(t, f.eng, w.flows)
	if len(want) != len(got) {
		t.Fatalf("%d reads, want %d", len(got), len(want))
	}
	for i := range want {
		if want[i] != got[i] {
			t.Errorf("read differs:\n%s\n%s", want[i], got[i])
		}
	}
	// The revisions that kept a definition share it again.
	rest := f.eng.flows[w.flows[2]]
	if rest.Revisions[0].Definition != rest.Revisions[1].Definition || rest.Revisions[2].Definition == rest.Revisions[3].Definition {
		t.Error("revision definitions are not shared as they were")
	}

	// Lockstep: the restored timers fire at the same virtual times with the
	// same effects (subflow replies at +60 s, A at +120 s, B at +300 s).
	known := map[string]bool{}
	for _, s := range sidPattern.FindAllString(string(snap), -1) {
		known[s] = true
	}
	marks := [2]int64{w.env.Timeline.Last(), f.env.Timeline.Last()}
	for i, d := range []time.Duration{50 * time.Second, 20 * time.Second, 60 * time.Second, 200 * time.Second, time.Hour} {
		w.clk.Advance(d)
		f.clk.Advance(d)
		a, _ := w.eng.Snapshot()
		b, _ := f.eng.Snapshot()
		if na, nb := normalise(a, known), normalise(b, known); na != nb {
			t.Fatalf("after advance %d the engines differ: %s", i, firstDiff([]byte(na), []byte(nb)))
		}
		if w.clk.Pending() != f.clk.Pending() {
			t.Fatalf("after advance %d: %d timers vs %d", i, w.clk.Pending(), f.clk.Pending())
		}
	}
	if w.clk.Pending() != 0 {
		t.Errorf("%d timers still pending", w.clk.Pending())
	}
	var ta, tb []string
	for _, en := range w.env.Timeline.Since(marks[0]) {
		ta = append(ta, en.Type+" "+en.Summary)
	}
	for _, en := range f.env.Timeline.Since(marks[1]) {
		tb = append(tb, en.Type+" "+en.Summary)
	}
	if na, nb := normalise([]byte(strings.Join(ta, "\n")), known), normalise([]byte(strings.Join(tb, "\n")), known); na != nb || len(ta) < 10 {
		t.Errorf("timelines differ:\n%s\n---\n%s", na, nb)
	}
	if fmt.Sprint(w.conv.posts) != fmt.Sprint(f.conv.posts) || fmt.Sprint(w.flex.calls) != fmt.Sprint(f.flex.calls) {
		t.Errorf("posts or Flex calls differ:\n%v\n%v", w.conv.posts[len(w.conv.posts)-3:], f.conv.posts[len(f.conv.posts)-3:])
	}
}

// TestSnapshotRestoredEngineWorks: the restored engine carries on: a reply
// resumes a parked execution, messages on a handed-off webhook stay
// ignored, new executions and flows get fresh SIDs, a contact keeps its
// SID, and a new wait arms its own timer.
func TestSnapshotRestoredEngineWorks(t *testing.T) {
	w := newSnapWorld(t)
	snap, err := w.eng.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	f, err := w.restoreInto(t, snap)
	if err != nil {
		t.Fatal(err)
	}
	rw := &snapWorld{fixture: f, flows: w.flows}
	wait := w.flows[1]
	b := f.eng.executions[f.eng.active[conv(5)]]
	rw.say(t, wait, conv(5), "done")
	if b.Status != ExecutionEnded || b.Steps[len(b.Steps)-1].TransitionedFrom != "flex" || len(f.flex.calls) != len(w.flex.calls)+1 {
		t.Fatalf("B after its reply: %s\n%s", b.Status, stepTrail(b))
	}
	if got := f.flex.calls[len(f.flex.calls)-1].Attributes; got != `{"name": "Ann", "said": "done"}` {
		t.Errorf("B's task attributes = %s", got)
	}
	before := len(f.eng.execOrder)
	rw.say(t, w.flows[0], conv(1), "again") // handed off: ignored
	if len(f.eng.execOrder) != before {
		t.Error("a message on a handed-off webhook started an execution")
	}
	// A new execution for a known contact keeps the contact SID.
	a := f.eng.executions[f.eng.active[conv(4)]]
	if _, err := f.eng.UpdateExecution(wait, a.SID, ExecutionEnded); err != nil {
		t.Fatal(err)
	}
	rw.say(t, wait, conv(4), "new start")
	n := f.eng.executions[f.eng.active[conv(4)]]
	if n == nil || n.SID == a.SID || n.ContactSID != a.ContactSID || n.waiting == nil {
		t.Fatalf("new execution on A's conversation: %+v", n)
	}
	fl, err := f.eng.CreateFlow(CreateFlowParams{FriendlyName: "later", Status: FlowPublished, Definition: restDef})
	if err != nil || f.eng.flowOrder[len(f.eng.flowOrder)-1] != fl.SID {
		t.Fatalf("new flow: %v", err)
	}
	ex, err := f.eng.CreateExecution(w.flows[2], CreateExecutionParams{To: "+15557770000", From: proxy})
	if err != nil || ex.Steps[len(ex.Steps)-1].TransitionedTo != Ended {
		t.Fatalf("new REST execution: %v", err)
	}
	seen := map[string]bool{}
	for _, x := range f.eng.executions {
		for _, st := range x.Steps {
			if seen[st.SID] {
				t.Errorf("step SID %s twice", st.SID)
			}
			seen[st.SID] = true
		}
	}
	f.clk.Advance(121 * time.Second)
	if n.Status != ExecutionEnded || n.Steps[len(n.Steps)-1].TransitionedFrom != "bye" {
		t.Errorf("the new wait did not time out:\n%s", stepTrail(n))
	}
	// Saved again and restored again, the engine is the same.
	snap2, err := f.eng.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	g := newFixture(t)
	g.clk.Advance(f.clk.Now().Sub(g.clk.Now()))
	if err := g.eng.Restore(snap2); err != nil {
		t.Fatal(err)
	}
	if again, _ := g.eng.Snapshot(); !bytes.Equal(again, snap2) {
		t.Fatalf("second round trip differs: %s", firstDiff(snap2, again))
	}
}

// TestSnapshotHTTPWidgets: an answered HTTP widget's outputs survive; one
// whose answer was awaited at save time fails on the next clock advance in
// the restored engine, as an unanswered request does.
func TestSnapshotHTTPWidgets(t *testing.T) {
	lf := newLockedFixture(t)
	ep := newEndpoint(t, lf.env.AuthToken)
	var snap json.RawMessage
	var answered, inFlight *Execution
	var flowSID string
	lf.locked(func() {
		fl := lf.publish(t, widgetFlow("make-http-request", `{"method":"GET","url":"`+ep.srv.URL+`/c/{{flow.data.id}}"}`))
		flowSID = fl.SID
		var err error
		if answered, err = lf.eng.CreateExecution(fl.SID, CreateExecutionParams{To: customer, From: proxy,
			Parameters: map[string]any{"id": 42.0}}); err != nil {
			t.Fatal(err)
		}
	})
	lf.settle(t)
	lf.locked(func() {
		if answered.Status != ExecutionEnded {
			t.Fatal("the answered execution is still running")
		}
		var err error
		if inFlight, err = lf.eng.CreateExecution(flowSID, CreateExecutionParams{To: "+15556660000", From: proxy}); err != nil {
			t.Fatal(err)
		}
		if inFlight.calling == nil {
			t.Fatal("not parked in the HTTP widget")
		}
		if snap, err = lf.eng.Snapshot(); err != nil {
			t.Fatal(err)
		}
	})
	lf.settle(t)

	f := newFixture(t)
	f.clk.Advance(lf.clk.Now().Sub(f.clk.Now()))
	if err := f.eng.Restore(snap); err != nil {
		t.Fatal(err)
	}
	lf.locked(func() {
		if fmt.Sprint(answered.Context()) != fmt.Sprint(f.eng.executions[answered.SID].Context()) {
			t.Errorf("answered context differs:\n%v\n%v", answered.Context(), f.eng.executions[answered.SID].Context())
		}
	})
	if again, _ := f.eng.Snapshot(); !bytes.Equal(again, snap) {
		t.Fatalf("snapshot of the restored engine differs: %s", firstDiff(snap, again))
	}
	ex := f.eng.executions[inFlight.SID]
	if ex.Status != ExecutionActive || f.clk.Pending() != 1 {
		t.Fatalf("restored in-flight execution: %s, %d timers", ex.Status, f.clk.Pending())
	}
	f.clk.Advance(0)
	if ex.Status != ExecutionEnded || stepTrail(ex) != "Trigger -incomingRequest-> fetch\nfetch -failed-> Ended" {
		t.Fatalf("after the advance: %s\n%s", ex.Status, stepTrail(ex))
	}
	failed := false
	for _, en := range f.env.Timeline.Since(0) {
		failed = failed || en.Type == "widget.failed" && strings.Contains(en.Summary, "no answer from "+ep.srv.URL+"/c/")
	}
	if !failed {
		t.Errorf("no widget.failed naming the URL: %v", timelineTypes(f.env))
	}
}

func TestSnapshotEmptyEngine(t *testing.T) {
	f := newFixture(t)
	snap, err := f.eng.Snapshot()
	if err != nil || string(snap) != `{"flows":[],"executions":[],"contacts":{},"handed_off":[]}` {
		t.Fatalf("empty snapshot = %s, %v", snap, err)
	}
	g := newFixture(t)
	if err := g.eng.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if again, _ := g.eng.Snapshot(); !bytes.Equal(again, snap) {
		t.Fatalf("restored empty snapshot = %s", again)
	}
}

func TestRestoreRejectsBadData(t *testing.T) {
	w := newSnapWorld(t)
	snap, err := w.eng.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	good := string(snap)
	mutate := func(change func(d map[string]any)) string {
		var d map[string]any
		if err := json.Unmarshal(snap, &d); err != nil {
			t.Fatal(err)
		}
		change(d)
		b, _ := json.Marshal(d)
		return string(b)
	}
	list := func(v any) []any { return v.([]any) }
	obj := func(v any) map[string]any { return v.(map[string]any) }
	flow := func(d map[string]any, i int) map[string]any { return obj(list(d["flows"])[i]) }
	// parked is the execution of the world parked inside a subflow (D).
	parked := func(d map[string]any) map[string]any {
		for _, x := range list(d["executions"]) {
			if fr, _ := obj(x)["frames"].([]any); len(fr) > 0 {
				return obj(x)
			}
		}
		panic("no execution in a subflow")
	}
	cases := map[string]string{
		"not json":       good[:len(good)/2],
		"trailing":       good + "[]",
		"unknown field":  strings.Replace(good, `{"flows"`, `{"x":1,"flows"`, 1),
		"wrong type":     mutate(func(d map[string]any) { d["flows"] = map[string]any{} }),
		"bad flow sid":   mutate(func(d map[string]any) { flow(d, 0)["sid"] = "FW1" }),
		"duplicate flow": mutate(func(d map[string]any) { d["flows"] = append(list(d["flows"]), flow(d, 0)) }),
		"bad definition": mutate(func(d map[string]any) {
			obj(list(flow(d, 0)["revisions"])[0])["definition"] = map[string]any{"states": []any{}}
		}),
		"first definition null": mutate(func(d map[string]any) { obj(list(flow(d, 0)["revisions"])[0])["definition"] = nil }),
		"revision numbering":    mutate(func(d map[string]any) { obj(list(flow(d, 2)["revisions"])[1])["revision"] = 7.0 }),
		"bad revision status":   mutate(func(d map[string]any) { obj(list(flow(d, 0)["revisions"])[0])["status"] = "live" }),
		"dangling flow":         mutate(func(d map[string]any) { parked(d)["flow_sid"] = "FW99999999999999999999999999999999" }),
		"flow version":          mutate(func(d map[string]any) { parked(d)["flow_version"] = 9.0 }),
		"bad status":            mutate(func(d map[string]any) { parked(d)["status"] = "paused" }),
		"no trigger":            mutate(func(d map[string]any) { parked(d)["message"] = nil }),
		"dangling value":        mutate(func(d map[string]any) { obj(list(parked(d)["steps"])[0])["vars"] = 999.0 }),
		"dangling scope":        mutate(func(d map[string]any) { obj(parked(d)["running"])["scope"] = 5.0 }),
		"value not an object":   mutate(func(d map[string]any) { list(parked(d)["values"])[0] = []any{} }),
		"unknown wait widget":   mutate(func(d map[string]any) { obj(parked(d)["waiting"])["widget"] = "nope" }),
		"frame widget":          mutate(func(d map[string]any) { obj(list(parked(d)["frames"])[0])["widget"] = "w" }),
		"subflow, no frames":    mutate(func(d map[string]any) { parked(d)["frames"] = []any{} }),
		"dangling parent step": mutate(func(d map[string]any) {
			obj(list(parked(d)["steps"])[0])["parent_step_sid"] = "FT99999999999999999999999999999999"
		}),
		"ended but waiting":    mutate(func(d map[string]any) { parked(d)["status"] = ExecutionEnded }),
		"dangling contact":     mutate(func(d map[string]any) { parked(d)["contact_sid"] = "FC99999999999999999999999999999999" }),
		"bad contact sid":      mutate(func(d map[string]any) { d["contacts"] = map[string]any{"+1": "XX1"} }),
		"bad date":             mutate(func(d map[string]any) { flow(d, 0)["date_created"] = "today" }),
		"waiting and calling":  mutate(func(d map[string]any) { parked(d)["calling"] = map[string]any{"widget": "ask"} }),
		"two on conversation":  mutate(func(d map[string]any) { d["executions"] = append(list(d["executions"]), parked(d)) }),
		"duplicate step":       mutate(func(d map[string]any) { s := list(parked(d)["steps"]); s[1] = s[0] }),
		"half a live context":  mutate(func(d map[string]any) { obj(parked(d)["running"])["live_vars"] = nil }),
		"running another flow": mutate(func(d map[string]any) { obj(parked(d)["running"])["flow_sid"] = flow(d, 0)["sid"] }),
	}
	for name, data := range cases {
		f := newFixture(t)
		if err := f.eng.Restore(json.RawMessage(data)); err == nil {
			t.Errorf("%s: restored", name)
		}
		e := f.eng
		if len(e.flows)+len(e.flowOrder)+len(e.executions)+len(e.execOrder)+len(e.active)+len(e.handedOff)+len(e.contacts) != 0 ||
			f.clk.Pending() != 0 || f.env.Timeline.Last() != 0 {
			t.Errorf("%s: engine not left empty", name)
		}
	}
	f := newFixture(t)
	if err := f.eng.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if err := f.eng.Restore(snap); err == nil {
		t.Error("restored into an engine holding state")
	}
}

// firstDiff shows where two snapshots part, with some context.
func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(i-120, 0)
	return fmt.Sprintf("at byte %d:\n  …%s\n  …%s", i, a[lo:min(i+120, len(a))], b[lo:min(i+120, len(b))])
}
