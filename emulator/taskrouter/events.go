package taskrouter

// Stored Events: every emit (engine.go) becomes an EV… resource in its
// workspace's bounded log, feeds the statistics (statistics.go), is POSTed to
// the workspace's event_callback_url (eventcallback.go) and, for
// reservation.created, starts the assignment callback (assignment.go).

import (
	"fmt"
	"github.com/flexemu/flexemu/emulator/eventtype"
	"slices"
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
// Records are immutable once stored. What the workspace, the event type or
// the engine determine (SID, AccountSID, WorkspaceSID, ResourceType) is not
// stored but answered by methods: a workspace keeps up to
// DefaultEventRetention records.
type EventRecord struct {
	EventType   string
	Description string // the engine's one-line summary; rendered capitalised
	ResourceSID string

	at  int64      // Date, Unix nanoseconds
	seq uint64     // engine-wide order, encoded in SID
	wh  *wsHistory // the workspace's log
	// event_data, compactly: *keys holds one eventKey per entry (an
	// interned string, shared by every record of the same shape); the values
	// are common (the workspace and task entries, shared with the task's
	// other records while the task does not change) followed by own.
	keys        *string
	common, own []string
}

// EventField is one event_data entry.
type EventField struct{ Key, Value string }

// SID is the Event's EV… SID: the engine's random prefix and the sequence.
func (r *EventRecord) SID() string { return r.wh.hist.sid(r.seq) }

// AccountSID is the account the Event belongs to.
func (r *EventRecord) AccountSID() string { return r.wh.hist.account }

// WorkspaceSID is the workspace the Event belongs to.
func (r *EventRecord) WorkspaceSID() string { return r.wh.sid }

// Date is when the Event happened, on the account clock.
func (r *EventRecord) Date() time.Time { return time.Unix(0, r.at).UTC() }

// ResourceType is the type of resource the Event is about (one of the
// Resource* constants), from the event type's prefix.
func (r *EventRecord) ResourceType() string {
	group, _, _ := strings.Cut(r.EventType, ".")
	switch group {
	case "task":
		return ResourceTask
	case "reservation":
		return ResourceReservation
	case "worker":
		return ResourceWorker
	case "task-queue":
		return ResourceTaskQueue
	case "workflow":
		return ResourceWorkflow
	case "activity":
		return ResourceActivity
	case "task-channel":
		return ResourceTaskChannel
	}
	return ResourceWorkspace
}

func (r *EventRecord) value(i int) string {
	if i < len(r.common) {
		return r.common[i]
	}
	return r.own[i-len(r.common)]
}

// Data is event_data in the order it was gathered; empty values are left out.
func (r *EventRecord) Data() []EventField {
	keys := *r.keys
	out := make([]EventField, len(keys))
	for i := range out {
		out[i] = EventField{eventKeys[keys[i]], r.value(i)}
	}
	return out
}

// Value returns the event_data value for key ("" when absent).
func (r *EventRecord) Value(key string) string {
	keys := *r.keys
	for i := 0; i < len(keys); i++ {
		if eventKeys[keys[i]] == key {
			return r.value(i)
		}
	}
	return ""
}

// DataMap returns event_data as a map (the JSON object Twilio renders).
func (r *EventRecord) DataMap() map[string]string {
	keys := *r.keys
	m := make(map[string]string, len(keys))
	for i := 0; i < len(keys); i++ {
		m[eventKeys[keys[i]]] = r.value(i)
	}
	return m
}

// eventKey is an event_data key, stored as one byte per entry.
type eventKey byte

// The event_data keys, in the order newEventRecord gathers them.
const (
	ekWorkspaceSID eventKey = iota
	ekWorkspaceName
	ekTaskSID
	ekTaskAttributes
	ekTaskAge
	ekTaskPriority
	ekTaskAssignmentStatus
	ekTaskCanceledReason
	ekTaskCompletedReason
	ekTaskChannelSID
	ekTaskChannelUniqueName
	ekTaskDateCreated
	ekTaskVirtualStartTime
	ekTaskQueueSID
	ekTaskQueueName
	ekTaskQueueEnteredDate
	ekTaskQueueTargetExpression
	ekWorkflowSID
	ekWorkflowName
	ekWorkflowFilterName
	ekWorkflowFilterExpression
	ekWorkflowFilterTargetExpression
	ekPreviousTaskPriority
	ekPreviousTaskQueueSID
	ekPreviousTaskQueueName
	ekReservationSID
	ekWorkerSID
	ekWorkerName
	ekWorkerAttributes
	ekWorkerActivitySID
	ekWorkerActivityName
	ekWorkerPreviousActivitySID
	ekWorkerPreviousActivityName
	ekWorkerTimeInPreviousActivity
	ekWorkerTimeInPreviousActivityMS
	ekWorkerChannelCapacity
	ekWorkerChannelAvailable
	ekWorkerChannelAvailableCapacityPercentage
	ekWorkerChannelTaskCount
	ekActivitySID
	ekActivityName
	ekActivityAvailable
	ekTaskChannelFriendlyName
	numEventKeys
)

// eventKeys names each eventKey.
var eventKeys = [numEventKeys]string{
	ekWorkspaceSID:                             "workspace_sid",
	ekWorkspaceName:                            "workspace_name",
	ekTaskSID:                                  "task_sid",
	ekTaskAttributes:                           "task_attributes",
	ekTaskAge:                                  "task_age",
	ekTaskPriority:                             "task_priority",
	ekTaskAssignmentStatus:                     "task_assignment_status",
	ekTaskCanceledReason:                       "task_canceled_reason",
	ekTaskCompletedReason:                      "task_completed_reason",
	ekTaskChannelSID:                           "task_channel_sid",
	ekTaskChannelUniqueName:                    "task_channel_unique_name",
	ekTaskDateCreated:                          "task_date_created",
	ekTaskVirtualStartTime:                     "task_virtual_start_time",
	ekTaskQueueSID:                             "task_queue_sid",
	ekTaskQueueName:                            "task_queue_name",
	ekTaskQueueEnteredDate:                     "task_queue_entered_date",
	ekTaskQueueTargetExpression:                "task_queue_target_expression",
	ekWorkflowSID:                              "workflow_sid",
	ekWorkflowName:                             "workflow_name",
	ekWorkflowFilterName:                       "workflow_filter_name",
	ekWorkflowFilterExpression:                 "workflow_filter_expression",
	ekWorkflowFilterTargetExpression:           "workflow_filter_target_expression",
	ekPreviousTaskPriority:                     "previous_task_priority",
	ekPreviousTaskQueueSID:                     "previous_task_queue_sid",
	ekPreviousTaskQueueName:                    "previous_task_queue_name",
	ekReservationSID:                           "reservation_sid",
	ekWorkerSID:                                "worker_sid",
	ekWorkerName:                               "worker_name",
	ekWorkerAttributes:                         "worker_attributes",
	ekWorkerActivitySID:                        "worker_activity_sid",
	ekWorkerActivityName:                       "worker_activity_name",
	ekWorkerPreviousActivitySID:                "worker_previous_activity_sid",
	ekWorkerPreviousActivityName:               "worker_previous_activity_name",
	ekWorkerTimeInPreviousActivity:             "worker_time_in_previous_activity",
	ekWorkerTimeInPreviousActivityMS:           "worker_time_in_previous_activity_ms",
	ekWorkerChannelCapacity:                    "worker_channel_capacity",
	ekWorkerChannelAvailable:                   "worker_channel_available",
	ekWorkerChannelAvailableCapacityPercentage: "worker_channel_available_capacity_percentage",
	ekWorkerChannelTaskCount:                   "worker_channel_task_count",
	ekActivitySID:                              "activity_sid",
	ekActivityName:                             "activity_name",
	ekActivityAvailable:                        "activity_available",
	ekTaskChannelFriendlyName:                  "task_channel_friendly_name",
}

// ResourcePath is the REST path of the resource the event is about.
func (r *EventRecord) ResourcePath() string {
	ws := "/v1/Workspaces/" + r.WorkspaceSID()
	switch r.ResourceType() {
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
	account  string
	limit    int // Events kept per workspace (0: none)
	limitSet bool
	prefix   string // random part of every EV SID minted by this engine
	seq      uint64
	ws       map[string]*wsHistory

	keys         []byte             // reused while gathering event_data: keys…
	vals         []string           // …and values
	shapes       map[string]*string // interned EventRecord.keys
	lastTime     time.Time          // one-entry cache of formatted dates
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

// sid is the EV SID of sequence number seq: the engine's random prefix and
// the sequence in hex.
func (h *history) sid(seq uint64) string {
	var b [34]byte
	copy(b[:], "EV")
	copy(b[2:], h.prefix)
	for i := 33; i >= 18; i-- {
		b[i] = "0123456789abcdef"[seq&15]
		seq >>= 4
	}
	return string(b[:])
}

// seqOf returns the sequence number an EV SID of this engine encodes.
func (h *history) seqOf(sid string) (uint64, bool) {
	if len(sid) != 34 || !strings.HasPrefix(sid, "EV"+h.prefix) {
		return 0, false
	}
	seq, err := strconv.ParseUint(sid[18:], 16, 64)
	return seq, err == nil
}

type wsHistory struct {
	hist   *history
	sid    string         // the workspace
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
	case strings.HasPrefix(string(ev.Type), "activity."):
		c.act = ws.activities.get(sid)
	case strings.HasPrefix(string(ev.Type), "task-channel."):
		c.ch = ws.channels.get(sid)
	case c.task != nil:
		c.ch = c.task.channel
	}
	if c.worker != nil && strings.HasPrefix(string(ev.Type), "worker.") {
		wcSID := ev.WorkerChannelSID
		if wcSID == "" {
			wcSID = sid
		}
		for _, wc := range c.worker.channels {
			if wc.SID == wcSID {
				c.wc = wc
				if c.ch == nil {
					c.ch = wc.channel
				}
			}
		}
	}
	return c
}

// observe is called by emit for every event, with the event's workspace
// (nil once deleted) and the objects it concerns: it stores the Event,
// updates statistics and starts the event and assignment callbacks.
func (e *Engine) observe(ws *Workspace, c *evCtx, ev Event, sid, summary string, refs map[string]string) {
	h := &e.hist
	h.init()
	h.account = e.env.AccountSID
	if ws == nil { // workspace.deleted: its Events and statistics go with it
		delete(h.ws, ev.WorkspaceSID)
		return
	}
	wh := h.ws[ws.SID]
	if wh == nil {
		wh = &wsHistory{hist: h, sid: ws.SID}
		h.ws[ws.SID] = wh
	}
	now := e.env.Now()
	callback := ws.EventCallbackURL != "" && eventSelected(ws.EventsFilter, string(ev.Type))
	if h.limit > 0 || callback {
		rec := e.newEventRecord(ws, wh, c, ev, sid, summary, refs, now)
		if h.limit > 0 {
			wh.store(rec, h.limit)
		}
		if callback {
			e.sendEventCallback(ws, rec)
		}
	}
	wh.stats.observe(ws, ev, c, refs, now)
	if ev.Type == eventtype.ReservationCreated && c.res != nil {
		e.startAssignmentCallback(ws, c.res)
	}
}

// newEventRecord snapshots the event and the objects it concerns.
func (e *Engine) newEventRecord(ws *Workspace, wh *wsHistory, c *evCtx, ev Event, objSID, summary string,
	refs map[string]string, now time.Time) *EventRecord {
	h := &e.hist
	h.seq++
	rec := &EventRecord{seq: h.seq, wh: wh, EventType: string(ev.Type), Description: summary, at: now.UnixNano()}
	group, _, _ := strings.Cut(string(ev.Type), ".")
	switch group {
	case "task":
		rec.ResourceSID = ev.TaskSID
	case "reservation":
		rec.ResourceSID = ev.ReservationSID
	case "worker":
		rec.ResourceSID = ev.WorkerSID
	case "task-queue":
		rec.ResourceSID = ev.TaskQueueSID
	case "workflow":
		rec.ResourceSID = ev.WorkflowSID
	case "activity", "task-channel":
		rec.ResourceSID = objSID
	default:
		rec.ResourceSID = ws.SID
	}
	keys, vals := h.keys[:0], h.vals[:0]
	add := func(k eventKey, v string) {
		if v != "" {
			keys, vals = append(keys, byte(k)), append(vals, v)
		}
	}
	add(ekWorkspaceSID, ws.SID)
	add(ekWorkspaceName, ws.FriendlyName)

	// Task side: task.*, reservation.*, task-queue.entered/moved/timeout, workflow routing events.
	if t := c.task; t != nil {
		add(ekTaskSID, t.SID)
		add(ekTaskAttributes, t.Attributes)
		add(ekTaskAge, strconv.Itoa(t.Age(now)))
		add(ekTaskPriority, strconv.Itoa(t.Priority))
		add(ekTaskAssignmentStatus, t.AssignmentStatus)
		switch t.AssignmentStatus {
		case TaskCanceled:
			add(ekTaskCanceledReason, t.Reason)
		case TaskCompleted:
			add(ekTaskCompletedReason, t.Reason)
		}
		add(ekTaskChannelSID, t.TaskChannelSID)
		add(ekTaskChannelUniqueName, t.TaskChannelUniqueName)
		add(ekTaskDateCreated, h.fmtTime(t.DateCreated))
		add(ekTaskVirtualStartTime, h.fmtTime(t.VirtualStartTime))
		if t.TaskQueueSID != "" {
			add(ekTaskQueueSID, t.TaskQueueSID)
			add(ekTaskQueueName, t.TaskQueueFriendlyName)
			add(ekTaskQueueEnteredDate, h.fmtTime(t.TaskQueueEnteredDate))
			if t.queue != nil {
				add(ekTaskQueueTargetExpression, t.queue.TargetWorkers)
			}
		}
		add(ekWorkflowSID, t.WorkflowSID)
		add(ekWorkflowName, t.WorkflowFriendlyName)
		rec.common = t.eventValues(vals)
	} else if ev.TaskSID != "" { // task.deleted: the task is gone, keep what the refs say
		add(ekTaskSID, ev.TaskSID)
		add(ekTaskAssignmentStatus, refs["assignment_status"])
		add(ekTaskChannelUniqueName, refs["task_channel"])
		add(ekTaskQueueSID, refs["task_queue_sid"])
		add(ekTaskQueueName, refs["task_queue_name"])
		add(ekWorkflowSID, refs["workflow_sid"])
		add(ekWorkflowName, refs["workflow_name"])
	}
	if ev.Type == eventtype.WorkflowTargetMatched {
		add(ekWorkflowFilterName, refs["workflow_filter_name"])
		add(ekWorkflowFilterExpression, refs["workflow_filter_expression"])
		add(ekWorkflowFilterTargetExpression, refs["workflow_filter_target_expression"])
	}
	add(ekPreviousTaskPriority, refs["previous_task_priority"])
	if prev := refs["previous_task_queue_sid"]; prev != "" {
		add(ekPreviousTaskQueueSID, prev)
		if q := ws.queues.get(prev); q != nil {
			add(ekPreviousTaskQueueName, q.FriendlyName)
		}
	}
	if r := c.res; r != nil {
		add(ekReservationSID, r.SID)
	}

	// Worker side: worker.*, reservation.*.
	if w := c.worker; w != nil {
		add(ekWorkerSID, w.SID)
		add(ekWorkerName, w.FriendlyName)
		add(ekWorkerAttributes, w.Attributes)
		add(ekWorkerActivitySID, w.ActivitySID)
		add(ekWorkerActivityName, w.ActivityName)
	} else if ev.WorkerSID != "" { // worker.deleted
		add(ekWorkerSID, ev.WorkerSID)
		add(ekWorkerName, refs["worker_name"])
	}
	if ev.Type == eventtype.WorkerActivityUpdate {
		add(ekWorkerPreviousActivitySID, refs["previous_activity_sid"])
		add(ekWorkerPreviousActivityName, refs["previous_activity_name"])
		if since, ok := wh.stats.activitySince(ev.WorkerSID); ok {
			ms := now.Sub(since).Milliseconds()
			add(ekWorkerTimeInPreviousActivity, strconv.FormatInt(ms/1000, 10))
			add(ekWorkerTimeInPreviousActivityMS, strconv.FormatInt(ms, 10))
		}
	}
	if wc := c.wc; wc != nil {
		add(ekTaskChannelSID, wc.TaskChannelSID)
		add(ekTaskChannelUniqueName, wc.TaskChannelUniqueName)
		add(ekWorkerChannelCapacity, strconv.Itoa(wc.ConfiguredCapacity))
		add(ekWorkerChannelAvailable, strconv.FormatBool(wc.Available))
		add(ekWorkerChannelAvailableCapacityPercentage, strconv.Itoa(wc.AvailableCapacityPercentage()))
		add(ekWorkerChannelTaskCount, strconv.Itoa(wc.AssignedTasks))
	}

	// Configuration objects.
	switch group {
	case "activity":
		add(ekActivitySID, objSID)
		if a := c.act; a != nil {
			add(ekActivityName, a.FriendlyName)
			add(ekActivityAvailable, strconv.FormatBool(a.Available))
		} else {
			add(ekActivityName, refs["activity_name"])
		}
	case "task-channel":
		add(ekTaskChannelSID, objSID)
		if ch := c.ch; ch != nil {
			add(ekTaskChannelUniqueName, ch.UniqueName)
			add(ekTaskChannelFriendlyName, ch.FriendlyName)
		}
	case "task-queue":
		if c.task == nil {
			add(ekTaskQueueSID, ev.TaskQueueSID)
			if q := c.queue; q != nil {
				add(ekTaskQueueName, q.FriendlyName)
				add(ekTaskQueueTargetExpression, q.TargetWorkers)
			} else {
				add(ekTaskQueueName, refs["task_queue_name"])
			}
		}
	case "workflow":
		if c.task == nil {
			add(ekWorkflowSID, ev.WorkflowSID)
			if wf := c.wf; wf != nil {
				add(ekWorkflowName, wf.FriendlyName)
			} else {
				add(ekWorkflowName, refs["workflow_name"])
			}
		}
	}
	rec.keys = h.shape(keys)
	if own := vals[len(rec.common):]; len(own) > 0 {
		rec.own = append([]string(nil), own...)
	}
	h.keys, h.vals = keys[:0], vals[:0]
	clear(h.vals[:cap(h.vals)]) // drop references to values of dead objects
	return rec
}

// shape interns an event_data key sequence: a handful of shapes cover every
// event.
func (h *history) shape(keys []byte) *string {
	if s, ok := h.shapes[string(keys)]; ok {
		return s
	}
	if h.shapes == nil {
		h.shapes = map[string]*string{}
	}
	s := string(keys)
	h.shapes[s] = &s
	return &s
}

// eventValues returns the workspace and task event_data values just
// gathered, as a slice shared with the task's previous record when they
// are the same (a task's events mostly are about something else: its
// queue, its reservations).
func (t *Task) eventValues(vals []string) []string {
	if slices.Equal(t.evValues, vals) {
		return t.evValues
	}
	t.evValues = append([]string(nil), vals...)
	return t.evValues
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
	wantSeq, known := e.hist.seqOf(f.SID)
	if f.SID != "" && !known {
		return []*EventRecord{}, nil
	}
	out := make([]*EventRecord, 0, 64)
	for i := len(wh.events) - 1; i >= 0; i-- {
		r := wh.at(i)
		date := r.Date()
		if date.Before(start) || (f.EndDate != nil && date.After(*f.EndDate)) || (f.EventType != "" && r.EventType != f.EventType) ||
			(f.SID != "" && r.seq != wantSeq) || !match(r, "task_sid", f.TaskSID) ||
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
	seq, ok := e.hist.seqOf(sid)
	if wh == nil || !ok {
		return nil, notFound
	}
	n := len(wh.events)
	i := sort.Search(n, func(i int) bool { return wh.at(i).seq >= seq })
	if i == n || wh.at(i).seq != seq {
		return nil, notFound
	}
	return wh.at(i), nil
}
