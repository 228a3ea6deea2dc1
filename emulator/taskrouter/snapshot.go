package taskrouter

// State snapshots (emulator --state). Snapshot writes the engine's state in
// the explicit shape below; Restore (snapshot_restore.go) rebuilds it in a
// fresh engine, possibly in another process. What is stored is what the API
// can show or what routing depends on; what is derived is rebuilt:
//
//   - stored: every resource with its dates, versions (ETags) and creation
//     order (seq), the workers' idle order (assignSeq stamps), each waiting
//     task's routing position (the configuration it was routed with, its
//     filter/target, filter entry times), the stored Events and statistics
//     counters (snapshot_history.go), and every timer as an absolute virtual
//     deadline with its arming order.
//   - rebuilt: pointers (from SIDs), reservation lists of tasks and workers
//     (from the workspace's reservation order), pending counts, queue
//     membership, ready sets, lanes, name indexes, decoded attributes and
//     expressions, the workflowWS index.
//
// A task keeps the configuration it was routed with until re-evaluated, so
// earlier configurations still held by waiting tasks are stored once per
// workspace (Configurations) and referenced by index.

import (
	"encoding/json"
	"fmt"
	"time"
)

// snapEngine is the whole engine.
type snapEngine struct {
	Seq       uint64 `json:"seq"`
	AssignSeq uint64 `json:"assign_seq"`
	ArmSeq    uint64 `json:"arm_seq"`
	// EventLog is nil until the engine stored its first Event.
	EventLog   *snapEventLog   `json:"event_log,omitempty"`
	Workspaces []snapWorkspace `json:"workspaces"`
}

// snapEventLog is what every workspace's Events share: the random part of
// the engine's EV SIDs and the last sequence number minted.
type snapEventLog struct {
	Prefix string `json:"prefix"`
	Seq    uint64 `json:"seq"`
}

type snapWorkspace struct {
	SID                  string    `json:"sid"`
	FriendlyName         string    `json:"friendly_name"`
	EventCallbackURL     string    `json:"event_callback_url,omitempty"`
	EventsFilter         string    `json:"events_filter,omitempty"`
	DefaultActivitySID   string    `json:"default_activity_sid,omitempty"`
	TimeoutActivitySID   string    `json:"timeout_activity_sid,omitempty"`
	MultiTaskEnabled     bool      `json:"multi_task_enabled"`
	PrioritizeQueueOrder string    `json:"prioritize_queue_order"`
	DateCreated          time.Time `json:"date_created"`
	DateUpdated          time.Time `json:"date_updated"`

	Activities   []snapActivity    `json:"activities"`
	TaskChannels []snapTaskChannel `json:"task_channels"`
	TaskQueues   []snapTaskQueue   `json:"task_queues"`
	Workflows    []snapWorkflow    `json:"workflows"`
	// Configurations are earlier workflow configurations that waiting
	// tasks are still routed with (snapRouting.Config).
	Configurations []string          `json:"configurations,omitempty"`
	Workers        []snapWorker      `json:"workers"`
	Tasks          []snapTask        `json:"tasks"`
	Reservations   []snapReservation `json:"reservations"`
	History        *snapHistory      `json:"history,omitempty"`
}

type snapActivity struct {
	SID          string    `json:"sid"`
	FriendlyName string    `json:"friendly_name"`
	Available    bool      `json:"available"`
	DateCreated  time.Time `json:"date_created"`
	DateUpdated  time.Time `json:"date_updated"`
}

type snapTaskChannel struct {
	SID                     string    `json:"sid"`
	FriendlyName            string    `json:"friendly_name"`
	UniqueName              string    `json:"unique_name"`
	ChannelOptimizedRouting bool      `json:"channel_optimized_routing,omitempty"`
	DateCreated             time.Time `json:"date_created"`
	DateUpdated             time.Time `json:"date_updated"`
}

type snapTaskQueue struct {
	SID                    string    `json:"sid"`
	FriendlyName           string    `json:"friendly_name"`
	TargetWorkers          string    `json:"target_workers"`
	MaxReservedWorkers     int       `json:"max_reserved_workers"`
	TaskOrder              string    `json:"task_order"`
	ReservationActivitySID string    `json:"reservation_activity_sid,omitempty"`
	AssignmentActivitySID  string    `json:"assignment_activity_sid,omitempty"`
	DateCreated            time.Time `json:"date_created"`
	DateUpdated            time.Time `json:"date_updated"`
}

