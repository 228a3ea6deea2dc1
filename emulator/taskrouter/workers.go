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

// Worker is an agent who receives reservations.
type Worker struct {
	SID               string
	WorkspaceSID      string
	FriendlyName      string
	Attributes        string         // JSON text exactly as given
	AttributesMap     map[string]any // decoded Attributes
	ActivitySID       string
	ActivityName      string
	Available         bool // mirrors the activity
	DateCreated       time.Time
	DateUpdated       time.Time
	DateStatusChanged time.Time
	// Version counts the worker's changes (activity, attributes, name);
	// Twilio's ETag / If-Match value. See version.go.
	Version int

	ver          versioned
	seq          uint64
	lastAssigned uint64 // engine assignSeq of the last reservation/assignment; 0 = never
	activity     *Activity
	info         expr.WorkerInfo
	channels     []*WorkerChannel
	reservations []*Reservation // every reservation ever offered, oldest first
	active       int            // reservations pending, accepted or wrapping

	// routing indexes (index.go)
	ws      *Workspace
	queues  []*TaskQueue // queues whose target_workers the worker matches
	nameKey string       // case-folded FriendlyName
	slot    uint32       // Workspace.idx.slots index
}

// Channels returns the worker's channels in task-channel order.
func (w *Worker) Channels() []*WorkerChannel { return append([]*WorkerChannel(nil), w.channels...) }

func (w *Worker) channelFor(c *TaskChannel) *WorkerChannel {
	for _, wc := range w.channels {
		if wc.channel == c {
			return wc
		}
	}
	return nil
}

// WorkerChannel is a worker's capacity for one task channel.
type WorkerChannel struct {
	SID                   string
	WorkspaceSID          string
	WorkerSID             string
	TaskChannelSID        string
	TaskChannelUniqueName string
	ConfiguredCapacity    int
	AssignedTasks         int // accepted or wrapping reservations on this channel
	Available             bool
	DateCreated           time.Time
	DateUpdated           time.Time
	// LastReservedTime is when the worker was last offered a reservation on
	// this channel (zero: never); the Worker SDK's Channel shows it.
	LastReservedTime time.Time

	pending      int    // pending reservations on this channel
	lastAssigned uint64 // assignSeq of the last reservation on this channel (channel-optimized routing)
	channel      *TaskChannel
	inReady      bool   // in the ready sets of the worker's queues (index.go)
	readyKey     uint64 // idle key it was inserted with (may lag idleKey; see freshReady)
}

// AvailableCapacityPercentage is the share of capacity not taken by assigned
// tasks; 0 when the channel is unavailable or has no capacity.
func (wc *WorkerChannel) AvailableCapacityPercentage() int {
	if !wc.Available || wc.ConfiguredCapacity <= 0 {
		return 0
	}
	free := wc.ConfiguredCapacity - wc.AssignedTasks
	if free < 0 {
		free = 0
	}
	return free * 100 / wc.ConfiguredCapacity
}

// hasRoom reports whether one more reservation fits (multitasking rule).
func (wc *WorkerChannel) hasRoom() bool {
	return wc.Available && wc.AssignedTasks+wc.pending < wc.ConfiguredCapacity
}

func newWorkerChannel(w *Worker, c *TaskChannel, now time.Time) *WorkerChannel {
	return &WorkerChannel{SID: twilio.NewSID("WC"), WorkspaceSID: w.WorkspaceSID, WorkerSID: w.SID,
		TaskChannelSID: c.SID, TaskChannelUniqueName: c.UniqueName, ConfiguredCapacity: 1, Available: true,
		DateCreated: now, DateUpdated: now, channel: c}
}

// CreateWorkerParams are the Worker create parameters.
type CreateWorkerParams struct {
	SID          string // optional pinned SID (fixtures)
	FriendlyName string
	ActivitySID  string // default: the workspace's default activity
	Attributes   string // JSON object, default "{}"
}

