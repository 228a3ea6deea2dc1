// Package flex emulates the Flex v1 Interactions API: the orchestration that
// turns a conversation into a routed TaskRouter task (Interaction KD…,
// Interaction Channel UO…, Invite KG…, Participant UT…) and, when an agent
// accepts the reservation, puts that agent into the conversation.
//
// The engine talks to Conversations and TaskRouter only through the narrow
// interfaces below; the account wires adapters to the real engines, so each
// product stays testable on its own.
package flex

import (
	"time"

	"github.com/flexemu/flexemu/emulator/env"
)

// product is the timeline product name of every entry this engine records.
const product = "flex"

// Conversations is what Flex needs from the Conversations product.
type Conversations interface {
	// Conversation describes a conversation; a *twilio.Error 404 if unknown.
	Conversation(sid string) (ConversationInfo, error)
	// AddAgent adds identity as a chat participant of the conversation and
	// returns the new participant's SID (MB…).
	AddAgent(conversationSID, identity string) (participantSID string, err error)
}

// ConversationInfo is the part of a conversation Flex reads when it creates
// an interaction for it.
type ConversationInfo struct {
	SID, ChatServiceSID, State string
	Attributes                 map[string]any
	// ChannelType is the messaging binding's type ("sms", "whatsapp", …);
	// "" when no messaging participant exists (webchat).
	ChannelType, CustomerAddress, ProxyAddress string
}

// TaskRouter is what Flex needs from TaskRouter.
type TaskRouter interface {
	// CreateTask creates a task; it validates fully before creating anything.
	CreateTask(p TaskSpec) (TaskInfo, error)
	// WorkspaceOfWorkflow returns the workspace SID owning a workflow; a
	// *twilio.Error (404) when the workflow is unknown.
	WorkspaceOfWorkflow(workflowSID string) (string, error)
	// UpdateTaskStatus moves a task to "wrapping" or "completed" when Flex
	// closes its channel or participant. Implementations should cancel a task
	// that is not yet assigned and treat a task already in a final state as
	// done (nil error), so closing a channel never fails half-way.
	UpdateTaskStatus(workspaceSID, taskSID, status, reason string) error
}

// TargetNamer is what a TaskRouter adapter may also offer for transfers:
// the friendly name of a worker (WK…) or queue (WQ…) in a workspace, a
// *twilio.Error (404) when there is none. Without it targets go unchecked.
type TargetNamer interface {
	TargetName(workspaceSID, sid string) (string, error)
}

// TaskSpec is the task Flex asks TaskRouter to create.
type TaskSpec struct {
	WorkspaceSID, WorkflowSID string
	// TaskChannel is a task channel unique name or TC… SID.
	TaskChannel string
	// Attributes is JSON object text.
	Attributes string
	// AttributesMap, when set, equals Attributes decoded by encoding/json
	// (reflect.DeepEqual); the task may keep it, so the caller must not
	// change it afterwards.
	AttributesMap map[string]any
	// Priority and Timeout are nil for TaskRouter's defaults.
	Priority, Timeout *int
	// RoutingTarget is the worker (WK…) or queue (WQ…) a transfer or invite
	// targets, passed on as the task's RoutingTarget; "" for none.
	RoutingTarget string
}

// TaskInfo is a TaskRouter task as Flex renders it in routing.properties.
type TaskInfo struct {
	SID, AccountSID, WorkspaceSID, WorkflowSID, WorkflowName, QueueSID, QueueName  string
	TaskChannelSID, TaskChannelUniqueName, AssignmentStatus, Reason, RoutingTarget string
	Attributes, Addons                                                             string
	Priority, Timeout, Age, AssignmentCounter                                      int
	DateCreated, DateUpdated, TaskQueueEnteredDate                                 time.Time
}

// Engine is one account's Flex Interactions state. It is not safe for
// concurrent use: the account serialises calls into it.
type Engine struct {
	env  env.Env
	conv Conversations
	tr   TaskRouter

	interactions map[string]*Interaction
	order        []string            // interaction SIDs in creation order
	channels     map[string]*Channel // by UO SID
	taskChannel  map[string]string   // task SID → UO SID of the channel it routes
	transfers    transferState       // Interaction Transfers (UX…), see transfers.go

	config *configState // GET/POST /v1/Configuration (configuration.go)

	onChannelClosed      func(ChannelClosed)
	onParticipantUpdated func(ParticipantUpdated)
}

// New returns an empty engine using conv and tr for the products it drives.
func New(e env.Env, conv Conversations, tr TaskRouter) *Engine {
	return &Engine{
		env:          e,
		conv:         conv,
		tr:           tr,
		interactions: map[string]*Interaction{},
		channels:     map[string]*Channel{},
		taskChannel:  map[string]string{},
	}
}

// OnChannelClosed registers the hook run after a channel goes to closed or
// inactive (the account uses it to close the conversation). It runs inside
// the engine call, under the account lock.
func (e *Engine) OnChannelClosed(f func(ChannelClosed)) { e.onChannelClosed = f }

// OnParticipantUpdated registers the hook run after a participant is set to
// wrapup or closed (the account uses it to remove the agent from the
// conversation). It runs inside the engine call, under the account lock.
func (e *Engine) OnParticipantUpdated(f func(ParticipantUpdated)) { e.onParticipantUpdated = f }
