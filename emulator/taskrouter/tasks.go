package taskrouter

import (
	"fmt"
	"github.com/flexemu/flexemu/emulator/eventtype"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/taskrouter/expr"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// Task assignment statuses.
const (
	TaskPending   = "pending"
	TaskReserved  = "reserved"
	TaskAssigned  = "assigned"
	TaskWrapping  = "wrapping"
	TaskCompleted = "completed"
	TaskCanceled  = "canceled"
)

// Task defaults and limits (seconds).
const (
	DefaultTaskTimeout = 86400
	MaxTaskTimeout     = 1209600
)

// Cancel reasons set by the router itself.
const (
	ReasonTTLExceeded     = "Task TTL Exceeded"
	ReasonWorkflowTimeout = "Workflow Timeout"
	ReasonNoMatch         = "Task did not match any workflow filter"
)

// Task is a unit of work routed by a workflow.
type Task struct {
	SID                   string
	AccountSID            string
	WorkspaceSID          string
	WorkflowSID           string
	WorkflowFriendlyName  string
	TaskQueueSID          string
	TaskQueueFriendlyName string
	TaskQueueEnteredDate  time.Time
	TaskChannelSID        string
	TaskChannelUniqueName string
	Attributes            string // JSON text exactly as given
	// AttributesMap is Attributes decoded, kept while the task may be routed
	// and while it is assigned; nil while its reservations are all it can
	// take and once it is completed or canceled (routing decodes it again
	// through attrs when needed).
	AttributesMap    map[string]any
	AssignmentStatus string
	Priority         int
	Reason           string
	Timeout          int // seconds to live unassigned
	Addons           string
	RoutingTarget    string
	VirtualStartTime time.Time
	DateCreated      time.Time
	DateUpdated      time.Time
	// Version counts the task's changes (status, attributes, priority,
	// queue, ...); Twilio's ETag / If-Match value. See version.go.
	Version int

	seq      uint64
	workflow *Workflow
	channel  *TaskChannel
	queue    *TaskQueue
	lane     *lane // routing lane in queue while queued; nil if its known worker names nobody
	queued   bool  // in queue's waiting set (see index.go)
	inOpen   bool  // in lane.open: may take another reservation
	// everMatched: entered (or timed out of) a filter since the last
	// re-evaluation. (The flags, IgnoreCapacity and ver share one word: a
	// task is 576 bytes, not 640.)
	everMatched    bool
	IgnoreCapacity bool
	ver            versioned

	// routing position
	cfg        *routingConfig
	target     *targetConfig
	filterIdx  int // -1 = default filter
	targetIdx  int
	bases      []filterBase   // when the task first entered each filter (cumulative step deadlines)
	stepGen    uint64         // invalidates stale step timers
	stepTimer  *vtimer        // current step's timeout
	ttlTimer   *vtimer        // Timeout (TTL) while unassigned
	retries    []*vtimer      // pending retryDeclined cycles, oldest first
	skipWorker *Worker        // not offered again in the current pass (just rejected / timed out)
	pendingRes int            // pending reservations
	accepted   *Reservation   // the accepted (then wrapping/completed) reservation
	resList    []*Reservation // every reservation, oldest first
	evValues   []string       // workspace and task event_data of the last Event (shared with it)
}

type filterBase struct {
	idx int
	at  time.Time
}

// attrs returns the decoded attributes, decoding them again (and keeping
// them) if they were dropped.
func (t *Task) attrs() map[string]any {
	if t.AttributesMap == nil {
		t.AttributesMap = t.attrsView()
	}
	return t.AttributesMap
}

// attrsView returns the decoded attributes without keeping a new decoding:
// for reads of tasks that are not being routed (list filters).
func (t *Task) attrsView() map[string]any {
	if t.AttributesMap != nil {
		return t.AttributesMap
	}
	m, err := parseJSONObject("Attributes", t.Attributes)
	if err != nil { // stored text was validated: cannot happen
		return map[string]any{}
	}
	return m
}

// Age is the task's age in whole seconds at now.
func (t *Task) Age(now time.Time) int {
	if d := now.Sub(t.DateCreated); d > 0 {
		return int(d / time.Second)
	}
	return 0
}

// Reservations returns the task's reservations, oldest first.
func (t *Task) Reservations() []*Reservation { return append([]*Reservation(nil), t.resList...) }

func (t *Task) waiting() bool {
	return t.AssignmentStatus == TaskPending || t.AssignmentStatus == TaskReserved
}

func (t *Task) terminal() bool {
	return t.AssignmentStatus == TaskCanceled || t.AssignmentStatus == TaskCompleted
}

// filterBase returns when the task entered filter i, recording now if never.
func (t *Task) filterBase(i int, now time.Time) time.Time {
	for _, b := range t.bases {
		if b.idx == i {
			return b.at
		}
	}
	t.bases = append(t.bases, filterBase{i, now})
	return now
}

// CreateTaskParams are the Task create parameters.
type CreateTaskParams struct {
	SID         string // optional pinned SID (fixtures)
	WorkflowSID string // optional when the workspace has exactly one workflow
	Attributes  string // JSON object, default "{}"
	// AttributesMap, when set, is Attributes already decoded (equal to what
	// encoding/json decodes it to), which the task keeps: the caller must
	// not change it. Attributes is still checked against the limits.
	AttributesMap map[string]any
	Priority      *int   // default 0; a matching target's priority overrides it
	Timeout       int    // seconds, 0 = 86400, max 1209600
	TaskChannel   string // unique name or TC SID, default "default"
	// VirtualStartTime orders the task as if created then (not in the future).
	VirtualStartTime time.Time
	// RoutingTarget routes the task to a Worker, TaskQueue or Workflow SID
	// instead of through the workflow's filters (routing_target.go).
	RoutingTarget string
	// IgnoreCapacity: with a Worker RoutingTarget, offer the task even when
	// the worker has no room or is unavailable. nil = the default (true
	// with a Worker target, false otherwise).
	IgnoreCapacity *bool
	// TaskQueueSID is the queue a task routed to a worker waits in.
	TaskQueueSID string
}

// CreateTask creates a task and routes it at once: by the time this returns
// it may already be reserved (or, with no route at all, canceled).
func (e *Engine) CreateTask(wsSID string, p CreateTaskParams) (*Task, error) {
	e.begin()
	defer e.end()
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	var wf *Workflow
	switch {
	case twilio.IsSID(strings.TrimSpace(p.RoutingTarget), "WW"):
		// the workflow RoutingTarget names (routingTarget, below)
	case p.WorkflowSID != "":
		if wf = ws.workflows.get(p.WorkflowSID); wf == nil {
			return nil, twilio.InvalidParam("WorkflowSid", "%q is not a Workflow in workspace %s", p.WorkflowSID, ws.SID)
		}
	case len(ws.workflows.list) == 1:
		wf = ws.workflows.list[0]
	default:
		return nil, twilio.InvalidParam("WorkflowSid", "required when the workspace has %d workflows", len(ws.workflows.list))
	}
	var attrs string
	var m map[string]any
	if p.AttributesMap != nil && strings.TrimSpace(p.Attributes) != "" {
		attrs, m, err = p.Attributes, p.AttributesMap, checkAttributes(p.Attributes)
	} else {
		attrs, m, err = parseAttributes(p.Attributes)
	}
	if err != nil {
		return nil, err
	}
	prio := 0
	if p.Priority != nil {
		if prio = *p.Priority; prio < 0 || prio > math.MaxInt32 {
			return nil, twilio.InvalidParam("Priority", "%d is out of range [0, 2147483647]", prio)
		}
	}
	if p.Timeout == 0 {
		p.Timeout = DefaultTaskTimeout
	}
	if p.Timeout < 1 || p.Timeout > MaxTaskTimeout {
		return nil, twilio.InvalidParam("Timeout", "%d is out of range [1, %d]", p.Timeout, MaxTaskTimeout)
	}
	target, direct, ignoreCapacity, err := e.routingTarget(ws, wf, &p)
	if err != nil {
		return nil, err
	}
	if target != nil {
		wf = target
	}
	cfg := wf.cfg
	if direct != nil {
		cfg = direct
	}
	chName := p.TaskChannel
	if chName == "" {
		chName = "default"
	}
	ch := ws.findChannel(chName)
	if ch == nil {
		return nil, twilio.InvalidParam("TaskChannel", "%q is not a TaskChannel in workspace %s", chName, ws.SID)
	}
	now := e.env.Now()
	vst := now
	if !p.VirtualStartTime.IsZero() {
		if p.VirtualStartTime.After(now) || p.VirtualStartTime.Year() < 1900 {
			return nil, twilio.InvalidParam("VirtualStartTime", "must not be in the future or before 1900")
		}
		vst = p.VirtualStartTime.UTC()
	}
	sid, err := e.pickSID(p.SID, "WT", func(s string) bool { return ws.tasks.get(s) != nil })
	if err != nil {
		return nil, err
	}
	t := &Task{SID: sid, AccountSID: e.env.AccountSID, WorkspaceSID: ws.SID, WorkflowSID: wf.SID,
		WorkflowFriendlyName: wf.FriendlyName, TaskChannelSID: ch.SID, TaskChannelUniqueName: ch.UniqueName,
		Attributes: attrs, AttributesMap: m, AssignmentStatus: TaskPending, Priority: prio, Timeout: p.Timeout,
		Addons: "{}", RoutingTarget: p.RoutingTarget, IgnoreCapacity: ignoreCapacity, VirtualStartTime: vst,
		DateCreated: now, DateUpdated: now, seq: e.nextSeq(), workflow: wf, channel: ch, cfg: cfg,
		ver: e.created()}
	ws.tasks.add(sid, t)
	t.ttlTimer = e.after(time.Duration(t.Timeout)*time.Second, func() { e.ttlExpired(ws, t) })
	e.emit(e.taskEvent(eventtype.TaskCreated, t), sid,
		"task "+sid+" created in workflow "+wf.FriendlyName+" (channel "+ch.UniqueName+", priority "+strconv.Itoa(prio)+")",
		taskRefs(t))
	if !cfg.direct {
		e.emit(e.taskEvent(eventtype.WorkflowEntered, t), sid, "task "+sid+" entered workflow "+wf.FriendlyName, taskRefs(t))
	}
	e.route(ws, t, 0, 0, false)
	return t, nil
}

// UpdateTaskParams are the Task update parameters; nil = unchanged.
type UpdateTaskParams struct {
	Attributes       *string
	AssignmentStatus *string // canceled | wrapping | completed
	Reason           *string // required with canceled and completed
	Priority         *int
	TaskChannel      *string
	VirtualStartTime *time.Time
}

// UpdateTask changes a task. New attributes or channel re-evaluate the
// workflow for a waiting task; AssignmentStatus drives the task lifecycle.
func (e *Engine) UpdateTask(wsSID, sid string, p UpdateTaskParams) (*Task, error) {
	e.begin()
	defer e.end()
	ws, t, err := e.task(wsSID, sid)
	if err != nil {
		return nil, err
	}
	var attrs string
	var m map[string]any
	if p.Attributes != nil {
		if attrs, m, err = parseAttributes(*p.Attributes); err != nil {
			return nil, err
		}
	}
	if p.Priority != nil && (*p.Priority < 0 || *p.Priority > math.MaxInt32) {
		return nil, twilio.InvalidParam("Priority", "%d is out of range [0, 2147483647]", *p.Priority)
	}
	var ch *TaskChannel
	if p.TaskChannel != nil {
		if ch = ws.findChannel(*p.TaskChannel); ch == nil {
			return nil, twilio.InvalidParam("TaskChannel", "%q is not a TaskChannel in workspace %s", *p.TaskChannel, ws.SID)
		}
	}
	now := e.env.Now()
	if p.VirtualStartTime != nil && (p.VirtualStartTime.After(now) || p.VirtualStartTime.Year() < 1900) {
		return nil, twilio.InvalidParam("VirtualStartTime", "must not be in the future or before 1900")
	}
	status := ""
	if p.AssignmentStatus != nil {
		status = strings.ToLower(*p.AssignmentStatus)
		if err := checkTaskTransition(t, status); err != nil {
			return nil, err
		}
		if (status == TaskCanceled || status == TaskCompleted) && (p.Reason == nil || strings.TrimSpace(*p.Reason) == "") {
			return nil, twilio.InvalidParam("Reason", "required when AssignmentStatus is %s", status)
		}
	} else if t.terminal() && (p.Attributes != nil || p.Priority != nil || p.TaskChannel != nil) {
		return nil, twilio.BadRequest("Task %s is %s and can no longer be updated", t.SID, t.AssignmentStatus)
	}

	// Validation done: apply.
	reroute := false
	if p.Attributes != nil || p.Priority != nil || p.TaskChannel != nil || p.VirtualStartTime != nil {
		if t.queued {
			t.queue.dequeue(t) // the ordering key may change
		}
		if p.Attributes != nil {
			t.Attributes, t.AttributesMap = attrs, m
			reroute = true
		}
		prevPriority := t.Priority
		if p.Priority != nil {
			t.Priority = *p.Priority
		}
		if p.VirtualStartTime != nil {
			t.VirtualStartTime = p.VirtualStartTime.UTC()
		}
		if ch != nil && ch != t.channel {
			t.channel, t.TaskChannelSID, t.TaskChannelUniqueName = ch, ch.SID, ch.UniqueName
			reroute = true
		}
		if t.queued {
			t.queue.enqueue(t)
		}
		e.touchTask(t, now)
		refs := taskRefs(t)
		if prevPriority != t.Priority {
			refs["previous_task_priority"] = fmt.Sprint(prevPriority)
		}
		e.emit(e.taskEvent(eventtype.TaskUpdated, t), t.SID, fmt.Sprintf("task %s updated", t.SID), refs)
	}
	switch status {
	case TaskCanceled:
		e.cancelTask(ws, t, *p.Reason)
	case TaskWrapping:
		e.wrapTask(ws, t)
	case TaskCompleted:
		e.completeTask(ws, t, *p.Reason)
	default:
		if t.waiting() {
			if reroute && status == "" {
				e.reevaluate(ws, t, nil)
			} else {
				e.tryReserve(ws, t)
			}
		}
	}
	return t, nil
}

// checkTaskTransition enforces Twilio's AssignmentStatus updates: canceled
// from pending/reserved, wrapping from assigned, completed from assigned/wrapping.
func checkTaskTransition(t *Task, to string) error {
	ok := false
	switch to {
	case TaskCanceled:
		ok = t.waiting()
	case TaskWrapping:
		ok = t.AssignmentStatus == TaskAssigned
	case TaskCompleted:
		ok = t.AssignmentStatus == TaskAssigned || t.AssignmentStatus == TaskWrapping
	default:
		return twilio.InvalidParam("AssignmentStatus", "%q must be canceled, wrapping or completed", to)
	}
	if !ok {
		return twilio.InvalidParam("AssignmentStatus", "task %s is %s and cannot become %s", t.SID, t.AssignmentStatus, to)
	}
	return nil
}

// DeleteTask removes a task in any state, canceling its pending reservations
// and releasing any capacity it holds.
func (e *Engine) DeleteTask(wsSID, sid string) error {
	e.begin()
	defer e.end()
	ws, t, err := e.task(wsSID, sid)
	if err != nil {
		return err
	}
	stopTimer(&t.ttlTimer)
	stopTimer(&t.stepTimer)
	t.stepGen++
	if t.queued {
		t.queue.dequeue(t)
		t.queued = false
	}
	freed := e.endPendingReservations(ws, t, StatusCanceled)
	if r := t.accepted; r != nil && (r.ReservationStatus == StatusAccepted || r.ReservationStatus == StatusWrapping) {
		e.release(r)
		freed = append(freed, r.worker)
	}
	for _, r := range t.resList {
		ws.reservations.remove(r.SID)
		w := r.worker
		if i := slices.Index(w.reservations, r); i >= 0 {
			w.reservations = slices.Delete(w.reservations, i, i+1)
		}
	}
	ws.tasks.remove(sid)
	e.emit(e.taskEvent(eventtype.TaskDeleted, t), sid, fmt.Sprintf("task %s deleted (was %s)", sid, t.AssignmentStatus), taskRefs(t))
	e.offerWorkers(ws, freed)
	return nil
}

// Task returns one task.
func (e *Engine) Task(wsSID, sid string) (*Task, error) {
	_, t, err := e.task(wsSID, sid)
	return t, err
}

// TaskFilter selects tasks in ListTasks; zero fields do not filter.
type TaskFilter struct {
	AssignmentStatus       []string
	Priority               *int
	WorkflowSID            string
	WorkflowName           string
	TaskQueueSID           string
	TaskQueueName          string
	TaskChannel            string // unique name or TC SID
	EvaluateTaskAttributes string // expression over task attributes
	RoutingTarget          string // the RoutingTarget the task was created with
	HasAddons              *bool  // true: tasks with add-on results; false: without
	// Ordering is Twilio's "DateCreated|Priority|VirtualStartTime[:asc|:desc]",
	// comma separated; default DateCreated:asc.
	Ordering string
}

// Tasks lists all of a workspace's tasks, oldest first.
func (e *Engine) Tasks(wsSID string) ([]*Task, error) {
	return e.ListTasks(wsSID, TaskFilter{})
}

// ListTasks lists a workspace's tasks matching f.
func (e *Engine) ListTasks(wsSID string, f TaskFilter) ([]*Task, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	for _, s := range f.AssignmentStatus {
		switch s {
		case TaskPending, TaskReserved, TaskAssigned, TaskWrapping, TaskCompleted, TaskCanceled:
		default:
			return nil, twilio.InvalidParam("AssignmentStatus", "%q is not a task status", s)
		}
	}
	var x *expr.Expr
	if f.EvaluateTaskAttributes != "" {
		if x, err = parseExpr("EvaluateTaskAttributes", f.EvaluateTaskAttributes); err != nil {
			return nil, err
		}
	}
	less, err := taskOrdering(f.Ordering)
	if err != nil {
		return nil, err
	}
	out := make([]*Task, 0, len(ws.tasks.list))
	for _, t := range ws.tasks.list {
		if (len(f.AssignmentStatus) > 0 && !slices.Contains(f.AssignmentStatus, t.AssignmentStatus)) ||
			(f.Priority != nil && t.Priority != *f.Priority) ||
			(f.WorkflowSID != "" && t.WorkflowSID != f.WorkflowSID) ||
			(f.WorkflowName != "" && t.WorkflowFriendlyName != f.WorkflowName) ||
			(f.TaskQueueSID != "" && t.TaskQueueSID != f.TaskQueueSID) ||
			(f.TaskQueueName != "" && t.TaskQueueFriendlyName != f.TaskQueueName) ||
			(f.TaskChannel != "" && t.TaskChannelUniqueName != f.TaskChannel && t.TaskChannelSID != f.TaskChannel) ||
			(f.RoutingTarget != "" && t.RoutingTarget != f.RoutingTarget) ||
			(f.HasAddons != nil && t.hasAddons() != *f.HasAddons) {
			continue
		}
		if x != nil {
			if attrs := t.attrsView(); !x.Eval(&expr.Vars{Default: attrs, Task: attrs, Now: e.env.Now()}) {
				continue
			}
		}
		out = append(out, t)
	}
	if less != nil {
		slices.SortStableFunc(out, less)
	}
	return out, nil
}

// hasAddons reports whether the task carries add-on results (addons other
// than the empty object).
func (t *Task) hasAddons() bool {
	a := strings.TrimSpace(t.Addons)
	return a != "" && a != "{}" && a != "null"
}

// taskOrdering parses the Ordering list filter into a comparison.
func taskOrdering(s string) (func(a, b *Task) int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	type key struct {
		field string
		desc  bool
	}
	var keys []key
	hasDate, hasVST := false, false
	for _, part := range strings.Split(s, ",") {
		field, dir, _ := strings.Cut(strings.TrimSpace(part), ":")
		k := key{field: field}
		switch strings.ToLower(dir) {
		case "", "asc":
		case "desc":
			k.desc = true
		default:
			return nil, twilio.InvalidParam("Ordering", "%q: direction must be asc or desc", part)
		}
		switch field {
		case "DateCreated":
			hasDate = true
		case "VirtualStartTime":
			hasVST = true
		case "Priority":
		default:
			return nil, twilio.InvalidParam("Ordering", "%q: field must be DateCreated, Priority or VirtualStartTime", part)
		}
		keys = append(keys, k)
	}
	if hasDate && hasVST {
		return nil, twilio.InvalidParam("Ordering", "DateCreated and VirtualStartTime cannot be combined")
	}
	return func(a, b *Task) int {
		for _, k := range keys {
			c := 0
			switch k.field {
			case "DateCreated":
				c = a.DateCreated.Compare(b.DateCreated)
				if c == 0 {
					c = cmpU64(a.seq, b.seq)
				}
			case "VirtualStartTime":
				c = a.VirtualStartTime.Compare(b.VirtualStartTime)
			case "Priority":
				c = a.Priority - b.Priority
			}
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	}, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (e *Engine) task(wsSID, sid string) (*Workspace, *Task, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, nil, err
	}
	t := ws.tasks.get(sid)
	if t == nil {
		return nil, nil, twilio.NotFound(fmt.Sprintf("/Workspaces/%s/Tasks/%s", wsSID, sid))
	}
	return ws, t, nil
}

// taskEvent builds the Event for a task-level change.
func (e *Engine) taskEvent(typ EventType, t *Task) Event {
	return Event{Type: typ, WorkspaceSID: t.WorkspaceSID, TaskSID: t.SID, TaskQueueSID: t.TaskQueueSID, WorkflowSID: t.WorkflowSID}
}

func taskRefs(t *Task) map[string]string { return taskRefsFor(t, 0) }

// taskRefsFor is taskRefs with room for extra more refs.
func taskRefsFor(t *Task, extra int) map[string]string {
	refs := make(map[string]string, 8+extra)
	refs["workspace_sid"], refs["task_sid"], refs["workflow_sid"] = t.WorkspaceSID, t.SID, t.WorkflowSID
	refs["workflow_name"], refs["task_channel"] = t.WorkflowFriendlyName, t.TaskChannelUniqueName
	refs["assignment_status"] = t.AssignmentStatus
	if t.TaskQueueSID != "" {
		refs["task_queue_sid"], refs["task_queue_name"] = t.TaskQueueSID, t.TaskQueueFriendlyName
	}
	return refs
}
