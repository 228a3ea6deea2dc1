package eventbridge

import (
	"time"

	"github.com/flexemu/flexemu/emulator/taskrouter"
)

// Payloads in the shapes twilio-taskrouter 2.1.1's descriptors accept
// (lib/descriptors/*.js): snake_case; every key the SDK requires present,
// null when unknown (no omitempty: the SDK tests `key in payload` and
// throws); dates in Unix seconds, last_reserved_time in milliseconds;
// attributes and addons as JSON text. Rendered from engine objects under
// the account lock.

// Versions ("version") are JSON numbers, as in the payloads of the SDK's
// own test fixtures (twilio-taskrouter.js test/mock: version: 15, ...).
// Every SDK descriptor reads them with String(version), so the SDK holds
// and sends back (If-Match) the decimal string, "0" included: a number 0
// is never the falsy value Worker._bumpVersion would skip. Pushes render
// the version of the event's emission (atEmit, push.go); reads and HTTP
// answers the current one.

// atEmit is the version to render for a pushed object: the event's
// snapshot of it (taskrouter.Event.WorkerVersion, ...), or the object's
// current version when the event has none (-1).
func atEmit(current, snapshot int) int {
	if snapshot < 0 {
		return current
	}
	return snapshot
}

// unix is a date in Unix seconds, the SDK's date format.
func unix(t time.Time) int64 { return t.Unix() }

// nullable is s, or null when empty.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type workerPayload struct {
	AccountSID        string `json:"account_sid"`
	ActivityName      string `json:"activity_name"`
	ActivitySID       string `json:"activity_sid"`
	Attributes        string `json:"attributes"`
	Available         bool   `json:"available"`
	DateCreated       int64  `json:"date_created"`
	DateStatusChanged int64  `json:"date_status_changed"`
	DateUpdated       int64  `json:"date_updated"`
	FriendlyName      string `json:"friendly_name"`
	SID               string `json:"sid"`
	WorkspaceSID      string `json:"workspace_sid"`
	Version           int    `json:"version"`
}

func renderWorker(accountSID string, w *taskrouter.Worker) workerPayload {
	return workerPayload{AccountSID: accountSID, ActivityName: w.ActivityName, ActivitySID: w.ActivitySID,
		Attributes: w.Attributes, Available: w.Available, DateCreated: unix(w.DateCreated),
		DateStatusChanged: unix(w.DateStatusChanged), DateUpdated: unix(w.DateUpdated),
		FriendlyName: w.FriendlyName, SID: w.SID, WorkspaceSID: w.WorkspaceSID, Version: workerVersion(w)}
}

type activityPayload struct {
	AccountSID   string `json:"account_sid"`
	Available    bool   `json:"available"`
	DateCreated  int64  `json:"date_created"`
	DateUpdated  int64  `json:"date_updated"`
	FriendlyName string `json:"friendly_name"`
	SID          string `json:"sid"`
	WorkspaceSID string `json:"workspace_sid"`
}

func renderActivity(accountSID string, a *taskrouter.Activity) activityPayload {
	return activityPayload{AccountSID: accountSID, Available: a.Available, DateCreated: unix(a.DateCreated),
		DateUpdated: unix(a.DateUpdated), FriendlyName: a.FriendlyName, SID: a.SID, WorkspaceSID: a.WorkspaceSID}
}

type channelPayload struct {
	AccountSID                  string `json:"account_sid"`
	AssignedTasks               int    `json:"assigned_tasks"`
	Available                   bool   `json:"available"`
	AvailableCapacityPercentage int    `json:"available_capacity_percentage"`
	ConfiguredCapacity          int    `json:"configured_capacity"`
	DateCreated                 int64  `json:"date_created"`
	DateUpdated                 int64  `json:"date_updated"`
	LastReservedTime            *int64 `json:"last_reserved_time"` // ms
	SID                         string `json:"sid"`
	TaskChannelSID              string `json:"task_channel_sid"`
	TaskChannelUniqueName       string `json:"task_channel_unique_name"`
	WorkerSID                   string `json:"worker_sid"`
	WorkspaceSID                string `json:"workspace_sid"`
}

func renderChannel(accountSID string, wc *taskrouter.WorkerChannel) channelPayload {
	return channelPayload{AccountSID: accountSID, AssignedTasks: wc.AssignedTasks, Available: wc.Available,
		AvailableCapacityPercentage: wc.AvailableCapacityPercentage(), ConfiguredCapacity: wc.ConfiguredCapacity,
		DateCreated: unix(wc.DateCreated), DateUpdated: unix(wc.DateUpdated), LastReservedTime: lastReservedMillis(wc),
		SID: wc.SID, TaskChannelSID: wc.TaskChannelSID, TaskChannelUniqueName: wc.TaskChannelUniqueName,
		WorkerSID: wc.WorkerSID, WorkspaceSID: wc.WorkspaceSID}
}

