package studio

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/emulator/webhook"
)

// The snapshot shape. Flows carry their revisions (a definition null when
// the revision kept the previous one's, so they share it again); executions,
// in creation order, carry their trigger, steps and where they are parked.
// An execution's flow.variables and widgets objects, at every step and live,
// are stored once each in its values table and referred to by index, as
// steps share them in memory; subflow scopes likewise. Derived state (the
// conversation → active execution index, parsed Liquid, live contexts) is
// rebuilt on Restore.

type snapshot struct {
	Flows      []snapFlow      `json:"flows"`
	Executions []snapExecution `json:"executions"`
	// Contacts maps a contact address to its FC… SID.
	Contacts map[string]string `json:"contacts"`
	// HandedOff lists the studio webhooks whose conversation went to Flex.
	HandedOff []string `json:"handed_off"`
}

type snapFlow struct {
	SID         string         `json:"sid"`
	DateCreated time.Time      `json:"date_created"`
	TestUsers   []string       `json:"test_users"`
	Revisions   []snapRevision `json:"revisions"`
}

type snapRevision struct {
	Revision      int    `json:"revision"`
	FriendlyName  string `json:"friendly_name"`
	Status        string `json:"status"`
	CommitMessage string `json:"commit_message"`
	// Definition is null when the revision kept the previous one's.
	Definition  json.RawMessage `json:"definition"`
	DateCreated time.Time       `json:"date_created"`
	DateUpdated time.Time       `json:"date_updated"`
}

type snapExecution struct {
	SID                   string    `json:"sid"`
	FlowSID               string    `json:"flow_sid"`
	ContactSID            string    `json:"contact_sid"`
	ContactChannelAddress string    `json:"contact_channel_address"`
	FlowVersion           int       `json:"flow_version"`
	Status                string    `json:"status"`
	InitiatedBy           string    `json:"initiated_by"`
	ConversationSID       string    `json:"conversation_sid"`
	WebhookSID            string    `json:"webhook_sid"`
	DateCreated           time.Time `json:"date_created"`
	DateUpdated           time.Time `json:"date_updated"`
	// Exactly one of Message (a Conversations trigger) and Request (REST).
	Message *snapMessage `json:"message"`
	Request *snapRequest `json:"request"`
	// Values are the distinct flow.variables and widgets objects;
	// Scopes the distinct subflow scopes.
	Values []json.RawMessage `json:"values"`
	Scopes []snapScope       `json:"scopes"`
	Steps  []snapStep        `json:"steps"`
	// Running is the flow (or subflow) running now; Frames the flows
	// suspended in run-subflow widgets, outermost first.
	Running snapLevel   `json:"running"`
	Frames  []snapFrame `json:"frames"`
	Waiting *snapWait   `json:"waiting"`
	Calling *snapCall   `json:"calling"`
}

type snapMessage struct {
	AccountSID             string         `json:"account_sid"`
	ChatServiceSID         string         `json:"chat_service_sid"`
	ConversationSID        string         `json:"conversation_sid"`
	MessageSID             string         `json:"message_sid"`
	MessagingServiceSID    string         `json:"messaging_service_sid"`
	ParticipantSID         string         `json:"participant_sid"`
	Author                 string         `json:"author"`
	Body                   string         `json:"body"`
	Attributes             string         `json:"attributes"`
	Source                 string         `json:"source"`
	Index                  int            `json:"index"`
	DateCreated            time.Time      `json:"date_created"`
	ConversationAttributes map[string]any `json:"conversation_attributes"`
	CustomerAddress        string         `json:"customer_address"`
	ProxyAddress           string         `json:"proxy_address"`
}

type snapRequest struct {
	From       string         `json:"from"`
	Parameters map[string]any `json:"parameters"`
}

type snapScope struct {
	FlowSID string         `json:"flow_sid"`
	StepSID string         `json:"step_sid"`
	Parent  map[string]any `json:"parent"`
}

