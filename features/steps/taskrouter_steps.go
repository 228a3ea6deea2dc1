package steps

import (
	"context"
	"fmt"

	taskrouter "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

// Steps about "the task" (the last customer message's, or the last one a
// step created) and workers, by friendly name.
var taskSteps = []stepDef{
	{pattern: `^a task should be created in workflow "([^"]+)"$`, fn: (*World).taskInWorkflow,
		doc: "the task is in that workflow"},
	{pattern: `^the task should be in queue "([^"]+)"$`, fn: (*World).taskInQueue,
		doc: "the task is in that queue"},
	{pattern: `^the task should be "([^"]+)"$`, fn: (*World).taskStatus,
		doc: `the task's assignment status ("pending", "reserved", "assigned", "wrapping"…)`},
	{pattern: `^the task should have the attribute "([^"]+)" set to "([^"]*)"$`, fn: (*World).taskAttribute,
		doc: `the task's attribute at a dotted key ("customers.phone") has that value`},
	{pattern: `^worker "([^"]+)" should have a pending reservation for the task$`, fn: (*World).workerHasPendingForTask,
		doc: "the worker has a pending reservation for the task"},
	{pattern: `^worker "([^"]+)" should have no pending reservation$`, fn: (*World).workerHasNoPending,
		doc: "the worker has no pending reservation at all"},
	{pattern: `^worker "([^"]+)" (accepts|rejects|completes) the reservation$`, fn: (*World).workerUpdatesReservation,
		doc: "the worker accepts or rejects its pending reservation for the task, or completes its accepted one"},
	{pattern: `^worker "([^"]+)" (?:is|becomes|goes) "([^"]+)"$`, fn: (*World).workerBecomes,
		doc: `the worker's activity changes ("Available", "Offline"…)`},
}

func (w *World) taskInWorkflow(ctx context.Context, name string) error {
	t, err := w.lastTask()
	if err != nil {
		return err
	}
	if got := str(t.WorkflowFriendlyName); got != name {
		return fmt.Errorf("task %s is in workflow %q, want %q", *t.Sid, got, name)
	}
	return nil
}

func (w *World) taskInQueue(ctx context.Context, name string) error {
	t, err := w.lastTask()
	if err != nil {
		return err
	}
	if got := str(t.TaskQueueFriendlyName); got != name {
		return fmt.Errorf("task %s is in queue %q, want %q", *t.Sid, got, name)
	}
	return nil
}

func (w *World) taskStatus(ctx context.Context, status string) error {
	t, err := w.lastTask()
	if err != nil {
		return err
	}
	if got := str(t.AssignmentStatus); got != status {
		return fmt.Errorf("task %s is %q, want %q", *t.Sid, got, status)
	}
	return nil
}

func (w *World) taskAttribute(ctx context.Context, key, want string) error {
	t, err := w.lastTask()
	if err != nil {
		return err
	}
	if t.Attributes == nil {
		return fmt.Errorf("task %s has no attributes", *t.Sid)
	}
	attrs := *t.Attributes
	got, ok := attribute(attrs, key)
	if !ok || got != want {
		return fmt.Errorf("task attribute %s = %q (present %v), want %q; attributes %s", key, got, ok, want, attrs)
	}
	return nil
}

func (w *World) workerHasPendingForTask(ctx context.Context, worker string) error {
	_, err := w.pendingReservation(worker)
	return err
}

func (w *World) workerHasNoPending(ctx context.Context, worker string) error {
	res, err := w.workerReservations(worker, "pending")
	if err != nil {
		return err
	}
	if len(res) != 0 {
		return fmt.Errorf("worker %s has %d pending reservations, want none", worker, len(res))
	}
	return nil
}

func (w *World) workerUpdatesReservation(ctx context.Context, worker, verb string) error {
	status := map[string]string{"accepts": "accepted", "rejects": "rejected", "completes": "completed"}[verb]
	var sid string
	if verb == "completes" {
		res, err := w.workerReservations(worker, "accepted")
		if err != nil {
			return err
		}
		if len(res) == 0 {
			return fmt.Errorf("worker %s has no accepted reservation to complete", worker)
		}
		sid = *res[0].Sid
	} else {
		r, err := w.pendingReservation(worker)
		if err != nil {
			return err
		}
		sid = *r.Sid
	}
	p := &taskrouter.UpdateWorkerReservationParams{}
	p.SetReservationStatus(status)
	return w.updateReservation(worker, sid, p)
}

func (w *World) workerBecomes(ctx context.Context, worker, activity string) error {
	ws, wk, err := w.workerSID(worker)
	if err != nil {
		return err
	}
	act, err := w.activitySID(ws, activity)
	if err != nil {
		return err
	}
	p := &taskrouter.UpdateWorkerParams{}
	p.SetActivitySid(act)
	_, err = w.Twilio.TaskrouterV1.UpdateWorker(ws, wk, p)
	return err
}