type snapWorkflow struct {
	SID                           string    `json:"sid"`
	FriendlyName                  string    `json:"friendly_name"`
	Configuration                 string    `json:"configuration"`
	AssignmentCallbackURL         string    `json:"assignment_callback_url,omitempty"`
	FallbackAssignmentCallbackURL string    `json:"fallback_assignment_callback_url,omitempty"`
	TaskReservationTimeout        int       `json:"task_reservation_timeout"`
	DateCreated                   time.Time `json:"date_created"`
	DateUpdated                   time.Time `json:"date_updated"`
}

type snapWorker struct {
	SID               string              `json:"sid"`
	FriendlyName      string              `json:"friendly_name"`
	Attributes        string              `json:"attributes"`
	ActivitySID       string              `json:"activity_sid"`
	DateCreated       time.Time           `json:"date_created"`
	DateUpdated       time.Time           `json:"date_updated"`
	DateStatusChanged time.Time           `json:"date_status_changed"`
	Version           int                 `json:"version"`
	Seq               uint64              `json:"seq"`
	LastAssigned      uint64              `json:"last_assigned,omitempty"`
	Channels          []snapWorkerChannel `json:"channels"`
}

type snapWorkerChannel struct {
	SID                string     `json:"sid"`
	TaskChannelSID     string     `json:"task_channel_sid"`
	ConfiguredCapacity int        `json:"configured_capacity"`
	AssignedTasks      int        `json:"assigned_tasks,omitempty"`
	Available          bool       `json:"available"`
	DateCreated        time.Time  `json:"date_created"`
	DateUpdated        time.Time  `json:"date_updated"`
	LastReservedTime   *time.Time `json:"last_reserved_time,omitempty"`
	LastAssigned       uint64     `json:"last_assigned,omitempty"`
}

type snapTask struct {
	SID                   string     `json:"sid"`
	WorkflowSID           string     `json:"workflow_sid"`
	WorkflowFriendlyName  string     `json:"workflow_friendly_name"`
	TaskQueueSID          string     `json:"task_queue_sid,omitempty"`
	TaskQueueFriendlyName string     `json:"task_queue_friendly_name,omitempty"`
	TaskQueueEnteredDate  *time.Time `json:"task_queue_entered_date,omitempty"`
	TaskChannelSID        string     `json:"task_channel_sid"`
	TaskChannelUniqueName string     `json:"task_channel_unique_name"`
	Attributes            string     `json:"attributes"`
	AssignmentStatus      string     `json:"assignment_status"`
	Priority              int        `json:"priority"`
	Reason                string     `json:"reason,omitempty"`
	Timeout               int        `json:"timeout"`
	Addons                string     `json:"addons"`
	RoutingTarget         string     `json:"routing_target,omitempty"`
	IgnoreCapacity        bool       `json:"ignore_capacity,omitempty"`
	VirtualStartTime      time.Time  `json:"virtual_start_time"`
	DateCreated           time.Time  `json:"date_created"`
	DateUpdated           time.Time  `json:"date_updated"`
	Version               int        `json:"version"`
	Seq                   uint64     `json:"seq"`
	// Routing is the routing position of a pending or reserved task.
	Routing *snapRouting `json:"routing,omitempty"`
}

// snapRouting is where a waiting task is in its routing and its timers.
type snapRouting struct {
	// Config is 0 for the workflow's current configuration, n for the
	// workspace's Configurations[n-1]; ignored when Direct is set.
	Config int `json:"config,omitempty"`
	// Direct is "queue" or "worker" for a RoutingTarget task's routing in
	// its queue (routing_target.go), "" for a workflow's.
	Direct      string       `json:"direct,omitempty"`
	Filter      int          `json:"filter"` // -1: the default filter
	Target      int          `json:"target"`
	Bases       []snapBase   `json:"bases,omitempty"`
	EverMatched bool         `json:"ever_matched,omitempty"`
	TTL         *snapTimer   `json:"ttl,omitempty"`
	Step        *snapTimer   `json:"step,omitempty"`
	Retries     []*snapTimer `json:"retries,omitempty"`
}

// snapBase is when a task first entered a filter.
type snapBase struct {
	Filter int       `json:"filter"`
	At     time.Time `json:"at"`
}

// snapTimer is an armed timer: its virtual deadline and arming order.
type snapTimer struct {
	At  time.Time `json:"at"`
	Seq uint64    `json:"seq"`
}

