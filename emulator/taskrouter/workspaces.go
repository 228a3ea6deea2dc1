package taskrouter

import (
	"fmt"
	"github.com/flexemu/flexemu/emulator/eventtype"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Workspace is a TaskRouter workspace: the container of every other resource.
// Objects returned by the engine are its live state: read them under the
// account lock and never modify them.
type Workspace struct {
	SID                  string
	AccountSID           string
	FriendlyName         string
	EventCallbackURL     string
	EventsFilter         string
	DefaultActivitySID   string
	TimeoutActivitySID   string
	MultiTaskEnabled     bool
	PrioritizeQueueOrder string // FIFO | LIFO
	DateCreated          time.Time
	DateUpdated          time.Time

	activities   store[Activity]
	channels     store[TaskChannel]
	workers      store[Worker]
	queues       store[TaskQueue]
	workflows    store[Workflow]
	tasks        store[Task]
	reservations store[Reservation]

	idx wsIndex // lookup indexes (index.go)
}

// DefaultActivityName is the friendly name of the default activity ("" if unset).
func (w *Workspace) DefaultActivityName() string { return w.activityName(w.DefaultActivitySID) }

// TimeoutActivityName is the friendly name of the timeout activity ("" if unset).
func (w *Workspace) TimeoutActivityName() string { return w.activityName(w.TimeoutActivitySID) }

func (w *Workspace) activityName(sid string) string {
	if a := w.activities.get(sid); a != nil {
		return a.FriendlyName
	}
	return ""
}

// Workspace templates accepted by CreateWorkspaceParams.Template.
const (
	TemplateNone = "NONE"
	TemplateFIFO = "FIFO"
)

// CreateWorkspaceParams are the Workspace create parameters.
type CreateWorkspaceParams struct {
	SID                  string // optional pinned SID (fixtures)
	FriendlyName         string
	EventCallbackURL     string
	EventsFilter         string
	MultiTaskEnabled     *bool  // default true
	PrioritizeQueueOrder string // FIFO (default) | LIFO
	// Template is Twilio's Template parameter: NONE (default) or FIFO, which
	// adds a "Sample Queue" and a "Default Fifo Workflow" routing to it.
	Template string
	// Bare skips what Twilio pre-populates (the Offline/Available/Unavailable
	// activities and the default/voice/sms/chat/video task channels), so
	// fixtures can create exactly the objects they declare. REST never sets it.
	Bare bool
}

// CreateWorkspace creates a workspace; unless Bare, it is pre-populated like
// Twilio's (activities, default and timeout activity Offline, task channels).
func (e *Engine) CreateWorkspace(p CreateWorkspaceParams) (*Workspace, error) {
	e.begin()
	defer e.end()
	if err := checkName("FriendlyName", p.FriendlyName); err != nil {
		return nil, err
	}
	order, err := queueOrder("PrioritizeQueueOrder", p.PrioritizeQueueOrder)
	if err != nil {
		return nil, err
	}
	tmpl := strings.ToUpper(p.Template)
	switch tmpl {
	case "", TemplateNone, TemplateFIFO:
	default:
		return nil, twilio.InvalidParam("Template", "%q must be NONE or FIFO", p.Template)
	}
	if tmpl == TemplateFIFO && p.Bare {
		return nil, twilio.InvalidParam("Template", "FIFO needs the default activities, not a bare workspace")
	}
	sid, err := e.pickSID(p.SID, "WS", func(s string) bool { return e.workspaces.get(s) != nil })
	if err != nil {
		return nil, err
	}
	now := e.env.Now()
	ws := &Workspace{SID: sid, AccountSID: e.env.AccountSID, FriendlyName: p.FriendlyName,
		EventCallbackURL: p.EventCallbackURL, EventsFilter: p.EventsFilter, MultiTaskEnabled: true,
		PrioritizeQueueOrder: order, DateCreated: now, DateUpdated: now,
		activities: newStore[Activity](), channels: newStore[TaskChannel](), workers: newStore[Worker](),
		queues: newStore[TaskQueue](), workflows: newStore[Workflow](), tasks: newStore[Task](),
		reservations: newStore[Reservation]()}
	if p.MultiTaskEnabled != nil {
		ws.MultiTaskEnabled = *p.MultiTaskEnabled
	}
	e.workspaces.add(sid, ws)
	e.emit(Event{Type: eventtype.WorkspaceCreated, WorkspaceSID: sid}, sid,
		fmt.Sprintf("workspace %s %q created", sid, ws.FriendlyName), map[string]string{"workspace_name": ws.FriendlyName})
	if !p.Bare {
		e.populateWorkspace(ws, tmpl == TemplateFIFO)
	}
	return ws, nil
}

// populateWorkspace adds what Twilio creates with every workspace. The
// inputs are constants, so the create calls cannot fail.
func (e *Engine) populateWorkspace(ws *Workspace, fifo bool) {
	var offline string
	for _, a := range []struct {
		name  string
		avail bool
	}{{"Offline", false}, {"Available", true}, {"Unavailable", false}} {
		act, _ := e.CreateActivity(ws.SID, CreateActivityParams{FriendlyName: a.name, Available: a.avail})
		if a.name == "Offline" {
			offline = act.SID
		}
	}
	ws.DefaultActivitySID, ws.TimeoutActivitySID = offline, offline
	for _, c := range [][2]string{{"default", "Default"}, {"voice", "Voice"}, {"sms", "SMS"}, {"chat", "Chat"}, {"video", "Video"}} {
		_, _ = e.CreateTaskChannel(ws.SID, CreateTaskChannelParams{UniqueName: c[0], FriendlyName: c[1]})
	}
	if fifo {
		q, _ := e.CreateTaskQueue(ws.SID, CreateTaskQueueParams{FriendlyName: "Sample Queue", TargetWorkers: "1==1"})
		cfg := fmt.Sprintf(`{"task_routing":{"default_filter":{"queue":%q}}}`, q.SID)
		_, _ = e.CreateWorkflow(ws.SID, CreateWorkflowParams{FriendlyName: "Default Fifo Workflow", Configuration: cfg})
	}
}

// UpdateWorkspaceParams are the Workspace update parameters; nil = unchanged.
type UpdateWorkspaceParams struct {
	FriendlyName         *string
	DefaultActivitySID   *string
	TimeoutActivitySID   *string
	EventCallbackURL     *string
	EventsFilter         *string
	MultiTaskEnabled     *bool
	PrioritizeQueueOrder *string
}

// UpdateWorkspace changes workspace settings.
func (e *Engine) UpdateWorkspace(sid string, p UpdateWorkspaceParams) (*Workspace, error) {
	e.begin()
	defer e.end()
	ws, err := e.ws(sid)
	if err != nil {
		return nil, err
	}
	if p.FriendlyName != nil {
		if err := checkName("FriendlyName", *p.FriendlyName); err != nil {
			return nil, err
		}
	}
	for _, a := range []struct {
		param string
		sid   *string
	}{{"DefaultActivitySid", p.DefaultActivitySID}, {"TimeoutActivitySid", p.TimeoutActivitySID}} {
		if a.sid != nil && ws.activities.get(*a.sid) == nil {
			return nil, twilio.InvalidParam(a.param, "%q is not an Activity in workspace %s", *a.sid, ws.SID)
		}
	}
	var order string
	if p.PrioritizeQueueOrder != nil {
		if order, err = queueOrder("PrioritizeQueueOrder", *p.PrioritizeQueueOrder); err != nil {
			return nil, err
		}
	}
	setStr(&ws.FriendlyName, p.FriendlyName)
	setStr(&ws.DefaultActivitySID, p.DefaultActivitySID)
	setStr(&ws.TimeoutActivitySID, p.TimeoutActivitySID)
	setStr(&ws.EventCallbackURL, p.EventCallbackURL)
	setStr(&ws.EventsFilter, p.EventsFilter)
	if p.MultiTaskEnabled != nil && *p.MultiTaskEnabled != ws.MultiTaskEnabled {
		ws.MultiTaskEnabled = *p.MultiTaskEnabled
		e.syncAllReady(ws) // readiness rules differ between the modes
		e.offerAll(ws)
	}
	if p.PrioritizeQueueOrder != nil {
		ws.PrioritizeQueueOrder = order
	}
	ws.DateUpdated = e.env.Now()
	e.emit(Event{Type: eventtype.WorkspaceUpdated, WorkspaceSID: ws.SID}, ws.SID,
		fmt.Sprintf("workspace %s %q updated", ws.SID, ws.FriendlyName), map[string]string{"workspace_name": ws.FriendlyName})
	return ws, nil
}

// DeleteWorkspace removes a workspace and everything in it, stopping its timers.
func (e *Engine) DeleteWorkspace(sid string) error {
	e.begin()
	defer e.end()
	ws, err := e.ws(sid)
	if err != nil {
		return err
	}
	for _, t := range ws.tasks.list {
		stopTimer(&t.ttlTimer)
		stopTimer(&t.stepTimer)
	}
	for _, r := range ws.reservations.list {
		stopTimer(&r.timer)
	}
	for _, wf := range ws.workflows.list {
		delete(e.workflowWS, wf.SID)
	}
	e.workspaces.remove(sid)
	e.emit(Event{Type: eventtype.WorkspaceDeleted, WorkspaceSID: sid}, sid,
		fmt.Sprintf("workspace %s %q deleted", sid, ws.FriendlyName), map[string]string{"workspace_name": ws.FriendlyName})
	return nil
}

// Workspace returns a workspace by SID (404 error when unknown).
func (e *Engine) Workspace(sid string) (*Workspace, error) { return e.ws(sid) }

// Workspaces lists workspaces, oldest first, optionally by exact friendly name.
func (e *Engine) Workspaces(friendlyName string) []*Workspace {
	out := make([]*Workspace, 0, len(e.workspaces.list))
	for _, ws := range e.workspaces.list {
		if friendlyName == "" || ws.FriendlyName == friendlyName {
			out = append(out, ws)
		}
	}
	return out
}

// WorkspaceByName returns the oldest workspace with that friendly name.
func (e *Engine) WorkspaceByName(name string) (*Workspace, error) {
	for _, ws := range e.workspaces.list {
		if ws.FriendlyName == name {
			return ws, nil
		}
	}
	return nil, twilio.NotFound("/Workspaces?FriendlyName=" + name)
}

// WorkspaceOfWorkflow returns the SID of the workspace holding a workflow,
// so products that only know a WorkflowSid (Studio Send to Flex) can create tasks.
func (e *Engine) WorkspaceOfWorkflow(workflowSID string) (string, error) {
	ws, ok := e.workflowWS[workflowSID]
	if !ok {
		return "", twilio.NotFound("/Workflows/" + workflowSID)
	}
	return ws.SID, nil
}

func (e *Engine) ws(sid string) (*Workspace, error) {
	ws := e.workspaces.get(sid)
	if ws == nil {
		return nil, twilio.NotFound("/Workspaces/" + sid)
	}
	return ws, nil
}

// pickSID validates a pinned SID or mints a new one.
func (e *Engine) pickSID(pinned, prefix string, exists func(string) bool) (string, error) {
	if pinned == "" {
		return twilio.NewSID(prefix), nil
	}
	if !twilio.IsSID(pinned, prefix) {
		return "", twilio.InvalidParam("Sid", "%q is not a %s SID", pinned, prefix)
	}
	if exists(pinned) {
		return "", twilio.Conflict(twilio.CodeConflict, "a resource with SID %s already exists", pinned)
	}
	return pinned, nil
}

func checkName(param, name string) error {
	if strings.TrimSpace(name) == "" {
		return twilio.MissingParam(param)
	}
	if len(name) > 64 {
		return twilio.InvalidParam(param, "must be at most 64 characters")
	}
	return nil
}

func queueOrder(param, v string) (string, error) {
	switch strings.ToUpper(v) {
	case "", "FIFO":
		return "FIFO", nil
	case "LIFO":
		return "LIFO", nil
	}
	return "", twilio.InvalidParam(param, "%q must be FIFO or LIFO", v)
}

func setStr(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}
