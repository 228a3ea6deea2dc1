package taskrouter

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Restore loads data, written by Snapshot (possibly by an earlier process),
// into e, which must be fresh from New and wired but hold no state. It
// re-arms timers at their stored virtual deadlines and emits nothing. It is
// called under the account lock; on error e is left empty.
//
// Everything is built aside and validated first; only then is it installed
// in e and are the timers armed, so a failure leaves nothing behind.
func (e *Engine) Restore(data json.RawMessage) error {
	if len(e.workspaces.list) > 0 || e.hist.ws != nil || e.seq != 0 {
		return errors.New("taskrouter: restore: the engine already holds state")
	}
	var s snapEngine
	// Strict: a field this version does not know is a snapshot of another
	// shape, never something to drop silently.
	if err := twilio.DecodeStrict(data, &s); err != nil {
		return fmt.Errorf("taskrouter: restore: %w", err)
	}
	r := restorer{e: e, store: newStore[Workspace](), workflowWS: map[string]*Workspace{},
		hist: map[string]*wsHistory{}, shapes: map[string]*string{}, limit: e.hist.limit}
	if !e.hist.limitSet {
		r.limit = DefaultEventRetention
	}
	if s.EventLog != nil && (len(s.EventLog.Prefix) != 16 || !isHex(s.EventLog.Prefix)) {
		return fmt.Errorf("taskrouter: restore: event log prefix %q is not 16 hex digits", s.EventLog.Prefix)
	}
	for i := range s.Workspaces {
		sw := &s.Workspaces[i]
		if err := r.workspace(sw, s.EventLog); err != nil {
			return fmt.Errorf("taskrouter: restore: workspace %s: %w", sw.SID, err)
		}
	}
	e.workspaces, e.workflowWS = r.store, r.workflowWS
	e.seq, e.assignSeq, e.armSeq = s.Seq, s.AssignSeq, s.ArmSeq
	if s.EventLog != nil {
		e.hist.init()
		e.hist.account = e.env.AccountSID
		e.hist.prefix, e.hist.seq = s.EventLog.Prefix, s.EventLog.Seq
		e.hist.ws, e.hist.shapes = r.hist, r.shapes
	}
	// Timers with equal deadlines fire in arming order: arm them as they
	// were armed.
	slices.SortStableFunc(r.arms, func(a, b pendingArm) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return cmpU64(a.seq, b.seq)
	})
	for _, a := range r.arms {
		a.arm()
	}
	return nil
}

// restorer holds what Restore builds before installing it.
type restorer struct {
	e          *Engine
	store      store[Workspace]
	workflowWS map[string]*Workspace
	hist       map[string]*wsHistory
	shapes     map[string]*string
	limit      int // Events kept per workspace
	arms       []pendingArm
}

// pendingArm is a timer to arm once the state is installed.
type pendingArm struct {
	at  time.Time
	seq uint64
	arm func()
}

func (r *restorer) later(t *snapTimer, arm func(at time.Time, seq uint64)) {
	r.arms = append(r.arms, pendingArm{at: t.At, seq: t.Seq, arm: func() { arm(t.At, t.Seq) }})
}

