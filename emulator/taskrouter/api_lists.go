package taskrouter

import (
	"math"
	"strings"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// List endpoints: every query filter the OpenAPI spec documents for the
// list, validated (a bad value is a 400 with code 20001 naming the
// parameter), then Twilio's paging (PageSize, Page, PageToken, meta).

// sidFilter reads an optional SID-valued filter, rejecting a value that is
// not a SID of the expected kind.
func sidFilter(f twilio.Form, name, prefix string) (string, error) {
	v, ok := f.String(name)
	if !ok || v == "" {
		return "", nil
	}
	if !twilio.IsSID(v, prefix) {
		return "", twilio.InvalidParam(name, "%q is not a %s SID (%s followed by 32 hex digits)", v, prefix, prefix)
	}
	return v, nil
}

// lowerAll lower-cases status filters: Twilio matches statuses without
// regard to case.
func lowerAll(vs []string) []string {
	for i, v := range vs {
		vs[i] = strings.ToLower(v)
	}
	return vs
}

func listWorkspaces(e *Engine, r *twilio.Request) (any, error) {
	name, _ := r.Form.String("FriendlyName")
	return twilio.Paginate(r, r.URL("/v1/Workspaces"), "workspaces", e.Workspaces(name),
		func(ws *Workspace) any { return renderWorkspace(r, ws) }, maxPageSize)
}

func listActivities(e *Engine, r *twilio.Request) (any, error) {
	name, _ := r.Form.String("FriendlyName")
	list, err := e.Activities(r.Path("WorkspaceSid"), name, r.Form.OptBool("Available"))
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL(wsPath(r)+"/Activities"), "activities", list,
		func(a *Activity) any { return renderActivity(r, e.env.AccountSID, a) }, maxPageSize)
}

func listTaskChannels(e *Engine, r *twilio.Request) (any, error) {
	list, err := e.TaskChannels(r.Path("WorkspaceSid"))
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL(wsPath(r)+"/TaskChannels"), "channels", list,
		func(c *TaskChannel) any { return renderTaskChannel(r, e.env.AccountSID, c) }, maxPageSize)
}

func listWorkers(e *Engine, r *twilio.Request) (any, error) {
	f := WorkerFilter{Available: r.Form.OptBool("Available")}
	var err error
	if f.ActivitySID, err = sidFilter(r.Form, "ActivitySid", "WA"); err != nil {
		return nil, err
	}
	if f.TaskQueueSID, err = sidFilter(r.Form, "TaskQueueSid", "WQ"); err != nil {
		return nil, err
	}
	f.ActivityName, _ = r.Form.String("ActivityName")
	f.FriendlyName, _ = r.Form.String("FriendlyName")
	f.TaskQueueName, _ = r.Form.String("TaskQueueName")
	f.TargetWorkersExpression, _ = r.Form.String("TargetWorkersExpression")
	f.Ordering, _ = r.Form.String("Ordering")
	list, err := e.Workers(r.Path("WorkspaceSid"), f)
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL(wsPath(r)+"/Workers"), "workers", list,
		func(w *Worker) any { return renderWorker(r, e.env.AccountSID, w) }, maxPageSize)
}

func listWorkerChannels(e *Engine, r *twilio.Request) (any, error) {
	w, err := e.Worker(r.Path("WorkspaceSid"), r.Path("WorkerSid"))
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL(wsPath(r)+"/Workers/"+w.SID+"/Channels"), "channels", w.Channels(),
		func(wc *WorkerChannel) any { return renderWorkerChannel(r, e.env.AccountSID, wc) }, maxPageSize)
}

// listReservations serves both reservation views; ReservationStatus may be
// repeated or comma-separated.
func listReservations(e *Engine, r *twilio.Request, f ReservationFilter, byWorker bool, listPath string) (any, error) {
	f.Status = lowerAll(r.Form.Strings("ReservationStatus"))
	list, err := e.Reservations(r.Path("WorkspaceSid"), f)
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL(listPath), "reservations", list,
		func(res *Reservation) any { return renderReservation(r, res, byWorker) }, maxPageSize)
}

func listWorkerReservations(e *Engine, r *twilio.Request) (any, error) {
	wk := r.Path("WorkerSid")
	return listReservations(e, r, ReservationFilter{WorkerSID: wk}, true, wsPath(r)+"/Workers/"+wk+"/Reservations")
}

func listTaskReservations(e *Engine, r *twilio.Request) (any, error) {
	f := ReservationFilter{TaskSID: r.Path("TaskSid")}
	var err error
	if f.WorkerSID, err = sidFilter(r.Form, "WorkerSid", "WK"); err != nil {
		return nil, err
	}
	return listReservations(e, r, f, false, wsPath(r)+"/Tasks/"+f.TaskSID+"/Reservations")
}

func listTaskQueues(e *Engine, r *twilio.Request) (any, error) {
	var f TaskQueueFilter
	var err error
	if f.WorkerSID, err = sidFilter(r.Form, "WorkerSid", "WK"); err != nil {
		return nil, err
	}
	f.FriendlyName, _ = r.Form.String("FriendlyName")
	f.EvaluateWorkerAttributes, _ = r.Form.String("EvaluateWorkerAttributes")
	f.Ordering, _ = r.Form.String("Ordering")
	list, err := e.TaskQueues(r.Path("WorkspaceSid"), f)
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL(wsPath(r)+"/TaskQueues"), "task_queues", list,
		func(q *TaskQueue) any { return renderTaskQueue(r, e.env.AccountSID, q) }, maxPageSize)
}

func listWorkflows(e *Engine, r *twilio.Request) (any, error) {
	name, _ := r.Form.String("FriendlyName")
	list, err := e.Workflows(r.Path("WorkspaceSid"), name)
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL(wsPath(r)+"/Workflows"), "workflows", list,
		func(wf *Workflow) any { return renderWorkflow(r, e.env.AccountSID, wf) }, maxPageSize)
}

func listTasks(e *Engine, r *twilio.Request) (any, error) {
	f := TaskFilter{AssignmentStatus: lowerAll(r.Form.Strings("AssignmentStatus")), HasAddons: r.Form.OptBool("HasAddons")}
	var err error
	if f.Priority, err = r.Form.OptInt("Priority", 0, math.MaxInt32); err != nil {
		return nil, err
	}
	if f.WorkflowSID, err = sidFilter(r.Form, "WorkflowSid", "WW"); err != nil {
		return nil, err
	}
	if f.TaskQueueSID, err = sidFilter(r.Form, "TaskQueueSid", "WQ"); err != nil {
		return nil, err
	}
	f.WorkflowName, _ = r.Form.String("WorkflowName")
	f.TaskQueueName, _ = r.Form.String("TaskQueueName")
	f.TaskChannel, _ = r.Form.String("TaskChannel")
	f.EvaluateTaskAttributes, _ = r.Form.String("EvaluateTaskAttributes")
	f.RoutingTarget, _ = r.Form.String("RoutingTarget")
	f.Ordering, _ = r.Form.String("Ordering")
	list, err := e.ListTasks(r.Path("WorkspaceSid"), f)
	if err != nil {
		return nil, err
	}
	now := e.Now()
	return twilio.Paginate(r, r.URL(wsPath(r)+"/Tasks"), "tasks", list,
		func(t *Task) any { return renderTask(r, now, t) }, maxPageSize)
}
