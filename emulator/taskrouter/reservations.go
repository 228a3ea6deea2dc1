package taskrouter

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Reservation statuses.
const (
	StatusPending   = "pending"
	StatusAccepted  = "accepted"
	StatusRejected  = "rejected"
	StatusTimeout   = "timeout"
	StatusCanceled  = "canceled"
	StatusRescinded = "rescinded"
	StatusWrapping  = "wrapping"
	StatusCompleted = "completed"
)

// Reservation is the offer of a task to one worker.
type Reservation struct {
	SID               string
	AccountSID        string
	WorkspaceSID      string
	TaskSID           string
	WorkerSID         string
	WorkerName        string
	ReservationStatus string
	// Instruction is the last instruction applied through the API
	// (conference, dequeue, call, redirect); without telephony it only accepts.
	Instruction string
	DateCreated time.Time
	DateUpdated time.Time
	// Version counts the reservation's status changes; Twilio's ETag /
	// If-Match value. See version.go.
	Version int

	ver    versioned
	task   *Task
	worker *Worker
	wc     *WorkerChannel
	timer  *vtimer // task_reservation_timeout while pending
}

// Task returns the reserved task.
func (r *Reservation) Task() *Task { return r.task }

// Worker returns the reserved worker.
func (r *Reservation) Worker() *Worker { return r.worker }

// ReservationFilter selects reservations; zero fields do not filter.
type ReservationFilter struct {
	TaskSID   string
	WorkerSID string
	Status    []string
}