// CreateWorker adds a worker with one WorkerChannel (capacity 1) per task
// channel; an available new worker is immediately offered waiting tasks.
func (e *Engine) CreateWorker(wsSID string, p CreateWorkerParams) (*Worker, error) {
	e.begin()
	defer e.end()
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	if err := checkName("FriendlyName", p.FriendlyName); err != nil {
		return nil, err
	}
	if ws.workerByName(p.FriendlyName) != nil {
		return nil, twilio.Conflict(twilio.CodeConflict, "A Worker with FriendlyName %q already exists in workspace %s", p.FriendlyName, ws.SID)
	}
	attrs, m, err := parseAttributes(p.Attributes)
	if err != nil {
		return nil, err
	}
	actSID := p.ActivitySID
	if actSID == "" {
		actSID = ws.DefaultActivitySID
	}
	act := ws.activities.get(actSID)
	if act == nil {
		if p.ActivitySID == "" {
			return nil, twilio.MissingParam("ActivitySid")
		}
		return nil, twilio.InvalidParam("ActivitySid", "%q is not an Activity in workspace %s", p.ActivitySID, ws.SID)
	}
	sid, err := e.pickSID(p.SID, "WK", func(s string) bool { return ws.workers.get(s) != nil })
	if err != nil {
		return nil, err
	}
	now := e.env.Now()
	w := &Worker{SID: sid, WorkspaceSID: ws.SID, FriendlyName: p.FriendlyName, Attributes: attrs, AttributesMap: m,
		DateCreated: now, DateUpdated: now, DateStatusChanged: now, seq: e.nextSeq(), ver: e.created()}
	w.setActivity(act)
	w.info.SID, w.info.FriendlyName = sid, w.FriendlyName
	for _, c := range ws.channels.list {
		w.channels = append(w.channels, newWorkerChannel(w, c, now))
	}
	ws.workers.add(sid, w)
	e.indexWorker(ws, w)
	e.emit(Event{Type: eventtype.WorkerCreated, WorkspaceSID: ws.SID, WorkerSID: sid}, sid,
		fmt.Sprintf("worker %s %q created in activity %s", sid, w.FriendlyName, w.ActivityName),
		map[string]string{"workspace_sid": ws.SID, "worker_sid": w.SID, "worker_name": w.FriendlyName, "activity_sid": w.ActivitySID, "activity_name": w.ActivityName})
	e.offerWorker(ws, w)
	return w, nil
}

func (w *Worker) setActivity(a *Activity) {
	w.activity = a
	w.ActivitySID, w.ActivityName, w.Available = a.SID, a.FriendlyName, a.Available
	w.info.ActivitySID, w.info.ActivityName = a.SID, a.FriendlyName
}

// UpdateWorkerParams are the Worker update parameters; nil = unchanged.
type UpdateWorkerParams struct {
	FriendlyName *string
	ActivitySID  *string
	Attributes   *string // replaces the whole JSON object
	// RejectPendingReservations rejects the worker's pending reservations;
	// only valid together with an unavailable ActivitySid.
	RejectPendingReservations bool
}

