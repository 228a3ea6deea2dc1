package flex

import (
	"encoding/json"
	"fmt"
	"github.com/flexemu/flexemu/emulator/eventtype"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Interaction is a Flex Interaction (KD…): one customer contact, its channel
// and the task created to route it.
type Interaction struct {
	SID         string
	ChannelSID  string // the UO… channel created with it
	ChannelType string // channel enum: sms, whatsapp, web, chat, …
	InitiatedBy string // customer, agent or api
	// Task is the task created for the interaction, as it was at creation
	// (Twilio echoes that snapshot in routing.properties); shared, read-only,
	// with the channel's first Invite.
	Task                  *TaskInfo
	InteractionContextSID string
	WebhookTtid           string
	DateCreated           time.Time
	DateUpdated           time.Time
}

// ChannelParams is the decoded Channel parameter of POST /v1/Interactions.
type ChannelParams struct {
	Type        string `json:"type"`
	InitiatedBy string `json:"initiated_by"`
	Properties  struct {
		MediaChannelSID string `json:"media_channel_sid"`
	} `json:"properties"`
	Participants []ChannelParticipant `json:"participants"`
}

// ChannelParticipant is one messaging binding of an outbound Channel.
type ChannelParticipant struct {
	Address      string `json:"address"`
	ProxyAddress string `json:"proxy_address"`
	Type         string `json:"type"`
}

// RoutingParams is the decoded routing.properties of an Interaction or Invite.
type RoutingParams struct {
	WorkspaceSID          string
	WorkflowSID           string
	WorkerSID             string
	QueueSID              string
	TaskChannelUniqueName string
	TaskChannelSID        string
	// Attributes are the caller's task attributes (a JSON object).
	Attributes map[string]any
	Priority   *int
	Timeout    *int
}

// CreateInteractionParams are the inputs of CreateInteraction.
type CreateInteractionParams struct {
	SID                   string // optional fixed KD… SID; empty mints one
	Channel               ChannelParams
	Routing               RoutingParams
	InteractionContextSID string
	WebhookTtid           string
}

// channelTypes is the interaction_channel_enum_type enum.
var channelTypes = []string{"voice", "sms", "email", "web", "whatsapp", "chat", "messenger", "gbm"}

// ParseChannel decodes the Channel form parameter. A JSON string holding the
// object (what twilio-go sends when given a string) is accepted too.
func ParseChannel(text string) (ChannelParams, error) {
	var p ChannelParams
	raw, err := unwrapJSONObject("Channel", text)
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, twilio.InvalidParam("Channel", "malformed channel object: %v", err)
	}
	return p, nil
}

// ParseRouting decodes a Routing parameter ({"properties": {...}}) named
// param. Empty text yields zero params (no routing).
func ParseRouting(param, text string) (RoutingParams, error) {
	var p RoutingParams
	if strings.TrimSpace(text) == "" {
		return p, nil
	}
	raw, err := unwrapJSONObject(param, text)
	if err != nil {
		return p, err
	}
	var doc struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return p, twilio.InvalidParam(param, "malformed routing object: %v", err)
	}
	props := doc.Properties
	strs := map[string]*string{
		"workspace_sid": &p.WorkspaceSID, "workflow_sid": &p.WorkflowSID, "worker_sid": &p.WorkerSID,
		"queue_sid": &p.QueueSID, "task_channel_unique_name": &p.TaskChannelUniqueName,
		"task_channel_sid": &p.TaskChannelSID,
	}
	for key, dst := range strs {
		v, ok := props[key]
		if !ok || string(v) == "null" {
			continue
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return p, twilio.InvalidParam(param, "properties.%s must be a string", key)
		}
	}
	if v, ok := props["attributes"]; ok && string(v) != "null" {
		m, err := decodeAttributes(v)
		if err == errAttributesTooDeep {
			return p, twilio.InvalidParam(param, "properties.attributes is %v", err)
		}
		if err != nil {
			return p, twilio.InvalidParam(param, "properties.attributes must be a JSON object")
		}
		p.Attributes = m
	}
	for key, dst := range map[string]**int{"priority": &p.Priority, "timeout": &p.Timeout} {
		v, ok := props[key]
		if !ok || string(v) == "null" {
			continue
		}
		n, err := flexInt(v)
		if err != nil {
			return p, twilio.InvalidParam(param, "properties.%s must be an integer", key)
		}
		*dst = &n
	}
	return p, nil
}

