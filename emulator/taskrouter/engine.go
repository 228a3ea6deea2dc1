// Package taskrouter emulates Twilio TaskRouter: workspaces, activities,
// task channels, workers and their channels, task queues, workflows, tasks
// and reservations, plus the router that matches tasks to workers.
//
// The Engine is plain Go (no HTTP; see api.go for the REST surface). It is
// not internally locked: the account serialises every call and every clock
// callback, as described in emulator/env.
package taskrouter

import (
	"time"

	"github.com/flexemu/flexemu/emulator/env"
	"github.com/flexemu/flexemu/emulator/taskrouter/expr"
)

// productName labels timeline entries.
const productName = "taskrouter"

// Event is an in-process notification of a TaskRouter state change. Type is
// Twilio's event type (eventtype.ReservationCreated, eventtype.TaskCanceled, ...); the SID
// fields carry whatever the event concerns (empty when not applicable).
type Event struct {
	Type           EventType
	WorkspaceSID   string
	TaskSID        string
	ReservationSID string
	WorkerSID      string
	TaskQueueSID   string
	WorkflowSID    string
	// WorkerChannelSID is the WC… SID of worker.capacity.update and
	// worker.channel.availability.update, whose resource is the worker: a
	// listener (the Worker SDK's event bridge) names the channel from it.
	WorkerChannelSID string

	// The versions (ETags) of the worker, task and reservation the event
	// concerns, as they were when it was emitted (-1: no such object, or
	// gone). Listeners run after the whole operation, when the objects may
	// have moved on: a client mirroring versions (the Worker SDK with
	// enableVersionCheck) must see each event's own. See version.go.
	WorkerVersion, TaskVersion, ReservationVersion int
}

// Engine is one account's TaskRouter.
type Engine struct {
	env        env.Env
	workspaces store[Workspace]
	workflowWS map[string]*Workspace // workflow SID -> its workspace

	listeners []func(Event)
	outbox    []Event // events waiting for listeners (see flush)
	flushing  bool
	depth     int    // nesting of exported operations (see begin)
	op        uint32 // current outermost operation, for versions (version.go)

	seq       uint64 // creation order of every object (ties in ordering)
	assignSeq uint64 // bumped whenever a worker is reserved or assigned (idle order)
	armSeq    uint64 // bumped whenever a timer is armed (timers.go)

	vars    expr.Vars // scratch evaluation context (engine is single-threaded)
	scratch []*Worker // scratch candidate list for tryReserve

	hist history // stored Events, statistics counters (events.go, statistics.go)
}

// New returns an empty TaskRouter engine for the account described by e.
func New(e env.Env) *Engine {
	return &Engine{env: e, workspaces: newStore[Workspace](), workflowWS: map[string]*Workspace{}}
}

// Now is the account clock's current time; handlers use it for computed
// fields such as a task's age.
func (e *Engine) Now() time.Time { return e.env.Now() }

// Subscribe registers fn to be called for every event. Listeners run
// synchronously, still under the account lock, after the operation that
// caused the event has finished changing state; they may call back into the
// engine (their own events are delivered after the current ones).
func (e *Engine) Subscribe(fn func(Event)) { e.listeners = append(e.listeners, fn) }

func (e *Engine) nextSeq() uint64 { e.seq++; return e.seq }

// emit records ev on the timeline, stores it as an Event resource (with
// statistics and callbacks, see observe) and queues it for listeners. It
// first applies the event's worker version bump, if it has one, and
// snapshots the versions of the objects it concerns (version.go).
func (e *Engine) emit(ev Event, sid, summary string, refs map[string]string) {
	ws := e.workspaces.get(ev.WorkspaceSID)
	var c evCtx
	if ws != nil {
		c = e.resolve(ws, ev, sid)
	}
	if c.worker != nil && bumpsWorker(ev.Type) {
		e.bumpWorkerForEvent(c.worker)
	}
	snapshotVersions(&ev, &c)
	e.env.Record(productName, string(ev.Type), sid, summary, refs)
	e.observe(ws, &c, ev, sid, summary, refs)
	if len(e.listeners) > 0 {
		e.outbox = append(e.outbox, ev)
	}
}

// begin marks the start of an exported mutating operation or timer callback;
// the matching deferred end delivers queued events once the outermost
// operation is done, so listeners always observe the state after a whole
// operation and may re-enter the engine safely.
func (e *Engine) begin() {
	if e.depth == 0 {
		e.op++
	}
	e.depth++
}

func (e *Engine) end() {
	e.depth--
	if e.depth == 0 {
		e.flush()
	}
}

// flush delivers queued events to listeners, in order. Events emitted by a
// listener's own calls are appended and delivered by the same loop.
func (e *Engine) flush() {
	if e.flushing {
		return
	}
	e.flushing = true
	defer func() { e.flushing = false }()
	for len(e.outbox) > 0 {
		ev := e.outbox[0]
		e.outbox = e.outbox[1:]
		for _, fn := range e.listeners {
			fn(ev)
		}
	}
	e.outbox = e.outbox[:0]
}

// store keeps objects by SID and in creation order (Twilio lists oldest first).
type store[T any] struct {
	byID map[string]*T
	list []*T
}

func newStore[T any]() store[T] { return store[T]{byID: map[string]*T{}} }

func (s *store[T]) add(id string, v *T) { s.byID[id] = v; s.list = append(s.list, v) }

func (s *store[T]) get(id string) *T { return s.byID[id] }

func (s *store[T]) remove(id string) {
	v, ok := s.byID[id]
	if !ok {
		return
	}
	delete(s.byID, id)
	for i, x := range s.list {
		if x == v {
			s.list = append(s.list[:i], s.list[i+1:]...)
			break
		}
	}
}

// all returns a copy of the objects in creation order.
func (s *store[T]) all() []*T { return append([]*T(nil), s.list...) }
