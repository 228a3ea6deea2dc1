package studio

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/studio/liquid"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// maxStepsPerRun stops a flow that loops without waiting.
const maxStepsPerRun = 1000

// Widget defaults and limits (Studio's canvas defaults).
const (
	defaultFlexTimeout = 3600
	maxFlexTimeout     = 1209600
	defaultWaitTimeout = 3600
)

// outcome is what running one widget leads to.
type outcome struct {
	event      string
	transition *Transition // set when the widget chose a specific transition (split)
	park       bool        // waiting for a reply or an HTTP answer
	end        string      // non-empty: end the execution (or the subflow) for this reason
	// from, when set, fires event from that widget instead: a subflow's
	// trigger when a run-subflow widget enters it.
	from *State
}

// start fires the trigger's event on a new execution.
func (e *Engine) start(ex *Execution, event string) {
	e.advance(ex, ex.def.State(ex.def.InitialState), event, nil)
}

// advance records the step for event fired by from and runs widgets until
// the execution parks or ends.
func (e *Engine) advance(ex *Execution, from *State, event string, t *Transition) {
	for n := 0; ; n++ {
		if t == nil {
			t = from.transition(event)
		}
		next := ""
		if t != nil {
			next = t.Next
		}
		to := next
		if to == "" {
			to = Ended
		}
		e.recordStep(ex, from, event, to)
		if next == "" && ex.scope == nil {
			e.end(ex, from.Name+" fired "+event+", which has no next widget")
			return
		}
		if n >= maxStepsPerRun {
			e.end(ex, fmt.Sprintf("more than %d steps without waiting: the flow loops", maxStepsPerRun))
			return
		}
		if next == "" { // the subflow reached its end: back to the parent
			from, event = e.leaveSubflow(ex, "completed", "")
			t = nil
			continue
		}
		st := ex.def.State(next)
		res := e.runWidget(ex, st)
		switch {
		case res.park:
			return
		case res.end != "" && ex.scope != nil: // the subflow cannot go on
			from, event = e.leaveSubflow(ex, "failed", res.end)
			t = nil
			continue
		case res.end != "":
			e.end(ex, res.end)
			return
		case res.from != nil:
			st = res.from
		}
		from, event, t = st, res.event, res.transition
	}
}

func (e *Engine) recordStep(ex *Execution, from *State, event, to string) {
	now := e.env.Now()
	ex.freeze()
	st := &Step{SID: twilio.NewSID("FT"), Name: event, TransitionedFrom: from.Name, TransitionedTo: to,
		Type: from.Type, DateCreated: now, ex: ex, scope: ex.scope, vars: ex.vars, widgets: ex.widgets}
	if ex.scope != nil {
		st.ParentStepSID = ex.scope.stepSID
	}
	ex.Steps = append(ex.Steps, st)
	ex.DateUpdated = now
	e.env.Record(product, "step.created", st.SID,
		"execution "+ex.SID+": "+from.Name+" --"+event+"--> "+to,
		e.refs(ex, "event", event, "transitioned_from", from.Name, "transitioned_to", to))
}

// runWidget executes one widget.
func (e *Engine) runWidget(ex *Execution, st *State) outcome {
	switch st.Type {
	case "split-based-on":
		return e.runSplit(ex, st)
	case "set-variables":
		return e.runSetVariables(ex, st)
	case "send-to-flex":
		return e.runSendToFlex(ex, st)
	case "send-message":
		return e.runSendMessage(ex, st)
	case "send-and-wait-for-reply":
		return e.runSendAndWait(ex, st)
	case "make-http-request":
		return e.runHTTPRequest(ex, st)
	case "run-function":
		return e.runFunction(ex, st)
	case "run-subflow":
		return e.runSubflow(ex, st)
	case "trigger":
		return outcome{end: "a transition led back to the trigger"}
	}
	why := unsupportedWidget(ex, st)
	e.widgetFailed(ex, st, why)
	return outcome{end: why}
}

// render renders a property's Liquid against the execution context.
func (e *Engine) render(ex *Execution, src string) (string, error) {
	t, ok := ex.def.templates[src]
	if !ok {
		if !strings.Contains(src, "{") {
			return src, nil
		}
		var err error
		if t, err = liquid.Parse(src); err != nil {
			return "", err
		}
	}
	return t.RenderAt(ex.liveContext(), e.env.Now())
}

