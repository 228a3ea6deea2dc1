package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/cucumber/godog"
	"github.com/twilio/twilio-go/client"
	taskrouter "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

func registerTaskRouterSteps(sc *godog.ScenarioContext) {
	registerRoutingSteps(sc)
	sc.Step(`^a task should be created in workflow "([^"]+)"$`, func(ctx context.Context, name string) error {
		t, err := lastTask(ctx)
		if err != nil {
			return err
		}
		if got := str(t.WorkflowFriendlyName); got != name {
			return fmt.Errorf("task %s is in workflow %q, want %q", *t.Sid, got, name)
		}
		return nil
	})
	sc.Step(`^the task should be in queue "([^"]+)"$`, func(ctx context.Context, name string) error {
		t, err := lastTask(ctx)
		if err != nil {
			return err
		}
		if got := str(t.TaskQueueFriendlyName); got != name {
			return fmt.Errorf("task %s is in queue %q, want %q", *t.Sid, got, name)
		}
		return nil
	})
	sc.Step(`^the task should be "([^"]+)"$`, func(ctx context.Context, status string) error {
		t, err := lastTask(ctx)
		if err != nil {
			return err
		}
		if got := str(t.AssignmentStatus); got != status {
			return fmt.Errorf("task %s is %q, want %q", *t.Sid, got, status)
		}
		return nil
	})
	sc.Step(`^the task should have the attribute "([^"]+)" set to "([^"]*)"$`, func(ctx context.Context, key, want string) error {
		t, err := lastTask(ctx)
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
	})
	sc.Step(`^worker "([^"]+)" should have a pending reservation for the task$`, func(ctx context.Context, worker string) error {
		_, err := pendingReservation(ctx, worker)
		return err
	})
	sc.Step(`^worker "([^"]+)" should have no pending reservation$`, func(ctx context.Context, worker string) error {
		w, ws, wk, err := workerByName(ctx, worker)
		if err != nil {
			return err
		}
		p := &taskrouter.ListWorkerReservationParams{}
		p.SetReservationStatus("pending")
		res, err := w.Twilio.TaskrouterV1.ListWorkerReservation(ws, wk, p)
		if err != nil {
			return err
		}
		if len(res) != 0 {
			return fmt.Errorf("worker %s has %d pending reservations, want none", worker, len(res))
		}
		return nil
	})
	sc.Step(`^worker "([^"]+)" (accepts|rejects|completes) the reservation$`, func(ctx context.Context, worker, verb string) error {
		status := map[string]string{"accepts": "accepted", "rejects": "rejected", "completes": "completed"}[verb]
		w, ws, wk, err := workerByName(ctx, worker)
		if err != nil {
			return err
		}
		var sid string
		if verb == "completes" {
			p := &taskrouter.ListWorkerReservationParams{}
			p.SetReservationStatus("accepted")
			res, err := w.Twilio.TaskrouterV1.ListWorkerReservation(ws, wk, p)
			if err != nil {
				return err
			}
			if len(res) == 0 {
				return fmt.Errorf("worker %s has no accepted reservation to complete", worker)
			}
			sid = *res[0].Sid
		} else {
			r, err := pendingReservation(ctx, worker)
			if err != nil {
				return err
			}
			sid = *r.Sid
		}
		p := &taskrouter.UpdateWorkerReservationParams{}
		p.SetReservationStatus(status)
		_, err = w.Twilio.TaskrouterV1.UpdateWorkerReservation(ws, wk, sid, p)
		return err
	})
	sc.Step(`^worker "([^"]+)" (?:is|becomes|goes) "([^"]+)"$`, func(ctx context.Context, worker, activity string) error {
		w, ws, wk, err := workerByName(ctx, worker)
		if err != nil {
			return err
		}
		ap := &taskrouter.ListActivityParams{}
		ap.SetFriendlyName(activity)
		acts, err := w.Twilio.TaskrouterV1.ListActivity(ws, ap)
		if err != nil {
			return err
		}
		if len(acts) == 0 {
			return fmt.Errorf("no activity named %q", activity)
		}
		p := &taskrouter.UpdateWorkerParams{}
		p.SetActivitySid(*acts[0].Sid)
		_, err = w.Twilio.TaskrouterV1.UpdateWorker(ws, wk, p)
		return err
	})
}

