package taskrouter

// EventType is a TaskRouter event type, as Twilio names it in Event
// resources, event callbacks and the Worker SDK's websocket frames. Every
// type the engine emits is one of the constants below: code that reacts to
// events (the Flex wiring, the Worker SDK bridge) compares against them
// instead of repeating the strings.
type EventType string

// Workspace and configuration events.
const (
	EventWorkspaceCreated   EventType = "workspace.created"
	EventWorkspaceUpdated   EventType = "workspace.updated"
	EventWorkspaceDeleted   EventType = "workspace.deleted"
	EventActivityCreated    EventType = "activity.created"
	EventActivityUpdated    EventType = "activity.updated"
	EventActivityDeleted    EventType = "activity.deleted"
	EventTaskChannelCreated EventType = "task-channel.created"
	EventTaskChannelUpdated EventType = "task-channel.updated"
	EventTaskChannelDeleted EventType = "task-channel.deleted"
)

// Worker events.
const (
	EventWorkerCreated                   EventType = "worker.created"
	EventWorkerDeleted                   EventType = "worker.deleted"
	EventWorkerActivityUpdate            EventType = "worker.activity.update"
	EventWorkerAttributesUpdate          EventType = "worker.attributes.update"
	EventWorkerCapacityUpdate            EventType = "worker.capacity.update"
	EventWorkerChannelAvailabilityUpdate EventType = "worker.channel.availability.update"
)

// Task queue events.
const (
	EventTaskQueueCreated           EventType = "task-queue.created"
	EventTaskQueueDeleted           EventType = "task-queue.deleted"
	EventTaskQueueExpressionUpdated EventType = "task-queue.expression.updated"
	EventTaskQueueEntered           EventType = "task-queue.entered"
	EventTaskQueueMoved             EventType = "task-queue.moved"
	EventTaskQueueTimeout           EventType = "task-queue.timeout"
)

// Workflow events.
const (
	EventWorkflowCreated       EventType = "workflow.created"
	EventWorkflowUpdated       EventType = "workflow.updated"
	EventWorkflowDeleted       EventType = "workflow.deleted"
	EventWorkflowEntered       EventType = "workflow.entered"
	EventWorkflowTargetMatched EventType = "workflow.target-matched"
	EventWorkflowSkipped       EventType = "workflow.skipped"
	EventWorkflowTimeout       EventType = "workflow.timeout"
)

// Task events.
const (
	EventTaskCreated   EventType = "task.created"
	EventTaskUpdated   EventType = "task.updated"
	EventTaskCanceled  EventType = "task.canceled"
	EventTaskCompleted EventType = "task.completed"
	EventTaskDeleted   EventType = "task.deleted"
	EventTaskWrapup    EventType = "task.wrapup"
)

// Reservation events.
const (
	EventReservationCreated   EventType = "reservation.created"
	EventReservationAccepted  EventType = "reservation.accepted"
	EventReservationRejected  EventType = "reservation.rejected"
	EventReservationTimeout   EventType = "reservation.timeout"
	EventReservationCanceled  EventType = "reservation.canceled"
	EventReservationRescinded EventType = "reservation.rescinded"
	EventReservationWrapup    EventType = "reservation.wrapup"
	EventReservationCompleted EventType = "reservation.completed"
)

// reservationEnded is the event of a reservation ending in status.
func reservationEnded(status string) EventType {
	switch status {
	case StatusRejected:
		return EventReservationRejected
	case StatusTimeout:
		return EventReservationTimeout
	case StatusCanceled:
		return EventReservationCanceled
	case StatusRescinded:
		return EventReservationRescinded
	}
	return EventType("reservation." + status)
}