func (r *restorer) workspace(s *snapWorkspace, log *snapEventLog) error {
	e := r.e
	if !twilio.IsSID(s.SID, "WS") || r.store.get(s.SID) != nil {
		return errors.New("SID missing, malformed or repeated")
	}
	order, err := queueOrder("prioritize_queue_order", s.PrioritizeQueueOrder)
	if err != nil {
		return err
	}
	ws := &Workspace{SID: s.SID, AccountSID: e.env.AccountSID, FriendlyName: s.FriendlyName,
		EventCallbackURL: s.EventCallbackURL, EventsFilter: s.EventsFilter, DefaultActivitySID: s.DefaultActivitySID,
		TimeoutActivitySID: s.TimeoutActivitySID, MultiTaskEnabled: s.MultiTaskEnabled, PrioritizeQueueOrder: order,
		DateCreated: s.DateCreated, DateUpdated: s.DateUpdated,
		activities: newStore[Activity](), channels: newStore[TaskChannel](), workers: newStore[Worker](),
		queues: newStore[TaskQueue](), workflows: newStore[Workflow](), tasks: newStore[Task](),
		reservations: newStore[Reservation]()}
	for _, a := range s.Activities {
		if !twilio.IsSID(a.SID, "WA") || ws.activities.get(a.SID) != nil {
			return fmt.Errorf("activity %q: SID malformed or repeated", a.SID)
		}
		ws.activities.add(a.SID, &Activity{SID: a.SID, WorkspaceSID: ws.SID, FriendlyName: a.FriendlyName,
			Available: a.Available, DateCreated: a.DateCreated, DateUpdated: a.DateUpdated})
	}
	for _, sid := range []string{ws.DefaultActivitySID, ws.TimeoutActivitySID} {
		if sid != "" && ws.activities.get(sid) == nil {
			return fmt.Errorf("default or timeout activity %s is not an activity of the workspace", sid)
		}
	}
	for _, c := range s.TaskChannels {
		if !twilio.IsSID(c.SID, "TC") || ws.channels.get(c.SID) != nil || c.UniqueName == "" {
			return fmt.Errorf("task channel %q: SID malformed or repeated, or no unique name", c.SID)
		}
		ws.channels.add(c.SID, &TaskChannel{SID: c.SID, WorkspaceSID: ws.SID, FriendlyName: c.FriendlyName,
			UniqueName: c.UniqueName, ChannelOptimizedRouting: c.ChannelOptimizedRouting,
			DateCreated: c.DateCreated, DateUpdated: c.DateUpdated})
	}
	for _, sq := range s.TaskQueues {
		if err := r.queue(ws, sq); err != nil {
			return fmt.Errorf("task queue %s: %w", sq.SID, err)
		}
	}
	for _, sw := range s.Workflows {
		if !twilio.IsSID(sw.SID, "WW") || r.workflowWS[sw.SID] != nil {
			return fmt.Errorf("workflow %q: SID malformed or repeated", sw.SID)
		}
		cfg, err := parseConfig(ws, sw.Configuration)
		if err != nil {
			return fmt.Errorf("workflow %s: %w", sw.SID, err)
		}
		wf := &Workflow{SID: sw.SID, WorkspaceSID: ws.SID, FriendlyName: sw.FriendlyName, Configuration: sw.Configuration,
			AssignmentCallbackURL: sw.AssignmentCallbackURL, FallbackAssignmentCallbackURL: sw.FallbackAssignmentCallbackURL,
			TaskReservationTimeout: sw.TaskReservationTimeout, DateCreated: sw.DateCreated, DateUpdated: sw.DateUpdated, cfg: cfg}
		ws.workflows.add(wf.SID, wf)
		r.workflowWS[wf.SID] = ws
	}
	configs := make([]*routingConfig, len(s.Configurations))
	for i, text := range s.Configurations {
		if configs[i], err = parseConfig(ws, text); err != nil {
			return fmt.Errorf("configuration %d: %w", i+1, err)
		}
	}
	for _, sw := range s.Workers {
		if err := r.worker(ws, sw); err != nil {
			return fmt.Errorf("worker %s: %w", sw.SID, err)
		}
	}
	stubs := map[string]*Workflow{}
	for i := range s.Tasks {
		st := &s.Tasks[i]
		if err := r.task(ws, st, configs, stubs); err != nil {
			return fmt.Errorf("task %s: %w", st.SID, err)
		}
	}
	if err := r.reservations(ws, s.Reservations); err != nil {
		return err
	}
	// Derived indexes: queue membership and ready sets, then the waiting
	// tasks' lanes (which need the pending counts).
	for _, w := range ws.workers.list {
		e.indexWorker(ws, w)
	}
	for _, t := range ws.tasks.list {
		if t.waiting() {
			t.queued = true
			t.queue.enqueue(t)
			if t.target.direct {
				ws.noteDirectQueue(t.queue)
			}
		}
	}
	if s.History != nil {
		if log == nil {
			return errors.New("history without the engine's event log")
		}
		wh := &wsHistory{hist: &e.hist, sid: ws.SID}
		if err := restoreHistory(wh, s.History, log.Seq, r.limit, r.shapes); err != nil {
			return fmt.Errorf("history: %w", err)
		}
		r.hist[ws.SID] = wh
	}
	r.store.add(ws.SID, ws)
	return nil
}