type snapReservation struct {
	SID               string    `json:"sid"`
	TaskSID           string    `json:"task_sid"`
	WorkerSID         string    `json:"worker_sid"`
	WorkerName        string    `json:"worker_name"`
	ReservationStatus string    `json:"reservation_status"`
	Instruction       string    `json:"instruction,omitempty"`
	DateCreated       time.Time `json:"date_created"`
	DateUpdated       time.Time `json:"date_updated"`
	Version           int       `json:"version"`
	// WorkerChannelSID is the channel whose capacity a pending, accepted or
	// wrapping reservation holds.
	WorkerChannelSID string `json:"worker_channel_sid,omitempty"`
	// Timeout is a pending reservation's task_reservation_timeout.
	Timeout *snapTimer `json:"timeout,omitempty"`
}

// Snapshot encodes the engine's whole state as JSON, for state snapshots
// (emulator --state). It is called under the account lock.
func (e *Engine) Snapshot() (json.RawMessage, error) {
	s := snapEngine{Seq: e.seq, AssignSeq: e.assignSeq, ArmSeq: e.armSeq, Workspaces: make([]snapWorkspace, 0, len(e.workspaces.list))}
	if e.hist.ws != nil {
		s.EventLog = &snapEventLog{Prefix: e.hist.prefix, Seq: e.hist.seq}
	}
	for _, ws := range e.workspaces.list {
		sw, err := e.snapWorkspace(ws)
		if err != nil {
			return nil, fmt.Errorf("taskrouter: snapshot: workspace %s: %w", ws.SID, err)
		}
		s.Workspaces = append(s.Workspaces, sw)
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("taskrouter: snapshot: %w", err)
	}
	return b, nil
}

func (e *Engine) snapWorkspace(ws *Workspace) (snapWorkspace, error) {
	s := snapWorkspace{SID: ws.SID, FriendlyName: ws.FriendlyName, EventCallbackURL: ws.EventCallbackURL,
		EventsFilter: ws.EventsFilter, DefaultActivitySID: ws.DefaultActivitySID, TimeoutActivitySID: ws.TimeoutActivitySID,
		MultiTaskEnabled: ws.MultiTaskEnabled, PrioritizeQueueOrder: ws.PrioritizeQueueOrder,
		DateCreated: ws.DateCreated, DateUpdated: ws.DateUpdated,
		Activities: make([]snapActivity, 0, len(ws.activities.list)), TaskChannels: make([]snapTaskChannel, 0, len(ws.channels.list)),
		TaskQueues: make([]snapTaskQueue, 0, len(ws.queues.list)), Workflows: make([]snapWorkflow, 0, len(ws.workflows.list)),
		Workers: make([]snapWorker, 0, len(ws.workers.list)), Tasks: make([]snapTask, 0, len(ws.tasks.list)),
		Reservations: make([]snapReservation, 0, len(ws.reservations.list))}
	for _, a := range ws.activities.list {
		s.Activities = append(s.Activities, snapActivity{SID: a.SID, FriendlyName: a.FriendlyName, Available: a.Available,
			DateCreated: a.DateCreated, DateUpdated: a.DateUpdated})
	}
	for _, c := range ws.channels.list {
		s.TaskChannels = append(s.TaskChannels, snapTaskChannel{SID: c.SID, FriendlyName: c.FriendlyName, UniqueName: c.UniqueName,
			ChannelOptimizedRouting: c.ChannelOptimizedRouting, DateCreated: c.DateCreated, DateUpdated: c.DateUpdated})
	}
	for _, q := range ws.queues.list {
		s.TaskQueues = append(s.TaskQueues, snapTaskQueue{SID: q.SID, FriendlyName: q.FriendlyName, TargetWorkers: q.TargetWorkers,
			MaxReservedWorkers: q.MaxReservedWorkers, TaskOrder: q.TaskOrder, ReservationActivitySID: q.ReservationActivitySID,
			AssignmentActivitySID: q.AssignmentActivitySID, DateCreated: q.DateCreated, DateUpdated: q.DateUpdated})
	}
	for _, wf := range ws.workflows.list {
		s.Workflows = append(s.Workflows, snapWorkflow{SID: wf.SID, FriendlyName: wf.FriendlyName, Configuration: wf.Configuration,
			AssignmentCallbackURL: wf.AssignmentCallbackURL, FallbackAssignmentCallbackURL: wf.FallbackAssignmentCallbackURL,
			TaskReservationTimeout: wf.TaskReservationTimeout, DateCreated: wf.DateCreated, DateUpdated: wf.DateUpdated})
	}
	for _, w := range ws.workers.list {
		sw := snapWorker{SID: w.SID, FriendlyName: w.FriendlyName, Attributes: w.Attributes, ActivitySID: w.ActivitySID,
			DateCreated: w.DateCreated, DateUpdated: w.DateUpdated, DateStatusChanged: w.DateStatusChanged,
			Version: w.Version, Seq: w.seq, LastAssigned: w.lastAssigned, Channels: make([]snapWorkerChannel, 0, len(w.channels))}
		for _, wc := range w.channels {
			sw.Channels = append(sw.Channels, snapWorkerChannel{SID: wc.SID, TaskChannelSID: wc.TaskChannelSID,
				ConfiguredCapacity: wc.ConfiguredCapacity, AssignedTasks: wc.AssignedTasks, Available: wc.Available,
				DateCreated: wc.DateCreated, DateUpdated: wc.DateUpdated, LastReservedTime: optTimePtr(wc.LastReservedTime),
				LastAssigned: wc.lastAssigned})
		}
		s.Workers = append(s.Workers, sw)
	}
	configs := map[*routingConfig]int{}
	for _, t := range ws.tasks.list {
		st := snapTask{SID: t.SID, WorkflowSID: t.WorkflowSID, WorkflowFriendlyName: t.WorkflowFriendlyName,
			TaskQueueSID: t.TaskQueueSID, TaskQueueFriendlyName: t.TaskQueueFriendlyName,
			TaskQueueEnteredDate: optTimePtr(t.TaskQueueEnteredDate), TaskChannelSID: t.TaskChannelSID,
			TaskChannelUniqueName: t.TaskChannelUniqueName, Attributes: t.Attributes, AssignmentStatus: t.AssignmentStatus,
			Priority: t.Priority, Reason: t.Reason, Timeout: t.Timeout, Addons: t.Addons, RoutingTarget: t.RoutingTarget,
			IgnoreCapacity: t.IgnoreCapacity, VirtualStartTime: t.VirtualStartTime, DateCreated: t.DateCreated,
			DateUpdated: t.DateUpdated, Version: t.Version, Seq: t.seq}
		if t.waiting() {
			rt, err := snapTaskRouting(&s, configs, t)
			if err != nil {
				return s, fmt.Errorf("task %s: %w", t.SID, err)
			}
			st.Routing = rt
		}
		s.Tasks = append(s.Tasks, st)
	}
	for _, r := range ws.reservations.list {
		sr := snapReservation{SID: r.SID, TaskSID: r.TaskSID, WorkerSID: r.WorkerSID, WorkerName: r.WorkerName,
			ReservationStatus: r.ReservationStatus, Instruction: r.Instruction, DateCreated: r.DateCreated,
			DateUpdated: r.DateUpdated, Version: r.Version}
		if holdsCapacity(r.ReservationStatus) && r.wc != nil {
			sr.WorkerChannelSID = r.wc.SID
		}
		if r.ReservationStatus == StatusPending {
			sr.Timeout = snapTimerOf(r.timer)
		}
		s.Reservations = append(s.Reservations, sr)
	}
	if wh := e.hist.ws[ws.SID]; wh != nil {
		s.History = snapWSHistory(wh)
	}
	return s, nil
}

