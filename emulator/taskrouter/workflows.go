package taskrouter

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/flexemu/flexemu/emulator/eventtype"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/taskrouter/expr"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// Workflow routes tasks to queues according to its Configuration JSON.
type Workflow struct {
	SID                           string
	WorkspaceSID                  string
	FriendlyName                  string
	Configuration                 string // JSON text exactly as given
	AssignmentCallbackURL         string
	FallbackAssignmentCallbackURL string
	TaskReservationTimeout        int // seconds
	DateCreated                   time.Time
	DateUpdated                   time.Time

	cfg *routingConfig
}

// DefaultTaskReservationTimeout is Twilio's default reservation lifetime (s).
const DefaultTaskReservationTimeout = 120

// routingConfig is a parsed, validated workflow configuration. It is
// immutable: tasks keep the one they were routed with until re-evaluated.
type routingConfig struct {
	text    string // the Configuration it was parsed from (snapshots)
	filters []*filterConfig
	def     *targetConfig // default_filter, nil when absent
	// direct: a task's RoutingTarget (a queue or a worker), not a workflow's
	// configuration: re-evaluation keeps it, and no workflow.* events.
	direct bool
}

type filterConfig struct {
	name    string
	exprSrc string
	expr    *expr.Expr
	targets []*targetConfig
}

type targetConfig struct {
	queue    *TaskQueue
	exprSrc  string
	expr     *expr.Expr // nil = no narrowing
	priority *int
	timeout  time.Duration // 0 = terminal step
	// cumTimeout is the sum of this and earlier targets' timeouts: the step's
	// deadline relative to entering the filter (0 when terminal).
	cumTimeout time.Duration
	orderBy    []orderClause
	skipIf     *expr.Expr
	// knownWorker is the task attribute path (without "task.") naming the
	// only eligible worker, by SID or by friendly name (knownByName).
	knownWorker []string
	knownByName bool
	// direct: the known worker is the task's RoutingTarget (a Worker SID),
	// not an attribute (knownWorker is then empty but not nil). It need
	// not be a member of the queue, and IgnoreCapacity applies to it.
	direct bool
}

type orderClause struct {
	path []string // worker attribute path (without "worker.")
	desc bool
}

func (c *routingConfig) uses(q *TaskQueue) bool {
	if c.def != nil && c.def.queue == q {
		return true
	}
	for _, f := range c.filters {
		for _, t := range f.targets {
			if t.queue == q {
				return true
			}
		}
	}
	return false
}

// rawConfig mirrors the configuration JSON; numbers may arrive as strings.
type rawConfig struct {
	TaskRouting *struct {
		Filters []struct {
			FilterFriendlyName string      `json:"filter_friendly_name"`
			FriendlyName       string      `json:"friendly_name"`
			Expression         *string     `json:"expression"`
			Targets            []rawTarget `json:"targets"`
		} `json:"filters"`
		DefaultFilter *rawTarget `json:"default_filter"`
	} `json:"task_routing"`
}

type rawTarget struct {
	Queue                   string          `json:"queue"`
	Expression              string          `json:"expression"`
	Priority                json.RawMessage `json:"priority"`
	Timeout                 json.RawMessage `json:"timeout"`
	OrderBy                 string          `json:"order_by"`
	SkipIf                  string          `json:"skip_if"`
	KnownWorkerSID          string          `json:"known_worker_sid"`
	KnownWorkerFriendlyName string          `json:"known_worker_friendly_name"`
}

// maxConfigurationBytes bounds a workflow Configuration: TaskRouter documents
// "1038576 bytes (1MB)", read as 1 MiB (docs/fidelity.md, "Limits").
const maxConfigurationBytes = 1 << 20

