package taskrouter

// Stored Events: every emit (engine.go) becomes an EV… resource in its
// workspace's bounded log, feeds the statistics (statistics.go), is POSTed to
// the workspace's event_callback_url (eventcallback.go) and, for
// reservation.created, starts the assignment callback (assignment.go).

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// DefaultEventRetention is how many Events each workspace keeps; older ones
// are dropped first, so memory stays bounded under any load.
const DefaultEventRetention = 50_000

// DefaultEventMinutes is the Events list's default look-back window.
const DefaultEventMinutes = 15

// maxLookbackMinutes is the longest window Events and statistics accept (30 days).
const maxLookbackMinutes = 43_200

// Event resource types (resource_type / ResourceType).
const (
	ResourceTask        = "task"
	ResourceReservation = "reservation"
	ResourceWorker      = "worker"
	ResourceTaskQueue   = "taskqueue"
	ResourceWorkflow    = "workflow"
	ResourceActivity    = "activity"
	ResourceTaskChannel = "taskchannel"
	ResourceWorkspace   = "workspace"
)

// EventRecord is a stored TaskRouter Event (EV…): what happened, when and to
// which resource, with Twilio's snake_case event_data whose values are strings.
// Records are immutable once stored.
type EventRecord struct {
	SID          string
	AccountSID   string
	WorkspaceSID string
	EventType    string
	Description  string // the engine's one-line summary; rendered capitalised
	Date         time.Time
	ResourceType string // one of the Resource* constants
	ResourceSID  string
	// Data is event_data in the order it was gathered; empty values are left out.
	Data []EventField

	seq uint64 // engine-wide order, encoded in SID
}

// EventField is one event_data entry.
type EventField struct{ Key, Value string }

// Value returns the event_data value for key ("" when absent).
func (r *EventRecord) Value(key string) string {
	for _, f := range r.Data {
		if f.Key == key {
			return f.Value
		}
	}
	return ""
}

// DataMap returns event_data as a map (the JSON object Twilio renders).
func (r *EventRecord) DataMap() map[string]string {
	m := make(map[string]string, len(r.Data))
	for _, f := range r.Data {
		m[f.Key] = f.Value
	}
	return m
}

// ResourcePath is the REST path of the resource the event is about.
func (r *EventRecord) ResourcePath() string {
	ws := "/v1/Workspaces/" + r.WorkspaceSID
	switch r.ResourceType {
	case ResourceTask:
		return ws + "/Tasks/" + r.ResourceSID
	case ResourceReservation:
		return ws + "/Tasks/" + r.Value("task_sid") + "/Reservations/" + r.ResourceSID
	case ResourceWorker:
		return ws + "/Workers/" + r.ResourceSID
	case ResourceTaskQueue:
		return ws + "/TaskQueues/" + r.ResourceSID
	case ResourceWorkflow:
		return ws + "/Workflows/" + r.ResourceSID
	case ResourceActivity:
		return ws + "/Activities/" + r.ResourceSID
	case ResourceTaskChannel:
		return ws + "/TaskChannels/" + r.ResourceSID
	}
	return ws
}

// history is the engine's per-workspace record of what happened: stored
// Events and the statistics counters.
type history struct {
	limit    int // Events kept per workspace (0: none)
	limitSet bool
	prefix   string // random part of every EV SID minted by this engine
	seq      uint64
	ws       map[string]*wsHistory

	scratch      []EventField // reused while gathering event_data
	lastTime     time.Time    // one-entry cache of formatted dates
	lastTimeText string
}

// fmtTime formats t as Twilio does, reusing the last result (a task's
// creation and virtual start times are usually equal).
func (h *history) fmtTime(t time.Time) string {
	if !t.Equal(h.lastTime) || h.lastTimeText == "" {
		h.lastTime, h.lastTimeText = t, twilio.Time(t)
	}
	return h.lastTimeText
}