// snapTaskRouting records a waiting task's routing position, adding the
// configuration it was routed with to s.Configurations when it is not its
// workflow's current one.
func snapTaskRouting(s *snapWorkspace, configs map[*routingConfig]int, t *Task) (*snapRouting, error) {
	cfg := t.cfg
	if cfg == nil || t.target == nil {
		return nil, fmt.Errorf("waiting task has no routing position")
	}
	rt := &snapRouting{Filter: t.filterIdx, Target: t.targetIdx, EverMatched: t.everMatched,
		TTL: snapTimerOf(t.ttlTimer), Step: snapTimerOf(t.stepTimer)}
	switch {
	case cfg.direct && cfg.def != nil && cfg.def.direct:
		rt.Direct = "worker"
	case cfg.direct:
		rt.Direct = "queue"
	case t.workflow != nil && cfg == t.workflow.cfg:
	default:
		n, ok := configs[cfg]
		if !ok {
			s.Configurations = append(s.Configurations, cfg.text)
			n = len(s.Configurations)
			configs[cfg] = n
		}
		rt.Config = n
	}
	for _, b := range t.bases {
		rt.Bases = append(rt.Bases, snapBase{Filter: b.idx, At: b.at})
	}
	for _, vt := range t.retries {
		rt.Retries = append(rt.Retries, snapTimerOf(vt))
	}
	return rt, nil
}

// holdsCapacity reports whether a reservation in status holds worker
// channel capacity (pending: a reserved slot; accepted, wrapping: a task).
func holdsCapacity(status string) bool {
	return status == StatusPending || status == StatusAccepted || status == StatusWrapping
}

func snapTimerOf(vt *vtimer) *snapTimer {
	if vt == nil {
		return nil
	}
	return &snapTimer{At: vt.at, Seq: vt.seq}
}

func optTimePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