// UpdateWorker changes a worker. Becoming available, or attributes that
// change queue membership, offer the worker waiting tasks.
func (e *Engine) UpdateWorker(wsSID, sid string, p UpdateWorkerParams) (*Worker, error) {
	e.begin()
	defer e.end()
	ws, w, err := e.worker(wsSID, sid)
	if err != nil {
		return nil, err
	}
	if p.FriendlyName != nil {
		if err := checkName("FriendlyName", *p.FriendlyName); err != nil {
			return nil, err
		}
		if o := ws.workerByName(*p.FriendlyName); o != nil && o != w {
			return nil, twilio.Conflict(twilio.CodeConflict, "A Worker with FriendlyName %q already exists in workspace %s", *p.FriendlyName, ws.SID)
		}
	}
	var act *Activity
	if p.ActivitySID != nil {
		if act = ws.activities.get(*p.ActivitySID); act == nil {
			return nil, twilio.InvalidParam("ActivitySid", "%q is not an Activity in workspace %s", *p.ActivitySID, ws.SID)
		}
	}
	if p.RejectPendingReservations && (act == nil || act.Available) {
		return nil, twilio.InvalidParam("RejectPendingReservations", "only allowed when moving the worker to an unavailable ActivitySid")
	}
	var attrs string
	var m map[string]any
	if p.Attributes != nil {
		if attrs, m, err = parseAttributes(*p.Attributes); err != nil {
			return nil, err
		}
	}
	now := e.env.Now()
	if p.FriendlyName != nil {
		ws.unindexWorkerName(w)
		w.FriendlyName = *p.FriendlyName
		w.info.FriendlyName = w.FriendlyName
		ws.indexWorkerName(w)
		for _, r := range w.reservations {
			r.WorkerName = w.FriendlyName
		}
	}
	e.touchWorker(w, now)
	if p.FriendlyName != nil || p.Attributes != nil {
		if p.Attributes != nil {
			w.Attributes, w.AttributesMap = attrs, m
		}
		e.refreshMembership(ws, w) // expressions read attributes and friendly_name
	}
	if p.Attributes != nil {
		e.emit(Event{Type: eventtype.WorkerAttributesUpdate, WorkspaceSID: ws.SID, WorkerSID: w.SID}, w.SID,
			fmt.Sprintf("worker %s attributes updated", w.FriendlyName),
			map[string]string{"workspace_sid": ws.SID, "worker_sid": w.SID, "worker_name": w.FriendlyName})
	}
	if act != nil && act != w.activity {
		e.moveWorker(ws, w, act)
	}
	if p.RejectPendingReservations {
		for _, r := range w.pendingReservations() {
			e.rejectReservation(ws, r, nil)
		}
	}
	e.offerWorker(ws, w)
	return w, nil
}

// moveWorker changes a worker's activity and records worker.activity.update.
// It does not offer tasks; callers do once their whole change is applied.
func (e *Engine) moveWorker(ws *Workspace, w *Worker, act *Activity) {
	prev := w.activity
	e.changeActivity(ws, w, act)
	now := e.env.Now()
	w.DateStatusChanged = now
	e.touchWorker(w, now)
	e.emit(Event{Type: eventtype.WorkerActivityUpdate, WorkspaceSID: ws.SID, WorkerSID: w.SID}, w.SID,
		fmt.Sprintf("worker %s moved from %s to %s", w.FriendlyName, prev.FriendlyName, act.FriendlyName),
		map[string]string{"workspace_sid": ws.SID, "worker_sid": w.SID, "worker_name": w.FriendlyName, "activity_sid": act.SID,
			"activity_name": act.FriendlyName, "previous_activity_sid": prev.SID, "previous_activity_name": prev.FriendlyName})
}

func (w *Worker) pendingReservations() []*Reservation {
	var out []*Reservation
	for _, r := range w.reservations {
		if r.ReservationStatus == StatusPending {
			out = append(out, r)
		}
	}
	return out
}

// DeleteWorker removes a worker that holds no pending, accepted or wrapping
// reservation (Twilio refuses to delete a worker with work in flight).
func (e *Engine) DeleteWorker(wsSID, sid string) error {
	e.begin()
	defer e.end()
	ws, w, err := e.worker(wsSID, sid)
	if err != nil {
		return err
	}
	if w.active > 0 {
		return twilio.BadRequest("Worker %s cannot be deleted while it has pending or assigned reservations", w.SID)
	}
	e.unindexWorker(ws, w)
	ws.workers.remove(sid)
	e.emit(Event{Type: eventtype.WorkerDeleted, WorkspaceSID: ws.SID, WorkerSID: sid}, sid,
		fmt.Sprintf("worker %s %q deleted", sid, w.FriendlyName),
		map[string]string{"workspace_sid": ws.SID, "worker_sid": w.SID, "worker_name": w.FriendlyName})
	return nil
}

// Worker returns one worker.
func (e *Engine) Worker(wsSID, sid string) (*Worker, error) {
	_, w, err := e.worker(wsSID, sid)
	return w, err
}

// WorkerByName returns a worker by friendly name (case-insensitive, as
// Twilio treats worker names as unique case-insensitively).
func (e *Engine) WorkerByName(wsSID, name string) (*Worker, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	if w := ws.workerByName(name); w != nil {
		return w, nil
	}
	return nil, twilio.NotFound(fmt.Sprintf("/Workspaces/%s/Workers?FriendlyName=%s", wsSID, name))
}