// unwrapJSONObject returns text as a JSON object, unwrapping one level of
// JSON-string quoting.
func unwrapJSONObject(param, text string) ([]byte, error) {
	raw := []byte(strings.TrimSpace(text))
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = []byte(strings.TrimSpace(s))
	}
	if err := twilio.CheckJSON(param, string(raw), twilio.MaxJSONBytes); err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, twilio.InvalidParam(param, "must be a JSON object")
	}
	return raw, nil
}

// errAttributesTooDeep refuses attributes that could not be rendered again.
var errAttributesTooDeep = fmt.Errorf("nested more than %d levels deep", twilio.MaxJSONDepth)

// decodeAttributes accepts an object or a string holding an object.
func decodeAttributes(v json.RawMessage) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(v, &m); err == nil && m != nil {
		return m, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return nil, err
	}
	if strings.TrimSpace(s) == "" {
		return map[string]any{}, nil
	}
	if twilio.JSONDepth(s, twilio.MaxJSONDepth) > twilio.MaxJSONDepth {
		return nil, errAttributesTooDeep
	}
	if err := json.Unmarshal([]byte(s), &m); err != nil || m == nil {
		return nil, fmt.Errorf("attributes string is not a JSON object")
	}
	return m, nil
}

// flexInt accepts a JSON number or a string holding an integer, as Studio
// widgets send "0" and "3600".
func flexInt(v json.RawMessage) (int, error) {
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return 0, err
		}
		n = json.Number(strings.TrimSpace(s))
	}
	i, err := n.Int64()
	if err != nil {
		return 0, err
	}
	return int(i), nil
}

// validateChannel checks the Channel parameter of a create.
func validateChannel(c ChannelParams) error {
	if c.Type == "" {
		return twilio.InvalidParam("Channel", "type is required")
	}
	if !contains(channelTypes, c.Type) {
		return twilio.InvalidParam("Channel", "type %q is not one of %s", c.Type, strings.Join(channelTypes, ", "))
	}
	switch c.InitiatedBy {
	case "customer", "agent", "api":
	case "":
		return twilio.InvalidParam("Channel", "initiated_by is required")
	default:
		return twilio.InvalidParam("Channel", "initiated_by %q is not one of customer, agent, api", c.InitiatedBy)
	}
	if c.Properties.MediaChannelSID == "" {
		return validateChannelParticipants(c) // Flex opens the conversation (interactions_open.go)
	}
	if !twilio.IsSID(c.Properties.MediaChannelSID, "CH") {
		return twilio.InvalidParam("Channel", "properties.media_channel_sid %q is not a Conversation SID (CH…)", c.Properties.MediaChannelSID)
	}
	return nil
}

// validateRouting checks routing properties, param naming the form field.
func validateRouting(param string, r RoutingParams) error {
	if err := validateRoutingTarget(param, r); err != nil { // interactions_open.go
		return err
	}
	if r.WorkspaceSID != "" && !twilio.IsSID(r.WorkspaceSID, "WS") {
		return twilio.InvalidParam(param, "properties.workspace_sid %q is not a Workspace SID", r.WorkspaceSID)
	}
	if r.TaskChannelSID != "" && !twilio.IsSID(r.TaskChannelSID, "TC") {
		return twilio.InvalidParam(param, "properties.task_channel_sid %q is not a TaskChannel SID", r.TaskChannelSID)
	}
	if r.Priority != nil && *r.Priority < 0 {
		return twilio.InvalidParam(param, "properties.priority must not be negative")
	}
	if r.Timeout != nil && *r.Timeout < 1 {
		return twilio.InvalidParam(param, "properties.timeout must be at least 1 second")
	}
	return nil
}

// resolveWorkspace returns the workspace a routing targets, checking that an
// explicit workspace_sid owns the workflow.
func (e *Engine) resolveWorkspace(param string, r RoutingParams) (string, error) {
	if r.WorkflowSID == "" {
		return r.WorkspaceSID, nil // TaskRouter takes the workspace's only workflow
	}
	ws, err := e.tr.WorkspaceOfWorkflow(r.WorkflowSID)
	if err != nil {
		return "", fmt.Errorf("flex: resolving workflow %s: %w", r.WorkflowSID, err)
	}
	if r.WorkspaceSID != "" && r.WorkspaceSID != ws {
		return "", twilio.InvalidParam(param, "workflow %s does not belong to workspace %s", r.WorkflowSID, r.WorkspaceSID)
	}
	return ws, nil
}

// CreateInteraction creates an Interaction for an existing conversation: its
// Channel (active), Invite, customer Participant and the TaskRouter task
// carrying the attributes Flex adds. Nothing is stored unless every step,
// task creation included, succeeds.
func (e *Engine) CreateInteraction(p CreateInteractionParams) (*Interaction, error) {
	return e.createInteraction(p, nil)
}