// prop returns a scalar property as text.
func prop(st *State, key string) string { return scalarString(st.Properties[key]) }

// widgetFailed records why a widget took its failure path.
func (e *Engine) widgetFailed(ex *Execution, st *State, why string) {
	e.env.Record(product, "widget.failed", ex.SID, fmt.Sprintf("widget %s (%s) failed: %s", st.Name, st.Type, why),
		e.refs(ex, "widget", st.Name, "widget_type", st.Type))
}

// runSplit evaluates match transitions in order; the first whose conditions
// all hold wins, else noMatch.
func (e *Engine) runSplit(ex *Execution, st *State) outcome {
	input, err := e.render(ex, prop(st, "input"))
	if err != nil {
		e.widgetFailed(ex, st, "rendering input: "+err.Error())
		return outcome{end: "split " + st.Name + " could not render its input"}
	}
	for i := range st.Transitions {
		t := &st.Transitions[i]
		if t.Event != "match" {
			continue
		}
		all := len(t.Conditions) > 0
		for _, c := range t.Conditions {
			value, err := e.render(ex, c.Value)
			if err != nil {
				all = false
				break
			}
			if !evalCondition(c.Type, input, value) {
				all = false
				break
			}
		}
		if all {
			return outcome{event: "match", transition: t}
		}
	}
	return outcome{event: "noMatch"}
}

// runSetVariables renders each variable in order into flow.variables; one
// of type json_object ("Parse as JSON object") holds the parsed value.
func (e *Engine) runSetVariables(ex *Execution, st *State) outcome {
	vars, _ := st.Properties["variables"].([]any)
	for _, v := range vars {
		m, _ := v.(map[string]any)
		key, _ := m["key"].(string)
		value, err := e.render(ex, scalarString(m["value"]))
		if err != nil {
			e.widgetFailed(ex, st, fmt.Sprintf("rendering %s: %v", key, err))
			return outcome{end: "set-variables " + st.Name + " could not render " + key}
		}
		ex.flowVariables()[key] = typedValue(scalarString(m["type"]), value)
	}
	return outcome{event: "next"}
}

// typedValue is a rendered variable or parameter value: parsed when its type
// is json_object and it is JSON (not nested deeper than the context may
// be), else the text.
func typedValue(typ, value string) any {
	if typ == "json_object" && json.Valid([]byte(value)) && twilio.JSONDepth(value, twilio.MaxJSONDepth) <= twilio.MaxJSONDepth {
		if v, ok := twilio.DecodeValidJSON(value); ok {
			return v
		}
	}
	return value
}

// runSendToFlex renders the widget, creates the interaction and hands the
// conversation off (the studio webhook is removed).
func (e *Engine) runSendToFlex(ex *Execution, st *State) outcome {
	fail := func(why string) outcome {
		e.widgetFailed(ex, st, why)
		return outcome{event: "failedToEnqueue"}
	}
	if ex.ConversationSID == "" {
		return fail("Send to Flex needs a Conversations-triggered execution in the emulator")
	}
	p := SendToFlexParams{ConversationSID: ex.ConversationSID}
	var err error
	if p.Workflow, err = e.render(ex, prop(st, "workflow")); err != nil {
		return fail("rendering workflow: " + err.Error())
	}
	if p.TaskChannel, err = e.render(ex, prop(st, "channel")); err != nil {
		return fail("rendering channel: " + err.Error())
	}
	attrSrc := "{}"
	switch a := st.Properties["attributes"].(type) {
	case string:
		if strings.TrimSpace(a) != "" {
			attrSrc = a
		}
	case map[string]any:
		b, _ := json.Marshal(a)
		attrSrc = string(b)
	}
	if p.Attributes, err = e.render(ex, attrSrc); err != nil {
		return fail("rendering attributes: " + err.Error())
	}
	// What json.Unmarshal into a map gives (nil for null, an error for
	// anything but an object), decoded without reflection.
	var attrs map[string]any
	if json.Valid([]byte(p.Attributes)) {
		v, ok := twilio.DecodeValidJSON(p.Attributes)
		attrs, _ = v.(map[string]any)
		if !ok {
			attrs = nil
		}
	}
	if attrs == nil {
		return fail(fmt.Sprintf("attributes are not a JSON object after rendering: %q", p.Attributes))
	}
	p.AttributesMap = attrs
	if p.Priority, err = intProp(e, ex, st, "priority", 0, 0, 1<<31-1); err != nil {
		return fail(err.Error())
	}
	if p.Timeout, err = intProp(e, ex, st, "timeout", defaultFlexTimeout, 1, maxFlexTimeout); err != nil {
		return fail(err.Error())
	}
	taskSID, err := e.flex.SendToFlex(p)
	if err != nil {
		return fail("creating the task: " + err.Error())
	}
	out := ex.widgetOutputs(st.Name)
	out["TaskSid"] = taskSID
	out["Attributes"] = attrs
	e.handOff(ex)
	return outcome{event: "callComplete"}
}

