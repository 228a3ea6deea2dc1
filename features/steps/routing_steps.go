package steps

// Steps that create TaskRouter tasks directly with twilio-go (as a backend
// would) and name them, so a scenario can talk about several tasks:
//
//	When task "urgent" is created in workflow "Everyone" with priority 10
//	Then worker "ana" should have a pending reservation for task "urgent"
//
// "a task is created …" (no name) becomes "the task" of taskrouter_steps.go.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cucumber/godog"
	"github.com/twilio/twilio-go/client"
	taskrouter "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

var routingSteps = []stepDef{
	// Creating tasks.
	{pattern: `^(?:a task|task "([^"]+)") is created(|\s.*)$`, fn: (*World).taskIsCreated,
		doc: `creates a task, named or not, with any of: in workflow "W", on channel "C", with priority N, with timeout N, with attributes {…} (last); it becomes "the task"`},
	{pattern: `^these tasks are created(|\s.*):$`, fn: (*World).theseTasksAreCreated,
		doc: "creates a task per table row, in order (columns: name, workflow, channel, priority, timeout, attributes); clauses after \"created\" apply to every row"},

	// Task state.
	{pattern: `^task "([^"]+)" should be in queue "([^"]+)"$`, fn: (*World).namedTaskInQueue,
		doc: "the named task is in that queue"},
	{pattern: `^task "([^"]+)" should be "([^"]+)"$`, fn: (*World).namedTaskStatus,
		doc: "the named task's assignment status"},
	{pattern: `^(?:task "([^"]+)"|the task) should be canceled with reason "([^"]*)"$`, fn: (*World).taskCanceledWithReason,
		doc: "the task is canceled with that reason"},
	{pattern: `^(?:task "([^"]+)"|the task) should have priority (\d+)$`, fn: (*World).taskPriority,
		doc: "the task's priority"},
	{pattern: `^(?:task "([^"]+)"|the task) should have an? "([a-z]+)" reservation for worker "([^"]+)"$`, fn: (*World).taskHasReservationFor,
		doc: "the task's reservations include one with that status for the worker"},
	{pattern: `^task "([^"]+)" gets the attributes (\{.*\})$`, fn: (*World).namedTaskGetsAttributes,
		doc: "replaces the named task's attributes (TaskRouter re-evaluates its workflow)"},
	{pattern: `^task "([^"]+)" is updated to "(canceled|wrapping|completed)"(?: with reason "([^"]*)")?$`, fn: (*World).namedTaskUpdatedTo,
		doc: "updates the named task's assignment status (a reason is made up for canceled and completed when none is given)"},

	// Reservations.
	{pattern: `^worker "([^"]+)" should have a pending reservation for task "([^"]+)"$`, fn: (*World).workerHasPendingForNamed,
		doc: "the worker has a pending reservation for the named task"},
	{pattern: `^worker "([^"]+)" should have no pending reservation for task "([^"]+)"$`, fn: (*World).workerHasNoPendingForNamed,
		doc: "the worker has no pending reservation for the named task"},
	{pattern: `^worker "([^"]+)" should have (\d+) pending reservations?$`, fn: (*World).workerPendingCount,
		doc: "the worker has that many pending reservations"},
	{pattern: `^worker "([^"]+)" (accepts|rejects) the reservation for task "([^"]+)"$`, fn: (*World).workerAnswersNamed,
		doc: "the worker accepts or rejects its pending reservation for the named task"},
	{pattern: `^worker "([^"]+)" rejects the reservation(?: for task "([^"]+)")? and goes "([^"]+)"$`, fn: (*World).rejectReservation,
		doc: "the worker rejects its pending reservation (for the named task, else the task) and moves to that activity (WorkerActivitySid)"},
	{pattern: `^worker "([^"]+)" completes task "([^"]+)"$`, fn: (*World).workerCompletesNamed,
		doc: "the worker completes its accepted reservation for the named task"},
	{pattern: `^worker "([^"]+)" should not be able to accept the reservation for task "([^"]+)"$`, fn: (*World).workerCannotAccept,
		doc: "accepting the worker's newest reservation for the named task fails with a Twilio 4xx error"},

	// Workers.
	{pattern: `^worker "([^"]+)" should be "([^"]+)"$`, fn: (*World).workerActivityIs,
		doc: "the worker's activity"},
	{pattern: `^worker "([^"]+)" gets the attributes (\{.*\})$`, fn: (*World).workerGetsAttributes,
		doc: "replaces the worker's attributes"},
	{pattern: `^worker "([^"]+)" gets capacity (\d+) on channel "([^"]+)"$`, fn: (*World).workerGetsCapacity,
		doc: "sets the worker's capacity on that task channel"},
	{pattern: `^worker "([^"]+)" should have (\d+) assigned "([^"]+)" tasks?$`, fn: (*World).workerAssignedCount,
		doc: "the worker's WorkerChannel for that task channel has that many assigned tasks"},
}

