package emulator

import (
	"encoding/json"
	"github.com/flexemu/flexemu/emulator/eventtype"

	"github.com/flexemu/flexemu/emulator/content"
	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/flex"
	"github.com/flexemu/flexemu/emulator/studio"
	"github.com/flexemu/flexemu/emulator/taskrouter"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// The adapters below are the narrow in-process interfaces each product
// declares for the others (architecture: products never call each other
// over HTTP). They run under the account lock like everything else.

// orchestration is a change made by Flex's backend orchestration rather
// than a REST caller, so conversation webhooks fire for it.
var orchestration = conversations.Origin{Source: conversations.SourceAPI, WebhookEnabled: true}

// flexConversations is flex.Conversations over the Conversations engine.
type flexConversations struct{ c *conversations.Engine }

func (a flexConversations) Conversation(sid string) (flex.ConversationInfo, error) {
	conv, err := a.c.Conversation(sid)
	if err != nil {
		return flex.ConversationInfo{}, err
	}
	info := flex.ConversationInfo{SID: conv.SID, ChatServiceSID: conv.ChatServiceSID, State: conv.State}
	if conv.Attributes == "{}" {
		info.Attributes = map[string]any{} // what decoding gives, without the decoder
	} else {
		_ = json.Unmarshal([]byte(conv.Attributes), &info.Attributes)
	}
	if typ, addr, proxy, ok := a.c.CustomerBinding(sid); ok {
		info.ChannelType, info.CustomerAddress, info.ProxyAddress = typ, addr, proxy
	}
	return info, nil
}

func (a flexConversations) AddAgent(conversationSID, identity string) (string, error) {
	p, err := a.c.AddParticipant(conversationSID, conversations.CreateParticipantParams{
		Identity: identity, Attributes: `{"member_type":"agent"}`, Origin: orchestration})
	if err != nil {
		return "", err
	}
	return p.SID, nil
}

// flexTaskRouter is flex.TaskRouter over the TaskRouter engine.
type flexTaskRouter struct{ t *taskrouter.Engine }

func (a flexTaskRouter) CreateTask(p flex.TaskSpec) (flex.TaskInfo, error) {
	wf, err := a.workflowSID(p.WorkspaceSID, p.WorkflowSID)
	if err != nil {
		return flex.TaskInfo{}, err
	}
	params := taskrouter.CreateTaskParams{WorkflowSID: wf, Attributes: p.Attributes, AttributesMap: p.AttributesMap,
		Priority: p.Priority, TaskChannel: p.TaskChannel, RoutingTarget: p.RoutingTarget}
	if p.Timeout != nil {
		params.Timeout = *p.Timeout
	}
	ws := p.WorkspaceSID
	if ws == "" {
		if ws, err = a.t.WorkspaceOfWorkflow(wf); err != nil {
			return flex.TaskInfo{}, err
		}
	}
	t, err := a.t.CreateTask(ws, params)
	if err != nil {
		return flex.TaskInfo{}, err
	}
	now := a.t.Now()
	return flex.TaskInfo{SID: t.SID, AccountSID: t.AccountSID, WorkspaceSID: t.WorkspaceSID, WorkflowSID: t.WorkflowSID,
		WorkflowName: t.WorkflowFriendlyName, QueueSID: t.TaskQueueSID, QueueName: t.TaskQueueFriendlyName,
		TaskChannelSID: t.TaskChannelSID, TaskChannelUniqueName: t.TaskChannelUniqueName,
		AssignmentStatus: t.AssignmentStatus, Reason: t.Reason, RoutingTarget: t.RoutingTarget,
		Attributes: t.Attributes, Addons: t.Addons, Priority: t.Priority, Timeout: t.Timeout, Age: t.Age(now),
		AssignmentCounter: len(t.Reservations()), DateCreated: t.DateCreated, DateUpdated: t.DateUpdated,
		TaskQueueEnteredDate: t.TaskQueueEnteredDate}, nil
}

// workflowSID accepts a WW SID or, as fixtures may write it, a friendly name.
func (a flexTaskRouter) workflowSID(ws, workflow string) (string, error) {
	if workflow == "" || twilio.IsSID(workflow, "WW") {
		return workflow, nil
	}
	spaces := []string{ws}
	if ws == "" {
		spaces = nil
		for _, w := range a.t.Workspaces("") {
			spaces = append(spaces, w.SID)
		}
	}
	for _, s := range spaces {
		if wf, err := a.t.WorkflowByName(s, workflow); err == nil {
			return wf.SID, nil
		}
	}
	return "", twilio.InvalidParam("Routing", "workflow %q is neither a workflow SID nor a workflow's friendly name", workflow)
}

// TargetName implements flex.TargetNamer: the friendly name of a worker
// (WK…) or queue (WQ…) of the workspace; a *twilio.Error when unknown.
func (a flexTaskRouter) TargetName(ws, sid string) (string, error) {
	if twilio.IsSID(sid, "WQ") {
		q, err := a.t.TaskQueue(ws, sid)
		if err != nil {
			return "", err
		}
		return q.FriendlyName, nil
	}
	w, err := a.t.Worker(ws, sid)
	if err != nil {
		return "", err
	}
	return w.FriendlyName, nil
}

func (a flexTaskRouter) WorkspaceOfWorkflow(workflow string) (string, error) {
	wf, err := a.workflowSID("", workflow)
	if err != nil {
		return "", err
	}
	return a.t.WorkspaceOfWorkflow(wf)
}

func (a flexTaskRouter) UpdateTaskStatus(ws, sid, status, reason string) error {
	t, err := a.t.Task(ws, sid)
	if err != nil {
		return err
	}
	switch t.AssignmentStatus {
	case taskrouter.TaskCompleted, taskrouter.TaskCanceled:
		return nil
	case taskrouter.TaskPending, taskrouter.TaskReserved:
		status = taskrouter.TaskCanceled
	case taskrouter.TaskWrapping:
		if status == taskrouter.TaskWrapping {
			return nil
		}
	}
	_, err = a.t.UpdateTask(ws, sid, taskrouter.UpdateTaskParams{AssignmentStatus: &status, Reason: &reason})
	return err
}

// studioFlex is studio.Flex over the Flex engine.
type studioFlex struct{ f *flex.Engine }

func (a studioFlex) SendToFlex(p studio.SendToFlexParams) (string, error) {
	return a.f.SendToFlex(flex.SendToFlexParams(p))
}

// studioConversations is studio.Conversations over the Conversations engine.
type studioConversations struct{ c *conversations.Engine }

func (a studioConversations) RemoveWebhook(conversationSID, webhookSID string) error {
	return a.c.DeleteWebhook(conversationSID, webhookSID)
}

func (a studioConversations) PostMessage(m studio.OutboundMessage) (studio.PostedMessage, error) {
	// Conversations keeps no ContentVariables: the body Studio rendered from
	// the template is the customer's view.
	msg, err := a.c.AddMessage(m.ConversationSID, conversations.CreateMessageParams{Author: m.Author, Body: m.Body,
		Attributes: m.Attributes, ContentSID: m.ContentSID, FromStudio: true, Origin: orchestration})
	if err != nil {
		return studio.PostedMessage{}, err
	}
	return studio.PostedMessage{SID: msg.SID, Index: msg.Index, Author: msg.Author, Body: msg.Body,
		Attributes: msg.Attributes, ParticipantSID: msg.ParticipantSID}, nil
}

// studioContent is studio.Content over the Content engine: the templates
// send widgets name by content_sid, with the twilio/text body (else the
// first type's body) as what the customer sees.
type studioContent struct{ c *content.Engine }

func (a studioContent) Template(sid string) (studio.ContentTemplate, bool) {
	t, err := a.c.Template(sid)
	if err != nil {
		return studio.ContentTemplate{}, false
	}
	vars := make(map[string]string, len(t.Variables))
	for k, v := range t.Variables {
		vars[k] = v
	}
	return studio.ContentTemplate{SID: t.SID, FriendlyName: t.FriendlyName, Language: t.Language,
		Variables: vars, Body: t.Body()}, true
}

// conversationsStudio is conversations.StudioHandler over the Studio engine.
type conversationsStudio struct{ s *studio.Engine }

func (a conversationsStudio) ConversationMessageAdded(flowSID, webhookSID string, m conversations.MessageAdded) {
	// Errors (an unknown flow) are recorded on the timeline by Studio; the
	// message itself stays added, as on Twilio.
	_ = a.s.ConversationMessageAdded(flowSID, webhookSID, studio.ConversationMessage{
		AccountSID: m.AccountSID, ChatServiceSID: m.ChatServiceSID, ConversationSID: m.ConversationSID,
		MessageSID: m.MessageSID, MessagingServiceSID: m.MessagingServiceSID, ParticipantSID: m.ParticipantSID,
		Author: m.Author, Body: m.Body, Attributes: m.Attributes, Source: m.Source, Index: m.Index,
		DateCreated: m.DateCreated, ConversationAttributes: m.ConversationAttributes,
		CustomerAddress: m.CustomerAddress, ProxyAddress: m.ProxyAddress})
}

// wire connects the engines: Conversations → Studio → Flex → TaskRouter,
// and back from TaskRouter (reservation accepted) and Flex (channel and
// participant closed) into Conversations.
func wire(e *Engines) {
	e.Conversations.SetStudioHandler(conversationsStudio{e.Studio})
	e.Studio.SetContent(studioContent{e.Content})
	tr, fx, conv := e.TaskRouter, e.Flex, e.Conversations
	tr.Subscribe(func(ev taskrouter.Event) {
		if ev.Type == eventtype.TaskCanceled {
			fx.TaskCanceled(ev.TaskSID, "") // a transfer waiting for it fails
			return
		}
		if ev.Type != eventtype.ReservationAccepted {
			return
		}
		res, err := tr.Reservation(ev.WorkspaceSID, ev.ReservationSID)
		if err != nil {
			return
		}
		task, worker := res.Task(), res.Worker()
		_ = fx.ReservationAccepted(flex.ReservationAccepted{WorkspaceSID: ev.WorkspaceSID, TaskSID: ev.TaskSID,
			ReservationSID: ev.ReservationSID, WorkerSID: ev.WorkerSID, WorkerName: worker.FriendlyName,
			WorkerAttributes: worker.AttributesMap, TaskAttributes: task.AttributesMap})
	})
	fx.OnParticipantUpdated(func(p flex.ParticipantUpdated) {
		if p.ConversationParticipantSID != "" {
			_ = conv.RemoveParticipant(p.ConversationSID, p.ConversationParticipantSID, orchestration)
		}
		if p.ActiveAgents == 0 && p.ConversationSID != "" {
			closeConversation(conv, p.ConversationSID)
		}
	})
	fx.OnChannelClosed(func(c flex.ChannelClosed) {
		if c.Status == "closed" && c.ConversationSID != "" {
			closeConversation(conv, c.ConversationSID)
		}
	})
}

func closeConversation(conv *conversations.Engine, sid string) {
	c, err := conv.Conversation(sid)
	if err != nil || c.State == "closed" {
		return
	}
	closed := "closed"
	_, _ = conv.UpdateConversation(sid, conversations.UpdateConversationParams{State: &closed, Origin: orchestration})
}

// channelType is the Conversations channel type of an address.
func channelType(address string) string {
	if address == "" {
		return "sms"
	}
	return conversations.ChannelType(address)
}