// Reservations lists a workspace's reservations matching f, oldest first.
func (e *Engine) Reservations(wsSID string, f ReservationFilter) ([]*Reservation, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	src := ws.reservations.list
	switch {
	case f.TaskSID != "":
		t := ws.tasks.get(f.TaskSID)
		if t == nil {
			return nil, twilio.NotFound(fmt.Sprintf("/Workspaces/%s/Tasks/%s", wsSID, f.TaskSID))
		}
		src = t.resList
	case f.WorkerSID != "":
		w := ws.workers.get(f.WorkerSID)
		if w == nil {
			return nil, twilio.NotFound(fmt.Sprintf("/Workspaces/%s/Workers/%s", wsSID, f.WorkerSID))
		}
		src = w.reservations
	}
	for _, s := range f.Status {
		if !validReservationStatus(s) {
			return nil, twilio.InvalidParam("ReservationStatus", "%q is not a reservation status", s)
		}
	}
	out := make([]*Reservation, 0, len(src))
	for _, r := range src {
		if (f.WorkerSID != "" && r.WorkerSID != f.WorkerSID) || (f.TaskSID != "" && r.TaskSID != f.TaskSID) ||
			(len(f.Status) > 0 && !slices.Contains(f.Status, r.ReservationStatus)) {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

func validReservationStatus(s string) bool {
	switch s {
	case StatusPending, StatusAccepted, StatusRejected, StatusTimeout, StatusCanceled, StatusRescinded, StatusWrapping, StatusCompleted:
		return true
	}
	return false
}

// Reservation returns one reservation by SID.
func (e *Engine) Reservation(wsSID, sid string) (*Reservation, error) {
	_, r, err := e.reservation(wsSID, "", "", sid)
	return r, err
}

// TaskReservation returns a reservation through the task view (404 unless it
// belongs to taskSID).
func (e *Engine) TaskReservation(wsSID, taskSID, sid string) (*Reservation, error) {
	_, r, err := e.reservation(wsSID, taskSID, "", sid)
	return r, err
}

// WorkerReservation returns a reservation through the worker view (404
// unless it belongs to workerSID).
func (e *Engine) WorkerReservation(wsSID, workerSID, sid string) (*Reservation, error) {
	_, r, err := e.reservation(wsSID, "", workerSID, sid)
	return r, err
}

func (e *Engine) reservation(wsSID, taskSID, workerSID, sid string) (*Workspace, *Reservation, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case taskSID != "":
		if ws.tasks.get(taskSID) == nil {
			return nil, nil, twilio.NotFound(fmt.Sprintf("/Workspaces/%s/Tasks/%s", wsSID, taskSID))
		}
	case workerSID != "":
		if ws.workers.get(workerSID) == nil {
			return nil, nil, twilio.NotFound(fmt.Sprintf("/Workspaces/%s/Workers/%s", wsSID, workerSID))
		}
	}
	r := ws.reservations.get(sid)
	if r == nil || (taskSID != "" && r.TaskSID != taskSID) || (workerSID != "" && r.WorkerSID != workerSID) {
		parent := ""
		if taskSID != "" {
			parent = "/Tasks/" + taskSID
		} else if workerSID != "" {
			parent = "/Workers/" + workerSID
		}
		return nil, nil, twilio.NotFound(fmt.Sprintf("/Workspaces/%s%s/Reservations/%s", wsSID, parent, sid))
	}
	return ws, r, nil
}

// UpdateReservationParams are the Reservation update parameters.
type UpdateReservationParams struct {
	// TaskSID / WorkerSID scope the update to the task or worker view (404
	// when the reservation belongs elsewhere); both may be empty.
	TaskSID   string
	WorkerSID string
	// ReservationStatus is accepted, rejected, wrapping or completed.
	ReservationStatus string
	// WorkerActivitySID moves the worker when rejecting.
	WorkerActivitySID string
	// Instruction (conference|dequeue|call|redirect) accepts the reservation
	// when no ReservationStatus is given; the emulator has no telephony.
	Instruction string
}

// UpdateReservation drives a reservation through its lifecycle:
//
//	pending  -> accepted (task assigned, other pending reservations rescinded)
//	pending  -> rejected (task re-routed, optionally worker moved)
//	accepted -> wrapping (task wrapping)
//	accepted|wrapping -> completed (task completed, capacity released)
//
// Anything else, such as accepting a reservation that timed out, is a 400.
func (e *Engine) UpdateReservation(wsSID, sid string, p UpdateReservationParams) (*Reservation, error) {
	e.begin()
	defer e.end()
	ws, r, err := e.reservation(wsSID, p.TaskSID, p.WorkerSID, sid)
	if err != nil {
		return nil, err
	}
	to := strings.ToLower(p.ReservationStatus)
	instr := strings.ToLower(p.Instruction)
	if to == "" {
		switch instr {
		case "":
			return r, nil
		case "accept", "conference", "dequeue", "call", "redirect":
			to = StatusAccepted
		case "reject":
			to = StatusRejected
		default:
			return nil, twilio.InvalidParam("Instruction", "%q must be conference, dequeue, call or redirect", p.Instruction)
		}
	}
	if err := checkReservationTransition(r, to); err != nil {
		return nil, err
	}
	var act *Activity
	if p.WorkerActivitySID != "" {
		if act = ws.activities.get(p.WorkerActivitySID); act == nil {
			return nil, twilio.InvalidParam("WorkerActivitySid", "%q is not an Activity in workspace %s", p.WorkerActivitySID, ws.SID)
		}
	}
	if instr != "" {
		r.Instruction = instr
	}
	switch to {
	case StatusAccepted:
		e.acceptReservation(ws, r)
		if act != nil && act != r.worker.activity {
			e.moveWorker(ws, r.worker, act)
			e.offerWorker(ws, r.worker)
		}
	case StatusRejected:
		e.rejectReservation(ws, r, act)
	case StatusWrapping:
		e.wrapTask(ws, r.task)
	case StatusCompleted:
		e.completeTask(ws, r.task, "reservation completed")
	}
	return r, nil
}

// checkReservationTransition is the reservation state machine's guard.
func checkReservationTransition(r *Reservation, to string) error {
	from := r.ReservationStatus
	ok := false
	switch to {
	case StatusAccepted, StatusRejected:
		ok = from == StatusPending
	case StatusWrapping:
		ok = from == StatusAccepted
	case StatusCompleted:
		ok = from == StatusAccepted || from == StatusWrapping
	default:
		return twilio.InvalidParam("ReservationStatus", "%q must be accepted, rejected, wrapping or completed", to)
	}
	if !ok {
		return twilio.InvalidParam("ReservationStatus", "reservation %s is %s and cannot be %s", r.SID, from, to)
	}
	return nil
}

// reservationEvent builds the Event for a reservation-level change.
func (e *Engine) reservationEvent(typ EventType, r *Reservation) Event {
	t := r.task
	return Event{Type: typ, WorkspaceSID: r.WorkspaceSID, TaskSID: r.TaskSID, ReservationSID: r.SID,
		WorkerSID: r.WorkerSID, TaskQueueSID: t.TaskQueueSID, WorkflowSID: t.WorkflowSID}
}

func (e *Engine) emitReservation(typ EventType, r *Reservation, summary string) {
	refs := taskRefsFor(r.task, 4)
	refs["reservation_sid"], refs["worker_sid"], refs["worker_name"] = r.SID, r.WorkerSID, r.WorkerName
	refs["reservation_status"] = r.ReservationStatus
	e.emit(e.reservationEvent(typ, r), r.SID, summary, refs)
}
