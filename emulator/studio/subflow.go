package studio

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// maxSubflowDepth bounds subflows running inside subflows.
const maxSubflowDepth = 10

// Run Subflow flow_revision values besides a revision number.
const (
	revisionLatestPublished = "LatestPublished"
	revisionLatestRevision  = "LatestRevision"
	revisionLatestDraft     = "LatestDraft"
)

// subflowScope is what the context of a running subflow differs in from the
// execution's trigger context: flow.flow_sid and trigger.parent.
type subflowScope struct {
	flowSID string
	// parent is trigger.parent: parameters, step_sid, execution_sid,
	// flow_sid (the parent flow's) and trigger_type.
	parent map[string]any
	// stepSID is the parent step that entered the run-subflow widget: the
	// parent_step_sid of the subflow's steps.
	stepSID string
}

// frame is a flow suspended in its run-subflow widget while the subflow
// runs: the Execution fields that describe the running flow.
type frame struct {
	widget                  *State // the run-subflow widget
	def                     *Definition
	scope                   *subflowScope
	live                    map[string]any
	vars, widgets           *frozen
	varsDirty, widgetsDirty bool
}

// runSubflow runs a run-subflow widget: the subflow (a flow by SID, at
// flow_revision) runs inside this execution, from its trigger's
// incomingParent, with its own flow.variables and widgets and the rendered
// parameters as trigger.parent.parameters. When it ends the widget fires
// completed, with the subflow's flow.variables as widgets.<name>.*; a
// subflow that cannot be loaded or cannot go on fires failed.
func (e *Engine) runSubflow(ex *Execution, st *State) outcome {
	fail := func(why string) outcome {
		e.widgetFailed(ex, st, why)
		ex.setWidgetOutputs(st.Name, map[string]any{})
		return outcome{event: "failed"}
	}
	if len(ex.frames) >= maxSubflowDepth {
		return fail(fmt.Sprintf("subflows are nested more than %d deep", maxSubflowDepth))
	}
	flowSID, err := e.render(ex, prop(st, "flow_sid"))
	if err != nil {
		return fail("rendering flow_sid: " + err.Error())
	}
	flowSID = strings.TrimSpace(flowSID)
	f, ok := e.flows[flowSID]
	if !ok {
		return fail("subflow " + strconv.Quote(flowSID) + " is not a flow")
	}
	revText, err := e.render(ex, prop(st, "flow_revision"))
	if err != nil {
		return fail("rendering flow_revision: " + err.Error())
	}
	rev, err := subflowRevision(f, strings.TrimSpace(revText))
	if err != nil {
		return fail(err.Error())
	}
	params, err := e.subflowParameters(ex, st)
	if err != nil {
		return fail(err.Error())
	}
	trig := rev.Definition.State(rev.Definition.InitialState)
	parentFlow := ex.FlowSID
	if ex.scope != nil {
		parentFlow = ex.scope.flowSID
	}
	scope := &subflowScope{flowSID: f.SID, stepSID: ex.Steps[len(ex.Steps)-1].SID, parent: map[string]any{
		"parameters": params, "step_sid": ex.Steps[len(ex.Steps)-1].SID, "execution_sid": ex.SID,
		"flow_sid": parentFlow, "trigger_type": ex.triggerType()}}
	ex.frames = append(ex.frames, &frame{widget: st, def: ex.def, scope: ex.scope, live: ex.live,
		vars: ex.vars, widgets: ex.widgets, varsDirty: ex.varsDirty, widgetsDirty: ex.widgetsDirty})
	ex.def, ex.scope, ex.vars, ex.widgets, ex.varsDirty, ex.widgetsDirty = rev.Definition, scope, nil, nil, false, false
	ex.live = ex.thaw(nil, nil, scope)
	e.env.Record(product, "subflow.started", ex.SID,
		fmt.Sprintf("execution %s: %s runs subflow %s (revision %d)", ex.SID, st.Name, f.SID, rev.Revision),
		e.refs(ex, "widget", st.Name, "subflow_sid", f.SID, "subflow_revision", strconv.Itoa(rev.Revision)))
	return outcome{from: trig, event: "incomingParent"}
}

// leaveSubflow ends the running subflow with event (completed or failed,
// why saying what failed) and resumes its parent: it returns the parent's
// run-subflow widget and the event it fires.
func (e *Engine) leaveSubflow(ex *Execution, event, why string) (*State, string) {
	out := map[string]any{}
	if event == "completed" {
		if flow, _ := ex.liveContext()["flow"].(map[string]any); flow != nil {
			if vars, _ := flow["variables"].(map[string]any); vars != nil {
				out = deepCopy(vars).(map[string]any)
			}
		}
	}
	subflow := ex.scope.flowSID
	f := ex.frames[len(ex.frames)-1]
	ex.frames = ex.frames[:len(ex.frames)-1]
	ex.restore(f)
	ex.setWidgetOutputs(f.widget.Name, out)
	text := fmt.Sprintf("execution %s: subflow %s of %s %s", ex.SID, subflow, f.widget.Name, event)
	if why != "" {
		text += ": " + why
	}
	e.env.Record(product, "subflow."+event, ex.SID, text,
		e.refs(ex, "widget", f.widget.Name, "subflow_sid", subflow))
	return f.widget, event
}

