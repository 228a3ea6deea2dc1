package taskrouter

import (
	"time"

	"github.com/flexemu/flexemu/emulator/eventtype"
)

// Versions.
//
// Twilio versions Tasks, Workers and Reservations: each carries a counter
// that starts at 0 and grows with every change, exposed as the REST ETag
// and checked against If-Match (the Worker SDK's enableVersionCheck). Every
// state change of those objects goes through touch*, which also sets
// DateUpdated, so no mutation path can change an object without versioning
// it.
//
// One engine operation (an API call, a timer callback; see begin) bumps an
// object's version at most once, however many internal steps touch it: a
// worker update that changes both attributes and activity is one new
// version, as on Twilio, and a client that sent If-Match: N gets N+1 back.
//
// Worker event bumps. Twilio also bumps a Worker's version for things that
// happen to it without changing its own fields: a reservation created for
// it and a change of one of its channels' capacity or availability. The
// Worker SDK (twilio-taskrouter 2.1.1) mirrors that without being sent the
// new version: its handlers of reservation.created, worker.capacity.update
// and worker.channel.availability.update each add 1 to its copy
// (Worker._bumpVersion), and its next worker update sends that copy as
// If-Match. So every such event bumps the worker by exactly 1 when it is
// emitted (see emit and bumpsWorker), never merged with the operation's
// other bumps or with each other: two reservations for one worker in one
// operation are +2, as the SDK counts two events. These bumps leave
// DateUpdated alone: the Worker resource's own fields did not change (the
// reservation and the channel carry their own dates), so date_updated keeps
// saying when the worker itself last changed; the version is the
// concurrency token, which must also move when the worker's situation did.
//
// After an event bump, touchWorker in the same operation merges into it
// (the bump marks the operation, as a touch does). That is safe for the
// SDK because the only touches that can follow an event bump are activity
// moves (moveWorker: reservation, assignment, timeout activities), which
// push worker.activity.update carrying the version, which the SDK adopts;
// a touch that incremented silently after the SDK counted the event would
// leave a watching SDK one behind. A touch before an event bump in the same
// operation has already marked it: the event still adds 1, and later
// touches merge into the result.
//
// What the SDK holds is thus always the version the engine had when the
// last event it received was emitted; listeners run after the whole
// operation (see flush), so every Event carries the versions of the
// objects it concerns as they were at emit (Event.WorkerVersion, ...), and
// the event bridge renders those rather than the objects' final state.

// versioned is the bookkeeping shared by the versioned objects.
// It is 4 bytes so that it fits beside a Task's flags; op wraps after 2^32
// operations, which could only merge two bumps of an object untouched for
// exactly that many operations.
type versioned struct {
	op uint32 // Engine.op of the operation that last bumped the version
}

// bump increments *version unless this operation already did. Outside any
// operation (depth 0: not expected, but never silently skipped) it always
// increments.
func (e *Engine) bump(v *versioned, version *int) {
	if e.depth == 0 || v.op != e.op {
		*version++
		v.op = e.op
	}
}

// created is the bookkeeping of an object created by the current
// operation: the rest of that operation (a new task's routing, a new
// worker's first offer) is part of its creation, so it stays at version 0
// (except for a new worker's event bumps: a reservation offered at once
// makes it version 1, as the SDK would count it).
func (e *Engine) created() versioned { return versioned{op: e.op} }

// bumpsWorker reports whether an event of type typ bumps the version of the
// worker it concerns by itself (see "Worker event bumps" above).
func bumpsWorker(typ EventType) bool {
	switch typ {
	case eventtype.ReservationCreated, eventtype.WorkerCapacityUpdate, eventtype.WorkerChannelAvailabilityUpdate:
		return true
	}
	return false
}

// bumpWorkerForEvent is a worker event bump: always +1, and it marks the
// operation, so that later touches of the worker in it merge. DateUpdated
// does not change.
func (e *Engine) bumpWorkerForEvent(w *Worker) {
	w.Version++
	w.ver.op = e.op
}

// snapshotVersions sets ev's version fields from the objects it concerns,
// as they are now (-1 when the event concerns no such object).
func snapshotVersions(ev *Event, c *evCtx) {
	ev.WorkerVersion, ev.TaskVersion, ev.ReservationVersion = -1, -1, -1
	if c.worker != nil {
		ev.WorkerVersion = c.worker.Version
	}
	if c.task != nil {
		ev.TaskVersion = c.task.Version
	}
	if c.res != nil {
		ev.ReservationVersion = c.res.Version
	}
}

func (e *Engine) touchTask(t *Task, now time.Time) {
	t.DateUpdated = now
	e.bump(&t.ver, &t.Version)
}

func (e *Engine) touchWorker(w *Worker, now time.Time) {
	w.DateUpdated = now
	e.bump(&w.ver, &w.Version)
}

func (e *Engine) touchReservation(r *Reservation, now time.Time) {
	r.DateUpdated = now
	e.bump(&r.ver, &r.Version)
}
