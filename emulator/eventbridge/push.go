package eventbridge

import (
	"github.com/flexemu/flexemu/emulator/eventtype"
	"github.com/flexemu/flexemu/emulator/taskrouter"
)

// onEvent turns a TaskRouter event into pushes for the connected workers
// it concerns. It runs under the account lock, after the whole operation
// that caused the event, so the engine objects rendered here are
// consistent; it only queues frames. Nothing is pushed that would crash
// the SDK (dossier §1.8): reservation.accepted and .wrapup only for
// reservations the socket's SDK holds; an activity or channel its SDK never
// read closes the socket instead, so the SDK reconnects and reads it.
//
// Versions are the exception to "rendered after the operation": a payload's
// version (the worker's, the task's, the reservation's) is the one the
// object had when the event was emitted (the Event's snapshot), as the SDK
// tracks versions event by event: it adopts a pushed worker's version and
// adds 1 for reservation.created and channel updates, so an operation that
// sets a worker Available (N+1) and then reserves it (N+2) must push
// worker.activity.update with N+1, then reservation.created; the HTTP
// answer, rendered afterwards, says N+2. See taskrouter/version.go.
func (h *hub) onEvent(tr *taskrouter.Engine, ev taskrouter.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.sessions) == 0 {
		return
	}
	switch ev.Type {
	case eventtype.WorkerActivityUpdate, eventtype.WorkerAttributesUpdate:
		h.pushWorker(tr, ev)
	case eventtype.WorkerCapacityUpdate, eventtype.WorkerChannelAvailabilityUpdate:
		h.pushChannels(tr, ev)
	case eventtype.WorkerDeleted:
		for s := range h.sessions[ev.WorkerSID] {
			s.close(reasonGone)
		}
	case eventtype.ReservationCreated, eventtype.ReservationAccepted, eventtype.ReservationWrapup,
		eventtype.ReservationCompleted, eventtype.ReservationRejected, eventtype.ReservationTimeout,
		eventtype.ReservationCanceled, eventtype.ReservationRescinded:
		h.pushReservation(tr, ev)
	case eventtype.TaskUpdated, eventtype.TaskCanceled, eventtype.TaskCompleted, eventtype.TaskWrapup:
		h.pushTask(tr, ev)
	}
}

func (h *hub) pushWorker(tr *taskrouter.Engine, ev taskrouter.Event) {
	ss := h.sessions[ev.WorkerSID]
	if len(ss) == 0 {
		return
	}
	w, err := tr.Worker(ev.WorkspaceSID, ev.WorkerSID)
	if err != nil {
		return
	}
	p := renderWorker(h.acct.SID(), w)
	p.Version = atEmit(p.Version, ev.WorkerVersion)
	f := frame(string(ev.Type), p)
	for s := range ss {
		if ev.Type == eventtype.WorkerActivityUpdate && !s.activities[w.ActivitySID] {
			s.close(reasonStale) // the SDK throws on an activity it does not have
			continue
		}
		s.push(f)
	}
}

func (h *hub) pushChannels(tr *taskrouter.Engine, ev taskrouter.Event) {
	ss := h.sessions[ev.WorkerSID]
	if len(ss) == 0 {
		return
	}
	w, err := tr.Worker(ev.WorkspaceSID, ev.WorkerSID)
	if err != nil {
		return
	}
	only := eventChannel(ev)
	for _, wc := range w.Channels() {
		if only != "" && wc.SID != only {
			continue
		}
		f := frame(string(ev.Type), renderChannel(h.acct.SID(), wc))
		for s := range ss {
			if !s.channels[wc.SID] {
				s.close(reasonStale) // the SDK throws on a channel it does not have
				continue
			}
			s.push(f)
		}
	}
}

func (h *hub) pushReservation(tr *taskrouter.Engine, ev taskrouter.Event) {
	ss := h.sessions[ev.WorkerSID]
	if len(ss) == 0 {
		return
	}
	r, err := tr.Reservation(ev.WorkspaceSID, ev.ReservationSID)
	if err != nil {
		return // deleted with its task: nothing left to render
	}
	p := renderReservation(tr, r)
	p.Version = atEmit(p.Version, ev.ReservationVersion)
	p.Task.Version = atEmit(p.Task.Version, ev.TaskVersion)
	f := frame(string(ev.Type), p)
	for s := range ss {
		switch ev.Type {
		case eventtype.ReservationCreated:
			s.reservations[r.SID] = true
		case eventtype.ReservationAccepted, eventtype.ReservationWrapup:
			if !s.reservations[r.SID] {
				continue // the SDK throws on a reservation it does not hold
			}
		default: // completed, rejected, timeout, canceled, rescinded: the SDK drops it
			delete(s.reservations, r.SID)
		}
		s.push(f)
	}
}

// pushTask sends a task event to the workers holding a reservation for the
// task (the SDK ignores tasks it does not hold).
func (h *hub) pushTask(tr *taskrouter.Engine, ev taskrouter.Event) {
	t, err := tr.Task(ev.WorkspaceSID, ev.TaskSID)
	if err != nil {
		return
	}
	var f []byte
	seen := map[string]bool{}
	for _, r := range t.Reservations() {
		if seen[r.WorkerSID] {
			continue
		}
		seen[r.WorkerSID] = true
		for s := range h.sessions[r.WorkerSID] {
			if f == nil {
				p := renderTask(tr.Now(), t)
				p.Version = atEmit(p.Version, ev.TaskVersion)
				f = frame(string(ev.Type), p)
			}
			s.push(f)
		}
	}
}