// taskSpec is what a create step asks for; zero fields are left to Twilio's defaults.
type taskSpec struct {
	name, workflow, channel, attributes string
	priority, timeout                   *int
}

func (w *World) taskIsCreated(ctx context.Context, name, tail string) error {
	spec := taskSpec{name: name}
	if err := parseTaskClauses(&spec, tail); err != nil {
		return err
	}
	return w.createTask(spec)
}

func (w *World) theseTasksAreCreated(ctx context.Context, tail string, table *godog.Table) error {
	var common taskSpec
	if err := parseTaskClauses(&common, tail); err != nil {
		return err
	}
	if len(table.Rows) < 2 {
		return errors.New("the table needs a header row (name, workflow, channel, priority, timeout, attributes) and one row per task")
	}
	header := table.Rows[0].Cells
	for _, row := range table.Rows[1:] {
		spec := common
		var clauses []string
		for i, c := range row.Cells {
			col, v := strings.TrimSpace(header[i].Value), strings.TrimSpace(c.Value)
			switch col {
			case "name":
				spec.name = v
			case "workflow":
				clauses = append(clauses, fmt.Sprintf("in workflow %q", v))
			case "channel":
				clauses = append(clauses, fmt.Sprintf("on channel %q", v))
			case "priority", "timeout":
				clauses = append(clauses, col+" "+v)
			case "attributes":
				clauses = append(clauses, "attributes "+v)
			default:
				return fmt.Errorf("unknown column %q (known: name, workflow, channel, priority, timeout, attributes)", col)
			}
		}
		if err := parseTaskClauses(&spec, strings.Join(clauses, " ")); err != nil {
			return fmt.Errorf("task %q: %w", spec.name, err)
		}
		if err := w.createTask(spec); err != nil {
			return err
		}
	}
	return nil
}

// createTask creates a task with twilio-go and remembers it by name (and as
// "the task").
func (w *World) createTask(spec taskSpec) error {
	if _, dup := w.tasks.sids[spec.name]; dup && spec.name != "" {
		return fmt.Errorf("a task named %q was already created in this scenario", spec.name)
	}
	ws, err := w.workspaceSID()
	if err != nil {
		return err
	}
	p := &taskrouter.CreateTaskParams{}
	if spec.workflow != "" {
		wf, err := w.workflowSID(ws, spec.workflow)
		if err != nil {
			return err
		}
		p.SetWorkflowSid(wf)
	}
	if spec.channel != "" {
		p.SetTaskChannel(spec.channel)
	}
	if spec.attributes != "" {
		p.SetAttributes(spec.attributes)
	}
	if spec.priority != nil {
		p.SetPriority(*spec.priority)
	}
	if spec.timeout != nil {
		p.SetTimeout(*spec.timeout)
	}
	t, err := w.Twilio.TaskrouterV1.CreateTask(ws, p)
	if err != nil {
		return fmt.Errorf("creating task %s: %w", taskLabel(spec.name, ""), err)
	}
	w.taskSID = *t.Sid
	if spec.name != "" {
		w.tasks.add(spec.name, *t.Sid)
	}
	return nil
}

func (w *World) namedTaskInQueue(ctx context.Context, name, queue string) error {
	t, err := w.fetchNamedTask(name)
	if err != nil {
		return err
	}
	if got := str(t.TaskQueueFriendlyName); got != queue {
		return fmt.Errorf("task %s is in queue %q, want %q (task is %s)", taskLabel(name, *t.Sid), got, queue, describeTask(t))
	}
	return nil
}

func (w *World) namedTaskStatus(ctx context.Context, name, status string) error {
	t, err := w.fetchNamedTask(name)
	if err != nil {
		return err
	}
	if got := str(t.AssignmentStatus); got != status {
		return fmt.Errorf("task %s is %q, want %q (task is %s)", taskLabel(name, *t.Sid), got, status, describeTask(t))
	}
	return nil
}