func (ws *Workspace) workerByName(name string) *Worker {
	return ws.idx.workerNames[nameKey(name)]
}

// WorkerFilter selects workers in Workers; zero fields do not filter.
type WorkerFilter struct {
	Available               *bool
	ActivitySID             string
	ActivityName            string
	FriendlyName            string // exact, case-insensitive
	TaskQueueSID            string // workers eligible for the queue (matching its target_workers)
	TaskQueueName           string
	TargetWorkersExpression string
	// Ordering is "DateStatusChanged:asc" or "DateStatusChanged:desc" (the
	// values Twilio's SDKs send); default creation order.
	Ordering string
}

// Workers lists a workspace's workers matching f, oldest first unless
// f.Ordering says otherwise. Queue filters use the membership index.
func (e *Engine) Workers(wsSID string, f WorkerFilter) ([]*Worker, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	var queues []*TaskQueue
	if f.TaskQueueSID != "" {
		q := ws.queues.get(f.TaskQueueSID)
		if q == nil {
			return nil, twilio.InvalidParam("TaskQueueSid", "%q is not a TaskQueue in workspace %s", f.TaskQueueSID, ws.SID)
		}
		queues = append(queues, q)
	}
	if f.TaskQueueName != "" {
		q := ws.queueByName(f.TaskQueueName)
		if q == nil {
			return nil, twilio.InvalidParam("TaskQueueName", "no TaskQueue named %q in workspace %s", f.TaskQueueName, ws.SID)
		}
		queues = append(queues, q)
	}
	var x *expr.Expr
	if f.TargetWorkersExpression != "" {
		if x, err = parseExpr("TargetWorkersExpression", f.TargetWorkersExpression); err != nil {
			return nil, err
		}
	}
	desc, err := parseOrdering("Ordering", f.Ordering, "DateStatusChanged")
	if err != nil {
		return nil, err
	}
	out := make([]*Worker, 0, len(ws.workers.list))
next:
	for _, w := range ws.workers.list {
		if (f.Available != nil && w.Available != *f.Available) ||
			(f.ActivitySID != "" && w.ActivitySID != f.ActivitySID) ||
			(f.ActivityName != "" && w.ActivityName != f.ActivityName) ||
			(f.FriendlyName != "" && !strings.EqualFold(w.FriendlyName, f.FriendlyName)) {
			continue
		}
		for _, q := range queues {
			if !e.inQueue(q, w) {
				continue next
			}
		}
		if x != nil && !e.matchesWorker(x, w) {
			continue
		}
		out = append(out, w)
	}
	if desc != nil {
		slices.SortStableFunc(out, func(a, b *Worker) int {
			c := a.DateStatusChanged.Compare(b.DateStatusChanged)
			if c == 0 {
				c = cmpU64(a.seq, b.seq)
			}
			if *desc {
				c = -c
			}
			return c
		})
	}
	return out, nil
}

// parseOrdering parses a single-field Ordering filter "<field>[:asc|:desc]";
// it returns nil for an empty value, else whether the order is descending.
func parseOrdering(param, s, field string) (*bool, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	name, dir, _ := strings.Cut(s, ":")
	if name != field {
		return nil, twilio.InvalidParam(param, "%q: must be %s:asc or %s:desc", s, field, field)
	}
	desc := false
	switch strings.ToLower(dir) {
	case "", "asc":
	case "desc":
		desc = true
	default:
		return nil, twilio.InvalidParam(param, "%q: direction must be asc or desc", s)
	}
	return &desc, nil
}

// UpdateWorkerChannelParams are the WorkerChannel update parameters.
type UpdateWorkerChannelParams struct {
	Capacity  *int
	Available *bool
}

