package studio

import (
	"fmt"
	"github.com/flexemu/flexemu/emulator/eventtype"
	"strconv"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// Execution statuses.
const (
	ExecutionActive = "active"
	ExecutionEnded  = "ended"
)

// Ended is the transitioned_to of a step whose transition has no next.
const Ended = "Ended"

// Execution is one run of a flow (FN…) for one contact.
type Execution struct {
	SID                   string
	FlowSID               string
	ContactSID            string // FC…
	ContactChannelAddress string
	FlowVersion           int // the revision that runs
	Status                string
	InitiatedBy           string
	// ConversationSID and WebhookSID are set for executions started by a
	// Conversations studio webhook.
	ConversationSID string
	WebhookSID      string
	Steps           []*Step
	DateCreated     time.Time
	DateUpdated     time.Time

	def     *Definition // the flow running now: the execution's, or a subflow's
	waiting *wait       // parked in a send-and-wait-for-reply widget
	calling *call       // parked in a make-http-request or run-function widget
	// scope is set while a subflow runs (def is then the subflow's, and
	// live, vars and widgets its own context); frames holds the flows
	// suspended in their run-subflow widgets, outermost first.
	scope  *subflowScope
	frames []*frame

	// The Liquid context (flow, contact, trigger, widgets; see Context) is
	// stored in three parts. The trigger's part never changes after the
	// start and is rebuilt on read from what triggered the execution (msg
	// or req); flow.variables and widgets are the only parts
	// widgets change, frozen at every step (Step.vars, Step.widgets) and
	// shared between steps while unchanged. live is the whole context as
	// Liquid renders against it, kept only while the execution is active.
	msg          *ConversationMessage // Conversations trigger (ConversationAttributes copied)
	req          *restTrigger         // REST trigger
	live         map[string]any
	vars         *frozen // flow.variables as of the last freeze
	widgets      *frozen // widgets as of the last freeze
	varsDirty    bool    // live flow.variables changed since vars was frozen
	widgetsDirty bool    // live widgets changed since widgets was frozen
}

// restTrigger is what a REST-triggered execution was created with: From
// and Parameters (To is its ContactChannelAddress).
type restTrigger struct {
	from   string
	params map[string]any
}

// wait is a parked send-and-wait-for-reply; deadline is when its timer
// fires (state snapshots re-arm it there).
type wait struct {
	state    *State
	deadline time.Time
	timer    clock.Timer
}

// Step is one transition of an execution (FT…): Name is the event,
// TransitionedFrom the widget that fired it (of type Type), TransitionedTo
// the next widget or "Ended". Its Context is the execution context right
// after the step.
type Step struct {
	SID              string
	Name             string
	TransitionedFrom string
	TransitionedTo   string
	Type             string
	// ParentStepSID is set on the steps of a subflow: the step that entered
	// the run-subflow widget.
	ParentStepSID string
	DateCreated   time.Time

	ex            *Execution
	scope         *subflowScope // the subflow the step ran in, nil for the flow's own
	vars, widgets *frozen       // flow.variables and widgets right after the step
}

// ConversationMessage is a Conversations onMessageAdded delivered to a
// studio webhook.
type ConversationMessage struct {
	AccountSID, ChatServiceSID, ConversationSID, MessageSID, MessagingServiceSID, ParticipantSID string
	Author, Body, Attributes, Source                                                             string
	Index                                                                                        int
	DateCreated                                                                                  time.Time
	// ConversationAttributes are the conversation's attributes, parsed.
	ConversationAttributes map[string]any
	// CustomerAddress is the customer's messaging address ("" for webchat);
	// ProxyAddress the Twilio side's.
	CustomerAddress, ProxyAddress string
}

// CreateExecutionParams are the inputs of a REST-triggered execution.
type CreateExecutionParams struct {
	To, From   string         // contact and Twilio addresses
	Parameters map[string]any // flow.data
}

// ListExecutionsParams filter ListExecutions; zero values do not filter.
type ListExecutionsParams struct {
	DateCreatedFrom, DateCreatedTo time.Time
	Status                         string
}

// ConversationMessageAdded handles a message reaching the flow's studio
// webhook. A message on a conversation whose execution is parked in a
// send-and-wait-for-reply resumes it (incomingMessage); one arriving while
// the execution is active but not waiting for a reply (running, or parked
// in an HTTP request) is ignored; otherwise a new
// execution starts from the trigger's incomingConversationMessage. Messages
// through a webhook already handed off to Flex, and Studio's own messages
// (author MessageAuthor), are ignored.
func (e *Engine) ConversationMessageAdded(flowSID, webhookSID string, m ConversationMessage) error {
	f, err := e.Flow(flowSID)
	if err != nil {
		return fmt.Errorf("studio: message %s on conversation %s: %w", m.MessageSID, m.ConversationSID, err)
	}
	if e.handedOff[webhookSID] || m.Author == MessageAuthor {
		return nil // handed off to Flex, or Studio's own message
	}
	if exSID, ok := e.active[m.ConversationSID]; ok {
		ex := e.executions[exSID]
		if ex.waiting != nil {
			e.resume(ex, m)
			return nil
		}
		e.env.Record(product, "message.ignored", m.MessageSID,
			fmt.Sprintf("message %s ignored: execution %s is active on conversation %s", m.MessageSID, ex.SID, m.ConversationSID),
			map[string]string{"flow_sid": ex.FlowSID, "execution_sid": ex.SID, "conversation_sid": m.ConversationSID})
		return nil
	}
	rev := f.revisionFor(m.Author, m.CustomerAddress)
	if rev == nil {
		e.env.Record(product, "execution.skipped", flowSID,
			fmt.Sprintf("flow %s has no published revision; message %s not handled", flowSID, m.MessageSID),
			map[string]string{"flow_sid": flowSID, "conversation_sid": m.ConversationSID})
		return nil
	}
	contact := m.CustomerAddress
	if contact == "" {
		contact = m.Author
	}
	ex := e.newExecution(f, rev, contact, m.ConversationSID)
	ex.ConversationSID, ex.WebhookSID = m.ConversationSID, webhookSID
	trig := m
	trig.ConversationAttributes = nil
	if len(m.ConversationAttributes) > 0 {
		trig.ConversationAttributes = deepCopy(m.ConversationAttributes).(map[string]any)
	}
	ex.msg = &trig
	ex.live = ex.baseContext()
	e.active[m.ConversationSID] = ex.SID
	e.recordCreated(ex, "incomingConversationMessage")
	e.start(ex, "incomingConversationMessage")
	return nil
}

// CreateExecution starts a REST-triggered execution (incomingRequest) with
// Parameters as flow.data. A contact may have one active execution per flow.
func (e *Engine) CreateExecution(flowSID string, p CreateExecutionParams) (*Execution, error) {
	if strings.TrimSpace(p.To) == "" {
		return nil, twilio.MissingParam("To")
	}
	if strings.TrimSpace(p.From) == "" {
		return nil, twilio.MissingParam("From")
	}
	f, err := e.Flow(flowSID)
	if err != nil {
		return nil, err
	}
	rev := f.revisionFor(p.To)
	if rev == nil {
		return nil, twilio.BadRequest("Flow %s has no published revision to execute", flowSID)
	}
	for _, ex := range e.flowExecutions(flowSID) {
		if ex.Status == ExecutionActive && ex.ContactChannelAddress == p.To {
			return nil, twilio.Conflict(twilio.CodeConflict,
				"Execution %s is already active for contact %s on flow %s", ex.SID, p.To, flowSID)
		}
	}
	params := p.Parameters
	if params == nil {
		params = map[string]any{}
	}
	ex := e.newExecution(f, rev, p.To, twilio.NewSID("RQ"))
	ex.req = &restTrigger{from: p.From, params: deepCopy(params).(map[string]any)}
	ex.live = ex.baseContext()
	e.recordCreated(ex, "incomingRequest")
	e.start(ex, "incomingRequest")
	return ex, nil
}

// newExecution builds and stores an active execution of rev.
func (e *Engine) newExecution(f *Flow, rev *Revision, contact, initiatedBy string) *Execution {
	now := e.env.Now()
	ex := &Execution{SID: twilio.NewSID("FN"), FlowSID: f.SID, ContactSID: e.contactSID(contact),
		ContactChannelAddress: contact, FlowVersion: rev.Revision, Status: ExecutionActive,
		InitiatedBy: initiatedBy, DateCreated: now, DateUpdated: now, def: rev.Definition}
	e.executions[ex.SID] = ex
	e.execOrder = append(e.execOrder, ex.SID)
	return ex
}

func (e *Engine) recordCreated(ex *Execution, trigger string) {
	e.env.Record(product, eventtype.ExecutionCreated, ex.SID,
		"execution "+ex.SID+" of flow "+ex.FlowSID+" (revision "+strconv.Itoa(ex.FlowVersion)+") started by "+
			trigger+" from "+ex.ContactChannelAddress,
		e.refs(ex, "trigger", trigger, "contact_channel_address", ex.ContactChannelAddress))
}

// contactSID returns the stable FC… SID of an address.
func (e *Engine) contactSID(address string) string {
	if sid, ok := e.contacts[address]; ok {
		return sid
	}
	sid := twilio.NewSID("FC")
	e.contacts[address] = sid
	return sid
}

// refs are the timeline refs of an execution plus extra key, value pairs
// (a later pair wins over an earlier one or over the execution's own).
func (e *Engine) refs(ex *Execution, extra ...string) map[string]string {
	r := make(map[string]string, 3+len(extra)/2)
	r["flow_sid"], r["execution_sid"] = ex.FlowSID, ex.SID
	if ex.ConversationSID != "" {
		r["conversation_sid"] = ex.ConversationSID
	}
	for i := 0; i+1 < len(extra); i += 2 {
		r[extra[i]] = extra[i+1]
	}
	return r
}

// Execution returns an execution of a flow.
func (e *Engine) Execution(flowSID, sid string) (*Execution, error) {
	ex, ok := e.executions[sid]
	if !ok || ex.FlowSID != flowSID {
		return nil, twilio.NotFound(fmt.Sprintf("/Flows/%s/Executions/%s", flowSID, sid))
	}
	return ex, nil
}

// ExecutionForConversation returns the active execution on a conversation.
func (e *Engine) ExecutionForConversation(conversationSID string) (*Execution, bool) {
	sid, ok := e.active[conversationSID]
	if !ok {
		return nil, false
	}
	return e.executions[sid], true
}

// ListExecutions lists a flow's executions, newest first, as Twilio does.
func (e *Engine) ListExecutions(flowSID string, p ListExecutionsParams) ([]*Execution, error) {
	if _, err := e.Flow(flowSID); err != nil {
		return nil, err
	}
	all := e.flowExecutions(flowSID)
	out := make([]*Execution, 0, len(all))
	for i := len(all) - 1; i >= 0; i-- {
		ex := all[i]
		if !p.DateCreatedFrom.IsZero() && ex.DateCreated.Before(p.DateCreatedFrom) {
			continue
		}
		if !p.DateCreatedTo.IsZero() && ex.DateCreated.After(p.DateCreatedTo) {
			continue
		}
		if p.Status != "" && ex.Status != p.Status {
			continue
		}
		out = append(out, ex)
	}
	return out, nil
}

func (e *Engine) flowExecutions(flowSID string) []*Execution {
	var out []*Execution
	for _, sid := range e.execOrder {
		if ex := e.executions[sid]; ex.FlowSID == flowSID {
			out = append(out, ex)
		}
	}
	return out
}

// UpdateExecution ends an execution (Status=ended is the only update).
func (e *Engine) UpdateExecution(flowSID, sid, status string) (*Execution, error) {
	switch status {
	case ExecutionEnded:
	case "":
		return nil, twilio.MissingParam("Status")
	default:
		return nil, twilio.InvalidParam("Status", "%q is not allowed; the only value is ended", status)
	}
	ex, err := e.Execution(flowSID, sid)
	if err != nil {
		return nil, err
	}
	if ex.Status == ExecutionActive {
		e.end(ex, "ended through the API")
	}
	return ex, nil
}

// DeleteExecution removes an execution and its steps.
func (e *Engine) DeleteExecution(flowSID, sid string) error {
	ex, err := e.Execution(flowSID, sid)
	if err != nil {
		return err
	}
	e.removeExecution(ex)
	e.env.Record(product, "execution.deleted", ex.SID, "execution "+ex.SID+" deleted", e.refs(ex))
	return nil
}

func (e *Engine) removeExecution(ex *Execution) {
	e.stopWaiting(ex)
	if e.active[ex.ConversationSID] == ex.SID {
		delete(e.active, ex.ConversationSID)
	}
	delete(e.executions, ex.SID)
	e.execOrder = removeString(e.execOrder, ex.SID)
}

// Step returns one step of an execution.
func (e *Engine) Step(flowSID, executionSID, sid string) (*Step, error) {
	ex, err := e.Execution(flowSID, executionSID)
	if err != nil {
		return nil, err
	}
	for _, st := range ex.Steps {
		if st.SID == sid {
			return st, nil
		}
	}
	return nil, twilio.NotFound(fmt.Sprintf("/Flows/%s/Executions/%s/Steps/%s", flowSID, executionSID, sid))
}

// end marks an execution ended, releasing its conversation. Subflows still
// running end with it.
func (e *Engine) end(ex *Execution, why string) {
	e.stopWaiting(ex)
	ex.unwind()
	ex.Status = ExecutionEnded
	ex.DateUpdated = e.env.Now()
	ex.freeze()
	ex.live = nil // nothing renders against an ended execution
	if e.active[ex.ConversationSID] == ex.SID {
		delete(e.active, ex.ConversationSID)
	}
	steps := strconv.Itoa(len(ex.Steps))
	e.env.Record(product, "execution.ended", ex.SID,
		"execution "+ex.SID+" ended after "+steps+" step(s): "+why,
		e.refs(ex, "steps", steps))
}

// stopWaiting unparks ex: a pending reply timeout is stopped and a pending
// HTTP answer will be ignored.
func (e *Engine) stopWaiting(ex *Execution) {
	if ex.waiting != nil {
		ex.waiting.timer.Stop()
		ex.waiting = nil
	}
	ex.calling = nil
}
