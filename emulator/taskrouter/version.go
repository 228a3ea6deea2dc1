package taskrouter

import "time"

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
// worker's first offer) is part of its creation, so it stays at version 0.
func (e *Engine) created() versioned { return versioned{op: e.op} }

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
