package taskrouter

import (
	"fmt"
	"github.com/flexemu/flexemu/emulator/eventtype"
	"slices"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/taskrouter/expr"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// TaskQueue groups the workers matching TargetWorkers; tasks wait in it
// ordered by TaskOrder until a worker is reserved.
type TaskQueue struct {
	SID                     string
	WorkspaceSID            string
	FriendlyName            string
	TargetWorkers           string // expression text as given ("" = nobody)
	MaxReservedWorkers      int
	TaskOrder               string // FIFO | LIFO
	ReservationActivitySID  string
	ReservationActivityName string
	AssignmentActivitySID   string
	AssignmentActivityName  string
	DateCreated             time.Time
	DateUpdated             time.Time

	targetExpr *expr.Expr // nil when TargetWorkers is empty: matches nobody
	// idx holds the waiting tasks (FIFO: priority desc then oldest; LIFO:
	// newest first), their lanes and the ready workers; see index.go.
	idx queueIndex
	// direct holds the routing of tasks whose RoutingTarget is this queue
	// or a worker (routing_target.go); nil until the first such task.
	direct *directRouting
}

// DefaultTargetWorkers is what Twilio uses when TargetWorkers is not sent.
const DefaultTargetWorkers = "1==1"

// CreateTaskQueueParams are the TaskQueue create parameters.
type CreateTaskQueueParams struct {
	SID                    string // optional pinned SID (fixtures)
	FriendlyName           string
	TargetWorkers          string // default "1==1"; use UpdateTaskQueue for an empty one
	MaxReservedWorkers     int    // 1..50, 0 means 1
	TaskOrder              string // FIFO (default) | LIFO
	ReservationActivitySID string
	AssignmentActivitySID  string
}

// CreateTaskQueue adds a queue; its TargetWorkers expression is compiled now
// so a syntax error is a 400 naming TargetWorkers and the position.
func (e *Engine) CreateTaskQueue(wsSID string, p CreateTaskQueueParams) (*TaskQueue, error) {
	e.begin()
	defer e.end()
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	if err := checkName("FriendlyName", p.FriendlyName); err != nil {
		return nil, err
	}
	tw := p.TargetWorkers
	if strings.TrimSpace(tw) == "" {
		tw = DefaultTargetWorkers
	}
	x, err := parseExpr("TargetWorkers", tw)
	if err != nil {
		return nil, err
	}
	if p.MaxReservedWorkers == 0 {
		p.MaxReservedWorkers = 1
	}
	if p.MaxReservedWorkers < 1 || p.MaxReservedWorkers > 50 {
		return nil, twilio.InvalidParam("MaxReservedWorkers", "%d is out of range [1, 50]", p.MaxReservedWorkers)
	}
	order, err := queueOrder("TaskOrder", p.TaskOrder)
	if err != nil {
		return nil, err
	}
	resAct, err := optActivity(ws, "ReservationActivitySid", p.ReservationActivitySID)
	if err != nil {
		return nil, err
	}
	asgAct, err := optActivity(ws, "AssignmentActivitySid", p.AssignmentActivitySID)
	if err != nil {
		return nil, err
	}
	sid, err := e.pickSID(p.SID, "WQ", func(s string) bool { return ws.queues.get(s) != nil })
	if err != nil {
		return nil, err
	}
	now := e.env.Now()
	q := &TaskQueue{SID: sid, WorkspaceSID: ws.SID, FriendlyName: p.FriendlyName, TargetWorkers: tw,
		MaxReservedWorkers: p.MaxReservedWorkers, TaskOrder: order, DateCreated: now, DateUpdated: now, targetExpr: x}
	q.setActivities(resAct, asgAct)
	q.initIndex()
	ws.queues.add(sid, q)
	e.rebuildMembership(ws, q)
	e.emit(Event{Type: eventtype.TaskQueueCreated, WorkspaceSID: ws.SID, TaskQueueSID: sid}, sid,
		fmt.Sprintf("task queue %s %q created (target_workers %s)", sid, q.FriendlyName, q.TargetWorkers),
		map[string]string{"workspace_sid": ws.SID, "task_queue_name": q.FriendlyName})
	return q, nil
}

func (q *TaskQueue) setActivities(res, asg *Activity) {
	q.ReservationActivitySID, q.ReservationActivityName = "", ""
	q.AssignmentActivitySID, q.AssignmentActivityName = "", ""
	if res != nil {
		q.ReservationActivitySID, q.ReservationActivityName = res.SID, res.FriendlyName
	}
	if asg != nil {
		q.AssignmentActivitySID, q.AssignmentActivityName = asg.SID, asg.FriendlyName
	}
}

func optActivity(ws *Workspace, param, sid string) (*Activity, error) {
	if sid == "" {
		return nil, nil
	}
	a := ws.activities.get(sid)
	if a == nil {
		return nil, twilio.InvalidParam(param, "%q is not an Activity in workspace %s", sid, ws.SID)
	}
	return a, nil
}

// UpdateTaskQueueParams are the TaskQueue update parameters; nil = unchanged.
type UpdateTaskQueueParams struct {
	FriendlyName           *string
	TargetWorkers          *string // "" empties the queue's membership: tasks just wait
	MaxReservedWorkers     *int
	TaskOrder              *string
	ReservationActivitySID *string
	AssignmentActivitySID  *string
}

// UpdateTaskQueue changes a queue and offers its waiting tasks again, as a
// new expression or reservation limit may make them assignable.
func (e *Engine) UpdateTaskQueue(wsSID, sid string, p UpdateTaskQueueParams) (*TaskQueue, error) {
	e.begin()
	defer e.end()
	ws, q, err := e.taskQueue(wsSID, sid)
	if err != nil {
		return nil, err
	}
	if p.FriendlyName != nil {
		if err := checkName("FriendlyName", *p.FriendlyName); err != nil {
			return nil, err
		}
	}
	var x *expr.Expr
	if p.TargetWorkers != nil && strings.TrimSpace(*p.TargetWorkers) != "" {
		if x, err = parseExpr("TargetWorkers", *p.TargetWorkers); err != nil {
			return nil, err
		}
	}
	if p.MaxReservedWorkers != nil && (*p.MaxReservedWorkers < 1 || *p.MaxReservedWorkers > 50) {
		return nil, twilio.InvalidParam("MaxReservedWorkers", "%d is out of range [1, 50]", *p.MaxReservedWorkers)
	}
	var order string
	if p.TaskOrder != nil {
		if order, err = queueOrder("TaskOrder", *p.TaskOrder); err != nil {
			return nil, err
		}
	}
	resAct, asgAct := ws.activities.get(q.ReservationActivitySID), ws.activities.get(q.AssignmentActivitySID)
	if p.ReservationActivitySID != nil {
		if resAct, err = optActivity(ws, "ReservationActivitySid", *p.ReservationActivitySID); err != nil {
			return nil, err
		}
	}
	if p.AssignmentActivitySID != nil {
		if asgAct, err = optActivity(ws, "AssignmentActivitySid", *p.AssignmentActivitySID); err != nil {
			return nil, err
		}
	}
	setStr(&q.FriendlyName, p.FriendlyName)
	if p.TargetWorkers != nil {
		q.TargetWorkers = *p.TargetWorkers
		q.setTargetExpr(x)
		e.rebuildMembership(ws, q)
		e.emit(Event{Type: eventtype.TaskQueueExpressionUpdated, WorkspaceSID: ws.SID, TaskQueueSID: q.SID}, q.SID,
			fmt.Sprintf("task queue %s target_workers now %q", q.FriendlyName, q.TargetWorkers),
			map[string]string{"workspace_sid": ws.SID, "task_queue_name": q.FriendlyName})
	}
	if p.MaxReservedWorkers != nil && *p.MaxReservedWorkers != q.MaxReservedWorkers {
		q.MaxReservedWorkers = *p.MaxReservedWorkers
		for _, c := range q.idx.waiting.chunks {
			for _, t := range c {
				q.syncOpen(t)
			}
		}
	}
	if p.TaskOrder != nil && order != q.TaskOrder {
		q.TaskOrder = order
		q.idx.waiting.resort()
		for _, ln := range q.idx.byKey {
			ln.open.resort()
		}
	}
	q.setActivities(resAct, asgAct)
	q.DateUpdated = e.env.Now()
	// Offer the waiting tasks again (new members, a higher limit), in serving
	// order, for as long as some member is ready to take one.
	for _, t := range q.Waiting() {
		if !q.hasReady() {
			break
		}
		e.tryReserve(ws, t)
	}
	return q, nil
}

// DeleteTaskQueue removes a queue that no workflow references and no task waits in.
func (e *Engine) DeleteTaskQueue(wsSID, sid string) error {
	e.begin()
	defer e.end()
	ws, q, err := e.taskQueue(wsSID, sid)
	if err != nil {
		return err
	}
	for _, wf := range ws.workflows.list {
		if wf.cfg.uses(q) {
			return twilio.BadRequest("TaskQueue %s cannot be deleted: workflow %q routes to it", q.SID, wf.FriendlyName)
		}
	}
	if n := q.idx.waiting.Len(); n > 0 {
		return twilio.BadRequest("TaskQueue %s cannot be deleted: %d tasks are waiting in it", q.SID, n)
	}
	for _, t := range ws.tasks.list {
		if t.queue == q && !t.terminal() {
			return twilio.BadRequest("TaskQueue %s cannot be deleted: task %s is %s in it", q.SID, t.SID, t.AssignmentStatus)
		}
		// A waiting task keeps the configuration it was routed with, which
		// may be a workflow's earlier one: its next step must not be a
		// deleted queue.
		if t.waiting() && t.cfg != nil && t.cfg.uses(q) {
			return twilio.BadRequest("TaskQueue %s cannot be deleted: task %s is routed with a workflow configuration that uses it", q.SID, t.SID)
		}
	}
	e.dropQueue(ws, q)
	ws.forgetDirectQueue(q)
	ws.queues.remove(sid)
	e.emit(Event{Type: eventtype.TaskQueueDeleted, WorkspaceSID: ws.SID, TaskQueueSID: sid}, sid,
		fmt.Sprintf("task queue %s %q deleted", sid, q.FriendlyName),
		map[string]string{"workspace_sid": ws.SID, "task_queue_name": q.FriendlyName})
	return nil
}

// TaskQueue returns one queue.
func (e *Engine) TaskQueue(wsSID, sid string) (*TaskQueue, error) {
	_, q, err := e.taskQueue(wsSID, sid)
	return q, err
}

// TaskQueueByName returns the oldest queue with that friendly name.
func (e *Engine) TaskQueueByName(wsSID, name string) (*TaskQueue, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	if q := ws.queueByName(name); q != nil {
		return q, nil
	}
	return nil, twilio.NotFound(fmt.Sprintf("/Workspaces/%s/TaskQueues?FriendlyName=%s", wsSID, name))
}

func (ws *Workspace) queueByName(name string) *TaskQueue {
	for _, q := range ws.queues.list {
		if q.FriendlyName == name {
			return q
		}
	}
	return nil
}

// TaskQueueFilter selects queues in TaskQueues; zero fields do not filter.
type TaskQueueFilter struct {
	FriendlyName string
	// WorkerSID keeps the queues whose target_workers the worker matches.
	WorkerSID string
	// EvaluateWorkerAttributes keeps the queues matching these worker attributes (JSON).
	EvaluateWorkerAttributes string
	// Ordering is "DateUpdated:asc" or "DateUpdated:desc" (the values
	// Twilio's SDKs send); default creation order.
	Ordering string
}

// TaskQueues lists a workspace's queues matching f, oldest first unless
// f.Ordering says otherwise.
func (e *Engine) TaskQueues(wsSID string, f TaskQueueFilter) ([]*TaskQueue, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	var w *Worker
	if f.WorkerSID != "" {
		if w = ws.workers.get(f.WorkerSID); w == nil {
			return nil, twilio.InvalidParam("WorkerSid", "%q is not a Worker in workspace %s", f.WorkerSID, ws.SID)
		}
	}
	var vars *expr.Vars
	if f.EvaluateWorkerAttributes != "" {
		m, err := twilio.ParseJSONObject("EvaluateWorkerAttributes", f.EvaluateWorkerAttributes)
		if err != nil {
			return nil, err
		}
		vars = &expr.Vars{Default: m, Worker: m, Now: e.env.Now()}
	}
	desc, err := parseOrdering("Ordering", f.Ordering, "DateUpdated")
	if err != nil {
		return nil, err
	}
	out := make([]*TaskQueue, 0, len(ws.queues.list))
	for _, q := range ws.queues.list {
		if (f.FriendlyName != "" && q.FriendlyName != f.FriendlyName) || (w != nil && !e.inQueue(q, w)) ||
			(vars != nil && (q.targetExpr == nil || !q.targetExpr.Eval(vars))) {
			continue
		}
		out = append(out, q)
	}
	if desc != nil {
		slices.SortStableFunc(out, func(a, b *TaskQueue) int {
			if *desc {
				return b.DateUpdated.Compare(a.DateUpdated)
			}
			return a.DateUpdated.Compare(b.DateUpdated)
		})
	}
	return out, nil
}

func (e *Engine) taskQueue(wsSID, sid string) (*Workspace, *TaskQueue, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, nil, err
	}
	q := ws.queues.get(sid)
	if q == nil {
		return nil, nil, twilio.NotFound(fmt.Sprintf("/Workspaces/%s/TaskQueues/%s", wsSID, sid))
	}
	return ws, q, nil
}