type snapStep struct {
	SID              string    `json:"sid"`
	Name             string    `json:"name"`
	TransitionedFrom string    `json:"transitioned_from"`
	TransitionedTo   string    `json:"transitioned_to"`
	Type             string    `json:"type"`
	ParentStepSID    string    `json:"parent_step_sid"`
	DateCreated      time.Time `json:"date_created"`
	Scope            int       `json:"scope"` // index into Scopes; -1 for the flow's own
	Vars             int       `json:"vars"`  // indexes into Values
	Widgets          int       `json:"widgets"`
}

// snapLevel is one running flow: which definition (a revision of FlowSID,
// or, when that flow was deleted under a running subflow, the definition
// itself), its scope and its frozen and live flow.variables and widgets.
type snapLevel struct {
	FlowSID    string          `json:"flow_sid"`
	Revision   int             `json:"revision"`
	Definition json.RawMessage `json:"definition,omitempty"`
	Scope      int             `json:"scope"`
	Vars       int             `json:"vars"`
	Widgets    int             `json:"widgets"`
	// LiveVars and LiveWidgets are null when the level has no live context
	// (an ended execution).
	LiveVars    *int `json:"live_vars"`
	LiveWidgets *int `json:"live_widgets"`
}

type snapFrame struct {
	snapLevel
	Widget string `json:"widget"` // the run-subflow widget it waits in
}

type snapWait struct {
	Widget   string    `json:"widget"`
	Deadline time.Time `json:"deadline"`
}

type snapCall struct {
	Widget  string `json:"widget"`
	Success string `json:"success"`
	Fail    string `json:"fail"`
	URL     string `json:"url"`
}

// Snapshot encodes the engine's whole state as JSON, for state snapshots
// (emulator --state). It is called under the account lock and changes
// nothing.
func (e *Engine) Snapshot() (json.RawMessage, error) {
	s := snapshot{Flows: make([]snapFlow, 0, len(e.flowOrder)), Executions: make([]snapExecution, 0, len(e.execOrder)),
		Contacts: e.contacts, HandedOff: make([]string, 0, len(e.handedOff))}
	for _, sid := range e.flowOrder {
		f := e.flows[sid]
		sf := snapFlow{SID: f.SID, DateCreated: f.DateCreated, TestUsers: f.TestUsers,
			Revisions: make([]snapRevision, 0, len(f.Revisions))}
		for i, r := range f.Revisions {
			sr := snapRevision{Revision: r.Revision, FriendlyName: r.FriendlyName, Status: r.Status,
				CommitMessage: r.CommitMessage, DateCreated: r.DateCreated, DateUpdated: r.DateUpdated}
			if i == 0 || r.Definition != f.Revisions[i-1].Definition {
				sr.Definition = r.Definition.Raw
			}
			sf.Revisions = append(sf.Revisions, sr)
		}
		s.Flows = append(s.Flows, sf)
	}
	for _, sid := range e.execOrder {
		se, err := e.snapExecution(e.executions[sid])
		if err != nil {
			return nil, fmt.Errorf("studio: snapshot: execution %s: %w", sid, err)
		}
		s.Executions = append(s.Executions, se)
	}
	for wh := range e.handedOff {
		s.HandedOff = append(s.HandedOff, wh)
	}
	sort.Strings(s.HandedOff)
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("studio: snapshot: %w", err)
	}
	return b, nil
}

// execWriter collects an execution's distinct values and scopes.
type execWriter struct {
	values   []json.RawMessage
	byValue  map[string]int
	byFrozen map[*frozen]int // steps share frozen values: encode each once
	scopes   []snapScope
	byScope  map[*subflowScope]int
}

func (w *execWriter) value(m map[string]any) (int, error) {
	if m == nil {
		m = map[string]any{}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return 0, err
	}
	if i, ok := w.byValue[string(b)]; ok {
		return i, nil
	}
	w.values = append(w.values, b)
	w.byValue[string(b)] = len(w.values) - 1
	return len(w.values) - 1, nil
}

