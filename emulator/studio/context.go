package studio

import (
	"strconv"
	"strings"
)

// conversationContext is the Liquid context of an execution started by a
// Conversations message:
//
//   - trigger.conversation mirrors the onMessageAdded webhook payload
//     (strings, as Twilio posts them) plus ChannelAttributes, the
//     conversation's attributes parsed as JSON; ChannelSid and To equal the
//     conversation SID, InstanceSid the chat service, From the author.
//   - trigger.message repeats the same fields under the legacy
//     (Programmable Chat) names so older exported flows still render, and its
//     ChannelAttributes also carry "from" (the customer) and "channel_type"
//     (derived from Source). Whether Twilio fills trigger.message for a
//     Conversations trigger is unconfirmed.
//   - flow.channel.address is the Twilio side's address, contact.channel.address
//     the customer's (the author for webchat).
//   - flow.sid is the execution's SID, flow.flow_sid the flow's.
func conversationContext(flowSID, executionSID string, m ConversationMessage, webhookSID string) map[string]any {
	convAttrs := m.ConversationAttributes
	if convAttrs == nil {
		convAttrs = map[string]any{}
	}
	attrs := m.Attributes
	if attrs == "" {
		attrs = "{}"
	}
	date := ""
	if !m.DateCreated.IsZero() {
		date = m.DateCreated.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	customer := m.CustomerAddress
	if customer == "" {
		customer = m.Author
	}
	// Each value is boxed in an interface once and shared by
	// trigger.conversation and trigger.message (strings are immutable):
	// storing a string in a map[string]any allocates its box.
	var (
		account, service, conv  any = m.AccountSID, m.ChatServiceSID, m.ConversationSID
		msgSID, msgService, par any = m.MessageSID, m.MessagingServiceSID, m.ParticipantSID
		author, body, attrsV    any = m.Author, m.Body, attrs
		index, dateV, source    any = strconv.Itoa(m.Index), date, m.Source
		hook, flow, cust        any = webhookSID, flowSID, customer
	)
	// trigger.conversation and trigger.message carry the same payload, each
	// map built at its final size.
	payload := func(channelAttrs map[string]any) map[string]any {
		return map[string]any{
			"EventType":           "onMessageAdded",
			"AccountSid":          account,
			"ChatServiceSid":      service,
			"InstanceSid":         service,
			"ConversationSid":     conv,
			"ChannelSid":          conv,
			"MessageSid":          msgSID,
			"MessagingServiceSid": msgService,
			"ParticipantSid":      par,
			"Author":              author,
			"From":                author,
			"To":                  conv,
			"Body":                body,
			"Attributes":          attrsV,
			"Index":               index,
			"DateCreated":         dateV,
			"Source":              source,
			"WebhookSid":          hook,
			"RetryCount":          "0",
			"ChannelAttributes":   channelAttrs,
		}
	}
	conversation := payload(deepCopy(convAttrs).(map[string]any))

	legacyAttrs := make(map[string]any, len(convAttrs)+2)
	for k, v := range convAttrs {
		legacyAttrs[k] = deepCopy(v)
	}
	if _, ok := legacyAttrs["from"]; !ok {
		legacyAttrs["from"] = cust
	}
	if _, ok := legacyAttrs["channel_type"]; !ok {
		legacyAttrs["channel_type"] = channelTypeOfSource(m.Source)
	}
	message := payload(legacyAttrs)

	return map[string]any{
		"flow": map[string]any{
			"flow_sid":  flow,
			"sid":       executionSID,
			"channel":   map[string]any{"address": m.ProxyAddress},
			"variables": map[string]any{},
			"data":      map[string]any{},
		},
		"contact": map[string]any{"channel": map[string]any{"address": cust}},
		"trigger": map[string]any{"conversation": conversation, "message": message},
		"widgets": map[string]any{},
	}
}

// channelTypeOfSource maps a message Source to the legacy channel_type.
func channelTypeOfSource(source string) string {
	switch s := strings.ToLower(source); s {
	case "sms", "whatsapp", "messenger", "gbm", "email", "rcs":
		return s
	case "sdk", "api", "":
		return "web"
	default:
		return s
	}
}

// requestContext is the Liquid context of a REST-triggered execution:
// Parameters land in flow.data and trigger.request.parameters.
func requestContext(flowSID, executionSID, to, from string, params map[string]any) map[string]any {
	return map[string]any{
		"flow": map[string]any{
			"flow_sid":  flowSID,
			"sid":       executionSID,
			"channel":   map[string]any{"address": from},
			"variables": map[string]any{},
			"data":      deepCopy(params),
		},
		"contact": map[string]any{"channel": map[string]any{"address": to}},
		"trigger": map[string]any{"request": map[string]any{"To": to, "From": from, "parameters": deepCopy(params)}},
		"widgets": map[string]any{},
	}
}

// baseContext builds the context the execution started with, from its
// trigger: a fresh tree on every call.
func (ex *Execution) baseContext() map[string]any {
	if ex.msg != nil {
		return conversationContext(ex.FlowSID, ex.SID, *ex.msg, ex.WebhookSID)
	}
	return requestContext(ex.FlowSID, ex.SID, ex.ContactChannelAddress, ex.req.from, ex.req.params)
}

// Context returns a copy of the execution's Liquid context: flow, contact,
// trigger and widgets, as Executions/{Sid}/Context renders it. While a
// subflow runs, it is the context of the execution's own flow.
func (ex *Execution) Context() map[string]any {
	live, vars, widgets, scope := ex.live, ex.vars, ex.widgets, ex.scope
	if len(ex.frames) > 0 {
		f := ex.frames[0]
		live, vars, widgets, scope = f.live, f.vars, f.widgets, f.scope
	}
	if live != nil {
		return deepCopy(live).(map[string]any)
	}
	return ex.thaw(vars, widgets, scope)
}

// Context returns a copy of the execution context as it was right after the
// step, as Steps/{Sid}/Context renders it: a subflow's step shows the
// subflow's context.
func (st *Step) Context() map[string]any { return st.ex.thaw(st.vars, st.widgets, st.scope) }

// thaw rebuilds a whole context from the trigger, the subflow scope (nil
// for the execution's own flow) and frozen variables and widgets.
func (ex *Execution) thaw(vars, widgets *frozen, scope *subflowScope) map[string]any {
	ctx := ex.baseContext()
	flow := ctx["flow"].(map[string]any)
	flow["variables"] = vars.thaw()
	ctx["widgets"] = widgets.thaw()
	if scope != nil {
		flow["flow_sid"] = scope.flowSID
		ctx["trigger"].(map[string]any)["parent"] = deepCopy(scope.parent)
	}
	return ctx
}

// liveContext is the context widgets render against: the running flow's or
// subflow's. An ended execution has none; it is rebuilt should anything
// still render.
func (ex *Execution) liveContext() map[string]any {
	if ex.live == nil {
		ex.live = ex.thaw(ex.vars, ex.widgets, ex.scope)
	}
	return ex.live
}

// freeze snapshots the live flow.variables and widgets (those that changed
// since the last freeze) into ex.vars and ex.widgets.
func (ex *Execution) freeze() {
	if ex.live == nil {
		return
	}
	if ex.varsDirty {
		flow, _ := ex.live["flow"].(map[string]any)
		vars, _ := flow["variables"].(map[string]any)
		ex.vars, ex.varsDirty = freeze(vars), false
	}
	if ex.widgetsDirty {
		widgets, _ := ex.live["widgets"].(map[string]any)
		ex.widgets, ex.widgetsDirty = freeze(widgets), false
	}
}

// widgetOutputs returns (creating) widgets.<name> in the live context, for
// the caller to change.
func (ex *Execution) widgetOutputs(name string) map[string]any {
	ctx := ex.liveContext()
	ex.widgetsDirty = true
	widgets, _ := ctx["widgets"].(map[string]any)
	if widgets == nil {
		widgets = map[string]any{}
		ctx["widgets"] = widgets
	}
	out, _ := widgets[name].(map[string]any)
	if out == nil {
		out = map[string]any{}
		widgets[name] = out
	}
	return out
}

// setWidgetOutputs replaces widgets.<name>, so a widget run again (a loop)
// shows only its latest outputs.
func (ex *Execution) setWidgetOutputs(name string, out map[string]any) {
	ex.widgetOutputs(name)
	ex.live["widgets"].(map[string]any)[name] = out
}

// flowVariables returns (creating) flow.variables in the live context, for
// the caller to change.
func (ex *Execution) flowVariables() map[string]any {
	ctx := ex.liveContext()
	ex.varsDirty = true
	flow, _ := ctx["flow"].(map[string]any)
	if flow == nil {
		flow = map[string]any{}
		ctx["flow"] = flow
	}
	vars, _ := flow["variables"].(map[string]any)
	if vars == nil {
		vars = map[string]any{}
		flow["variables"] = vars
	}
	return vars
}

// deepCopy copies JSON-shaped values so step snapshots never alias the live
// context.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, vv := range x {
			out[k] = deepCopy(vv)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, vv := range x {
			out[i] = deepCopy(vv)
		}
		return out
	default:
		return v
	}
}
