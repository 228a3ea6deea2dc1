package steps

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	taskrouter "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

// Lookups the TaskRouter, transfer and Flex steps share: workers, queues,
// activities and tasks by the names a feature uses, through twilio-go.

// namedTasks are the tasks a scenario created and named, so it can talk
// about several ("task "urgent" should be in queue …").
type namedTasks struct {
	sids  map[string]string // task name → WT SID
	names map[string]string // WT SID → task name, for messages
}

func newNamedTasks() namedTasks {
	return namedTasks{sids: map[string]string{}, names: map[string]string{}}
}

func (n namedTasks) add(name, sid string) {
	n.sids[name] = sid
	n.names[sid] = name
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (w *World) workspaceSID() (string, error) {
	if w.Info == nil || w.Info.Workspace == nil {
		return "", errors.New("the emulator has no workspace")
	}
	return w.Info.Workspace.SID, nil
}

// lastTask fetches "the task": the one the last customer message created,
// or the one a later step moved the scenario to.
func (w *World) lastTask() (*taskrouter.TaskrouterV1Task, error) {
	if w.taskSID == "" {
		return nil, errors.New("the last customer message created no task")
	}
	ws, err := w.workspaceSID()
	if err != nil {
		return nil, err
	}
	return w.Twilio.TaskrouterV1.FetchTask(ws, w.taskSID)
}

// workerSID finds a worker by friendly name; it returns the workspace too.
func (w *World) workerSID(name string) (ws, wk string, err error) {
	if ws, err = w.workspaceSID(); err != nil {
		return "", "", err
	}
	p := &taskrouter.ListWorkerParams{}
	p.SetFriendlyName(name)
	workers, err := w.Twilio.TaskrouterV1.ListWorker(ws, p)
	if err != nil {
		return "", "", err
	}
	if len(workers) == 0 {
		return "", "", fmt.Errorf("no worker named %q", name)
	}
	return ws, *workers[0].Sid, nil
}

func (w *World) workflowSID(ws, name string) (string, error) {
	flows, err := w.Twilio.TaskrouterV1.ListWorkflow(ws, &taskrouter.ListWorkflowParams{})
	if err != nil {
		return "", fmt.Errorf("listing workflows: %w", err)
	}
	var names []string
	for _, f := range flows {
		if str(f.FriendlyName) == name {
			return *f.Sid, nil
		}
		names = append(names, str(f.FriendlyName))
	}
	return "", fmt.Errorf("no workflow named %q (workflows: %s)", name, strings.Join(names, ", "))
}

func (w *World) activitySID(ws, name string) (string, error) {
	ap := &taskrouter.ListActivityParams{}
	ap.SetFriendlyName(name)
	acts, err := w.Twilio.TaskrouterV1.ListActivity(ws, ap)
	if err != nil {
		return "", fmt.Errorf("listing activities: %w", err)
	}
	if len(acts) == 0 {
		return "", fmt.Errorf("no activity named %q", name)
	}
	return *acts[0].Sid, nil
}

func (w *World) queueSID(name string) (string, error) {
	ws, err := w.workspaceSID()
	if err != nil {
		return "", err
	}
	qs, err := w.Twilio.TaskrouterV1.ListTaskQueue(ws, (&taskrouter.ListTaskQueueParams{}).SetFriendlyName(name))
	if err != nil || len(qs) == 0 {
		return "", fmt.Errorf("no task queue %q: %v", name, err)
	}
	return *qs[0].Sid, nil
}

// namedTask resolves a task name ("" = the last task created or caused by
// a customer message) to its SID.
func (w *World) namedTask(name string) (ws, sid string, err error) {
	if ws, err = w.workspaceSID(); err != nil {
		return "", "", err
	}
	if name == "" {
		if w.taskSID == "" {
			return "", "", errors.New("no task was created yet in this scenario")
		}
		return ws, w.taskSID, nil
	}
	sid, ok := w.tasks.sids[name]
	if !ok {
		known := make([]string, 0, len(w.tasks.sids))
		for n := range w.tasks.sids {
			known = append(known, strconv.Quote(n))
		}
		sort.Strings(known)
		return "", "", fmt.Errorf("no task named %q in this scenario (tasks: %s)", name, strings.Join(known, ", "))
	}
	return ws, sid, nil
}

func (w *World) fetchNamedTask(name string) (*taskrouter.TaskrouterV1Task, error) {
	ws, sid, err := w.namedTask(name)
	if err != nil {
		return nil, err
	}
	t, err := w.Twilio.TaskrouterV1.FetchTask(ws, sid)
	if err != nil {
		return nil, fmt.Errorf("fetching task %s: %w", taskLabel(name, sid), err)
	}
	return t, nil
}

func taskLabel(name, sid string) string {
	switch {
	case name != "" && sid != "":
		return fmt.Sprintf("%q (%s)", name, sid)
	case name != "":
		return fmt.Sprintf("%q", name)
	case sid != "":
		return sid
	}
	return "(unnamed)"
}

// describeTask is one line of task state for failure messages.
func describeTask(t *taskrouter.TaskrouterV1Task) string {
	return fmt.Sprintf("%s in queue %q, priority %d, reason %q", str(t.AssignmentStatus), str(t.TaskQueueFriendlyName), t.Priority, str(t.Reason))
}

// taskName is the scenario's name for a task SID, or the SID.
func (w *World) taskName(sid string) string {
	if n, ok := w.tasks.names[sid]; ok {
		return strconv.Quote(n)
	}
	return sid
}

// workerReservations lists a worker's reservations, optionally by status.
func (w *World) workerReservations(worker, status string) ([]taskrouter.TaskrouterV1WorkerReservation, error) {
	ws, wk, err := w.workerSID(worker)
	if err != nil {
		return nil, err
	}
	p := &taskrouter.ListWorkerReservationParams{}
	if status != "" {
		p.SetReservationStatus(status)
	}
	res, err := w.Twilio.TaskrouterV1.ListWorkerReservation(ws, wk, p)
	if err != nil {
		return nil, fmt.Errorf("listing reservations of worker %s: %w", worker, err)
	}
	return res, nil
}

// describeReservations is "task "a" pending, task "b" timeout" for messages.
func (w *World) describeReservations(res []taskrouter.TaskrouterV1WorkerReservation) string {
	if len(res) == 0 {
		return "none"
	}
	parts := make([]string, len(res))
	for i, r := range res {
		parts[i] = fmt.Sprintf("task %s %s", w.taskName(str(r.TaskSid)), str(r.ReservationStatus))
	}
	return strings.Join(parts, ", ")
}

// pendingReservation is worker's pending reservation for "the task" (any
// pending one when the scenario has no task).
func (w *World) pendingReservation(worker string) (*taskrouter.TaskrouterV1WorkerReservation, error) {
	res, err := w.workerReservations(worker, "pending")
	if err != nil {
		return nil, err
	}
	for i := range res {
		if w.taskSID == "" || str(res[i].TaskSid) == w.taskSID {
			return &res[i], nil
		}
	}
	return nil, fmt.Errorf("worker %s has no pending reservation for task %s (%d pending)", worker, w.taskSID, len(res))
}

// reservationFor finds worker's reservation for the named task with the
// given status ("" = the newest with any status).
func (w *World) reservationFor(worker, task, status string) (*taskrouter.TaskrouterV1WorkerReservation, error) {
	_, sid, err := w.namedTask(task)
	if err != nil {
		return nil, err
	}
	all, err := w.workerReservations(worker, "")
	if err != nil {
		return nil, err
	}
	var found *taskrouter.TaskrouterV1WorkerReservation
	for i := range all {
		r := &all[i]
		if str(r.TaskSid) == sid && (status == "" || str(r.ReservationStatus) == status) {
			found = r // lists are oldest first: keep the newest
		}
	}
	if found == nil {
		what := "a " + status + " reservation"
		if status == "" {
			what = "any reservation"
		}
		return nil, fmt.Errorf("worker %s has no %s for task %s (its reservations: %s)",
			worker, strings.TrimPrefix(what, "a "), w.taskName(sid), w.describeReservations(all))
	}
	return found, nil
}

func (w *World) updateReservation(worker, sid string, p *taskrouter.UpdateWorkerReservationParams) error {
	ws, wk, err := w.workerSID(worker)
	if err != nil {
		return err
	}
	_, err = w.Twilio.TaskrouterV1.UpdateWorkerReservation(ws, wk, sid, p)
	return err
}

// workerChannel finds a worker's WorkerChannel by task channel unique name.
func (w *World) workerChannel(ws, wk, worker, channel string) (*taskrouter.TaskrouterV1WorkerChannel, error) {
	chans, err := w.Twilio.TaskrouterV1.ListWorkerChannel(ws, wk, &taskrouter.ListWorkerChannelParams{})
	if err != nil {
		return nil, fmt.Errorf("listing channels of worker %s: %w", worker, err)
	}
	var names []string
	for i := range chans {
		if str(chans[i].TaskChannelUniqueName) == channel {
			return &chans[i], nil
		}
		names = append(names, str(chans[i].TaskChannelUniqueName))
	}
	return nil, fmt.Errorf("worker %s has no %q channel (channels: %s)", worker, channel, strings.Join(names, ", "))
}