func (r *restorer) queue(ws *Workspace, s snapTaskQueue) error {
	if !twilio.IsSID(s.SID, "WQ") || ws.queues.get(s.SID) != nil {
		return errors.New("SID malformed or repeated")
	}
	order, err := queueOrder("task_order", s.TaskOrder)
	if err != nil {
		return err
	}
	if s.MaxReservedWorkers < 1 || s.MaxReservedWorkers > 50 {
		return fmt.Errorf("max_reserved_workers %d is out of range [1, 50]", s.MaxReservedWorkers)
	}
	q := &TaskQueue{SID: s.SID, WorkspaceSID: ws.SID, FriendlyName: s.FriendlyName, TargetWorkers: s.TargetWorkers,
		MaxReservedWorkers: s.MaxReservedWorkers, TaskOrder: order, DateCreated: s.DateCreated, DateUpdated: s.DateUpdated}
	if strings.TrimSpace(s.TargetWorkers) != "" {
		if q.targetExpr, err = parseExpr("TargetWorkers", s.TargetWorkers); err != nil {
			return err
		}
	}
	resAct, err := optActivity(ws, "reservation_activity_sid", s.ReservationActivitySID)
	if err != nil {
		return err
	}
	asgAct, err := optActivity(ws, "assignment_activity_sid", s.AssignmentActivitySID)
	if err != nil {
		return err
	}
	q.setActivities(resAct, asgAct)
	q.initIndex()
	ws.queues.add(q.SID, q)
	return nil
}

func (r *restorer) worker(ws *Workspace, s snapWorker) error {
	if !twilio.IsSID(s.SID, "WK") || ws.workers.get(s.SID) != nil {
		return errors.New("SID malformed or repeated")
	}
	if ws.workerByName(s.FriendlyName) != nil {
		return fmt.Errorf("friendly name %q repeated", s.FriendlyName)
	}
	act := ws.activities.get(s.ActivitySID)
	if act == nil {
		return fmt.Errorf("activity %q is not an activity of the workspace", s.ActivitySID)
	}
	m, err := parseJSONObject("Attributes", s.Attributes)
	if err != nil {
		return err
	}
	w := &Worker{SID: s.SID, WorkspaceSID: ws.SID, FriendlyName: s.FriendlyName, Attributes: s.Attributes, AttributesMap: m,
		DateCreated: s.DateCreated, DateUpdated: s.DateUpdated, DateStatusChanged: s.DateStatusChanged,
		Version: s.Version, seq: s.Seq, lastAssigned: s.LastAssigned}
	w.setActivity(act)
	w.info.SID, w.info.FriendlyName = w.SID, w.FriendlyName
	for _, sc := range s.Channels {
		c := ws.channels.get(sc.TaskChannelSID)
		if c == nil || !twilio.IsSID(sc.SID, "WC") || w.channelFor(c) != nil {
			return fmt.Errorf("channel %q: task channel %q unknown or repeated, or SID malformed", sc.SID, sc.TaskChannelSID)
		}
		if sc.ConfiguredCapacity < 0 || sc.AssignedTasks < 0 {
			return fmt.Errorf("channel %s: negative capacity or assigned tasks", sc.SID)
		}
		wc := &WorkerChannel{SID: sc.SID, WorkspaceSID: ws.SID, WorkerSID: w.SID, TaskChannelSID: c.SID,
			TaskChannelUniqueName: c.UniqueName, ConfiguredCapacity: sc.ConfiguredCapacity, AssignedTasks: sc.AssignedTasks,
			Available: sc.Available, DateCreated: sc.DateCreated, DateUpdated: sc.DateUpdated,
			lastAssigned: sc.LastAssigned, channel: c}
		if sc.LastReservedTime != nil {
			wc.LastReservedTime = *sc.LastReservedTime
		}
		w.channels = append(w.channels, wc)
	}
	ws.workers.add(w.SID, w)
	ws.indexWorkerName(w)
	return nil
}

func validTaskStatus(s string) bool {
	switch s {
	case TaskPending, TaskReserved, TaskAssigned, TaskWrapping, TaskCompleted, TaskCanceled:
		return true
	}
	return false
}