// createInteraction is CreateInteraction; known, when set, is the
// conversation p names, already looked up under the same lock.
func (e *Engine) createInteraction(p CreateInteractionParams, known *ConversationInfo) (*Interaction, error) {
	if err := validateChannel(p.Channel); err != nil {
		return nil, err
	}
	if err := validateRouting("Routing", p.Routing); err != nil {
		return nil, err
	}
	if p.InteractionContextSID != "" && !twilio.IsSID(p.InteractionContextSID, "HQ") {
		return nil, twilio.InvalidParam("InteractionContextSid", "%q is not an Interaction Context SID (HQ…)", p.InteractionContextSID)
	}
	if p.SID != "" {
		if !twilio.IsSID(p.SID, "KD") {
			return nil, twilio.InvalidParam("Sid", "%q is not an Interaction SID (KD…)", p.SID)
		}
		if _, dup := e.interactions[p.SID]; dup {
			return nil, twilio.Conflict(twilio.CodeConflict, "Interaction %s already exists", p.SID)
		}
	}
	var conv ConversationInfo
	var err error
	ws, err := e.resolveWorkspace("Routing", p.Routing)
	if err != nil {
		return nil, err
	}
	if known != nil && known.SID == p.Channel.Properties.MediaChannelSID {
		conv = *known
	} else if conv, err = e.channelConversation(p.Channel); err != nil { // interactions_open.go
		return nil, err
	}

	now := e.env.Now()
	in := &Interaction{
		SID: p.SID, ChannelType: p.Channel.Type, InitiatedBy: p.Channel.InitiatedBy,
		InteractionContextSID: p.InteractionContextSID, WebhookTtid: p.WebhookTtid,
		DateCreated: now, DateUpdated: now,
	}
	if in.SID == "" {
		in.SID = twilio.NewSID("KD")
	}
	if in.WebhookTtid == "" {
		in.WebhookTtid = "flex_interactionwebhook_" + twilio.NewSID("XX")[2:]
	}
	ch := &Channel{SID: twilio.NewSID("UO"), InteractionSID: in.SID, Type: p.Channel.Type, Status: StatusActive,
		ConversationSID: conv.SID, DateCreated: now, DateUpdated: now}
	in.ChannelSID = ch.SID
	inviteSID := twilio.NewSID("KG")

	attrs := mergeAttributes(flexAttributes(conv, p.Channel, len(p.Routing.Attributes)+4), p.Routing.Attributes)
	setSIDAttributes(attrs, conv.SID, in.SID, ch.SID, inviteSID)
	task, err := e.createTask(ws, p.Routing, attrs)
	if err != nil {
		e.discardOpened(p.Channel, conv.SID) // a conversation Flex opened for participants[]
		return nil, err
	}
	in.Task = task

	// Everything validated and the task exists: store and record.
	e.interactions[in.SID] = in
	e.order = append(e.order, in.SID)
	e.channels[ch.SID] = ch
	e.env.Record(product, eventtype.InteractionCreated, in.SID,
		"interaction "+in.SID+" created for conversation "+conv.SID+" ("+in.ChannelType+", task "+task.SID+")",
		map[string]string{"conversation_sid": conv.SID, "channel_sid": ch.SID, "task_sid": task.SID,
			"workspace_sid": task.WorkspaceSID, "workflow_sid": task.WorkflowSID, "workflow_name": task.WorkflowName})
	e.env.Record(product, "channel.created", ch.SID,
		"interaction channel "+ch.SID+" ("+ch.Type+") active on conversation "+conv.SID,
		map[string]string{"interaction_sid": in.SID, "conversation_sid": conv.SID, "task_sid": task.SID})
	e.addInvite(ch, inviteSID, task, now)
	// The customer's media properties are built when read (see view).
	cust := &Participant{SID: twilio.NewSID("UT"), InteractionSID: in.SID, ChannelSID: ch.SID, Type: "customer",
		Status: "active", customerAddress: conv.CustomerAddress, DateCreated: now, DateUpdated: now}
	e.addParticipant(ch, cust)
	out := *in
	return &out, nil
}