func (w *execWriter) frozen(f *frozen) (int, error) {
	if i, ok := w.byFrozen[f]; ok {
		return i, nil
	}
	i, err := w.value(f.thaw())
	if err == nil {
		w.byFrozen[f] = i
	}
	return i, err
}

func (w *execWriter) scope(s *subflowScope) int {
	if s == nil {
		return -1
	}
	if i, ok := w.byScope[s]; ok {
		return i
	}
	w.scopes = append(w.scopes, snapScope{FlowSID: s.flowSID, StepSID: s.stepSID, Parent: s.parent})
	w.byScope[s] = len(w.scopes) - 1
	return len(w.scopes) - 1
}

func (e *Engine) snapExecution(ex *Execution) (snapExecution, error) {
	se := snapExecution{SID: ex.SID, FlowSID: ex.FlowSID, ContactSID: ex.ContactSID,
		ContactChannelAddress: ex.ContactChannelAddress, FlowVersion: ex.FlowVersion, Status: ex.Status,
		InitiatedBy: ex.InitiatedBy, ConversationSID: ex.ConversationSID, WebhookSID: ex.WebhookSID,
		DateCreated: ex.DateCreated, DateUpdated: ex.DateUpdated, Steps: make([]snapStep, 0, len(ex.Steps))}
	if m := ex.msg; m != nil {
		se.Message = &snapMessage{AccountSID: m.AccountSID, ChatServiceSID: m.ChatServiceSID,
			ConversationSID: m.ConversationSID, MessageSID: m.MessageSID, MessagingServiceSID: m.MessagingServiceSID,
			ParticipantSID: m.ParticipantSID, Author: m.Author, Body: m.Body, Attributes: m.Attributes, Source: m.Source,
			Index: m.Index, DateCreated: m.DateCreated, ConversationAttributes: m.ConversationAttributes,
			CustomerAddress: m.CustomerAddress, ProxyAddress: m.ProxyAddress}
	}
	if r := ex.req; r != nil {
		se.Request = &snapRequest{From: r.from, Parameters: r.params}
	}
	w := &execWriter{byValue: map[string]int{}, byFrozen: map[*frozen]int{}, byScope: map[*subflowScope]int{}}
	var err error
	for _, st := range ex.Steps {
		ss := snapStep{SID: st.SID, Name: st.Name, TransitionedFrom: st.TransitionedFrom, TransitionedTo: st.TransitionedTo,
			Type: st.Type, ParentStepSID: st.ParentStepSID, DateCreated: st.DateCreated, Scope: w.scope(st.scope)}
		if ss.Vars, err = w.frozen(st.vars); err != nil {
			return se, err
		}
		if ss.Widgets, err = w.frozen(st.widgets); err != nil {
			return se, err
		}
		se.Steps = append(se.Steps, ss)
	}
	for _, f := range ex.frames {
		lv, err := e.snapLevel(w, ex, f.def, f.scope, f.vars, f.widgets, f.live)
		if err != nil {
			return se, err
		}
		se.Frames = append(se.Frames, snapFrame{snapLevel: lv, Widget: f.widget.Name})
	}
	if se.Running, err = e.snapLevel(w, ex, ex.def, ex.scope, ex.vars, ex.widgets, ex.live); err != nil {
		return se, err
	}
	if ex.waiting != nil {
		se.Waiting = &snapWait{Widget: ex.waiting.state.Name, Deadline: ex.waiting.deadline}
	}
	if c := ex.calling; c != nil {
		se.Calling = &snapCall{Widget: c.state.Name, Success: c.success, Fail: c.fail, URL: c.url}
	}
	se.Values, se.Scopes = w.values, w.scopes
	if se.Scopes == nil {
		se.Scopes = []snapScope{}
	}
	return se, nil
}