// task rebuilds a task. A finished task may name a workflow, queue or
// channel deleted since (Twilio deletes only what no live task uses): it
// keeps the names it has, and a stand-in workflow (never listed) for the
// code that follows a reservation to its workflow.
func (r *restorer) task(ws *Workspace, s *snapTask, configs []*routingConfig, stubs map[string]*Workflow) error {
	e := r.e
	if !twilio.IsSID(s.SID, "WT") || ws.tasks.get(s.SID) != nil {
		return errors.New("SID malformed or repeated")
	}
	if !validTaskStatus(s.AssignmentStatus) {
		return fmt.Errorf("assignment status %q", s.AssignmentStatus)
	}
	t := &Task{SID: s.SID, AccountSID: e.env.AccountSID, WorkspaceSID: ws.SID, WorkflowSID: s.WorkflowSID,
		WorkflowFriendlyName: s.WorkflowFriendlyName, TaskQueueSID: s.TaskQueueSID, TaskQueueFriendlyName: s.TaskQueueFriendlyName,
		TaskChannelSID: s.TaskChannelSID, TaskChannelUniqueName: s.TaskChannelUniqueName, Attributes: s.Attributes,
		AssignmentStatus: s.AssignmentStatus, Priority: s.Priority, Reason: s.Reason, Timeout: s.Timeout, Addons: s.Addons,
		RoutingTarget: s.RoutingTarget, IgnoreCapacity: s.IgnoreCapacity, VirtualStartTime: s.VirtualStartTime,
		DateCreated: s.DateCreated, DateUpdated: s.DateUpdated, Version: s.Version, seq: s.Seq}
	if s.TaskQueueEnteredDate != nil {
		t.TaskQueueEnteredDate = *s.TaskQueueEnteredDate
	}
	live := !t.terminal()
	t.workflow = ws.workflows.get(s.WorkflowSID)
	if t.workflow == nil {
		if live {
			return fmt.Errorf("workflow %q is not a workflow of the workspace", s.WorkflowSID)
		}
		if t.workflow = stubs[s.WorkflowSID]; t.workflow == nil {
			t.workflow = &Workflow{SID: s.WorkflowSID, WorkspaceSID: ws.SID, FriendlyName: s.WorkflowFriendlyName,
				TaskReservationTimeout: DefaultTaskReservationTimeout}
			stubs[s.WorkflowSID] = t.workflow
		}
	}
	t.channel = ws.channels.get(s.TaskChannelSID)
	if t.channel == nil && live {
		return fmt.Errorf("task channel %q is not a task channel of the workspace", s.TaskChannelSID)
	}
	if s.TaskQueueSID != "" {
		t.queue = ws.queues.get(s.TaskQueueSID)
		if t.queue == nil && live {
			return fmt.Errorf("task queue %q is not a task queue of the workspace", s.TaskQueueSID)
		}
	}
	if live { // a finished task is never routed again: its text is all it needs
		m, err := parseJSONObject("Attributes", s.Attributes)
		if err != nil {
			return err
		}
		t.AttributesMap = m
	}
	if t.waiting() != (s.Routing != nil) {
		return errors.New("a pending or reserved task needs its routing position, and only such a task has one")
	}
	if s.Routing != nil {
		if err := r.routing(ws, t, s.Routing, configs); err != nil {
			return err
		}
	}
	ws.tasks.add(t.SID, t)
	return nil
}

// routing restores a waiting task's routing position and timers.
func (r *restorer) routing(ws *Workspace, t *Task, s *snapRouting, configs []*routingConfig) error {
	e := r.e
	if t.queue == nil {
		return errors.New("waiting task without a task queue")
	}
	var cfg *routingConfig
	switch s.Direct {
	case "queue":
		cfg = t.queue.directConfig(false)
	case "worker":
		cfg = t.queue.directConfig(true)
	case "":
		switch {
		case s.Config == 0:
			cfg = t.workflow.cfg
		case s.Config > 0 && s.Config <= len(configs):
			cfg = configs[s.Config-1]
		default:
			return fmt.Errorf("routing configuration %d is not one of the workspace's %d", s.Config, len(configs))
		}
	default:
		return fmt.Errorf("direct routing %q must be queue or worker", s.Direct)
	}
	switch {
	case s.Filter == -1 && s.Target == 0 && cfg.def != nil:
		t.target = cfg.def
	case s.Filter >= 0 && s.Filter < len(cfg.filters) && s.Target >= 0 && s.Target < len(cfg.filters[s.Filter].targets):
		t.target = cfg.filters[s.Filter].targets[s.Target]
	default:
		return fmt.Errorf("routing position filter %d target %d is not in its configuration", s.Filter, s.Target)
	}
	if t.target.queue != t.queue {
		return fmt.Errorf("routing target's queue %s is not the task's queue %s", t.target.queue.SID, t.queue.SID)
	}
	if t.target.direct && !twilio.IsSID(t.RoutingTarget, "WK") {
		return fmt.Errorf("routed to a worker, but its routing target is %q", t.RoutingTarget)
	}
	t.cfg, t.filterIdx, t.targetIdx, t.everMatched = cfg, s.Filter, s.Target, s.EverMatched
	for _, b := range s.Bases {
		if b.Filter < 0 || b.Filter >= len(cfg.filters) {
			return fmt.Errorf("filter entry time for filter %d, which its configuration lacks", b.Filter)
		}
		t.bases = append(t.bases, filterBase{idx: b.Filter, at: b.At})
	}
	if s.TTL == nil {
		return errors.New("waiting task without its TTL timer")
	}
	ws2 := ws
	r.later(s.TTL, func(at time.Time, seq uint64) {
		t.ttlTimer = e.rearm(at, seq, func() { e.ttlExpired(ws2, t) })
	})
	if s.Step != nil {
		r.later(s.Step, func(at time.Time, seq uint64) {
			gen := t.stepGen
			t.stepTimer = e.rearm(at, seq, func() { e.stepTimedOut(ws2, t, gen) })
		})
	}
	if len(s.Retries) > 0 {
		t.retries = make([]*vtimer, len(s.Retries))
		for i, st := range s.Retries {
			if st == nil {
				return errors.New("null retry timer")
			}
			r.later(st, func(at time.Time, seq uint64) {
				var vt *vtimer
				vt = e.rearm(at, seq, func() { e.retryFired(ws2, t, vt) })
				t.retries[i] = vt
			})
		}
	}
	return nil
}

