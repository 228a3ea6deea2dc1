package taskrouter

import (
	"math"
	"net/http"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Product is where TaskRouter is served: taskrouter.twilio.com, or the
// emulator's /taskrouter prefix.
var Product = twilio.Product{Prefix: "taskrouter", Host: "taskrouter.twilio.com"}

// maxPageSize is Twilio's PageSize limit for TaskRouter lists.
const maxPageSize = 1000

type route = twilio.Route[*Engine]

// Routes is TaskRouter's REST surface (Twilio's own paths).
func Routes() []twilio.Route[*Engine] {
	const (
		ws  = "/v1/Workspaces/{WorkspaceSid}"
		wk  = ws + "/Workers/{WorkerSid}"
		tsk = ws + "/Tasks/{TaskSid}"
	)
	rs := []route{
		{Method: "GET", Path: "/v1/Workspaces", Handle: listWorkspaces},
		{Method: "POST", Path: "/v1/Workspaces", Status: http.StatusCreated, Handle: createWorkspace},
		{Method: "GET", Path: "/v1/Workspaces/{Sid}", Handle: fetchWorkspace},
		{Method: "POST", Path: "/v1/Workspaces/{Sid}", Handle: updateWorkspace},
		{Method: "DELETE", Path: "/v1/Workspaces/{Sid}", Status: http.StatusNoContent, Handle: deleteWorkspace},

		{Method: "GET", Path: ws + "/Activities", Handle: listActivities},
		{Method: "POST", Path: ws + "/Activities", Status: http.StatusCreated, Handle: createActivity},
		{Method: "GET", Path: ws + "/Activities/{Sid}", Handle: fetchActivity},
		{Method: "POST", Path: ws + "/Activities/{Sid}", Handle: updateActivity},
		{Method: "DELETE", Path: ws + "/Activities/{Sid}", Status: http.StatusNoContent, Handle: deleteActivity},

		{Method: "GET", Path: ws + "/TaskChannels", Handle: listTaskChannels},
		{Method: "POST", Path: ws + "/TaskChannels", Status: http.StatusCreated, Handle: createTaskChannel},
		{Method: "GET", Path: ws + "/TaskChannels/{Sid}", Handle: fetchTaskChannel},
		{Method: "POST", Path: ws + "/TaskChannels/{Sid}", Handle: updateTaskChannel},
		{Method: "DELETE", Path: ws + "/TaskChannels/{Sid}", Status: http.StatusNoContent, Handle: deleteTaskChannel},

		{Method: "GET", Path: ws + "/Workers", Handle: listWorkers},
		{Method: "POST", Path: ws + "/Workers", Status: http.StatusCreated, Handle: createWorker},
		{Method: "GET", Path: ws + "/Workers/{Sid}", Handle: fetchWorker},
		{Method: "POST", Path: ws + "/Workers/{Sid}", Handle: updateWorker},
		{Method: "DELETE", Path: ws + "/Workers/{Sid}", Status: http.StatusNoContent, Handle: deleteWorker},
		{Method: "GET", Path: wk + "/Channels", Handle: listWorkerChannels},
		{Method: "GET", Path: wk + "/Channels/{Sid}", Handle: fetchWorkerChannel},
		{Method: "POST", Path: wk + "/Channels/{Sid}", Handle: updateWorkerChannel},
		{Method: "GET", Path: wk + "/Reservations", Handle: listWorkerReservations},
		{Method: "GET", Path: wk + "/Reservations/{Sid}", Handle: fetchWorkerReservation},
		{Method: "POST", Path: wk + "/Reservations/{Sid}", Handle: updateWorkerReservation},

		{Method: "GET", Path: ws + "/TaskQueues", Handle: listTaskQueues},
		{Method: "POST", Path: ws + "/TaskQueues", Status: http.StatusCreated, Handle: createTaskQueue},
		{Method: "GET", Path: ws + "/TaskQueues/{Sid}", Handle: fetchTaskQueue},
		{Method: "POST", Path: ws + "/TaskQueues/{Sid}", Handle: updateTaskQueue},
		{Method: "DELETE", Path: ws + "/TaskQueues/{Sid}", Status: http.StatusNoContent, Handle: deleteTaskQueue},

		{Method: "GET", Path: ws + "/Workflows", Handle: listWorkflows},
		{Method: "POST", Path: ws + "/Workflows", Status: http.StatusCreated, Handle: createWorkflow},
		{Method: "GET", Path: ws + "/Workflows/{Sid}", Handle: fetchWorkflow},
		{Method: "POST", Path: ws + "/Workflows/{Sid}", Handle: updateWorkflow},
		{Method: "DELETE", Path: ws + "/Workflows/{Sid}", Status: http.StatusNoContent, Handle: deleteWorkflow},

		{Method: "GET", Path: ws + "/Tasks", Handle: listTasks},
		{Method: "POST", Path: ws + "/Tasks", Status: http.StatusCreated, Handle: createTask},
		{Method: "GET", Path: ws + "/Tasks/{Sid}", Handle: fetchTask},
		{Method: "POST", Path: ws + "/Tasks/{Sid}", Handle: updateTask},
		{Method: "DELETE", Path: ws + "/Tasks/{Sid}", Status: http.StatusNoContent, Handle: deleteTask},
		{Method: "GET", Path: tsk + "/Reservations", Handle: listTaskReservations},
		{Method: "GET", Path: tsk + "/Reservations/{Sid}", Handle: fetchTaskReservation},
		{Method: "POST", Path: tsk + "/Reservations/{Sid}", Handle: updateTaskReservation},
	}
	return append(append(rs, eventRoutes()...), statisticsRoutes()...)
}

func wsPath(r *twilio.Request) string { return "/v1/Workspaces/" + r.Path("WorkspaceSid") }

// --- Workspaces

func createWorkspace(e *Engine, r *twilio.Request) (any, error) {
	name, err := r.Form.Required("FriendlyName")
	if err != nil {
		return nil, err
	}
	p := CreateWorkspaceParams{FriendlyName: name, MultiTaskEnabled: r.Form.OptBool("MultiTaskEnabled")}
	p.EventCallbackURL, _ = r.Form.String("EventCallbackUrl")
	p.EventsFilter, _ = r.Form.String("EventsFilter")
	p.Template, _ = r.Form.String("Template")
	p.PrioritizeQueueOrder, _ = r.Form.String("PrioritizeQueueOrder")
	ws, err := e.CreateWorkspace(p)
	if err != nil {
		return nil, err
	}
	return renderWorkspace(r, ws), nil
}

func fetchWorkspace(e *Engine, r *twilio.Request) (any, error) {
	ws, err := e.Workspace(r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return renderWorkspace(r, ws), nil
}

func updateWorkspace(e *Engine, r *twilio.Request) (any, error) {
	f := r.Form
	ws, err := e.UpdateWorkspace(r.Path("Sid"), UpdateWorkspaceParams{FriendlyName: f.OptString("FriendlyName"),
		DefaultActivitySID: f.OptString("DefaultActivitySid"), TimeoutActivitySID: f.OptString("TimeoutActivitySid"),
		EventCallbackURL: f.OptString("EventCallbackUrl"), EventsFilter: f.OptString("EventsFilter"),
		MultiTaskEnabled: f.OptBool("MultiTaskEnabled"), PrioritizeQueueOrder: f.OptString("PrioritizeQueueOrder")})
	if err != nil {
		return nil, err
	}
	return renderWorkspace(r, ws), nil
}

func deleteWorkspace(e *Engine, r *twilio.Request) (any, error) {
	return nil, e.DeleteWorkspace(r.Path("Sid"))
}

// --- Activities

func createActivity(e *Engine, r *twilio.Request) (any, error) {
	name, err := r.Form.Required("FriendlyName")
	if err != nil {
		return nil, err
	}
	return view(e, r, renderActivity)(e.CreateActivity(r.Path("WorkspaceSid"), CreateActivityParams{FriendlyName: name, Available: r.Form.Bool("Available", false)}))
}

func fetchActivity(e *Engine, r *twilio.Request) (any, error) {
	return view(e, r, renderActivity)(e.Activity(r.Path("WorkspaceSid"), r.Path("Sid")))
}

func updateActivity(e *Engine, r *twilio.Request) (any, error) {
	return view(e, r, renderActivity)(e.UpdateActivity(r.Path("WorkspaceSid"), r.Path("Sid"), r.Form.OptString("FriendlyName")))
}

func deleteActivity(e *Engine, r *twilio.Request) (any, error) {
	return nil, e.DeleteActivity(r.Path("WorkspaceSid"), r.Path("Sid"))
}

// --- TaskChannels

func createTaskChannel(e *Engine, r *twilio.Request) (any, error) {
	name, err := r.Form.Required("FriendlyName")
	if err != nil {
		return nil, err
	}
	unique, err := r.Form.Required("UniqueName")
	if err != nil {
		return nil, err
	}
	return view(e, r, renderTaskChannel)(e.CreateTaskChannel(r.Path("WorkspaceSid"), CreateTaskChannelParams{FriendlyName: name, UniqueName: unique,
		ChannelOptimizedRouting: r.Form.Bool("ChannelOptimizedRouting", false)}))
}

func fetchTaskChannel(e *Engine, r *twilio.Request) (any, error) {
	return view(e, r, renderTaskChannel)(e.TaskChannel(r.Path("WorkspaceSid"), r.Path("Sid")))
}

func updateTaskChannel(e *Engine, r *twilio.Request) (any, error) {
	return view(e, r, renderTaskChannel)(e.UpdateTaskChannel(r.Path("WorkspaceSid"), r.Path("Sid"), UpdateTaskChannelParams{
		FriendlyName: r.Form.OptString("FriendlyName"), ChannelOptimizedRouting: r.Form.OptBool("ChannelOptimizedRouting")}))
}

func deleteTaskChannel(e *Engine, r *twilio.Request) (any, error) {
	return nil, e.DeleteTaskChannel(r.Path("WorkspaceSid"), r.Path("Sid"))
}

// --- Workers

func createWorker(e *Engine, r *twilio.Request) (any, error) {
	name, err := r.Form.Required("FriendlyName")
	if err != nil {
		return nil, err
	}
	p := CreateWorkerParams{FriendlyName: name}
	p.ActivitySID, _ = r.Form.String("ActivitySid")
	p.Attributes, _ = r.Form.String("Attributes")
	w, err := e.CreateWorker(r.Path("WorkspaceSid"), p)
	if err != nil {
		return nil, err
	}
	return withETag(renderWorker(r, e.env.AccountSID, w), w.Version), nil
}

func fetchWorker(e *Engine, r *twilio.Request) (any, error) {
	w, err := e.Worker(r.Path("WorkspaceSid"), r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return withETag(renderWorker(r, e.env.AccountSID, w), w.Version), nil
}

func updateWorker(e *Engine, r *twilio.Request) (any, error) {
	f := r.Form
	if err := workerIfMatch(e, r); err != nil {
		return nil, err
	}
	w, err := e.UpdateWorker(r.Path("WorkspaceSid"), r.Path("Sid"), UpdateWorkerParams{
		FriendlyName: f.OptString("FriendlyName"), ActivitySID: f.OptString("ActivitySid"),
		Attributes: f.OptString("Attributes"), RejectPendingReservations: f.Bool("RejectPendingReservations", false)})
	if err != nil {
		return nil, err
	}
	return withETag(renderWorker(r, e.env.AccountSID, w), w.Version), nil
}

func deleteWorker(e *Engine, r *twilio.Request) (any, error) {
	if err := workerIfMatch(e, r); err != nil {
		return nil, err
	}
	return nil, e.DeleteWorker(r.Path("WorkspaceSid"), r.Path("Sid"))
}

// workerIfMatch refuses a conditional worker update or delete whose
// If-Match is stale; an unknown worker is left to the engine's 404.
func workerIfMatch(e *Engine, r *twilio.Request) error {
	if r.Header("If-Match") == "" {
		return nil
	}
	w, err := e.Worker(r.Path("WorkspaceSid"), r.Path("Sid"))
	if err != nil {
		return err
	}
	return ifMatch(r, w.Version)
}

func fetchWorkerChannel(e *Engine, r *twilio.Request) (any, error) {
	return view(e, r, renderWorkerChannel)(e.WorkerChannel(r.Path("WorkspaceSid"), r.Path("WorkerSid"), r.Path("Sid")))
}

func updateWorkerChannel(e *Engine, r *twilio.Request) (any, error) {
	capacity, err := r.Form.OptInt("Capacity", 0, 1000)
	if err != nil {
		return nil, err
	}
	return view(e, r, renderWorkerChannel)(e.UpdateWorkerChannel(r.Path("WorkspaceSid"), r.Path("WorkerSid"), r.Path("Sid"),
		UpdateWorkerChannelParams{Capacity: capacity, Available: r.Form.OptBool("Available")}))
}

// --- Reservations (both views)

func fetchWorkerReservation(e *Engine, r *twilio.Request) (any, error) {
	res, err := e.WorkerReservation(r.Path("WorkspaceSid"), r.Path("WorkerSid"), r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return withETag(renderReservation(r, res, true), res.Version), nil
}

func fetchTaskReservation(e *Engine, r *twilio.Request) (any, error) {
	res, err := e.TaskReservation(r.Path("WorkspaceSid"), r.Path("TaskSid"), r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return withETag(renderReservation(r, res, false), res.Version), nil
}

func updateReservation(e *Engine, r *twilio.Request, p UpdateReservationParams, byWorker bool) (any, error) {
	p.ReservationStatus, _ = r.Form.String("ReservationStatus")
	p.WorkerActivitySID, _ = r.Form.String("WorkerActivitySid")
	p.Instruction, _ = r.Form.String("Instruction")
	if r.Header("If-Match") != "" {
		// Looked up through the same view as the update, so a reservation of
		// another task or worker is still a 404, not a 412.
		_, cur, err := e.reservation(r.Path("WorkspaceSid"), p.TaskSID, p.WorkerSID, r.Path("Sid"))
		if err != nil {
			return nil, err
		}
		if err := ifMatch(r, cur.Version); err != nil {
			return nil, err
		}
	}
	res, err := e.UpdateReservation(r.Path("WorkspaceSid"), r.Path("Sid"), p)
	if err != nil {
		return nil, err
	}
	return withETag(renderReservation(r, res, byWorker), res.Version), nil
}

func updateWorkerReservation(e *Engine, r *twilio.Request) (any, error) {
	return updateReservation(e, r, UpdateReservationParams{WorkerSID: r.Path("WorkerSid")}, true)
}

func updateTaskReservation(e *Engine, r *twilio.Request) (any, error) {
	return updateReservation(e, r, UpdateReservationParams{TaskSID: r.Path("TaskSid")}, false)
}

// --- TaskQueues

func createTaskQueue(e *Engine, r *twilio.Request) (any, error) {
	name, err := r.Form.Required("FriendlyName")
	if err != nil {
		return nil, err
	}
	max, err := r.Form.Int("MaxReservedWorkers", 1, 1, 50)
	if err != nil {
		return nil, err
	}
	p := CreateTaskQueueParams{FriendlyName: name, MaxReservedWorkers: max}
	p.TargetWorkers, _ = r.Form.String("TargetWorkers")
	p.TaskOrder, _ = r.Form.String("TaskOrder")
	p.ReservationActivitySID, _ = r.Form.String("ReservationActivitySid")
	p.AssignmentActivitySID, _ = r.Form.String("AssignmentActivitySid")
	return view(e, r, renderTaskQueue)(e.CreateTaskQueue(r.Path("WorkspaceSid"), p))
}

func fetchTaskQueue(e *Engine, r *twilio.Request) (any, error) {
	return view(e, r, renderTaskQueue)(e.TaskQueue(r.Path("WorkspaceSid"), r.Path("Sid")))
}

func updateTaskQueue(e *Engine, r *twilio.Request) (any, error) {
	f := r.Form
	max, err := f.OptInt("MaxReservedWorkers", 1, 50)
	if err != nil {
		return nil, err
	}
	return view(e, r, renderTaskQueue)(e.UpdateTaskQueue(r.Path("WorkspaceSid"), r.Path("Sid"), UpdateTaskQueueParams{
		FriendlyName: f.OptString("FriendlyName"), TargetWorkers: f.OptString("TargetWorkers"), MaxReservedWorkers: max,
		TaskOrder: f.OptString("TaskOrder"), ReservationActivitySID: f.OptString("ReservationActivitySid"),
		AssignmentActivitySID: f.OptString("AssignmentActivitySid")}))
}

func deleteTaskQueue(e *Engine, r *twilio.Request) (any, error) {
	return nil, e.DeleteTaskQueue(r.Path("WorkspaceSid"), r.Path("Sid"))
}

// --- Workflows

func createWorkflow(e *Engine, r *twilio.Request) (any, error) {
	name, err := r.Form.Required("FriendlyName")
	if err != nil {
		return nil, err
	}
	cfg, err := r.Form.Required("Configuration")
	if err != nil {
		return nil, err
	}
	timeout, err := r.Form.Int("TaskReservationTimeout", DefaultTaskReservationTimeout, 1, 86400)
	if err != nil {
		return nil, err
	}
	p := CreateWorkflowParams{FriendlyName: name, Configuration: cfg, TaskReservationTimeout: timeout}
	p.AssignmentCallbackURL, _ = r.Form.String("AssignmentCallbackUrl")
	p.FallbackAssignmentCallbackURL, _ = r.Form.String("FallbackAssignmentCallbackUrl")
	return view(e, r, renderWorkflow)(e.CreateWorkflow(r.Path("WorkspaceSid"), p))
}

func fetchWorkflow(e *Engine, r *twilio.Request) (any, error) {
	return view(e, r, renderWorkflow)(e.Workflow(r.Path("WorkspaceSid"), r.Path("Sid")))
}

func updateWorkflow(e *Engine, r *twilio.Request) (any, error) {
	f := r.Form
	timeout, err := f.OptInt("TaskReservationTimeout", 1, 86400)
	if err != nil {
		return nil, err
	}
	return view(e, r, renderWorkflow)(e.UpdateWorkflow(r.Path("WorkspaceSid"), r.Path("Sid"), UpdateWorkflowParams{
		FriendlyName: f.OptString("FriendlyName"), Configuration: f.OptString("Configuration"),
		AssignmentCallbackURL: f.OptString("AssignmentCallbackUrl"), FallbackAssignmentCallbackURL: f.OptString("FallbackAssignmentCallbackUrl"),
		TaskReservationTimeout: timeout, ReEvaluateTasks: f.Bool("ReEvaluateTasks", false)}))
}

func deleteWorkflow(e *Engine, r *twilio.Request) (any, error) {
	return nil, e.DeleteWorkflow(r.Path("WorkspaceSid"), r.Path("Sid"))
}

// --- Tasks

func createTask(e *Engine, r *twilio.Request) (any, error) {
	f := r.Form
	timeout, err := f.Int("Timeout", DefaultTaskTimeout, 1, MaxTaskTimeout)
	if err != nil {
		return nil, err
	}
	prio, err := f.OptInt("Priority", 0, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	vst, err := optTime(f, "VirtualStartTime")
	if err != nil {
		return nil, err
	}
	p := CreateTaskParams{Timeout: timeout, Priority: prio, IgnoreCapacity: f.OptBool("IgnoreCapacity")}
	if vst != nil {
		p.VirtualStartTime = *vst
	}
	p.WorkflowSID, _ = f.String("WorkflowSid")
	p.Attributes, _ = f.String("Attributes")
	p.TaskChannel, _ = f.String("TaskChannel")
	p.RoutingTarget, _ = f.String("RoutingTarget")
	p.TaskQueueSID, _ = f.String("TaskQueueSid")
	t, err := e.CreateTask(r.Path("WorkspaceSid"), p)
	if err != nil {
		return nil, err
	}
	return withETag(renderTask(r, e.Now(), t), t.Version), nil
}

func fetchTask(e *Engine, r *twilio.Request) (any, error) {
	t, err := e.Task(r.Path("WorkspaceSid"), r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return withETag(renderTask(r, e.Now(), t), t.Version), nil
}

func updateTask(e *Engine, r *twilio.Request) (any, error) {
	f := r.Form
	prio, err := f.OptInt("Priority", 0, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	vst, err := optTime(f, "VirtualStartTime")
	if err != nil {
		return nil, err
	}
	if err := taskIfMatch(e, r); err != nil {
		return nil, err
	}
	t, err := e.UpdateTask(r.Path("WorkspaceSid"), r.Path("Sid"), UpdateTaskParams{
		Attributes: f.OptString("Attributes"), AssignmentStatus: f.OptString("AssignmentStatus"),
		Reason: f.OptString("Reason"), Priority: prio, TaskChannel: f.OptString("TaskChannel"), VirtualStartTime: vst})
	if err != nil {
		return nil, err
	}
	return withETag(renderTask(r, e.Now(), t), t.Version), nil
}

func deleteTask(e *Engine, r *twilio.Request) (any, error) {
	if err := taskIfMatch(e, r); err != nil {
		return nil, err
	}
	return nil, e.DeleteTask(r.Path("WorkspaceSid"), r.Path("Sid"))
}

// taskIfMatch refuses a conditional task update or delete whose If-Match
// is stale; an unknown task is left to the engine's 404.
func taskIfMatch(e *Engine, r *twilio.Request) error {
	if r.Header("If-Match") == "" {
		return nil
	}
	t, err := e.Task(r.Path("WorkspaceSid"), r.Path("Sid"))
	if err != nil {
		return err
	}
	return ifMatch(r, t.Version)
}

func optTime(f twilio.Form, name string) (*time.Time, error) {
	v, ok := f.String(name)
	if !ok || v == "" {
		return nil, nil
	}
	t, ok := twilio.ParseTime(v)
	if !ok {
		return nil, twilio.InvalidParam(name, "%q is not an ISO-8601 date-time", v)
	}
	return &t, nil
}

// view renders what an engine call returned, or passes its error on:
//
//	return view(e, r, renderTaskQueue)(e.TaskQueue(workspaceSID, sid))
func view[T any](e *Engine, r *twilio.Request, render func(*twilio.Request, string, T) any) func(T, error) (any, error) {
	return func(v T, err error) (any, error) {
		if err != nil {
			return nil, err
		}
		return render(r, e.env.AccountSID, v), nil
	}
}
