// Package eventtype names, once, the event and timeline entry types that
// code other than the emitting engine matches on: TaskRouter's event types
// (Event resources, event callbacks, the Worker SDK's frames) and the few
// entry types of the other products that steps, clients and the wiring
// look for. It imports nothing, so clients (emulator/remote, the step
// library) match on these without linking an engine.
package eventtype

// TaskRouter is a TaskRouter event type, as Twilio names it.
type TaskRouter string

// Workspace and configuration events.
const (
	WorkspaceCreated   TaskRouter = "workspace.created"
	WorkspaceUpdated   TaskRouter = "workspace.updated"
	WorkspaceDeleted   TaskRouter = "workspace.deleted"
	ActivityCreated    TaskRouter = "activity.created"
	ActivityUpdated    TaskRouter = "activity.updated"
	ActivityDeleted    TaskRouter = "activity.deleted"
	TaskChannelCreated TaskRouter = "task-channel.created"
	TaskChannelUpdated TaskRouter = "task-channel.updated"
	TaskChannelDeleted TaskRouter = "task-channel.deleted"
)

// Worker events.
const (
	WorkerCreated                   TaskRouter = "worker.created"
	WorkerDeleted                   TaskRouter = "worker.deleted"
	WorkerActivityUpdate            TaskRouter = "worker.activity.update"
	WorkerAttributesUpdate          TaskRouter = "worker.attributes.update"
	WorkerCapacityUpdate            TaskRouter = "worker.capacity.update"
	WorkerChannelAvailabilityUpdate TaskRouter = "worker.channel.availability.update"
)

// Task queue events.
const (
	TaskQueueCreated           TaskRouter = "task-queue.created"
	TaskQueueDeleted           TaskRouter = "task-queue.deleted"
	TaskQueueExpressionUpdated TaskRouter = "task-queue.expression.updated"
	TaskQueueEntered           TaskRouter = "task-queue.entered"
	TaskQueueMoved             TaskRouter = "task-queue.moved"
	TaskQueueTimeout           TaskRouter = "task-queue.timeout"
)

// Workflow events.
const (
	WorkflowCreated       TaskRouter = "workflow.created"
	WorkflowUpdated       TaskRouter = "workflow.updated"
	WorkflowDeleted       TaskRouter = "workflow.deleted"
	WorkflowEntered       TaskRouter = "workflow.entered"
	WorkflowTargetMatched TaskRouter = "workflow.target-matched"
	WorkflowSkipped       TaskRouter = "workflow.skipped"
	WorkflowTimeout       TaskRouter = "workflow.timeout"
)

// Task events.
const (
	TaskCreated   TaskRouter = "task.created"
	TaskUpdated   TaskRouter = "task.updated"
	TaskCanceled  TaskRouter = "task.canceled"
	TaskCompleted TaskRouter = "task.completed"
	TaskDeleted   TaskRouter = "task.deleted"
	TaskWrapup    TaskRouter = "task.wrapup"
)

// Reservation events.
const (
	ReservationCreated   TaskRouter = "reservation.created"
	ReservationAccepted  TaskRouter = "reservation.accepted"
	ReservationRejected  TaskRouter = "reservation.rejected"
	ReservationTimeout   TaskRouter = "reservation.timeout"
	ReservationCanceled  TaskRouter = "reservation.canceled"
	ReservationRescinded TaskRouter = "reservation.rescinded"
	ReservationWrapup    TaskRouter = "reservation.wrapup"
	ReservationCompleted TaskRouter = "reservation.completed"
)

// Timeline entry types of the other products.
const (
	// MessageCreated: Conversations stored a message (any author).
	MessageCreated = "message.created"
	// MessageSent: a message went out to the customer's channel.
	MessageSent = "message.sent"
	// WebchatCreated: Flex opened a webchat (POST /v2/WebChats).
	WebchatCreated = "webchat.created"
	// InteractionCreated: Flex created an Interaction and its channel.
	InteractionCreated = "interaction.created"
	// ExecutionCreated: a Studio flow execution started.
	ExecutionCreated = "execution.created"
	// EmulatorRestored: the account was restored from a state snapshot.
	EmulatorRestored = "emulator.restored"
	// FaultInjected: an injected fault struck a request or a webhook.
	FaultInjected = "fault.injected"
)
