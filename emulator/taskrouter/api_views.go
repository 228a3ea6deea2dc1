package taskrouter

import (
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// JSON views of the resources, field for field as in Twilio's OpenAPI spec
// (twilio_taskrouter_v1.json). Nullable strings are *string so that unset
// values render as null like Twilio's.

type workspaceView struct {
	AccountSID           string         `json:"account_sid"`
	DateCreated          string         `json:"date_created"`
	DateUpdated          string         `json:"date_updated"`
	DefaultActivityName  *string        `json:"default_activity_name"`
	DefaultActivitySID   *string        `json:"default_activity_sid"`
	EventCallbackURL     *string        `json:"event_callback_url"`
	EventsFilter         *string        `json:"events_filter"`
	FriendlyName         string         `json:"friendly_name"`
	MultiTaskEnabled     bool           `json:"multi_task_enabled"`
	SID                  string         `json:"sid"`
	TimeoutActivityName  *string        `json:"timeout_activity_name"`
	TimeoutActivitySID   *string        `json:"timeout_activity_sid"`
	PrioritizeQueueOrder string         `json:"prioritize_queue_order"`
	URL                  string         `json:"url"`
	Links                workspaceLinks `json:"links"`
}

// workspaceLinks are a workspace's links as a struct, fields in key order:
// the same JSON as a map, without building and sorting a map per workspace
// rendered (every GET of the workspace list renders them).
type workspaceLinks struct {
	Activities           string `json:"activities"`
	CumulativeStatistics string `json:"cumulative_statistics"`
	Events               string `json:"events"`
	RealTimeStatistics   string `json:"real_time_statistics"`
	Statistics           string `json:"statistics"`
	TaskChannels         string `json:"task_channels"`
	TaskQueues           string `json:"task_queues"`
	Tasks                string `json:"tasks"`
	Workers              string `json:"workers"`
	Workflows            string `json:"workflows"`
}

func renderWorkspace(r *twilio.Request, ws *Workspace) any {
	self := r.URL("/v1/Workspaces/" + ws.SID)
	return workspaceView{AccountSID: ws.AccountSID, DateCreated: twilio.Time(ws.DateCreated), DateUpdated: twilio.Time(ws.DateUpdated),
		DefaultActivityName: twilio.NullString(ws.DefaultActivityName()), DefaultActivitySID: twilio.NullString(ws.DefaultActivitySID),
		EventCallbackURL: twilio.NullString(ws.EventCallbackURL), EventsFilter: twilio.NullString(ws.EventsFilter), FriendlyName: ws.FriendlyName,
		MultiTaskEnabled: ws.MultiTaskEnabled, SID: ws.SID, TimeoutActivityName: twilio.NullString(ws.TimeoutActivityName()),
		TimeoutActivitySID: twilio.NullString(ws.TimeoutActivitySID), PrioritizeQueueOrder: ws.PrioritizeQueueOrder,
		URL: self, Links: workspaceLinks{Activities: self + "/Activities", CumulativeStatistics: self + "/CumulativeStatistics",
			Events: self + "/Events", RealTimeStatistics: self + "/RealTimeStatistics", Statistics: self + "/Statistics",
			TaskChannels: self + "/TaskChannels", TaskQueues: self + "/TaskQueues", Tasks: self + "/Tasks",
			Workers: self + "/Workers", Workflows: self + "/Workflows"}}
}

type activityView struct {
	AccountSID   string            `json:"account_sid"`
	Available    bool              `json:"available"`
	DateCreated  string            `json:"date_created"`
	DateUpdated  string            `json:"date_updated"`
	FriendlyName string            `json:"friendly_name"`
	SID          string            `json:"sid"`
	WorkspaceSID string            `json:"workspace_sid"`
	URL          string            `json:"url"`
	Links        map[string]string `json:"links"`
}

func renderActivity(r *twilio.Request, accountSID string, a *Activity) any {
	ws := "/v1/Workspaces/" + a.WorkspaceSID
	return activityView{AccountSID: accountSID, Available: a.Available, DateCreated: twilio.Time(a.DateCreated),
		DateUpdated: twilio.Time(a.DateUpdated), FriendlyName: a.FriendlyName, SID: a.SID, WorkspaceSID: a.WorkspaceSID,
		URL: r.URL(ws + "/Activities/" + a.SID), Links: map[string]string{"workspace": r.URL(ws)}}
}

type taskChannelView struct {
	AccountSID              string            `json:"account_sid"`
	DateCreated             string            `json:"date_created"`
	DateUpdated             string            `json:"date_updated"`
	FriendlyName            string            `json:"friendly_name"`
	SID                     string            `json:"sid"`
	UniqueName              string            `json:"unique_name"`
	WorkspaceSID            string            `json:"workspace_sid"`
	ChannelOptimizedRouting bool              `json:"channel_optimized_routing"`
	URL                     string            `json:"url"`
	Links                   map[string]string `json:"links"`
}

func renderTaskChannel(r *twilio.Request, accountSID string, c *TaskChannel) any {
	ws := "/v1/Workspaces/" + c.WorkspaceSID
	return taskChannelView{AccountSID: accountSID, DateCreated: twilio.Time(c.DateCreated), DateUpdated: twilio.Time(c.DateUpdated),
		FriendlyName: c.FriendlyName, SID: c.SID, UniqueName: c.UniqueName, WorkspaceSID: c.WorkspaceSID,
		ChannelOptimizedRouting: c.ChannelOptimizedRouting, URL: r.URL(ws + "/TaskChannels/" + c.SID),
		Links: map[string]string{"workspace": r.URL(ws)}}
}

type workerView struct {
	AccountSID        string            `json:"account_sid"`
	ActivityName      string            `json:"activity_name"`
	ActivitySID       string            `json:"activity_sid"`
	Attributes        string            `json:"attributes"`
	Available         bool              `json:"available"`
	DateCreated       string            `json:"date_created"`
	DateStatusChanged *string           `json:"date_status_changed"`
	DateUpdated       string            `json:"date_updated"`
	FriendlyName      string            `json:"friendly_name"`
	SID               string            `json:"sid"`
	WorkspaceSID      string            `json:"workspace_sid"`
	URL               string            `json:"url"`
	Links             map[string]string `json:"links"`
}

func renderWorker(r *twilio.Request, accountSID string, w *Worker) any {
	ws := "/v1/Workspaces/" + w.WorkspaceSID
	self := ws + "/Workers/" + w.SID
	return workerView{AccountSID: accountSID, ActivityName: w.ActivityName, ActivitySID: w.ActivitySID, Attributes: w.Attributes,
		Available: w.Available, DateCreated: twilio.Time(w.DateCreated), DateStatusChanged: twilio.TimePtr(w.DateStatusChanged),
		DateUpdated: twilio.Time(w.DateUpdated), FriendlyName: w.FriendlyName, SID: w.SID, WorkspaceSID: w.WorkspaceSID,
		URL: r.URL(self), Links: map[string]string{"activity": r.URL(ws + "/Activities/" + w.ActivitySID),
			"channels": r.URL(self + "/Channels"), "reservations": r.URL(self + "/Reservations"),
			"worker_statistics": r.URL(self + "/Statistics"), "workspace": r.URL(ws)}}
}

type workerChannelView struct {
	AccountSID                  string `json:"account_sid"`
	AssignedTasks               int    `json:"assigned_tasks"`
	Available                   bool   `json:"available"`
	AvailableCapacityPercentage int    `json:"available_capacity_percentage"`
	ConfiguredCapacity          int    `json:"configured_capacity"`
	DateCreated                 string `json:"date_created"`
	DateUpdated                 string `json:"date_updated"`
	SID                         string `json:"sid"`
	TaskChannelSID              string `json:"task_channel_sid"`
	TaskChannelUniqueName       string `json:"task_channel_unique_name"`
	WorkerSID                   string `json:"worker_sid"`
	WorkspaceSID                string `json:"workspace_sid"`
	URL                         string `json:"url"`
}

func renderWorkerChannel(r *twilio.Request, accountSID string, wc *WorkerChannel) any {
	return workerChannelView{AccountSID: accountSID, AssignedTasks: wc.AssignedTasks, Available: wc.Available,
		AvailableCapacityPercentage: wc.AvailableCapacityPercentage(), ConfiguredCapacity: wc.ConfiguredCapacity,
		DateCreated: twilio.Time(wc.DateCreated), DateUpdated: twilio.Time(wc.DateUpdated), SID: wc.SID,
		TaskChannelSID: wc.TaskChannelSID, TaskChannelUniqueName: wc.TaskChannelUniqueName, WorkerSID: wc.WorkerSID,
		WorkspaceSID: wc.WorkspaceSID,
		URL:          r.URL("/v1/Workspaces/" + wc.WorkspaceSID + "/Workers/" + wc.WorkerSID + "/Channels/" + wc.SID)}
}

type taskQueueView struct {
	AccountSID              string            `json:"account_sid"`
	AssignmentActivitySID   *string           `json:"assignment_activity_sid"`
	AssignmentActivityName  *string           `json:"assignment_activity_name"`
	DateCreated             string            `json:"date_created"`
	DateUpdated             string            `json:"date_updated"`
	FriendlyName            string            `json:"friendly_name"`
	MaxReservedWorkers      int               `json:"max_reserved_workers"`
	ReservationActivitySID  *string           `json:"reservation_activity_sid"`
	ReservationActivityName *string           `json:"reservation_activity_name"`
	SID                     string            `json:"sid"`
	TargetWorkers           string            `json:"target_workers"`
	TaskOrder               string            `json:"task_order"`
	URL                     string            `json:"url"`
	WorkspaceSID            string            `json:"workspace_sid"`
	Links                   map[string]string `json:"links"`
}

func renderTaskQueue(r *twilio.Request, accountSID string, q *TaskQueue) any {
	ws := "/v1/Workspaces/" + q.WorkspaceSID
	self := ws + "/TaskQueues/" + q.SID
	links := map[string]string{"workspace": r.URL(ws), "statistics": r.URL(self + "/Statistics"),
		"real_time_statistics": r.URL(self + "/RealTimeStatistics"), "cumulative_statistics": r.URL(self + "/CumulativeStatistics"),
		"list_statistics": r.URL(ws + "/TaskQueues/Statistics")}
	if q.AssignmentActivitySID != "" {
		links["assignment_activity"] = r.URL(ws + "/Activities/" + q.AssignmentActivitySID)
	}
	if q.ReservationActivitySID != "" {
		links["reservation_activity"] = r.URL(ws + "/Activities/" + q.ReservationActivitySID)
	}
	return taskQueueView{AccountSID: accountSID, AssignmentActivitySID: twilio.NullString(q.AssignmentActivitySID),
		AssignmentActivityName: twilio.NullString(q.AssignmentActivityName), DateCreated: twilio.Time(q.DateCreated),
		DateUpdated: twilio.Time(q.DateUpdated), FriendlyName: q.FriendlyName, MaxReservedWorkers: q.MaxReservedWorkers,
		ReservationActivitySID: twilio.NullString(q.ReservationActivitySID), ReservationActivityName: twilio.NullString(q.ReservationActivityName),
		SID: q.SID, TargetWorkers: q.TargetWorkers, TaskOrder: q.TaskOrder, URL: r.URL(self), WorkspaceSID: q.WorkspaceSID,
		Links: links}
}

type workflowView struct {
	AccountSID                    string            `json:"account_sid"`
	AssignmentCallbackURL         *string           `json:"assignment_callback_url"`
	Configuration                 string            `json:"configuration"`
	DateCreated                   string            `json:"date_created"`
	DateUpdated                   string            `json:"date_updated"`
	DocumentContentType           string            `json:"document_content_type"`
	FallbackAssignmentCallbackURL *string           `json:"fallback_assignment_callback_url"`
	FriendlyName                  string            `json:"friendly_name"`
	SID                           string            `json:"sid"`
	TaskReservationTimeout        int               `json:"task_reservation_timeout"`
	WorkspaceSID                  string            `json:"workspace_sid"`
	URL                           string            `json:"url"`
	Links                         map[string]string `json:"links"`
}

func renderWorkflow(r *twilio.Request, accountSID string, wf *Workflow) any {
	ws := "/v1/Workspaces/" + wf.WorkspaceSID
	self := ws + "/Workflows/" + wf.SID
	return workflowView{AccountSID: accountSID, AssignmentCallbackURL: twilio.NullString(wf.AssignmentCallbackURL),
		Configuration: wf.Configuration, DateCreated: twilio.Time(wf.DateCreated), DateUpdated: twilio.Time(wf.DateUpdated),
		DocumentContentType: "application/json", FallbackAssignmentCallbackURL: twilio.NullString(wf.FallbackAssignmentCallbackURL),
		FriendlyName: wf.FriendlyName, SID: wf.SID, TaskReservationTimeout: wf.TaskReservationTimeout,
		WorkspaceSID: wf.WorkspaceSID, URL: r.URL(self),
		Links: map[string]string{"statistics": r.URL(self + "/Statistics"), "real_time_statistics": r.URL(self + "/RealTimeStatistics"),
			"cumulative_statistics": r.URL(self + "/CumulativeStatistics"), "workspace": r.URL(ws)}}
}

type taskView struct {
	AccountSID            string            `json:"account_sid"`
	Age                   int               `json:"age"`
	AssignmentStatus      string            `json:"assignment_status"`
	Attributes            string            `json:"attributes"`
	Addons                string            `json:"addons"`
	DateCreated           string            `json:"date_created"`
	DateUpdated           string            `json:"date_updated"`
	TaskQueueEnteredDate  *string           `json:"task_queue_entered_date"`
	Priority              int               `json:"priority"`
	Reason                *string           `json:"reason"`
	SID                   string            `json:"sid"`
	TaskQueueSID          *string           `json:"task_queue_sid"`
	TaskQueueFriendlyName *string           `json:"task_queue_friendly_name"`
	TaskChannelSID        string            `json:"task_channel_sid"`
	TaskChannelUniqueName string            `json:"task_channel_unique_name"`
	Timeout               int               `json:"timeout"`
	WorkflowSID           string            `json:"workflow_sid"`
	WorkflowFriendlyName  string            `json:"workflow_friendly_name"`
	WorkspaceSID          string            `json:"workspace_sid"`
	URL                   string            `json:"url"`
	Links                 map[string]string `json:"links"`
	VirtualStartTime      string            `json:"virtual_start_time"`
	IgnoreCapacity        bool              `json:"ignore_capacity"`
	RoutingTarget         *string           `json:"routing_target"`
}

func renderTask(r *twilio.Request, now time.Time, t *Task) any {
	ws := "/v1/Workspaces/" + t.WorkspaceSID
	self := ws + "/Tasks/" + t.SID
	links := map[string]string{"workflow": r.URL(ws + "/Workflows/" + t.WorkflowSID), "workspace": r.URL(ws),
		"reservations": r.URL(self + "/Reservations")}
	if t.TaskQueueSID != "" {
		links["task_queue"] = r.URL(ws + "/TaskQueues/" + t.TaskQueueSID)
	}
	return taskView{AccountSID: t.AccountSID, Age: t.Age(now), AssignmentStatus: t.AssignmentStatus, Attributes: t.Attributes,
		Addons: t.Addons, DateCreated: twilio.Time(t.DateCreated), DateUpdated: twilio.Time(t.DateUpdated),
		TaskQueueEnteredDate: twilio.TimePtr(t.TaskQueueEnteredDate), Priority: t.Priority, Reason: twilio.NullString(t.Reason),
		SID: t.SID, TaskQueueSID: twilio.NullString(t.TaskQueueSID), TaskQueueFriendlyName: twilio.NullString(t.TaskQueueFriendlyName),
		TaskChannelSID: t.TaskChannelSID, TaskChannelUniqueName: t.TaskChannelUniqueName, Timeout: t.Timeout,
		WorkflowSID: t.WorkflowSID, WorkflowFriendlyName: t.WorkflowFriendlyName, WorkspaceSID: t.WorkspaceSID,
		URL: r.URL(self), Links: links, VirtualStartTime: twilio.Time(t.VirtualStartTime), IgnoreCapacity: t.IgnoreCapacity,
		RoutingTarget: twilio.NullString(t.RoutingTarget)}
}

type reservationView struct {
	AccountSID        string            `json:"account_sid"`
	DateCreated       string            `json:"date_created"`
	DateUpdated       string            `json:"date_updated"`
	ReservationStatus string            `json:"reservation_status"`
	SID               string            `json:"sid"`
	TaskSID           string            `json:"task_sid"`
	WorkerName        string            `json:"worker_name"`
	WorkerSID         string            `json:"worker_sid"`
	WorkspaceSID      string            `json:"workspace_sid"`
	URL               string            `json:"url"`
	Links             map[string]string `json:"links"`
}

// renderReservation renders either view: byWorker selects the
// /Workers/{WK}/Reservations URL instead of /Tasks/{WT}/Reservations.
func renderReservation(r *twilio.Request, res *Reservation, byWorker bool) any {
	ws := "/v1/Workspaces/" + res.WorkspaceSID
	self := ws + "/Tasks/" + res.TaskSID + "/Reservations/" + res.SID
	if byWorker {
		self = ws + "/Workers/" + res.WorkerSID + "/Reservations/" + res.SID
	}
	return reservationView{AccountSID: res.AccountSID, DateCreated: twilio.Time(res.DateCreated),
		DateUpdated: twilio.Time(res.DateUpdated), ReservationStatus: res.ReservationStatus, SID: res.SID,
		TaskSID: res.TaskSID, WorkerName: res.WorkerName, WorkerSID: res.WorkerSID, WorkspaceSID: res.WorkspaceSID,
		URL: r.URL(self), Links: map[string]string{"task": r.URL(ws + "/Tasks/" + res.TaskSID),
			"worker": r.URL(ws + "/Workers/" + res.WorkerSID), "workspace": r.URL(ws)}}
}