// parseConfig validates a workflow configuration against a workspace: JSON
// shape, queue SIDs, expressions, numeric fields. Errors name Configuration
// and the JSON path of the offending value.
func parseConfig(ws *Workspace, text string) (*routingConfig, error) {
	bad := func(format string, args ...any) error {
		return twilio.InvalidParam("Configuration", format, args...)
	}
	if err := twilio.CheckJSON("Configuration", text, maxConfigurationBytes); err != nil {
		return nil, err
	}
	var raw rawConfig
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		return nil, bad("not valid workflow JSON: %v", err)
	}
	if raw.TaskRouting == nil {
		return nil, bad("missing task_routing")
	}
	cfg := &routingConfig{text: text}
	for i, f := range raw.TaskRouting.Filters {
		path := fmt.Sprintf("task_routing.filters[%d]", i)
		fc := &filterConfig{name: f.FilterFriendlyName}
		if fc.name == "" {
			fc.name = f.FriendlyName
		}
		if f.Expression == nil {
			return nil, bad("%s.expression is required", path)
		}
		fc.exprSrc = *f.Expression
		x, err := expr.Parse(fc.exprSrc)
		if err != nil {
			return nil, bad("%s.expression: %v", path, err)
		}
		fc.expr = x
		if len(f.Targets) == 0 {
			return nil, bad("%s.targets must list at least one target", path)
		}
		var prev *TaskQueue
		var cum time.Duration
		for j, rt := range f.Targets {
			tc, err := parseTarget(ws, rt, fmt.Sprintf("%s.targets[%d]", path, j), prev)
			if err != nil {
				return nil, err
			}
			if tc.timeout > 0 {
				cum += tc.timeout
				tc.cumTimeout = cum
			}
			prev = tc.queue
			fc.targets = append(fc.targets, tc)
		}
		cfg.filters = append(cfg.filters, fc)
	}
	if d := raw.TaskRouting.DefaultFilter; d != nil {
		tc, err := parseTarget(ws, *d, "task_routing.default_filter", nil)
		if err != nil {
			return nil, err
		}
		tc.timeout, tc.cumTimeout, tc.skipIf = 0, 0, nil // the default filter is terminal and never skipped
		cfg.def = tc
	}
	if cfg.def == nil && len(cfg.filters) == 0 {
		return nil, bad("task_routing needs filters or a default_filter")
	}
	return cfg, nil
}

func parseTarget(ws *Workspace, rt rawTarget, path string, inherit *TaskQueue) (*targetConfig, error) {
	bad := func(format string, args ...any) error {
		return twilio.InvalidParam("Configuration", format, args...)
	}
	tc := &targetConfig{queue: inherit}
	if rt.Queue != "" {
		if tc.queue = ws.queues.get(rt.Queue); tc.queue == nil {
			return nil, bad("%s.queue %q is not a TaskQueue in workspace %s", path, rt.Queue, ws.SID)
		}
	}
	if tc.queue == nil {
		return nil, bad("%s.queue is required", path)
	}
	if strings.TrimSpace(rt.Expression) != "" {
		x, err := expr.Parse(rt.Expression)
		if err != nil {
			return nil, bad("%s.expression: %v", path, err)
		}
		tc.exprSrc, tc.expr = rt.Expression, x
	}
	if strings.TrimSpace(rt.SkipIf) != "" {
		x, err := expr.Parse(rt.SkipIf)
		if err != nil {
			return nil, bad("%s.skip_if: %v", path, err)
		}
		tc.skipIf = x
	}
	if p, ok, err := configInt(rt.Priority); err != nil {
		return nil, bad("%s.priority: %v", path, err)
	} else if ok {
		if p < 0 || p > math.MaxInt32 {
			return nil, bad("%s.priority %d is out of range [0, 2147483647]", path, p)
		}
		tc.priority = &p
	}
	if s, ok, err := configInt(rt.Timeout); err != nil {
		return nil, bad("%s.timeout: %v", path, err)
	} else if ok {
		if s <= 0 || s > MaxTaskTimeout {
			return nil, bad("%s.timeout %d is out of range [1, %d] seconds", path, s, MaxTaskTimeout)
		}
		tc.timeout = time.Duration(s) * time.Second
	}
	if rt.OrderBy != "" {
		for _, clause := range strings.Split(rt.OrderBy, ",") {
			fields := strings.Fields(clause)
			if len(fields) == 0 || len(fields) > 2 || !strings.HasPrefix(fields[0], "worker.") || len(fields[0]) == len("worker.") {
				return nil, bad("%s.order_by %q: clauses must read 'worker.<attribute> ASC|DESC'", path, rt.OrderBy)
			}
			oc := orderClause{path: strings.Split(strings.TrimPrefix(fields[0], "worker."), ".")}
			if len(fields) == 2 {
				switch strings.ToUpper(fields[1]) {
				case "ASC":
				case "DESC":
					oc.desc = true
				default:
					return nil, bad("%s.order_by %q: direction must be ASC or DESC", path, rt.OrderBy)
				}
			}
			tc.orderBy = append(tc.orderBy, oc)
		}
	}
	if rt.KnownWorkerSID != "" && rt.KnownWorkerFriendlyName != "" {
		return nil, bad("%s: use known_worker_sid or known_worker_friendly_name, not both", path)
	}
	if k := rt.KnownWorkerSID + rt.KnownWorkerFriendlyName; k != "" {
		if !strings.HasPrefix(k, "task.") || len(k) == len("task.") {
			return nil, bad("%s: known worker must name a task attribute like task.agent_sid", path)
		}
		tc.knownWorker = strings.Split(strings.TrimPrefix(k, "task."), ".")
		tc.knownByName = rt.KnownWorkerFriendlyName != ""
	}
	return tc, nil
}