func (w *World) taskCanceledWithReason(ctx context.Context, name, reason string) error {
	t, err := w.fetchNamedTask(name)
	if err != nil {
		return err
	}
	if str(t.AssignmentStatus) != "canceled" || str(t.Reason) != reason {
		return fmt.Errorf("task %s is %s; want canceled with reason %q", taskLabel(name, *t.Sid), describeTask(t), reason)
	}
	return nil
}

func (w *World) taskPriority(ctx context.Context, name string, prio int) error {
	t, err := w.fetchNamedTask(name)
	if err != nil {
		return err
	}
	if t.Priority != prio {
		return fmt.Errorf("task %s has priority %d, want %d (task is %s)", taskLabel(name, *t.Sid), t.Priority, prio, describeTask(t))
	}
	return nil
}

func (w *World) taskHasReservationFor(ctx context.Context, name, status, worker string) error {
	ws, sid, err := w.namedTask(name)
	if err != nil {
		return err
	}
	res, err := w.Twilio.TaskrouterV1.ListTaskReservation(ws, sid, &taskrouter.ListTaskReservationParams{})
	if err != nil {
		return fmt.Errorf("listing reservations of task %s: %w", taskLabel(name, sid), err)
	}
	var seen []string
	for _, r := range res {
		if str(r.WorkerName) == worker && str(r.ReservationStatus) == status {
			return nil
		}
		seen = append(seen, str(r.WorkerName)+" "+str(r.ReservationStatus))
	}
	if len(seen) == 0 {
		seen = []string{"none"}
	}
	return fmt.Errorf("task %s has no %s reservation for worker %s (its reservations: %s)", taskLabel(name, sid), status, worker, strings.Join(seen, ", "))
}

func (w *World) namedTaskGetsAttributes(ctx context.Context, name, attrs string) error {
	ws, sid, err := w.namedTask(name)
	if err != nil {
		return err
	}
	p := &taskrouter.UpdateTaskParams{}
	p.SetAttributes(attrs)
	if _, err := w.Twilio.TaskrouterV1.UpdateTask(ws, sid, p); err != nil {
		return fmt.Errorf("updating the attributes of task %s: %w", taskLabel(name, sid), err)
	}
	return nil
}

func (w *World) namedTaskUpdatedTo(ctx context.Context, name, status, reason string) error {
	ws, sid, err := w.namedTask(name)
	if err != nil {
		return err
	}
	p := &taskrouter.UpdateTaskParams{}
	p.SetAssignmentStatus(status)
	if reason == "" && status != "wrapping" {
		reason = status + " by the scenario" // Twilio requires a Reason for canceled and completed
	}
	if reason != "" {
		p.SetReason(reason)
	}
	if _, err := w.Twilio.TaskrouterV1.UpdateTask(ws, sid, p); err != nil {
		return fmt.Errorf("updating task %s to %s: %w", taskLabel(name, sid), status, err)
	}
	return nil
}

func (w *World) workerHasPendingForNamed(ctx context.Context, worker, task string) error {
	_, err := w.reservationFor(worker, task, "pending")
	return err
}

func (w *World) workerHasNoPendingForNamed(ctx context.Context, worker, task string) error {
	_, sid, err := w.namedTask(task)
	if err != nil {
		return err
	}
	res, err := w.workerReservations(worker, "pending")
	if err != nil {
		return err
	}
	for _, r := range res {
		if str(r.TaskSid) == sid {
			return fmt.Errorf("worker %s has pending reservation %s for task %q, want none", worker, *r.Sid, task)
		}
	}
	return nil
}

func (w *World) workerPendingCount(ctx context.Context, worker string, n int) error {
	res, err := w.workerReservations(worker, "pending")
	if err != nil {
		return err
	}
	if len(res) != n {
		return fmt.Errorf("worker %s has %d pending reservations, want %d (%s)", worker, len(res), n, w.describeReservations(res))
	}
	return nil
}

func (w *World) workerAnswersNamed(ctx context.Context, worker, verb, task string) error {
	if verb == "rejects" {
		return w.rejectReservation(ctx, worker, task, "")
	}
	r, err := w.reservationFor(worker, task, "pending")
	if err != nil {
		return err
	}
	p := &taskrouter.UpdateWorkerReservationParams{}
	p.SetReservationStatus("accepted")
	if err := w.updateReservation(worker, *r.Sid, p); err != nil {
		return fmt.Errorf("worker %s accepting the reservation for task %q: %w", worker, task, err)
	}
	return nil
}