// newSID mints the next EV SID: the engine's random prefix and a sequence.
func (h *history) newSID() (string, uint64) {
	h.seq++
	var b [34]byte
	copy(b[:], "EV")
	copy(b[2:], h.prefix)
	n := h.seq
	for i := 33; i >= 18; i-- {
		b[i] = "0123456789abcdef"[n&15]
		n >>= 4
	}
	return string(b[:]), h.seq
}

type wsHistory struct {
	events []*EventRecord // ring buffer; oldest at start once full
	start  int
	stats  wsStats
}

func (h *history) init() {
	if h.ws != nil {
		return
	}
	h.ws = map[string]*wsHistory{}
	h.prefix = twilio.NewSID("EV")[2:18]
	if !h.limitSet {
		h.limit = DefaultEventRetention
	}
}

// SetEventRetention sets how many Events each workspace keeps (0 disables
// the Events log; callbacks and statistics still work). Lowering it drops
// the oldest stored Events.
func (e *Engine) SetEventRetention(n int) {
	e.hist.init()
	if n < 0 {
		n = 0
	}
	e.hist.limit, e.hist.limitSet = n, true
	for _, wh := range e.hist.ws {
		all := wh.ordered()
		if len(all) > n {
			all = all[len(all)-n:]
		}
		wh.events, wh.start = append([]*EventRecord(nil), all...), 0
	}
}

// store appends rec, dropping the oldest record beyond limit.
func (wh *wsHistory) store(rec *EventRecord, limit int) {
	if len(wh.events) < limit {
		wh.events = append(wh.events, rec)
		return
	}
	if len(wh.events) > limit { // limit lowered: normalise first
		all := wh.ordered()
		wh.events, wh.start = append([]*EventRecord(nil), all[len(all)-limit:]...), 0
	}
	wh.events[wh.start] = rec
	wh.start = (wh.start + 1) % len(wh.events)
}

// at returns the i-th stored record, oldest first.
func (wh *wsHistory) at(i int) *EventRecord { return wh.events[(wh.start+i)%len(wh.events)] }

// ordered returns the stored records oldest first.
func (wh *wsHistory) ordered() []*EventRecord {
	out := make([]*EventRecord, 0, len(wh.events))
	out = append(out, wh.events[wh.start:]...)
	return append(out, wh.events[:wh.start]...)
}

// evCtx holds the objects an event concerns, resolved once per emit.
type evCtx struct {
	task   *Task
	res    *Reservation
	worker *Worker
	queue  *TaskQueue
	wf     *Workflow
	act    *Activity
	ch     *TaskChannel
	wc     *WorkerChannel
}

func (e *Engine) resolve(ws *Workspace, ev Event, sid string) evCtx {
	var c evCtx
	if ev.ReservationSID != "" {
		if c.res = ws.reservations.get(ev.ReservationSID); c.res != nil {
			c.task, c.worker = c.res.task, c.res.worker
		}
	}
	if c.task == nil && ev.TaskSID != "" {
		c.task = ws.tasks.get(ev.TaskSID)
	}
	if c.worker == nil && ev.WorkerSID != "" {
		c.worker = ws.workers.get(ev.WorkerSID)
	}
	if ev.TaskQueueSID != "" {
		c.queue = ws.queues.get(ev.TaskQueueSID)
	}
	if ev.WorkflowSID != "" {
		c.wf = ws.workflows.get(ev.WorkflowSID)
	}
	switch {
	case strings.HasPrefix(ev.Type, "activity."):
		c.act = ws.activities.get(sid)
	case strings.HasPrefix(ev.Type, "task-channel."):
		c.ch = ws.channels.get(sid)
	case c.task != nil:
		c.ch = c.task.channel
	}
	if c.worker != nil && strings.HasPrefix(ev.Type, "worker.") {
		for _, wc := range c.worker.channels {
			if wc.SID == sid {
				c.wc = wc
				if c.ch == nil {
					c.ch = wc.channel
				}
			}
		}
	}
	return c
}