type taskPayload struct {
	AccountSID            string  `json:"account_sid"`
	WorkspaceSID          string  `json:"workspace_sid"`
	Addons                string  `json:"addons"`
	Age                   int     `json:"age"`
	Attributes            string  `json:"attributes"`
	AssignmentStatus      string  `json:"assignment_status"`
	DateCreated           int64   `json:"date_created"`
	DateUpdated           int64   `json:"date_updated"`
	Priority              int     `json:"priority"`
	QueueName             *string `json:"queue_name"`
	QueueSID              *string `json:"queue_sid"`
	Reason                *string `json:"reason"`
	RoutingTarget         *string `json:"routing_target"`
	SID                   string  `json:"sid"`
	TaskChannelSID        string  `json:"task_channel_sid"`
	TaskChannelUniqueName string  `json:"task_channel_unique_name"`
	Timeout               int     `json:"timeout"`
	WorkflowName          string  `json:"workflow_name"`
	WorkflowSID           string  `json:"workflow_sid"`
	Version               int     `json:"version"`
	VirtualStartTime      int64   `json:"virtual_start_time"`
}

func renderTask(now time.Time, t *taskrouter.Task) taskPayload {
	addons := t.Addons
	if addons == "" {
		addons = "{}"
	}
	return taskPayload{AccountSID: t.AccountSID, WorkspaceSID: t.WorkspaceSID, Addons: addons, Age: t.Age(now),
		Attributes: t.Attributes, AssignmentStatus: t.AssignmentStatus, DateCreated: unix(t.DateCreated),
		DateUpdated: unix(t.DateUpdated), Priority: t.Priority, QueueName: nullable(t.TaskQueueFriendlyName),
		QueueSID: nullable(t.TaskQueueSID), Reason: nullable(t.Reason), RoutingTarget: nullable(t.RoutingTarget),
		SID: t.SID, TaskChannelSID: t.TaskChannelSID, TaskChannelUniqueName: t.TaskChannelUniqueName,
		Timeout: t.Timeout, WorkflowName: t.WorkflowFriendlyName, WorkflowSID: t.WorkflowSID,
		Version: taskVersion(t), VirtualStartTime: unix(t.VirtualStartTime)}
}

type reservationPayload struct {
	AccountSID         string      `json:"account_sid"`
	DateCreated        int64       `json:"date_created"`
	DateUpdated        int64       `json:"date_updated"`
	ReservationStatus  string      `json:"reservation_status"`
	ReservationTimeout int         `json:"reservation_timeout"`
	SID                string      `json:"sid"`
	TaskSID            string      `json:"task_sid"`
	Task               taskPayload `json:"task"`
	WorkerName         string      `json:"worker_name"`
	WorkerSID          string      `json:"worker_sid"`
	WorkspaceSID       string      `json:"workspace_sid"`
	Version            int         `json:"version"`
}

// renderReservation renders a reservation with its whole task;
// reservation_timeout is the task's workflow's TaskReservationTimeout.
func renderReservation(tr *taskrouter.Engine, r *taskrouter.Reservation) reservationPayload {
	t := r.Task()
	timeout := taskrouter.DefaultTaskReservationTimeout
	if wf, err := tr.Workflow(r.WorkspaceSID, t.WorkflowSID); err == nil {
		timeout = wf.TaskReservationTimeout
	}
	return reservationPayload{AccountSID: r.AccountSID, DateCreated: unix(r.DateCreated), DateUpdated: unix(r.DateUpdated),
		ReservationStatus: r.ReservationStatus, ReservationTimeout: timeout, SID: r.SID, TaskSID: r.TaskSID,
		Task: renderTask(tr.Now(), t), WorkerName: r.WorkerName, WorkerSID: r.WorkerSID, WorkspaceSID: r.WorkspaceSID,
		Version: reservationVersion(r)}
}

type taskQueuePayload struct {
	AccountSID              string  `json:"account_sid"`
	AssignmentActivityName  *string `json:"assignment_activity_name"`
	AssignmentActivitySID   *string `json:"assignment_activity_sid"`
	DateCreated             int64   `json:"date_created"`
	DateUpdated             int64   `json:"date_updated"`
	FriendlyName            string  `json:"friendly_name"`
	LifoQueue               bool    `json:"lifo_queue"`
	MaxReservedWorkers      int     `json:"max_reserved_workers"`
	ReservationActivityName *string `json:"reservation_activity_name"`
	ReservationActivitySID  *string `json:"reservation_activity_sid"`
	SID                     string  `json:"sid"`
	TargetWorkers           string  `json:"target_workers"`
	TaskOrder               string  `json:"task_order"`
	WorkspaceSID            string  `json:"workspace_sid"`
}

func renderTaskQueue(accountSID string, q *taskrouter.TaskQueue) taskQueuePayload {
	return taskQueuePayload{AccountSID: accountSID, AssignmentActivityName: nullable(q.AssignmentActivityName),
		AssignmentActivitySID: nullable(q.AssignmentActivitySID), DateCreated: unix(q.DateCreated),
		DateUpdated: unix(q.DateUpdated), FriendlyName: q.FriendlyName, LifoQueue: q.TaskOrder == "LIFO",
		MaxReservedWorkers: q.MaxReservedWorkers, ReservationActivityName: nullable(q.ReservationActivityName),
		ReservationActivitySID: nullable(q.ReservationActivitySID), SID: q.SID, TargetWorkers: q.TargetWorkers,
		TaskOrder: q.TaskOrder, WorkspaceSID: q.WorkspaceSID}
}

// listPayload is a page of a list route: the SDK asks for the next page
// with AfterSid = after_sid (NextToken = meta.next_token when it orders).
type listPayload[T any] struct {
	Contents []T      `json:"contents"`
	AfterSID *string  `json:"after_sid"`
	Meta     listMeta `json:"meta"`
}

type listMeta struct {
	NextToken *string `json:"next_token"`
	PageSize  int     `json:"page_size"`
}