// restore makes f the running flow again.
func (ex *Execution) restore(f *frame) {
	ex.def, ex.scope, ex.live, ex.vars, ex.widgets = f.def, f.scope, f.live, f.vars, f.widgets
	ex.varsDirty, ex.widgetsDirty = f.varsDirty, f.widgetsDirty
}

// unwind abandons running subflows, making the execution's own flow the
// running one.
func (ex *Execution) unwind() {
	if len(ex.frames) > 0 {
		ex.restore(ex.frames[0])
		ex.frames = nil
	}
}

// triggerType is trigger.parent.trigger_type: what started the execution.
func (ex *Execution) triggerType() string {
	if ex.msg != nil {
		return "conversation"
	}
	return "request"
}

// triggerKind says what started the execution, for messages.
func (ex *Execution) triggerKind() string {
	if ex.msg != nil {
		return "a Conversations message"
	}
	return "a REST API request"
}

// subflowRevision picks the revision a run-subflow widget runs:
// LatestPublished (the default), LatestRevision or LatestDraft (the newest
// save), or a revision number.
func subflowRevision(f *Flow, rev string) (*Revision, error) {
	switch rev {
	case "", revisionLatestPublished:
		if r := f.Published(); r != nil {
			return r, nil
		}
		return nil, fmt.Errorf("subflow %s has no published revision", f.SID)
	case revisionLatestRevision, revisionLatestDraft:
		return f.Latest(), nil
	}
	n, err := strconv.Atoi(rev)
	if err != nil || n < 1 || n > len(f.Revisions) {
		return nil, fmt.Errorf("subflow %s has no revision %q", f.SID, rev)
	}
	return f.Revisions[n-1], nil
}

// subflowParameters renders the widget's parameters ([{key, value, type}]):
// values are Liquid-rendered strings, and a json_object parameter is parsed
// as JSON (kept as text when it is not JSON).
func (e *Engine) subflowParameters(ex *Execution, st *State) (map[string]any, error) {
	items, _ := st.Properties["parameters"].([]any)
	params := make(map[string]any, len(items))
	for _, item := range items {
		m, _ := item.(map[string]any)
		key := strings.TrimSpace(scalarString(m["key"]))
		if key == "" {
			continue
		}
		value, err := e.render(ex, scalarString(m["value"]))
		if err != nil {
			return nil, fmt.Errorf("rendering parameter %s: %w", key, err)
		}
		params[key] = typedValue(scalarString(m["type"]), value)
	}
	return params, nil
}

// validateSubflowWidget checks a run-subflow widget at save time: a literal
// flow_sid is a Flow SID, a literal flow_revision one Studio offers, and
// parameters are [{key, value}] with keys.
func validateSubflowWidget(path string, st *State) []ValidationError {
	var errs []ValidationError
	add := func(p, format string, args ...any) {
		errs = append(errs, ValidationError{Message: fmt.Sprintf(format, args...), PropertyPath: p})
	}
	if sid := strings.TrimSpace(prop(st, "flow_sid")); sid != "" && !strings.Contains(sid, "{") && !twilio.IsSID(sid, "FW") {
		add(path+"/flow_sid", "flow_sid %q is not a Flow SID (FW…)", sid)
	}
	if rev := strings.TrimSpace(prop(st, "flow_revision")); rev != "" && !strings.Contains(rev, "{") {
		switch rev {
		case revisionLatestPublished, revisionLatestRevision, revisionLatestDraft:
		default:
			if n, err := strconv.Atoi(rev); err != nil || n < 1 {
				add(path+"/flow_revision", "flow_revision %q is not %s, %s or a revision number",
					rev, revisionLatestPublished, revisionLatestRevision)
			}
		}
	}
	if v, present := st.Properties["parameters"]; present && v != nil {
		items, ok := v.([]any)
		if !ok {
			add(path+"/parameters", "parameters must be an array of {key, value}")
		}
		for i, item := range items {
			m, ok := item.(map[string]any)
			if key, _ := m["key"].(string); !ok || strings.TrimSpace(key) == "" {
				add(fmt.Sprintf("%s/parameters/%d/key", path, i), "parameter key is required")
			}
		}
	}
	return errs
}

// checkSubflowRevisions applies Studio's rule that every run-subflow widget
// of a flow naming the same subflow targets the same revision.
func (d *Definition) checkSubflowRevisions() []ValidationError {
	var errs []ValidationError
	first := map[string]string{} // subflow SID → its revision
	for i, st := range d.States {
		if st.Type != "run-subflow" {
			continue
		}
		sid, rev := strings.TrimSpace(prop(st, "flow_sid")), strings.TrimSpace(prop(st, "flow_revision"))
		if rev == "" {
			rev = revisionLatestPublished
		}
		if prev, seen := first[sid]; seen && prev != rev {
			errs = append(errs, ValidationError{PropertyPath: fmt.Sprintf("#/states/%d/properties/flow_revision", i),
				Message: fmt.Sprintf("run-subflow widgets naming subflow %s must all target the same revision (%s, not %s)", sid, prev, rev)})
		} else if !seen {
			first[sid] = rev
		}
	}
	return errs
}