// UpdateWorkerChannel changes a worker's capacity or availability on one
// channel; channel is the WC SID, the TC SID or the task channel unique name.
func (e *Engine) UpdateWorkerChannel(wsSID, workerSID, channel string, p UpdateWorkerChannelParams) (*WorkerChannel, error) {
	e.begin()
	defer e.end()
	ws, w, wc, err := e.workerChannel(wsSID, workerSID, channel)
	if err != nil {
		return nil, err
	}
	if p.Capacity != nil && (*p.Capacity < 0 || *p.Capacity > 1000) {
		return nil, twilio.InvalidParam("Capacity", "%d is out of range [0, 1000]", *p.Capacity)
	}
	refs := map[string]string{"workspace_sid": ws.SID, "worker_sid": w.SID, "worker_name": w.FriendlyName, "task_channel": wc.TaskChannelUniqueName}
	if p.Capacity != nil && *p.Capacity != wc.ConfiguredCapacity {
		prev := wc.ConfiguredCapacity
		wc.ConfiguredCapacity = *p.Capacity
		e.emit(Event{Type: eventtype.WorkerCapacityUpdate, WorkspaceSID: ws.SID, WorkerSID: w.SID, WorkerChannelSID: wc.SID}, wc.SID,
			fmt.Sprintf("worker %s %s capacity %d -> %d", w.FriendlyName, wc.TaskChannelUniqueName, prev, wc.ConfiguredCapacity), refs)
	}
	if p.Available != nil && *p.Available != wc.Available {
		wc.Available = *p.Available
		e.emit(Event{Type: eventtype.WorkerChannelAvailabilityUpdate, WorkspaceSID: ws.SID, WorkerSID: w.SID, WorkerChannelSID: wc.SID}, wc.SID,
			fmt.Sprintf("worker %s %s available=%t", w.FriendlyName, wc.TaskChannelUniqueName, wc.Available), refs)
	}
	wc.DateUpdated = e.env.Now()
	e.syncReady(ws, w)
	e.offerWorker(ws, w)
	return wc, nil
}

// WorkerChannel returns one of a worker's channels (by WC SID, TC SID or unique name).
func (e *Engine) WorkerChannel(wsSID, workerSID, channel string) (*WorkerChannel, error) {
	_, _, wc, err := e.workerChannel(wsSID, workerSID, channel)
	return wc, err
}

func (e *Engine) workerChannel(wsSID, workerSID, channel string) (*Workspace, *Worker, *WorkerChannel, error) {
	ws, w, err := e.worker(wsSID, workerSID)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, wc := range w.channels {
		if wc.SID == channel || wc.TaskChannelSID == channel || wc.TaskChannelUniqueName == channel {
			return ws, w, wc, nil
		}
	}
	return nil, nil, nil, twilio.NotFound(fmt.Sprintf("/Workspaces/%s/Workers/%s/Channels/%s", wsSID, workerSID, channel))
}

func (e *Engine) worker(wsSID, sid string) (*Workspace, *Worker, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, nil, err
	}
	w := ws.workers.get(sid)
	if w == nil {
		return nil, nil, twilio.NotFound(fmt.Sprintf("/Workspaces/%s/Workers/%s", wsSID, sid))
	}
	return ws, w, nil
}

// maxAttributesChars is TaskRouter's documented bound on Task and Worker
// Attributes, whitespace included (TaskRouter limits page; docs/fidelity.md,
// "Limits").
const maxAttributesChars = 4096

// parseAttributes validates an Attributes JSON object ("" means "{}") of at
// most maxAttributesChars characters.
func parseAttributes(text string) (string, map[string]any, error) {
	if strings.TrimSpace(text) == "" {
		return "{}", map[string]any{}, nil
	}
	if err := twilio.CheckLength(twilio.CodeInvalidParameter, "Attributes", text, maxAttributesChars); err != nil {
		return "", nil, err
	}
	m, err := parseJSONObject("Attributes", text)
	if err != nil {
		return "", nil, err
	}
	return text, m, nil
}

// checkAttributes applies parseAttributes' limits to non-blank Attributes
// text whose decoded value the caller already has.
func checkAttributes(text string) error {
	if err := twilio.CheckLength(twilio.CodeInvalidParameter, "Attributes", text, maxAttributesChars); err != nil {
		return err
	}
	return twilio.CheckJSON("Attributes", text, twilio.MaxJSONBytes)
}

// parseExpr compiles an expression, naming param and the position in errors.
func parseExpr(param, src string) (*expr.Expr, error) {
	x, err := expr.Parse(src)
	if err != nil {
		return nil, twilio.InvalidParam(param, "%v", err)
	}
	return x, nil
}