func (e *Engine) snapLevel(w *execWriter, ex *Execution, def *Definition, scope *subflowScope, vars, widgets *frozen,
	live map[string]any) (snapLevel, error) {
	lv := snapLevel{FlowSID: ex.FlowSID, Scope: w.scope(scope)}
	if scope != nil {
		lv.FlowSID = scope.flowSID
	}
	if f := e.flows[lv.FlowSID]; f != nil {
		for _, r := range f.Revisions {
			if r.Definition == def {
				lv.Revision = r.Revision
				break
			}
		}
	}
	if lv.Revision == 0 {
		lv.Definition = def.Raw
	}
	var err error
	if lv.Vars, err = w.frozen(vars); err != nil {
		return lv, err
	}
	if lv.Widgets, err = w.frozen(widgets); err != nil {
		return lv, err
	}
	if live != nil {
		flow, _ := live["flow"].(map[string]any)
		lvars, _ := flow["variables"].(map[string]any)
		lwidgets, _ := live["widgets"].(map[string]any)
		i, err := w.value(lvars)
		if err != nil {
			return lv, err
		}
		j, err := w.value(lwidgets)
		if err != nil {
			return lv, err
		}
		lv.LiveVars, lv.LiveWidgets = &i, &j
	}
	return lv, nil
}

// Restore loads data, written by Snapshot (possibly by an earlier process),
// into e, which must be fresh from New and wired but hold no state. It
// re-arms timers at their stored virtual deadlines and emits nothing. It is
// called under the account lock; on error e is left empty.
//
// A make-http-request or run-function whose answer was awaited at save time
// gets none: it takes its failure path on the next clock advance, as when the
// endpoint does not answer (docs/fidelity.md, Snapshots: Studio).
func (e *Engine) Restore(data json.RawMessage) error {
	if len(e.flowOrder) != 0 || len(e.execOrder) != 0 || len(e.contacts) != 0 || len(e.handedOff) != 0 {
		return errors.New("studio: restore: the engine is not empty")
	}
	var s snapshot
	if err := twilio.DecodeStrict(data, &s); err != nil {
		return fmt.Errorf("studio: restore: %w", err)
	}
	r := &restorer{e: e, flows: map[string]*Flow{}, executions: map[string]*Execution{}, active: map[string]string{},
		handedOff: map[string]bool{}, contacts: map[string]string{}}
	if err := r.load(&s); err != nil {
		return fmt.Errorf("studio: restore: %w", err)
	}
	e.flows, e.flowOrder, e.executions, e.execOrder = r.flows, r.flowOrder, r.executions, r.execOrder
	e.active, e.handedOff, e.contacts = r.active, r.handedOff, r.contacts
	// Timers last, once nothing can fail: nothing is left armed on an error.
	for _, ex := range r.parked {
		e.rearm(ex)
	}
	return nil
}

// restorer builds the engine's state aside.
type restorer struct {
	e          *Engine
	flows      map[string]*Flow
	flowOrder  []string
	executions map[string]*Execution
	execOrder  []string
	active     map[string]string
	handedOff  map[string]bool
	contacts   map[string]string
	parked     []*Execution // waiting or calling, to re-arm
}

func (r *restorer) load(s *snapshot) error {
	for _, sf := range s.Flows {
		if err := r.flow(sf); err != nil {
			return fmt.Errorf("flow %s: %w", sf.SID, err)
		}
	}
	for addr, sid := range s.Contacts {
		if !twilio.IsSID(sid, "FC") {
			return fmt.Errorf("contact %q: %q is not a contact SID (FC…)", addr, sid)
		}
		r.contacts[addr] = sid
	}
	for _, wh := range s.HandedOff {
		r.handedOff[wh] = true
	}
	for _, se := range s.Executions {
		if err := r.execution(se); err != nil {
			return fmt.Errorf("execution %s: %w", se.SID, err)
		}
	}
	return nil
}