// configInt reads a JSON number or numeric string; absent/null = not set.
func configInt(raw json.RawMessage) (int, bool, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, false, nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return 0, false, err
		}
		s = strings.TrimSpace(str)
	}
	f, err := strconv.ParseFloat(s, 64)
	if errors.Is(err, strconv.ErrRange) || (err == nil && f == math.Trunc(f) && math.Abs(f) > math.MaxInt32*1000.0) {
		return 0, false, fmt.Errorf("%s is out of range", string(raw))
	}
	if err != nil || f != math.Trunc(f) {
		return 0, false, fmt.Errorf("%s is not an integer", string(raw))
	}
	return int(f), true, nil
}

// CreateWorkflowParams are the Workflow create parameters.
type CreateWorkflowParams struct {
	SID                           string // optional pinned SID (fixtures)
	FriendlyName                  string
	Configuration                 string
	AssignmentCallbackURL         string
	FallbackAssignmentCallbackURL string
	TaskReservationTimeout        int // seconds, 1..86400; 0 = 120
}

// CreateWorkflow validates the configuration and adds a workflow.
func (e *Engine) CreateWorkflow(wsSID string, p CreateWorkflowParams) (*Workflow, error) {
	e.begin()
	defer e.end()
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	if err := checkName("FriendlyName", p.FriendlyName); err != nil {
		return nil, err
	}
	if strings.TrimSpace(p.Configuration) == "" {
		return nil, twilio.MissingParam("Configuration")
	}
	cfg, err := parseConfig(ws, p.Configuration)
	if err != nil {
		return nil, err
	}
	if p.TaskReservationTimeout == 0 {
		p.TaskReservationTimeout = DefaultTaskReservationTimeout
	}
	if p.TaskReservationTimeout < 1 || p.TaskReservationTimeout > 86400 {
		return nil, twilio.InvalidParam("TaskReservationTimeout", "%d is out of range [1, 86400]", p.TaskReservationTimeout)
	}
	sid, err := e.pickSID(p.SID, "WW", func(s string) bool { _, ok := e.workflowWS[s]; return ok })
	if err != nil {
		return nil, err
	}
	now := e.env.Now()
	wf := &Workflow{SID: sid, WorkspaceSID: ws.SID, FriendlyName: p.FriendlyName, Configuration: p.Configuration,
		AssignmentCallbackURL: p.AssignmentCallbackURL, FallbackAssignmentCallbackURL: p.FallbackAssignmentCallbackURL,
		TaskReservationTimeout: p.TaskReservationTimeout, DateCreated: now, DateUpdated: now, cfg: cfg}
	ws.workflows.add(sid, wf)
	e.workflowWS[sid] = ws
	e.emit(Event{Type: eventtype.WorkflowCreated, WorkspaceSID: ws.SID, WorkflowSID: sid}, sid,
		fmt.Sprintf("workflow %s %q created", sid, wf.FriendlyName),
		map[string]string{"workspace_sid": ws.SID, "workflow_name": wf.FriendlyName})
	return wf, nil
}

// UpdateWorkflowParams are the Workflow update parameters; nil = unchanged.
type UpdateWorkflowParams struct {
	FriendlyName                  *string
	Configuration                 *string
	AssignmentCallbackURL         *string
	FallbackAssignmentCallbackURL *string
	TaskReservationTimeout        *int
	// ReEvaluateTasks re-routes the workflow's pending and reserved tasks
	// through the new configuration.
	ReEvaluateTasks bool
}