// before reports whether a is served before b in this queue.
func (q *TaskQueue) before(a, b *Task) bool {
	if q.TaskOrder == "LIFO" {
		if !a.VirtualStartTime.Equal(b.VirtualStartTime) {
			return a.VirtualStartTime.After(b.VirtualStartTime)
		}
		return a.seq > b.seq
	}
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	if !a.VirtualStartTime.Equal(b.VirtualStartTime) {
		return a.VirtualStartTime.Before(b.VirtualStartTime)
	}
	return a.seq < b.seq
}

// enqueue adds t (routed to a target in this queue) to the waiting set and
// to its lane; O(log n).
func (q *TaskQueue) enqueue(t *Task) {
	q.idx.waiting.insert(t)
	if ln := q.laneFor(t); ln != nil {
		ln.n++
		t.lane = ln
		q.syncOpen(t)
	}
}

// dequeue removes t; its ordering key must not have changed since enqueue.
func (q *TaskQueue) dequeue(t *Task) {
	q.idx.waiting.remove(t)
	ln := t.lane
	if ln == nil {
		return
	}
	if t.inOpen {
		ln.open.remove(t)
		t.inOpen = false
	}
	t.lane = nil
	if ln.n--; ln.n == 0 {
		q.dropLane(ln)
	}
}

// Waiting returns the queue's pending and reserved tasks in serving order.
func (q *TaskQueue) Waiting() []*Task {
	return q.idx.waiting.appendTo(make([]*Task, 0, q.idx.waiting.Len()))
}

// WaitingCount is the number of pending and reserved tasks in the queue.
func (q *TaskQueue) WaitingCount() int { return q.idx.waiting.Len() }