// createTask asks TaskRouter for the task of an interaction or invite.
func (e *Engine) createTask(ws string, r RoutingParams, attrs map[string]any) (*TaskInfo, error) {
	exact := decodesTo(attrs)
	var text []byte
	if exact {
		text = appendJSON(make([]byte, 0, 1024), attrs) // what json.Marshal gives, without reflection
	} else {
		var err error
		if text, err = json.Marshal(attrs); err != nil {
			return nil, fmt.Errorf("flex: encoding task attributes: %w", err)
		}
	}
	tc := r.TaskChannelSID
	if tc == "" {
		tc = r.TaskChannelUniqueName
	}
	spec := TaskSpec{WorkspaceSID: ws, WorkflowSID: r.WorkflowSID, TaskChannel: tc,
		Attributes: string(text), Priority: r.Priority, Timeout: r.Timeout, RoutingTarget: r.WorkerSID}
	if spec.RoutingTarget == "" {
		spec.RoutingTarget = r.QueueSID
	}
	if exact {
		spec.AttributesMap = attrs // what decoding text would give: TaskRouter need not decode it again
	}
	task, err := e.tr.CreateTask(spec)
	if err != nil {
		return nil, fmt.Errorf("flex: creating task on workflow %s: %w", r.WorkflowSID, err)
	}
	return &task, nil
}

// UpdateInteraction changes an interaction's webhook_ttid (the only mutable
// field); an empty ttid leaves it unchanged.
func (e *Engine) UpdateInteraction(sid, webhookTtid string) (*Interaction, error) {
	in, ok := e.interactions[sid]
	if !ok {
		return nil, twilio.NotFound("/Interactions/" + sid)
	}
	if webhookTtid != "" {
		in.WebhookTtid = webhookTtid
		in.DateUpdated = e.env.Now()
	}
	out := *in
	return &out, nil
}

// Interaction returns one interaction.
func (e *Engine) Interaction(sid string) (*Interaction, error) {
	in, ok := e.interactions[sid]
	if !ok {
		return nil, twilio.NotFound("/Interactions/" + sid)
	}
	out := *in
	return &out, nil
}

// Interactions lists interactions in creation order (an emulator extension:
// Twilio has no list endpoint).
func (e *Engine) Interactions() []Interaction {
	out := make([]Interaction, 0, len(e.order))
	for _, sid := range e.order {
		out = append(out, *e.interactions[sid])
	}
	return out
}

// SendToFlexParams mirror studio.SendToFlexParams field for field, so the
// account adapts with a plain conversion: flex.SendToFlexParams(p).
type SendToFlexParams struct {
	ConversationSID string
	Workflow        string // WW… SID (passed through to TaskRouter unchanged)
	TaskChannel     string // TC… SID or unique name
	Attributes      string // rendered JSON object text
	// AttributesMap, when set, is Attributes already decoded by
	// encoding/json (Studio decodes them too); it is read, never changed.
	AttributesMap map[string]any
	Priority      int
	Timeout       int
}

// SendToFlex is what Studio's Send to Flex widget does for a Conversations
// trigger: create an inbound, customer-initiated interaction on the
// conversation, channel type taken from its messaging binding ("web" when it
// has none), and return the task SID.
func (e *Engine) SendToFlex(p SendToFlexParams) (string, error) {
	attrs := map[string]any{}
	if p.AttributesMap != nil {
		// Decoded already: only the limits ParseJSONObject applies remain.
		if err := twilio.CheckJSON("Attributes", p.Attributes, twilio.MaxJSONBytes); err != nil {
			return "", err
		}
		attrs = p.AttributesMap
	} else if strings.TrimSpace(p.Attributes) != "" {
		m, err := twilio.ParseJSONObject("Attributes", p.Attributes)
		if err != nil {
			return "", err
		}
		attrs = m
	}
	conv, err := e.conv.Conversation(p.ConversationSID)
	if err != nil {
		return "", fmt.Errorf("flex: send to flex: %w", err)
	}
	typ := conv.ChannelType
	if typ == "" {
		typ = "web"
	}
	var ch ChannelParams
	ch.Type, ch.InitiatedBy, ch.Properties.MediaChannelSID = typ, "customer", conv.SID
	r := RoutingParams{WorkflowSID: p.Workflow, Attributes: attrs}
	if twilio.IsSID(p.TaskChannel, "TC") {
		r.TaskChannelSID = p.TaskChannel
	} else {
		r.TaskChannelUniqueName = p.TaskChannel
	}
	prio, timeout := p.Priority, p.Timeout
	r.Priority = &prio
	if timeout > 0 {
		r.Timeout = &timeout
	}
	in, err := e.createInteraction(CreateInteractionParams{Channel: ch, Routing: r}, &conv)
	if err != nil {
		return "", err
	}
	return in.Task.SID, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