// observe is called by emit for every event: it stores the Event, updates
// statistics and starts the event and assignment callbacks.
func (e *Engine) observe(ev Event, sid, summary string, refs map[string]string) {
	h := &e.hist
	h.init()
	ws := e.workspaces.get(ev.WorkspaceSID)
	if ws == nil { // workspace.deleted: its Events and statistics go with it
		delete(h.ws, ev.WorkspaceSID)
		return
	}
	wh := h.ws[ws.SID]
	if wh == nil {
		wh = &wsHistory{}
		h.ws[ws.SID] = wh
	}
	now := e.env.Now()
	c := e.resolve(ws, ev, sid)
	callback := ws.EventCallbackURL != "" && eventSelected(ws.EventsFilter, ev.Type)
	if h.limit > 0 || callback {
		rec := e.newEventRecord(ws, wh, &c, ev, sid, summary, refs, now)
		if h.limit > 0 {
			wh.store(rec, h.limit)
		}
		if callback {
			e.sendEventCallback(ws, rec)
		}
	}
	wh.stats.observe(ws, ev, &c, refs, now)
	if ev.Type == "reservation.created" && c.res != nil {
		e.startAssignmentCallback(ws, c.res)
	}
}

// newEventRecord snapshots the event and the objects it concerns.
func (e *Engine) newEventRecord(ws *Workspace, wh *wsHistory, c *evCtx, ev Event, objSID, summary string,
	refs map[string]string, now time.Time) *EventRecord {
	h := &e.hist
	sid, seq := h.newSID()
	rec := &EventRecord{SID: sid, seq: seq, AccountSID: e.env.AccountSID,
		WorkspaceSID: ws.SID, EventType: ev.Type, Description: summary, Date: now}
	group, _, _ := strings.Cut(ev.Type, ".")
	switch group {
	case "task":
		rec.ResourceType, rec.ResourceSID = ResourceTask, ev.TaskSID
	case "reservation":
		rec.ResourceType, rec.ResourceSID = ResourceReservation, ev.ReservationSID
	case "worker":
		rec.ResourceType, rec.ResourceSID = ResourceWorker, ev.WorkerSID
	case "task-queue":
		rec.ResourceType, rec.ResourceSID = ResourceTaskQueue, ev.TaskQueueSID
	case "workflow":
		rec.ResourceType, rec.ResourceSID = ResourceWorkflow, ev.WorkflowSID
	case "activity":
		rec.ResourceType, rec.ResourceSID = ResourceActivity, objSID
	case "task-channel":
		rec.ResourceType, rec.ResourceSID = ResourceTaskChannel, objSID
	default:
		rec.ResourceType, rec.ResourceSID = ResourceWorkspace, ws.SID
	}
	d := h.scratch[:0]
	add := func(k, v string) {
		if v != "" {
			d = append(d, EventField{k, v})
		}
	}
	add("workspace_sid", ws.SID)
	add("workspace_name", ws.FriendlyName)

	// Task side: task.*, reservation.*, task-queue.entered/moved/timeout, workflow routing events.
	if t := c.task; t != nil {
		add("task_sid", t.SID)
		add("task_attributes", t.Attributes)
		add("task_age", strconv.Itoa(t.Age(now)))
		add("task_priority", strconv.Itoa(t.Priority))
		add("task_assignment_status", t.AssignmentStatus)
		switch t.AssignmentStatus {
		case TaskCanceled:
			add("task_canceled_reason", t.Reason)
		case TaskCompleted:
			add("task_completed_reason", t.Reason)
		}
		add("task_channel_sid", t.TaskChannelSID)
		add("task_channel_unique_name", t.TaskChannelUniqueName)
		add("task_date_created", h.fmtTime(t.DateCreated))
		add("task_virtual_start_time", h.fmtTime(t.VirtualStartTime))
		if t.TaskQueueSID != "" {
			add("task_queue_sid", t.TaskQueueSID)
			add("task_queue_name", t.TaskQueueFriendlyName)
			add("task_queue_entered_date", h.fmtTime(t.TaskQueueEnteredDate))
			if t.queue != nil {
				add("task_queue_target_expression", t.queue.TargetWorkers)
			}
		}
		add("workflow_sid", t.WorkflowSID)
		add("workflow_name", t.WorkflowFriendlyName)
	} else if ev.TaskSID != "" { // task.deleted: the task is gone, keep what the refs say
		add("task_sid", ev.TaskSID)
		add("task_assignment_status", refs["assignment_status"])
		add("task_channel_unique_name", refs["task_channel"])
		add("task_queue_sid", refs["task_queue_sid"])
		add("task_queue_name", refs["task_queue_name"])
		add("workflow_sid", refs["workflow_sid"])
		add("workflow_name", refs["workflow_name"])
	}
	if ev.Type == "workflow.target-matched" {
		add("workflow_filter_name", refs["workflow_filter_name"])
		add("workflow_filter_expression", refs["workflow_filter_expression"])
		add("workflow_filter_target_expression", refs["workflow_filter_target_expression"])
	}
	add("previous_task_priority", refs["previous_task_priority"])
	if prev := refs["previous_task_queue_sid"]; prev != "" {
		add("previous_task_queue_sid", prev)
		if q := ws.queues.get(prev); q != nil {
			add("previous_task_queue_name", q.FriendlyName)
		}
	}
	if r := c.res; r != nil {
		add("reservation_sid", r.SID)
	}

	// Worker side: worker.*, reservation.*.
	if w := c.worker; w != nil {
		add("worker_sid", w.SID)
		add("worker_name", w.FriendlyName)
		add("worker_attributes", w.Attributes)
		add("worker_activity_sid", w.ActivitySID)
		add("worker_activity_name", w.ActivityName)
	} else if ev.WorkerSID != "" { // worker.deleted
		add("worker_sid", ev.WorkerSID)
		add("worker_name", refs["worker_name"])
	}
	if ev.Type == "worker.activity.update" {
		add("worker_previous_activity_sid", refs["previous_activity_sid"])
		add("worker_previous_activity_name", refs["previous_activity_name"])
		if since, ok := wh.stats.activitySince(ev.WorkerSID); ok {
			ms := now.Sub(since).Milliseconds()
			add("worker_time_in_previous_activity", strconv.FormatInt(ms/1000, 10))
			add("worker_time_in_previous_activity_ms", strconv.FormatInt(ms, 10))
		}
	}
	if wc := c.wc; wc != nil {
		add("task_channel_sid", wc.TaskChannelSID)
		add("task_channel_unique_name", wc.TaskChannelUniqueName)
		add("worker_channel_capacity", strconv.Itoa(wc.ConfiguredCapacity))
		add("worker_channel_available", strconv.FormatBool(wc.Available))
		add("worker_channel_available_capacity_percentage", strconv.Itoa(wc.AvailableCapacityPercentage()))
		add("worker_channel_task_count", strconv.Itoa(wc.AssignedTasks))
	}

	// Configuration objects.
	switch group {
	case "activity":
		add("activity_sid", objSID)
		if a := c.act; a != nil {
			add("activity_name", a.FriendlyName)
			add("activity_available", strconv.FormatBool(a.Available))
		} else {
			add("activity_name", refs["activity_name"])
		}
	case "task-channel":
		add("task_channel_sid", objSID)
		if ch := c.ch; ch != nil {
			add("task_channel_unique_name", ch.UniqueName)
			add("task_channel_friendly_name", ch.FriendlyName)
		}
	case "task-queue":
		if c.task == nil {
			add("task_queue_sid", ev.TaskQueueSID)
			if q := c.queue; q != nil {
				add("task_queue_name", q.FriendlyName)
				add("task_queue_target_expression", q.TargetWorkers)
			} else {
				add("task_queue_name", refs["task_queue_name"])
			}
		}
	case "workflow":
		if c.task == nil {
			add("workflow_sid", ev.WorkflowSID)
			if wf := c.wf; wf != nil {
				add("workflow_name", wf.FriendlyName)
			} else {
				add("workflow_name", refs["workflow_name"])
			}
		}
	}
	rec.Data = append([]EventField(nil), d...)
	h.scratch = d[:0]
	return rec
}