func (r *restorer) flow(sf snapFlow) error {
	if !twilio.IsSID(sf.SID, "FW") {
		return errors.New("not a Flow SID (FW…)")
	}
	if _, dup := r.flows[sf.SID]; dup {
		return errors.New("appears twice")
	}
	if len(sf.Revisions) == 0 {
		return errors.New("no revisions")
	}
	f := &Flow{SID: sf.SID, DateCreated: sf.DateCreated, TestUsers: sf.TestUsers,
		Revisions: make([]*Revision, 0, len(sf.Revisions))}
	for i, sr := range sf.Revisions {
		if sr.Revision != i+1 {
			return fmt.Errorf("revision %d is numbered %d", i+1, sr.Revision)
		}
		if err := validStatus(sr.Status); err != nil {
			return fmt.Errorf("revision %d: %w", sr.Revision, err)
		}
		rev := &Revision{Revision: sr.Revision, FriendlyName: sr.FriendlyName, Status: sr.Status,
			CommitMessage: sr.CommitMessage, DateCreated: sr.DateCreated, DateUpdated: sr.DateUpdated}
		switch {
		case len(sr.Definition) != 0 && string(sr.Definition) != "null":
			def, err := ParseDefinition(string(sr.Definition))
			if err != nil {
				return fmt.Errorf("revision %d: %w", sr.Revision, err)
			}
			rev.Definition = def
		case i == 0:
			return errors.New("revision 1 has no definition")
		default:
			rev.Definition = f.Revisions[i-1].Definition
		}
		f.Revisions = append(f.Revisions, rev)
	}
	r.flows[f.SID] = f
	r.flowOrder = append(r.flowOrder, f.SID)
	return nil
}

// execReader resolves an execution's value and scope indexes.
type execReader struct {
	values []*frozen
	scopes []*subflowScope
}

func (x *execReader) value(i int) (*frozen, error) {
	if i < 0 || i >= len(x.values) {
		return nil, fmt.Errorf("value %d does not exist", i)
	}
	return x.values[i], nil
}

func (x *execReader) scope(i int) (*subflowScope, error) {
	if i == -1 {
		return nil, nil
	}
	if i < 0 || i >= len(x.scopes) {
		return nil, fmt.Errorf("scope %d does not exist", i)
	}
	return x.scopes[i], nil
}