// handOff removes the studio webhook so the conversation's later messages go
// to the agent only.
func (e *Engine) handOff(ex *Execution) {
	e.handedOff[ex.WebhookSID] = true
	refs := e.refs(ex, "webhook_sid", ex.WebhookSID)
	if err := e.conv.RemoveWebhook(ex.ConversationSID, ex.WebhookSID); err != nil {
		e.env.Record(product, "handoff.failed", ex.SID,
			fmt.Sprintf("could not remove studio webhook %s from %s: %v", ex.WebhookSID, ex.ConversationSID, err), refs)
		return
	}
	e.env.Record(product, "conversation.handed_off", ex.SID,
		"conversation "+ex.ConversationSID+" handed off to Flex; studio webhook "+ex.WebhookSID+" removed", refs)
}

// intProp renders an integer property within [min, max], def when empty.
func intProp(e *Engine, ex *Execution, st *State, key string, def, min, max int) (int, error) {
	text, err := e.render(ex, prop(st, key))
	if err != nil {
		return 0, fmt.Errorf("rendering %s: %w", key, err)
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return def, nil
	}
	n, err := strconv.Atoi(text)
	if errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("%s %s is out of range [%d, %d]", key, text, min, max)
	}
	if err != nil {
		return 0, fmt.Errorf("%s %q is not an integer", key, text)
	}
	if n < min || n > max {
		return 0, fmt.Errorf("%s %d is out of range [%d, %d]", key, n, min, max)
	}
	return n, nil
}

// runSendAndWait posts the body and parks the execution until the next
// message on the conversation (incomingMessage) or the timeout.
func (e *Engine) runSendAndWait(ex *Execution, st *State) outcome {
	sent, err := e.post(ex, st)
	if err != nil {
		e.widgetFailed(ex, st, err.Error())
		return outcome{event: "deliveryFailure"}
	}
	ex.setWidgetOutputs(st.Name, map[string]any{"outbound": sent})
	timeout, err := intProp(e, ex, st, "timeout", defaultWaitTimeout, 1, maxFlexTimeout)
	if err != nil {
		timeout = defaultWaitTimeout
	}
	d := time.Duration(timeout) * time.Second
	e.armWait(ex, &wait{state: st, deadline: e.env.Now().Add(d)}, d)
	e.env.Record(product, "execution.waiting", ex.SID,
		fmt.Sprintf("execution %s waits in %s for a reply (timeout %ds)", ex.SID, st.Name, timeout),
		e.refs(ex, "widget", st.Name))
	return outcome{park: true}
}

// armWait parks ex in w and schedules its timeout d from now (a restored
// snapshot re-arms a wait this way too).
func (e *Engine) armWait(ex *Execution, w *wait, d time.Duration) {
	ex.waiting = w
	sid, st := ex.SID, w.state
	w.timer = e.env.Clock.AfterFunc(d, func() {
		cur, ok := e.executions[sid]
		if !ok || cur.waiting != w || cur.Status != ExecutionActive {
			return // replied, ended or deleted meanwhile
		}
		cur.waiting = nil
		e.advance(cur, st, "timeout", nil)
	})
}

// resume delivers a reply to a parked send-and-wait-for-reply.
func (e *Engine) resume(ex *Execution, m ConversationMessage) {
	st := ex.waiting.state
	e.stopWaiting(ex)
	ex.widgetOutputs(st.Name)["inbound"] = map[string]any{
		"Body": m.Body, "From": m.Author, "Author": m.Author, "MessageSid": m.MessageSID,
		"ConversationSid": m.ConversationSID, "ChannelSid": m.ConversationSID, "ParticipantSid": m.ParticipantSID,
		"Index": strconv.Itoa(m.Index), "Source": m.Source, "Attributes": m.Attributes,
	}
	e.advance(ex, st, "incomingMessage", nil)
}