// describe turns an engine summary into an Event description.
func describe(summary string) string {
	if summary == "" {
		return summary
	}
	return strings.ToUpper(summary[:1]) + summary[1:]
}

// EventFilter selects Events; zero fields do not filter.
type EventFilter struct {
	EventType string
	// Minutes is the look-back window against the account clock; nil means
	// 15 unless StartDate is set.
	Minutes   *int
	StartDate *time.Time
	EndDate   *time.Time

	TaskSID, ReservationSID, WorkerSID, WorkflowSID, TaskQueueSID string

	TaskChannel string // TC SID or unique name
	SID         string
}

// Events lists a workspace's stored Events matching f, newest first.
func (e *Engine) Events(wsSID string, f EventFilter) ([]*EventRecord, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	now := e.env.Now()
	var start time.Time
	switch {
	case f.Minutes != nil:
		if *f.Minutes < 1 || *f.Minutes > maxLookbackMinutes {
			return nil, twilio.InvalidParam("Minutes", "%d is out of range [1, %d]", *f.Minutes, maxLookbackMinutes)
		}
		start = now.Add(-time.Duration(*f.Minutes) * time.Minute)
	case f.StartDate != nil:
		start = *f.StartDate
	default:
		start = now.Add(-DefaultEventMinutes * time.Minute)
	}
	if f.StartDate != nil && f.StartDate.After(start) {
		start = *f.StartDate
	}
	if f.EndDate != nil && f.EndDate.Before(start) {
		return nil, twilio.InvalidParam("EndDate", "%s is before the start of the window %s", twilio.Time(*f.EndDate), twilio.Time(start))
	}
	wh := e.hist.ws[ws.SID]
	if wh == nil {
		return []*EventRecord{}, nil
	}
	match := func(r *EventRecord, key, want string) bool { return want == "" || r.Value(key) == want }
	out := make([]*EventRecord, 0, 64)
	for i := len(wh.events) - 1; i >= 0; i-- {
		r := wh.at(i)
		if r.Date.Before(start) || (f.EndDate != nil && r.Date.After(*f.EndDate)) || (f.EventType != "" && r.EventType != f.EventType) ||
			(f.SID != "" && r.SID != f.SID) || !match(r, "task_sid", f.TaskSID) ||
			!match(r, "reservation_sid", f.ReservationSID) || !match(r, "worker_sid", f.WorkerSID) ||
			!match(r, "workflow_sid", f.WorkflowSID) || !match(r, "task_queue_sid", f.TaskQueueSID) {
			continue
		}
		if f.TaskChannel != "" && r.Value("task_channel_sid") != f.TaskChannel && r.Value("task_channel_unique_name") != f.TaskChannel {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// EventRecord returns one stored Event.
func (e *Engine) EventRecord(wsSID, sid string) (*EventRecord, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	notFound := twilio.NotFound(fmt.Sprintf("/Workspaces/%s/Events/%s", wsSID, sid))
	wh := e.hist.ws[ws.SID]
	if wh == nil || len(sid) != 34 || !strings.HasPrefix(sid, "EV"+e.hist.prefix) {
		return nil, notFound
	}
	seq, err := strconv.ParseUint(sid[18:], 16, 64)
	if err != nil {
		return nil, notFound
	}
	n := len(wh.events)
	i := sort.Search(n, func(i int) bool { return wh.at(i).seq >= seq })
	if i == n || wh.at(i).seq != seq {
		return nil, notFound
	}
	return wh.at(i), nil
}