func (r *restorer) execution(se snapExecution) error {
	if !twilio.IsSID(se.SID, "FN") {
		return errors.New("not an Execution SID (FN…)")
	}
	if _, dup := r.executions[se.SID]; dup {
		return errors.New("appears twice")
	}
	f, ok := r.flows[se.FlowSID]
	if !ok {
		return fmt.Errorf("flow %q does not exist", se.FlowSID)
	}
	if se.FlowVersion < 1 || se.FlowVersion > len(f.Revisions) {
		return fmt.Errorf("flow %s has no revision %d", f.SID, se.FlowVersion)
	}
	if r.contacts[se.ContactChannelAddress] != se.ContactSID {
		return fmt.Errorf("contact %s is not the contact of %q", se.ContactSID, se.ContactChannelAddress)
	}
	switch se.Status {
	case ExecutionActive, ExecutionEnded:
	default:
		return fmt.Errorf("unknown status %q", se.Status)
	}
	ex := &Execution{SID: se.SID, FlowSID: se.FlowSID, ContactSID: se.ContactSID,
		ContactChannelAddress: se.ContactChannelAddress, FlowVersion: se.FlowVersion, Status: se.Status,
		InitiatedBy: se.InitiatedBy, ConversationSID: se.ConversationSID, WebhookSID: se.WebhookSID,
		DateCreated: se.DateCreated, DateUpdated: se.DateUpdated, Steps: make([]*Step, 0, len(se.Steps))}
	switch {
	case se.Message != nil && se.Request == nil:
		m := se.Message
		ex.msg = &ConversationMessage{AccountSID: m.AccountSID, ChatServiceSID: m.ChatServiceSID,
			ConversationSID: m.ConversationSID, MessageSID: m.MessageSID, MessagingServiceSID: m.MessagingServiceSID,
			ParticipantSID: m.ParticipantSID, Author: m.Author, Body: m.Body, Attributes: m.Attributes, Source: m.Source,
			Index: m.Index, DateCreated: m.DateCreated, ConversationAttributes: m.ConversationAttributes,
			CustomerAddress: m.CustomerAddress, ProxyAddress: m.ProxyAddress}
	case se.Request != nil && se.Message == nil:
		params := se.Request.Parameters
		if params == nil {
			params = map[string]any{}
		}
		ex.req = &restTrigger{from: se.Request.From, params: params}
	default:
		return errors.New("needs exactly one trigger (message or request)")
	}
	x := &execReader{values: make([]*frozen, 0, len(se.Values)), scopes: make([]*subflowScope, 0, len(se.Scopes))}
	for i, raw := range se.Values {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil || m == nil {
			return fmt.Errorf("value %d is not a JSON object", i)
		}
		x.values = append(x.values, freeze(m))
	}
	for i, sc := range se.Scopes {
		if !twilio.IsSID(sc.FlowSID, "FW") {
			return fmt.Errorf("scope %d: %q is not a Flow SID", i, sc.FlowSID)
		}
		parent := sc.Parent
		if parent == nil {
			return fmt.Errorf("scope %d has no parent", i)
		}
		x.scopes = append(x.scopes, &subflowScope{flowSID: sc.FlowSID, stepSID: sc.StepSID, parent: parent})
	}
	seen := map[string]bool{}
	for _, ss := range se.Steps {
		if !twilio.IsSID(ss.SID, "FT") || seen[ss.SID] {
			return fmt.Errorf("step %q is not a Step SID or appears twice", ss.SID)
		}
		seen[ss.SID] = true
		st := &Step{SID: ss.SID, Name: ss.Name, TransitionedFrom: ss.TransitionedFrom, TransitionedTo: ss.TransitionedTo,
			Type: ss.Type, ParentStepSID: ss.ParentStepSID, DateCreated: ss.DateCreated, ex: ex}
		if ss.ParentStepSID != "" && !seen[ss.ParentStepSID] {
			return fmt.Errorf("step %s: parent step %s is not an earlier step", ss.SID, ss.ParentStepSID)
		}
		var err error
		if st.scope, err = x.scope(ss.Scope); err != nil {
			return fmt.Errorf("step %s: %w", ss.SID, err)
		}
		if st.vars, err = x.value(ss.Vars); err != nil {
			return fmt.Errorf("step %s: %w", ss.SID, err)
		}
		if st.widgets, err = x.value(ss.Widgets); err != nil {
			return fmt.Errorf("step %s: %w", ss.SID, err)
		}
		ex.Steps = append(ex.Steps, st)
	}
	for i, sf := range se.Frames {
		fr := &frame{}
		var err error
		fr.def, fr.scope, fr.vars, fr.widgets, fr.live, fr.varsDirty, fr.widgetsDirty, err = r.level(x, ex, sf.snapLevel)
		if err != nil {
			return fmt.Errorf("frame %d: %w", i, err)
		}
		if fr.widget = fr.def.State(sf.Widget); fr.widget == nil || fr.widget.Type != "run-subflow" {
			return fmt.Errorf("frame %d: %q is not a run-subflow widget of its flow", i, sf.Widget)
		}
		ex.frames = append(ex.frames, fr)
	}
	var err error
	ex.def, ex.scope, ex.vars, ex.widgets, ex.live, ex.varsDirty, ex.widgetsDirty, err = r.level(x, ex, se.Running)
	if err != nil {
		return fmt.Errorf("running flow: %w", err)
	}
	if (ex.scope == nil) != (len(ex.frames) == 0) {
		return errors.New("a subflow runs without a suspended parent, or the other way round")
	}
	if ex.Status == ExecutionEnded && (ex.live != nil || se.Waiting != nil || se.Calling != nil) {
		return errors.New("ended, yet running or parked")
	}
	if se.Waiting != nil && se.Calling != nil {
		return errors.New("parked in two widgets")
	}
	if w := se.Waiting; w != nil {
		st := ex.def.State(w.Widget)
		if st == nil || st.Type != "send-and-wait-for-reply" {
			return fmt.Errorf("waits in %q, not a send-and-wait-for-reply widget of its flow", w.Widget)
		}
		ex.waiting = &wait{state: st, deadline: w.Deadline}
	}
	if c := se.Calling; c != nil {
		st := ex.def.State(c.Widget)
		if st == nil || (st.Type != "make-http-request" && st.Type != "run-function") {
			return fmt.Errorf("calls from %q, not an HTTP widget of its flow", c.Widget)
		}
		ex.calling = &call{state: st, success: c.Success, fail: c.Fail, url: c.URL}
	}
	if ex.waiting != nil || ex.calling != nil {
		r.parked = append(r.parked, ex)
	}
	if ex.Status == ExecutionActive && ex.ConversationSID != "" && ex.msg != nil {
		if other, dup := r.active[ex.ConversationSID]; dup {
			return fmt.Errorf("conversation %s already has active execution %s", ex.ConversationSID, other)
		}
		r.active[ex.ConversationSID] = ex.SID
	}
	r.executions[ex.SID] = ex
	r.execOrder = append(r.execOrder, ex.SID)
	return nil
}