// UpdateWorkflow changes a workflow. Without ReEvaluateTasks, tasks already
// routed keep the configuration they were routed with.
func (e *Engine) UpdateWorkflow(wsSID, sid string, p UpdateWorkflowParams) (*Workflow, error) {
	e.begin()
	defer e.end()
	ws, wf, err := e.workflow(wsSID, sid)
	if err != nil {
		return nil, err
	}
	if p.FriendlyName != nil {
		if err := checkName("FriendlyName", *p.FriendlyName); err != nil {
			return nil, err
		}
	}
	var cfg *routingConfig
	if p.Configuration != nil {
		if cfg, err = parseConfig(ws, *p.Configuration); err != nil {
			return nil, err
		}
	}
	if p.TaskReservationTimeout != nil && (*p.TaskReservationTimeout < 1 || *p.TaskReservationTimeout > 86400) {
		return nil, twilio.InvalidParam("TaskReservationTimeout", "%d is out of range [1, 86400]", *p.TaskReservationTimeout)
	}
	setStr(&wf.FriendlyName, p.FriendlyName)
	setStr(&wf.AssignmentCallbackURL, p.AssignmentCallbackURL)
	setStr(&wf.FallbackAssignmentCallbackURL, p.FallbackAssignmentCallbackURL)
	if p.TaskReservationTimeout != nil {
		wf.TaskReservationTimeout = *p.TaskReservationTimeout
	}
	if cfg != nil {
		wf.Configuration, wf.cfg = *p.Configuration, cfg
	}
	wf.DateUpdated = e.env.Now()
	for _, t := range ws.tasks.list {
		if t.workflow == wf {
			t.WorkflowFriendlyName = wf.FriendlyName
		}
	}
	e.emit(Event{Type: eventtype.WorkflowUpdated, WorkspaceSID: ws.SID, WorkflowSID: sid}, sid,
		fmt.Sprintf("workflow %s %q updated", sid, wf.FriendlyName),
		map[string]string{"workspace_sid": ws.SID, "workflow_name": wf.FriendlyName})
	if p.ReEvaluateTasks {
		for _, t := range ws.tasks.all() {
			if t.workflow == wf && t.waiting() {
				e.reevaluate(ws, t, nil)
			}
		}
	}
	return wf, nil
}

// DeleteWorkflow removes a workflow none of whose tasks is still live.
func (e *Engine) DeleteWorkflow(wsSID, sid string) error {
	e.begin()
	defer e.end()
	ws, wf, err := e.workflow(wsSID, sid)
	if err != nil {
		return err
	}
	for _, t := range ws.tasks.list {
		if t.workflow == wf && !t.terminal() {
			return twilio.BadRequest("Workflow %s cannot be deleted: task %s is %s", sid, t.SID, t.AssignmentStatus)
		}
	}
	ws.workflows.remove(sid)
	delete(e.workflowWS, sid)
	e.emit(Event{Type: eventtype.WorkflowDeleted, WorkspaceSID: ws.SID, WorkflowSID: sid}, sid,
		fmt.Sprintf("workflow %s %q deleted", sid, wf.FriendlyName),
		map[string]string{"workspace_sid": ws.SID, "workflow_name": wf.FriendlyName})
	return nil
}

// Workflow returns one workflow.
func (e *Engine) Workflow(wsSID, sid string) (*Workflow, error) {
	_, wf, err := e.workflow(wsSID, sid)
	return wf, err
}

// Workflows lists a workspace's workflows, oldest first, optionally by exact name.
func (e *Engine) Workflows(wsSID, friendlyName string) ([]*Workflow, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	out := make([]*Workflow, 0, len(ws.workflows.list))
	for _, wf := range ws.workflows.list {
		if friendlyName == "" || wf.FriendlyName == friendlyName {
			out = append(out, wf)
		}
	}
	return out, nil
}

// WorkflowByName returns the oldest workflow with that friendly name.
func (e *Engine) WorkflowByName(wsSID, name string) (*Workflow, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	if wf := ws.workflowByName(name); wf != nil {
		return wf, nil
	}
	return nil, twilio.NotFound(fmt.Sprintf("/Workspaces/%s/Workflows?FriendlyName=%s", wsSID, name))
}

func (ws *Workspace) workflowByName(name string) *Workflow {
	for _, wf := range ws.workflows.list {
		if wf.FriendlyName == name {
			return wf
		}
	}
	return nil
}

func (e *Engine) workflow(wsSID, sid string) (*Workspace, *Workflow, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, nil, err
	}
	wf := ws.workflows.get(sid)
	if wf == nil {
		return nil, nil, twilio.NotFound(fmt.Sprintf("/Workspaces/%s/Workflows/%s", wsSID, sid))
	}
	return ws, wf, nil
}