// rejectReservation rejects worker's pending reservation for task, moving
// the worker to activity when given (Twilio's WorkerActivitySid).
func (w *World) rejectReservation(ctx context.Context, worker, task, activity string) error {
	r, err := w.reservationFor(worker, task, "pending")
	if err != nil {
		return err
	}
	p := &taskrouter.UpdateWorkerReservationParams{}
	p.SetReservationStatus("rejected")
	if activity != "" {
		ws, _, err := w.namedTask(task)
		if err != nil {
			return err
		}
		act, err := w.activitySID(ws, activity)
		if err != nil {
			return err
		}
		p.SetWorkerActivitySid(act)
	}
	if err := w.updateReservation(worker, *r.Sid, p); err != nil {
		return fmt.Errorf("worker %s rejecting the reservation for task %s: %w", worker, w.taskName(str(r.TaskSid)), err)
	}
	return nil
}

func (w *World) workerCompletesNamed(ctx context.Context, worker, task string) error {
	r, err := w.reservationFor(worker, task, "accepted")
	if err != nil {
		return err
	}
	p := &taskrouter.UpdateWorkerReservationParams{}
	p.SetReservationStatus("completed")
	if err := w.updateReservation(worker, *r.Sid, p); err != nil {
		return fmt.Errorf("worker %s completing task %q: %w", worker, task, err)
	}
	return nil
}

func (w *World) workerCannotAccept(ctx context.Context, worker, task string) error {
	r, err := w.reservationFor(worker, task, "")
	if err != nil {
		return err
	}
	p := &taskrouter.UpdateWorkerReservationParams{}
	p.SetReservationStatus("accepted")
	err = w.updateReservation(worker, *r.Sid, p)
	var te *client.TwilioRestError
	switch {
	case err == nil:
		return fmt.Errorf("worker %s accepted its %s reservation %s for task %q; want a 4xx error", worker, str(r.ReservationStatus), *r.Sid, task)
	case !errors.As(err, &te):
		return fmt.Errorf("accepting reservation %s: want a Twilio error, got %w", *r.Sid, err)
	case te.Status < 400 || te.Status > 499:
		return fmt.Errorf("accepting reservation %s answered status %d (code %d), want 4xx", *r.Sid, te.Status, te.Code)
	}
	return nil
}

func (w *World) workerActivityIs(ctx context.Context, worker, activity string) error {
	ws, wk, err := w.workerSID(worker)
	if err != nil {
		return err
	}
	got, err := w.Twilio.TaskrouterV1.FetchWorker(ws, wk)
	if err != nil {
		return fmt.Errorf("fetching worker %s: %w", worker, err)
	}
	if str(got.ActivityName) != activity {
		return fmt.Errorf("worker %s is %q, want %q", worker, str(got.ActivityName), activity)
	}
	return nil
}

func (w *World) workerGetsAttributes(ctx context.Context, worker, attrs string) error {
	ws, wk, err := w.workerSID(worker)
	if err != nil {
		return err
	}
	p := &taskrouter.UpdateWorkerParams{}
	p.SetAttributes(attrs)
	if _, err := w.Twilio.TaskrouterV1.UpdateWorker(ws, wk, p); err != nil {
		return fmt.Errorf("updating the attributes of worker %s: %w", worker, err)
	}
	return nil
}

func (w *World) workerGetsCapacity(ctx context.Context, worker string, capacity int, channel string) error {
	ws, wk, err := w.workerSID(worker)
	if err != nil {
		return err
	}
	wc, err := w.workerChannel(ws, wk, worker, channel)
	if err != nil {
		return err
	}
	p := &taskrouter.UpdateWorkerChannelParams{}
	p.SetCapacity(capacity)
	if _, err := w.Twilio.TaskrouterV1.UpdateWorkerChannel(ws, wk, *wc.Sid, p); err != nil {
		return fmt.Errorf("setting worker %s's %s capacity to %d: %w", worker, channel, capacity, err)
	}
	return nil
}

func (w *World) workerAssignedCount(ctx context.Context, worker string, n int, channel string) error {
	ws, wk, err := w.workerSID(worker)
	if err != nil {
		return err
	}
	c, err := w.workerChannel(ws, wk, worker, channel)
	if err != nil {
		return err
	}
	if c.AssignedTasks != n {
		return fmt.Errorf("worker %s has %d assigned %s tasks (capacity %d), want %d", worker, c.AssignedTasks, channel, c.ConfiguredCapacity, n)
	}
	return nil
}