// level rebuilds one running flow: its definition, scope, frozen values and
// live context (dirty where it differs from the frozen values).
func (r *restorer) level(x *execReader, ex *Execution, lv snapLevel) (def *Definition, scope *subflowScope,
	vars, widgets *frozen, live map[string]any, varsDirty, widgetsDirty bool, err error) {
	if scope, err = x.scope(lv.Scope); err != nil {
		return
	}
	wantFlow := ex.FlowSID
	if scope != nil {
		wantFlow = scope.flowSID
	}
	if lv.FlowSID != wantFlow {
		err = fmt.Errorf("runs flow %q, not its scope's %s", lv.FlowSID, wantFlow)
		return
	}
	if lv.Revision != 0 {
		f, ok := r.flows[lv.FlowSID]
		if !ok || lv.Revision < 1 || lv.Revision > len(f.Revisions) {
			err = fmt.Errorf("flow %s has no revision %d", lv.FlowSID, lv.Revision)
			return
		}
		def = f.Revisions[lv.Revision-1].Definition
	} else if def, err = ParseDefinition(string(lv.Definition)); err != nil {
		return
	}
	if vars, err = x.value(lv.Vars); err != nil {
		return
	}
	if widgets, err = x.value(lv.Widgets); err != nil {
		return
	}
	if (lv.LiveVars == nil) != (lv.LiveWidgets == nil) {
		err = errors.New("half a live context")
		return
	}
	if lv.LiveVars != nil {
		var lvars, lwidgets *frozen
		if lvars, err = x.value(*lv.LiveVars); err != nil {
			return
		}
		if lwidgets, err = x.value(*lv.LiveWidgets); err != nil {
			return
		}
		live = ex.thaw(lvars, lwidgets, scope)
		varsDirty, widgetsDirty = *lv.LiveVars != lv.Vars, *lv.LiveWidgets != lv.Widgets
	}
	return
}

// rearm re-arms a restored execution's timer: a reply wait at its stored
// deadline (at once on the next advance when already due); an HTTP answer
// that will never come fails the widget on the next advance.
func (e *Engine) rearm(ex *Execution) {
	if w := ex.waiting; w != nil {
		e.armWait(ex, w, max(w.deadline.Sub(e.env.Now()), 0))
		return
	}
	c := ex.calling
	sid := ex.SID
	e.env.Clock.AfterFunc(0, func() {
		var d webhook.Delivery
		d.Request.URL = c.url
		d.Error = "the emulator restarted (state restored from a snapshot) before the answer came"
		e.httpAnswered(sid, c, d)
	})
}