func lastTask(ctx context.Context) (*taskrouter.TaskrouterV1Task, error) {
	w, err := world(ctx)
	if err != nil {
		return nil, err
	}
	if w.taskSID == "" {
		return nil, errors.New("the last customer message created no task")
	}
	if w.Info.Workspace == nil {
		return nil, errors.New("the emulator has no workspace")
	}
	return w.Twilio.TaskrouterV1.FetchTask(w.Info.Workspace.SID, w.taskSID)
}

func workerByName(ctx context.Context, name string) (*World, string, string, error) {
	w, err := world(ctx)
	if err != nil {
		return nil, "", "", err
	}
	if w.Info.Workspace == nil {
		return nil, "", "", errors.New("the emulator has no workspace")
	}
	ws := w.Info.Workspace.SID
	p := &taskrouter.ListWorkerParams{}
	p.SetFriendlyName(name)
	workers, err := w.Twilio.TaskrouterV1.ListWorker(ws, p)
	if err != nil {
		return nil, "", "", err
	}
	if len(workers) == 0 {
		return nil, "", "", fmt.Errorf("no worker named %q", name)
	}
	return w, ws, *workers[0].Sid, nil
}

func pendingReservation(ctx context.Context, worker string) (*taskrouter.TaskrouterV1WorkerReservation, error) {
	w, ws, wk, err := workerByName(ctx, worker)
	if err != nil {
		return nil, err
	}
	p := &taskrouter.ListWorkerReservationParams{}
	p.SetReservationStatus("pending")
	res, err := w.Twilio.TaskrouterV1.ListWorkerReservation(ws, wk, p)
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

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// --- Named tasks and routing rules -----------------------------------------
//
// The steps below create TaskRouter tasks directly with twilio-go (as a
// backend would) and name them, so a scenario can talk about several tasks:
//
//	When task "urgent" is created in workflow "Everyone" with priority 10
//	Then worker "ana" should have a pending reservation for task "urgent"
//
// "a task is created …" (no name) becomes "the task" of the steps above.

// trState is the per-scenario state of the routing steps.
type trState struct {
	tasks map[string]string // task name → WT SID
	names map[string]string // WT SID → task name, for messages
}

type trKey struct{}

func trStateOf(ctx context.Context) *trState {
	s, _ := ctx.Value(trKey{}).(*trState)
	return s
}

// taskSpec is what a create step asks for; zero fields are left to Twilio's defaults.
type taskSpec struct {
	name, workflow, channel, attributes string
	priority, timeout                   *int
}

var createClauses = []*regexp.Regexp{
	regexp.MustCompile(`^in workflow "([^"]+)"`),
	regexp.MustCompile(`^on channel "([^"]+)"`),
	regexp.MustCompile(`^priority (-?\d+)`),
	regexp.MustCompile(`^timeout (\d+)(?: seconds?)?`),
	regexp.MustCompile(`^attributes (.+)$`),
}

// parseTaskClauses reads the tail of a create step: any of `in workflow "W"`,
// `on channel "C"`, `with priority N`, `with timeout N`, `with attributes
// {…}` (last), joined by spaces, "with", "and" or commas.
func parseTaskClauses(spec *taskSpec, tail string) error {
	rest := strings.TrimSpace(tail)
	for rest != "" {
		for _, p := range []string{",", "and ", "with "} {
			rest = strings.TrimSpace(strings.TrimPrefix(rest, p))
		}
		matched := false
		for i, re := range createClauses {
			m := re.FindStringSubmatch(rest)
			if m == nil {
				continue
			}
			switch i {
			case 0:
				spec.workflow = m[1]
			case 1:
				spec.channel = m[1]
			case 2, 3:
				n, err := strconv.Atoi(m[1])
				if err != nil {
					return fmt.Errorf("%q is not a number: %w", m[1], err)
				}
				if i == 2 {
					spec.priority = &n
				} else {
					spec.timeout = &n
				}
			case 4:
				spec.attributes = strings.TrimSpace(m[1])
			}
			rest = strings.TrimSpace(rest[len(m[0]):])
			matched = true
			break
		}
		if !matched {
			return fmt.Errorf(`cannot read %q: expected in workflow "W", on channel "C", with priority N, with timeout N or with attributes {…}`, rest)
		}
	}
	if spec.attributes != "" {
		var obj map[string]any
		if err := json.Unmarshal([]byte(spec.attributes), &obj); err != nil {
			return fmt.Errorf("task attributes %s are not a JSON object: %w", spec.attributes, err)
		}
	}
	return nil
}

// createTask creates a task with twilio-go and remembers it by name (and as
// "the task").
func createTask(ctx context.Context, spec taskSpec) error {
	w, err := world(ctx)
	if err != nil {
		return err
	}
	st := trStateOf(ctx)
	if st == nil {
		return errors.New("flexemu steps: no routing state in context; call steps.Register(sc)")
	}
	if _, dup := st.tasks[spec.name]; dup && spec.name != "" {
		return fmt.Errorf("a task named %q was already created in this scenario", spec.name)
	}
	ws, err := workspaceSID(w)
	if err != nil {
		return err
	}
	p := &taskrouter.CreateTaskParams{}
	if spec.workflow != "" {
		wf, err := workflowSID(w, ws, spec.workflow)
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
		st.tasks[spec.name] = *t.Sid
		st.names[*t.Sid] = spec.name
	}
	return nil
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

func workspaceSID(w *World) (string, error) {
	if w.Info == nil || w.Info.Workspace == nil {
		return "", errors.New("the emulator has no workspace")
	}
	return w.Info.Workspace.SID, nil
}

func workflowSID(w *World, ws, name string) (string, error) {
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

// namedTask resolves a task name ("" = the last task created or caused by
// a customer message) to its SID.
func namedTask(ctx context.Context, name string) (*World, string, string, error) {
	w, err := world(ctx)
	if err != nil {
		return nil, "", "", err
	}
	ws, err := workspaceSID(w)
	if err != nil {
		return nil, "", "", err
	}
	if name == "" {
		if w.taskSID == "" {
			return nil, "", "", errors.New("no task was created yet in this scenario")
		}
		return w, ws, w.taskSID, nil
	}
	st := trStateOf(ctx)
	if st == nil {
		return nil, "", "", errors.New("flexemu steps: no routing state in context; call steps.Register(sc)")
	}
	sid, ok := st.tasks[name]
	if !ok {
		known := make([]string, 0, len(st.tasks))
		for n := range st.tasks {
			known = append(known, strconv.Quote(n))
		}
		sort.Strings(known)
		return nil, "", "", fmt.Errorf("no task named %q in this scenario (tasks: %s)", name, strings.Join(known, ", "))
	}
	return w, ws, sid, nil
}

func fetchNamedTask(ctx context.Context, name string) (*taskrouter.TaskrouterV1Task, error) {
	w, ws, sid, err := namedTask(ctx, name)
	if err != nil {
		return nil, err
	}
	t, err := w.Twilio.TaskrouterV1.FetchTask(ws, sid)
	if err != nil {
		return nil, fmt.Errorf("fetching task %s: %w", taskLabel(name, sid), err)
	}
	return t, nil
}

// describeTask is one line of task state for failure messages.
func describeTask(t *taskrouter.TaskrouterV1Task) string {
	return fmt.Sprintf("%s in queue %q, priority %d, reason %q", str(t.AssignmentStatus), str(t.TaskQueueFriendlyName), t.Priority, str(t.Reason))
}

// taskName is the scenario's name for a task SID, or the SID.
func taskName(ctx context.Context, sid string) string {
	if st := trStateOf(ctx); st != nil {
		if n, ok := st.names[sid]; ok {
			return strconv.Quote(n)
		}
	}
	return sid
}

// workerReservations lists a worker's reservations, optionally by status.
func workerReservations(ctx context.Context, worker, status string) ([]taskrouter.TaskrouterV1WorkerReservation, error) {
	w, ws, wk, err := workerByName(ctx, worker)
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
func describeReservations(ctx context.Context, res []taskrouter.TaskrouterV1WorkerReservation) string {
	if len(res) == 0 {
		return "none"
	}
	parts := make([]string, len(res))
	for i, r := range res {
		parts[i] = fmt.Sprintf("task %s %s", taskName(ctx, str(r.TaskSid)), str(r.ReservationStatus))
	}
	return strings.Join(parts, ", ")
}

// reservationFor finds worker's reservation for the named task with the
// given status ("" = the newest with any status).
func reservationFor(ctx context.Context, worker, task, status string) (*taskrouter.TaskrouterV1WorkerReservation, error) {
	_, _, sid, err := namedTask(ctx, task)
	if err != nil {
		return nil, err
	}
	all, err := workerReservations(ctx, worker, "")
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
			worker, strings.TrimPrefix(what, "a "), taskName(ctx, sid), describeReservations(ctx, all))
	}
	return found, nil
}

func updateReservation(ctx context.Context, worker, sid string, p *taskrouter.UpdateWorkerReservationParams) error {
	w, ws, wk, err := workerByName(ctx, worker)
	if err != nil {
		return err
	}
	_, err = w.Twilio.TaskrouterV1.UpdateWorkerReservation(ws, wk, sid, p)
	return err
}

func activitySID(w *World, ws, name string) (string, error) {
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

// rejectReservation rejects worker's pending reservation for task, moving
// the worker to activity when given (Twilio's WorkerActivitySid).
func rejectReservation(ctx context.Context, worker, task, activity string) error {
	r, err := reservationFor(ctx, worker, task, "pending")
	if err != nil {
		return err
	}
	p := &taskrouter.UpdateWorkerReservationParams{}
	p.SetReservationStatus("rejected")
	if activity != "" {
		w, ws, _, err := namedTask(ctx, task)
		if err != nil {
			return err
		}
		act, err := activitySID(w, ws, activity)
		if err != nil {
			return err
		}
		p.SetWorkerActivitySid(act)
	}
	if err := updateReservation(ctx, worker, *r.Sid, p); err != nil {
		return fmt.Errorf("worker %s rejecting the reservation for task %s: %w", worker, taskName(ctx, str(r.TaskSid)), err)
	}
	return nil
}

func registerRoutingSteps(sc *godog.ScenarioContext) {
	sc.Before(func(ctx context.Context, _ *godog.Scenario) (context.Context, error) {
		return context.WithValue(ctx, trKey{}, &trState{tasks: map[string]string{}, names: map[string]string{}}), nil
	})

	// Creating tasks.
	sc.Step(`^(?:a task|task "([^"]+)") is created(|\s.*)$`, func(ctx context.Context, name, tail string) error {
		spec := taskSpec{name: name}
		if err := parseTaskClauses(&spec, tail); err != nil {
			return err
		}
		return createTask(ctx, spec)
	})
	sc.Step(`^these tasks are created(|\s.*):$`, func(ctx context.Context, tail string, table *godog.Table) error {
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
			if err := createTask(ctx, spec); err != nil {
				return err
			}
		}
		return nil
	})

	// Task state.
	sc.Step(`^task "([^"]+)" should be in queue "([^"]+)"$`, func(ctx context.Context, name, queue string) error {
		t, err := fetchNamedTask(ctx, name)
		if err != nil {
			return err
		}
		if got := str(t.TaskQueueFriendlyName); got != queue {
			return fmt.Errorf("task %s is in queue %q, want %q (task is %s)", taskLabel(name, *t.Sid), got, queue, describeTask(t))
		}
		return nil
	})
	sc.Step(`^task "([^"]+)" should be "([^"]+)"$`, func(ctx context.Context, name, status string) error {
		t, err := fetchNamedTask(ctx, name)
		if err != nil {
			return err
		}
		if got := str(t.AssignmentStatus); got != status {
			return fmt.Errorf("task %s is %q, want %q (task is %s)", taskLabel(name, *t.Sid), got, status, describeTask(t))
		}
		return nil
	})
	sc.Step(`^(?:task "([^"]+)"|the task) should be canceled with reason "([^"]*)"$`, func(ctx context.Context, name, reason string) error {
		t, err := fetchNamedTask(ctx, name)
		if err != nil {
			return err
		}
		if str(t.AssignmentStatus) != "canceled" || str(t.Reason) != reason {
			return fmt.Errorf("task %s is %s; want canceled with reason %q", taskLabel(name, *t.Sid), describeTask(t), reason)
		}
		return nil
	})
	sc.Step(`^(?:task "([^"]+)"|the task) should have priority (\d+)$`, func(ctx context.Context, name string, prio int) error {
		t, err := fetchNamedTask(ctx, name)
		if err != nil {
			return err
		}
		if t.Priority != prio {
			return fmt.Errorf("task %s has priority %d, want %d (task is %s)", taskLabel(name, *t.Sid), t.Priority, prio, describeTask(t))
		}
		return nil
	})
	sc.Step(`^(?:task "([^"]+)"|the task) should have an? "([a-z]+)" reservation for worker "([^"]+)"$`, func(ctx context.Context, name, status, worker string) error {
		w, ws, sid, err := namedTask(ctx, name)
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
	})
	sc.Step(`^task "([^"]+)" gets the attributes (\{.*\})$`, func(ctx context.Context, name, attrs string) error {
		w, ws, sid, err := namedTask(ctx, name)
		if err != nil {
			return err
		}
		p := &taskrouter.UpdateTaskParams{}
		p.SetAttributes(attrs)
		if _, err := w.Twilio.TaskrouterV1.UpdateTask(ws, sid, p); err != nil {
			return fmt.Errorf("updating the attributes of task %s: %w", taskLabel(name, sid), err)
		}
		return nil
	})

	sc.Step(`^task "([^"]+)" is updated to "(canceled|wrapping|completed)"(?: with reason "([^"]*)")?$`, func(ctx context.Context, name, status, reason string) error {
		w, ws, sid, err := namedTask(ctx, name)
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
	})

	// Reservations.
	sc.Step(`^worker "([^"]+)" should have a pending reservation for task "([^"]+)"$`, func(ctx context.Context, worker, task string) error {
		_, err := reservationFor(ctx, worker, task, "pending")
		return err
	})
	sc.Step(`^worker "([^"]+)" should have no pending reservation for task "([^"]+)"$`, func(ctx context.Context, worker, task string) error {
		_, _, sid, err := namedTask(ctx, task)
		if err != nil {
			return err
		}
		res, err := workerReservations(ctx, worker, "pending")
		if err != nil {
			return err
		}
		for _, r := range res {
			if str(r.TaskSid) == sid {
				return fmt.Errorf("worker %s has pending reservation %s for task %q, want none", worker, *r.Sid, task)
			}
		}
		return nil
	})
	sc.Step(`^worker "([^"]+)" should have (\d+) pending reservations?$`, func(ctx context.Context, worker string, n int) error {
		res, err := workerReservations(ctx, worker, "pending")
		if err != nil {
			return err
		}
		if len(res) != n {
			return fmt.Errorf("worker %s has %d pending reservations, want %d (%s)", worker, len(res), n, describeReservations(ctx, res))
		}
		return nil
	})
	sc.Step(`^worker "([^"]+)" (accepts|rejects) the reservation for task "([^"]+)"$`, func(ctx context.Context, worker, verb, task string) error {
		if verb == "rejects" {
			return rejectReservation(ctx, worker, task, "")
		}
		r, err := reservationFor(ctx, worker, task, "pending")
		if err != nil {
			return err
		}
		p := &taskrouter.UpdateWorkerReservationParams{}
		p.SetReservationStatus("accepted")
		if err := updateReservation(ctx, worker, *r.Sid, p); err != nil {
			return fmt.Errorf("worker %s accepting the reservation for task %q: %w", worker, task, err)
		}
		return nil
	})
	sc.Step(`^worker "([^"]+)" rejects the reservation(?: for task "([^"]+)")? and goes "([^"]+)"$`, rejectReservation)
	sc.Step(`^worker "([^"]+)" completes task "([^"]+)"$`, func(ctx context.Context, worker, task string) error {
		r, err := reservationFor(ctx, worker, task, "accepted")
		if err != nil {
			return err
		}
		p := &taskrouter.UpdateWorkerReservationParams{}
		p.SetReservationStatus("completed")
		if err := updateReservation(ctx, worker, *r.Sid, p); err != nil {
			return fmt.Errorf("worker %s completing task %q: %w", worker, task, err)
		}
		return nil
	})
	sc.Step(`^worker "([^"]+)" should not be able to accept the reservation for task "([^"]+)"$`, func(ctx context.Context, worker, task string) error {
		r, err := reservationFor(ctx, worker, task, "")
		if err != nil {
			return err
		}
		p := &taskrouter.UpdateWorkerReservationParams{}
		p.SetReservationStatus("accepted")
		err = updateReservation(ctx, worker, *r.Sid, p)
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
	})

	// Workers.
	sc.Step(`^worker "([^"]+)" should be "([^"]+)"$`, func(ctx context.Context, worker, activity string) error {
		w, ws, wk, err := workerByName(ctx, worker)
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
	})
	sc.Step(`^worker "([^"]+)" gets the attributes (\{.*\})$`, func(ctx context.Context, worker, attrs string) error {
		w, ws, wk, err := workerByName(ctx, worker)
		if err != nil {
			return err
		}
		p := &taskrouter.UpdateWorkerParams{}
		p.SetAttributes(attrs)
		if _, err := w.Twilio.TaskrouterV1.UpdateWorker(ws, wk, p); err != nil {
			return fmt.Errorf("updating the attributes of worker %s: %w", worker, err)
		}
		return nil
	})
	sc.Step(`^worker "([^"]+)" gets capacity (\d+) on channel "([^"]+)"$`, func(ctx context.Context, worker string, capacity int, channel string) error {
		w, ws, wk, err := workerByName(ctx, worker)
		if err != nil {
			return err
		}
		wc, err := workerChannel(w, ws, wk, worker, channel)
		if err != nil {
			return err
		}
		p := &taskrouter.UpdateWorkerChannelParams{}
		p.SetCapacity(capacity)
		if _, err := w.Twilio.TaskrouterV1.UpdateWorkerChannel(ws, wk, *wc.Sid, p); err != nil {
			return fmt.Errorf("setting worker %s's %s capacity to %d: %w", worker, channel, capacity, err)
		}
		return nil
	})
	sc.Step(`^worker "([^"]+)" should have (\d+) assigned "([^"]+)" tasks?$`, func(ctx context.Context, worker string, n int, channel string) error {
		w, ws, wk, err := workerByName(ctx, worker)
		if err != nil {
			return err
		}
		c, err := workerChannel(w, ws, wk, worker, channel)
		if err != nil {
			return err
		}
		if c.AssignedTasks != n {
			return fmt.Errorf("worker %s has %d assigned %s tasks (capacity %d), want %d", worker, c.AssignedTasks, channel, c.ConfiguredCapacity, n)
		}
		return nil
	})
}

// workerChannel finds a worker's WorkerChannel by task channel unique name.
func workerChannel(w *World, ws, wk, worker, channel string) (*taskrouter.TaskrouterV1WorkerChannel, error) {
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