// reservations restores the workspace's reservations, in creation order,
// and derives from them the tasks' and workers' reservation lists and the
// pending and active counts.
func (r *restorer) reservations(ws *Workspace, list []snapReservation) error {
	e := r.e
	gone := map[string]*Worker{} // stand-ins for deleted workers
	for _, s := range list {
		if !twilio.IsSID(s.SID, "WR") || ws.reservations.get(s.SID) != nil {
			return fmt.Errorf("reservation %q: SID malformed or repeated", s.SID)
		}
		if !validReservationStatus(s.ReservationStatus) {
			return fmt.Errorf("reservation %s: status %q", s.SID, s.ReservationStatus)
		}
		t := ws.tasks.get(s.TaskSID)
		if t == nil {
			return fmt.Errorf("reservation %s: task %q is not a task of the workspace", s.SID, s.TaskSID)
		}
		res := &Reservation{SID: s.SID, AccountSID: e.env.AccountSID, WorkspaceSID: ws.SID, TaskSID: t.SID,
			WorkerSID: s.WorkerSID, WorkerName: s.WorkerName, ReservationStatus: s.ReservationStatus, Instruction: s.Instruction,
			DateCreated: s.DateCreated, DateUpdated: s.DateUpdated, Version: s.Version, task: t}
		holds := holdsCapacity(s.ReservationStatus)
		w := ws.workers.get(s.WorkerSID)
		if w == nil {
			// A worker may be deleted once its reservations are over; they
			// stay listed under its SID and name.
			if holds {
				return fmt.Errorf("reservation %s (%s): worker %q is not a worker of the workspace", s.SID, s.ReservationStatus, s.WorkerSID)
			}
			if w = gone[s.WorkerSID]; w == nil {
				w = &Worker{SID: s.WorkerSID, WorkspaceSID: ws.SID, FriendlyName: s.WorkerName}
				gone[s.WorkerSID] = w
			}
		}
		res.worker = w
		if holds {
			for _, wc := range w.channels {
				if wc.SID == s.WorkerChannelSID {
					res.wc = wc
				}
			}
			if res.wc == nil {
				return fmt.Errorf("reservation %s (%s): worker channel %q is not one of worker %s", s.SID, s.ReservationStatus, s.WorkerChannelSID, w.SID)
			}
			w.active++
		} else if s.WorkerChannelSID != "" || s.Timeout != nil {
			return fmt.Errorf("reservation %s (%s) holds no capacity and has no timer", s.SID, s.ReservationStatus)
		}
		switch s.ReservationStatus {
		case StatusPending:
			if !t.waiting() {
				return fmt.Errorf("reservation %s is pending but task %s is %s", s.SID, t.SID, t.AssignmentStatus)
			}
			if s.Timeout == nil {
				return fmt.Errorf("pending reservation %s without its timeout timer", s.SID)
			}
			res.wc.pending++
			t.pendingRes++
			ws2 := ws
			r.later(s.Timeout, func(at time.Time, seq uint64) {
				res.timer = e.rearm(at, seq, func() { e.reservationTimedOut(ws2, res) })
			})
		case StatusAccepted, StatusWrapping, StatusCompleted:
			if t.accepted != nil {
				return fmt.Errorf("task %s has two accepted reservations (%s, %s)", t.SID, t.accepted.SID, s.SID)
			}
			t.accepted = res
		}
		t.resList = append(t.resList, res)
		w.reservations = append(w.reservations, res)
		ws.reservations.add(res.SID, res)
	}
	return nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}
